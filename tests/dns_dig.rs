//! `netlab dns --short` prints every record as `dig +short` prints it (RFC 1035 §5.1
//! presentation format; RFC 9460 §2.1 for SVCB and HTTPS), for every record type in the sandbox
//! zones: the sandbox serves real sockets (`sandbox up --bind-127`), dig asks each name's
//! authoritative server, netlab walks to it from the root, and the lines must be the same.
//! dig (bind9-dnsutils) and root (port 53) are what `.ci/run` gives; elsewhere the test says
//! what is missing and stops, in CI it fails.

mod common;
use std::collections::{BTreeSet, HashMap};
use std::io::BufRead;
use std::process::{Child, Command, Stdio};

use common::netlab;
use serde_json::Value;

/// (name, type, the server dig asks: its name in `sandbox up`'s address book).
const CASES: &[(&str, &str, &str)] = &[
    (".", "SOA", "a.root-servers.test."),
    (".", "NS", "a.root-servers.test."),
    ("com.", "DS", "a.root-servers.test."),
    ("example.com.", "DS", "a.gtld-servers.test."),
    ("example.com.", "A", "ns1.example.com."),
    ("example.com.", "AAAA", "ns1.example.com."),
    ("example.com.", "NS", "ns1.example.com."),
    ("example.com.", "SOA", "ns1.example.com."),
    ("example.com.", "MX", "ns1.example.com."),
    ("example.com.", "TXT", "ns1.example.com."),
    ("example.com.", "CAA", "ns1.example.com."),
    ("example.com.", "HTTPS", "ns1.example.com."),
    ("example.com.", "DNSKEY", "ns1.example.com."),
    ("example.com.", "NSEC", "ns1.example.com."),
    ("www.example.com.", "CNAME", "ns1.example.com."),
    ("_imaps._tcp.example.com.", "SRV", "ns1.example.com."),
    ("anything.wild.example.com.", "A", "ns1.example.com."),
    ("multi.example.com.", "TXT", "ns1.example.com."),
    ("big.example.com.", "TXT", "ns1.example.com."),
    ("svc.example.com.", "HTTPS", "ns1.example.com."),
    ("_dns.svc.example.com.", "SVCB", "ns1.example.com."),
    ("cdn.example.net.", "AAAA", "ns1.example.net."),
    ("cdn.example.net.", "HTTPS", "ns1.example.net."),
    ("www.example.org.", "A", "ns.example.net."),
    ("10.2.0.192.in-addr.arpa.", "PTR", "ns1.example.com."),
    ("www.bogus.test.", "A", "ns.bogus.test."),
];

/// DNSSEC types the sandbox adds when it signs its zones (RRSIG is compared on its own).
const SIGNED_TYPES: &[&str] = &["DNSKEY", "DS", "NSEC", "RRSIG"];

/// Every record type written in the sandbox's zone files.
fn zone_types() -> BTreeSet<String> {
    let mut types = BTreeSet::new();
    for entry in std::fs::read_dir("labs/sandbox/zones").unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines().map(|l| l.split(';').next().unwrap_or("")) {
            let words: Vec<&str> = line.split_whitespace().collect();
            if let Some(i) = words.iter().position(|w| *w == "IN") {
                if let Some(t) = words.get(i + 1) {
                    types.insert(t.to_string());
                }
            }
        }
    }
    types
}

fn have(tool: &str, arg: &str) -> bool {
    Command::new(tool).arg(arg).output().is_ok()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false)
}

/// The sandbox on 127.0.53.x:53, and its name servers' sockets by name.
fn sandbox_up() -> (Child, HashMap<String, String>) {
    let mut up = Command::new(env!("CARGO_BIN_EXE_netlab"))
        .args(["sandbox", "up", "--bind-127", "--for", "60"])
        .env("NETLAB_OFFLINE", "1")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(up.stdout.take().unwrap());
    let mut servers = HashMap::new();
    let mut line = String::new();
    while stdout.read_line(&mut line).unwrap() > 0 && !line.contains("Press Ctrl-C") {
        // "  ns1.example.com.         203.0.113.53    -> 127.0.53.4:53"
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [name, _, "->", socket] = words.as_slice() {
            if name.ends_with('.') {
                servers.insert(name.to_string(), socket.to_string());
            }
        }
        line.clear();
    }
    assert!(!servers.is_empty(), "sandbox up printed no name servers");
    (up, servers)
}

fn sorted_lines(bytes: &[u8]) -> Vec<String> {
    let mut lines: Vec<String> = String::from_utf8_lossy(bytes).lines().map(str::to_string).collect();
    lines.sort();
    lines
}

fn dig(socket: &str, args: &[&str]) -> Vec<String> {
    let (ip, port) = socket.rsplit_once(':').unwrap();
    let out = Command::new("dig")
        .args([
            "+short",
            "+norecurse",
            "+time=2",
            "+tries=1",
            &format!("@{ip}"),
            "-p",
            port,
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dig {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    sorted_lines(&out.stdout)
}

#[test]
fn short_prints_what_dig_short_prints_for_every_record_type() {
    if !have("dig", "-v") {
        assert!(
            std::env::var_os("CI").is_none(),
            "dig must be installed in CI (.ci/run installs bind9-dnsutils)"
        );
        eprintln!("dig is not installed: skipping the comparison (apt-get install bind9-dnsutils)");
        return;
    }
    if !is_root() {
        assert!(std::env::var_os("CI").is_none(), "CI must run as root for --bind-127");
        eprintln!("not root: skipping the comparison with dig (sandbox up --bind-127 needs port 53)");
        return;
    }
    let covered: BTreeSet<&str> = CASES.iter().map(|c| c.1).chain(["RRSIG"]).collect();
    for t in zone_types()
        .iter()
        .map(String::as_str)
        .chain(SIGNED_TYPES.iter().copied())
    {
        assert!(
            covered.contains(t),
            "the zones hold {t} records: add a case for them to CASES"
        );
    }
    let (mut up, servers) = sandbox_up();
    let root = &servers["a.root-servers.test."];
    let mut differences = Vec::new();
    for (name, rtype, server) in CASES {
        let theirs = dig(&servers[*server], &[name, rtype]);
        let out = netlab()
            .args(["dns", name, rtype, "--root", root, "--timeout", "1000", "--short"])
            .output()
            .unwrap();
        let ours = sorted_lines(&out.stdout);
        if theirs.is_empty() || ours != theirs {
            differences.push(format!("{name} {rtype}:\n  dig:    {theirs:?}\n  netlab: {ours:?}"));
        }
    }
    // RRSIG: the signatures that came with an answer, in the trace of a --dnssec walk.
    let theirs = dig(&servers["ns1.example.com."], &["+dnssec", "multi.example.com.", "TXT"]);
    let out = netlab()
        .args([
            "--json",
            "dns",
            "multi.example.com.",
            "TXT",
            "--root",
            root,
            "--timeout",
            "1000",
            "--dnssec",
        ])
        .output()
        .unwrap();
    let _ = up.kill();
    let _ = up.wait();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let last = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .rfind(|e| e["type"] == "dns.response")
        .unwrap();
    let mut ours: Vec<String> = last["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["data"].as_str().unwrap().to_string())
        .collect();
    ours.sort();
    if !theirs.iter().any(|l| l.starts_with("TXT ")) || ours != theirs {
        differences.push(format!(
            "multi.example.com. TXT +dnssec:\n  dig:    {theirs:?}\n  netlab: {ours:?}"
        ));
    }
    assert!(
        differences.is_empty(),
        "netlab and dig differ:\n{}",
        differences.join("\n")
    );
}

/// dig's header flags (`;; flags: qr rd ra ad; QUERY: ...`) and status, from its full output.
fn header(out: &str) -> (Vec<String>, String) {
    let flags = out
        .lines()
        .find_map(|l| l.strip_prefix(";; flags:"))
        .and_then(|l| l.split(';').next())
        .map(|f| f.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    let status = out
        .lines()
        .find_map(|l| l.split_once("status: "))
        .map(|(_, s)| s.split(',').next().unwrap_or("").to_string())
        .unwrap_or_default();
    (flags, status)
}

/// The sandbox's recursive resolver validates as a public validating resolver does, seen by
/// dig: AD=1 on a secure answer to a query with DO or AD (RFC 6840 §5.7, RFC 4035 §3.2.3) and,
/// when DO=1, its RRSIGs or NSEC proof (RFC 4035 §3.2.1); no AD on an unsigned zone's answer;
/// SERVFAIL with Extended DNS Error 6 for a bogus one (RFC 8914 §4.7); the bogus data without AD
/// when the query sets CD=1 (RFC 4035 §3.2.2). It needs dig only: the sandbox listens on
/// loopback ports.
#[test]
fn dig_sees_the_sandbox_resolver_validate() {
    if !have("dig", "-v") {
        assert!(
            std::env::var_os("CI").is_none(),
            "dig must be installed in CI (.ci/run installs bind9-dnsutils)"
        );
        eprintln!("dig is not installed: skipping (apt-get install bind9-dnsutils)");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let (mut up, directory) = common::sandbox_up(&[], 60, home.path());
    let socket = directory["resolver"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["virtual_address"] == "198.51.100.53:53")
        .expect("the resolver's plain DNS socket")["socket"]
        .as_str()
        .unwrap()
        .to_string();
    let (ip, port) = socket.rsplit_once(':').unwrap();
    let ask = |args: &[&str]| {
        let out = Command::new("dig")
            .args(["+time=5", "+tries=1", &format!("@{ip}"), "-p", port])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let secure = ask(&["+dnssec", "www.example.com"]);
    let unsigned = ask(&["+dnssec", "www.example.org"]);
    let bogus = ask(&["+dnssec", "www.bogus.test"]);
    let unchecked = ask(&["+dnssec", "+cd", "www.bogus.test"]);
    let not_asked = ask(&["+noadflag", "+noedns", "www.example.com"]);
    let negative = ask(&["+dnssec", "nope.example.com"]);
    let hashed = ask(&["+dnssec", "nope.example.net"]);
    let wild = ask(&["+dnssec", "a.b.wild.example.net"]);
    let _ = up.kill();
    let _ = up.wait();
    let has = |out: &str, flag: &str| header(out).0.iter().any(|f| f == flag);
    assert_eq!(header(&secure).1, "NOERROR", "{secure}");
    assert!(has(&secure, "ad"), "a secure answer has AD=1:\n{secure}");
    assert!(
        secure.contains("flags: do;"),
        "DO is echoed in the OPT record:\n{secure}"
    );
    assert!(
        secure.contains("IN\tRRSIG\tCNAME 15 ") && secure.contains("IN\tRRSIG\tA 15 "),
        "DO=1 gets the RRSIGs over the CNAME and the A records:\n{secure}"
    );
    assert_eq!(header(&negative).1, "NXDOMAIN", "{negative}");
    assert!(
        has(&negative, "ad") && negative.contains("IN\tNSEC\t") && negative.contains("IN\tRRSIG\tSOA 15 "),
        "a secure NXDOMAIN carries its NSEC proof and its signed SOA:\n{negative}"
    );
    // example.net. denies with NSEC3 (RFC 5155): hashed owner names, SHA-1, no flags, 0
    // iterations, no salt (RFC 9276), each record signed.
    assert_eq!(header(&hashed).1, "NXDOMAIN", "{hashed}");
    // dig separates a long owner name's fields with spaces, a short one's with tabs.
    let words = hashed.split_whitespace().collect::<Vec<_>>().join(" ");
    let authority = words.split(";; AUTHORITY SECTION:").nth(1).unwrap_or("");
    assert!(
        has(&hashed, "ad")
            && authority.contains(" IN NSEC3 1 0 0 - ")
            && authority.contains(" IN RRSIG NSEC3 15 ")
            && !words.contains(" IN NSEC "),
        "an NSEC3 zone's NXDOMAIN carries its signed NSEC3 proof:\n{hashed}"
    );
    // A wildcard answer comes with the proof that the name itself does not exist (RFC 4035
    // §3.1.3.3), in the authority section.
    let words = wild.split_whitespace().collect::<Vec<_>>().join(" ");
    let (answer, authority) = words.split_once(";; AUTHORITY SECTION:").unwrap_or((&words, ""));
    assert!(
        has(&wild, "ad")
            && answer.contains("a.b.wild.example.net. 3600 IN A 192.0.2.98")
            && answer.contains(" IN RRSIG A 15 3 ")
            && authority.contains(" IN NSEC3 1 0 0 - ")
            && !answer.contains(" NSEC3 "),
        "a wildcard answer carries its NSEC3 proof:\n{wild}"
    );
    assert_eq!(header(&unsigned).1, "NOERROR", "{unsigned}");
    assert!(
        !has(&unsigned, "ad"),
        "an unsigned zone's answer has no AD:\n{unsigned}"
    );
    assert_eq!(header(&bogus).1, "SERVFAIL", "{bogus}");
    assert!(
        bogus.contains("; EDE: 6 (DNSSEC Bogus): (bogus.test. dnskey:"),
        "SERVFAIL names the broken link in EDE 6:\n{bogus}"
    );
    assert!(!bogus.contains("192.0.2.66"), "bogus data is not passed on:\n{bogus}");
    assert_eq!(header(&unchecked).1, "NOERROR", "{unchecked}");
    assert!(has(&unchecked, "cd") && !has(&unchecked, "ad"), "{unchecked}");
    assert!(
        unchecked.contains("192.0.2.66"),
        "CD=1 gets the data unchecked:\n{unchecked}"
    );
    assert_eq!(header(&not_asked).1, "NOERROR", "{not_asked}");
    assert!(
        !has(&not_asked, "ad"),
        "no DO, no AD in the query: no AD back:\n{not_asked}"
    );
    assert!(!not_asked.contains("RRSIG"), "no DO, no RRSIGs:\n{not_asked}");
}
