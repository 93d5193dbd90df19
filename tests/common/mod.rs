//! Helpers shared by the integration tests that read `--json` traces.

use serde_json::Value;

/// The trace's events of one type (`"tls.message"`, `"http.frame"`, ...), in order.
#[allow(dead_code)]
pub fn of_type<'a>(v: &'a Value, ty: &str) -> Vec<&'a Value> {
    v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == ty)
        .collect()
}

/// A full TLS 1.3 handshake's messages, in order (RFC 8446 §2).
#[allow(dead_code)]
pub const FULL_HANDSHAKE: [&str; 7] = [
    "ClientHello",
    "ServerHello",
    "EncryptedExtensions",
    "Certificate",
    "CertificateVerify",
    "Finished",
    "Finished",
];
