//! `netlab http`: fetch a URL over HTTP/2 (TCP + TLS) and HTTP/3 (QUIC), measure each phase, log
//! the HTTP/2 frames with their HPACK compression, and QUIC's own view of the connection.

pub mod cache_status;
pub mod carried;
pub mod client;
pub mod edge_story;
pub mod events;
pub mod fetch;
pub mod frames;
pub mod h2;
pub mod h3;
pub mod h3tap;
pub mod hpack;
pub mod pace;
pub mod qpack;
pub mod rate_fields;
pub mod render;
pub mod runs;
pub mod sf;
pub mod verbose;
pub mod writeout;
