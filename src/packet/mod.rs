//! Packets: captures read with pcap-file, layers decoded with pnet, and the protocol decoders of
//! the rest of netlab (DNS with hickory-proto, TLS records and hellos, QUIC Initials, BGP) on top.

pub mod apps;
pub mod bgp;
pub mod congestion;
pub mod events;
pub mod experiment;
pub mod layer;
pub mod layers;
pub mod onertt;
pub mod pipeline;
pub mod quic;
pub mod quiccrypto;
pub mod quicflows;
pub mod reader;
pub mod render;
pub mod savefile;
pub mod streams;
pub mod tcpinfo;
pub mod tlsflows;
