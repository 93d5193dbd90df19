//! One captured frame, layer by layer: the link (Ethernet, Linux cooked SLL/SLL2, BSD loopback,
//! raw IP), IPv4 or IPv6 (with extension headers), ICMP/ICMPv6, UDP or TCP (flags, options), and
//! what rides on top: DNS (hickory-proto), TLS records and hellos (netlab's TLS parser), QUIC long
//! headers (and the ClientHello inside a client Initial), HTTP/1 request and status lines.
//!
//! A pure function over bytes: a frame cut by the snap length is decoded as far as it goes and
//! marked; malformed layers say why.

use std::net::IpAddr;

use pnet_packet::ethernet::EthernetPacket;
use pnet_packet::icmp::IcmpPacket;
use pnet_packet::icmpv6::Icmpv6Packet;
use pnet_packet::ip::{IpNextHeaderProtocol, IpNextHeaderProtocols};
use pnet_packet::ipv4::Ipv4Packet;
use pnet_packet::ipv6::Ipv6Packet;
use pnet_packet::tcp::{TcpOptionNumbers, TcpPacket};
use pnet_packet::udp::UdpPacket;
use pnet_packet::Packet;
use serde::{Deserialize, Serialize};

use super::layer::Layer;

/// The link types netlab reads (pcap LINKTYPE_ values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    Ethernet,
    /// BSD loopback: a 4-octet address family in the capturing host's byte order.
    Null,
    /// Raw IPv4 or IPv6, no link header.
    Raw,
    /// Linux cooked capture v1 (16 octets) and v2 (20 octets).
    Sll,
    Sll2,
}

impl Link {
    /// From a pcap link type number.
    pub fn from_linktype(n: u32) -> Option<Link> {
        Some(match n {
            1 => Link::Ethernet,
            0 | 108 => Link::Null,
            101 | 12 | 228 | 229 => Link::Raw,
            113 => Link::Sll,
            276 => Link::Sll2,
            _ => return None,
        })
    }
}

/// TCP header facts a stream tracker needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpFacts {
    pub flags: u8,
    pub seq: u32,
    pub ack: u32,
    pub window: u16,
    pub payload_len: usize,
    /// The Window Scale option's shift count, when the segment carried one (RFC 7323 §2.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wscale: Option<u8>,
}

/// A decoded frame.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decoded {
    pub layers: Vec<Layer>,
    /// `tcp`, `udp`, `icmp`, `icmpv6`, `arp`, or what the last layer was.
    pub proto: String,
    pub src: Option<IpAddr>,
    pub dst: Option<IpAddr>,
    pub sport: Option<u16>,
    pub dport: Option<u16>,
    /// The application protocol's one-line description (`DNS query A www.example.com`, ...).
    pub info: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<TcpFacts>,
    /// Why decoding stopped early: a truncated frame, or a malformed layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// Where the TCP payload sits in the frame (start, captured length), for reassembly.
    #[serde(skip)]
    pub tcp_payload: Option<(usize, usize)>,
    /// Where a UDP payload sits in the frame (start, captured length), for what follows a
    /// flow (QUIC after its Initial).
    #[serde(skip)]
    pub udp_payload: Option<(usize, usize)>,
}

/// Decodes one frame of link type `link`.
pub fn decode(link: Link, frame: &[u8]) -> Decoded {
    let mut d = decode_layers(link, frame);
    // The TCP payload's place in the frame (the parsers work on sub-slices of `frame`).
    // An empty payload's slice may point anywhere: only a place inside the frame is kept.
    let within = |(ptr, len): (usize, usize)| {
        let at = ptr.checked_sub(frame.as_ptr() as usize)?;
        (at.checked_add(len)? <= frame.len()).then_some((at, len))
    };
    d.tcp_payload = d.tcp_payload.and_then(within);
    d.udp_payload = d.udp_payload.and_then(within);
    d
}

fn decode_layers(link: Link, frame: &[u8]) -> Decoded {
    let mut d = Decoded::default();
    let (ethertype, rest) = match link {
        Link::Ethernet => match EthernetPacket::new(frame) {
            Some(e) => {
                let mut ethertype = e.get_ethertype().0;
                let mut at = 14;
                // 802.1Q VLAN tags: TPID 0x8100, then TCI, then the real type.
                while ethertype == 0x8100 && frame.len() >= at + 4 {
                    ethertype = u16::from_be_bytes([frame[at + 2], frame[at + 3]]);
                    at += 4;
                }
                d.layers.push(Layer::new(
                    "Ethernet",
                    vec![
                        ("src", e.get_source().to_string()),
                        ("dst", e.get_destination().to_string()),
                        ("type", format!("{ethertype:#06x}")),
                    ],
                ));
                (ethertype, &frame[at.min(frame.len())..])
            }
            None => return cut(d, "Ethernet header"),
        },
        Link::Null => {
            let Some(family) = frame.get(..4) else {
                return cut(d, "loopback header");
            };
            // Written in the capturing host's byte order: try both.
            let f = u32::from_le_bytes(family.try_into().expect("4"))
                .min(u32::from_be_bytes(family.try_into().expect("4")));
            d.layers.push(Layer::new("Loopback", vec![("family", f.to_string())]));
            let ethertype = match f {
                2 => 0x0800,
                24 | 28 | 30 => 0x86dd,
                _ => 0,
            };
            (ethertype, &frame[4..])
        }
        Link::Raw => match frame.first().map(|b| b >> 4) {
            Some(4) => (0x0800, frame),
            Some(6) => (0x86dd, frame),
            _ => return cut(d, "raw IP version"),
        },
        Link::Sll | Link::Sll2 => {
            let (len, proto_at) = if link == Link::Sll { (16, 14) } else { (20, 0) };
            let Some(h) = frame.get(..len) else {
                return cut(d, "Linux cooked header");
            };
            let ethertype = u16::from_be_bytes([h[proto_at], h[proto_at + 1]]);
            let pkttype = if link == Link::Sll {
                u16::from_be_bytes([h[0], h[1]])
            } else {
                u16::from(h[10])
            };
            let direction = match pkttype {
                0 => "to us",
                1 => "broadcast",
                2 => "multicast",
                3 => "to another host",
                4 => "sent by us",
                _ => "?",
            };
            d.layers.push(Layer::new(
                if link == Link::Sll {
                    "Linux cooked (SLL)"
                } else {
                    "Linux cooked (SLL2)"
                },
                vec![
                    ("packet type", direction.to_string()),
                    ("protocol", format!("{ethertype:#06x}")),
                ],
            ));
            (ethertype, &frame[len..])
        }
    };
    match ethertype {
        0x0800 => ipv4(rest, d),
        0x86dd => ipv6(rest, d),
        0x0806 => {
            d.proto = "arp".into();
            d.info = "ARP".into();
            d
        }
        t => {
            d.proto = format!("ethertype {t:#06x}");
            d
        }
    }
}

fn cut(mut d: Decoded, what: &str) -> Decoded {
    d.problem = Some(format!("truncated in the {what}"));
    d
}

fn ipv4(b: &[u8], mut d: Decoded) -> Decoded {
    let Some(ip) = Ipv4Packet::new(b) else {
        return cut(d, "IPv4 header");
    };
    let ihl = usize::from(ip.get_header_length()) * 4;
    if ihl < 20 || b.len() < ihl {
        return cut(d, "IPv4 header");
    }
    let total = usize::from(ip.get_total_length());
    let flags = ip.get_flags();
    let frag = ip.get_fragment_offset();
    d.src = Some(IpAddr::V4(ip.get_source()));
    d.dst = Some(IpAddr::V4(ip.get_destination()));
    d.layers.push(Layer::new(
        "IPv4",
        vec![
            ("src", ip.get_source().to_string()),
            ("dst", ip.get_destination().to_string()),
            ("ttl", ip.get_ttl().to_string()),
            ("protocol", protocol_name(ip.get_next_level_protocol().0)),
            ("total length", total.to_string()),
            ("id", format!("{:#06x}", ip.get_identification())),
            (
                "flags",
                format!(
                    "{}{}",
                    if flags & 2 != 0 { "DF " } else { "" },
                    if flags & 1 != 0 { "MF" } else { "" }
                )
                .trim()
                .to_string(),
            ),
            ("fragment offset", (usize::from(frag) * 8).to_string()),
        ],
    ));
    // The IP length, not the frame's (Ethernet pads short frames).
    let end = total.clamp(ihl, b.len());
    if total > b.len() {
        d.problem = Some(format!("truncated: IPv4 says {total} octets, {} captured", b.len()));
    }
    if frag > 0 {
        d.proto = "ipv4 fragment".into();
        d.info = format!("fragment at offset {}", usize::from(frag) * 8);
        return d;
    }
    transport(ip.get_next_level_protocol(), &b[ihl..end], total.saturating_sub(ihl), d)
}

/// An IP protocol number as Wireshark shows it: `UDP (17)` (IANA's protocol numbers).
fn protocol_name(n: u8) -> String {
    let name = match n {
        0 => "IPv6 Hop-by-Hop",
        1 => "ICMP",
        2 => "IGMP",
        4 => "IPIP",
        6 => "TCP",
        17 => "UDP",
        41 => "IPv6",
        43 => "IPv6 Routing",
        44 => "IPv6 Fragment",
        47 => "GRE",
        50 => "ESP",
        51 => "AH",
        58 => "ICMPv6",
        59 => "IPv6 No Next Header",
        60 => "IPv6 Destination Options",
        89 => "OSPF",
        132 => "SCTP",
        _ => return n.to_string(),
    };
    format!("{name} ({n})")
}

fn ipv6(b: &[u8], mut d: Decoded) -> Decoded {
    let Some(ip) = Ipv6Packet::new(b) else {
        return cut(d, "IPv6 header");
    };
    let payload_len = usize::from(ip.get_payload_length());
    d.src = Some(IpAddr::V6(ip.get_source()));
    d.dst = Some(IpAddr::V6(ip.get_destination()));
    let mut fields = vec![
        ("src", ip.get_source().to_string()),
        ("dst", ip.get_destination().to_string()),
        ("hop limit", ip.get_hop_limit().to_string()),
        ("payload length", payload_len.to_string()),
    ];
    let mut next = ip.get_next_header();
    let mut rest = &b[40.min(b.len())..];
    if payload_len > rest.len() {
        d.problem = Some(format!(
            "truncated: IPv6 says {payload_len} octets of payload, {} captured",
            rest.len()
        ));
    }
    rest = &rest[..payload_len.min(rest.len())];
    // Extension headers (RFC 8200 §4): next header, length in 8-octet units (fragment: fixed 8).
    let mut chain = Vec::new();
    for _ in 0..16 {
        let name = match next.0 {
            0 => "hop-by-hop options",
            43 => "routing",
            44 => "fragment",
            60 => "destination options",
            51 => "authentication",
            _ => break,
        };
        let (Some(&nh), Some(&len)) = (rest.first(), rest.get(1)) else {
            return cut(d, "IPv6 extension header");
        };
        let size = match next.0 {
            44 => 8,
            51 => (usize::from(len) + 2) * 4,
            _ => (usize::from(len) + 1) * 8,
        };
        if rest.len() < size {
            return cut(d, "IPv6 extension header");
        }
        if next.0 == 44 && u16::from_be_bytes([rest[2], rest[3]]) >> 3 != 0 {
            d.layers.push(Layer::new("IPv6", fields));
            d.proto = "ipv6 fragment".into();
            d.info = "non-first fragment".into();
            return d;
        }
        chain.push(name);
        next = IpNextHeaderProtocol(nh);
        rest = &rest[size..];
    }
    if !chain.is_empty() {
        fields.push(("extension headers", chain.join(", ")));
    }
    fields.push(("next header", protocol_name(next.0)));
    d.layers.push(Layer::new("IPv6", fields));
    // What IPv6 declares for the upper layer: its payload length less the extension headers.
    let declared = rest.len() + payload_len.saturating_sub(b.len().saturating_sub(40));
    transport(next, rest, declared, d)
}

/// The transport layer in `b` (what was captured of it); `declared` is its length as the IP
/// header says, which is more when the snap length cut the frame.
fn transport(proto: IpNextHeaderProtocol, b: &[u8], declared: usize, mut d: Decoded) -> Decoded {
    match proto {
        IpNextHeaderProtocols::Tcp => tcp(b, declared, d),
        IpNextHeaderProtocols::Udp => udp(b, d),
        IpNextHeaderProtocols::Icmp => {
            let Some(icmp) = IcmpPacket::new(b) else {
                return cut(d, "ICMP header");
            };
            let (t, c) = (icmp.get_icmp_type().0, icmp.get_icmp_code().0);
            let what = match t {
                0 => "echo reply".to_string(),
                3 => format!(
                    "destination unreachable ({})",
                    match c {
                        0 => "net",
                        1 => "host",
                        3 => "port",
                        4 => "fragmentation needed",
                        _ => "other",
                    }
                ),
                8 => "echo request".to_string(),
                11 => "time exceeded".to_string(),
                _ => format!("type {t} code {c}"),
            };
            d.layers.push(Layer::new(
                "ICMP",
                vec![
                    ("type", t.to_string()),
                    ("code", c.to_string()),
                    ("meaning", what.clone()),
                ],
            ));
            d.proto = "icmp".into();
            d.info = what;
            d
        }
        IpNextHeaderProtocols::Icmpv6 => {
            let Some(icmp) = Icmpv6Packet::new(b) else {
                return cut(d, "ICMPv6 header");
            };
            let t = icmp.get_icmpv6_type().0;
            let what = match t {
                1 => "destination unreachable",
                3 => "time exceeded",
                128 => "echo request",
                129 => "echo reply",
                133 => "router solicitation",
                134 => "router advertisement",
                135 => "neighbor solicitation",
                136 => "neighbor advertisement",
                _ => "other",
            };
            d.layers.push(Layer::new(
                "ICMPv6",
                vec![("type", t.to_string()), ("meaning", what.to_string())],
            ));
            d.proto = "icmpv6".into();
            d.info = what.into();
            d
        }
        other => {
            d.proto = other.to_string().to_lowercase();
            d
        }
    }
}

fn udp(b: &[u8], mut d: Decoded) -> Decoded {
    let Some(u) = UdpPacket::new(b) else {
        return cut(d, "UDP header");
    };
    let (sport, dport) = (u.get_source(), u.get_destination());
    d.sport = Some(sport);
    d.dport = Some(dport);
    d.proto = "udp".into();
    let payload = u.payload();
    // Its address for now; `decode` turns it into an offset in the frame.
    d.udp_payload = Some((payload.as_ptr() as usize, payload.len()));
    d.layers.push(Layer::new(
        "UDP",
        vec![
            ("src port", sport.to_string()),
            ("dst port", dport.to_string()),
            ("length", u.get_length().to_string()),
        ],
    ));
    let ports = [sport, dport];
    // By port, or by looks on other ports (the sandbox's servers use ephemeral ones): a QUIC v1
    // long header, or a DNS header with one question.
    let quic_v1 = payload.len() > 20 && payload[0] & 0xc0 == 0xc0 && payload[1..5] == [0, 0, 0, 1];
    let dns_like = payload.len() >= 17 && payload[4..6] == [0, 1] && payload[2] & 0x78 == 0;
    if ports.contains(&53) || ports.contains(&5353) {
        d.info = super::apps::dns(payload, &mut d.layers);
    } else if quic_v1
        || (payload.first().is_some_and(|b| b & 0x80 != 0) && (ports.contains(&443) || ports.contains(&4433)))
    {
        d.info = super::apps::quic(payload, &mut d.layers);
    } else if let Some(info) = dns_like
        .then(|| super::apps::dns_by_looks(payload, &mut d.layers))
        .flatten()
    {
        d.info = info;
    } else {
        // The header's length, as tcpdump prints it, even when the capture kept less.
        let length = usize::from(u.get_length()).saturating_sub(8).max(payload.len());
        d.info = format!("UDP, length {length}");
    }
    d
}

fn tcp(b: &[u8], declared: usize, mut d: Decoded) -> Decoded {
    let Some(t) = TcpPacket::new(b) else {
        return cut(d, "TCP header");
    };
    let offset = usize::from(t.get_data_offset()) * 4;
    if offset < 20 || b.len() < offset {
        return cut(d, "TCP header");
    }
    let flags = t.get_flags();
    let payload = &b[offset..];
    // Its address for now; `decode` turns it into an offset in the frame.
    d.tcp_payload = Some((payload.as_ptr() as usize, payload.len()));
    d.sport = Some(t.get_source());
    d.dport = Some(t.get_destination());
    d.proto = "tcp".into();
    let mut options = Vec::new();
    let mut wscale = None;
    for o in t.get_options_iter() {
        let p = o.payload();
        let n = o.get_number();
        options.push(match n {
            TcpOptionNumbers::MSS if p.len() == 2 => format!("mss {}", u16::from_be_bytes([p[0], p[1]])),
            TcpOptionNumbers::WSCALE if p.len() == 1 => {
                wscale = Some(p[0]);
                format!("wscale {}", p[0])
            }
            TcpOptionNumbers::SACK_PERMITTED => "sack_perm".into(),
            TcpOptionNumbers::SACK => {
                let blocks: Vec<String> = p
                    .chunks_exact(8)
                    .map(|c| {
                        format!(
                            "{}-{}",
                            u32::from_be_bytes([c[0], c[1], c[2], c[3]]),
                            u32::from_be_bytes([c[4], c[5], c[6], c[7]])
                        )
                    })
                    .collect();
                format!("sack {}", blocks.join(","))
            }
            TcpOptionNumbers::TIMESTAMPS if p.len() == 8 => format!(
                "ts {} ecr {}",
                u32::from_be_bytes([p[0], p[1], p[2], p[3]]),
                u32::from_be_bytes([p[4], p[5], p[6], p[7]])
            ),
            TcpOptionNumbers::NOP => continue,
            TcpOptionNumbers::EOL => break,
            other => format!("option {}", other.0),
        });
    }
    d.tcp = Some(TcpFacts {
        flags,
        seq: t.get_sequence(),
        ack: t.get_acknowledgement(),
        window: t.get_window(),
        // The segment's real length, even when the capture kept less of it.
        payload_len: declared.saturating_sub(offset).max(payload.len()),
        wscale,
    });
    d.layers.push(Layer::new(
        "TCP",
        vec![
            ("src port", t.get_source().to_string()),
            ("dst port", t.get_destination().to_string()),
            ("flags", flag_names(flags)),
            ("seq", t.get_sequence().to_string()),
            ("ack", t.get_acknowledgement().to_string()),
            ("window", t.get_window().to_string()),
            ("options", options.join(", ")),
            ("payload", payload.len().to_string()),
        ],
    ));
    let real = declared.saturating_sub(offset);
    // BGP speakers listen on port 179 (RFC 4271 §2): a segment from or to it carries BGP messages.
    let data: fn(&[u8], &mut Vec<Layer>) -> String = if t.get_source() == 179 || t.get_destination() == 179 {
        super::bgp::decode
    } else {
        super::apps::over_tcp
    };
    d.info = if payload.is_empty() {
        String::new()
    } else if real > payload.len() {
        // The capture (or the link's log) kept only the start: say so rather than decode a
        // fragment as if it were the whole segment.
        let start = data(payload, &mut d.layers);
        format!("{start} (first {} of {real} octets captured)", payload.len())
    } else {
        data(payload, &mut d.layers)
    };
    d
}

/// TCP flags as names, e.g. `SYN ACK`.
pub fn flag_names(f: u8) -> String {
    let names = [
        (0x02, "SYN"),
        (0x10, "ACK"),
        (0x08, "PSH"),
        (0x01, "FIN"),
        (0x04, "RST"),
        (0x20, "URG"),
        (0x40, "ECE"),
        (0x80, "CWR"),
    ];
    let v: Vec<&str> = names.iter().filter(|(b, _)| f & b != 0).map(|(_, n)| *n).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IPv4 header (no options) around `payload` of protocol `proto`.
    fn ipv4(proto: u8, payload: &[u8]) -> Vec<u8> {
        let total = (20 + payload.len()) as u16;
        let mut v = vec![
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            1,
            0x40,
            0,
            64,
            proto,
            0,
            0,
            10,
            0,
            0,
            1,
            192,
            0,
            2,
            53,
        ];
        v.extend_from_slice(payload);
        v
    }

    fn udp(sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
        let len = (8 + data.len()) as u16;
        let mut v = [sport.to_be_bytes(), dport.to_be_bytes(), len.to_be_bytes(), [0, 0]].concat();
        v.extend_from_slice(data);
        v
    }

    /// A DNS query for `A example.com` with id 0x1234.
    fn query() -> Vec<u8> {
        let mut v = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        v.extend_from_slice(b"\x07example\x03com\x00\x00\x01\x00\x01");
        v
    }

    #[test]
    fn every_link_type_leads_to_the_same_dns_query() {
        let ip = ipv4(17, &udp(40000, 53, &query()));
        let mut ethernet = vec![0u8; 12];
        ethernet.extend_from_slice(&[0x08, 0x00]);
        ethernet.extend_from_slice(&ip);
        let mut vlan = vec![0u8; 12];
        vlan.extend_from_slice(&[0x81, 0x00, 0x00, 0x05, 0x08, 0x00]);
        vlan.extend_from_slice(&ip);
        let mut null = 2u32.to_le_bytes().to_vec();
        null.extend_from_slice(&ip);
        let mut sll = vec![0, 4, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00];
        sll.extend_from_slice(&ip);
        let mut sll2 = vec![0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 4, 6, 0, 0, 0, 0, 0, 0, 0, 0];
        sll2.extend_from_slice(&ip);
        for (link, frame) in [
            (Link::Ethernet, ethernet),
            (Link::Ethernet, vlan),
            (Link::Null, null),
            (Link::Raw, ip.clone()),
            (Link::Sll, sll),
            (Link::Sll2, sll2),
        ] {
            let d = decode(link, &frame);
            assert_eq!(d.info, "DNS query 0x1234 A example.com.", "{link:?}: {d:?}");
            assert_eq!((d.sport, d.dport), (Some(40000), Some(53)));
            assert_eq!(d.problem, None);
        }
        assert_eq!(Link::from_linktype(276), Some(Link::Sll2));
        assert_eq!(Link::from_linktype(147), None);
    }

    #[test]
    fn ipv6_extension_headers_icmp_and_cut_frames() {
        // IPv6 with a hop-by-hop options header (8 octets) before UDP.
        let inner = udp(5353, 5353, &query());
        let mut v6 = vec![0x60, 0, 0, 0];
        v6.extend_from_slice(&((8 + inner.len()) as u16).to_be_bytes());
        v6.extend_from_slice(&[0, 64]);
        v6.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        v6.extend_from_slice(&[0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfb]);
        v6.extend_from_slice(&[17, 0, 1, 4, 0, 0, 0, 0]);
        v6.extend_from_slice(&inner);
        let d = decode(Link::Raw, &v6);
        let fields = &d.layers[0].fields;
        assert!(
            fields.contains(&("extension headers".into(), "hop-by-hop options".into())),
            "{fields:?}"
        );
        assert!(d.info.starts_with("DNS query"), "{d:?}");
        // ICMP echo request.
        let d = decode(Link::Raw, &ipv4(1, &[8, 0, 0, 0, 0, 1, 0, 1]));
        assert_eq!((d.proto.as_str(), d.info.as_str()), ("icmp", "echo request"));
        // Cut by the snap length: decoded as far as it goes, and said so.
        let whole = ipv4(17, &udp(40000, 53, &query()));
        let d = decode(Link::Raw, &whole[..30]);
        assert!(
            d.problem.unwrap().contains("truncated"),
            "IPv4 says more than was captured"
        );
        for cut in 0..whole.len() {
            let _ = decode(Link::Raw, &whole[..cut]);
        }
    }

    #[test]
    fn tcp_options_and_http_lines() {
        let mut seg = vec![
            0x9c, 0x40, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0xa0, 0x02, 0xff, 0xff, 0, 0, 0, 0,
        ];
        seg.extend_from_slice(&[2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 9, 0, 0, 0, 0, 1, 3, 3, 7]);
        let d = decode(Link::Raw, &ipv4(6, &seg));
        let tcp = d.layers.iter().find(|l| l.name == "TCP").unwrap();
        let options = &tcp.fields.iter().find(|(k, _)| k == "options").unwrap().1;
        assert_eq!(options, "mss 1460, sack_perm, ts 9 ecr 0, wscale 7");
        assert_eq!(flag_names(d.tcp.unwrap().flags), "SYN");
        let mut get = vec![
            0x9c, 0x40, 0x00, 0x50, 0, 0, 0, 2, 0, 0, 0, 1, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0,
        ];
        get.extend_from_slice(b"GET /index.html HTTP/1.1\r\nhost: x\r\n\r\n");
        let d = decode(Link::Raw, &ipv4(6, &get));
        assert_eq!(d.info, "GET /index.html HTTP/1.1");
        assert_eq!(d.tcp.unwrap().payload_len, 37);
    }
}
