//! `netlab http`: fetch a URL over HTTP/2 (TCP + TLS) and HTTP/3 (QUIC), measure each phase, log
//! the HTTP/2 frames with their HPACK compression, and QUIC's own view of the connection.

pub mod frames;
pub mod hpack;
