//! TLS 1.3 handshake messages (RFC 8446 §4): framing, and the two hellos decoded field by field.
//!
//! ```text
//! struct {
//!     HandshakeType msg_type;    // 1 octet
//!     uint24 length;             // 3 octets
//!     ...body...
//! } Handshake;
//! ```
//!
//! A message may be split across records, or several may share one record: [`split`] works on
//! the concatenated handshake bytes and leaves an incomplete message for later. Every read is
//! bounds-checked; bad bytes give a [`HandshakeError`] naming the field.

use serde::{Deserialize, Serialize};

use crate::hex;

/// Largest handshake message accepted (RFC 8446 allows 2^24 - 1; certificate chains stay far below).
pub const MAX_MESSAGE: usize = 1 << 17;

/// The random of a HelloRetryRequest: SHA-256("HelloRetryRequest") (RFC 8446 §4.1.3).
pub const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11,
    0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Why handshake bytes do not decode: which field, and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    #[error("{field}: needs {need} more octet(s), {left} left")]
    Short {
        field: &'static str,
        need: usize,
        left: usize,
    },
    #[error("handshake message of {0} octets is over the limit of {MAX_MESSAGE}")]
    TooLong(usize),
    #[error("{0} octet(s) left over after the {1}")]
    Trailing(usize, &'static str),
}

/// A bounds-checked reader over a byte slice.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub fn left(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], HandshakeError> {
        let left = self.left();
        if n > left {
            return Err(HandshakeError::Short { field, need: n, left });
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    pub fn u8(&mut self, field: &'static str) -> Result<u8, HandshakeError> {
        Ok(self.take(1, field)?[0])
    }

    pub fn u16(&mut self, field: &'static str) -> Result<u16, HandshakeError> {
        let b = self.take(2, field)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub fn u24(&mut self, field: &'static str) -> Result<usize, HandshakeError> {
        let b = self.take(3, field)?;
        Ok(usize::from(b[0]) << 16 | usize::from(b[1]) << 8 | usize::from(b[2]))
    }

    /// A vector with a one-octet length prefix.
    pub fn vec8(&mut self, field: &'static str) -> Result<&'a [u8], HandshakeError> {
        let n = usize::from(self.u8(field)?);
        self.take(n, field)
    }

    /// A vector with a two-octet length prefix.
    pub fn vec16(&mut self, field: &'static str) -> Result<&'a [u8], HandshakeError> {
        let n = usize::from(self.u16(field)?);
        self.take(n, field)
    }

    /// A vector with a three-octet length prefix.
    pub fn vec24(&mut self, field: &'static str) -> Result<&'a [u8], HandshakeError> {
        let n = self.u24(field)?;
        self.take(n, field)
    }

    pub fn u32(&mut self, field: &'static str) -> Result<u32, HandshakeError> {
        let b = self.take(4, field)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn done(&self, what: &'static str) -> Result<(), HandshakeError> {
        match self.left() {
            0 => Ok(()),
            n => Err(HandshakeError::Trailing(n, what)),
        }
    }
}

/// The handshake message types of RFC 8446 §4.
pub fn message_name(t: u8) -> String {
    match t {
        1 => "ClientHello".into(),
        2 => "ServerHello".into(),
        4 => "NewSessionTicket".into(),
        5 => "EndOfEarlyData".into(),
        8 => "EncryptedExtensions".into(),
        12 => "ServerKeyExchange (TLS 1.2)".into(),
        14 => "ServerHelloDone (TLS 1.2)".into(),
        16 => "ClientKeyExchange (TLS 1.2)".into(),
        11 => "Certificate".into(),
        13 => "CertificateRequest".into(),
        15 => "CertificateVerify".into(),
        20 => "Finished".into(),
        24 => "KeyUpdate".into(),
        254 => "MessageHash".into(),
        n => format!("unknown({n})"),
    }
}

/// A whole handshake message: its type and its bytes, header included.
pub type Message<'a> = (u8, &'a [u8]);

/// Splits concatenated handshake bytes into whole messages; the incomplete tail is returned for
/// the next record to complete.
pub fn split(bytes: &[u8]) -> Result<(Vec<Message<'_>>, &[u8]), HandshakeError> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while rest.len() >= 4 {
        let len = usize::from(rest[1]) << 16 | usize::from(rest[2]) << 8 | usize::from(rest[3]);
        if len > MAX_MESSAGE {
            return Err(HandshakeError::TooLong(len));
        }
        if rest.len() < 4 + len {
            break;
        }
        out.push((rest[0], &rest[..4 + len]));
        rest = &rest[4 + len..];
    }
    Ok((out, rest))
}

/// A code point with its registered name (GREASE values named as such, RFC 8701).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    pub value: u16,
    pub name: String,
}

/// GREASE: 0x?a?a with both octets equal (RFC 8701), sent to keep servers tolerant.
pub fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff
}

pub fn named(value: u16, table: fn(u16) -> Option<&'static str>) -> Named {
    let name = if is_grease(value) {
        "GREASE".to_string()
    } else {
        table(value).map_or_else(|| format!("unknown(0x{value:04x})"), str::to_string)
    };
    Named { value, name }
}

pub use super::names::cipher_suite_name;

/// Named groups (RFC 8446 §4.2.7, RFC 7919, and the post-quantum hybrid X25519MLKEM768).
pub fn group_name(v: u16) -> Option<&'static str> {
    Some(match v {
        0x0017 => "secp256r1",
        0x0018 => "secp384r1",
        0x0019 => "secp521r1",
        0x001d => "x25519",
        0x001e => "x448",
        0x0100 => "ffdhe2048",
        0x0101 => "ffdhe3072",
        0x0102 => "ffdhe4096",
        0x0103 => "ffdhe6144",
        0x0104 => "ffdhe8192",
        0x11ec => "X25519MLKEM768",
        0x6399 => "X25519Kyber768Draft00",
        _ => return None,
    })
}

/// Signature schemes (RFC 8446 §4.2.3).
pub fn signature_scheme_name(v: u16) -> Option<&'static str> {
    Some(match v {
        0x0201 => "rsa_pkcs1_sha1",
        0x0203 => "ecdsa_sha1",
        0x0401 => "rsa_pkcs1_sha256",
        0x0501 => "rsa_pkcs1_sha384",
        0x0601 => "rsa_pkcs1_sha512",
        0x0403 => "ecdsa_secp256r1_sha256",
        0x0503 => "ecdsa_secp384r1_sha384",
        0x0603 => "ecdsa_secp521r1_sha512",
        0x0804 => "rsa_pss_rsae_sha256",
        0x0805 => "rsa_pss_rsae_sha384",
        0x0806 => "rsa_pss_rsae_sha512",
        0x0807 => "ed25519",
        0x0808 => "ed448",
        0x0809 => "rsa_pss_pss_sha256",
        0x080a => "rsa_pss_pss_sha384",
        0x080b => "rsa_pss_pss_sha512",
        _ => return None,
    })
}

/// Extension types (IANA "TLS ExtensionType Values").
pub fn extension_name(v: u16) -> Option<&'static str> {
    Some(match v {
        0 => "server_name",
        1 => "max_fragment_length",
        5 => "status_request",
        10 => "supported_groups",
        11 => "ec_point_formats",
        13 => "signature_algorithms",
        16 => "application_layer_protocol_negotiation",
        18 => "signed_certificate_timestamp",
        21 => "padding",
        22 => "encrypt_then_mac",
        23 => "extended_master_secret",
        27 => "compress_certificate",
        28 => "record_size_limit",
        35 => "session_ticket",
        41 => "pre_shared_key",
        42 => "early_data",
        43 => "supported_versions",
        44 => "cookie",
        45 => "psk_key_exchange_modes",
        47 => "certificate_authorities",
        49 => "post_handshake_auth",
        50 => "signature_algorithms_cert",
        51 => "key_share",
        57 => "quic_transport_parameters",
        17513 => "application_settings",
        0xfe0d => "encrypted_client_hello",
        0xff01 => "renegotiation_info",
        _ => return None,
    })
}

fn version_name(v: u16) -> Option<&'static str> {
    Some(match v {
        0x0300 => "SSL 3.0",
        0x0301 => "TLS 1.0",
        0x0302 => "TLS 1.1",
        0x0303 => "TLS 1.2",
        0x0304 => "TLS 1.3",
        _ => return None,
    })
}

/// One extension: its type and what its contents say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    pub ext_type: Named,
    pub length: usize,
    pub decoded: Vec<String>,
}

/// A decoded ClientHello (RFC 8446 §4.1.2) or ServerHello (§4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// `ClientHello`, `ServerHello` or `HelloRetryRequest`.
    pub kind: String,
    pub legacy_version: Named,
    pub random: String,
    pub session_id: String,
    /// Offered (client) or chosen (server).
    pub cipher_suites: Vec<Named>,
    pub extensions: Vec<Extension>,
}

fn u16_list(
    data: &[u8],
    field: &'static str,
    table: fn(u16) -> Option<&'static str>,
) -> Result<Vec<String>, HandshakeError> {
    let mut r = Reader::new(data);
    let mut out = Vec::new();
    while r.left() > 0 {
        out.push(named(r.u16(field)?, table).name);
    }
    Ok(out)
}

/// What one extension's contents say, as short lines.
pub fn decode_extension(t: u16, data: &[u8], from_client: bool) -> Result<Vec<String>, HandshakeError> {
    let mut r = Reader::new(data);
    Ok(match t {
        0 if from_client => {
            let mut list = Reader::new(r.vec16("server_name list")?);
            let mut names = Vec::new();
            while list.left() > 0 {
                let kind = list.u8("server_name type")?;
                let name = list.vec16("server_name host_name")?;
                names.push(if kind == 0 {
                    String::from_utf8_lossy(name).into_owned()
                } else {
                    format!("type {kind}: {}", hex::encode(name))
                });
            }
            names
        }
        10 => u16_list(r.vec16("supported_groups")?, "supported_groups", group_name)?,
        13 | 50 => u16_list(
            r.vec16("signature_algorithms")?,
            "signature_algorithms",
            signature_scheme_name,
        )?,
        16 => {
            let mut list = Reader::new(r.vec16("ALPN list")?);
            let mut out = Vec::new();
            while list.left() > 0 {
                out.push(String::from_utf8_lossy(list.vec8("ALPN protocol")?).into_owned());
            }
            out
        }
        43 if from_client => u16_list(r.vec8("supported_versions")?, "supported_versions", version_name)?,
        43 => vec![named(r.u16("selected_version")?, version_name).name],
        45 => r
            .vec8("psk_key_exchange_modes")?
            .iter()
            .map(|m| match m {
                0 => "psk_ke".to_string(),
                1 => "psk_dhe_ke".to_string(),
                n => format!("unknown({n})"),
            })
            .collect(),
        51 if from_client => {
            let mut list = Reader::new(r.vec16("key_share client_shares")?);
            let mut out = Vec::new();
            while list.left() > 0 {
                let group = named(list.u16("key_share group")?, group_name);
                let key = list.vec16("key_share key_exchange")?;
                out.push(format!("{} ({} octets)", group.name, key.len()));
            }
            out
        }
        51 if data.len() == 2 => vec![format!(
            "{} (HelloRetryRequest: send a share for this group)",
            named(r.u16("selected_group")?, group_name).name
        )],
        51 => {
            let group = named(r.u16("key_share group")?, group_name);
            let key = r.vec16("key_share key_exchange")?;
            vec![format!("{} ({} octets)", group.name, key.len())]
        }
        _ => {
            return Ok(if data.is_empty() {
                Vec::new()
            } else {
                vec![format!("{} octets", data.len())]
            });
        }
    })
}

/// Decodes a ClientHello or ServerHello message (with its 4-octet header).
pub fn decode_hello(message: &[u8]) -> Result<Hello, HandshakeError> {
    let mut m = Reader::new(message);
    let msg_type = m.u8("msg_type")?;
    let len = m.u24("length")?;
    let body = m.take(len, "handshake body")?;
    m.done("handshake message")?;
    let from_client = msg_type == 1;
    let mut r = Reader::new(body);
    let legacy_version = named(r.u16("legacy_version")?, version_name);
    let random = r.take(32, "random")?;
    let session_id = r.vec8("legacy_session_id")?;
    let cipher_suites = if from_client {
        let mut list = Reader::new(r.vec16("cipher_suites")?);
        let mut out = Vec::new();
        while list.left() > 0 {
            out.push(named(list.u16("cipher_suite")?, cipher_suite_name));
        }
        let _compression = r.vec8("legacy_compression_methods")?;
        out
    } else {
        let suite = named(r.u16("cipher_suite")?, cipher_suite_name);
        let _compression = r.u8("legacy_compression_method")?;
        vec![suite]
    };
    let mut extensions = Vec::new();
    if r.left() > 0 {
        let mut list = Reader::new(r.vec16("extensions")?);
        while list.left() > 0 {
            let t = list.u16("extension_type")?;
            let data = list.vec16("extension_data")?;
            extensions.push(Extension {
                ext_type: named(t, extension_name),
                length: data.len(),
                decoded: decode_extension(t, data, from_client)?,
            });
        }
    }
    r.done("hello")?;
    let kind = match (from_client, random == HRR_RANDOM) {
        (true, _) => "ClientHello",
        (false, true) => "HelloRetryRequest",
        (false, false) => "ServerHello",
    };
    Ok(Hello {
        kind: kind.to_string(),
        legacy_version,
        random: hex::encode(random),
        session_id: hex::encode(session_id),
        cipher_suites,
        extensions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grease_and_names() {
        assert!(is_grease(0x0a0a) && is_grease(0xfafa) && !is_grease(0x0a1a) && !is_grease(0x1301));
        assert_eq!(named(0x2a2a, cipher_suite_name).name, "GREASE");
        assert_eq!(named(0x11ec, group_name).name, "X25519MLKEM768");
        assert_eq!(named(0x9999, group_name).name, "unknown(0x9999)");
    }

    #[test]
    fn split_keeps_incomplete_tail() {
        let bytes = [8, 0, 0, 2, 0, 0, 20, 0, 0, 32, 1, 2];
        let (msgs, rest) = split(&bytes).unwrap();
        assert_eq!(msgs, [(8u8, &bytes[..6])]);
        assert_eq!(rest, &bytes[6..]);
        assert_eq!(
            split(&[11, 0xff, 0xff, 0xff]).unwrap_err(),
            HandshakeError::TooLong(0xffffff)
        );
    }

    #[test]
    fn short_fields_are_named() {
        let err = decode_hello(&[1, 0, 0, 5, 3, 3, 1, 2, 3]).unwrap_err();
        assert_eq!(err.to_string(), "random: needs 32 more octet(s), 3 left");
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_decode_or_fail_cleanly(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = decode_hello(&bytes);
            let _ = split(&bytes);
        }

        #[test]
        fn hello_shaped_bytes_never_panic(body in proptest::collection::vec(proptest::num::u8::ANY, 0..200), t in 1u8..3) {
            let mut m = vec![t, 0, (body.len() >> 8) as u8, body.len() as u8];
            m.extend(&body);
            let _ = decode_hello(&m);
        }
    }
}
