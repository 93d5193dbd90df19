#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/<target>/ from the repository's captures, fixtures and
labs, and from the RFC test vectors in ../shared/vectors/ when they are there (the seeds taken
from them are kept in the repository, so the vectors are not needed to fuzz).

Each corpus stays small: at most 20 files and 200 KB. Run from anywhere:
    python3 fuzz/seeds.py
"""
import os
import re
import struct
import sys

FUZZ = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(FUZZ)
VECTORS = os.path.join(os.path.dirname(ROOT), "shared", "vectors")
MAX_FILES, MAX_BYTES = 20, 200 * 1024


def read(*path):
    with open(os.path.join(*path), "rb") as f:
        return f.read()


def vectors(name):
    """NAME -> bytes from a `NAME (LEN) = HEX` vector file, or {} when it is not here."""
    path = os.path.join(VECTORS, name)
    if not os.path.exists(path):
        return {}
    out = {}
    for line in open(path):
        m = re.match(r"^(\S+) \((\d+)\) = ([0-9a-f]*)$", line.strip())
        if m:
            out[m.group(1)] = bytes.fromhex(m.group(3))
    return out


def pcap_frames(data):
    """The frames of a classic pcap file (either byte order)."""
    magic = data[:4]
    e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    at, frames = 24, []
    while at + 16 <= len(data):
        _, _, incl, _ = struct.unpack(e + "IIII", data[at:at + 16])
        frames.append(data[at + 16:at + 16 + incl])
        at += 16 + incl
    return frames


def ip_payload(frame):
    """(proto, src port, dst port, payload, the IP packet) of an Ethernet frame, or None."""
    etype = struct.unpack(">H", frame[12:14])[0]
    ip = frame[14:]
    if etype == 0x0800:
        ihl = (ip[0] & 0x0F) * 4
        proto, body = ip[9], ip[ihl:struct.unpack(">H", ip[2:4])[0]]
    elif etype == 0x86DD:
        proto, body = ip[6], ip[40:40 + struct.unpack(">H", ip[4:6])[0]]
    else:
        return None
    if proto == 6:
        off = (body[12] >> 4) * 4
        return ("tcp",) + struct.unpack(">HH", body[:4]) + (body[off:], ip)
    if proto == 17:
        return ("udp",) + struct.unpack(">HH", body[:4]) + (body[8:], ip)
    return (str(proto), 0, 0, b"", ip)


def tcp_streams(data):
    """Each TCP connection's payload one way, in capture order: {(src port, dst port): bytes}."""
    streams = {}
    for f in pcap_frames(data):
        p = ip_payload(f)
        if p and p[0] == "tcp" and p[3]:
            streams.setdefault((p[1], p[2]), bytearray()).extend(p[3])
    return streams


def piece(tag, data):
    return bytes([tag]) + struct.pack(">H", len(data)) + data


def write(target, seeds):
    folder = os.path.join(FUZZ, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    for old in os.listdir(folder):
        os.remove(os.path.join(folder, old))
    total = 0
    for name, data in list(seeds.items())[:MAX_FILES]:
        if total + len(data) > MAX_BYTES:
            continue
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
        total += len(data)
    print(f"{target}: {len(os.listdir(folder))} files, {total} octets")


def main():
    cap = lambda name: read(ROOT, "captures", name)
    tls8448 = vectors("rfc8448-simple-1rtt.txt")
    quic9001 = vectors("rfc9001-quic-initial.txt")
    hpack = vectors("rfc7541-hpack-examples.txt")
    qpack = vectors("rfc9204-qpack-examples.txt")

    # TLS records and handshake messages: each direction of the TLS captures' connections.
    seeds = {}
    for name in ["tls13-handshake.pcap", "tls12-handshake.pcap", "tls12-chacha.pcap"]:
        for (sp, dp), s in tcp_streams(cap(name)).items():
            if s[:1] == b"\x16":
                seeds[f"{name[:-5]}-{sp}-{dp}"] = bytes(s[:8192])
    for k, v in tls8448.items():
        if k.endswith((".bytes", ".record")) and "application" not in k and "alert" not in k:
            seeds[f"rfc8448-{k}"] = v
    write("tls_record", seeds)

    # The TLS decoder with a key log: the captures whose key logs the target holds.
    keylog = os.path.join(VECTORS, "rfc8448-simple-1rtt.keylog")
    seeds = {n: cap(n) for n in ["tls13-handshake.pcap", "tls12-handshake.pcap", "tls12-chacha.pcap",
                                 "http3-fetch.pcap"]}
    seeds["rfc8448-simple-1rtt.keylog"] = (read(keylog) if os.path.exists(keylog) else
                                           read(FUZZ, "corpus", "tls_keylog", "rfc8448-simple-1rtt.keylog"))
    seeds["tls13-handshake.keylog"] = cap("tls13-handshake.keylog")
    write("tls_keylog", seeds)

    # The capture reader: every capture, one of them as pcapng too (editcap writes it).
    seeds = {n: cap(n) for n in sorted(os.listdir(os.path.join(ROOT, "captures"))) if n.endswith(".pcap")}
    seeds["bgp-bird.pcap"] = read(ROOT, "tests", "fixtures", "bgp-bird.pcap")
    ng = os.path.join(FUZZ, "corpus", "dns-walk.pcapng")
    if os.system(f"editcap -F pcapng {os.path.join(ROOT, 'captures', 'dns-walk.pcap')} {ng} 2>/dev/null") == 0:
        seeds["dns-walk.pcapng"] = read(ng)
        os.remove(ng)
    elif os.path.exists(os.path.join(FUZZ, "corpus", "capture", "dns-walk.pcapng")):
        seeds["dns-walk.pcapng"] = read(FUZZ, "corpus", "capture", "dns-walk.pcapng")
    write("capture", seeds)

    # Packet layers: frames of each kind as Ethernet (DNS, a SYN, TLS, QUIC, BGP), two of them
    # behind the other link types too, and an IPv6 and an ICMP packet written here.
    seeds = {}
    picks = [("dns-walk.pcap", 0), ("dns-walk.pcap", 1), ("tcp-handshake.pcap", 0), ("tls13-handshake.pcap", 12),
             ("tls13-handshake.pcap", 15), ("quic-initial.pcap", 0), ("http2-fetch.pcap", 20)]
    for name, i in picks:
        seeds[f"eth-{name[:-5]}-{i}"] = pcap_frames(cap(name))[i]
    bgp = [f for f in pcap_frames(read(ROOT, "tests", "fixtures", "bgp-bird.pcap")) if len(f) > 80]
    seeds["eth-bgp-bird"] = bgp[0]
    for name, i in [picks[0], picks[3]]:
        ip = ip_payload(pcap_frames(cap(name))[i])[4]
        family = 2 if ip[0] >> 4 == 4 else 10
        etype = 0x0800 if family == 2 else 0x86DD
        seeds[f"raw-{name[:-5]}-{i}"] = ip
        seeds[f"null-{name[:-5]}-{i}"] = struct.pack("<I", family) + ip
        seeds[f"sll-{name[:-5]}-{i}"] = struct.pack(">HHH8sH", 0, 772, 6, b"\0" * 8, etype) + ip
        seeds[f"sll2-{name[:-5]}-{i}"] = struct.pack(">HHIHBB8s", etype, 0, 1, 772, 0, 6, b"\0" * 8) + ip
    dns = ip_payload(pcap_frames(cap("dns-walk.pcap"))[0])[3]
    udp = struct.pack(">HHHH", 5353, 53, 8 + len(dns), 0) + dns
    v6 = struct.pack(">IHBB", 6 << 28, len(udp), 17, 64) + bytes.fromhex("20010db8" + "00" * 11 + "01") \
        + bytes.fromhex("20010db8" + "00" * 11 + "02") + udp
    seeds["raw-ipv6-dns"] = v6
    seeds["raw-icmp-echo"] = bytes.fromhex("4500001c00000000400100007f0000017f0000020800f7ff00000000")
    write("packet_layers", seeds)

    # BGP: the TCP payloads to and from port 179 in the BIRD capture.
    seeds = {}
    for i, f in enumerate(pcap_frames(read(ROOT, "tests", "fixtures", "bgp-bird.pcap"))):
        p = ip_payload(f)
        if p and p[0] == "tcp" and 179 in (p[1], p[2]) and p[3]:
            seeds.setdefault(f"len{len(p[3])}-type{p[3][18] if len(p[3]) > 18 else 0}", p[3])
    write("bgp", seeds)

    # QUIC: the Initials of the capture, RFC 9001's packets, a CRYPTO frame in the clear.
    seeds = {}
    for i, f in enumerate(pcap_frames(cap("quic-initial.pcap"))[:12]):
        p = ip_payload(f)
        if p and p[0] == "udp":
            seeds[f"quic-initial-{i}"] = p[3]
    for k in ["client_initial_packet.protected_packet", "server_initial_packet.protected_packet", "retry_packet",
              "chacha20.packet", "client_initial_packet.crypto_frame", "server_initial_packet.payload"]:
        if k in quic9001:
            seeds[f"rfc9001-{k}"] = quic9001[k]
    write("quic", seeds)

    # DNS: the walk's responses (UDP from a server) and queries.
    seeds = {}
    for i, f in enumerate(pcap_frames(cap("dns-walk.pcap"))):
        p = ip_payload(f)
        if p and p[0] == "udp":
            seeds[f"dns-walk-{i}"] = p[3]
    write("dns_response", seeds)

    # HPACK: RFC 7541's sequences, each on one decoder (C.5 and C.6 with a 256-octet table).
    seeds = {}
    for part, size in [("c2", 4096), ("c3", 4096), ("c4", 4096), ("c5", 256), ("c6", 256)]:
        blocks = [v for k, v in sorted(hpack.items()) if k.startswith(part + "_") and k.endswith("header_block")]
        if blocks:
            seeds[f"rfc7541-{part}"] = struct.pack(">H", size) + b"".join(piece(0, b) for b in blocks)
    if "c4_1.header_block" in hpack:
        seeds["rfc7541-huffman"] = struct.pack(">H", 4096) + piece(1, hpack["c4_1.header_block"][4:])
    write("hpack", seeds)

    # QPACK: RFC 9204 Appendix B in order, encoder and decoder streams and field sections.
    tags = {"encoder": 0, "decoder": 2, "section": 1}
    steps = [(k, v) for k, v in qpack.items() if re.match(r"^b\d_(encoder|decoder|section)$", k)]
    seeds = {}
    if steps:
        seeds["rfc9204-b"] = struct.pack(">H", 220) + b"".join(piece(tags[k.split("_")[1]], v) for k, v in steps)
        for k, v in steps:
            seeds[f"rfc9204-{k}"] = struct.pack(">H", 220) + piece(tags[k.split("_")[1]], v)
    write("qpack", seeds)

    # HTTP/2 frames in the clear (the captures' are encrypted): a client and a server.
    def frame(t, flags, stream, payload):
        return struct.pack(">I", len(payload))[1:] + bytes([t, flags]) + struct.pack(">I", stream) + payload
    req = hpack.get("c3_1.header_block", bytes.fromhex("828684410f7777772e6578616d706c652e636f6d"))
    resp = hpack.get("c5_1.header_block", bytes.fromhex("4803333032"))
    preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    settings = frame(4, 0, 0, struct.pack(">HI", 1, 4096) + struct.pack(">HI", 3, 100) + struct.pack(">HI", 4, 65535))
    client = (preface + settings + frame(4, 1, 0, b"") + frame(8, 0, 0, struct.pack(">I", 1 << 20))
              + frame(1, 0x24, 1, struct.pack(">IB", 0, 15) + req) + frame(2, 0, 3, struct.pack(">IB", 1, 15))
              + frame(6, 0, 0, b"12345678") + frame(3, 0, 1, struct.pack(">I", 8)))
    server = (settings + frame(4, 1, 0, b"")
              + frame(1, 0x08, 1, bytes([2]) + resp[:3] + b"\0\0") + frame(9, 0x04, 1, resp[3:])
              + frame(0, 0x09, 1, bytes([3]) + b"hello" + b"\0\0\0") + frame(5, 0x04, 1, struct.pack(">I", 2) + req)
              + frame(7, 0, 0, struct.pack(">II", 1, 0) + b"bye") + frame(0x21, 0, 0, b"grease"))
    write("h2_frames", {"client": client, "server": server})

    # HTTP/3 streams as the tap records them: piece tag = stream << 1 | server-to-client.
    def h3piece(stream, server, data, hidden=0):
        return piece(stream << 1 | int(server), struct.pack(">H", hidden) + data)
    control = bytes.fromhex("00040806800040000104") + b"\x21\x00"
    enc = bytes([2]) + qpack.get("b2_encoder", bytes.fromhex("3fbd01c00f7777772e6578616d706c652e636f6d"))
    section = qpack.get("b2_section", bytes.fromhex("03811011"))
    headers = bytes([1, len(section)]) + section
    answer = bytes.fromhex("01030000d9000268") + b"i"
    dec = bytes([3]) + qpack.get("b2_decoder", b"\x84")
    write("h3_frames", {
        "settings-and-request": h3piece(3, True, control) + h3piece(2, False, control)
        + h3piece(0, False, bytes.fromhex("01") + bytes([len(section)]) + section) + h3piece(0, True, answer),
        "encoder-then-section": h3piece(2, False, control) + h3piece(3, True, bytes.fromhex("000406dc0001"))
        + h3piece(7, True, enc) + h3piece(0, True, headers) + h3piece(6, False, dec),
        "hidden-body": h3piece(0, True, bytes.fromhex("01030000d9") + bytes.fromhex("004a"), 0x0a),
    })

    # Lab files and answers files.
    labs = sorted(d for d in os.listdir(os.path.join(ROOT, "labs")) if re.match(r"^\d\d-", d))
    write("lab_file", {f"{d}.toml": read(ROOT, "labs", d, "lab.toml") for d in labs})
    answers = sorted(os.listdir(os.path.join(ROOT, "tests", "labs")))
    write("lab_answers", {a: read(ROOT, "tests", "labs", a) for a in answers if a.endswith(".toml")})

    # CIDR: lab 04's lists and log, and a few written here.
    seeds = {n: read(ROOT, "labs", "04-cidr", n) for n in ["allow-list.txt", "rules.txt", "access.log"]}
    seeds.update({
        "prefixes": b"10.0.0.0/8\n192.168.1.77/24\n2001:db8::/32\n::ffff:192.0.2.1/128\n0.0.0.0/0\n",
        "ranges": b"192.0.2.10-192.0.2.20\n2001:db8::1-2001:db8::ff\n198.51.100.0/255.255.255.0\n",
        "log": b"[2001:db8::1]:443 - 203.0.113.9 1.2.3 ::ffff:10.1.2.3 fe80::1%eth0 1::2:3:4:5:6:7\n",
        "mask": b"10.1.2.3/255.0.255.0",
    })
    write("cidr", seeds)


if __name__ == "__main__":
    sys.exit(main())
