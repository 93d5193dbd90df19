#!/usr/bin/env bash
# Records the captures in this folder again, from the sandbox, on loopback (needs root or
# CAP_NET_RAW for `netlab capture`). usage: sudo captures/record.sh
set -euo pipefail
export NETLAB_OFFLINE=1
cd "$(dirname "$0")/.."
cargo build --release --quiet
netlab=target/release/netlab

# record NAME COMMAND...: capture loopback while COMMAND runs against the sandbox.
record() {
    local name=$1
    shift
    "$netlab" capture -i lo -w "captures/$name.pcap" --for 3 > /dev/null &
    local capture=$!
    sleep 0.5
    "$netlab" "$@" > /dev/null || true
    wait "$capture"
    chmod 0644 "captures/$name.pcap"
    echo "captures/$name.pcap: $(stat -c %s "captures/$name.pcap") octets"
}

record dns-walk dns www.example.com --sandbox
record tls13-handshake tls www.example.com --sandbox --keylog captures/tls13-handshake.keylog
chmod 0644 captures/tls13-handshake.keylog
record http2-fetch http https://www.example.com/ --sandbox --h2
record quic-initial http https://www.example.com/ --sandbox --h3
record tcp-handshake tls tls12.example.com --sandbox
record tls12-handshake tls tls12.example.com --sandbox --keylog captures/tls12-handshake.keylog
chmod 0644 captures/tls12-handshake.keylog
