//! The SYN a flood sends: an IPv4 header with a made-up source and a TCP segment with only SYN
//! set and an MSS option, as a client's first packet looks (RFC 9293 §3.1, §3.5), built and
//! checksummed with pnet.

use std::net::Ipv4Addr;

use pnet_packet::ip::IpNextHeaderProtocols;
use pnet_packet::tcp::{self, MutableTcpPacket, TcpFlags, TcpOption};

/// IPv4 header (no options) + TCP header with one 4-byte MSS option.
pub const LEN: usize = 20 + 24;

/// One SYN from `src:sport` to `dst:dport` with sequence number `seq`, announcing `mss`.
pub fn build(src: Ipv4Addr, sport: u16, dst: Ipv4Addr, dport: u16, seq: u32, mss: u16) -> [u8; LEN] {
    let mut bytes = [0u8; LEN];
    {
        let mut tcp = MutableTcpPacket::new(&mut bytes[20..]).expect("a buffer of TCP header length");
        tcp.set_source(sport);
        tcp.set_destination(dport);
        tcp.set_sequence(seq);
        tcp.set_data_offset(6);
        tcp.set_flags(TcpFlags::SYN);
        tcp.set_window(64240);
        tcp.set_options(&[TcpOption::mss(mss)]);
        let sum = tcp::ipv4_checksum(&tcp.to_immutable(), &src, &dst);
        tcp.set_checksum(sum);
    }
    super::ipv4::write_header(&mut bytes, IpNextHeaderProtocols::Tcp, src, dst, true);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use pnet_packet::ipv4::{self, Ipv4Packet};
    use pnet_packet::tcp::TcpPacket;
    use pnet_packet::Packet;

    #[test]
    fn a_syn_with_mss_and_valid_checksums() {
        let (src, dst) = (Ipv4Addr::new(203, 0, 113, 9), Ipv4Addr::new(198, 51, 100, 80));
        let bytes = build(src, 40000, dst, 80, 1000, 1460);
        let ip = Ipv4Packet::new(&bytes).unwrap();
        assert_eq!(
            (ip.get_source(), ip.get_destination(), ip.get_total_length()),
            (src, dst, 44)
        );
        assert_eq!(ip.get_checksum(), ipv4::checksum(&ip));
        let tcp = TcpPacket::new(ip.payload()).unwrap();
        assert_eq!(
            (tcp.get_source(), tcp.get_destination(), tcp.get_sequence()),
            (40000, 80, 1000)
        );
        assert_eq!(tcp.get_flags(), TcpFlags::SYN);
        assert_eq!(tcp.get_checksum(), tcp::ipv4_checksum(&tcp, &src, &dst));
        // MSS option: kind 2, length 4, 1460 = 0x05b4.
        assert_eq!(&bytes[40..44], &[2, 4, 0x05, 0xb4]);
    }
}
