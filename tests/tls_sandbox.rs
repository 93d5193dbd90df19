//! `netlab tls` against the sandbox's TLS host: the handshake decrypted message by message, the
//! Finished recomputed, key logs and secrets, certificate failures, and the offline guard.

mod common;
use common::{netlab, of_type, trace, FULL_HANDSHAKE};
use predicates::prelude::*;
use serde_json::Value;

/// `netlab --json tls --sandbox ARGS`: the trace and the exit code.
fn handshake(args: &[&str]) -> (Value, i32) {
    trace(&[&["tls", "--sandbox"], args].concat())
}

#[test]
fn tls13_handshake_decrypted_and_finished_verified() {
    let (v, code) = handshake(&["www.example.com"]);
    assert_eq!(code, 0);
    assert_eq!(v["schema"], "netlab.tls/1");
    let names: Vec<&str> = of_type(&v, "tls.message")
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[..7], FULL_HANDSHAKE);
    assert!(names.contains(&"NewSessionTicket"), "{names:?}");
    let messages = of_type(&v, "tls.message");
    assert_eq!(messages[0]["direction"], "client_to_server");
    assert_eq!(messages[1]["encrypted"], false);
    assert_eq!(messages[2]["encrypted"], true);
    let cert = messages[3]["details"][0].as_str().unwrap();
    assert!(
        cert.contains("issuer CN=netlab sandbox intermediate CA") && cert.contains("www.example.com"),
        "{cert}"
    );
    let ch = &messages[0]["hello"];
    assert!(ch["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["ext_type"]["name"] == "server_name" && e["decoded"][0] == "www.example.com"));
    assert_eq!(of_type(&v, "tls.finished_check")[0]["verified"], true);
    let s = of_type(&v, "tls.summary")[0];
    assert_eq!(s["version"], "TLS 1.3");
    assert_eq!(s["key_exchange_group"], "x25519");
    assert_eq!(s["alpn"], "http/1.1");
    assert_eq!(s["round_trips"], 1);
    let chain: Vec<(&str, &str)> = s["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["subject"].as_str().unwrap(), c["issuer"].as_str().unwrap()))
        .collect();
    assert_eq!(
        chain,
        [
            ("CN=example.com", "CN=netlab sandbox intermediate CA"),
            ("CN=netlab sandbox intermediate CA", "CN=netlab sandbox root CA")
        ]
    );
    assert!(s["application_records"].as_u64().unwrap() >= 1);
    assert!(
        of_type(&v, "tls.record").iter().all(|r| r.get("undecrypted").is_none()),
        "every record decrypted"
    );
    assert!(
        of_type(&v, "tls.secret").is_empty(),
        "no secrets without --show-secrets"
    );
    netlab()
        .args(["tls", "www.example.com", "--sandbox"])
        .assert()
        .success()
        .stdout(predicate::str::contains("client <- server  ServerHello"))
        .stdout(predicate::str::contains(
            "\nserver Finished verified: HMAC over the transcript hash",
        ))
        .stdout(predicate::str::contains(
            ";; TLS 1.3 handshake, server Finished verified",
        ))
        .stdout(predicate::str::contains("chain verified: leaf CN=example.com"));
    // The check, right after the Certificate it judged.
    let events = v["events"].as_array().unwrap();
    let at = events
        .iter()
        .position(|e| e["type"] == "tls.message" && e["name"] == "Certificate")
        .unwrap();
    let check = &events[at + 1];
    assert_eq!(check["type"], "tls.verify", "{check}");
    assert_eq!(check["verified"], true);
    assert_eq!(
        check["verdict"],
        "chain verified: leaf CN=example.com → CN=netlab sandbox intermediate CA → trusted root CN=netlab sandbox root CA"
    );
    let roles: Vec<&str> = check["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["leaf", "intermediate", "trusted root"]);
    assert!(check.get("alert").is_none(), "no alert when the chain verifies");
    assert_eq!(of_type(&v, "tls.summary")[0]["certificate_verified"], true);
}

#[test]
fn the_text_view_says_what_each_hello_carries_in_lines_that_fit() {
    let out = netlab()
        .args(["tls", "www.example.com", "--sandbox", "--no-notes"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("  ClientHello (") && out.contains("\n             cipher suites: TLS_AES_256_GCM_SHA384, "),
        "{out}"
    );
    // The ServerHello carries the one suite the server chose.
    let server_hello = out.split("ServerHello (").nth(1).unwrap();
    assert!(
        server_hello.starts_with(&format!(
            "{} B)\n             cipher suite: TLS_",
            server_hello.split(' ').next().unwrap()
        )),
        "{out}"
    );
    assert!(!out.contains("Finished verified: server Finished verified"), "{out}");
    // Lists wrap at 100 columns (stdout is no terminal); only a line holding one word that
    // cannot break (a hex value) may be wider, and the summary line is the summary's own.
    for line in out.lines().filter(|l| !l.starts_with(";;")) {
        let one_word = !line.trim().contains(' ');
        assert!(
            line.chars().count() <= 100 || one_word,
            "{} columns: {line}",
            line.chars().count()
        );
    }
}

#[test]
fn secrets_and_keylog() {
    let (v, _) = handshake(&["www.example.com", "--show-secrets"]);
    let labels: Vec<&str> = of_type(&v, "tls.secret")
        .iter()
        .map(|s| s["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            "CLIENT_TRAFFIC_SECRET_0",
            "SERVER_TRAFFIC_SECRET_0"
        ]
    );
    let dir = tempfile::tempdir().unwrap();
    let keylog = dir.path().join("keys.txt");
    netlab()
        .args(["tls", "www.example.com", "--sandbox", "--keylog"])
        .arg(&keylog)
        .assert()
        .success();
    let text = std::fs::read_to_string(&keylog).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("SERVER_HANDSHAKE_TRAFFIC_SECRET ") && l.split(' ').count() == 3),
        "{text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&keylog).unwrap().permissions().mode() & 0o777, 0o600);
    }
}

#[test]
fn a_name_the_certificate_does_not_cover_fails_precisely() {
    let (v, code) = handshake(&["www.example.com", "--sni", "evil.example"]);
    assert_eq!(code, 1);
    let err = of_type(&v, "tls.summary")[0]["error"].as_str().unwrap().to_string();
    assert_eq!(
        err,
        "certificate check failed: the leaf certificate CN=example.com does not cover evil.example: its subjectAltName names example.com, www.example.com, cdn.example.net, 192.0.2.10, 192.0.2.80 (RFC 9525 §6.3; RFC 5280 §4.2.1.6)"
    );
    assert!(
        !of_type(&v, "tls.message").is_empty(),
        "the handshake up to the failure is still shown"
    );
}

#[test]
fn offline_and_bad_targets() {
    netlab()
        .args(["tls", "www.example.com"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "resolving www.example.com: needs the DNS: offline mode",
        ));
    netlab()
        .args(["tls", "203.0.113.7"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("refusing to contact 203.0.113.7:443"));
    netlab()
        .args(["tls", "host:port", "--sandbox"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not HOST or HOST:PORT"));
    netlab().args(["tls", "nope.example.com", "--sandbox"]).assert().code(2);
}

/// Every broken host: the summary's error in plain words (no rustls Debug output), the
/// `tls.verify` right after the Certificate with the failed check on the certificate it concerns,
/// and the client's alert on the wire.
#[test]
fn every_broken_certificate_names_the_failed_check() {
    let cases = [
        ("expired.example.com", "the leaf certificate CN=expired.example.com expired on 2020-01-01 (notAfter), ", "validity", 0, "certificate_expired"),
        ("wrong-host.example.com", "the leaf certificate CN=someone-else.example.net does not cover wrong-host.example.com: its subjectAltName names someone-else.example.net", "name", 0, "bad_certificate"),
        ("self-signed.example.com", "the leaf certificate CN=self-signed.example.com is self-signed (CN=self-signed.example.com)", "issuer", 0, "unknown_ca"),
        ("untrusted.example.com", "unknown issuer: the chain ends at CN=nobody trusts this root", "issuer", 1, "unknown_ca"),
        ("no-intermediate.example.com", "missing intermediate: the server sent only its own certificate, issued by CN=netlab sandbox intermediate CA", "issuer", 0, "unknown_ca"),
        ("name-constraints.example.com", "the certificate [1] CN=netlab sandbox CA for example.org permits names within example.org and no others (nameConstraints), but the leaf certificate CN=name-constraints.example.com names name-constraints.example.com", "name_constraints", 1, "certificate_unknown"),
        ("path-length.example.com", "the certificate [2] CN=netlab sandbox CA with path length 0 allows at most 0 intermediate CA certificate(s) below it (pathLenConstraint 0), but the chain has 1", "path_length", 2, "certificate_unknown"),
        ("ca-leaf.example.com", "the leaf certificate CN=ca-leaf.example.com is a CA certificate (basicConstraints cA=TRUE)", "basic_constraints", 0, "certificate_unknown"),
        ("empty-issuer.example.com", "the leaf certificate CN=empty-issuer.example.com has an empty issuer name", "issuer", 0, "unknown_ca"),
    ];
    for (host, want, check, cert, alert) in cases {
        let (v, code) = handshake(&[host]);
        assert_eq!(code, 1, "{host}");
        let s = of_type(&v, "tls.summary")[0];
        let error = s["error"].as_str().unwrap();
        assert!(
            error.starts_with(&format!("certificate check failed: {want}")),
            "{host}: {error}"
        );
        for debug in ["Context {", "Other(", "(UNIX)", "[6, "] {
            assert!(!error.contains(debug), "{host}: {error}");
        }
        assert!(!error.contains("issued by ,"), "{host}: {error}");
        assert_eq!(s["certificate_verified"], false, "{host}");
        let events = v["events"].as_array().unwrap();
        let at = events
            .iter()
            .position(|e| e["type"] == "tls.message" && e["name"] == "Certificate")
            .unwrap_or_else(|| panic!("{host}: the handshake up to the failure is shown"));
        let verify = &events[at + 1];
        assert_eq!(verify["type"], "tls.verify", "{host}");
        assert_eq!(verify["verified"], false, "{host}");
        assert!(
            verify["verdict"].as_str().unwrap().starts_with(want),
            "{host}: {verify}"
        );
        assert_eq!(verify["alert"], alert, "{host}");
        let failed: Vec<(u64, &str)> = verify["chain"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|l| {
                l["checks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|c| c["status"] == "failed")
                    .map(move |c| (l["sent_as"].as_u64().unwrap_or(99), c["check"].as_str().unwrap()))
            })
            .collect();
        assert!(failed.contains(&(cert, check)), "{host}: {failed:?}");
        assert!(
            of_type(&v, "tls.message")
                .iter()
                .any(|m| m["direction"] == "client_to_server" && m["name"] == format!("Alert {alert}")),
            "{host}: the client's alert crossed the wire"
        );
    }
    // The text: the check under the Certificate, and a summary that does not read as success.
    let out = netlab()
        .args(["--color", "never", "tls", "--sandbox", "expired.example.com"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let certificate = text.find("Certificate (").unwrap();
    let check = text.find("the client checks the chain:").unwrap();
    let verify = text.find("CertificateVerify (").unwrap();
    assert!(certificate < check && check < verify, "{text}");
    assert!(
        text.contains("FAILED validity: valid 2019-01-01 to 2020-01-01: expired on 2020-01-01"),
        "{text}"
    );
    assert!(text.contains("client -> server  Alert certificate_expired"), "{text}");
    assert!(
        text.contains(";; TLS 1.3 handshake FAILED certificate verification;"),
        "{text}"
    );
    assert!(!text.contains("handshake, Finished verified"), "{text}");
    for line in text.lines().filter(|l| l.starts_with(";;") || l.starts_with("failed:")) {
        assert!(line.chars().count() <= 100, "wrapped: {line}");
    }
}

/// The chain verifies, the CertificateVerify does not: said at the CertificateVerify, not
/// blamed on the chain.
#[test]
fn a_handshake_signature_that_fails_is_not_blamed_on_the_chain() {
    let (v, code) = handshake(&["wrong-key.example.com"]);
    assert_eq!(code, 1);
    let verify = of_type(&v, "tls.verify")[0];
    assert_eq!(verify["verified"], true, "{verify}");
    assert!(verify["handshake_signature"]
        .as_str()
        .unwrap()
        .starts_with("the chain verified, but"));
    let s = of_type(&v, "tls.summary")[0];
    let error = s["error"].as_str().unwrap();
    assert!(
        error.starts_with("the chain verified, but the server's CertificateVerify signature over the handshake does not verify with the leaf's EC key (256 bits)"),
        "{error}"
    );
    assert!(!error.contains("certificate chain does not verify"), "{error}");
    let cv = of_type(&v, "tls.message")
        .into_iter()
        .find(|m| m["name"] == "CertificateVerify")
        .unwrap();
    assert!(
        cv["details"][1]
            .as_str()
            .unwrap()
            .starts_with("FAILED: the chain verified"),
        "{cv}"
    );
    assert!(of_type(&v, "tls.message")
        .iter()
        .any(|m| m["direction"] == "client_to_server" && m["name"] == "Alert decrypt_error"));
    let out = netlab()
        .args(["--color", "never", "tls", "--sandbox", "wrong-key.example.com"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(";; TLS 1.3 handshake failed;"), "{text}");
}

#[test]
fn hello_retry_request_costs_a_round_trip_and_the_transcript_still_verifies() {
    let (v, code) = handshake(&["hrr.example.com"]);
    assert_eq!(code, 0);
    let names: Vec<&str> = of_type(&v, "tls.message")
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names[..4],
        ["ClientHello", "HelloRetryRequest", "ClientHello", "ServerHello"]
    );
    let s = of_type(&v, "tls.summary")[0];
    assert_eq!(s["round_trips"], 2);
    assert_eq!(s["key_exchange_group"], "secp256r1");
    let check = of_type(&v, "tls.finished_check")[0];
    assert_eq!(check["verified"], true);
    assert!(check["detail"]
        .as_str()
        .unwrap()
        .contains("the first ClientHello as a message_hash"));
}

/// The messages of a trace: (direction, name, encrypted).
fn ladder(v: &Value) -> Vec<(String, String, bool)> {
    of_type(v, "tls.message")
        .iter()
        .map(|m| {
            (
                m["direction"].as_str().unwrap().to_string(),
                m["name"].as_str().unwrap().to_string(),
                m["encrypted"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_tls12_server_is_decrypted_with_its_master_secret() {
    let (v, code) = handshake(&["tls12.example.com"]);
    assert_eq!(code, 0, "a completed TLS 1.2 handshake is no failure");
    let s = of_type(&v, "tls.summary")[0];
    assert_eq!(s["version"], "TLS 1.2");
    assert!(s.get("error").is_none(), "{s}");
    assert_eq!(s["finished_verified"], true);
    assert_eq!(s["round_trips"], 2);
    let names = ladder(&v);
    let want = [
        ("client_to_server", "ClientHello", false),
        ("server_to_client", "ServerHello", false),
        ("server_to_client", "Certificate", false),
        ("server_to_client", "ServerKeyExchange (TLS 1.2)", false),
        ("server_to_client", "ServerHelloDone (TLS 1.2)", false),
        ("client_to_server", "ClientKeyExchange (TLS 1.2)", false),
        ("client_to_server", "ChangeCipherSpec", false),
        ("client_to_server", "Finished", true),
        ("server_to_client", "ChangeCipherSpec", false),
        ("server_to_client", "Finished", true),
    ];
    let got: Vec<(&str, &str, bool)> = names.iter().map(|(d, n, e)| (d.as_str(), n.as_str(), *e)).collect();
    assert_eq!(got[..10], want, "{got:?}");
    assert!(of_type(&v, "tls.message")[2]["details"][0]
        .as_str()
        .unwrap()
        .contains("CN=tls12.example.com"));
    let checks: Vec<(&str, bool)> = of_type(&v, "tls.finished_check")
        .iter()
        .map(|c| (c["sender"].as_str().unwrap(), c["verified"].as_bool().unwrap()))
        .collect();
    assert_eq!(checks, [("client", true), ("server", true)]);
    let http = of_type(&v, "tls.application_data");
    assert_eq!(http.len(), 2, "{http:?}");
    assert_eq!(http[0]["head"][0], "GET / HTTP/1.1");
    assert_eq!(http[1]["head"][0], "HTTP/1.1 200 OK");
    // Notes tell TLS 1.2's story, not TLS 1.3's.
    let notes: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["notes"].as_array())
        .flatten()
        .filter_map(|n| n["reference"].as_str())
        .collect();
    for rfc in ["RFC 5246 §7.3", "RFC 5246 §7.1", "RFC 5246 §7.4.9", "RFC 5246 §8.1"] {
        assert!(notes.contains(&rfc), "{rfc} in {notes:?}");
    }
    assert!(
        !notes.contains(&"RFC 8446 §4.1.3"),
        "no TLS 1.3 ServerHello note: {notes:?}"
    );
}

#[test]
fn tls12_chacha20_and_secrets_and_resumption() {
    let (v, code) = handshake(&[
        "tls12.example.com",
        "--ciphers",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "--show-secrets",
    ]);
    assert_eq!(code, 0);
    let s = of_type(&v, "tls.summary")[0];
    assert_eq!(s["cipher_suite"], "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
    assert_eq!(s["finished_verified"], true, "ChaCha20-Poly1305 records open too");
    let secrets: Vec<(&str, usize, usize, usize)> = of_type(&v, "tls.secret")
        .iter()
        .map(|x| {
            (
                x["label"].as_str().unwrap(),
                x["secret"].as_str().unwrap().len() / 2,
                x["key"].as_str().unwrap().len() / 2,
                x["iv"].as_str().unwrap().len() / 2,
            )
        })
        .collect();
    assert_eq!(
        secrets,
        [
            ("CLIENT_RANDOM -> client_write", 48, 32, 12),
            ("CLIENT_RANDOM -> server_write", 48, 32, 12)
        ],
        "the 48-octet master secret, ChaCha20's 32-octet keys and 12-octet IVs"
    );
    // The second connection resumes the first's session: an abbreviated handshake, the server
    // finishing first, no certificate.
    let (v, code) = handshake(&["tls12.example.com", "--resume"]);
    assert_eq!(code, 0);
    let summaries = of_type(&v, "tls.summary");
    assert_eq!(summaries.len(), 2);
    assert_eq!(
        (&summaries[1]["resumed"], &summaries[1]["round_trips"]),
        (&true.into(), &1.into())
    );
    assert_eq!(summaries[1]["finished_verified"], true);
    let names = ladder(&v);
    let second: Vec<&str> = names
        .iter()
        .skip_while(|(_, n, _)| n != "Alert close_notify")
        .skip_while(|(_, n, _)| n != "ClientHello")
        .map(|(_, n, _)| n.as_str())
        .collect();
    assert_eq!(
        second[..6],
        [
            "ClientHello",
            "ServerHello",
            "ChangeCipherSpec",
            "Finished",
            "ChangeCipherSpec",
            "Finished"
        ],
        "{second:?}"
    );
}

#[test]
fn groups_and_ciphers_choose_what_is_offered() {
    let (v, code) = handshake(&[
        "www.example.com",
        "--groups",
        "secp384r1",
        "--ciphers",
        "TLS13_CHACHA20_POLY1305_SHA256",
    ]);
    assert_eq!(code, 0);
    let s = of_type(&v, "tls.summary")[0];
    assert_eq!(s["cipher_suite"], "TLS_CHACHA20_POLY1305_SHA256");
    assert_eq!(s["key_exchange_group"], "secp384r1");
    assert_eq!(
        of_type(&v, "tls.finished_check")[0]["verified"],
        true,
        "ChaCha20-Poly1305 records decrypt too"
    );
    netlab()
        .args(["tls", "www.example.com", "--sandbox", "--groups", "x448"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--groups x448: is x448 (0x001e), which this client (rustls) does not implement (use x25519, ",
        ));
}

/// The suites offered, as the trace's ClientHello lists them.
fn offered(v: &Value) -> Vec<String> {
    of_type(v, "tls.message")[0]["hello"]["cipher_suites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn ciphers_and_groups_take_the_names_netlab_prints_and_openssls() {
    // The IANA names netlab itself prints, and P-256 for secp256r1.
    let (v, code) = handshake(&[
        "www.example.com",
        "--ciphers",
        "TLS_AES_256_GCM_SHA384",
        "--groups",
        "P-256",
    ]);
    assert_eq!(code, 0);
    let s = of_type(&v, "tls.summary")[0];
    assert_eq!(
        (&s["cipher_suite"], &s["key_exchange_group"]),
        (&"TLS_AES_256_GCM_SHA384".into(), &"secp256r1".into())
    );
    assert_eq!(offered(&v), ["TLS_AES_256_GCM_SHA384"]);
    // OpenSSL's TLS 1.2 name, in lower case, against the TLS 1.2 server; prime256v1 is OpenSSL's P-256.
    let (v, _) = handshake(&[
        "tls12.example.com",
        "--ciphers",
        "ecdhe-ecdsa-aes128-gcm-sha256",
        "--groups",
        "prime256v1",
    ]);
    assert_eq!(
        of_type(&v, "tls.summary")[0]["cipher_suite"],
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
    );
    assert_eq!(offered(&v)[0], "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
    // A name that is no suite: one line listing the names that work.
    netlab()
        .args(["tls", "www.example.com", "--sandbox", "--ciphers", "AES128"])
        .assert()
        .code(2)
        .stderr(predicate::str::is_match("^netlab: --ciphers AES128: is not a cipher suite name \\(use one of TLS_AES_256_GCM_SHA384, .*ECDHE-RSA-AES128-GCM-SHA256 work too\\)\n$").unwrap());
}

#[test]
fn resume_makes_a_second_psk_handshake_without_a_certificate() {
    let (v, code) = handshake(&["www.example.com", "--resume"]);
    assert_eq!(code, 0);
    let summaries = of_type(&v, "tls.summary");
    assert_eq!(summaries.len(), 2);
    assert_eq!(summaries[0]["resumed"], false);
    assert_eq!(summaries[1]["resumed"], true);
    assert!(
        summaries[1]["chain"].as_array().unwrap().is_empty(),
        "no certificate on resumption"
    );
    let checks = of_type(&v, "tls.finished_check");
    assert_eq!(checks.len(), 2);
    assert!(
        checks.iter().all(|c| c["verified"] == true),
        "each connection's own secrets decrypt its records"
    );
    let connects: Vec<u64> = of_type(&v, "tls.connect")
        .iter()
        .map(|c| c["connection"].as_u64().unwrap())
        .collect();
    assert_eq!(connects, [1, 2]);
}

#[test]
fn early_data_sends_the_request_with_the_resumed_client_hello() {
    let (v, code) = handshake(&["zero-rtt.example.com", "--early-data"]);
    assert_eq!(code, 0, "{v}");
    let summaries = of_type(&v, "tls.summary");
    assert_eq!(summaries.len(), 2, "--early-data implies --resume");
    assert!(
        summaries[0].get("early_data").is_none(),
        "no ticket yet, so no 0-RTT on the first connection"
    );
    let early = &summaries[1]["early_data"];
    assert_eq!(early["offered"], true);
    assert_eq!(early["accepted"], true);
    let request = "GET / HTTP/1.1\r\nhost: zero-rtt.example.com\r\nuser-agent: netlab\r\nconnection: close\r\n\r\n";
    assert_eq!(early["bytes"], request.len(), "the whole request went as early data");
    assert!(
        summaries[1]["application_records"].as_u64().unwrap() >= 1,
        "the answer to the early request"
    );
    // The second connection's records, in wire order: the 0-RTT record right after the ClientHello,
    // decrypted with the early traffic key.
    let messages = of_type(&v, "tls.message");
    let second: Vec<&str> = messages
        .iter()
        .skip_while(|m| m["name"] != "Alert close_notify")
        .skip(1)
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        second[..6],
        [
            "ClientHello",
            "ServerHello",
            "EncryptedExtensions",
            "Finished",
            "EndOfEarlyData",
            "Finished"
        ],
        "{second:?}"
    );
    let ee = messages
        .iter()
        .filter(|m| m["name"] == "EncryptedExtensions")
        .nth(1)
        .unwrap();
    assert!(
        ee["details"].as_array().unwrap().iter().any(|d| d == "early_data"),
        "{ee}"
    );
    let early_records: Vec<&Value> = of_type(&v, "tls.record")
        .into_iter()
        .filter(|r| r["early"] == true)
        .collect();
    assert!(early_records.iter().any(|r| r["inner_type"] == "application_data"));
    assert!(
        early_records.iter().any(|r| r["inner_type"] == "handshake"),
        "EndOfEarlyData"
    );
    assert!(of_type(&v, "tls.finished_check").iter().all(|c| c["verified"] == true));
    let ticket = messages.iter().find(|m| m["name"] == "NewSessionTicket").unwrap();
    assert!(
        ticket["details"].to_string().contains("max_early_data_size 16384"),
        "{ticket}"
    );
}

#[test]
fn early_data_against_a_server_whose_tickets_forbid_it_says_so() {
    let (v, code) = handshake(&["www.example.com", "--early-data"]);
    assert_eq!(code, 0);
    let s = of_type(&v, "tls.summary")[1];
    assert_eq!(s["resumed"], true);
    assert_eq!(s["early_data"]["offered"], false);
    assert!(of_type(&v, "tls.record").iter().all(|r| r.get("early").is_none()));
    netlab()
        .args(["tls", "--sandbox", "www.example.com", "--early-data"])
        .assert()
        .success()
        .stdout(predicate::str::contains("0-RTT not possible"));
    netlab()
        .args(["tls", "--sandbox", "zero-rtt.example.com", "--early-data"])
        .assert()
        .success()
        .stdout(predicate::str::contains("0-RTT application data").and(predicate::str::contains("0-RTT accepted")));
}

/// `netlab tls serve --count 1` on an ephemeral loopback port: its JSON lines and the CA path.
struct Served {
    child: std::process::Child,
    lines: OutputLines,
    port: String,
    ca: String,
    _home: tempfile::TempDir,
}

fn serve_once() -> Served {
    serve_once_with(&[], tempfile::tempdir().unwrap())
}

/// [`serve_once`] with more flags, and `home` as NETLAB_HOME.
/// A long-running netlab (a server) with `home` as NETLAB_HOME, and its output's lines.
fn spawn_server(args: &[&str], home: &std::path::Path) -> (std::process::Child, OutputLines) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("netlab"))
        .args(args)
        .env("NETLAB_OFFLINE", "1")
        .env("NETLAB_HOME", home)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    (child, lines)
}

type OutputLines = std::io::Lines<std::io::BufReader<std::process::ChildStdout>>;

fn serve_once_with(extra: &[&str], home: tempfile::TempDir) -> Served {
    let args = [
        "--json",
        "tls",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--count",
        "1",
        "--for",
        "30",
    ];
    let (child, mut lines) = spawn_server(&[&args[..], extra].concat(), home.path());
    let listening: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(listening["type"], "tls.listening");
    assert_eq!(listening["schema"], "netlab.tls.serve/1");
    let port = listening["address"]
        .as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    let ca = listening["ca"].as_str().unwrap_or_default().to_string();
    assert!(
        extra.contains(&"--cert") || std::path::Path::new(&ca).exists(),
        "the CA is written to {ca}"
    );
    Served {
        child,
        lines,
        port,
        ca,
        _home: home,
    }
}

impl Served {
    /// The report on the one client, after which the server must have ended.
    fn client(mut self) -> Value {
        let seen: Value = serde_json::from_str(&self.lines.next().unwrap().unwrap()).unwrap();
        assert!(
            self.child.wait().unwrap().success(),
            "--count 1 ends the server after one client"
        );
        assert_eq!(seen["type"], "tls.client");
        assert_eq!(seen["schema"], "netlab.tls.serve/1");
        seen["client"].clone()
    }
}

#[test]
fn serve_reports_what_a_client_offered() {
    let served = serve_once();
    let out = netlab()
        .args([
            "--json",
            "tls",
            &format!("localhost:{}", served.port),
            "--cacert",
            &served.ca,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let client = served.client();
    assert_eq!(client["outcome"], "handshake completed");
    let sni = client["hello"]["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["ext_type"]["name"] == "server_name")
        .map(|x| x["decoded"][0].clone());
    assert_eq!(sni, Some(Value::from("localhost")), "{client}");
    let ja4 = client["ja4"].as_str().unwrap();
    // JA4_a: TCP, TLS 1.3, SNI present ("d"), then the cipher and extension counts, then ALPN.
    assert!(ja4.starts_with("t13d") && ja4.len() == 36, "{ja4}");
    assert_eq!(&ja4[8..10], "h1", "the client offered http/1.1 first: {ja4}");
    let ciphers = client["ja3_string"]
        .as_str()
        .unwrap()
        .split(',')
        .nth(1)
        .unwrap()
        .split('-')
        .count();
    assert_eq!(
        ja4[4..6].parse::<usize>().unwrap(),
        ciphers,
        "JA4 and JA3 count the same cipher suites"
    );
}

#[test]
fn serve_answers_a_client_that_offers_only_h2_and_counts_only_completed_handshakes() {
    let mut served = serve_once();
    let target = format!("localhost:{}", served.port);
    // A client whose ALPN offer has nothing the server speaks: refused, said why, not counted.
    let refused = netlab()
        .args(["tls", &target, "--cacert", &served.ca, "--alpn", "imap"])
        .output()
        .unwrap();
    assert!(!refused.status.success(), "the handshake fails");
    // netlab http offers h2 alone: answered in HTTP/2 with its JA4, and that ends --count 1.
    let out = netlab()
        .args(["http", &format!("https://{target}/"), "--cacert", &served.ca, "-o", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let body = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(body.starts_with("your JA4 is t13d") && body.contains("h2_"), "{body}");
    let mut next = || serde_json::from_str::<Value>(&served.lines.next().unwrap().unwrap()).unwrap();
    let (first, second) = (next(), next());
    assert_eq!(
        first["client"]["outcome"],
        "handshake failed: the client offered ALPN imap only, and this server speaks http/1.1 and h2, so it refused the handshake with a no_application_protocol alert (RFC 7301 §3.2)"
    );
    assert_eq!(second["client"]["outcome"], "handshake completed");
    assert_eq!(&body["your JA4 is ".len()..], second["client"]["ja4"]);
    assert!(
        served.child.wait().unwrap().success(),
        "one completed handshake ends --count 1"
    );
}

#[test]
fn every_name_sandbox_up_lists_resolves_in_the_sandbox() {
    let home = tempfile::tempdir().unwrap();
    let out = netlab()
        .env("NETLAB_HOME", home.path())
        .args(["--json", "sandbox", "up", "--for", "1"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let book: Value = serde_json::from_slice(out.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    // Each name, and the addresses it is listed at (a name may be listed more than once).
    let mut names: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for host in book["tls_hosts"].as_array().unwrap() {
        let addresses: Vec<String> = host["virtual_addresses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().rsplit_once(':').unwrap().0.to_string())
            .collect();
        for name in host["names"].as_array().unwrap() {
            names
                .entry(name.as_str().unwrap().to_string())
                .or_default()
                .extend(addresses.clone());
        }
    }
    for entry in book["name_servers"]
        .as_array()
        .unwrap()
        .iter()
        .chain(book["discard"].as_array().unwrap())
    {
        let address = entry["virtual_address"]
            .as_str()
            .unwrap()
            .rsplit_once(':')
            .unwrap()
            .0
            .to_string();
        names
            .entry(entry["name"].as_str().unwrap().to_string())
            .or_default()
            .push(address);
    }
    assert!(names.contains_key("wrong-host.example.com"), "{names:?}");
    for (name, addresses) in names {
        let out = netlab().args(["dns", &name, "--sandbox", "--short"]).output().unwrap();
        let answer = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            answer.lines().any(|l| addresses.iter().any(|a| a == l)),
            "{name} is listed at {addresses:?} but resolves to {answer:?}"
        );
    }
}

/// Whether curl can be run: `.ci/run` installs it, so in CI its absence is a failure; elsewhere
/// the curl tests say so and stop (the same rule as the grepcidr comparison).
fn curl_available() -> bool {
    if std::process::Command::new("curl").arg("--version").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "curl must be installed in CI (.ci/run installs it)"
    );
    eprintln!("curl is not installed: skipping (apt-get install curl)");
    false
}

#[test]
fn serve_logs_curls_handshake_and_tells_curl_its_ja4() {
    if !curl_available() {
        return;
    }
    let served = serve_once();
    let out = std::process::Command::new("curl")
        .args(["-sS", "--max-time", "20", "--cacert", &served.ca])
        .arg(format!("https://localhost:{}/", served.port))
        .output()
        .expect("curl is installed by .ci/run");
    assert!(out.status.success(), "curl: {}", String::from_utf8_lossy(&out.stderr));
    let body = String::from_utf8_lossy(&out.stdout).to_string();
    let client = served.client();
    assert_eq!(client["outcome"], "handshake completed");
    let ja4 = client["ja4"].as_str().unwrap();
    assert_eq!(
        body.trim(),
        format!("your JA4 is {ja4}"),
        "the server reports to curl what it logged"
    );
    // curl (OpenSSL) offers TLS 1.3 with SNI and ALPN h2 first.
    assert!(ja4.starts_with("t13d") && &ja4[8..10] == "h2", "{ja4}");
    // Every suite OpenSSL offers has its IANA name, the TLS 1.2 ones too (0x009f, ...).
    let suites: Vec<&str> = client["hello"]["cipher_suites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(suites.iter().all(|s| !s.starts_with("unknown(")), "{suites:?}");
    assert!(suites.contains(&"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"), "{suites:?}");
}

#[test]
fn serve_refuses_anything_but_loopback() {
    netlab()
        .args(["tls", "serve", "--listen", "0.0.0.0:8443"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("loopback only"));
}

#[test]
fn insecure_goes_on_but_says_loudly_which_check_failed() {
    for (host, check) in [
        ("expired.example.com", "expired"),
        ("wrong-host.example.com", "does not cover wrong-host.example.com"),
        ("self-signed.example.com", "self-signed"),
        ("untrusted.example.com", "unknown issuer"),
    ] {
        let out = netlab()
            .args(["--json", "tls", "--sandbox", "--insecure", host])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{host}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--insecure"),
            "{host}: warned on stderr"
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let summary = of_type(&v, "tls.summary")[0];
        assert_eq!(summary["insecure"], true);
        assert!(
            summary["finished_verified"].as_bool().unwrap(),
            "{host}: the handshake itself is still checked"
        );
        let why = summary["unverified_because"]
            .as_str()
            .unwrap_or_else(|| panic!("{host}: {summary}"));
        assert!(why.contains(check), "{host}: {why}");
    }
    let text = netlab()
        .args(["--color", "never", "tls", "--sandbox", "-k", "expired.example.com"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("!! INSECURE: certificate check failed: the leaf certificate CN=expired.example.com expired on"),
        "{text}"
    );
    // -k prints the same plain-words verdict at the Certificate step, and the summary never
    // reads as a verified handshake.
    assert!(
        text.contains("NOT verified (let pass by --insecure): the leaf certificate CN=expired.example.com"),
        "{text}"
    );
    assert!(
        text.contains(";; TLS 1.3 handshake completed with an UNVERIFIED certificate (--insecure);"),
        "{text}"
    );

    let (v, code) = handshake(&["--insecure", "www.example.com"]);
    assert_eq!(code, 0);
    let summary = of_type(&v, "tls.summary")[0];
    assert_eq!(summary["insecure"], true);
    assert!(
        summary.get("unverified_because").is_none(),
        "a good certificate passes: {summary}"
    );
}

#[test]
fn the_certificate_verify_signature_follows_the_servers_key() {
    for (host, scheme) in [
        ("www.example.com", "ecdsa_secp256r1_sha256"),
        ("p384.example.com", "ecdsa_secp384r1_sha384"),
        ("ed25519.example.com", "ed25519"),
        // An RSA key signs TLS 1.3 handshakes with RSA-PSS, never PKCS#1 v1.5 (RFC 8446 §4.2.3).
        ("rsa.example.com", "rsa_pss_rsae_sha512"),
    ] {
        let (v, code) = handshake(&[host]);
        assert_eq!(code, 0, "{host}");
        let cv = of_type(&v, "tls.message")
            .into_iter()
            .find(|m| m["name"] == "CertificateVerify")
            .unwrap_or_else(|| panic!("{host}: no CertificateVerify"));
        let detail = cv["details"][0].as_str().unwrap();
        assert!(detail.starts_with(&format!("{scheme} signature")), "{host}: {detail}");
    }
}

#[test]
fn mutual_tls_needs_a_client_certificate_and_says_so() {
    let (v, code) = handshake(&["mtls.example.com"]);
    assert_eq!(code, 1, "refused without a client certificate");
    let names: Vec<&str> = of_type(&v, "tls.message")
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    assert!(names.contains(&"CertificateRequest"), "{names:?}");
    let summary = of_type(&v, "tls.summary")[0];
    let error = summary["error"].as_str().unwrap();
    assert!(error.starts_with("the server requires a client certificate"), "{error}");

    let (v, code) = handshake(&["mtls.example.com", "--client-cert", "sandbox"]);
    assert_eq!(code, 0, "{v}");
    let sent: Vec<&str> = of_type(&v, "tls.message")
        .iter()
        .filter(|m| m["direction"] == "client_to_server")
        .filter_map(|m| m["name"].as_str())
        .collect();
    assert!(
        sent.windows(3)
            .any(|w| w == ["Certificate", "CertificateVerify", "Finished"]),
        "the client proves its key before its Finished: {sent:?}"
    );

    netlab()
        .args([
            "tls",
            "--sandbox",
            "mtls.example.com",
            "--client-cert",
            "nonexistent.pem",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--client-key"));
    netlab()
        .args(["tls", "127.0.0.1:1", "--client-cert", "sandbox"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--sandbox"));
}

#[test]
fn serve_with_the_users_own_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let (cert_arg, key_arg) = (cert.to_str().unwrap().to_string(), key.to_str().unwrap().to_string());
    let served = serve_once_with(&["--cert", &cert_arg, "--key", &key_arg], tempfile::tempdir().unwrap());
    assert!(served.ca.is_empty(), "no CA is made when --cert is given");
    let out = netlab()
        .args([
            "--json",
            "tls",
            &format!("localhost:{}", served.port),
            "--cacert",
            &cert_arg,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let chain = &of_type(&v, "tls.summary")[0]["chain"];
    assert_eq!(
        chain[0]["subject"], chain[0]["issuer"],
        "the client saw the self-signed certificate given: {chain}"
    );
    assert_eq!(served.client()["outcome"], "handshake completed");

    netlab()
        .args(["tls", "serve", "--listen", "127.0.0.1:0", "--cert"])
        .arg(&cert)
        .assert()
        .code(2);
    netlab()
        .args(["tls", "serve", "--listen", "127.0.0.1:0", "--cert"])
        .arg(&key)
        .arg("--key")
        .arg(&cert)
        .assert()
        .code(2);
}

#[test]
fn sandbox_up_hands_out_a_client_certificate_that_curl_and_netlab_can_use() {
    if !curl_available() {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let (mut up, banner) = sandbox_up(home.path());
    let local = served_at(&banner, "mtls.example.com");
    let file = |name: &str| home.path().join(name).to_str().unwrap().to_string();
    let (ca, cert, key) = (
        file("sandbox-root-ca.pem"),
        file("sandbox-client.pem"),
        file("sandbox-client.key"),
    );
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the client key is private");

    let out = netlab()
        .args(["--json", "tls", &local, "--sni", "mtls.example.com", "--cacert", &ca])
        .args(["--client-cert", &cert, "--client-key", &key])
        .output()
        .unwrap();
    let port = local.rsplit(':').next().unwrap().to_string();
    let curl = std::process::Command::new("curl")
        .args([
            "-sS",
            "--max-time",
            "20",
            "--cacert",
            &ca,
            "--cert",
            &cert,
            "--key",
            &key,
        ])
        .args(["--resolve", &format!("mtls.example.com:{port}:127.0.0.1")])
        .arg(format!("https://mtls.example.com:{port}/"))
        .output()
        .expect("curl is installed by .ci/run");
    let _ = up.kill();
    let _ = up.wait();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(of_type(&v, "tls.message")
        .iter()
        .any(|m| m["direction"] == "client_to_server" && m["name"] == "CertificateVerify"));
    assert!(
        String::from_utf8_lossy(&curl.stdout).contains("hello from netlab"),
        "curl: {}",
        String::from_utf8_lossy(&curl.stderr)
    );
}

#[test]
fn sandbox_up_serves_http2_to_curl_and_http3_to_netlab() {
    if !curl_available() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let (mut up, banner) = sandbox_up(home.path());
    let local = served_at(&banner, "example.com");
    let (ip, port) = local.rsplit_once(':').unwrap();
    let ca = home.path().join("sandbox-root-ca.pem").to_str().unwrap().to_string();
    let url = format!("https://www.example.com:{port}/");
    let curl = std::process::Command::new("curl")
        .args([
            "-sS",
            "--http2",
            "--max-time",
            "20",
            "--cacert",
            &ca,
            "-w",
            "\n%{http_version}",
        ])
        .args(["--resolve", &format!("www.example.com:{port}:{ip}"), &url])
        .output()
        .unwrap();
    let body = String::from_utf8_lossy(&curl.stdout);
    assert!(
        body.contains("This page came over HTTP/2") && body.ends_with("\n2"),
        "{body} {}",
        String::from_utf8_lossy(&curl.stderr)
    );
    let out = netlab()
        .args([
            "--json",
            "http",
            &url,
            "--connect-to",
            &format!("::{ip}:{port}"),
            "--cacert",
            &ca,
            "--compare",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let statuses: Vec<&Value> = of_type(&v, "http.response").iter().map(|r| &r["status"]).collect();
    assert_eq!(statuses, [200, 200], "h2 and h3 from the running sandbox: {v}");
    assert!(banner.contains("curl --http2"), "{banner}");
    let _ = up.kill();
}

/// `netlab sandbox up --for 30` with its home in `home`: the process and its banner.
fn sandbox_up(home: &std::path::Path) -> (std::process::Child, String) {
    let (up, lines) = spawn_server(&["sandbox", "up", "--for", "30"], home);
    let mut banner = String::new();
    for line in lines {
        let line = line.unwrap();
        banner.push_str(&line);
        banner.push('\n');
        if line.contains("Press Ctrl-C") {
            break;
        }
    }
    (up, banner)
}

/// The loopback socket the banner says serves the TLS host `name`.
fn served_at(banner: &str, name: &str) -> String {
    banner
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{name} ")))
        .and_then(|l| l.rsplit("-> ").next())
        .unwrap_or_else(|| panic!("{banner}"))
        .trim()
        .to_string()
}
