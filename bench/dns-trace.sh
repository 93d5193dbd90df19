#!/usr/bin/env bash
# Benchmark: netlab's DNS walk against dig +trace, on the same sandbox, in the same run.
#
# 1. Walks per second in-process (cargo bench --bench dns_walk).
# 2. As root: `netlab sandbox up --bind-127` puts every sandbox server on 127.0.53.x:53; then
#    RUNS walks of example.com (two referrals and the answer) by `dig +trace @127.0.53.1` and by
#    `netlab dns --root 127.0.53.1`, median wall time of each and the ratio. dig +trace looks up
#    name server addresses with the system resolver rather than from glue, so the sandbox's
#    server names go into /etc/hosts for the run (a backup is restored on exit).
#
# Everything stays on loopback. usage: bench/dns-trace.sh [RUNS]   (default 20)
set -euo pipefail
export NETLAB_OFFLINE=1
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
RUNS=${1:-20}

cargo bench --quiet --bench dns_walk 2>/dev/null | grep '^dns_walk:'

if [ "$(id -u)" != 0 ]; then
    echo "not root: skipping the dig +trace comparison (port 53 and /etc/hosts need root)"
    exit 0
fi
command -v dig >/dev/null || { apt-get update -qq && apt-get install -y -qq bind9-dnsutils >/dev/null; }
cargo build --release --quiet
NETLAB=target/release/netlab

log=$(mktemp)
"$NETLAB" sandbox up --bind-127 --for 600 > "$log" &
sandbox=$!
cp /etc/hosts /etc/hosts.netlab-bench
cleanup() { kill "$sandbox" 2>/dev/null || true; mv /etc/hosts.netlab-bench /etc/hosts; rm -f "$log"; }
trap cleanup EXIT
for _ in $(seq 50); do grep -q 'Press Ctrl-C' "$log" && break; sleep 0.1; done
sed -n '/add these lines/,/Zones:/p' "$log" | grep '^  127\.' >> /etc/hosts

dig +trace @127.0.53.1 example.com | grep -q '192.0.2.10' || { echo "FAIL: dig +trace did not reach the answer" >&2; exit 1; }
"$NETLAB" dns example.com --root 127.0.53.1 --short | grep -qx '192.0.2.10' || { echo "FAIL: netlab did not reach the answer" >&2; exit 1; }

t_dig=$(median dig +trace @127.0.53.1 example.com)
t_netlab=$(median "$NETLAB" dns example.com --root 127.0.53.1)
awk -v d="$t_dig" -v n="$t_netlab" -v runs="$RUNS" 'BEGIN {
    printf "walk of example.com on the --bind-127 sandbox, median of %d runs (process start included)\n", runs
    printf "dig +trace        %7.1f ms\n", d * 1000
    printf "netlab dns        %7.1f ms\n", n * 1000
    printf "ratio dig/netlab: %.2fx\n", d / n
}'
