#!/usr/bin/env bash
# Records the captures in this folder again, from the sandbox, on loopback (needs root or
# CAP_NET_RAW for `netlab capture`).
# usage: sudo captures/record.sh [NAME...]   (the NAMEs given, e.g. http3-fetch; none: all)
# NETLAB=PATH uses that netlab binary instead of building target/release/netlab.
set -euo pipefail
export NETLAB_OFFLINE=1
cd "$(dirname "$0")/.."
if [ -z "${NETLAB:-}" ]; then
    cargo build --release --quiet
fi
netlab=${NETLAB:-target/release/netlab}
wanted=("$@")

# Whether NAME is to be recorded this time.
wanted() {
    [ ${#wanted[@]} -eq 0 ] && return 0
    local w
    for w in "${wanted[@]}"; do
        [ "$w" = "$1" ] && return 0
    done
    return 1
}

# record NAME COMMAND...: capture loopback while COMMAND runs against the sandbox.
record() {
    local name=$1
    shift
    wanted "$name" || return 0
    "$netlab" capture -i lo -w "captures/$name.pcap" --for 3 > /dev/null &
    local capture=$!
    sleep 0.5
    "$netlab" "$@" > /dev/null || true
    wait "$capture"
    chmod 0644 "captures/$name.pcap"
    echo "captures/$name.pcap: $(stat -c %s "captures/$name.pcap") octets"
}

# A key log is written 0600, as a secret; these are published test keys.
public_keylog() {
    if wanted "$1"; then chmod 0644 "captures/$1.keylog"; fi
}

record dns-walk dns www.example.com --sandbox
record tls13-handshake tls www.example.com --sandbox --keylog captures/tls13-handshake.keylog
public_keylog tls13-handshake
record http2-fetch http https://www.example.com/ --sandbox --h2
record quic-initial http https://www.example.com/ --sandbox --h3
record http3-fetch http https://www.example.com/ --sandbox --h3 --keylog captures/http3-fetch.keylog
public_keylog http3-fetch
record tcp-handshake tls tls12.example.com --sandbox
record tls12-handshake tls tls12.example.com --sandbox --keylog captures/tls12-handshake.keylog
public_keylog tls12-handshake
record tls12-chacha tls tls12.example.com --sandbox --ciphers ECDHE-ECDSA-CHACHA20-POLY1305 --keylog captures/tls12-chacha.keylog
public_keylog tls12-chacha
