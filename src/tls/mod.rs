//! TLS 1.3, byte by byte: the record layer, handshake messages, the key schedule and record
//! decryption. Pure functions over bytes, verified against RFC 8448's example handshake
//! (`tests/tls_rfc8448.rs`). The `netlab tls` command that traces live handshakes with them
//! builds on these.

pub mod handshake;
pub mod keys;
pub mod record;
