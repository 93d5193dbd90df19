//! QUIC connections in a capture, followed from their first Initial. Only long headers carry
//! a version, and a QUIC v1 endpoint may even clear the fixed bit (RFC 9287, which quinn does),
//! so a datagram after the Initials cannot be told from any UDP by its looks alone. Once an
//! Initial has named the two ends and their connection IDs, every later datagram between them
//! is QUIC: long headers (Handshake, 0-RTT) decoded, short headers (1-RTT, RFC 9000 §17.3.1)
//! named with their Destination Connection ID, whose length the peer chose in its Initial.

use std::collections::HashMap;
use std::net::SocketAddr;

use super::layer::Layer;
use super::layers::Decoded;

/// Most QUIC connections followed in one capture.
const MAX_FLOWS: usize = 4096;

/// The QUIC ends seen so far: for each, the length of the connection ID packets to it carry.
#[derive(Debug, Default)]
pub struct QuicFlows {
    cid_len: HashMap<SocketAddr, usize>,
    /// (sender, receiver) pairs known to speak QUIC.
    pairs: HashMap<(SocketAddr, SocketAddr), ()>,
}

impl QuicFlows {
    /// Learns from a decoded QUIC long header, or describes a datagram of a known connection
    /// that the stateless decoders left as plain UDP. `frame` is the whole captured frame.
    pub fn see(&mut self, d: &mut Decoded, frame: &[u8]) {
        let (Some(src), Some(dst), Some(sp), Some(dp)) = (d.src, d.dst, d.sport, d.dport) else {
            return;
        };
        let Some(payload) = d.udp_payload.and_then(|(at, len)| frame.get(at..at + len)) else {
            return;
        };
        let (from, to) = (SocketAddr::new(src, sp), SocketAddr::new(dst, dp));
        let known = self.pairs.contains_key(&(from, to));
        let is_long = payload.first().is_some_and(|b| b & 0x80 != 0);
        if !known && !d.layers.iter().any(|l| l.name == "QUIC") {
            return;
        }
        if known && !d.layers.iter().any(|l| l.name == "QUIC") {
            if is_long {
                d.info = super::apps::quic(payload, &mut d.layers);
            } else {
                d.info = self.short_header(payload, to, &mut d.layers);
            }
        }
        if is_long {
            self.learn(from, to, payload);
        }
    }

    /// A long header names both connection IDs: the DCID is the receiver's, the SCID the
    /// sender's (RFC 9000 §17.2).
    fn learn(&mut self, from: SocketAddr, to: SocketAddr, payload: &[u8]) {
        let Ok(h) = super::quic::parse_long_header(payload) else {
            return;
        };
        if self.pairs.len() >= MAX_FLOWS && !self.pairs.contains_key(&(from, to)) {
            return;
        }
        self.pairs.insert((from, to), ());
        self.pairs.insert((to, from), ());
        self.cid_len.insert(from, h.scid.len() / 2);
    }

    /// A 1-RTT packet: its DCID and its protected size.
    fn short_header(&self, payload: &[u8], to: SocketAddr, layers: &mut Vec<Layer>) -> String {
        let Some(&len) = self.cid_len.get(&to) else {
            return format!("QUIC 1-RTT (short header), {} octets", payload.len());
        };
        let Some(dcid) = payload.get(1..1 + len) else {
            return format!("QUIC? a short header cut inside its {len}-octet DCID");
        };
        let dcid = crate::hex::encode(dcid);
        layers.push(Layer::new(
            "QUIC",
            vec![("type", "1-RTT (short header)".to_string()), ("dcid", dcid.clone())],
        ));
        format!(
            "QUIC 1-RTT DCID {dcid}, {} octets protected (packet number and payload)",
            payload.len().saturating_sub(1 + len)
        )
    }
}
