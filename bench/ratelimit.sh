#!/usr/bin/env bash
# Benchmark: the rate-limiting algorithms' decisions per second on one core, replaying
# generated traffic held in memory, against the floor measured in the same run: a plain
# std HashMap counting pass over the same requests (issue 16 asks at least 10 million
# decisions per second per core).
#
# usage: bench/ratelimit.sh [CLIENTS] [SECONDS] [RATE]   (defaults: 100000 60 2: about 8M requests)
set -euo pipefail
export NETLAB_OFFLINE=1
cd "$(dirname "$0")/.."
CLIENTS=${1:-100000}
SECONDS_=${2:-60}
RATE=${3:-2}
cargo build --release --quiet
json=$(taskset -c 0 target/release/netlab --json ratelimit --limit 10/1s \
    --clients "$CLIENTS" --seconds "$SECONDS_" --rate "$RATE")
python3 - "$json" <<'PY'
import json, sys
t = json.loads(sys.argv[1])
ev = t["events"]
replay = next(e for e in ev if e["type"] == "ratelimit.replay")
floor = next(e for e in ev if e["type"] == "ratelimit.floor")["decisions_per_s"]
print(f"{replay['requests']} requests, {replay['keys']} keys, one core")
print(f"floor (std HashMap counting pass): {floor/1e6:.1f} M decisions/s")
for e in ev:
    if e["type"] == "ratelimit.algorithm":
        r = e["decisions_per_s"]
        ok = "meets" if r >= 10e6 else "BELOW"
        print(f"{e['algorithm']:<15} {r/1e6:6.1f} M/s  ratio to floor {r/floor:4.2f}  ({ok} the 10 M/s target)")
PY
