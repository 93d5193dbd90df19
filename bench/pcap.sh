#!/usr/bin/env bash
# Benchmark: decoding a capture of about 1,000,000 packets (bench/gen_pcap.py: TCP connections
# and DNS over UDP), text to /dev/null: netlab pcap, tcpdump -nn -r and tshark -r, same run.
# Goal: netlab at least as fast as tcpdump. Prints packets/s and the ratios.
#
# usage: bench/pcap.sh [RUNS] [PACKETS]   (defaults 3 and 1000000; each figure is a median)
set -euo pipefail
export NETLAB_OFFLINE=1
cd "$(dirname "$0")/.."
RUNS=${1:-3}
N=${2:-1000000}
. bench/lib.sh
for tool in tcpdump tshark; do
    command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install tcpdump tshark)" >&2; exit 1; }
done
cargo build --release --quiet
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 bench/gen_pcap.py "$dir/bench.pcap" "$N"
echo "capture: $N packets, $(stat -c %s "$dir/bench.pcap") octets"
t_netlab=$(median target/release/netlab pcap "$dir/bench.pcap")
t_tcpdump=$(median tcpdump -nn -r "$dir/bench.pcap" 2>/dev/null)
t_tshark=$(median tshark -n -r "$dir/bench.pcap" 2>/dev/null)
awk -v n="$N" -v a="$t_netlab" -v b="$t_tcpdump" -v c="$t_tshark" 'BEGIN {
    printf "netlab pcap %.2f s (%.0f packets/s); tcpdump -nn -r %.2f s (%.0f packets/s); tshark -r %.2f s (%.0f packets/s)\n", a, n / a, b, n / b, c, n / c
    printf "ratios: netlab is %.2fx tcpdump'\''s speed and %.2fx tshark'\''s\n", b / a, c / a
}'
