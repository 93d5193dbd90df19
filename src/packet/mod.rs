//! Packets: captures read with pcap-file, layers decoded with pnet, and the protocol decoders of
//! the rest of netlab (DNS with hickory-proto, TLS records and hellos, QUIC Initials) on top.

pub mod quic;
