#!/usr/bin/env bash
# Benchmark: HTTP against the sandbox's web server on loopback, everything in the same run.
#
# 1. A 100 MiB download: netlab http --h2, netlab http --h3, and curl --http2 (MiB/s, ratios).
#    Goals: netlab h2 at least as fast as curl; h3 within 2x of h2.
# 2. 1,000 small requests, 10 at a time on one connection: netlab --h2 and h2load -c 1 -m 10
#    (from Debian's nghttp2-client).
#
# Everything stays on loopback. usage: bench/http.sh [RUNS]   (default 3; each figure is a median)
set -euo pipefail
export NETLAB_OFFLINE=1
cd "$(dirname "$0")/.."
RUNS=${1:-3}
. bench/lib.sh
for tool in curl h2load; do
    command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install curl nghttp2-client)" >&2; exit 1; }
done

cargo build --release --quiet
home=$(mktemp -d)
log="$home/up.log"
NETLAB_HOME="$home" target/release/netlab sandbox up --for 900 > "$log" &
sandbox=$!
trap 'kill $sandbox 2>/dev/null || true; rm -rf "$home"' EXIT
for _ in $(seq 100); do grep -q 'Press Ctrl-C' "$log" && break; sleep 0.1; done
addr=$(awk '$1 == "example.com" && $3 == "->" {print $4}' "$log")
ip=${addr%:*}
port=${addr##*:}
ca="$home/sandbox-root-ca.pem"
size=$((100 * 1024 * 1024))
url="https://www.example.com:$port/bytes/$size"
netlab=(target/release/netlab http --connect-to "::$ip:$port" --cacert "$ca")

t_h2=$(median "${netlab[@]}" "$url" --h2)
t_h3=$(median "${netlab[@]}" "$url" --h3)
t_curl=$(median curl -sS --http2 -o /dev/null --cacert "$ca" --resolve "www.example.com:$port:$ip" "$url")
awk -v h2="$t_h2" -v h3="$t_h3" -v c="$t_curl" 'BEGIN {
    printf "100 MiB download: netlab --h2 %.3f s (%.0f MiB/s); netlab --h3 %.3f s (%.0f MiB/s); curl --http2 %.3f s (%.0f MiB/s)\n", h2, 100 / h2, h3, 100 / h3, c, 100 / c
    printf "ratios: netlab h2 is %.2fx curl'\''s speed; h3 takes %.2fx the time of h2\n", c / h2, h3 / h2
}'

small="https://www.example.com:$port/objects/1"
t_n=$(median "${netlab[@]}" "$small" --h2 --requests 1000 --concurrency 10)
t_h2load=$(median h2load -n 1000 -c 1 -m 10 "https://$ip:$port/objects/1")
awk -v n="$t_n" -v h="$t_h2load" 'BEGIN {
    printf "1000 requests, 10 at a time, one connection: netlab %.3f s (%.0f req/s); h2load %.3f s (%.0f req/s); netlab/h2load time %.2fx\n", n, 1000 / n, h, 1000 / h, n / h
}'
