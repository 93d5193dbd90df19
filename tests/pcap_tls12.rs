//! `netlab pcap --keylog` on the TLS 1.2 captures: the master secret of a `CLIENT_RANDOM` line
//! opens both sides' records after their ChangeCipherSpec, both Finished are recomputed, and the
//! HTTP/1.1 exchange is read; without the key, the encrypted records are named as Wireshark
//! names them.

mod common;
use common::{netlab, of_type, trace};
use serde_json::Value;

/// `netlab --json pcap ARGS`, which must succeed.
fn pcap_json(args: &[&str]) -> Value {
    let (v, code) = trace(&[&["pcap"], args].concat());
    assert_eq!(code, 0, "netlab pcap {args:?}");
    v
}

/// The one TLS connection of a capture, decoded with `keylog`.
fn the_connection(capture: &str, keylog: &str) -> Value {
    let v = pcap_json(&[capture, "--keylog", keylog]);
    let tls = of_type(&v, "packet.tls");
    assert_eq!(tls.len(), 1, "one TLS connection in {capture}");
    tls[0].clone()
}

fn events_of<'a>(flow: &'a Value, ty: &str) -> Vec<&'a Value> {
    flow["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == ty)
        .collect()
}

/// The decrypted connection of a capture and its key log: the handshake in order, both
/// Finished decrypted and verified, the HTTP/1.1 request and response, the summary.
fn decrypts(capture: &str, keylog: &str, suite: &str, hash: &str) {
    let flow = the_connection(capture, keylog);
    assert_eq!(flow["keys_found"], true);
    let messages = events_of(&flow, "tls.message");
    let names: Vec<(&str, &str, bool)> = messages
        .iter()
        .map(|m| {
            (
                m["direction"].as_str().unwrap(),
                m["name"].as_str().unwrap(),
                m["encrypted"].as_bool().unwrap(),
            )
        })
        .collect();
    let (c, s) = ("client_to_server", "server_to_client");
    assert_eq!(
        names[..11],
        [
            (c, "ClientHello", false),
            (s, "ServerHello", false),
            (s, "Certificate", false),
            (s, "ServerKeyExchange (TLS 1.2)", false),
            (s, "ServerHelloDone (TLS 1.2)", false),
            (c, "ClientKeyExchange (TLS 1.2)", false),
            (c, "ChangeCipherSpec", false),
            (c, "Finished", true),
            (s, "ChangeCipherSpec", false),
            (s, "Finished", true),
            (s, "Alert close_notify", true),
        ],
        "{names:?}"
    );
    // Finished is 4 octets of header and 12 of verify_data (RFC 5246 §7.4.9).
    let finished: Vec<&&Value> = messages.iter().filter(|m| m["name"] == "Finished").collect();
    assert!(finished.iter().all(|m| m["length"] == 16), "{finished:?}");
    let checks = events_of(&flow, "tls.finished_check");
    let verdicts: Vec<(&str, bool)> = checks
        .iter()
        .map(|c| (c["sender"].as_str().unwrap(), c["verified"].as_bool().unwrap()))
        .collect();
    assert_eq!(verdicts, [("client", true), ("server", true)]);
    let detail = checks[1]["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("\"server finished\", {hash} of the 7 handshake messages")),
        "the server's Finished covers the client's: {detail}"
    );
    // Each verify_data the trace shows is the one the check matched.
    let shown = finished[1]["details"][0]
        .as_str()
        .unwrap()
        .trim_start_matches("verify_data ");
    assert!(detail.ends_with(&format!("({shown})")), "{detail} vs {shown}");
    let http = events_of(&flow, "tls.application_data");
    assert_eq!(http.len(), 2, "{http:?}");
    assert_eq!(
        (&http[0]["direction"], &http[0]["head"][0]),
        (&c.into(), &"GET / HTTP/1.1".into())
    );
    assert!(http[0]["head"]
        .as_array()
        .unwrap()
        .contains(&"host: tls12.example.com".into()));
    assert_eq!(
        (&http[1]["direction"], &http[1]["head"][0]),
        (&s.into(), &"HTTP/1.1 200 OK".into())
    );
    let summary = events_of(&flow, "tls.summary")[0];
    assert_eq!(summary["version"], "TLS 1.2");
    assert_eq!(summary["cipher_suite"], suite);
    assert_eq!(summary["finished_verified"], true);
    assert_eq!(summary["key_exchange_group"], "x25519", "from the ServerKeyExchange");
    assert_eq!(
        summary["alpn"], "http/1.1",
        "from the ServerHello, where TLS 1.2 says it"
    );
    assert_eq!(summary["round_trips"], 2);
    assert_eq!(summary["application_records"], 3);
    // TLS 1.2 records hide no inner content type.
    assert!(events_of(&flow, "tls.record")
        .iter()
        .all(|r| r.get("inner_type").is_none() && r.get("undecrypted").is_none()));
}

#[test]
fn aes_256_gcm_capture_decrypts_with_its_key_log() {
    decrypts(
        "captures/tls12-handshake.pcap",
        "captures/tls12-handshake.keylog",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "SHA-384",
    );
}

#[test]
fn chacha20_poly1305_capture_decrypts_with_its_key_log() {
    decrypts(
        "captures/tls12-chacha.pcap",
        "captures/tls12-chacha.keylog",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "SHA-256",
    );
}

#[test]
fn the_text_shows_the_verified_finished_and_the_http_exchange() {
    let out = netlab()
        .args([
            "pcap",
            "captures/tls12-handshake.pcap",
            "--keylog",
            "captures/tls12-handshake.keylog",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for want in [
        "decrypted with the key log",
        "client Finished verified",
        "server Finished verified",
        "application data (82 B) [decrypted]",
        "GET / HTTP/1.1",
        "HTTP/1.1 200 OK",
        ";; TLS 1.2 handshake, server Finished verified",
    ] {
        assert!(text.contains(want), "{want:?} in:\n{text}");
    }
}

#[test]
fn without_a_key_log_the_finished_is_an_encrypted_handshake_message() {
    let v = pcap_json(&["captures/tls12-handshake.pcap"]);
    let infos: Vec<&str> = of_type(&v, "packet.frame")
        .iter()
        .map(|f| f["info"].as_str().unwrap())
        .collect();
    assert_eq!(
        infos
            .iter()
            .filter(|i| i.contains("Encrypted Handshake Message"))
            .count(),
        2,
        "each side's Finished: {infos:?}"
    );
    assert!(!infos.iter().any(|i| i.contains("unknown(")), "{infos:?}");
    assert!(of_type(&v, "packet.tls").is_empty(), "no key log, no TLS decoding");
}

#[test]
fn a_key_log_for_another_connection_finds_no_keys() {
    let dir = tempfile::tempdir().unwrap();
    // The ChaCha capture's key log: a master secret, for another client random.
    let flow = the_connection("captures/tls12-handshake.pcap", "captures/tls12-chacha.keylog");
    assert_eq!(flow["keys_found"], false);
    let messages = events_of(&flow, "tls.message");
    let encrypted: Vec<&&Value> = messages
        .iter()
        .filter(|m| m["name"] == "Encrypted Handshake Message")
        .collect();
    assert_eq!(encrypted.len(), 2, "each side's Finished, unopened: {messages:?}");
    assert!(encrypted[0]["details"][0]
        .as_str()
        .unwrap()
        .contains("no master secret for this connection"));
    assert!(events_of(&flow, "tls.finished_check").is_empty());
    assert!(events_of(&flow, "tls.application_data").is_empty());
    assert_eq!(events_of(&flow, "tls.summary")[0]["finished_verified"], false);
    let out = netlab()
        .args([
            "pcap",
            "captures/tls12-handshake.pcap",
            "--keylog",
            "captures/tls12-chacha.keylog",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("no secrets for it in the key log"),
        "the text says the keys were not found:\n{text}"
    );
    // The right client random with a wrong master secret: the records fail authentication.
    let keylog = std::fs::read_to_string("captures/tls12-handshake.keylog").unwrap();
    let random = keylog.split_whitespace().nth(1).unwrap();
    let wrong = dir.path().join("wrong.keylog");
    std::fs::write(&wrong, format!("CLIENT_RANDOM {random} {}\n", "11".repeat(48))).unwrap();
    let flow = the_connection("captures/tls12-handshake.pcap", wrong.to_str().unwrap());
    assert_eq!(flow["keys_found"], true);
    let finished: Vec<&Value> = events_of(&flow, "tls.message")
        .into_iter()
        .filter(|m| m["name"] == "Encrypted Handshake Message")
        .collect();
    assert!(finished[0]["details"][0]
        .as_str()
        .unwrap()
        .contains("failed authentication"));
}
