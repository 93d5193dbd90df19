//! Familiar spellings on the command line: dig's, openssl s_client's, tshark's/tcpdump's and
//! curl's options, run against the sandbox (or a capture file) and compared with what netlab's
//! own spelling prints; and the one-line refusals, exit status 2, for what netlab lacks.

mod common;
#[path = "common/normalise.rs"]
mod normalise;

use common::{netlab, of_type, trace};
use serde_json::Value;

/// `netlab ARGS`: standard output, standard error and the exit code.
fn run(args: &[&str]) -> (String, String, i32) {
    let out = netlab().args(args).output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap(),
    )
}

/// Both spellings print the same, and succeed.
fn same(theirs: &[&str], ours: &[&str]) {
    let (a, b) = (run(theirs), run(ours));
    assert_eq!(a.2, 0, "{theirs:?}: {}", a.1);
    assert!(!a.0.is_empty(), "{theirs:?} printed nothing");
    assert_eq!(a, b, "{theirs:?} and {ours:?} differ");
}

/// A spelling refused with exit status 2 and one line on standard error containing `says`.
fn refused(args: &[&str], says: &str) {
    let (out, err, code) = run(args);
    assert_eq!(code, 2, "{args:?}: {out}{err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(err.starts_with("netlab: ") && err.contains(says), "{args:?}: {err}");
    assert!(out.is_empty(), "{args:?}: {out}");
}

/// What the client said and agreed in a `tls --json` trace, with what varies between runs
/// (times, ports, randoms) replaced: its ClientHello and the summary. (The server's messages
/// vary in length with its ECDSA signature.)
fn handshake(args: &[&str]) -> Vec<Value> {
    let (mut v, code) = trace(args);
    assert_eq!(code, 0, "{args:?}: {v}");
    normalise::normalise(&mut v);
    let hello = of_type(&v, "tls.message")
        .into_iter()
        .find(|m| m["name"] == "ClientHello");
    let summary = of_type(&v, "tls.summary").into_iter().next();
    [hello, summary]
        .into_iter()
        .map(|e| e.cloned().unwrap_or_default())
        .collect()
}

#[test]
fn dig_spellings_print_what_netlabs_do() {
    same(
        &["dns", "www.example.com", "+short", "--sandbox"],
        &["dns", "www.example.com", "--short", "--sandbox"],
    );
    same(
        &["dns", "example.com", "IN", "MX", "+short", "--sandbox"],
        &["dns", "example.com", "MX", "--short", "--sandbox"],
    );
    same(
        &["dns", "+short", "-t", "MX", "example.com", "IN", "--sandbox"],
        &["dns", "example.com", "MX", "--short", "--sandbox"],
    );
    same(
        &["dns", "-x", "192.0.2.10", "+short", "+trace", "+norecurse", "--sandbox"],
        &["dns", "-x", "192.0.2.10", "--short", "--sandbox"],
    );
    same(
        &[
            "dns",
            "@198.51.100.53",
            "-p",
            "53",
            "www.example.com",
            "+short",
            "--sandbox",
        ],
        &[
            "dns",
            "www.example.com",
            "--resolver",
            "198.51.100.53:53",
            "--short",
            "--sandbox",
        ],
    );
    same(
        &["--sandbox", "dns", "www.example.com", "+dnssec", "+short", "+time=3"],
        &[
            "--sandbox",
            "dns",
            "www.example.com",
            "--dnssec",
            "--short",
            "--timeout",
            "3000",
        ],
    );
}

#[test]
fn dig_spellings_netlab_lacks_are_refused_in_one_line() {
    refused(
        &["dns", "www.example.com", "+tcp", "--sandbox"],
        "moves to TCP when an answer is truncated",
    );
    refused(&["dns", "www.example.com", "+noall", "+answer", "--sandbox"], "--short");
    refused(&["dns", "version.bind", "CH", "TXT", "--sandbox"], "class IN");
    refused(&["dns", "x", "@198.51.100.53", "+trace", "--sandbox"], "--root IP");
    refused(
        &["dns", "x", "+bufsize=512", "--sandbox"],
        "unknown option '+bufsize=512'",
    );
}

#[test]
fn openssl_s_client_spellings_make_the_same_handshake() {
    let ours = handshake(&[
        "tls",
        "www.example.com:443",
        "--sni",
        "www.example.com",
        "--alpn",
        "h2",
        "--alpn",
        "http/1.1",
        "--groups",
        "x25519,secp256r1",
        "--sandbox",
    ]);
    for theirs in [
        &[
            "tls",
            "-connect",
            "www.example.com:443",
            "-servername",
            "www.example.com",
            "-alpn",
            "h2,http/1.1",
            "-groups",
            "X25519:P-256",
            "-msg",
            "--sandbox",
        ][..],
        &[
            "tls",
            "s_client",
            "-connect",
            "www.example.com:443",
            "-servername",
            "www.example.com",
            "-alpn",
            "h2,http/1.1",
            "-curves",
            "x25519:secp256r1",
            "--sandbox",
        ][..],
    ] {
        assert!(
            ours[1]["alpn"] == "h2" && ours[0].to_string().contains("secp256r1"),
            "{ours:?}"
        );
        assert_eq!(handshake(theirs), ours, "{theirs:?}");
    }
}

#[test]
fn openssl_s_client_files_and_suites_reach_netlabs_options() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.txt");
    let keys = keys.to_str().unwrap();
    let (v, code) = trace(&[
        "tls",
        "-connect",
        "www.example.com:443",
        "-ciphersuites",
        "TLS_CHACHA20_POLY1305_SHA256",
        "-keylogfile",
        keys,
        "--sandbox",
    ]);
    assert_eq!(code, 0, "{v}");
    assert!(v.to_string().contains("TLS_CHACHA20_POLY1305_SHA256"), "{v}");
    let log = std::fs::read_to_string(keys).unwrap();
    assert!(log.contains("CLIENT_HANDSHAKE_TRAFFIC_SECRET"), "{log}");
    refused(
        &["tls", "-connect", "www.example.com:443", "-reconnect", "--sandbox"],
        "--resume",
    );
    refused(
        &["tls", "-connect", "www.example.com:443", "-status", "--sandbox"],
        "unknown option '-status'",
    );
}

#[test]
fn tshark_and_tcpdump_spellings_show_the_same_frames() {
    let file = "captures/dns-walk.pcap";
    same(
        &["pcap", "-r", file, "-Y", "dns", "-c", "3"],
        &["pcap", file, "--proto", "dns", "-c", "3"],
    );
    same(
        &["pcap", "-nr", file, "-V", "-c", "1"],
        &["pcap", file, "-v", "-c", "1"],
    );
    same(&["pcap", "-r", file, "-T", "json"], &["pcap", file, "--json"]);
    same(
        &["pcap", "-nn", "-r", file, "host", "127.0.0.1", "and", "udp"],
        &["pcap", file, "--host", "127.0.0.1", "--proto", "udp"],
    );
    same(
        &["pcap", "-r", file, "-Y", "ip.addr == 127.0.0.1 && dns"],
        &["pcap", file, "--host", "127.0.0.1", "--proto", "dns"],
    );
    let tls = "captures/tls13-handshake.pcap";
    // The capture's TLS server listened on loopback port 43389.
    same(
        &["pcap", "-r", tls, "-Y", "tcp.port == 43389"],
        &["pcap", tls, "--proto", "tcp", "--port", "43389"],
    );
    same(
        &["pcap", tls, "tcp", "port", "43389"],
        &["pcap", tls, "--proto", "tcp", "--port", "43389"],
    );
    let (out, _, _) = run(&["pcap", "-r", tls, "-Y", "tcp.port==43389"]);
    assert!(out.contains("[SYN]") && !out.contains("UDP"), "{out}");
    let (out, _, _) = run(&["pcap", "-r", file, "-Y", "dns", "-c", "3"]);
    assert!(out.contains("3 shown"), "{out}");
    refused(&["pcap", "-r", file, "-Y", "dns or tls"], "ip.addr == IP");
    refused(&["pcap", "-r", file, "-T", "pdml"], "-T json");
    refused(&["pcap", "-r", file, "src", "host", "127.0.0.1"], "host IP");
}

#[test]
fn curl_spellings_fetch_over_the_same_protocol() {
    for (theirs, protocol) in [("--http3", "h3"), ("--http3-only", "h3"), ("--http2", "h2")] {
        let (v, code) = trace(&["http", "https://www.example.com/", theirs, "-m", "30.5", "--sandbox"]);
        assert_eq!(code, 0, "{theirs}: {v}");
        let summaries = of_type(&v, "http.summary");
        assert_eq!(summaries.len(), 1, "{v}");
        assert_eq!(summaries[0]["protocol"], protocol, "{theirs}");
        assert_eq!(of_type(&v, "http.response")[0]["status"], 200);
    }
    let (v, code) = trace(&["http", "https://www.example.com/", "-X", "HEAD", "--sandbox"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(of_type(&v, "http.summary")[0]["body_bytes"], 0, "{v}");
    refused(
        &["http", "https://www.example.com/", "-L", "--sandbox"],
        "fetches one URL",
    );
    refused(
        &["http", "https://www.example.com/", "-d", "x=1", "--sandbox"],
        "without a body",
    );
    refused(&["http", "https://www.example.com/", "-m", "0", "--sandbox"], "above 0");
}
