//! The IPv4 header (RFC 791 §3.1) in front of netlab's hand-built packets: version 4, a 20-byte
//! header without options, TTL 64, the whole packet's length, and its checksum (written last,
//! over the header alone). A raw `IPPROTO_RAW` socket sends it as it is, source address
//! included: which is what lets a flood claim any source.

use std::net::Ipv4Addr;

use pnet_packet::ip::IpNextHeaderProtocol;
use pnet_packet::ipv4::{self, Ipv4Flags, MutableIpv4Packet};

/// The header's length: no options.
pub const HEADER: usize = 20;

/// Writes the header into the first 20 bytes of `packet` (the whole packet, its payload
/// already in place after them).
pub fn write_header(
    packet: &mut [u8],
    protocol: IpNextHeaderProtocol,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    dont_fragment: bool,
) {
    let len = packet.len() as u16;
    let mut ip = MutableIpv4Packet::new(packet).expect("a buffer of IPv4 header length");
    ip.set_version(4);
    ip.set_header_length(5);
    ip.set_total_length(len);
    ip.set_ttl(64);
    if dont_fragment {
        ip.set_flags(Ipv4Flags::DontFragment);
    }
    ip.set_next_level_protocol(protocol);
    ip.set_source(src);
    ip.set_destination(dst);
    let sum = ipv4::checksum(&ip.to_immutable());
    ip.set_checksum(sum);
}
