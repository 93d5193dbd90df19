//! QUIC connections in a capture, followed from their first Initial and opened packet by packet.
//!
//! Only long headers carry a version, and a QUIC v1 endpoint may even clear the fixed bit
//! (RFC 9287, which quinn does), so a datagram after the Initials cannot be told from any UDP by
//! its looks alone. Once a client's Initial has named the two ends, every later datagram between
//! them is QUIC, and each of its packets (several may be coalesced in one datagram, RFC 9000
//! §12.2) is opened with the keys of its packet-number space (RFC 9000 §12.3, RFC 9001 §4):
//!
//! - Initial packets, both ways, with keys anyone derives from the client's first Destination
//!   Connection ID (RFC 9001 §5.2): the server's Initial carries the ServerHello and its cipher
//!   suite, the client's the ClientHello and its random;
//! - Handshake, 0-RTT and 1-RTT packets with the TLS secrets of that suite, which only the two
//!   ends have: with `--keylog`, the NSS key log's `CLIENT_HANDSHAKE_TRAFFIC_SECRET` and
//!   `SERVER_HANDSHAKE_TRAFFIC_SECRET`, `CLIENT_EARLY_TRAFFIC_SECRET`, `CLIENT_TRAFFIC_SECRET_0`
//!   and `SERVER_TRAFFIC_SECRET_0`, found by the ClientHello's random (RFC 9001 §5.1).
//!
//! Packet numbers are sent truncated and rebuilt from the largest one seen in the same space
//! and direction (RFC 9000 §17.1), so the state is kept per connection, direction and space.
//! The CRYPTO frames of each space and direction are put back in order
//! ([`super::quiccrypto`]), so each TLS handshake message is named in the packet that
//! completes it. Bounded: at most [`MAX_FLOWS`] connections, each with a few counters and its
//! CRYPTO streams' incomplete messages.

use std::collections::HashMap;
use std::net::SocketAddr;

use super::layer::Layer;
use super::layers::Decoded;
use super::onertt::{self, Frame, OneRttKeys};
use super::quic::{self, LongHeader};
use super::quiccrypto::CryptoStream;
use super::tlsflows::KeyLog;
use crate::hex;

/// Most QUIC connections followed in one capture.
const MAX_FLOWS: usize = 4096;
/// Most packets read from one datagram.
const MAX_COALESCED: usize = 8;
/// Most frames named in a frame's one-line summary (all are in its layer).
const MAX_BRIEF: usize = 8;
/// The TLS 1.3 suites a QUIC connection may use, tried in this order when the ServerHello
/// was not seen (RFC 9001 §5.3).
const SUITES: [u16; 3] = [0x1301, 0x1303, 0x1302];

/// The QUIC connections seen so far, by (client, server).
#[derive(Debug, Default)]
pub struct QuicFlows {
    conns: HashMap<(SocketAddr, SocketAddr), Conn>,
}

/// Which way a packet goes: index 0 client to server, 1 server to client.
type Dir = usize;
const TO_SERVER: Dir = 0;

/// A packet-number space (RFC 9000 §12.3): 0-RTT and 1-RTT share the application one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Space {
    Initial = 0,
    Handshake = 1,
    Application = 2,
}

/// What netlab knows of one connection.
#[derive(Debug)]
struct Conn {
    /// The client's first Destination Connection ID (or the one a Retry gave it): both sides'
    /// Initial keys come from it.
    original_dcid: Vec<u8>,
    /// The length of the connection IDs packets to each end carry (the one it chose as its
    /// Source Connection ID), by [`Dir`] of the packets it sends.
    cid_len: [Option<usize>; 2],
    /// The CRYPTO streams, by direction and space.
    crypto: [[CryptoStream; 3]; 2],
    /// The ClientHello's random: it names the connection's secrets in a key log.
    client_random: Option<Vec<u8>>,
    /// The cipher suite the ServerHello chose.
    suite: Option<u16>,
    /// The largest packet number opened, by direction and space.
    largest: [[Option<u64>; 3]; 2],
}

/// One packet of a datagram, described.
struct Described {
    layer: Layer,
    info: String,
}

impl QuicFlows {
    /// Describes a UDP datagram of a QUIC connection, packet by packet, replacing what the
    /// stateless decoders said; a client's first Initial starts following a connection.
    /// `frame` is the whole captured frame.
    pub fn see(&mut self, d: &mut Decoded, frame: &[u8], keylog: Option<&KeyLog>) {
        let (Some(src), Some(dst), Some(sp), Some(dp)) = (d.src, d.dst, d.sport, d.dport) else {
            return;
        };
        let Some(payload) = d.udp_payload.and_then(|(at, len)| frame.get(at..at + len)) else {
            return;
        };
        let (from, to) = (SocketAddr::new(src, sp), SocketAddr::new(dst, dp));
        let (key, dir) = if self.conns.contains_key(&(from, to)) {
            ((from, to), TO_SERVER)
        } else if self.conns.contains_key(&(to, from)) {
            ((to, from), 1)
        } else {
            match Conn::starting(payload) {
                Some(conn) if self.conns.len() < MAX_FLOWS => {
                    self.conns.insert((from, to), conn);
                    ((from, to), TO_SERVER)
                }
                _ => return,
            }
        };
        let Some(conn) = self.conns.get_mut(&key) else {
            return;
        };
        let packets = conn.datagram(payload, dir, keylog);
        if packets.is_empty() {
            return;
        }
        d.layers.retain(|l| l.name != "QUIC");
        let infos: Vec<String> = packets.iter().map(|p| p.info.clone()).collect();
        d.layers.extend(packets.into_iter().map(|p| p.layer));
        d.info = format!("QUIC {}", infos.join("; "));
    }
}

impl Conn {
    /// A connection, when `payload` begins with a client's Initial: QUIC v1, and it opens with
    /// the Initial keys of its own DCID.
    fn starting(payload: &[u8]) -> Option<Conn> {
        let h = quic::parse_long_header(payload).ok()?;
        let packet = payload.get(..h.packet_len)?;
        quic::open_initial(packet, None, true).ok()?;
        Some(Conn {
            original_dcid: hex::decode(&h.dcid)?,
            cid_len: [None; 2],
            crypto: Default::default(),
            client_random: None,
            suite: None,
            largest: [[None; 3]; 2],
        })
    }

    /// Each packet of a datagram going `dir`: long headers one after the other, then a short
    /// header, which runs to the datagram's end.
    fn datagram(&mut self, mut rest: &[u8], dir: Dir, keylog: Option<&KeyLog>) -> Vec<Described> {
        let mut out = Vec::new();
        while !rest.is_empty() && out.len() < MAX_COALESCED {
            if rest[0] & 0x80 == 0 {
                out.push(self.short(rest, dir, keylog));
                break;
            }
            let h = match quic::parse_long_header(rest) {
                Ok(h) => h,
                Err(e) => {
                    out.push(Described {
                        layer: Layer::new("QUIC", vec![("problem", e.to_string())]),
                        info: format!("? {e}"),
                    });
                    break;
                }
            };
            let len = h.packet_len.max(1);
            out.push(self.long(&rest[..len.min(rest.len())], &h, dir, keylog));
            rest = rest.get(len..).unwrap_or_default();
        }
        out
    }

    /// A long-header packet: Initial, 0-RTT, Handshake (opened), Retry or Version Negotiation.
    fn long(&mut self, packet: &[u8], h: &LongHeader, dir: Dir, keylog: Option<&KeyLog>) -> Described {
        let mut fields = vec![
            ("version", format!("{:#010x}", h.version)),
            ("type", h.packet_type.clone()),
            ("dcid", h.dcid.clone()),
            ("scid", h.scid.clone()),
        ];
        let head = format!("{} DCID {} SCID {}", h.packet_type, h.dcid, h.scid);
        if h.version == 1 && h.scid.len() <= 40 {
            self.cid_len[dir] = Some(h.scid.len() / 2);
        }
        if h.version == 1 && h.packet_type == "Retry" && dir != TO_SERVER {
            // The client's next Initials go to the Retry's SCID, and both sides' Initial keys
            // are derived from it from then on (RFC 9000 §17.2.5.2, RFC 9001 §5.2).
            if let Some(scid) = hex::decode(&h.scid) {
                self.original_dcid = scid;
            }
        }
        let space = match (h.version, h.packet_type.as_str()) {
            (1, "Initial") => Space::Initial,
            (1, "Handshake") => Space::Handshake,
            (1, "0-RTT") => Space::Application,
            // Retry and Version Negotiation carry no frames; other versions, other keys.
            _ => {
                return Described {
                    layer: Layer::new("QUIC", fields),
                    info: head,
                }
            }
        };
        let first_initial = space == Space::Initial && self.largest[dir][0].is_none();
        let label = match (space, dir) {
            (Space::Initial, _) => None,
            (Space::Handshake, TO_SERVER) => Some("CLIENT_HANDSHAKE_TRAFFIC_SECRET"),
            (Space::Handshake, _) => Some("SERVER_HANDSHAKE_TRAFFIC_SECRET"),
            (_, _) => Some("CLIENT_EARLY_TRAFFIC_SECRET"),
        };
        let opened = match label {
            None => {
                let secret = quic::initial_keys(&self.original_dcid, dir == TO_SERVER).secret;
                // Initial packets are always AES-128-GCM with SHA-256 (RFC 9001 §5.2).
                OneRttKeys::derive(0x1301, &secret)
                    .and_then(|k| self.open(packet, Some(h.pn_offset), dir, space, &[k]))
                    .ok_or(Protected::InitialWontOpen)
            }
            Some(label) => self.keys(label, keylog).and_then(|keys| {
                self.open(packet, Some(h.pn_offset), dir, space, &keys)
                    .ok_or(Protected::WontOpen(label))
            }),
        };
        let (pn, payload) = match opened {
            Ok(o) => o,
            Err(why) => {
                let size = packet.len().saturating_sub(h.pn_offset);
                fields.push(("protected", why.to_string()));
                return Described {
                    layer: Layer::new("QUIC", fields),
                    info: format!("{head}, {size} octets protected ({why})"),
                };
            }
        };
        fields.push(("packet number", pn.to_string()));
        let frames = onertt::frames(&payload);
        let (hello, names) = self.messages(&payload, &frames, dir, space);
        let tls = tls_suffix(&names);
        let info = match hello {
            Some(hello) => format!("{head}, {hello}, PKN {pn}: {}{tls}", briefs(&frames)),
            None => format!("{head} PKN {pn}: {}{tls}", briefs(&frames)),
        };
        // The first Initial each way: how its keys came from the client's DCID, shown with -v.
        if first_initial {
            if let Ok(taught) = quic::open_initial(packet, Some(&self.original_dcid), dir == TO_SERVER) {
                fields.extend(taught.steps.into_iter().map(|s| ("decryption", s)));
            }
        }
        fields.extend(frames.iter().map(|f| ("frame", f.described())));
        fields.extend(names.into_iter().map(|n| ("tls", n)));
        Described {
            layer: Layer::new("QUIC", fields),
            info,
        }
    }

    /// A short-header (1-RTT) packet: its DCID, and with the key log its frames.
    fn short(&mut self, packet: &[u8], dir: Dir, keylog: Option<&KeyLog>) -> Described {
        let Some(len) = self.cid_len[1 - dir] else {
            return Described {
                layer: Layer::new("QUIC", vec![("type", "1-RTT (short header)".to_string())]),
                info: format!("1-RTT (short header), {} octets", packet.len()),
            };
        };
        let Some(dcid) = packet.get(1..1 + len).map(hex::encode) else {
            return Described {
                layer: Layer::new("QUIC", vec![("type", "1-RTT (short header)".to_string())]),
                info: format!("1-RTT? a short header cut inside its {len}-octet DCID"),
            };
        };
        let mut fields = vec![("type", "1-RTT (short header)".to_string()), ("dcid", dcid.clone())];
        let label = if dir == TO_SERVER {
            "CLIENT_TRAFFIC_SECRET_0"
        } else {
            "SERVER_TRAFFIC_SECRET_0"
        };
        let opened = self.keys(label, keylog).and_then(|keys| {
            self.open(packet, None, dir, Space::Application, &keys)
                .ok_or(Protected::WontOpen(label))
        });
        match opened {
            Ok((pn, payload)) => {
                fields.push(("packet number", pn.to_string()));
                let frames = onertt::frames(&payload);
                let (_, names) = self.messages(&payload, &frames, dir, Space::Application);
                let tls = tls_suffix(&names);
                fields.extend(frames.iter().map(|f| ("frame", f.described())));
                fields.extend(names.into_iter().map(|n| ("tls", n)));
                Described {
                    layer: Layer::new("QUIC", fields),
                    info: format!("1-RTT DCID {dcid} PKN {pn}: {}{tls}", briefs(&frames)),
                }
            }
            Err(why) => {
                fields.push(("protected", why.to_string()));
                Described {
                    layer: Layer::new("QUIC", fields),
                    info: format!(
                        "1-RTT DCID {dcid}, {} octets protected (packet number and payload; {why})",
                        packet.len().saturating_sub(1 + len)
                    ),
                }
            }
        }
    }

    /// The packet keys of `label` from the key log, for the ServerHello's suite (or each
    /// suite the secret's length allows, when the ServerHello was not seen).
    fn keys(&self, label: &'static str, keylog: Option<&KeyLog>) -> Result<Vec<OneRttKeys>, Protected> {
        let keylog = keylog.ok_or(Protected::NoKeylog)?;
        let random = self.client_random.as_ref().ok_or(Protected::NoClientHello)?;
        let secrets = keylog
            .get(random)
            .ok_or_else(|| Protected::NotInLog(hex::encode(random)))?;
        let secret = secrets.get(label).ok_or(Protected::NoLabel(label))?;
        let suites: &[u16] = match &self.suite {
            Some(s) => std::slice::from_ref(s),
            None => &SUITES,
        };
        let keys: Vec<OneRttKeys> = suites.iter().filter_map(|s| OneRttKeys::derive(*s, secret)).collect();
        if keys.is_empty() {
            return Err(Protected::WontOpen(label));
        }
        Ok(keys)
    }

    /// Opens `packet` (a long header's packet number at `pn_offset`, or a short header) with
    /// the first of `keys` that authenticates it; the packet number and the plaintext. Only an
    /// opened packet moves the space's largest packet number.
    fn open(
        &mut self,
        packet: &[u8],
        pn_offset: Option<usize>,
        dir: Dir,
        space: Space,
        keys: &[OneRttKeys],
    ) -> Option<(u64, Vec<u8>)> {
        let largest = &mut self.largest[dir][space as usize];
        for k in keys {
            let header = match pn_offset {
                Some(at) => onertt::unprotect_long(packet, at, k),
                None => onertt::unprotect(packet, self.cid_len[1 - dir].unwrap_or(0), k),
            };
            let Ok(header) = header else { continue };
            let pn = onertt::decode_packet_number(*largest, header.truncated_pn, header.pn_len);
            if let Ok(payload) = onertt::open(packet, &header, pn, k) {
                *largest = Some(largest.map_or(pn, |l| l.max(pn)));
                return Some((pn, payload));
            }
        }
        None
    }

    /// Follows the CRYPTO stream of `space` going `dir` with this packet's frames: the hello
    /// it completed, said (the ClientHello gives the client random, the ServerHello the suite),
    /// and the names of the other TLS messages it completed.
    fn messages(&mut self, payload: &[u8], frames: &[Frame], dir: Dir, space: Space) -> (Option<String>, Vec<String>) {
        let messages = self.crypto[dir][space as usize].take(quic::crypto_pieces(payload, frames));
        let mut hello = None;
        let mut names = Vec::new();
        for m in &messages {
            match (m[0], space, crate::tls::handshake::decode_hello(m)) {
                (1, Space::Initial, Ok(h)) if dir == TO_SERVER => {
                    self.client_random = hex::decode(&h.random);
                    let sni = h
                        .extensions
                        .iter()
                        .find(|e| e.ext_type.name == "server_name")
                        .and_then(|e| e.decoded.first())
                        .map_or(String::new(), |s| format!(" SNI {s}"));
                    hello = Some(format!("ClientHello{sni} (decrypted with the Initial keys)"));
                }
                (2, Space::Initial, Ok(h)) if dir != TO_SERVER => {
                    let suite = h.cipher_suites.first();
                    if h.kind == "ServerHello" {
                        self.suite = suite.map(|s| s.value);
                    }
                    let name = suite.map_or("", |s| s.name.as_str());
                    hello = Some(format!("{} {name} (decrypted with the Initial keys)", h.kind));
                }
                (t, _, _) => names.push(crate::tls::handshake::message_name(t)),
            }
        }
        (hello, names)
    }
}

/// Why a packet stays protected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum Protected {
    #[error("--keylog with its secrets would decrypt it")]
    NoKeylog,
    #[error(
        "its ClientHello is not in the capture, so its client random, which names its secrets in a key log, is unknown"
    )]
    NoClientHello,
    #[error("the key log has no secrets for this connection, client random {0}")]
    NotInLog(String),
    #[error("the key log has no {0} for this connection")]
    NoLabel(&'static str),
    #[error("it does not decrypt with {0}: not this connection's, a key update, or a damaged packet")]
    WontOpen(&'static str),
    #[error("it does not decrypt with the Initial keys of the client's DCID: not this connection's, or damaged")]
    InitialWontOpen,
}

/// The TLS messages a packet completed, for its one-line summary: ` (TLS Certificate, ...)`.
fn tls_suffix(names: &[String]) -> String {
    if names.is_empty() {
        String::new()
    } else {
        format!(" (TLS {})", names.join(", "))
    }
}

/// A packet's frames in one line, the first [`MAX_BRIEF`] of them.
fn briefs(frames: &[Frame]) -> String {
    let mut line: Vec<String> = frames.iter().take(MAX_BRIEF).map(Frame::brief).collect();
    if frames.len() > MAX_BRIEF {
        line.push(format!("and {} more", frames.len() - MAX_BRIEF));
    }
    line.join(", ")
}

#[cfg(test)]
mod tests {
    use super::tests_support::*;
    use super::*;

    #[test]
    fn the_rfc_connection_is_followed_and_coalesced_initials_are_each_opened() {
        let mut flows = QuicFlows::default();
        let (client, server) = (CLIENT, SERVER);
        let (mut d, frame) = datagram(client, server, &vector("client_initial_packet.protected_packet"));
        flows.see(&mut d, &frame, None);
        assert!(d.info.contains("ClientHello SNI example.com"), "{}", d.info);
        // The server's Initial twice in one datagram (RFC 9000 §12.2): two packets, two layers,
        // both opened with the server's Initial keys from the client's DCID.
        let mut two = vector("server_initial_packet.protected_packet");
        two.extend(vector("server_initial_packet.protected_packet"));
        let (mut d, frame) = datagram(server, client, &two);
        flows.see(&mut d, &frame, None);
        let layers: Vec<&Layer> = d.layers.iter().filter(|l| l.name == "QUIC").collect();
        assert_eq!(layers.len(), 2, "{:?}", d.layers);
        assert!(d.info.contains("ServerHello TLS_AES_128_GCM_SHA256"), "{}", d.info);
        assert_eq!(
            d.info.matches("PKN 1: ACK 0, CRYPTO off=0 len=90").count(),
            2,
            "{}",
            d.info
        );
        let conn = flows.conns.values().next().unwrap();
        assert_eq!(conn.suite, Some(0x1301));
        assert_eq!(conn.client_random.as_ref().map(Vec::len), Some(32));
        // A short header of the connection: without a key log it says what would open it.
        let (mut d, frame) = datagram(server, client, &[0x40; 60]);
        flows.see(&mut d, &frame, None);
        assert!(d.info.starts_with("QUIC 1-RTT DCID "), "{}", d.info);
        assert!(d.info.contains("--keylog"), "{}", d.info);
        // With a key log that lacks this connection: said so.
        let (mut d, frame) = datagram(server, client, &[0x40; 60]);
        flows.see(&mut d, &frame, Some(&KeyLog::new()));
        assert!(d.info.contains("no secrets for this connection"), "{}", d.info);
    }

    #[test]
    fn a_retry_gives_the_initial_keys_a_new_dcid() {
        let (mut flows, _) = followed();
        // RFC 9001 Appendix A.4: the server's Retry to the A.2 Initial, SCID f067a5502a4262b5.
        let (mut d, frame) = datagram(SERVER, CLIENT, &vector("retry_packet"));
        flows.see(&mut d, &frame, None);
        assert!(
            d.info.starts_with("QUIC Retry DCID  SCID f067a5502a4262b5"),
            "{}",
            d.info
        );
        let conn = flows.conns.values().next().unwrap();
        assert_eq!(hex::encode(&conn.original_dcid), "f067a5502a4262b5");
    }

    #[test]
    fn unknown_udp_is_left_alone_and_garbage_on_a_connection_does_not_panic() {
        let mut flows = QuicFlows::default();
        let (mut d, frame) = datagram("192.0.2.1:1", "192.0.2.2:2", &[0xc0; 40]);
        flows.see(&mut d, &frame, None);
        assert_eq!(d.info, "UDP, length 40");
        assert!(flows.conns.is_empty());
        let (client, server) = (CLIENT, SERVER);
        let (mut d, frame) = datagram(client, server, &vector("client_initial_packet.protected_packet"));
        flows.see(&mut d, &frame, None);
        for junk in [
            &[][..],
            &[0xff][..],
            &[0xc0, 0, 0, 0, 1, 30][..],
            &[0xe0; 3000][..],
            &[0x00; 5][..],
        ] {
            let (mut d, frame) = datagram(server, client, junk);
            flows.see(&mut d, &frame, Some(&KeyLog::new()));
        }
    }
}

#[cfg(test)]
mod properties {
    use super::tests_support::*;
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever a followed connection's datagram holds, and whichever way it goes, it is
        /// described without a panic, with the key log's secrets for the connection or without.
        #[test]
        fn any_datagram_of_a_followed_connection_is_described(
            bytes in proptest::collection::vec(any::<u8>(), 0..1400),
            to_server in any::<bool>(),
            long in any::<bool>(),
        ) {
            let (mut flows, keylog) = followed();
            let mut bytes = bytes;
            if let Some(first) = bytes.first_mut() {
                // Half of them long headers of version 1, to reach the Handshake and 0-RTT paths.
                if long {
                    *first |= 0x80;
                    if bytes.len() > 5 {
                        bytes[1..5].copy_from_slice(&[0, 0, 0, 1]);
                    }
                }
            }
            let (from, to) = if to_server { (CLIENT, SERVER) } else { (SERVER, CLIENT) };
            for log in [None, Some(&keylog)] {
                let (mut d, frame) = datagram(from, to, &bytes);
                flows.see(&mut d, &frame, log);
            }
        }

        /// Any plaintext is read as frames without a panic, and the frames stay within it.
        #[test]
        fn any_payload_is_read_as_frames(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            for f in onertt::frames(&bytes) {
                if let Some((at, len)) = f.data {
                    prop_assert!(at + len <= bytes.len());
                }
                let _ = (f.described(), f.brief());
            }
        }
    }
}

/// What the tests share: the RFC 9001 Appendix A connection, followed from its client Initial.
#[cfg(test)]
mod tests_support {
    use super::*;

    pub const CLIENT: &str = "192.0.2.1:50000";
    pub const SERVER: &str = "192.0.2.2:443";

    /// A vector of RFC 9001 Appendix A (../shared/vectors/rfc9001-quic-initial.txt).
    pub fn vector(name: &str) -> Vec<u8> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/vectors/rfc9001-quic-initial.txt"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let line = text.lines().find(|l| l.split(' ').next() == Some(name)).unwrap();
        hex::decode(line.rsplit(" = ").next().unwrap()).unwrap()
    }

    /// A UDP datagram from `from` to `to` carrying `payload`, as the decoders leave it.
    pub fn datagram(from: &str, to: &str, payload: &[u8]) -> (Decoded, Vec<u8>) {
        let (from, to): (SocketAddr, SocketAddr) = (from.parse().unwrap(), to.parse().unwrap());
        let d = Decoded {
            src: Some(from.ip()),
            dst: Some(to.ip()),
            sport: Some(from.port()),
            dport: Some(to.port()),
            udp_payload: Some((0, payload.len())),
            info: format!("UDP, length {}", payload.len()),
            ..Decoded::default()
        };
        (d, payload.to_vec())
    }

    /// The connection followed from the RFC's client Initial, and a key log with secrets
    /// (made up) for every label under its client random.
    pub fn followed() -> (QuicFlows, KeyLog) {
        let mut flows = QuicFlows::default();
        let (mut d, frame) = datagram(CLIENT, SERVER, &vector("client_initial_packet.protected_packet"));
        flows.see(&mut d, &frame, None);
        let random = flows
            .conns
            .values()
            .next()
            .and_then(|c| c.client_random.clone())
            .unwrap();
        let secrets = [
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            "CLIENT_EARLY_TRAFFIC_SECRET",
            "CLIENT_TRAFFIC_SECRET_0",
            "SERVER_TRAFFIC_SECRET_0",
        ]
        .into_iter()
        .map(|l| (l.to_string(), vec![0x5a; 32]))
        .collect();
        (flows, KeyLog::from([(random, secrets)]))
    }
}
