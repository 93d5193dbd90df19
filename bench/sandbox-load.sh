#!/usr/bin/env bash
# Benchmark: the sandbox under load, on loopback. `netlab sandbox up` (release build) serves
# h2load's 100 concurrent HTTP/2 connections x 1,000 requests each (10 streams at a time per
# connection) to www.example.com, then dnsperf's query flood to its resolver, bounded at
# --qps queries a second for --seconds. Its peak resident memory (VmHWM) is read before and
# after each load. The figures are h2load's requests/s and dnsperf's queries/s, with their
# failures and losses, which must be 0. (tests/sandbox_slow_client.rs checks that a client
# that never finishes its request is timed out without starving the others.)
#
# usage: bench/sandbox-load.sh [QPS] [SECONDS]   (defaults 20000 and 10; at most 100000 and 30)
set -euo pipefail
export NETLAB_OFFLINE=1
cd "$(dirname "$0")/.."
QPS=${1:-20000}
SECONDS_DNS=${2:-10}
[ "$QPS" -le 100000 ] && [ "$SECONDS_DNS" -le 30 ] || { echo "bench/sandbox-load.sh: at most 100000 queries/s for 30 s" >&2; exit 2; }
for tool in h2load dnsperf python3; do
    command -v "$tool" >/dev/null || { echo "bench/sandbox-load.sh: $tool is missing (apt-get install nghttp2-client dnsperf python3)" >&2; exit 2; }
done
cargo build --release --quiet
home=$(mktemp -d)
dir="$home/directory.json"
NETLAB_HOME="$home" target/release/netlab --json sandbox up --for 300 > "$dir" &
pid=$!
trap 'kill -INT $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$home"' EXIT
for _ in $(seq 100); do [ -s "$dir" ] && break; sleep 0.1; done
[ -s "$dir" ] || { echo "bench/sandbox-load.sh: the sandbox did not come up" >&2; exit 1; }
read -r web dns < <(python3 - "$dir" <<'PY'
import json, sys
d = json.loads(open(sys.argv[1]).readline())
web = next(h["socket"] for h in d["tls_hosts"] if "www.example.com" in h["names"])
dns = next(r["socket"] for r in d["resolver"] if r["virtual_address"].endswith(":53"))
print(web, dns)
PY
)
hwm() { awk '/VmHWM/ {print $2}' "/proc/$pid/status"; }
rss0=$(hwm)

# HTTP/2: 100 connections x 1,000 requests, 10 concurrent streams each.
h2=$(h2load -n 100000 -c 100 -m 10 -H ':authority: www.example.com' "https://$web/" 2>&1)
rss1=$(hwm)

# DNS: a bounded flood of the names the sandbox serves, answered from the resolver's cache
# after the first walk.
queries="$home/queries"
printf '%s\n' 'www.example.com A' 'example.com A' 'mail.example.com AAAA' 'www.example.org A' 'example.com MX' > "$queries"
dp=$(dnsperf -s "${dns%:*}" -p "${dns##*:}" -d "$queries" -l "$SECONDS_DNS" -Q "$QPS" -c 8 -q 500 2>&1)
rss2=$(hwm)

python3 - "$h2" "$dp" "$rss0" "$rss1" "$rss2" "$QPS" <<'PY'
import re, sys
h2, dp, rss0, rss1, rss2, qps = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6]), sys.argv[6]
def grab(pattern, text, default="?"):
    m = re.search(pattern, text)
    return m.group(1) if m else default
took = grab(r"finished in ([0-9.]+\w+)", h2)
rps = grab(r"([0-9.]+) req/s", h2)
requests = grab(r"requests: (.*)", h2)
codes = grab(r"status codes: (.*)", h2)
sent = grab(r"Queries sent:\s+(\d+)", dp)
completed = grab(r"Queries completed:\s+(\d+ \([^)]*\))", dp)
lost = grab(r"Queries lost:\s+(\d+ \([^)]*\))", dp)
qps_done = grab(r"Queries per second:\s+([0-9.]+)", dp)
latency = grab(r"Average Latency \(s\):\s+([0-9.]+)", dp)
print("HTTP/2 (h2load -n 100000 -c 100 -m 10):")
print(f"  {took}, {rps} requests/s")
print(f"  requests: {requests}")
print(f"  status codes: {codes}")
print(f"DNS (dnsperf, at most {qps} queries/s):")
print(f"  queries sent {sent}, completed {completed}, lost {lost}")
print(f"  {qps_done} queries/s, average latency {latency} s")
print(f"netlab's peak RSS (VmHWM): {rss0/1024:.1f} MB up, {rss1/1024:.1f} MB after HTTP/2, {rss2/1024:.1f} MB after DNS")
PY
