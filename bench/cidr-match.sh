#!/usr/bin/env bash
# Benchmark: `netlab cidr match` against grepcidr 2.0 on the same data, in the same run.
#
# Data (deterministic, made once under bench/data/): 10,000 mixed IPv4/IPv6 ranges and
# 10,000,000 access-log lines with the client address first, about 10% inside a range.
# Checks that both tools print the same lines (netlab with one thread and with N), then prints
# the median wall time of each over RUNS runs: grepcidr, netlab -j1, netlab -jN (N: the
# available parallelism, or THREADS=N) and --first, with the ratio grepcidr/netlab (how many
# times faster netlab is) for each and how much N threads gain over one.
#
# usage: bench/cidr-match.sh [LINES] [RUNS]     (defaults: 10000000 5)
#        DATA=/tmp/cidr-bench THREADS=8 bench/cidr-match.sh   (where the data goes; thread count)
set -euo pipefail
export NETLAB_OFFLINE=1
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
LINES=${1:-10000000}
RUNS=${2:-5}
DATA=${DATA:-bench/data}
THREADS=${THREADS:-$(nproc)}
mkdir -p "$DATA"
RANGES=$DATA/ranges-10k.txt
LOG=$DATA/access-$LINES.log

if ! command -v grepcidr >/dev/null; then
    echo "installing grepcidr (Debian package)..." >&2
    if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq grepcidr >/dev/null
fi
if [ ! -s "$LOG" ] || [ ! -s "$RANGES" ]; then
    echo "generating $LINES log lines and 10,000 ranges (once)..." >&2
    python3 bench/gen_match_data.py --ranges 10000 --lines "$LINES" "$RANGES" "$LOG"
fi
cargo build --release --quiet
NETLAB=target/release/netlab

echo "checking that both print the same lines (netlab -j1 and -j$THREADS)..." >&2
grepcidr -f "$RANGES" "$LOG" > "$DATA/grepcidr.out"
for j in 1 "$THREADS"; do
    "$NETLAB" cidr match -j "$j" -f "$RANGES" "$LOG" > "$DATA/netlab.out"
    if ! cmp -s "$DATA/netlab.out" "$DATA/grepcidr.out"; then
        echo "FAIL: netlab -j$j and grepcidr printed different lines:" >&2
        diff "$DATA/netlab.out" "$DATA/grepcidr.out" | head -20 >&2
        exit 1
    fi
done
matched=$(wc -l < "$DATA/netlab.out")


cat "$LOG" > /dev/null # warm the page cache for both
size_mb=$(du -m "$LOG" | cut -f1)
t_grepcidr=$(median grepcidr -f "$RANGES" "$LOG")
t_one=$(median "$NETLAB" cidr match -j 1 -f "$RANGES" "$LOG")
t_many=$(median "$NETLAB" cidr match -j "$THREADS" -f "$RANGES" "$LOG")
t_first=$(median "$NETLAB" cidr match -j "$THREADS" --first -f "$RANGES" "$LOG")
awk -v g="$t_grepcidr" -v one="$t_one" -v n="$t_many" -v f="$t_first" -v j="$THREADS" -v mb="$size_mb" -v lines="$LINES" -v m="$matched" -v runs="$RUNS" 'BEGIN {
    printf "input: %d lines, %d MB, %d matching lines (%.1f%%), 10000 ranges; median of %d runs; N = %d threads\n", lines, mb, m, 100*m/lines, runs, j
    printf "grepcidr 2.0                         %7.3f s  %7.1f MB/s\n", g, mb/g
    printf "netlab cidr match -j1                %7.3f s  %7.1f MB/s  %5.1fx grepcidr\n", one, mb/one, g/one
    printf "netlab cidr match -j%-3d              %7.3f s  %7.1f MB/s  %5.1fx grepcidr\n", j, n, mb/n, g/n
    printf "netlab cidr match -j%-3d --first      %7.3f s  %7.1f MB/s  %5.1fx grepcidr\n", j, f, mb/f, g/f
    printf "ratio grepcidr/netlab: -j1 %.1fx, -j%d %.1fx (--first: %.1fx); %d threads are %.2fx one\n", g/one, j, g/n, g/f, j, one/n
}'
