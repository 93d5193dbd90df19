#!/usr/bin/env bash
# Benchmark: TLS handshakes per second against the sandbox's TLS host, in the same run.
#
# 1. In-process: plain rustls vs netlab's traced handshake (cargo bench --bench tls_handshake).
# 2. As root: `netlab sandbox up --bind-127` serves www.example.com on 127.0.53.14:443; then
#    `openssl s_time -new` (a full handshake per connection) for SECONDS against it.
#
# Everything stays on loopback. usage: bench/tls-handshake.sh [SECONDS]   (default 5)
set -euo pipefail
export NETLAB_OFFLINE=1
cd "$(dirname "$0")/.."
SECONDS_FOR=${1:-5}

cargo bench --quiet --bench tls_handshake 2>/dev/null | grep '^tls_handshake:'

if [ "$(id -u)" != 0 ]; then
    echo "not root: skipping openssl s_time (the --bind-127 sandbox needs port 443)"
    exit 0
fi
cargo build --release --quiet
home=$(mktemp -d)
log="$home/up.log"
NETLAB_HOME="$home" target/release/netlab sandbox up --bind-127 --for 600 > "$log" &
sandbox=$!
trap 'kill $sandbox 2>/dev/null || true; rm -rf "$home"' EXIT
for _ in $(seq 50); do grep -q 'Press Ctrl-C' "$log" && break; sleep 0.1; done
addr=$(awk '$1 == "example.com" && $3 == "->" {print $4}' "$log")
openssl s_time -connect "$addr" -new -time "$SECONDS_FOR" -CAfile "$home/sandbox-root-ca.pem" 2>/dev/null \
    | awk -v t="$SECONDS_FOR" '/connections in/ && /real seconds/ {printf "openssl s_time -new: %s connections in %s s: %.0f handshakes/s\n", $1, t, $1 / t}'
