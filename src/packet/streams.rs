//! TCP connections in a capture, followed from the packets alone (RFC 9293): the three-way
//! handshake and the RTT it measures, data each way, retransmissions and duplicate ACKs, and how
//! it ended: FIN each way (and who waits in TIME_WAIT: the side that sent the first FIN, §3.6) or
//! a RST. Relative sequence numbers are counted from each side's initial sequence number.
//!
//! Bounded: at most [`MAX_CONNECTIONS`] connections are followed, and each keeps counters only.

use std::collections::HashMap;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use super::events::WindowSeen;
use super::layers::{Decoded, TcpFacts};

/// Most connections followed at once; later ones are counted but not followed.
pub const MAX_CONNECTIONS: usize = 100_000;

const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const ACK: u8 = 0x10;

/// One connection's story.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamSeen {
    /// The side that sent the SYN (or, if the capture began later, the first packet seen).
    pub client: String,
    pub server: String,
    /// Frame numbers of SYN, SYN-ACK and the ACK that completes the handshake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handshake: Option<[u64; 3]>,
    /// SYN to SYN-ACK, as seen where the capture was taken (µs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtt_us: Option<u64>,
    pub packets: u64,
    pub bytes_client_to_server: u64,
    pub bytes_server_to_client: u64,
    pub retransmissions: u64,
    pub duplicate_acks: u64,
    /// `FIN/ACK both ways`, `reset by the client`, `open at the end of the capture`, ...
    pub ending: String,
    /// Who ends in TIME_WAIT (the side that closed first), when the close was graceful.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_wait: Option<String>,
    pub first_frame: u64,
    pub last_frame: u64,
}

/// What the tracker makes of one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpView {
    /// Sequence and acknowledgment numbers relative to each side's first.
    pub relative: (u32, u32),
    pub window: WindowSeen,
}

#[derive(Debug, Clone, Default)]
struct Side {
    isn: Option<u32>,
    /// Highest sequence number sent so far (end of data), relative.
    next: u32,
    last_ack: Option<u32>,
    same_ack: u32,
    fin: Option<u64>,
    bytes: u64,
    /// Its SYN's Window Scale shift: `None` before its SYN was seen, `Some(None)` for a SYN
    /// without the option.
    wscale: Option<Option<u8>>,
}

#[derive(Debug, Clone)]
struct Conn {
    client: SocketAddr,
    server: SocketAddr,
    sides: [Side; 2],
    syn: Option<(u64, u64)>,
    synack: Option<(u64, u64)>,
    handshake_ack: Option<u64>,
    packets: u64,
    retransmissions: u64,
    dup_acks: u64,
    reset_by: Option<usize>,
    first_fin: Option<usize>,
    first_frame: u64,
    last_frame: u64,
}

/// Follows every TCP connection in a capture.
#[derive(Debug, Default)]
pub struct Tracker {
    conns: HashMap<(SocketAddr, SocketAddr), Conn>,
    order: Vec<(SocketAddr, SocketAddr)>,
    pub untracked: u64,
}

impl Tracker {
    /// Takes one decoded frame (µs since the first); returns the relative seq and ack, and the
    /// window in octets.
    pub fn see(&mut self, frame: u64, at_us: u64, d: &Decoded) -> Option<TcpView> {
        let (Some(t), Some(src), Some(dst), Some(sp), Some(dp)) = (d.tcp, d.src, d.dst, d.sport, d.dport) else {
            return None;
        };
        let (a, b) = (SocketAddr::new(src, sp), SocketAddr::new(dst, dp));
        let key = if (src, sp) <= (dst, dp) { (a, b) } else { (b, a) };
        if !self.conns.contains_key(&key) {
            if self.conns.len() >= MAX_CONNECTIONS {
                self.untracked += 1;
                return None;
            }
            // The client is the SYN's sender (a SYN-ACK's receiver), else the first sender seen.
            let (client, server) = if t.flags & (SYN | ACK) == SYN | ACK {
                (b, a)
            } else {
                (a, b)
            };
            self.order.push(key);
            self.conns.insert(
                key,
                Conn {
                    client,
                    server,
                    sides: Default::default(),
                    syn: None,
                    synack: None,
                    handshake_ack: None,
                    packets: 0,
                    retransmissions: 0,
                    dup_acks: 0,
                    reset_by: None,
                    first_fin: None,
                    first_frame: frame,
                    last_frame: frame,
                },
            );
        }
        let c = self.conns.get_mut(&key)?;
        Some(c.see(frame, at_us, a == c.client, t))
    }

    /// Every connection's story, in order of first appearance.
    pub fn finish(&self) -> Vec<StreamSeen> {
        self.order
            .iter()
            .filter_map(|k| self.conns.get(k))
            .map(Conn::story)
            .collect()
    }
}

impl Conn {
    fn see(&mut self, frame: u64, at_us: u64, from_client: bool, t: TcpFacts) -> TcpView {
        let (me, peer) = if from_client { (0, 1) } else { (1, 0) };
        self.packets += 1;
        self.last_frame = frame;
        if t.flags & SYN != 0 {
            if t.flags & ACK == 0 {
                self.syn.get_or_insert((frame, at_us));
            } else {
                self.synack.get_or_insert((frame, at_us));
            }
        } else if t.flags & ACK != 0 && from_client && self.synack.is_some() && self.handshake_ack.is_none() {
            self.handshake_ack = Some(frame);
        }
        let isn = *self.sides[me].isn.get_or_insert(t.seq);
        let rel_seq = t.seq.wrapping_sub(isn);
        let rel_ack = self.sides[peer].isn.map_or(t.ack, |i| t.ack.wrapping_sub(i));
        // Sequence space used: data, plus one each for SYN and FIN (RFC 9293 §3.4).
        let used = t.payload_len as u32 + u32::from(t.flags & SYN != 0) + u32::from(t.flags & FIN != 0);
        let side = &mut self.sides[me];
        if used > 0 && rel_seq.wrapping_add(used) <= side.next && side.next > 0 && t.flags & SYN == 0 {
            self.retransmissions += 1;
        } else if t.payload_len > 0 || t.flags & FIN != 0 {
            side.bytes += t.payload_len as u64;
        }
        side.next = side.next.max(rel_seq.wrapping_add(used));
        // A duplicate ACK: the same ACK again, carrying no data and no window change of note.
        if t.flags & ACK != 0 && t.payload_len == 0 && t.flags & (SYN | FIN | RST) == 0 {
            if side.last_ack == Some(t.ack) {
                side.same_ack += 1;
                self.dup_acks += 1;
            } else {
                side.same_ack = 0;
            }
        }
        side.last_ack = Some(t.ack);
        if t.flags & FIN != 0 && side.fin.is_none() {
            side.fin = Some(frame);
            self.first_fin.get_or_insert(me);
        }
        if t.flags & RST != 0 {
            self.reset_by.get_or_insert(me);
        }
        TcpView {
            relative: (rel_seq, rel_ack),
            window: self.window(me, peer, t),
        }
    }

    /// The window `t` offers, in octets: scaled by its sender's own shift once both SYNs
    /// carried Window Scale, never in a SYN (RFC 7323 §2.2-2.3) or a reset.
    fn window(&mut self, me: usize, peer: usize, t: TcpFacts) -> WindowSeen {
        if t.flags & SYN != 0 {
            self.sides[me].wscale.get_or_insert(t.wscale);
            return WindowSeen::Unscaled;
        }
        if t.flags & RST != 0 {
            return WindowSeen::Unscaled;
        }
        match (self.sides[me].wscale, self.sides[peer].wscale) {
            (Some(Some(shift)), Some(Some(_))) => {
                // A shift over 14 is treated as 14 (RFC 7323 §2.3).
                let shift = shift.min(14);
                WindowSeen::Scaled {
                    shift,
                    bytes: u64::from(t.window) << shift,
                }
            }
            (Some(None), _) | (_, Some(None)) => WindowSeen::Off,
            _ => WindowSeen::Unknown,
        }
    }

    fn story(&self) -> StreamSeen {
        let who = |i: usize| if i == 0 { "the client" } else { "the server" };
        let (ending, time_wait) = match (self.reset_by, self.sides[0].fin, self.sides[1].fin) {
            (Some(i), _, _) => (format!("reset (RST) by {}", who(i)), None),
            (None, Some(_), Some(_)) => (
                "closed: FIN and ACK each way".to_string(),
                self.first_fin.map(|i| {
                    format!(
                        "{} ({}), which closed first",
                        who(i),
                        if i == 0 { self.client } else { self.server }
                    )
                }),
            ),
            (None, Some(_), None) | (None, None, Some(_)) => ("half-closed: a FIN one way only".to_string(), None),
            (None, None, None) => ("open at the end of the capture".to_string(), None),
        };
        StreamSeen {
            client: self.client.to_string(),
            server: self.server.to_string(),
            handshake: match (self.syn, self.synack, self.handshake_ack) {
                (Some((a, _)), Some((b, _)), Some(c)) => Some([a, b, c]),
                _ => None,
            },
            rtt_us: self.syn.zip(self.synack).map(|((_, s), (_, sa))| sa.saturating_sub(s)),
            packets: self.packets,
            bytes_client_to_server: self.sides[0].bytes,
            bytes_server_to_client: self.sides[1].bytes,
            retransmissions: self.retransmissions,
            duplicate_acks: self.dup_acks,
            ending,
            time_wait,
            first_frame: self.first_frame,
            last_frame: self.last_frame,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(from_client: bool, flags: u8, seq: u32, ack: u32, len: usize) -> Decoded {
        let (c, s): (std::net::IpAddr, std::net::IpAddr) = ("10.0.0.1".parse().unwrap(), "192.0.2.10".parse().unwrap());
        let (src, dst, sport, dport) = if from_client {
            (c, s, 40000, 443)
        } else {
            (s, c, 443, 40000)
        };
        Decoded {
            src: Some(src),
            dst: Some(dst),
            sport: Some(sport),
            dport: Some(dport),
            tcp: Some(TcpFacts {
                flags,
                seq,
                ack,
                window: 1000,
                payload_len: len,
                wscale: None,
            }),
            ..Decoded::default()
        }
    }

    fn with_wscale(mut d: Decoded, shift: Option<u8>, window: u16) -> Decoded {
        let t = d.tcp.as_mut().unwrap();
        t.wscale = shift;
        t.window = window;
        d
    }

    #[test]
    fn windows_are_scaled_by_the_sender_s_shift_once_both_syns_offered_it() {
        let views = |script: &[Decoded]| -> Vec<WindowSeen> {
            let mut t = Tracker::default();
            script
                .iter()
                .enumerate()
                .map(|(i, d)| t.see(i as u64 + 1, 0, d).unwrap().window)
                .collect()
        };
        let both = [
            with_wscale(seg(true, SYN, 1000, 0, 0), Some(7), 64240),
            with_wscale(seg(false, SYN | ACK, 5000, 1001, 0), Some(10), 65160),
            with_wscale(seg(true, ACK, 1001, 5001, 0), None, 502),
            with_wscale(seg(false, ACK, 5001, 1001, 0), None, 64),
        ];
        assert_eq!(
            views(&both),
            [
                WindowSeen::Unscaled,
                WindowSeen::Unscaled,
                WindowSeen::Scaled {
                    shift: 7,
                    bytes: 502 << 7
                },
                WindowSeen::Scaled {
                    shift: 10,
                    bytes: 64 << 10
                },
            ]
        );
        // The server did not offer it: no scaling either way.
        let one = [
            with_wscale(seg(true, SYN, 1000, 0, 0), Some(7), 64240),
            with_wscale(seg(false, SYN | ACK, 5000, 1001, 0), None, 65160),
            with_wscale(seg(true, ACK, 1001, 5001, 0), None, 502),
        ];
        assert_eq!(views(&one)[2], WindowSeen::Off);
        // A capture that starts after the handshake cannot know.
        assert_eq!(views(&both[2..3]), [WindowSeen::Unknown]);
    }

    #[test]
    fn retransmissions_duplicate_acks_and_a_reset() {
        let mut t = Tracker::default();
        let script = [
            seg(true, SYN, 1000, 0, 0),
            seg(false, SYN | ACK, 5000, 1001, 0),
            seg(true, ACK, 1001, 5001, 0),
            seg(true, ACK, 1001, 5001, 100),
            seg(true, ACK, 1101, 5001, 100),
            seg(false, ACK, 5001, 1101, 0),
            seg(false, ACK, 5001, 1101, 0),
            seg(false, ACK, 5001, 1101, 0),
            seg(true, ACK, 1101, 5001, 100),
            seg(false, RST | ACK, 5001, 1201, 0),
        ];
        let mut rel = Vec::new();
        for (i, d) in script.iter().enumerate() {
            rel.push(t.see(i as u64 + 1, i as u64 * 10, d).map(|v| v.relative));
        }
        assert_eq!(rel[1], Some((0, 1)));
        assert_eq!(rel[4], Some((101, 1)));
        let s = &t.finish()[0];
        assert_eq!(s.handshake, Some([1, 2, 3]));
        assert_eq!(s.rtt_us, Some(10));
        assert_eq!(s.retransmissions, 1, "{s:?}");
        assert_eq!(s.duplicate_acks, 2);
        assert_eq!(s.bytes_client_to_server, 200);
        assert_eq!(s.ending, "reset (RST) by the server");
        assert_eq!(s.time_wait, None, "a reset leaves no TIME_WAIT");
    }
}
