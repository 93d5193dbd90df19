//! What a lost packet carried. The link sees only IP packets, and their payload is encrypted;
//! the engine at the client's end holds the keys, so it tells the link what its connection's
//! bytes were ([`Carriage`]), and the link names what each dropped packet held: which HTTP/2
//! frames on which streams (from the TCP sequence numbers, through the TLS records), or which
//! QUIC STREAM frames (by opening the packet itself with the server's 1-RTT secret).
//!
//! Pure code over the link's records: any input gives an answer or nothing.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use crate::packet::onertt::{self, OneRttKeys};
use crate::packet::quic::parse_long_header;

/// What one connection's bytes were, as the engine that holds its keys knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Carriage {
    /// A TCP connection: the server-to-client byte stream (offset 0 is the octet after the
    /// SYN-ACK's sequence number), laid out in spans.
    Tcp {
        server: SocketAddr,
        client: SocketAddr,
        spans: Vec<Span>,
    },
    /// A QUIC connection (`client` may name an unspecified address: the socket's port is then
    /// what tells its packets apart): the secret of the server's 1-RTT packets (TLS 1.3's
    /// server_application_traffic_secret_0, RFC 9001 §5.1), to open the ones the link dropped.
    Quic {
        server: SocketAddr,
        client: SocketAddr,
        secret: Vec<u8>,
    },
}

/// Octets `start..end` of a byte stream held `what`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub start: u64,
    pub end: u64,
    pub what: Piece,
}

/// A kind of content: a frame type, and the stream it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Piece {
    /// `HTTP/2 DATA`, `HTTP/2 HEADERS`, `TLS handshake`, `QUIC STREAM`, `QUIC ACK`, ...
    pub what: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<u64>,
}

/// How much of one kind of content a packet carried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carried {
    #[serde(flatten)]
    pub piece: Piece,
    /// Octets of it (of the frame's payload, for QUIC STREAM and CRYPTO; 0 for frames that
    /// carry no data).
    pub bytes: u64,
}

/// The part of a packet the link kept, with what it knows of it.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'p> {
    /// Its first octets from the IP header on (all of it when it was dropped).
    pub bytes: &'p [u8],
    /// Its IP length.
    pub len: usize,
    pub dropped: bool,
}

/// For each packet, what it carried, where a carriage says so: the dropped packets only (the
/// ones whose loss is the lesson). `packets` in arrival order.
pub fn name_dropped(packets: &[Seen<'_>], carriages: &[Carriage]) -> Vec<Vec<Carried>> {
    let mut out = vec![Vec::new(); packets.len()];
    let addressed: Vec<Option<Addressed>> = packets.iter().map(|p| Addressed::of(p.bytes)).collect();
    for carriage in carriages {
        match carriage {
            Carriage::Tcp { server, client, spans } => {
                tcp_flow(packets, &addressed, (*server, *client), spans, &mut out)
            }
            Carriage::Quic { server, client, secret } => {
                quic_flow(packets, &addressed, (*server, *client), secret, &mut out)
            }
        }
    }
    out
}

/// The addresses and transport header of a packet, as far as the kept octets go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Addressed {
    src: SocketAddr,
    dst: SocketAddr,
    transport: Transport,
    /// Where the transport's payload starts in the packet.
    payload_at: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Tcp { seq: u32, syn_ack: bool },
    Udp,
}

impl Addressed {
    /// Reads an IPv4 or IPv6 header (no extension headers) and a TCP or UDP header.
    fn of(p: &[u8]) -> Option<Addressed> {
        let (src, dst, proto, at) = match p.first()? >> 4 {
            4 => {
                let ihl = usize::from(p[0] & 0x0f) * 4;
                let a: [u8; 4] = p.get(12..16)?.try_into().ok()?;
                let b: [u8; 4] = p.get(16..20)?.try_into().ok()?;
                (std::net::IpAddr::from(a), std::net::IpAddr::from(b), *p.get(9)?, ihl)
            }
            6 => {
                let a: [u8; 16] = p.get(8..24)?.try_into().ok()?;
                let b: [u8; 16] = p.get(24..40)?.try_into().ok()?;
                (std::net::IpAddr::from(a), std::net::IpAddr::from(b), *p.get(6)?, 40)
            }
            _ => return None,
        };
        let t = p.get(at..)?;
        let port = |i: usize| Some(u16::from_be_bytes([*t.get(i)?, *t.get(i + 1)?]));
        let (sport, dport) = (port(0)?, port(2)?);
        let (transport, payload_at) = match proto {
            6 => {
                let seq = u32::from_be_bytes(t.get(4..8)?.try_into().ok()?);
                let flags = *t.get(13)?;
                let data_offset = usize::from(t.get(12)? >> 4) * 4;
                let syn_ack = flags & 0x12 == 0x12;
                (Transport::Tcp { seq, syn_ack }, at + data_offset)
            }
            17 => (Transport::Udp, at + 8),
            _ => return None,
        };
        Some(Addressed {
            src: SocketAddr::new(src, sport),
            dst: SocketAddr::new(dst, dport),
            transport,
            payload_at,
        })
    }
}

/// A TCP connection's dropped server segments, named from the spans: the segment's sequence
/// number less the SYN-ACK's (and the one the SYN itself takes) is its offset in the stream.
fn tcp_flow(
    packets: &[Seen<'_>],
    addressed: &[Option<Addressed>],
    (server, client): (SocketAddr, SocketAddr),
    spans: &[Span],
    out: &mut [Vec<Carried>],
) {
    let from_server = |a: &Addressed| a.src == server && a.dst == client;
    let mut isn = None;
    for (i, (p, a)) in packets.iter().zip(addressed).enumerate() {
        let Some(a) = a.filter(from_server) else { continue };
        let Transport::Tcp { seq, syn_ack } = a.transport else {
            continue;
        };
        if syn_ack {
            isn = Some(seq);
            continue;
        }
        let (Some(isn), true) = (isn, p.dropped) else { continue };
        // The IP length says how much payload there was, whatever the link kept of it.
        let payload = p.len.saturating_sub(a.payload_at) as u64;
        if payload == 0 {
            continue;
        }
        let start = u64::from(seq.wrapping_sub(isn).wrapping_sub(1));
        out[i] = overlapping(spans, start, start + payload);
    }
}

/// How many octets of each piece the range `start..end` holds, in stream order.
pub fn overlapping(spans: &[Span], start: u64, end: u64) -> Vec<Carried> {
    let mut out: Vec<Carried> = Vec::new();
    for s in spans.iter().filter(|s| s.start < end && start < s.end) {
        let bytes = s.end.min(end) - s.start.max(start);
        match out.iter_mut().find(|c| c.piece == s.what) {
            Some(c) => c.bytes += bytes,
            None => out.push(Carried {
                piece: s.what.clone(),
                bytes,
            }),
        }
    }
    out
}

/// TLS 1.3 suites QUIC can run, by the length of their secret (RFC 9001 §5.3): SHA-384's
/// AES-256-GCM, or SHA-256's AES-128-GCM and ChaCha20-Poly1305.
fn suites_for(secret: &[u8]) -> &'static [u16] {
    if secret.len() == 48 {
        &[0x1302]
    } else {
        &[0x1301, 0x1303]
    }
}

/// A QUIC connection's dropped server packets, opened. Every server packet's header is
/// unprotected in turn (the sample lies within the octets kept), so each packet number can be
/// rebuilt from the one before it; the dropped ones, kept whole, are decrypted.
fn quic_flow(
    packets: &[Seen<'_>],
    addressed: &[Option<Addressed>],
    (server, client): (SocketAddr, SocketAddr),
    secret: &[u8],
    out: &mut [Vec<Carried>],
) {
    let is_client =
        |end: SocketAddr| end.port() == client.port() && (client.ip().is_unspecified() || end.ip() == client.ip());
    // The server's 1-RTT packets carry the client's connection ID, which the client's first
    // Initial names as its Source Connection ID.
    let Some(dcid_len) = packets.iter().zip(addressed).find_map(|(p, a)| {
        let a = a.filter(|a| is_client(a.src) && a.dst == server && a.transport == Transport::Udp)?;
        let h = parse_long_header(p.bytes.get(a.payload_at..)?).ok()?;
        Some(h.scid.len() / 2)
    }) else {
        return;
    };
    let server_packets: Vec<(usize, &[u8])> = packets
        .iter()
        .zip(addressed)
        .enumerate()
        .filter_map(|(i, (p, a))| {
            let a = a.filter(|a| a.src == server && is_client(a.dst) && a.transport == Transport::Udp)?;
            Some((i, short_packet(p.bytes.get(a.payload_at..)?)?))
        })
        .collect();
    for &suite in suites_for(secret) {
        let Some(keys) = OneRttKeys::derive(suite, secret) else {
            continue;
        };
        let opened = open_dropped(packets, &server_packets, dcid_len, &keys);
        if !opened.is_empty() {
            for (i, carried) in opened {
                out[i] = carried;
            }
            return;
        }
    }
}

/// The 1-RTT packet of a datagram: past any coalesced long-header packets (RFC 9000 §12.2).
fn short_packet(mut datagram: &[u8]) -> Option<&[u8]> {
    for _ in 0..4 {
        if datagram.first()? & 0x80 == 0 {
            return Some(datagram);
        }
        let h = parse_long_header(datagram).ok()?;
        datagram = datagram.get(h.packet_len..)?;
    }
    None
}

/// The dropped packets among `server_packets` that `keys` open, with what they carried; empty
/// when none opens (the wrong suite, or nothing dropped).
fn open_dropped(
    packets: &[Seen<'_>],
    server_packets: &[(usize, &[u8])],
    dcid_len: usize,
    keys: &OneRttKeys,
) -> Vec<(usize, Vec<Carried>)> {
    let mut largest = None;
    let mut opened = Vec::new();
    for &(i, bytes) in server_packets {
        let Ok(header) = onertt::unprotect(bytes, dcid_len, keys) else {
            continue;
        };
        let pn = onertt::decode_packet_number(largest, header.truncated_pn, header.pn_len);
        largest = Some(largest.map_or(pn, |l: u64| l.max(pn)));
        if !packets[i].dropped {
            continue;
        }
        let Ok(payload) = onertt::open(bytes, &header, pn, keys) else {
            continue;
        };
        let carried = onertt::frames(&payload)
            .into_iter()
            .filter(|f| f.name != "PADDING")
            .fold(Vec::<Carried>::new(), |mut acc, f| {
                let piece = Piece {
                    what: format!("QUIC {}", f.name),
                    stream: f.stream,
                };
                let bytes = if matches!(f.name.as_str(), "STREAM" | "CRYPTO") {
                    f.len
                } else {
                    0
                };
                match acc.iter_mut().find(|c| c.piece == piece) {
                    Some(c) => c.bytes += bytes,
                    None => acc.push(Carried { piece, bytes }),
                }
                acc
            });
        opened.push((i, carried));
    }
    opened
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(what: &str, stream: Option<u64>) -> Piece {
        Piece {
            what: what.into(),
            stream,
        }
    }

    fn span(start: u64, end: u64, what: &str, stream: Option<u64>) -> Span {
        Span {
            start,
            end,
            what: piece(what, stream),
        }
    }

    #[test]
    fn a_range_counts_the_octets_of_each_piece_it_overlaps() {
        let spans = [
            span(0, 100, "HTTP/2 DATA", Some(1)),
            span(105, 200, "HTTP/2 DATA", Some(3)),
            span(200, 300, "HTTP/2 DATA", Some(1)),
        ];
        let got = overlapping(&spans, 50, 250);
        assert_eq!(
            got,
            [
                Carried {
                    piece: piece("HTTP/2 DATA", Some(1)),
                    bytes: 50 + 50
                },
                Carried {
                    piece: piece("HTTP/2 DATA", Some(3)),
                    bytes: 95
                },
            ]
        );
        assert!(overlapping(&spans, 100, 105).is_empty());
    }

    /// An IPv4 + TCP packet from `src` to `dst` with `seq`, `flags` and `payload` octets.
    fn tcp(src: &str, dst: &str, seq: u32, flags: u8, payload: usize) -> Vec<u8> {
        let (s, d): (SocketAddr, SocketAddr) = (src.parse().unwrap(), dst.parse().unwrap());
        let (std::net::IpAddr::V4(sa), std::net::IpAddr::V4(da)) = (s.ip(), d.ip()) else {
            panic!("v4 only")
        };
        let mut p = vec![0x45, 0, 0, 0, 0, 0, 0, 0, 64, 6, 0, 0];
        p.extend(sa.octets());
        p.extend(da.octets());
        p.extend(s.port().to_be_bytes());
        p.extend(d.port().to_be_bytes());
        p.extend(seq.to_be_bytes());
        p.extend([0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        p.resize(40 + payload, 0xaa);
        p
    }

    #[test]
    fn a_dropped_segment_is_placed_by_its_sequence_number_after_the_syn_ack() {
        let (server, client) = ("192.0.2.80:443", "100.64.0.2:40000");
        let syn_ack = tcp(server, client, 1000, 0x12, 0);
        let first = tcp(server, client, 1001, 0x10, 100);
        let lost = tcp(server, client, 1101, 0x10, 100);
        let other_flow = tcp(server, "100.64.0.2:40001", 1101, 0x10, 100);
        let seen = |b: &'static [u8], dropped| Seen {
            bytes: b,
            len: b.len(),
            dropped,
        };
        let (syn_ack, first, lost, other_flow) = (
            syn_ack.leak() as &[u8],
            first.leak() as &[u8],
            lost.leak() as &[u8],
            other_flow.leak() as &[u8],
        );
        let packets = [
            seen(syn_ack, false),
            seen(first, false),
            seen(lost, true),
            seen(other_flow, true),
        ];
        let carriage = Carriage::Tcp {
            server: server.parse().unwrap(),
            client: client.parse().unwrap(),
            spans: vec![
                span(0, 150, "HTTP/2 DATA", Some(1)),
                span(150, 200, "HTTP/2 DATA", Some(3)),
            ],
        };
        let named = name_dropped(&packets, &[carriage]);
        assert!(named[0].is_empty() && named[1].is_empty());
        assert_eq!(
            named[2],
            [
                Carried {
                    piece: piece("HTTP/2 DATA", Some(1)),
                    bytes: 50
                },
                Carried {
                    piece: piece("HTTP/2 DATA", Some(3)),
                    bytes: 50
                },
            ]
        );
        // Another connection's packet is not this one's to name.
        assert!(named[3].is_empty());
    }

    #[test]
    fn a_datagram_s_short_packet_follows_its_coalesced_long_ones() {
        // A Handshake packet (type 0b10) with empty CIDs and Length 2, then a short header.
        let datagram = [0xe0, 0, 0, 0, 1, 0, 0, 0x02, 0x11, 0x22, 0x40, 0x33];
        assert_eq!(short_packet(&datagram), Some(&[0x40, 0x33][..]));
        assert_eq!(short_packet(&[0x41, 1, 2]), Some(&[0x41, 1, 2][..]));
        assert_eq!(short_packet(&[]), None);
    }
}
