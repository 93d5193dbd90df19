//! netlab's TLS 1.3 decoders and key schedule against RFC 8448 §3 ("Simple 1-RTT Handshake"),
//! from ../shared/vectors/rfc8448-simple-1rtt.txt: every secret, key and IV; decrypting the
//! server's encrypted flight and the client's Finished; the messages inside; Finished
//! verify_data recomputed from the transcript.

use std::collections::HashMap;

use netlab::tls::handshake::{self, decode_hello};
use netlab::tls::keys::{self, derive_secret, expand_label, finished_verify_data, Hash, Schedule, Suite, TrafficKeys};
use netlab::tls::record::{self, ContentType};

fn vectors() -> HashMap<String, Vec<u8>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/vectors/rfc8448-simple-1rtt.txt");
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path}: {e} (CI clones shared/ beside the repository)"));
    let mut out = HashMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains(" = ") || l.ends_with(") ="))
    {
        let (name_len, hex) = line.split_once(" =").unwrap();
        let name = name_len.split(" (").next().unwrap().to_string();
        let len: usize = name_len
            .split(" (")
            .nth(1)
            .unwrap()
            .trim_end_matches(')')
            .parse()
            .unwrap();
        let hex = hex.trim();
        let bytes = netlab::hex::decode(hex).unwrap_or_else(|| panic!("{name} is not hex"));
        assert_eq!(bytes.len(), len, "{name}");
        out.insert(name, bytes);
    }
    out
}

#[test]
fn key_schedule_matches_rfc8448() {
    let v = vectors();
    let hash = Hash::Sha256;
    let hello_hash = hash.digest(&[v["client_hello.bytes"].clone(), v["server_hello.bytes"].clone()].concat());
    assert_eq!(hello_hash, v["client_handshake_traffic_secret.transcript_hash"]);
    let s = Schedule::new(hash, &v["handshake_secret.ikm"], &hello_hash);
    assert_eq!(s.early_secret, v["early_secret.secret"]);
    assert_eq!(s.handshake_secret, v["handshake_secret.secret"]);
    assert_eq!(
        s.client_handshake_traffic_secret,
        v["client_handshake_traffic_secret.output"]
    );
    assert_eq!(
        s.server_handshake_traffic_secret,
        v["server_handshake_traffic_secret.output"]
    );
    assert_eq!(s.master_secret, v["master_secret.secret"]);
    assert_eq!(
        keys::hkdf_label("c hs traffic", &hello_hash, 32),
        v["client_handshake_traffic_secret.hkdf_label"]
    );
    let suite = Suite::from_id(0x1301).unwrap();
    let server_hs = TrafficKeys::derive(&suite, &s.server_handshake_traffic_secret);
    assert_eq!(server_hs.key, v["server_handshake_write_key.key"]);
    assert_eq!(server_hs.iv, v["server_handshake_write_key.iv"]);
    let client_hs = TrafficKeys::derive(&suite, &s.client_handshake_traffic_secret);
    assert_eq!(client_hs.key, v["client_handshake_write_key.key"]);
    assert_eq!(client_hs.iv, v["client_handshake_write_key.iv"]);
}

#[test]
fn hellos_decode_field_by_field() {
    let v = vectors();
    let (records, rest) = record::parse_all(&v["client_record_client_hello.record"]).unwrap();
    assert!(rest.is_empty());
    assert_eq!(records[0].content_type, ContentType::Handshake);
    assert_eq!(records[0].version, 0x0301);
    assert_eq!(records[0].fragment, v["client_hello.bytes"].as_slice());
    let ch = decode_hello(&v["client_hello.bytes"]).unwrap();
    assert_eq!(ch.kind, "ClientHello");
    let suites: Vec<&str> = ch.cipher_suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        suites,
        [
            "TLS_AES_128_GCM_SHA256",
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_AES_256_GCM_SHA384"
        ]
    );
    let ext = |name: &str| {
        ch.extensions
            .iter()
            .find(|e| e.ext_type.name == name)
            .unwrap_or_else(|| panic!("{name}"))
            .decoded
            .clone()
    };
    assert_eq!(ext("server_name"), ["server"]);
    assert_eq!(ext("key_share"), ["x25519 (32 octets)"]);
    assert_eq!(ext("supported_versions"), ["TLS 1.3"]);
    assert_eq!(ext("psk_key_exchange_modes"), ["psk_dhe_ke"]);
    assert!(ext("supported_groups").starts_with(&["x25519".to_string(), "secp256r1".to_string()]));
    assert!(ext("signature_algorithms").contains(&"rsa_pss_rsae_sha256".to_string()));
    let sh = decode_hello(&v["server_hello.bytes"]).unwrap();
    assert_eq!(sh.kind, "ServerHello");
    assert_eq!(sh.cipher_suites[0].name, "TLS_AES_128_GCM_SHA256");
    let sh_ext: Vec<(String, Vec<String>)> = sh
        .extensions
        .iter()
        .map(|e| (e.ext_type.name.clone(), e.decoded.clone()))
        .collect();
    assert!(sh_ext.contains(&("key_share".into(), vec!["x25519 (32 octets)".into()])));
    assert!(sh_ext.contains(&("supported_versions".into(), vec!["TLS 1.3".into()])));
}

#[test]
fn encrypted_flight_decrypts_and_finished_verifies() {
    let v = vectors();
    let suite = Suite::from_id(0x1301).unwrap();
    let hash = suite.hash;
    let hello_hash = hash.digest(&[v["client_hello.bytes"].clone(), v["server_hello.bytes"].clone()].concat());
    let s = Schedule::new(hash, &v["handshake_secret.ikm"], &hello_hash);
    let server_hs = TrafficKeys::derive(&suite, &s.server_handshake_traffic_secret);
    let (records, _) = record::parse_all(&v["server_record_encrypted_flight.record"]).unwrap();
    assert_eq!(
        records[0].content_type,
        ContentType::ApplicationData,
        "TLS 1.3 hides the true type"
    );
    let (inner_type, plain) =
        keys::decrypt_record(&suite, &server_hs, 0, &records[0].header, records[0].fragment).unwrap();
    assert_eq!(inner_type, 22, "the inner content type is handshake");
    assert_eq!(plain, v["server_record_encrypted_flight.plaintext"]);
    // Four messages coalesced in one record.
    let (messages, rest) = handshake::split(&plain).unwrap();
    assert!(rest.is_empty());
    let names: Vec<String> = messages.iter().map(|(t, _)| handshake::message_name(*t)).collect();
    assert_eq!(
        names,
        ["EncryptedExtensions", "Certificate", "CertificateVerify", "Finished"]
    );
    assert_eq!(messages[0].1, v["encrypted_extensions.bytes"].as_slice());
    assert_eq!(messages[1].1, v["certificate.bytes"].as_slice());
    assert_eq!(messages[2].1, v["certificate_verify.bytes"].as_slice());
    // Prove it: the server Finished recomputed over ClientHello..CertificateVerify.
    let transcript: Vec<u8> = [
        &v["client_hello.bytes"][..],
        &v["server_hello.bytes"],
        messages[0].1,
        messages[1].1,
        messages[2].1,
    ]
    .concat();
    let verify = finished_verify_data(hash, &s.server_handshake_traffic_secret, &hash.digest(&transcript));
    assert_eq!(verify, v["server_finished.verify_data"]);
    assert_eq!(&messages[3].1[4..], verify.as_slice());
    // The application traffic secrets cover the transcript through the server Finished.
    let through_finished = hash.digest(&[transcript.as_slice(), messages[3].1].concat());
    assert_eq!(
        derive_secret(hash, &s.master_secret, "c ap traffic", &through_finished),
        v["client_application_traffic_secret_0.output"]
    );
    assert_eq!(
        derive_secret(hash, &s.master_secret, "s ap traffic", &through_finished),
        v["server_application_traffic_secret_0.output"]
    );
    // The client's Finished, under the client handshake key.
    let client_hs = TrafficKeys::derive(&suite, &s.client_handshake_traffic_secret);
    let (records, _) = record::parse_all(&v["client_record_finished.record"]).unwrap();
    let (t, plain) = keys::decrypt_record(&suite, &client_hs, 0, &records[0].header, records[0].fragment).unwrap();
    assert_eq!((t, plain), (22, v["client_finished_message.bytes"].clone()));
    // Application data and the alerts, under the application keys.
    let server_ap = TrafficKeys::derive(&suite, &v["server_application_traffic_secret_0.output"]);
    let (records, _) = record::parse_all(&v["server_record_application_data.record"]).unwrap();
    let (t, plain) = keys::decrypt_record(&suite, &server_ap, 1, &records[0].header, records[0].fragment).unwrap();
    assert_eq!((t, plain), (23, v["server_record_application_data.plaintext"].clone()));
    assert_eq!(
        expand_label(hash, &v["server_application_traffic_secret_0.output"], "key", b"", 16),
        v["server_application_write_key.key"]
    );
}

#[test]
fn a_wrong_sequence_number_or_a_flipped_bit_fails_authentication() {
    let v = vectors();
    let suite = Suite::from_id(0x1301).unwrap();
    let keys = TrafficKeys {
        key: v["server_handshake_write_key.key"].clone(),
        iv: v["server_handshake_write_key.iv"].clone(),
    };
    let (records, _) = record::parse_all(&v["server_record_encrypted_flight.record"]).unwrap();
    let r = &records[0];
    assert_eq!(
        keys::decrypt_record(&suite, &keys, 1, &r.header, r.fragment).unwrap_err(),
        keys::DecryptError::Authentication
    );
    let mut flipped = r.fragment.to_vec();
    flipped[10] ^= 1;
    assert!(keys::decrypt_record(&suite, &keys, 0, &r.header, &flipped).is_err());
}

/// JA3 and JA4 of RFC 8448's ClientHello, against values computed independently (Python's
/// hashlib over the strings the JA3/JA4 specifications define).
#[test]
fn fingerprints_of_the_rfc8448_client_hello() {
    use netlab::tls::fingerprint::{ja3, ja3_string, ja4, raw_hello};
    let v = vectors();
    let h = raw_hello(&v["client_hello.bytes"]).unwrap();
    assert_eq!(
        ja3_string(&h),
        "771,4865-4867-4866,0-65281-10-35-51-43-13-45-28,29-23-24-25-256-257-258-259-260,"
    );
    assert_eq!(ja3(&h), "da4dea34fe6d4ce5f0725df3f2682fa0");
    assert_eq!(ja4(&h), "t13d030900_55b375c5d22e_59cd3dafc54d");
}
