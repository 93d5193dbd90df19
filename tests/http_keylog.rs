//! `netlab http --keylog FILE`: the TLS secrets of the fetch's connections (HTTP/2 over TCP,
//! HTTP/3 over QUIC) written as an NSS key log, 0600, that Wireshark and `netlab pcap --keylog`
//! read: `LABEL CLIENT_RANDOM SECRET`, a 32-octet client random naming the connection.

mod common;
use common::netlab;
use predicates::prelude::*;
use std::os::unix::fs::PermissionsExt;

/// The key log `netlab http URL --sandbox FLAG --keylog` writes, checked line by line: every
/// line parses, and a connection's 1-RTT secrets are there. Returns its lines.
fn keylog_of(flag: &str) -> Vec<(String, String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.txt");
    netlab()
        .args(["http", "https://www.example.com/", "--sandbox", flag, "--keylog"])
        .arg(&path)
        .assert()
        .success();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{flag}: a key log is a secret");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<(String, String, String)> = text
        .lines()
        .map(|l| {
            let parts: Vec<&str> = l.split(' ').collect();
            let [label, random, secret] = parts[..] else {
                panic!("{flag}: not LABEL CLIENT_RANDOM SECRET: {l:?}")
            };
            let random_octets = netlab::hex::decode(random).unwrap_or_else(|| panic!("{flag}: {l}"));
            assert_eq!(random_octets.len(), 32, "{flag}: a client random is 32 octets: {l}");
            let secret_octets = netlab::hex::decode(secret).unwrap_or_else(|| panic!("{flag}: {l}"));
            assert!(
                matches!(secret_octets.len(), 32 | 48),
                "{flag}: a SHA-256 or SHA-384 secret: {l}"
            );
            (label.to_string(), random.to_string(), secret.to_string())
        })
        .collect();
    for label in [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
    ] {
        assert!(lines.iter().any(|(l, _, _)| l == label), "{flag}: no {label} in {text}");
    }
    // One connection: one client random names every secret.
    assert!(lines.iter().all(|(_, r, _)| *r == lines[0].1), "{flag}: {text}");
    assert!(netlab::packet::tlsflows::parse_keylog(&text).is_ok());
    lines
}

#[test]
fn http3_writes_the_quic_connections_secrets() {
    keylog_of("--h3");
}

#[test]
fn http2_writes_the_tls_connections_secrets() {
    keylog_of("--h2");
}

#[test]
fn a_missing_folder_is_refused_unless_create_dirs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no/such/keys.txt");
    netlab()
        .args(["http", "https://www.example.com/", "--sandbox", "--h3", "--keylog"])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--keylog").and(predicate::str::contains("--create-dirs")));
    assert!(!dir.path().join("no").exists(), "nothing was made");
    netlab()
        .args([
            "http",
            "https://www.example.com/",
            "--sandbox",
            "--h3",
            "--create-dirs",
            "--keylog",
        ])
        .arg(&path)
        .assert()
        .success();
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .contains("CLIENT_TRAFFIC_SECRET_0"));
}

#[test]
fn compare_writes_both_connections_each_named_by_its_client_random() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.txt");
    netlab()
        .args(["http", "https://www.example.com/", "--sandbox", "--compare", "--keylog"])
        .arg(&path)
        .assert()
        .success();
    let log = netlab::packet::tlsflows::parse_keylog(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(log.len(), 2, "HTTP/2's connection and HTTP/3's");
    assert!(log
        .values()
        .all(|secrets| secrets.contains_key("CLIENT_TRAFFIC_SECRET_0")));
}
