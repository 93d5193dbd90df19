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

/// The netlab binary, offline (NETLAB_OFFLINE=1), without colour and with 100 columns for help.
#[allow(dead_code)]
pub fn netlab() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("netlab").unwrap();
    cmd.env("NETLAB_OFFLINE", "1")
        .env("COLUMNS", "100")
        .env_remove("NO_COLOR");
    cmd
}

/// Runs `check` on every item, even after one fails (an insta snapshot mismatch panics), then fails
/// naming each item whose check failed: one run shows every changed snapshot.
#[allow(dead_code)]
pub fn check_each<T>(items: impl IntoIterator<Item = (String, T)>, check: impl Fn(&str, T)) {
    let failed: Vec<String> = items
        .into_iter()
        .filter_map(|(name, item)| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&name, item)))
                .err()
                .map(|_| name)
        })
        .collect();
    assert!(failed.is_empty(), "{} failed: {}", failed.len(), failed.join(", "));
}
