//! `netlab dns` against the sandbox, through the CLI: every case of the sandbox world, the
//! output forms, bad input, and the offline guard.

mod common;
use common::{netlab, of_type, trace};
use predicates::prelude::*;
use serde_json::Value;

/// The walk's trace as JSON, and the exit code: `netlab --json dns --sandbox --timeout 1000 ARGS`.
fn walk(args: &[&str]) -> (Value, i32) {
    trace(&[&["dns", "--sandbox", "--timeout", "1000"], args].concat())
}

fn summary(v: &Value) -> &Value {
    of_type(v, "dns.summary")[0]
}

fn meanings(v: &Value) -> Vec<String> {
    of_type(v, "dns.response")
        .iter()
        .map(|r| r["meaning"]["kind"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn www_example_com_walks_three_zones_and_a_cross_zone_cname() {
    let (v, code) = walk(&["www.example.com"]);
    assert_eq!(code, 0);
    assert_eq!(v["schema"], "netlab.dns/1");
    let s = summary(&v);
    assert_eq!(
        s["path"],
        serde_json::json!([".", "com.", "example.com.", ".", "net.", "example.net."])
    );
    assert_eq!(
        (s["referrals"].as_u64(), s["cnames"].as_u64(), s["queries"].as_u64()),
        (Some(4), Some(1), Some(6))
    );
    assert_eq!(s["answers"][1]["data"], "192.0.2.80");
    assert_eq!(
        meanings(&v),
        ["referral", "referral", "cname", "referral", "referral", "answer"]
    );
    let first = of_type(&v, "dns.query")[0];
    assert_eq!(first["server"]["address"], "198.51.100.1");
    assert!(first["server"]["via"].as_str().unwrap().starts_with("127.0.0.1:"));
    assert_eq!(first["recursion_desired"], false);
    assert_eq!(first["edns_buffer"], 1232);
    let glue = &of_type(&v, "dns.response")[1]["meaning"]["glue"];
    assert_eq!(
        glue,
        &serde_json::json!(["ns1.example.com. 203.0.113.53", "ns2.example.com. 203.0.113.54"])
    );
    let ids: std::collections::HashSet<u64> = of_type(&v, "dns.query")
        .iter()
        .map(|q| q["id"].as_u64().unwrap())
        .collect();
    assert!(ids.len() >= 5, "query IDs are random: {ids:?}");
}

/// Root and TLD servers clear AA on referrals (RFC 1035 §4.1.1: AA says the server is an
/// authority for the name asked); the zone that holds the name sets it on its answer.
#[test]
fn referrals_are_not_authoritative_and_answers_are() {
    let (v, code) = walk(&["www.example.com"]);
    assert_eq!(code, 0);
    let aa: Vec<(String, bool)> = of_type(&v, "dns.response")
        .iter()
        .map(|r| {
            let flags = r["flags"].as_array().unwrap();
            (
                r["meaning"]["kind"].as_str().unwrap().to_string(),
                flags.contains(&Value::from("AA")),
            )
        })
        .collect();
    let want: Vec<(String, bool)> = [
        ("referral", false),
        ("referral", false),
        ("cname", true),
        ("referral", false),
        ("referral", false),
        ("answer", true),
    ]
    .iter()
    .map(|(m, a)| (m.to_string(), *a))
    .collect();
    assert_eq!(aa, want);
    let topics: Vec<&Value> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["notes"].as_array().into_iter().flatten())
        .map(|n| &n["topic"])
        .collect();
    assert!(!topics.contains(&&Value::from("dns.aa_referral")), "{topics:?}");
    // An NS query for a delegated zone, asked of its parent: a referral too (RFC 1034 §4.3.2).
    let (v, _) = walk(&["example.com", "NS"]);
    let referral = of_type(&v, "dns.response")[1];
    assert_eq!(referral["meaning"]["kind"], "referral", "{referral}");
    assert!(referral["answers"].as_array().unwrap().is_empty(), "{referral}");
    assert!(!referral["flags"].as_array().unwrap().contains(&Value::from("AA")));
}

#[test]
fn text_output_short_and_no_notes() {
    netlab()
        .args(["dns", "www.example.com", "--sandbox"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            ";; . -> com. -> example.com. -> . -> net. -> example.net. : 4 referrals, 1 CNAME, 6 queries,",
        ))
        .stdout(predicate::str::contains(
            "referral to com. served by a.gtld-servers.test. (glue a.gtld-servers.test. 198.51.100.10)",
        ))
        .stdout(predicate::str::contains("why: The . servers do not hold this name"));
    netlab()
        .args(["dns", "www.example.com", "--sandbox", "--short"])
        .assert()
        .success()
        .stdout("cdn.example.net.\n192.0.2.80\n");
    netlab()
        .args(["--no-notes", "dns", "example.com", "MX", "--sandbox"])
        .assert()
        .success()
        .stdout(predicate::str::contains("why:").not())
        .stdout(predicate::str::contains("example.com.  3600  MX  10 mail.example.com."));
}

#[test]
fn txt_strings_keep_their_boundaries_in_text_and_json() {
    let (v, code) = walk(&["multi.example.com", "TXT"]);
    assert_eq!(code, 0);
    let answer = &summary(&v)["answers"][0];
    assert_eq!(answer["data"], r#""netlab lab" "second string""#);
    assert_eq!(answer["strings"], serde_json::json!(["netlab lab", "second string"]));
    netlab()
        .args(["dns", "multi.example.com", "TXT", "--sandbox"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            r#"multi.example.com.  3600  TXT  "netlab lab" "second string""#,
        ));
    // Stub mode: the resolver's answer, in the same presentation.
    netlab()
        .args([
            "dns",
            "multi.example.com",
            "TXT",
            "@198.51.100.53",
            "--sandbox",
            "--short",
        ])
        .assert()
        .code(0)
        .stdout("\"netlab lab\" \"second string\"\n");
    netlab()
        .args(["dns", "svc.example.com", "HTTPS", "--sandbox", "--short"])
        .assert()
        .code(0)
        .stdout("1 . alpn=\"h3,h2\" port=8443 ipv4hint=192.0.2.10,192.0.2.11 ipv6hint=2001:db8::10\n");
}

#[test]
fn truncation_retries_over_tcp() {
    let (v, code) = walk(&["big.example.com", "TXT"]);
    assert_eq!(code, 0);
    assert_eq!(meanings(&v), ["referral", "referral", "truncated", "answer"]);
    let transports: Vec<&str> = of_type(&v, "dns.query")
        .iter()
        .map(|q| q["transport"].as_str().unwrap())
        .collect();
    assert_eq!(transports, ["udp", "udp", "udp", "tcp"]);
    assert_eq!(summary(&v)["answers"].as_array().unwrap().len(), 12);
}

#[test]
fn negative_answers_nxdomain_and_nodata() {
    let (v, code) = walk(&["nope.example.com"]);
    assert_eq!(code, 1);
    let last = *of_type(&v, "dns.response").last().unwrap();
    assert_eq!(last["rcode"], "NXDOMAIN");
    assert_eq!(last["meaning"]["negative_ttl"], 300);
    assert_eq!(summary(&v)["result"], "nxdomain");
    let (v, code) = walk(&["mail.example.com", "AAAA"]);
    assert_eq!(code, 1);
    assert_eq!(summary(&v)["result"], "nodata");
    assert_eq!(of_type(&v, "dns.response").last().unwrap()["rcode"], "NOERROR");
}

#[test]
fn glueless_delegation_has_a_sub_walk() {
    let (v, code) = walk(&["www.example.org"]);
    assert_eq!(code, 0);
    let sub = of_type(&v, "dns.subwalk");
    assert_eq!(sub[0]["ns"], "ns.example.net.");
    assert!(of_type(&v, "dns.query")
        .iter()
        .any(|q| q["depth"] == 1 && q["qname"] == "ns.example.net."));
    assert_eq!(summary(&v)["answers"][0]["data"], "192.0.2.30");
}

#[test]
fn dead_and_lame_servers_are_skipped_visibly() {
    let (v, code) = walk(&["www.flaky.test"]);
    assert_eq!(code, 0);
    assert_eq!(of_type(&v, "dns.timeout")[0]["server"]["name"], "ns1.flaky.test.");
    assert_eq!(summary(&v)["answers"][0]["data"], "192.0.2.40");
    let (v, code) = walk(&["www.lame.test"]);
    assert_eq!(code, 0);
    let refused: Vec<_> = of_type(&v, "dns.response")
        .into_iter()
        .filter(|r| r["rcode"] == "REFUSED")
        .collect();
    assert_eq!(refused[0]["server"]["name"], "ns1.lame.test.");
    assert_eq!(refused[0]["meaning"]["kind"], "unusable");
}

#[test]
fn cname_loop_wildcard_reverse_idn_and_types() {
    let (v, code) = walk(&["loop1.example.com"]);
    assert_eq!(code, 1);
    assert!(summary(&v)["error"].as_str().unwrap().contains("CNAME loop"));
    let (v, _) = walk(&["anything.wild.example.com"]);
    assert_eq!(summary(&v)["answers"][0]["data"], "192.0.2.99");
    let (v, _) = walk(&["-x", "192.0.2.10"]);
    assert_eq!(summary(&v)["qname"], "10.2.0.192.in-addr.arpa.");
    assert_eq!(summary(&v)["answers"][0]["data"], "example.com.");
    let (v, _) = walk(&["bücher.example.com"]);
    assert_eq!(of_type(&v, "dns.idn")[0]["ascii"], "xn--bcher-kva.example.com.");
    assert_eq!(of_type(&v, "dns.query")[0]["qname"], "xn--bcher-kva.example.com.");
    for (t, want) in [
        ("HTTPS", "alpn"),
        ("CAA", "issue"),
        ("TXT", "v=spf1"),
        ("AAAA", "2001:db8::10"),
        ("SOA", "ns1.example.com."),
        ("NS", "ns1.example.com."),
    ] {
        let (v, code) = walk(&["example.com", t]);
        assert_eq!(code, 0, "{t}");
        assert!(
            summary(&v)["answers"][0]["data"].as_str().unwrap().contains(want),
            "{t}: {}",
            summary(&v)["answers"]
        );
    }
    let (v, _) = walk(&["_imaps._tcp.example.com", "SRV"]);
    assert_eq!(summary(&v)["answers"][0]["data"], "0 1 993 mail.example.com.");
}

#[test]
fn bad_names_types_and_flags() {
    let cases: &[(&[&str], &str)] = &[
        (&["a..example.com"], "empty label"),
        (
            &["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com"],
            "the limit is 63",
        ),
        (&["example.com", "BOGUS"], "'BOGUS' is not a record type"),
        (&["-x", "300.1.1.1"], "is not an IP address"),
        (&["example.com", "--root", "not-an-ip"], "is not IP or IP:PORT"),
        (&["example.com", "--timeout", "0"], "must be above 0"),
        (&[], "needs a name"),
    ];
    for (args, want) in cases {
        netlab()
            .args(["dns", "--sandbox"])
            .args(*args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(*want))
            .stderr(predicate::str::starts_with("netlab: "));
    }
    let long = vec!["abcdefghij"; 26].join(".");
    netlab()
        .args(["dns", &long, "--sandbox"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the limit is 253"));
}

#[test]
fn offline_guard_refuses_the_real_root_before_sending() {
    let start = std::time::Instant::now();
    netlab()
        .args(["dns", "example.com"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            "netlab: refusing to contact 198.41.0.4:53: offline mode (use --sandbox or a loopback --root/@server)\n",
        );
    netlab()
        .env_remove("NETLAB_OFFLINE")
        .args(["dns", "example.com", "--offline", "--root", "192.0.2.1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("refusing to contact 192.0.2.1:53"));
    assert!(
        start.elapsed() < std::time::Duration::from_secs(5),
        "refused at once, no timeout waited for"
    );
}

#[test]
fn sandbox_up_bind_127_serves_real_sockets_on_port_53() {
    // Port 53 needs root; CI runs as root. Elsewhere, say so and stop.
    if !nix_is_root() {
        assert!(std::env::var_os("CI").is_none(), "CI must run as root for --bind-127");
        eprintln!("not root: skipping sandbox up --bind-127");
        return;
    }
    let mut up = std::process::Command::new(env!("CARGO_BIN_EXE_netlab"))
        .args(["sandbox", "up", "--bind-127", "--for", "20"])
        .env("NETLAB_OFFLINE", "1")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(up.stdout.take().unwrap());
    let mut banner = String::new();
    while !banner.contains("Press Ctrl-C") {
        let mut line = String::new();
        if std::io::BufRead::read_line(&mut stdout, &mut line).unwrap() == 0 {
            break;
        }
        banner.push_str(&line);
    }
    assert!(
        banner.contains("a.root-servers.test.     198.51.100.1    -> 127.0.53.1:53"),
        "{banner}"
    );
    assert!(banner.contains("127.0.53.3 a.gtld-servers.test"), "{banner}");
    // A walk from the real loopback sockets, through the rewritten glue, without the sandbox's address book.
    let out = netlab()
        .args([
            "--json",
            "dns",
            "www.example.com",
            "--root",
            "127.0.53.1",
            "--timeout",
            "500",
        ])
        .output()
        .unwrap();
    let _ = up.kill();
    let _ = up.wait();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary(&v)["answers"][1]["data"], "192.0.2.80", "{v}");
    assert_eq!(of_type(&v, "dns.query")[1]["server"]["address"], "127.0.53.3");
}

fn nix_is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false)
}

#[test]
fn stub_mode_asks_a_resolver_once() {
    let out = netlab()
        .args(["--json", "dns", "www.example.com", "--system", "--sandbox"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let stub = of_type(&v, "dns.stub")[0];
    assert_eq!(stub["server"]["address"], "198.51.100.53");
    assert!(stub["flags"].as_array().unwrap().contains(&Value::from("RA")));
    assert_eq!(stub["answers"][1]["data"], "192.0.2.80");
    assert!(of_type(&v, "dns.query").is_empty(), "no walk of our own in stub mode");
    netlab()
        .args(["dns", "www.example.com", "@198.51.100.53", "--sandbox", "--short"])
        .assert()
        .success()
        .stdout("cdn.example.net.\n192.0.2.80\n");
    netlab()
        .args(["dns", "nope.example.com", "@198.51.100.53", "--sandbox"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("<- NXDOMAIN"));
    // An authoritative server asked directly: it answers for its zone, without recursion.
    netlab()
        .args(["dns", "example.com", "MX", "@203.0.113.53", "--sandbox"])
        .assert()
        .success()
        .stdout(predicate::str::contains("flags AA RD,"))
        .stdout(predicate::str::contains("RA=0: this server does not recurse"));
    netlab()
        .args(["dns", "example.com", "@1.2.3.4", "--resolver", "1.2.3.4"])
        .assert()
        .code(2);
}

#[test]
fn offline_guard_refuses_stub_mode_too() {
    netlab()
        .args(["dns", "example.com", "@1.1.1.1"])
        .assert()
        .code(2)
        .stdout("")
        .stderr("netlab: refusing to contact 1.1.1.1:53: offline mode (use --sandbox or a loopback --root/@server)\n");
    netlab()
        .args(["dns", "example.com", "@8.8.8.8", "--sandbox"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("it is not part of the sandbox"));
}

/// A teaching note is given once per trace: a --dnssec walk meets ten answers, five key sets and
/// four referrals, and says what each kind means once, on the first (in JSON and in text).
#[test]
fn each_teaching_note_is_given_once_per_trace() {
    let (v, code) = walk(&["www.example.com", "--dnssec"]);
    assert_eq!(code, 0);
    let events = v["events"].as_array().unwrap();
    let mut topics: Vec<&str> = events
        .iter()
        .flat_map(|e| e["notes"].as_array().into_iter().flatten())
        .map(|n| n["topic"].as_str().unwrap())
        .collect();
    for many in ["dns.referral", "dns.answer", "dnssec.dnskey"] {
        assert_eq!(topics.iter().filter(|t| **t == many).count(), 1, "{many}: {topics:?}");
    }
    assert!(of_type(&v, "dns.response").len() > 10, "the walk has many responses");
    let given = topics.len();
    topics.sort_unstable();
    topics.dedup();
    assert_eq!(topics.len(), given, "a topic repeated");
    // The note stays on the first event that carries it: the root's referral.
    let first_referral = of_type(&v, "dns.response")
        .into_iter()
        .find(|r| r["meaning"]["kind"] == "referral")
        .unwrap();
    assert_eq!(first_referral["notes"][0]["topic"], "dns.referral");
    let out = netlab()
        .args(["dns", "www.example.com", "--dnssec", "--sandbox", "--timeout", "1000"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let why: Vec<&str> = text.lines().filter(|l| l.trim_start().starts_with("why:")).collect();
    assert_eq!(why.len(), given, "{text}");
    assert_eq!(
        text.matches("why: AA=1 marks an authoritative answer").count(),
        1,
        "{text}"
    );
}

#[test]
fn dnssec_secure_chain_from_the_sandbox_root() {
    let (v, code) = walk(&["www.example.com", "--dnssec"]);
    assert_eq!(code, 0);
    assert_eq!(summary(&v)["dnssec"], "secure");
    let checks: Vec<(String, String, String)> = of_type(&v, "dns.dnssec")
        .iter()
        .map(|e| {
            (
                e["zone"].as_str().unwrap().to_string(),
                e["check"].as_str().unwrap().to_string(),
                e["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for zone in [".", "com.", "example.com.", "net.", "example.net."] {
        assert!(
            checks.contains(&(zone.to_string(), "dnskey".to_string(), "secure".to_string())),
            "{zone}: {checks:?}"
        );
    }
    assert!(checks.contains(&("example.com.".into(), "ds".into(), "secure".into())));
    assert!(checks.contains(&("example.net.".into(), "answer".into(), "secure".into())));
    assert!(
        of_type(&v, "dns.query").iter().all(|q| q["dnssec_ok"] == true),
        "every query asks with DO=1"
    );
    // Signed denial of existence.
    for args in [
        &["nope.example.com", "--dnssec"][..],
        &["mail.example.com", "AAAA", "--dnssec"],
    ] {
        let (v, code) = walk(args);
        assert_eq!(code, 1);
        assert_eq!(summary(&v)["dnssec"], "secure", "{args:?}");
    }
}

#[test]
fn dnssec_bogus_names_the_broken_link_and_insecure_is_not_bogus() {
    let (v, code) = walk(&["www.bogus.test", "--dnssec"]);
    assert_eq!(code, 1, "bogus data is not passed on as an answer");
    let s = summary(&v);
    assert_eq!(s["dnssec"], "bogus");
    let why = s["dnssec_failure"].as_str().unwrap();
    assert!(why.starts_with("bogus.test. dnskey: no DNSKEY of bogus.test."), "{why}");
    assert!(why.contains("matches the DS records in the parent"), "{why}");
    netlab()
        .args(["dns", "www.bogus.test", "--sandbox", "--dnssec"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(";; DNSSEC: bogus: bogus.test. dnskey:"))
        .stdout(predicate::str::contains(
            ";; BOGUS: these records failed DNSSEC validation: do not trust them.",
        ))
        .stdout(predicate::str::contains(
            "\nBOGUS  www.bogus.test.  3600  A  192.0.2.66\n",
        ));
    // --short prints no records, as dig +short prints none for a validating resolver's
    // SERVFAIL, and says why on stderr.
    netlab()
        .args(["dns", "www.bogus.test", "--sandbox", "--dnssec", "--short"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::starts_with(
            "netlab: DNSSEC bogus: bogus.test. dnskey: no DNSKEY",
        ))
        .stderr(predicate::function(|e: &str| e.lines().count() == 1));
    let (v, code) = walk(&["www.example.org", "--dnssec"]);
    assert_eq!(code, 0);
    assert_eq!(summary(&v)["dnssec"], "insecure");
    let ds = of_type(&v, "dns.dnssec")
        .into_iter()
        .find(|e| e["zone"] == "example.org." && e["check"] == "ds")
        .unwrap()
        .clone();
    assert_eq!(ds["status"], "insecure");
    assert_eq!(ds["detail"], "org. proves there is no DS for example.org.");
    let (v, _) = walk(&["www.example.com"]);
    assert!(summary(&v).get("dnssec").is_none(), "no verdict without --dnssec");
    assert!(of_type(&v, "dns.query").iter().all(|q| q["dnssec_ok"] == false));
}

#[test]
fn stub_mode_over_dns_over_tls_and_https_verifies_the_certificate() {
    for (flag, transport) in [("--tls", "tls"), ("--https", "https")] {
        let out = netlab()
            .args(["--json", "dns", "www.example.com", "@198.51.100.53", flag, "--sandbox"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{flag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let stub = of_type(&v, "dns.stub")[0];
        assert_eq!(stub["transport"], transport);
        assert_eq!(stub["answers"][1]["data"], "192.0.2.80");
        assert!(stub["server"]["via"].as_str().unwrap().starts_with("127.0.0.1:"));
    }
    // A name the certificate does not carry: the connection is refused, and the output says why.
    netlab()
        .args([
            "dns",
            "www.example.com",
            "@198.51.100.53",
            "--tls",
            "--tls-name",
            "evil.example",
            "--sandbox",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "the TLS connection failed: is the certificate's name evil.example?",
        ));
    netlab()
        .args(["dns", "example.com", "--tls", "--sandbox"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("add @IP"));
    netlab()
        .args(["dns", "example.com", "@1.1.1.1", "--https"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("refusing to contact 1.1.1.1:443"));
}

#[test]
fn root_hints_file_and_walk_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let hints = dir.path().join("named.root");
    std::fs::write(&hints, "; the sandbox root, as a hints file\n.  3600000  NS  a.root-servers.test.\na.root-servers.test.  3600000  A  198.51.100.1\n").unwrap();
    netlab()
        .args(["dns", "www.example.com", "--sandbox", "--short", "--root-hints"])
        .arg(&hints)
        .assert()
        .success()
        .stdout("cdn.example.net.\n192.0.2.80\n");
    std::fs::write(&hints, "garbage line here\n").unwrap();
    netlab()
        .args(["dns", "example.com", "--sandbox", "--root-hints"])
        .arg(&hints)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("named.root:1: expected"));
    let (v, code) = walk(&["www.example.com", "--max-queries", "2"]);
    assert_eq!(code, 1);
    assert_eq!(summary(&v)["error"], "query budget of 2 used up (raise --max-queries)");
    assert_eq!(summary(&v)["queries"], 2);
}

#[test]
fn a_walk_no_server_answers_is_a_dns_failure_not_a_negative_answer() {
    // Port 1 on loopback: nothing answers there, so every query times out (or is refused).
    let (v, code) = common::trace(&["dns", "www.example.com", "--root", "127.0.0.1:1", "--timeout", "200"]);
    assert_eq!(code, 4, "{}", v["outcome"]);
    let failure = &v["outcome"]["failure"];
    assert_eq!(failure["phase"], "dns");
    assert!(
        failure["kind"] == "timeout" || failure["kind"] == "unreachable",
        "{failure}"
    );
    assert_eq!(failure["what"], "resolving www.example.com.");
    assert_eq!(summary(&v)["result"], "failed", "the walk's own summary still says so");
}

/// The notes' topics of an event.
fn topics(event: &Value) -> Vec<&str> {
    event["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["topic"].as_str().unwrap())
        .collect()
}

#[test]
fn stub_dnssec_shows_the_resolvers_ad_bit_and_its_extended_error() {
    for resolver in [&["@198.51.100.53"][..], &["--resolver", "198.51.100.53"]] {
        // A signed chain: the validating resolver says AD=1 to a query that asks (DO=1, AD=1).
        let (v, code) = trace(&[&["dns", "www.example.com", "--dnssec", "--sandbox"], resolver].concat());
        assert_eq!(code, 0, "{resolver:?}: {}", v["outcome"]);
        let stub = of_type(&v, "dns.stub")[0];
        assert_eq!(stub["dnssec_ok"], true);
        assert!(stub["flags"].as_array().unwrap().contains(&Value::from("AD")), "{stub}");
        assert!(stub.get("extended_errors").is_none(), "{stub}");
        let ad = stub["notes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["topic"] == "dns.ad")
            .unwrap();
        assert!(ad["text"].as_str().unwrap().starts_with("AD=1"), "{ad}");
        // An unsigned zone (example.org): an answer, no AD.
        let (v, code) = trace(&[&["dns", "www.example.org", "--dnssec", "--sandbox"], resolver].concat());
        assert_eq!(code, 0);
        let stub = of_type(&v, "dns.stub")[0];
        assert!(
            !stub["flags"].as_array().unwrap().contains(&Value::from("AD")),
            "{stub}"
        );
        // A broken chain: SERVFAIL, Extended DNS Error 6 naming the broken link, and its note.
        let (v, code) = trace(&[&["dns", "www.bogus.test", "--dnssec", "--sandbox"], resolver].concat());
        assert_eq!(code, 1, "{}", v["outcome"]);
        let stub = of_type(&v, "dns.stub")[0];
        assert_eq!(stub["rcode"], "SERVFAIL");
        assert!(stub["answers"].as_array().unwrap().is_empty());
        let ede = stub["extended_errors"][0].as_str().unwrap();
        assert!(ede.starts_with("6 (DNSSEC Bogus): bogus.test. dnskey:"), "{ede}");
        assert!(topics(stub).contains(&"dns.ede.bogus"), "{stub}");
        assert!(!topics(stub).contains(&"dns.ad"), "no data, no AD to explain");
        assert!(v["outcome"]["reason"].as_str().unwrap().contains("DNSSEC Bogus"));
    }
    // Without --dnssec the query asks for no AD, and a resolver sets none (RFC 6840 §5.7); the
    // bogus name is still refused, as every validating resolver refuses it.
    let (v, _) = trace(&["dns", "www.example.com", "@198.51.100.53", "--sandbox"]);
    let stub = of_type(&v, "dns.stub")[0];
    assert_eq!(stub["dnssec_ok"], false);
    assert!(
        !stub["flags"].as_array().unwrap().contains(&Value::from("AD")),
        "{stub}"
    );
    netlab()
        .args(["dns", "www.bogus.test", "@198.51.100.53", "--sandbox"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("(recursive resolver, RD=1, over udp)"))
        .stdout(predicate::str::contains("<- SERVFAIL flags RD RA,"))
        .stdout(predicate::str::contains(
            "extended error 6 (DNSSEC Bogus): bogus.test. dnskey:",
        ));
    netlab()
        .args(["dns", "www.example.com", "@198.51.100.53", "--dnssec", "--sandbox"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "(recursive resolver, RD=1 AD=1 DO=1, over udp)",
        ))
        .stdout(predicate::str::contains("<- NOERROR flags RD RA AD,"));
    // Over DNS over TLS the same: the whole response, its EDE included.
    let (v, code) = trace(&[
        "dns",
        "www.bogus.test",
        "@198.51.100.53",
        "--tls",
        "--dnssec",
        "--sandbox",
    ]);
    assert_eq!(code, 1);
    let stub = of_type(&v, "dns.stub")[0];
    assert_eq!(
        (&stub["transport"], &stub["rcode"]),
        (&Value::from("tls"), &Value::from("SERVFAIL"))
    );
    assert!(stub["extended_errors"][0]
        .as_str()
        .unwrap()
        .starts_with("6 (DNSSEC Bogus)"));
}

#[test]
fn stub_mode_to_a_closed_udp_port_ends_at_once_with_port_unreachable() {
    // A timeout of a minute: the ICMP port unreachable must end the query, not the timeout (a
    // timeout would be kind "timeout").
    let (v, code) = trace(&["dns", "example.com", "@127.0.0.1:1", "--timeout", "60000"]);
    assert_eq!(code, 4, "{}", v["outcome"]);
    let failure = &v["outcome"]["failure"];
    assert_eq!(
        (&failure["phase"], &failure["kind"]),
        (&Value::from("dns"), &Value::from("unreachable"))
    );
    assert!(
        failure["detail"]
            .as_str()
            .unwrap()
            .starts_with("port unreachable (ICMP)"),
        "{failure}"
    );
    let stub = of_type(&v, "dns.stub")[0];
    assert!(stub["error"]
        .as_str()
        .unwrap()
        .contains("nothing listens on UDP port 1 of 127.0.0.1"));
    assert_eq!(
        topics(stub),
        ["dns.port_unreachable"],
        "no claim that a resolver walked"
    );
    netlab()
        .args(["dns", "example.com", "@127.0.0.1:1", "--timeout", "60000"])
        .assert()
        .code(4)
        .stdout(predicate::str::contains("no answer after"))
        .stdout(predicate::str::contains("port unreachable (ICMP)"));
}

/// The resolver's socket in `sandbox up`'s directory for one of its virtual ports.
fn resolver_socket(directory: &Value, port: u16) -> String {
    let want = format!("198.51.100.53:{port}");
    directory["resolver"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["virtual_address"] == want.as_str())
        .unwrap_or_else(|| panic!("no resolver entry for {want}: {directory}"))["socket"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `sandbox up` lists the recursive resolver, resolver.sandbox.test. (a name the sandbox itself
/// resolves), on DNS 53, DNS over TLS 853 and DNS over HTTPS 443; and its plain socket answers
/// real dig and netlab's stub, with recursion (RA).
#[test]
fn sandbox_up_lists_the_resolver_and_dig_and_the_stub_reach_it() {
    let home = tempfile::tempdir().unwrap();
    let (mut up, directory) = common::sandbox_up(&[], 30, home.path());
    let entries = directory["resolver"].as_array().unwrap();
    assert!(
        entries.iter().all(|r| r["name"] == "resolver.sandbox.test."),
        "{directory}"
    );
    let plain = resolver_socket(&directory, 53);
    for port in [853, 443] {
        assert_ne!(resolver_socket(&directory, port), plain, "its own socket for {port}");
    }
    let stub = |args: &[&str]| {
        netlab()
            .args(["dns"])
            .args(args)
            .args([&format!("@{plain}"), "--short"])
            .output()
            .unwrap()
    };
    let www = stub(&["www.example.com"]);
    let named = stub(&["resolver.sandbox.test"]);
    let (ip, port) = plain.rsplit_once(':').unwrap();
    let dig = std::process::Command::new("dig")
        .args(["+short", "+time=5", "+tries=1", &format!("@{ip}"), "-p", port])
        .args(["www.example.com", "A"])
        .output();
    let _ = up.kill();
    let _ = up.wait();
    assert_eq!(String::from_utf8_lossy(&www.stdout), "cdn.example.net.\n192.0.2.80\n");
    assert_eq!(String::from_utf8_lossy(&named.stdout), "198.51.100.53\n");
    match dig {
        Ok(out) => assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "cdn.example.net.\n192.0.2.80\n",
            "dig: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "dig must be installed in CI (.ci/run installs bind9-dnsutils): {e}"
            );
            eprintln!("dig is not installed: skipping it (apt-get install bind9-dnsutils)");
        }
    }
}

/// DNS over HTTPS both ways RFC 8484 §4.1 allows, with curl against `sandbox up`: GET with the
/// query in `?dns=` (base64url, no padding) and POST with it as the body. Both answers are DNS
/// messages for the query sent, with the sandbox's records; GET's ID 0 comes back as 0.
#[test]
fn doh_answers_get_and_post_from_curl() {
    use hickory_proto::op::Message;
    if std::process::Command::new("curl").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "curl must be installed in CI");
        eprintln!("curl is not installed: skipping");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let (mut up, directory) = common::sandbox_up(&[], 30, home.path());
    let doh = resolver_socket(&directory, 443);
    let ca = directory["ca"].as_str().unwrap().to_string();
    let (ip, port) = doh.rsplit_once(':').unwrap();
    let url = format!("https://resolver.sandbox.test:{port}/dns-query");
    let resolve = format!("resolver.sandbox.test:{port}:{ip}");
    let curl = |args: &[&str], stdin: Option<&[u8]>| {
        let mut child = std::process::Command::new("curl")
            .args([
                "-s",
                "--max-time",
                "10",
                "-D",
                "/dev/stderr",
                "--cacert",
                &ca,
                "--resolve",
                &resolve,
            ])
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(bytes) = stdin {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(bytes).unwrap();
        }
        child.wait_with_output().unwrap()
    };
    // RFC 8484 §4.1.1's example: www.example.com A, RD=1 (with ID 0, as §4.1 recommends).
    let get = curl(
        &[
            "-H",
            "accept: application/dns-message",
            &format!("{url}?dns=AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB"),
        ],
        None,
    );
    let mut query = Message::from_vec(
        &data_encoding::BASE64URL_NOPAD
            .decode(b"AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB")
            .unwrap(),
    )
    .unwrap();
    query.metadata.id = 0x1234;
    let post = curl(
        &[
            "-H",
            "content-type: application/dns-message",
            "--data-binary",
            "@-",
            &url,
        ],
        Some(&query.to_vec().unwrap()),
    );
    // What is not a DNS query gets an HTTP error, not a hang: padding (RFC 8484 §4.1 forbids
    // it), no message, another path, a body of another type.
    let status = |args: &[&str]| {
        let out = curl(&[&["-o", "/dev/null", "-w", "%{http_code}"], args].concat(), None);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let refused = [
        status(&[&format!("{url}?dns=AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB==")]),
        status(&[&format!("{url}?dns=AAAB")]),
        status(&[&format!("https://resolver.sandbox.test:{port}/other?dns=AAAB")]),
        status(&["-H", "content-type: text/plain", "--data-binary", "x", &url]),
    ];
    let _ = up.kill();
    let _ = up.wait();
    assert_eq!(refused, ["400", "400", "404", "415"]);
    for (how, out, id) in [("GET", &get, 0), ("POST", &post, 0x1234)] {
        let head = String::from_utf8_lossy(&out.stderr);
        assert!(head.starts_with("HTTP/2 200"), "{how}: {head}");
        assert!(head.contains("content-type: application/dns-message"), "{how}: {head}");
        assert!(head.contains("cache-control: max-age="), "{how}: {head}");
        let answer = Message::from_vec(&out.stdout).unwrap_or_else(|e| panic!("{how}: {e}: {head}"));
        assert_eq!(answer.metadata.id, id, "{how}");
        assert!(answer.metadata.recursion_available, "{how}");
        let data: Vec<String> = answer.answers.iter().map(|r| r.data.to_string()).collect();
        assert_eq!(data, ["cdn.example.net.", "192.0.2.80"], "{how}");
    }
}

/// The `dns.nsec3` events of a trace, as (role, name, hash, relation, opt_out) per step.
fn nsec3_steps(v: &Value, proof: &str) -> Vec<(String, String, String, String, bool)> {
    of_type(v, "dns.nsec3")
        .into_iter()
        .filter(|e| e["proof"] == proof)
        .flat_map(|e| e["steps"].as_array().unwrap().clone())
        .map(|s| {
            let text = |k: &str| s[k].as_str().unwrap().to_string();
            (
                text("role"),
                text("name"),
                text("hash"),
                text("relation"),
                s["opt_out"] == true,
            )
        })
        .collect()
}

fn note_topics(v: &Value) -> Vec<String> {
    v["events"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["notes"].as_array().into_iter().flatten())
        .map(|n| n["topic"].as_str().unwrap().to_string())
        .collect()
}

/// example.net. denies with NSEC3 (RFC 5155 §8.4): its closest encloser matches, the next closer
/// name and the wildcard are covered, each step signed; the hashes are the real SHA-1 ones.
#[test]
fn nsec3_nxdomain_proves_closest_encloser_next_closer_and_wildcard() {
    let (v, code) = walk(&["nope.example.net", "--dnssec"]);
    assert_eq!(code, 1, "a negative answer exits 1");
    assert_eq!(summary(&v)["dnssec"], "secure");
    let steps = nsec3_steps(&v, "nxdomain");
    let roles: Vec<(&str, &str, &str, bool)> = steps
        .iter()
        .map(|(r, n, _, rel, o)| (r.as_str(), n.as_str(), rel.as_str(), *o))
        .collect();
    assert_eq!(
        roles,
        [
            ("closest encloser", "example.net.", "matches", false),
            ("next closer", "nope.example.net.", "covers", false),
            ("wildcard", "*.example.net.", "covers", false),
        ]
    );
    // Iterations 0, no salt (RFC 9276): the hash is SHA-1 of the wire name, in base32hex.
    assert_eq!(steps[0].2, "93j57bnunnk7b6rcofljbhj4mkp5bpjh");
    assert_eq!(steps[1].2, "1redndnpm2q54b4tkbgidg0rar8664qb");
    let answer = of_type(&v, "dns.dnssec")
        .into_iter()
        .find(|e| e["zone"] == "example.net." && e["check"] == "answer")
        .unwrap()
        .clone();
    assert_eq!(
        answer["detail"],
        "signed NSEC3 records prove nope.example.net. does not exist"
    );
    assert!(note_topics(&v).contains(&"dnssec.nsec3.nxdomain".to_string()));
    let text = netlab()
        .args(["dns", "nope.example.net", "--dnssec", "--sandbox", "--timeout", "1000"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("next closer nope.example.net. = 1redndnpm2q54b4tkbgidg0rar8664qb: covered by NSEC3"),
        "{text}"
    );
}

/// NODATA with NSEC3 (RFC 5155 §8.5): the name's own hash owns an NSEC3 whose bitmap lacks the type.
#[test]
fn nsec3_nodata_matches_the_hash_and_reads_the_bitmap() {
    let (v, code) = walk(&["cdn.example.net", "TXT", "--dnssec"]);
    assert_eq!(code, 1, "a negative answer exits 1");
    assert_eq!(summary(&v)["dnssec"], "secure");
    let steps = nsec3_steps(&v, "nodata");
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert_eq!(
        (steps[0].0.as_str(), steps[0].1.as_str(), steps[0].3.as_str()),
        ("name", "cdn.example.net.", "matches")
    );
    let e = of_type(&v, "dns.nsec3")[0];
    let types: Vec<&str> = e["steps"][0]["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(types.contains(&"HTTPS") && !types.contains(&"TXT"), "{types:?}");
}

/// org. is signed with opt-out NSEC3 (RFC 5155 §6): example.org.'s unsigned delegation has no
/// NSEC3; the opt-out span covering its hash is the proof that it has no DS: Insecure. A name
/// that does not exist in an opt-out span is not proven absent either: Insecure, not Secure.
#[test]
fn nsec3_opt_out_makes_an_unsigned_delegation_insecure() {
    let (v, code) = walk(&["www.example.org", "--dnssec"]);
    assert_eq!(code, 0);
    assert_eq!(summary(&v)["dnssec"], "insecure");
    let steps = nsec3_steps(&v, "opt-out");
    let roles: Vec<(&str, &str, &str, bool)> = steps
        .iter()
        .map(|(r, n, _, rel, o)| (r.as_str(), n.as_str(), rel.as_str(), *o))
        .collect();
    assert_eq!(
        roles,
        [
            ("closest encloser", "org.", "matches", true),
            ("next closer", "example.org.", "covers", true)
        ]
    );
    assert!(note_topics(&v).contains(&"dnssec.nsec3.opt-out".to_string()));
    let (v, code) = walk(&["nope.org", "--dnssec"]);
    assert_eq!(code, 1, "a negative answer exits 1");
    assert_eq!(summary(&v)["dnssec"], "insecure");
    assert!(nsec3_steps(&v, "nxdomain").iter().any(|s| s.0 == "next closer" && s.4));
}

/// Zones still signed with NSEC keep their NSEC proofs, and no NSEC3 event appears.
#[test]
fn nsec_zones_are_unchanged() {
    let (v, code) = walk(&["nope.example.com", "--dnssec"]);
    assert_eq!(code, 1, "a negative answer exits 1");
    assert_eq!(summary(&v)["dnssec"], "secure");
    assert!(of_type(&v, "dns.nsec3").is_empty());
}

/// An answer made from a wildcard (RRSIG labels fewer than the owner's) is secure only with the
/// signed proof that the name itself does not exist (RFC 4035 §5.3.4): NSEC in example.com.,
/// NSEC3 in example.net. (RFC 5155 §8.8: the next closer name covered).
#[test]
fn wildcard_answers_come_with_the_proof_that_the_name_does_not_exist() {
    for (name, wildcard, data) in [
        ("x.wild.example.com", "*.wild.example.com.", "192.0.2.99"),
        ("a.b.wild.example.net", "*.wild.example.net.", "192.0.2.98"),
    ] {
        let (v, code) = walk(&[name, "--dnssec"]);
        assert_eq!(code, 0);
        assert_eq!(summary(&v)["dnssec"], "secure", "{name}");
        assert_eq!(summary(&v)["answers"][0]["data"], data);
        let answer = of_type(&v, "dns.dnssec")
            .into_iter()
            .find(|e| e["check"] == "answer")
            .unwrap()
            .clone();
        let detail = answer["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!("expanded from {wildcard}, and "))
                && detail.ends_with(&format!("{name}. itself does not exist")),
            "{detail}"
        );
        assert!(note_topics(&v).contains(&"dnssec.wildcard".to_string()), "{name}");
    }
    let (v, _) = walk(&["a.b.wild.example.net", "--dnssec"]);
    let steps = nsec3_steps(&v, "wildcard");
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert_eq!(
        (steps[0].0.as_str(), steps[0].1.as_str(), steps[0].3.as_str()),
        ("next closer", "b.wild.example.net.", "covers")
    );
    // A name that is not under a wildcard is answered from its own records: no wildcard proof.
    let (v, _) = walk(&["cdn.example.net", "--dnssec"]);
    assert!(!note_topics(&v).contains(&"dnssec.wildcard".to_string()));
}
