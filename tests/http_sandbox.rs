//! `netlab http` against the sandbox: HTTP/2 frames and HPACK, HTTP/3 over QUIC, the comparison,
//! multiplexing, curl-style options, and clear failures.

mod common;
use common::{netlab, of_type, trace};
use predicates::prelude::*;
use serde_json::Value;

/// `netlab --json http --sandbox ARGS`: the trace and the exit code.
fn fetch(args: &[&str]) -> (Value, i32) {
    trace(&[&["http", "--sandbox"], args].concat())
}

fn phase_names(summary: &Value) -> Vec<&str> {
    summary["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect()
}

#[test]
fn h2_fetch_logs_frames_with_hpack_and_times_every_phase() {
    let (v, code) = fetch(&["https://www.example.com/"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["schema"], "netlab.http/1");
    let frames = of_type(&v, "http.frame");
    let first_settings = frames
        .iter()
        .find(|f| f["frame_type"] == "SETTINGS" && f["direction"] == "client_to_server")
        .unwrap();
    assert!(
        first_settings["details"]
            .to_string()
            .contains("INITIAL_WINDOW_SIZE = 4194304"),
        "{first_settings}"
    );
    let request = frames
        .iter()
        .find(|f| f["frame_type"] == "HEADERS" && f["direction"] == "client_to_server")
        .unwrap();
    assert_eq!(request["stream"], 1);
    let method = &request["fields"][0];
    assert_eq!(
        (method["name"].as_str(), method["value"].as_str()),
        (Some(":method"), Some("GET"))
    );
    assert_eq!(
        (method["source"].as_str(), method["index"].as_u64()),
        (Some("static"), Some(2))
    );
    assert!(frames
        .iter()
        .any(|f| f["frame_type"] == "DATA" && f["direction"] == "server_to_client"));
    let response = of_type(&v, "http.response")[0];
    assert_eq!(response["status"], 200);
    assert!(response["body_bytes"].as_u64().unwrap() > 0);
    let s = of_type(&v, "http.summary")[0];
    assert_eq!(s["protocol"], "h2");
    assert_eq!(s["tls_version"], "TLS 1.3");
    assert_eq!(
        phase_names(s),
        [
            "dns",
            "tcp_connect",
            "tls_handshake",
            "request_sent",
            "first_byte",
            "download"
        ]
    );
    // Phases follow one another and end by the total.
    let phases = s["phases"].as_array().unwrap();
    for pair in phases.windows(2) {
        assert!(pair[0]["end_us"].as_u64() <= pair[1]["end_us"].as_u64(), "{pair:?}");
    }
    assert!(phases.last().unwrap()["end_us"].as_u64().unwrap() <= s["total_us"].as_u64().unwrap());
    assert_eq!(s["alt_svc"], "h3=\":443\"; ma=3600");
    assert_eq!(
        s["https_record"], "cdn.example.net. HTTPS 1 . alpn=\"h3,h2\"",
        "www is a CNAME to the CDN, whose HTTPS record says h3"
    );
    let c = &s["request_headers"];
    assert!(
        c["encoded"].as_u64().unwrap() < c["plain"].as_u64().unwrap(),
        "HPACK compresses: {c}"
    );
}

#[test]
fn h3_fetch_reports_quic_phases_and_quinn_stats() {
    let (v, code) = fetch(&["https://www.example.com/", "--h3"]);
    assert_eq!(code, 0, "{v}");
    let s = of_type(&v, "http.summary")[0];
    assert_eq!(s["protocol"], "h3");
    assert_eq!(
        phase_names(s),
        [
            "dns",
            "quic_handshake_keys",
            "quic_connected",
            "request_sent",
            "first_byte",
            "download"
        ],
        "no TCP connect for QUIC"
    );
    // HTTP/3 frames, per QUIC stream: each side's control stream opens with SETTINGS, the
    // request and response travel as HEADERS (QPACK) and DATA on stream 0.
    let frames = of_type(&v, "http.frame");
    let settings = frames
        .iter()
        .find(|f| f["frame_type"] == "SETTINGS" && f["direction"] == "client_to_server")
        .unwrap();
    assert_eq!(settings["stream"], 2, "the client's first unidirectional stream");
    assert!(
        settings["details"]
            .to_string()
            .contains("MAX_FIELD_SECTION_SIZE = 65536"),
        "{settings}"
    );
    let on_stream_0: Vec<(&str, &str)> = frames
        .iter()
        .filter(|f| f["stream"] == 0 && !f["frame_type"].as_str().unwrap().contains("GREASE"))
        .map(|f| (f["direction"].as_str().unwrap(), f["frame_type"].as_str().unwrap()))
        .collect();
    assert_eq!(
        on_stream_0,
        [
            ("client_to_server", "HEADERS"),
            ("server_to_client", "HEADERS"),
            ("server_to_client", "DATA")
        ]
    );
    // Both directions' field sections decoded field by field (RFC 9204 §4.5): the request's
    // from what the tap wrote to quinn, the response's from what quinn delivered.
    let headers = |direction: &str| {
        *frames
            .iter()
            .find(|f| f["frame_type"] == "HEADERS" && f["direction"] == direction)
            .unwrap()
    };
    let field = |frame: &Value, name: &str| -> Value {
        frame["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {frame}"))
            .clone()
    };
    let request = headers("client_to_server");
    let method = field(request, ":method");
    assert_eq!(
        (
            &method["value"],
            &method["representation"],
            &method["source"],
            &method["index"]
        ),
        (&"GET".into(), &"indexed".into(), &"static".into(), &17.into()),
        "QPACK static table entry 17 is :method GET"
    );
    let authority = field(request, ":authority");
    assert_eq!(authority["value"], "www.example.com");
    assert_eq!(authority["representation"], "literal_with_name_reference");
    assert_eq!(authority["index"], 0, "the name from static entry 0");
    let response = headers("server_to_client");
    let status = field(response, ":status");
    assert_eq!((&status["value"], &status["index"]), (&"200".into(), &25.into()));
    for frame in [request, response] {
        let details = frame["details"].to_string();
        assert!(
            details.contains("QPACK: ") && details.contains("Required Insert Count 0"),
            "{frame}"
        );
        let encoded: u64 = frame["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["encoded_len"].as_u64().unwrap())
            .sum();
        assert_eq!(
            encoded + 2,
            frame["length"].as_u64().unwrap(),
            "field lines after the 2-octet prefix"
        );
    }
    let compression = &s["request_headers"];
    assert_eq!(
        compression["fields"].as_u64().unwrap(),
        request["fields"].as_array().unwrap().len() as u64
    );
    assert_eq!(
        compression["encoded"], request["length"],
        "the whole field section, prefix included"
    );
    assert!(compression["encoded"].as_u64().unwrap() < compression["plain"].as_u64().unwrap());
    assert!(frames
        .iter()
        .any(|f| f["details"].to_string().contains("QPACK encoder stream")));
    // The notes: HTTP/3's SETTINGS in their own RFC, and GREASE named where it appears.
    let notes: Vec<(&str, &str)> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["notes"].as_array().into_iter().flatten())
        .map(|n| (n["topic"].as_str().unwrap(), n["reference"].as_str().unwrap_or("")))
        .collect();
    assert!(
        notes
            .iter()
            .any(|(id, rfc)| *id == "http.h3.settings" && rfc.contains("RFC 9114 §7.2.4")),
        "{notes:?}"
    );
    assert!(!notes.iter().any(|(id, _)| *id == "http.h2.settings"), "{notes:?}");
    assert!(
        notes
            .iter()
            .any(|(id, rfc)| *id == "http.h3.grease" && rfc.contains("§7.2.8")),
        "{notes:?}"
    );
    let q = of_type(&v, "http.quic")[0];
    assert!(q["sent_packets"].as_u64().unwrap() > 0);
    assert!(q["rtt_us"].as_u64().unwrap() > 0);
    let received: Vec<&str> = q["frames_received"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f[0].as_str().unwrap())
        .collect();
    assert!(
        received.contains(&"CRYPTO") && received.contains(&"HANDSHAKE_DONE"),
        "{received:?}"
    );
    let r = of_type(&v, "http.response")[0];
    assert_eq!((r["status"].as_u64(), r["stream"].as_u64()), (Some(200), Some(0)));
}

#[test]
fn compare_puts_both_side_by_side_with_their_round_trips() {
    let (v, code) = fetch(&["https://www.example.com/", "--compare"]);
    assert_eq!(code, 0, "{v}");
    let protocols: Vec<&str> = of_type(&v, "http.summary")
        .iter()
        .map(|s| s["protocol"].as_str().unwrap())
        .collect();
    assert_eq!(protocols, ["h2", "h3"]);
    let rows = of_type(&v, "http.compare")[0]["rows"].as_array().unwrap().clone();
    let setup = rows.iter().find(|r| r["what"] == "connection set-up").unwrap();
    assert_eq!(
        (setup["h2_round_trips"].as_u64(), setup["h3_round_trips"].as_u64()),
        (Some(2), Some(1))
    );
    netlab()
        .args(["http", "--sandbox", "https://www.example.com/", "--compare"])
        .assert()
        .success()
        .stdout(predicate::str::contains("HTTP/2 vs HTTP/3").and(predicate::str::contains("(2 RTT)")));
}

#[test]
fn many_requests_share_one_connection_and_the_dynamic_table() {
    let (v, code) = fetch(&[
        "https://www.example.com/objects/1",
        "--requests",
        "12",
        "--concurrency",
        "4",
    ]);
    assert_eq!(code, 0, "{v}");
    let streams: Vec<u64> = of_type(&v, "http.response")
        .iter()
        .map(|r| r["stream"].as_u64().unwrap())
        .collect();
    assert_eq!(
        streams,
        (0..12).map(|i| 2 * i + 1).collect::<Vec<u64>>(),
        "odd client streams 1..23 on one connection"
    );
    let s = of_type(&v, "http.summary")[0];
    assert_eq!((s["responses"].as_u64(), s["requests"].as_u64()), (Some(12), Some(12)));
    assert!(
        s["request_headers"]["dynamic_hits"].as_u64().unwrap() >= 11 * 3,
        "repeated fields come from the dynamic table: {}",
        s["request_headers"]
    );
    let (v3, _) = fetch(&[
        "https://www.example.com/objects/1",
        "--requests",
        "6",
        "--concurrency",
        "3",
        "--h3",
    ]);
    let streams: Vec<u64> = of_type(&v3, "http.response")
        .iter()
        .map(|r| r["stream"].as_u64().unwrap())
        .collect();
    assert_eq!(
        streams,
        [0, 4, 8, 12, 16, 20],
        "client-initiated bidirectional QUIC streams"
    );
}

#[test]
fn output_head_and_extra_headers() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("body.bin");
    netlab()
        .args(["http", "--sandbox", "https://www.example.com/bytes/100000", "-o"])
        .arg(&file)
        .assert()
        .success();
    assert_eq!(std::fs::read(&file).unwrap().len(), 100_000);
    let echoed = netlab()
        .args([
            "http",
            "--sandbox",
            "https://www.example.com/headers",
            "-H",
            "X-Netlab-Test: yes",
            "-o",
            "-",
            "--h3",
        ])
        .output()
        .unwrap();
    assert!(echoed.status.success());
    let body = String::from_utf8_lossy(&echoed.stdout);
    assert!(
        body.contains("x-netlab-test: yes"),
        "the body, and only the body, on stdout: {body}"
    );
    assert!(!body.contains(";;"), "{body}");
    assert!(String::from_utf8_lossy(&echoed.stderr).contains(";; h3"));
    let (v, code) = fetch(&["https://www.example.com/bytes/5000", "-I"]);
    assert_eq!(code, 0);
    let r = of_type(&v, "http.response")[0];
    assert_eq!(r["body_bytes"], 0);
    assert!(
        r["headers"].to_string().contains("5000"),
        "content-length of the GET it describes"
    );
}

#[test]
fn failures_are_named() {
    netlab()
        .args(["http", "--sandbox", "http://www.example.com/"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("plain http"));
    netlab()
        .args(["http", "https://www.example.com/"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("offline"));
    netlab()
        .args(["http", "--sandbox", "https://www.example.com/", "-H", "nocolon"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("-H 'nocolon'"));
    let (v, code) = fetch(&["https://expired.example.com/", "--compare"]);
    assert_eq!(code, 1);
    for s in of_type(&v, "http.summary") {
        assert!(
            s["error"].as_str().unwrap().contains(
                "certificate check failed: the leaf certificate CN=expired.example.com expired on 2020-01-01 (notAfter)"
            ),
            "{s}"
        );
    }
    // Over TCP and QUIC alike, a webpki error in plain words, not rustls's Debug output.
    let (v, code) = fetch(&["https://name-constraints.example.com/", "--compare"]);
    assert_eq!(code, 1);
    for s in of_type(&v, "http.summary") {
        let error = s["error"].as_str().unwrap();
        assert!(
            error.contains("permits names within example.org and no others (nameConstraints)"),
            "{s}"
        );
        assert!(!error.contains("OtherError"), "{s}");
    }
    netlab()
        .args(["http", "--sandbox", "https://expired.example.com/", "-k"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "!! INSECURE: certificate check failed: the leaf certificate CN=expired.example.com expired on 2020-01-01",
        ))
        .stdout(predicate::str::contains("(UNIX)").not())
        .stderr(predicate::str::contains("--insecure"));
    let (v, code) = fetch(&["https://www.example.com/nothing-here"]);
    assert_eq!(code, 0, "a 404 is an answer");
    assert_eq!(of_type(&v, "http.response")[0]["status"], 404);
}

#[test]
fn resume_reuses_the_session_and_h3_sends_the_request_in_0rtt() {
    let (v, code) = fetch(&["https://www.example.com/", "--compare", "--resume"]);
    assert_eq!(code, 0, "{v}");
    let summaries = of_type(&v, "http.summary");
    let seen: Vec<(&str, u64, bool)> = summaries
        .iter()
        .map(|s| {
            (
                s["protocol"].as_str().unwrap(),
                s["connection"].as_u64().unwrap(),
                s["resumed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [("h2", 1, false), ("h2", 2, true), ("h3", 1, false), ("h3", 2, true)]
    );
    assert_eq!(summaries[3]["zero_rtt"], true, "the sandbox accepts 0-RTT over QUIC");
    assert_eq!(phase_names(summaries[3])[1], "quic_0rtt");
    assert_eq!(summaries[3]["responses"], 1);
    let rows = of_type(&v, "http.compare")[0]["rows"].as_array().unwrap().clone();
    let setup = rows.iter().find(|r| r["what"] == "connection set-up").unwrap();
    assert_eq!(
        (setup["h2_round_trips"].as_u64(), setup["h3_round_trips"].as_u64()),
        (Some(2), Some(0)),
        "resumed TCP + TLS still costs two round trips; 0-RTT QUIC none"
    );
}

#[test]
fn qlog_records_the_quic_connection_for_qvis() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fetch.sqlog");
    netlab()
        .args(["http", "--sandbox", "https://www.example.com/", "--h3", "--qlog"])
        .arg(&file)
        .assert()
        .success();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with('\u{1e}'),
        "JSON text sequences (RFC 7464) begin with RS"
    );
    let first: Value = serde_json::from_str(text.trim_start_matches('\u{1e}').lines().next().unwrap()).unwrap();
    assert_eq!(first["qlog_format"], "JSON-SEQ");
    assert!(
        text.contains("packet_sent") && text.contains("packet_received"),
        "{text}"
    );
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(
        !dir.path().join("fetch.sqlog.part").exists(),
        "written beside, then renamed"
    );
}

#[test]
fn downloads_show_their_throughput_on_both_protocols() {
    for protocol in ["--h2", "--h3"] {
        let (v, code) = fetch(&["https://www.example.com/bytes/200000", protocol]);
        assert_eq!(code, 0, "{v}");
        let s = of_type(&v, "http.summary")[0];
        assert_eq!(s["body_bytes"], 200000);
        let download = s["phases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "download")
            .unwrap();
        let us = download["end_us"].as_u64().unwrap() - download["start_us"].as_u64().unwrap();
        assert!(us > 0, "200 kB take some time even on loopback");
        // The rate is the body over the download phase (first byte to last), to the octet/s.
        let rate = s["download_bytes_per_s"].as_u64().unwrap();
        assert_eq!(rate, 200000 * 1_000_000 / us, "{protocol}: {s}");
    }
    netlab()
        .args([
            "http",
            "--sandbox",
            "https://www.example.com/bytes/200000",
            "--no-notes",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("throughput: 200000 B of body at "));
}
