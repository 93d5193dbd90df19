//! TLS 1.3 (and 1.2), byte by byte: `netlab tls` taps a rustls connection ([`tap`], [`client`]),
//! then decodes what crossed the wire ([`decode`]) with pure parsers ([`record`], [`handshake`],
//! [`cert`]), shows the client's certificate check ([`verify`], in plain words: [`verdict`]) and
//! its own key schedule and record decryption ([`keys`], verified against RFC 8448's example
//! handshake in `tests/tls_rfc8448.rs`; TLS 1.2's PRF, key block and records: [`tls12`]), and
//! the HTTP/1.x heads in the decrypted data ([`plaintext`]).

pub mod cert;
pub mod client;
pub mod decode;
pub mod events;
pub mod fingerprint;
pub mod handshake;
pub mod identity;
pub mod insecure;
pub mod keys;
pub mod names;
pub mod plaintext;
pub mod record;
pub mod render;
pub mod secrets;
pub mod serve;
pub mod server;
pub mod tap;
pub mod tls12;
pub mod verdict;
pub mod verify;
