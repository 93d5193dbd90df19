#!/usr/bin/env bash
# Benchmark: one UDP flood dropped at three depths by `netlab ddos filter` (the application,
# nftables, XDP), each depth's datagrams per second generated and dropped and the machine's CPU
# time per datagram; beside it, in the same run, hping3 --flood (the usual tool for this)
# writing the same 46-byte datagrams from its own fresh network namespace for the same time.
# Everything happens in namespaces netlab or this script creates, torn down when they end.
#
# usage: sudo bench/ddos.sh [PACKETS]   (default 1000000 per depth; at most 2000000)
set -euo pipefail
export NETLAB_OFFLINE=1
cd "$(dirname "$0")/.."
PACKETS=${1:-1000000}
[ "$(id -u)" = 0 ] || { echo "bench/ddos.sh: needs root (network namespaces, raw sockets, XDP)" >&2; exit 2; }
for tool in nft xdp-filter hping3 unshare; do
    command -v "$tool" >/dev/null || { echo "bench/ddos.sh: $tool is missing (apt-get install nftables xdp-tools hping3 util-linux)" >&2; exit 2; }
done
cargo build --release --quiet
json=$(target/release/netlab --json ddos filter --packets "$PACKETS")
# hping3 for as long as netlab's slowest depth took, from a namespace of its own (lo only), to
# a port nothing listens on: the kernel drops each datagram after the IP stack (an ICMP error
# for a few, rate-limited).
secs=$(python3 -c 'import json,sys; t=json.loads(sys.argv[1]); print(max(1, round(max(e["send_ms"] for e in t["events"] if e["type"]=="ddos.filter")/1000+0.5)))' "$json")
hping=$(unshare --net sh -c "ip link set lo up; timeout -s INT $secs hping3 --flood --udp -p 9 -d 18 127.0.0.1 2>&1" || true)
sent=$(printf '%s\n' "$hping" | sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p')
python3 - "$json" "${sent:-0}" "$secs" <<'PY'
import json, sys
t = json.loads(sys.argv[1])
hping_sent, hping_secs = int(sys.argv[2]), float(sys.argv[3])
hping_pps = hping_sent / hping_secs
print(f"hping3 --flood (reference, same datagram size, {hping_secs:.0f} s): {hping_pps/1e3:.0f} kpps generated")
print(f"{'depth':<9} {'sent':>9} {'kpps sent':>10} {'x hping3':>9} {'dropped':>9} {'kpps dropped':>13} {'ns/pkt':>7} {'softirq ms':>11} {'app cpu ms':>11}")
for e in t["events"]:
    if e["type"] != "ddos.filter":
        continue
    depth = e["depth"] + (f" {e['xdp_mode']}" if e.get("xdp_mode") else "")
    ratio = e["sent_pps"] / hping_pps if hping_pps else float("nan")
    print(f"{depth:<9} {e['sent']:>9} {e['sent_pps']/1e3:>10.0f} {ratio:>9.2f} {e['dropped_here']:>9} {e['dropped_pps']/1e3:>13.0f} "
          f"{e['cpu']['ns_per_packet']:>7.0f} {e['cpu']['softirq_ms']:>11.0f} {e['cpu']['app_ms']:>11.0f}")
PY
