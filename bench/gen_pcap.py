#!/usr/bin/env python3
"""Writes a deterministic pcap of N packets (default 1,000,000) for bench/pcap.sh: Ethernet + IPv4,
a mix of TCP connections (handshake, data, teardown) and DNS queries and responses over UDP.

usage: bench/gen_pcap.py OUT.pcap [N]
"""
import struct
import sys


def checksum_free_ipv4(proto, src, dst, payload):
    total = 20 + len(payload)
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, proto, 0, bytes(src), bytes(dst)) + payload


def tcp(sport, dport, seq, ack, flags, data=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 502, 0, 0) + data


def udp(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def dns_query(qid, name):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\x00"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", 1, 1)


def dns_answer(qid, name):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\x00"
    return (struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + q + struct.pack("!HH", 1, 1)
            + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + bytes([192, 0, 2, 10]))


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    client, server = [10, 0, 0, 1], [192, 0, 2, 10]
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        written, t, conn = 0, 1_700_000_000_000_000, 0
        while written < n:
            conn += 1
            sport = 1024 + conn % 60000
            packets = []
            if conn % 4 == 0:
                name = f"host{conn % 1000}.example.com"
                packets.append((client, server, 17, udp(sport, 53, dns_query(conn & 0xFFFF, name))))
                packets.append((server, client, 17, udp(53, sport, dns_answer(conn & 0xFFFF, name))))
            else:
                isn_c, isn_s = conn * 7919 % 2**32, conn * 104729 % 2**32
                packets += [
                    (client, server, 6, tcp(sport, 443, isn_c, 0, 0x02)),
                    (server, client, 6, tcp(443, sport, isn_s, isn_c + 1, 0x12)),
                    (client, server, 6, tcp(sport, 443, isn_c + 1, isn_s + 1, 0x10)),
                    (client, server, 6, tcp(sport, 443, isn_c + 1, isn_s + 1, 0x18, b"GET / HTTP/1.1\r\nhost: example.com\r\n\r\n")),
                    (server, client, 6, tcp(443, sport, isn_s + 1, isn_c + 37, 0x18, b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")),
                    (client, server, 6, tcp(sport, 443, isn_c + 37, isn_s + 39, 0x11)),
                    (server, client, 6, tcp(443, sport, isn_s + 39, isn_c + 38, 0x11)),
                    (client, server, 6, tcp(sport, 443, isn_c + 38, isn_s + 40, 0x10)),
                ]
            for src, dst, proto, seg in packets:
                if written >= n:
                    break
                frame = eth + checksum_free_ipv4(proto, src, dst, seg)
                t += 137
                f.write(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(frame), len(frame)))
                f.write(frame)
                written += 1


main()
