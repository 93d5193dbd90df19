//! TLS connections in a capture, decrypted with an NSS key log (`netlab pcap --keylog`): each TCP
//! connection whose client speaks first with a TLS handshake record is reassembled in order, its
//! client random names its secrets in the key log, and netlab's own TLS decoder decrypts and
//! explains the handshake, as `netlab tls` does for a live connection.
//!
//! Bounded: at most [`MAX_FLOWS`] connections, and the first [`MAX_BYTES`] octets each way.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::layers::Decoded;
use crate::hex;
use crate::tls::events::TlsEvent;
use crate::tls::tap::{Chunk, Direction};

pub const MAX_FLOWS: usize = 1000;
pub const MAX_BYTES: usize = 1 << 20;

/// Secrets by client random, then by key-log label.
pub type KeyLog = HashMap<Vec<u8>, HashMap<String, Vec<u8>>>;

/// Why a key log line does not read (numbered from 1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeylogError {
    #[error("line {0}: expected LABEL CLIENT_RANDOM SECRET")]
    Fields(usize),
    #[error("line {0}: the client random and secret must be hex")]
    NotHex(usize),
}

/// Reads an NSS key log: `LABEL CLIENT_RANDOM SECRET` per line, hex; `#` lines are comments.
pub fn parse_keylog(text: &str) -> Result<KeyLog, KeylogError> {
    let mut log = KeyLog::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        let [label, random, secret] = parts[..] else {
            return Err(KeylogError::Fields(n + 1));
        };
        let (Some(random), Some(secret)) = (hex::decode(random), hex::decode(secret)) else {
            return Err(KeylogError::NotHex(n + 1));
        };
        log.entry(random).or_default().insert(label.to_string(), secret);
    }
    Ok(log)
}

/// One TLS connection, decrypted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TlsFlowSeen {
    pub client: String,
    pub server: String,
    /// Whether the key log had this connection's secrets.
    pub keys_found: bool,
    pub events: Vec<TlsEvent>,
}

#[derive(Debug, Default)]
struct Flow {
    client: Option<SocketAddr>,
    server: Option<SocketAddr>,
    chunks: Vec<Chunk>,
    /// Next expected relative sequence number, and bytes kept, client-to-server and back.
    next: [Option<u32>; 2],
    kept: [usize; 2],
    is_tls: Option<bool>,
}

/// Collects the TCP payloads of every connection, in order.
#[derive(Debug, Default)]
pub struct TlsFlows {
    flows: HashMap<(SocketAddr, SocketAddr), Flow>,
    order: Vec<(SocketAddr, SocketAddr)>,
}

impl TlsFlows {
    /// Takes one frame: `relative` is its (seq, ack) from the stream tracker.
    pub fn see(&mut self, at: Duration, d: &Decoded, frame: &[u8], relative: Option<(u32, u32)>) {
        let (Some(t), Some(src), Some(dst), Some(sp), Some(dp), Some((start, len)), Some((seq, _))) =
            (d.tcp, d.src, d.dst, d.sport, d.dport, d.tcp_payload, relative)
        else {
            return;
        };
        let (a, b) = (SocketAddr::new(src, sp), SocketAddr::new(dst, dp));
        let key = if (src, sp) <= (dst, dp) { (a, b) } else { (b, a) };
        if !self.flows.contains_key(&key) {
            if self.flows.len() >= MAX_FLOWS {
                return;
            }
            self.order.push(key);
        }
        let flow = self.flows.entry(key).or_default();
        if t.flags & 0x12 == 0x02 {
            flow.client = Some(a);
            flow.server = Some(b);
        }
        if len == 0 || flow.is_tls == Some(false) {
            return;
        }
        let payload = &frame[start..start + len];
        // The first data decides: a client that opens with a TLS handshake record.
        let client = *flow.client.get_or_insert(a);
        flow.server.get_or_insert(b);
        let direction = if a == client {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        };
        if flow.is_tls.is_none() {
            flow.is_tls = Some(direction == Direction::ClientToServer && payload.first() == Some(&22));
        }
        let slot = usize::from(direction == Direction::ServerToClient);
        let expected = *flow.next[slot].get_or_insert(seq);
        // In order only: retransmissions and out-of-order segments are skipped.
        if seq != expected || flow.kept[slot] + len > MAX_BYTES {
            return;
        }
        flow.next[slot] = Some(seq.wrapping_add(len as u32));
        flow.kept[slot] += len;
        flow.chunks.push(Chunk {
            direction,
            at,
            bytes: payload.to_vec(),
        });
    }

    /// Every TLS connection, decrypted where the key log has its secrets.
    pub fn finish(&self, keylog: &KeyLog) -> Vec<TlsFlowSeen> {
        self.order
            .iter()
            .filter_map(|k| self.flows.get(k))
            .filter(|f| f.is_tls == Some(true))
            .map(|f| {
                let random = crate::tls::client::client_random(&f.chunks).unwrap_or_default();
                let secrets = keylog.get(&random).cloned().unwrap_or_default();
                let (mut events, summary) = crate::tls::decode::decode(&f.chunks, &secrets, false);
                events.push(TlsEvent::Summary(summary));
                TlsFlowSeen {
                    client: f.client.map(|c| c.to_string()).unwrap_or_default(),
                    server: f.server.map(|c| c.to_string()).unwrap_or_default(),
                    keys_found: !secrets.is_empty(),
                    events,
                }
            })
            .collect()
    }
}
