//! `netlab pcap` on an HTTP/3 capture (captures/http3-fetch.pcap, recorded by captures/record.sh
//! with `netlab http --h3 --keylog`): the QUIC connection followed packet by packet, the
//! Initials opened both ways, and with the key log the Handshake and 1-RTT packets decrypted and
//! their frames named; without it, or with the wrong one, each packet says why it stays protected.

mod common;
use common::{netlab, of_type, trace};
use predicates::prelude::*;
use serde_json::Value;

const PCAP: &str = "captures/http3-fetch.pcap";
const KEYLOG: &str = "captures/http3-fetch.keylog";

/// `netlab --json pcap ARGS`, which must succeed: its frames.
fn frames(args: &[&str]) -> Vec<Value> {
    let (v, code) = trace(&[&["pcap"], args].concat());
    assert_eq!(code, 0, "netlab pcap {args:?}");
    of_type(&v, "packet.frame").into_iter().cloned().collect()
}

/// The QUIC layers of a frame (one per coalesced packet).
fn quic_layers(frame: &Value) -> Vec<&Value> {
    frame["layers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["name"] == "QUIC")
        .collect()
}

/// A layer's values for one field name, in order.
fn field<'a>(layer: &'a Value, name: &str) -> Vec<&'a str> {
    layer["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f[0] == name)
        .map(|f| f[1].as_str().unwrap())
        .collect()
}

fn info(frame: &Value) -> &str {
    frame["info"].as_str().unwrap()
}

/// Every packet of every QUIC frame, as (its type, its layer).
fn packets(frames: &[Value]) -> Vec<(String, Value)> {
    frames
        .iter()
        .flat_map(|f| quic_layers(f).into_iter().cloned().collect::<Vec<_>>())
        .map(|l| (field(&l, "type").first().copied().unwrap_or_default().to_string(), l))
        .collect()
}

#[test]
fn with_the_key_log_every_packet_is_opened_and_its_frames_named() {
    let all = frames(&[PCAP, "--keylog", KEYLOG, "--proto", "quic"]);
    let packets = packets(&all);
    let opened = |ty: &str| -> Vec<&Value> {
        packets
            .iter()
            .filter(|(t, l)| t == ty && !field(l, "packet number").is_empty())
            .map(|(_, l)| l)
            .collect()
    };
    // Every packet opened: none left protected.
    let protected: Vec<&Value> = packets
        .iter()
        .filter(|(_, l)| !field(l, "protected").is_empty())
        .map(|(_, l)| l)
        .collect();
    assert!(protected.is_empty(), "{protected:?}");
    // The server's Initial: the ServerHello in a CRYPTO frame, opened with the Initial keys.
    let server_initial = all
        .iter()
        .find(|f| info(f).contains("ServerHello"))
        .expect("the server's Initial");
    assert!(info(server_initial).contains("(decrypted with the Initial keys)"));
    let first = &quic_layers(server_initial)[0];
    assert_eq!(field(first, "type"), ["Initial"]);
    assert!(
        field(first, "frame").iter().any(|f| f.starts_with("CRYPTO off=0 len=")),
        "{first}"
    );
    // Handshake packets (coalesced behind the Initials) opened with the handshake secrets.
    let handshake = opened("Handshake");
    assert!(handshake.len() >= 2, "both sides' Handshake packets: {packets:?}");
    assert!(handshake
        .iter()
        .any(|l| field(l, "frame").iter().any(|f| f.starts_with("CRYPTO"))));
    // Their CRYPTO streams carry the rest of the TLS handshake, each message named in the
    // packet that completes it: the server's flight, then the client's Finished.
    let tls: Vec<&str> = handshake.iter().flat_map(|l| field(l, "tls")).collect();
    assert_eq!(
        tls,
        [
            "EncryptedExtensions",
            "Certificate",
            "CertificateVerify",
            "Finished",
            "Finished"
        ],
        "{handshake:?}"
    );
    // 1-RTT: STREAM frames with their id, offset and length, and the server's HANDSHAKE_DONE.
    let one_rtt = opened("1-RTT (short header)");
    let frames_1rtt: Vec<&str> = one_rtt.iter().flat_map(|l| field(l, "frame")).collect();
    let stream = frames_1rtt
        .iter()
        .find(|f| f.starts_with("STREAM id=0 ") && f.contains(" fin=1 "))
        .expect("the request stream, 0, finished");
    assert!(
        stream.contains(" off=0 len=") && stream.contains("dir=Bidirectional origin=Client-initiated"),
        "{stream}"
    );
    assert!(frames_1rtt.contains(&"HANDSHAKE_DONE"), "{frames_1rtt:?}");
    assert!(frames_1rtt.iter().any(|f| f.starts_with("ACK ")), "{frames_1rtt:?}");
    assert!(frames_1rtt.contains(&"NEW_CONNECTION_ID"), "{frames_1rtt:?}");
    // The server's session tickets ride in 1-RTT CRYPTO frames (RFC 9001 §4.1.3).
    assert!(one_rtt.iter().any(|l| field(l, "tls").contains(&"NewSessionTicket")));
    assert!(
        all.iter()
            .any(|f| info(f).contains("1-RTT DCID") && info(f).contains("STREAM(0) off=0 len=")),
        "the one-line summary names the stream too"
    );
    // Packet numbers count up in each space and direction: the 1-RTT ones start at 0.
    let pns: Vec<u64> = one_rtt
        .iter()
        .map(|l| field(l, "packet number")[0].parse().unwrap())
        .collect();
    assert!(pns.contains(&0) && pns.iter().any(|p| *p >= 5), "{pns:?}");
    // The text says the same.
    netlab()
        .args(["pcap", PCAP, "--keylog", KEYLOG, "--proto", "quic"])
        .assert()
        .success()
        .stdout(predicate::str::contains("HANDSHAKE_DONE").and(predicate::str::contains("Handshake DCID")));
}

#[test]
fn without_the_key_log_the_protected_packets_say_what_would_open_them() {
    let all = frames(&[PCAP, "--proto", "quic"]);
    let packets = packets(&all);
    // The Initials still open (their keys come from the client's DCID) ...
    assert!(all.iter().any(|f| info(f).contains("ServerHello")));
    // ... the Handshake and 1-RTT packets do not, and say what would open them.
    let one_rtt: Vec<&Value> = packets
        .iter()
        .filter(|(t, _)| t == "1-RTT (short header)")
        .map(|(_, l)| l)
        .collect();
    assert!(one_rtt.len() > 5);
    for l in &one_rtt {
        assert!(
            field(l, "packet number").is_empty() && field(l, "frame").is_empty(),
            "{l}"
        );
        assert_eq!(field(l, "protected"), ["--keylog with its secrets would decrypt it"]);
        assert_eq!(field(l, "dcid")[0].len(), 16, "named with its 8-octet DCID");
    }
    let short = all.iter().find(|f| info(f).starts_with("QUIC 1-RTT DCID ")).unwrap();
    assert!(
        info(short).contains("protected") && info(short).contains("--keylog"),
        "{}",
        info(short)
    );
    assert!(packets
        .iter()
        .any(|(t, l)| t == "Handshake" && !field(l, "protected").is_empty()));
}

#[test]
fn proto_quic_shows_every_datagram_of_the_connection() {
    let all = frames(&[PCAP]);
    let first = all
        .iter()
        .position(|f| info(f).starts_with("QUIC Initial"))
        .expect("the client's Initial");
    let ends = |f: &Value| [f["sport"].as_u64(), f["dport"].as_u64()];
    let [client, server] = ends(&all[first]);
    let of_connection = all
        .iter()
        .filter(|f| f["proto"] == "udp" && [[client, server], [server, client]].contains(&ends(f)))
        .count();
    assert!(of_connection > 20, "{of_connection}");
    for keylog in [&[][..], &["--keylog", KEYLOG][..]] {
        let quic = frames(&[&[PCAP, "--proto", "quic"], keylog].concat());
        assert_eq!(quic.len(), of_connection, "--proto quic {keylog:?}");
    }
}

/// A key log named for another connection (another client random), and one with this
/// connection's random but other secrets: each packet says so, nothing is made up.
#[test]
fn a_wrong_key_log_gets_a_clear_statement_not_garbage() {
    let text = std::fs::read_to_string(common::repo().join(KEYLOG)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let random = text.split_whitespace().nth(1).unwrap().to_string();
    let other_random = format!("{}{}", if random.starts_with("00") { "11" } else { "00" }, &random[2..]);
    let cases = [
        (
            "other-connection.keylog",
            text.replace(&random, &other_random),
            "the key log has no secrets for this connection, client random",
        ),
        (
            "other-secrets.keylog",
            text.lines()
                .map(|l| {
                    let [label, r, secret] = l.split(' ').collect::<Vec<_>>()[..] else {
                        panic!("{l}")
                    };
                    // Every secret's first octet changed: the right length, the wrong key.
                    let flipped = format!("{}{}", if &secret[..2] == "ff" { "00" } else { "ff" }, &secret[2..]);
                    format!("{label} {r} {flipped}\n")
                })
                .collect(),
            "it does not decrypt with SERVER_TRAFFIC_SECRET_0",
        ),
    ];
    for (name, log, said) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, log).unwrap();
        let all = frames(&[PCAP, "--keylog", path.to_str().unwrap(), "--proto", "quic"]);
        let packets = packets(&all);
        let one_rtt: Vec<&Value> = packets
            .iter()
            .filter(|(t, _)| t == "1-RTT (short header)")
            .map(|(_, l)| l)
            .collect();
        assert!(!one_rtt.is_empty());
        assert!(
            one_rtt.iter().all(|l| field(l, "frame").is_empty()),
            "{name}: no frames made up from the wrong keys"
        );
        assert!(
            one_rtt
                .iter()
                .any(|l| field(l, "protected").iter().any(|p| p.starts_with(said))),
            "{name}: {one_rtt:?}"
        );
        // The Initials do not need the key log.
        assert!(all.iter().any(|f| info(f).contains("ServerHello")), "{name}");
    }
}
