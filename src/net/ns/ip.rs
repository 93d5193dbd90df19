//! The little the link needs to know of an IP packet: where its transport header starts and
//! whether the TCP segment or UDP datagram carries any payload (a bare ACK does not), which the
//! link model's "drop the Nth data packet" counts.
//!
//! A pure function over untrusted bytes: every field is read through a bounds check, and a
//! packet that is too short or inconsistent is simply "not TCP or UDP" (`None`); nothing here
//! can panic. Packets of other protocols (ICMP, ICMPv6's neighbour discovery and MLD) never
//! count as data.
//!
//! IPv4 header (RFC 791 §3.1):
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version|  IHL  |Type of Service|          Total Length         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Identification        |Flags|      Fragment Offset    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Time to Live |    Protocol   |         Header Checksum       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 Source Address, Destination Address, Options  |
//! ```
//! IHL counts 32-bit words (5 to 15); Total Length counts the header too.
//!
//! IPv6 header (RFC 8200 §3): 40 fixed octets, then a chain of extension headers:
//! ```text
//! |Version| Traffic Class |           Flow Label                  |
//! |         Payload Length        |  Next Header  |   Hop Limit   |
//! |                Source Address (16), Destination Address (16)  |
//! ```
//! Payload Length counts everything after the fixed header, extension headers included.

/// IP protocol number of TCP (RFC 9293).
pub const TCP: u8 = 6;
/// IP protocol number of UDP (RFC 768).
pub const UDP: u8 = 17;

/// IPv6 extension headers (RFC 8200 §4) netlab steps over, by Next Header value.
const HOP_BY_HOP: u8 = 0;
const ROUTING: u8 = 43;
const FRAGMENT: u8 = 44;
const AUTHENTICATION: u8 = 51;
const DESTINATION_OPTIONS: u8 = 60;
const MOBILITY: u8 = 135;
/// The most extension headers followed before giving up (RFC 8200 §4.1 allows each at most
/// once or twice, so real chains are short).
const MAX_EXTENSIONS: usize = 8;

const IPV4_MIN_HEADER: usize = 20;
const IPV6_HEADER: usize = 40;
const TCP_MIN_HEADER: usize = 20;
const UDP_HEADER: usize = 8;

/// Where an IP packet's transport layer sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transport {
    /// IPv4 Protocol or the last IPv6 Next Header (6 = TCP, 17 = UDP, 1 = ICMP, 58 = ICMPv6).
    pub protocol: u8,
    /// Offset of the transport header (or of the fragment's bytes) in the packet.
    pub start: usize,
    /// End of the IP payload: the packet's stated length, cut to the bytes actually present.
    pub end: usize,
    /// A fragment other than the first: its bytes continue a transport payload and hold no
    /// transport header.
    pub later_fragment: bool,
}

/// Finds the transport layer of an IPv4 or IPv6 packet.
pub fn transport(packet: &[u8]) -> Option<Transport> {
    match packet.first()? >> 4 {
        4 => ipv4(packet),
        6 => ipv6(packet),
        _ => None,
    }
}

/// The number of payload bytes of a TCP segment or UDP datagram (every byte of a later
/// fragment); `None` for other protocols and malformed packets.
pub fn payload_len(packet: &[u8]) -> Option<usize> {
    let t = transport(packet)?;
    let segment = t.end - t.start;
    if t.later_fragment {
        return Some(segment);
    }
    match t.protocol {
        // TCP Data Offset: the header's length in 32-bit words, options included (RFC 9293 §3.1).
        TCP => {
            let data_offset = usize::from(packet.get(t.start + 12)? >> 4) * 4;
            if data_offset < TCP_MIN_HEADER {
                return None;
            }
            segment.checked_sub(data_offset)
        }
        UDP => segment.checked_sub(UDP_HEADER),
        _ => None,
    }
}

/// True when the packet is TCP or UDP with a non-empty payload (data, not a bare ACK, SYN or FIN).
pub fn carries_data(packet: &[u8]) -> bool {
    payload_len(packet).is_some_and(|n| n > 0)
}

fn be16(packet: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*packet.get(at)?, *packet.get(at + 1)?]))
}

fn ipv4(packet: &[u8]) -> Option<Transport> {
    let header = usize::from(packet.first()? & 0x0f) * 4;
    let total = usize::from(be16(packet, 2)?);
    let end = total.min(packet.len());
    if header < IPV4_MIN_HEADER || header > end {
        return None;
    }
    let fragment_offset = be16(packet, 6)? & 0x1fff;
    Some(Transport {
        protocol: *packet.get(9)?,
        start: header,
        end,
        later_fragment: fragment_offset != 0,
    })
}

fn ipv6(packet: &[u8]) -> Option<Transport> {
    if packet.len() < IPV6_HEADER {
        return None;
    }
    let end = (IPV6_HEADER + usize::from(be16(packet, 4)?)).min(packet.len());
    let mut next = *packet.get(6)?;
    let mut at = IPV6_HEADER;
    for _ in 0..MAX_EXTENSIONS {
        let mut later_fragment = false;
        let length = match next {
            // Hdr Ext Len counts 8-octet units, not including the first 8 octets.
            HOP_BY_HOP | ROUTING | DESTINATION_OPTIONS | MOBILITY => (usize::from(*packet.get(at + 1)?) + 1) * 8,
            // Fragment header (RFC 8200 §4.5): fixed 8 octets; offset in 8-octet units.
            FRAGMENT => {
                later_fragment = be16(packet, at + 2)? >> 3 != 0;
                8
            }
            // AH's Payload Len counts 4-octet units, minus 2 (RFC 4302 §2.2).
            AUTHENTICATION => (usize::from(*packet.get(at + 1)?) + 2) * 4,
            protocol => {
                return Some(Transport {
                    protocol,
                    start: at,
                    end,
                    later_fragment: false,
                })
            }
        };
        next = *packet.get(at)?;
        at += length;
        if at > end {
            return None;
        }
        if later_fragment {
            return Some(Transport {
                protocol: next,
                start: at,
                end,
                later_fragment,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// An IPv4 TCP packet: 20-octet IP header, a TCP header of `tcp_header` octets, `payload`.
    fn ipv4_tcp(tcp_header: usize, payload: usize) -> Vec<u8> {
        let total = 20 + tcp_header + payload;
        let mut p = vec![
            0x45,
            0x00, // version 4, IHL 5 (20 octets), TOS
            (total >> 8) as u8,
            total as u8, // total length
            0x12,
            0x34,
            0x40,
            0x00, // identification, DF, fragment offset 0
            64,
            TCP,
            0x00,
            0x00, // TTL, protocol 6 (TCP), checksum (unchecked)
            100,
            64,
            0,
            2, // source 100.64.0.2
            192,
            0,
            2,
            80, // destination 192.0.2.80
        ];
        let mut tcp = vec![0u8; tcp_header];
        tcp[12] = ((tcp_header / 4) << 4) as u8; // data offset
        tcp[13] = 0x10; // ACK
        p.extend(tcp);
        p.extend(std::iter::repeat_n(0xaa, payload));
        p
    }

    /// An IPv6 UDP packet with the given extension headers (next header, bytes) before it.
    fn ipv6_udp(extensions: &[(u8, Vec<u8>)], payload: usize) -> Vec<u8> {
        let mut after = Vec::new();
        for (i, (_, bytes)) in extensions.iter().enumerate() {
            let mut bytes = bytes.clone();
            bytes[0] = extensions.get(i + 1).map_or(UDP, |e| e.0);
            after.extend(bytes);
        }
        let udp_len = 8 + payload;
        after.extend([0x12, 0x34, 0x00, 0x35, (udp_len >> 8) as u8, udp_len as u8, 0, 0]);
        after.extend(std::iter::repeat_n(0x55, payload));
        let first = extensions.first().map_or(UDP, |e| e.0);
        let mut p = vec![
            0x60,
            0,
            0,
            0, // version 6, traffic class, flow label
            (after.len() >> 8) as u8,
            after.len() as u8,
            first,
            64, // payload length, next header, hop limit
        ];
        p.extend([0u8; 32]); // source and destination addresses
        p.extend(after);
        p
    }

    #[test]
    fn bare_ack_carries_no_data() {
        let ack = ipv4_tcp(32, 0); // with the timestamps option: 52 octets
        assert_eq!(ack.len(), 52);
        assert_eq!(payload_len(&ack), Some(0));
        assert!(!carries_data(&ack));
    }

    #[test]
    fn tcp_segment_with_payload_carries_data() {
        let segment = ipv4_tcp(20, 100);
        assert_eq!(payload_len(&segment), Some(100));
        assert!(carries_data(&segment));
    }

    #[test]
    fn ethernet_padding_after_total_length_is_not_payload() {
        let mut ack = ipv4_tcp(20, 0);
        ack.extend([0; 6]);
        assert_eq!(payload_len(&ack), Some(0));
    }

    #[test]
    fn ipv6_udp_through_extension_headers() {
        assert_eq!(payload_len(&ipv6_udp(&[], 12)), Some(12));
        let hop_by_hop = (HOP_BY_HOP, vec![0, 0, 0, 0, 0, 0, 0, 0]);
        let destination = (
            DESTINATION_OPTIONS,
            vec![0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        );
        let p = ipv6_udp(&[hop_by_hop, destination], 3);
        let t = transport(&p).unwrap();
        assert_eq!((t.protocol, t.start), (UDP, 40 + 8 + 16));
        assert_eq!(payload_len(&p), Some(3));
        assert!(!carries_data(&ipv6_udp(&[], 0)));
    }

    #[test]
    fn later_fragments_are_all_payload() {
        // Fragment header: next header, reserved, offset 185 (1480 octets) << 3 | M, identification.
        let fragment = (FRAGMENT, vec![0, 0, 0x05, 0xc9, 0, 0, 0, 1]);
        let p = ipv6_udp(&[fragment], 0);
        let t = transport(&p).unwrap();
        assert!(t.later_fragment);
        assert_eq!(payload_len(&p), Some(8)); // the bytes that looked like a UDP header
        let mut v4 = ipv4_tcp(20, 0);
        v4[6] = 0x00;
        v4[7] = 0xb9; // offset 185
        assert!(transport(&v4).unwrap().later_fragment);
        assert!(carries_data(&v4));
    }

    #[test]
    fn icmp_is_never_data() {
        let mut ping = ipv4_tcp(20, 56);
        ping[9] = 1;
        assert_eq!(payload_len(&ping), None);
        assert!(!carries_data(&ping));
    }

    #[test]
    fn malformed_headers_are_not_transport() {
        assert_eq!(transport(&[]), None);
        assert_eq!(transport(&[0x45]), None);
        let mut short_ihl = ipv4_tcp(20, 10);
        short_ihl[0] = 0x44; // IHL 4: shorter than the fixed header
        assert_eq!(transport(&short_ihl), None);
        let mut bad_offset = ipv4_tcp(20, 10);
        bad_offset[32] = 0x40; // TCP data offset 4 words: below the minimum of 5
        assert_eq!(payload_len(&bad_offset), None);
        let mut long_offset = ipv4_tcp(20, 10);
        long_offset[32] = 0xf0; // 60-octet TCP header in a 30-octet segment
        assert_eq!(payload_len(&long_offset), None);
        let cut = &ipv4_tcp(20, 0)[..30]; // the TCP header's first 10 octets only
        assert_eq!(transport(cut).map(|t| t.end), Some(30));
        assert_eq!(payload_len(cut), None);
        assert_eq!(transport(&[0x60; 39]), None);
    }

    proptest! {
        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Some(t) = transport(&bytes) {
                prop_assert!(t.start <= t.end && t.end <= bytes.len());
            }
            let _ = carries_data(&bytes);
        }

        #[test]
        fn garbage_after_a_plausible_first_byte_never_panics(
            first in prop_oneof![Just(0x45u8), Just(0x4fu8), Just(0x60u8)],
            rest in proptest::collection::vec(any::<u8>(), 0..120),
        ) {
            let mut bytes = vec![first];
            bytes.extend(rest);
            if let Some(n) = payload_len(&bytes) {
                prop_assert!(n <= bytes.len());
            }
        }

        #[test]
        fn tcp_payload_is_what_was_put_in(options in 0usize..=10, payload in 0usize..1400) {
            let p = ipv4_tcp(20 + options * 4, payload);
            prop_assert_eq!(payload_len(&p), Some(payload));
            prop_assert_eq!(carries_data(&p), payload > 0);
        }

        #[test]
        fn truncation_never_panics(payload in 0usize..64, cut in 0usize..120) {
            let p = ipv6_udp(&[(HOP_BY_HOP, vec![0; 8])], payload);
            let _ = payload_len(&p[..cut.min(p.len())]);
        }
    }
}
