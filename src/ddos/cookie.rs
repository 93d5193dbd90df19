//! A SYN cookie read off the wire. With the SYN queue full (or `tcp_syncookies=2`), Linux
//! answers a SYN without storing anything; the SYN-ACK's initial sequence number carries what
//! the server must remember until the client's ACK (net/ipv4/syncookies.c,
//! `secure_tcp_syn_cookie`):
//!
//! ```text
//!   ISN = H0(saddr, daddr, sport, dport) + client_seq
//!       + (count << 24)                            count: minutes since boot (jiffies / 60 s)
//!       + ((H1(saddr, daddr, sport, dport, count) + mss_index) mod 2^24)
//!   mss_index: the largest of msstab = [536, 1300, 1440, 1460] not above the client's MSS
//! ```
//!
//! H0 and H1 are SipHash under a secret key, so nobody outside can forge a cookie, and nobody
//! can read H; but the same 4-tuple within the same minute gives the same H, so SYNs that
//! differ only in their MSS get ISNs (less their own sequence number) that differ by exactly
//! the difference of their MSS indexes. When the ACK comes back, the kernel recomputes the
//! hashes for the last two counts and recovers the index: the MSS survives, the rest of the
//! SYN's options do not (unless TCP timestamps carry them, RFC 4987 §3.6).

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use pnet_packet::ethernet::{EtherTypes, EthernetPacket};
use pnet_packet::ip::IpNextHeaderProtocols;
use pnet_packet::ipv4::Ipv4Packet;
use pnet_packet::tcp::{TcpFlags, TcpPacket};
use pnet_packet::Packet;
use serde::{Deserialize, Serialize};

use super::syn::{PORT, TARGET};
use super::syn_packet;
use crate::net::capture::Live;
use crate::net::ns::raw::RawSender;

/// Linux's MSS table for IPv4 cookies (syncookies.c `msstab`).
pub const MSSTAB: [u16; 4] = [536, 1300, 1440, 1460];

/// The MSS values the probe announces, one SYN each.
pub const PROBED: [u16; 6] = [500, 536, 1300, 1440, 1460, 9000];

/// Where the probe's SYNs claim to come from: one 4-tuple for all.
const PROBE_SRC: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 250);
const PROBE_PORT: u16 = 40_000;

/// The index the kernel encodes for `mss`: the largest table entry not above it (0 below 536).
pub fn mss_index(mss: u16) -> u32 {
    MSSTAB.iter().rposition(|&m| m <= mss).unwrap_or(0) as u32
}

/// One probe SYN and its cookie.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CookieSeen {
    pub mss: u16,
    pub client_seq: u32,
    /// The SYN-ACK's initial sequence number.
    pub isn: u32,
    /// `isn - client_seq`: H0 + count << 24 + (H1 + index) mod 2^24.
    pub cookie: u32,
    /// `(cookie - first cookie) mod 2^24`: the index difference, when H1 + index did not wrap.
    pub step: u32,
    /// What msstab predicts the index to be.
    pub expected_index: u32,
}

/// Sends one SYN per [`PROBED`] MSS from one 4-tuple and reads their SYN-ACKs on `lo`; to be
/// called on a thread inside the namespace while cookies are being sent. Empty when nothing
/// could be captured.
pub fn probe(sender: &RawSender) -> Vec<CookieSeen> {
    let Ok(mut live) = Live::open(Some("lo"), Duration::from_millis(50)) else {
        return Vec::new();
    };
    let seqs: Vec<u32> = (0..PROBED.len() as u32).map(|k| 1000 + k * 1_000_000).collect();
    for (mss, seq) in PROBED.iter().zip(&seqs) {
        let syn = syn_packet::build(PROBE_SRC, PROBE_PORT, TARGET, PORT, *seq, *mss);
        let _ = sender.send(&syn, TARGET);
    }
    let mut isns: Vec<Option<u32>> = vec![None; PROBED.len()];
    let deadline = Instant::now() + Duration::from_millis(500);
    while Instant::now() < deadline && isns.iter().any(Option::is_none) {
        let Ok(Some(frame)) = live.next_frame() else {
            continue;
        };
        if let Some((ack, isn)) = syn_ack(&frame) {
            if let Some(k) = seqs.iter().position(|s| s.wrapping_add(1) == ack) {
                isns[k] = Some(isn);
            }
        }
    }
    let mut seen = Vec::new();
    let mut first = None;
    for ((mss, seq), isn) in PROBED.iter().zip(&seqs).zip(isns) {
        let Some(isn) = isn else { continue };
        let cookie = isn.wrapping_sub(*seq);
        let first = *first.get_or_insert(cookie);
        seen.push(CookieSeen {
            mss: *mss,
            client_seq: *seq,
            isn,
            cookie,
            step: cookie.wrapping_sub(first) & 0x00FF_FFFF,
            expected_index: mss_index(*mss),
        });
    }
    seen
}

/// The acknowledgment and sequence numbers of a SYN-ACK from the target to the probe's
/// address, in a loopback frame (a zeroed Ethernet header, then IPv4).
fn syn_ack(frame: &[u8]) -> Option<(u32, u32)> {
    let eth = EthernetPacket::new(frame)?;
    if eth.get_ethertype() != EtherTypes::Ipv4 {
        return None;
    }
    let ip = Ipv4Packet::new(eth.payload())?;
    if ip.get_next_level_protocol() != IpNextHeaderProtocols::Tcp
        || ip.get_source() != TARGET
        || ip.get_destination() != PROBE_SRC
    {
        return None;
    }
    let tcp = TcpPacket::new(ip.payload())?;
    let syn_ack = TcpFlags::SYN | TcpFlags::ACK;
    (tcp.get_flags() & syn_ack == syn_ack && tcp.get_destination() == PROBE_PORT)
        .then(|| (tcp.get_acknowledgement(), tcp.get_sequence()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mss_index_is_the_largest_table_entry_not_above_it() {
        let indexes: Vec<u32> = PROBED.iter().map(|&m| mss_index(m)).collect();
        assert_eq!(indexes, [0, 0, 1, 2, 3, 3]);
        assert_eq!((mss_index(1299), mss_index(1439), mss_index(1459)), (0, 1, 2));
    }

    #[test]
    fn a_syn_ack_to_the_probe_is_read_from_a_loopback_frame() {
        let mut frame = vec![0u8; 14];
        frame[12..14].copy_from_slice(&[0x08, 0x00]);
        let mut packet = syn_packet::build(TARGET, PORT, PROBE_SRC, PROBE_PORT, 0xdead_beef, 1460).to_vec();
        // Make it a SYN-ACK acknowledging 1001 (flags byte at 20 + 13; ack at 20 + 8).
        packet[33] = 0x12;
        packet[28..32].copy_from_slice(&1001u32.to_be_bytes());
        frame.extend_from_slice(&packet);
        assert_eq!(syn_ack(&frame), Some((1001, 0xdead_beef)));
        packet[33] = 0x02;
        frame.truncate(14);
        frame.extend_from_slice(&packet);
        assert_eq!(syn_ack(&frame), None, "a bare SYN is not an answer");
        assert_eq!(syn_ack(&[0u8; 10]), None);
    }
}
