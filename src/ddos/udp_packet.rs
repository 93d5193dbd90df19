//! The datagram a volumetric flood sends: an IPv4 header with a made-up source and a small UDP
//! datagram (RFC 768), built and checksummed with pnet. Small on purpose: a flood that wants to
//! exhaust packet processing, not bandwidth, sends the smallest packets it can, because a
//! router's or a host's cost is mostly per packet, not per byte.

use std::net::Ipv4Addr;

use pnet_packet::ip::IpNextHeaderProtocols;
use pnet_packet::udp::{self, MutableUdpPacket};

/// The payload's length: 18 bytes, so that IPv4 (20) + UDP (8) + payload fill Ethernet's
/// 46-byte minimum payload, the smallest frame on a wire (64 bytes with header and FCS).
pub const PAYLOAD: usize = 18;
/// IPv4 header (no options) + UDP header + payload.
pub const LEN: usize = 20 + 8 + PAYLOAD;

/// One flood datagram from `src:sport` to `dst:dport`.
pub fn build(src: Ipv4Addr, sport: u16, dst: Ipv4Addr, dport: u16) -> [u8; LEN] {
    let mut bytes = [0u8; LEN];
    bytes.copy_from_slice(&datagram(src, sport, dst, dport, b"netlab ddos flood."));
    bytes
}

/// One datagram carrying `payload` from `src:sport` to `dst:dport`, IPv4 header included.
pub fn datagram(src: Ipv4Addr, sport: u16, dst: Ipv4Addr, dport: u16, payload: &[u8]) -> Vec<u8> {
    let len = 20 + 8 + payload.len();
    let mut bytes = vec![0u8; len];
    {
        let mut udp = MutableUdpPacket::new(&mut bytes[20..]).expect("a buffer of UDP header length");
        udp.set_source(sport);
        udp.set_destination(dport);
        udp.set_length((8 + payload.len()) as u16);
        udp.set_payload(payload);
        let sum = udp::ipv4_checksum(&udp.to_immutable(), &src, &dst);
        udp.set_checksum(sum);
    }
    super::ipv4::write_header(&mut bytes, IpNextHeaderProtocols::Udp, src, dst, false);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use pnet_packet::ipv4::{self, Ipv4Packet};
    use pnet_packet::udp::UdpPacket;
    use pnet_packet::Packet;

    #[test]
    fn a_minimum_size_datagram_with_valid_checksums() {
        let (src, dst) = (Ipv4Addr::new(203, 0, 113, 7), Ipv4Addr::new(198, 51, 100, 80));
        let bytes = build(src, 40000, dst, 9);
        let ip = Ipv4Packet::new(&bytes).unwrap();
        assert_eq!((ip.get_source(), ip.get_total_length()), (src, 46));
        assert_eq!(ip.get_checksum(), ipv4::checksum(&ip));
        let datagram = UdpPacket::new(ip.payload()).unwrap();
        assert_eq!((datagram.get_source(), datagram.get_destination()), (40000, 9));
        assert_eq!(datagram.get_length(), 26);
        assert_ne!(datagram.get_checksum(), 0);
        assert_eq!(datagram.get_checksum(), udp::ipv4_checksum(&datagram, &src, &dst));
        assert_eq!(datagram.payload(), b"netlab ddos flood.");
    }
}
