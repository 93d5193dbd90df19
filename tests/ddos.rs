//! `netlab ddos syn` through the CLI: a target outside netlab's private network is refused
//! before anything is built; as root, the flood fills the SYN queue without cookies (the
//! kernel's drop counters, the client's failed connects) and is answered with cookies when
//! they are on (the client connects throughout). Bounded: 1500 SYNs in 1.5 s per run.

mod common;
use common::{netlab, of_type, trace};
use predicates::prelude::*;

fn is_root() -> bool {
    // SAFETY: geteuid(2) cannot fail.
    unsafe { libc::geteuid() == 0 }
}

#[test]
fn a_target_outside_the_private_network_is_refused_in_one_line() {
    for target in ["8.8.8.8:53", "127.0.0.1:80", "198.51.100.80:443", "www.example.com:80"] {
        let out = netlab().args(["ddos", "syn", "--target", target]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{target}: {err}");
        assert!(
            err.contains("is not the listener inside netlab's private network"),
            "{target}: {err}"
        );
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(out.stdout.is_empty(), "nothing ran: {target}");
    }
}

#[test]
fn a_flood_past_its_bounds_is_refused() {
    netlab()
        .args(["ddos", "syn", "--packets", "20000", "--pps", "100"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("would flood for 200.0 s"));
    netlab()
        .args(["ddos", "syn", "--packets", "20001"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--packets"));
}

#[test]
fn tcp_max_syn_backlog_caps_the_queue_below_a_large_backlog_without_cookies() {
    if !is_root() {
        return;
    }
    let (v, code) = trace(&[
        "ddos",
        "syn",
        "--cookies",
        "off",
        "--backlog",
        "4096",
        "--max-syn-backlog",
        "64",
        "--packets",
        "500",
        "--pps",
        "1000",
    ]);
    assert_eq!(code, 0, "{v}");
    let run = of_type(&v, "ddos.run")[0];
    assert_eq!(run["max_syn_backlog"], 64, "{run}");
    // Refused once the queue holds more than 64 - 64/4 = 48.
    let peak = run["peak_syn_recv"].as_u64().unwrap();
    assert!((45..=50).contains(&peak), "{run}");
    assert_eq!(run["counters"]["TCPReqQFullDrop"], 0, "{run}");
    assert!(run["counters"]["ListenDrops"].as_u64().unwrap() > 400, "{run}");
    assert!(
        run.to_string().contains("48 of 64") || v.to_string().contains("48 of 64"),
        "the note says the cap: {v}"
    );
}

#[test]
fn without_cookies_the_queue_fills_and_the_client_fails_with_cookies_it_connects() {
    let args = ["ddos", "syn", "--packets", "1500", "--pps", "1000", "--backlog", "16"];
    if !is_root() {
        let out = netlab().args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("need root"), "{err}");
        return;
    }
    let (v, code) = trace(&args);
    assert_eq!(code, 0, "{v}");
    let runs = of_type(&v, "ddos.run");
    assert_eq!(runs.len(), 2, "{v}");
    let (off, on) = (runs[0], runs[1]);
    assert_eq!(
        (off["cookies"].as_str(), on["cookies"].as_str()),
        (Some("off"), Some("on"))
    );
    for r in [off, on] {
        assert_eq!(r["sent"], 1500, "{r}");
        assert!(r["peak_syn_recv"].as_u64().unwrap() >= 17, "backlog 16 holds 17: {r}");
    }
    let n = |r: &serde_json::Value, c: &str| r["counters"][c].as_u64().unwrap();
    assert!(n(off, "TCPReqQFullDrop") > 1000, "{off}");
    assert_eq!(n(off, "SyncookiesSent"), 0, "{off}");
    let (tried, connected) = (
        off["probes_during_flood"].as_u64().unwrap(),
        off["connected_during_flood"].as_u64().unwrap(),
    );
    assert!(
        tried >= 2 && connected < tried,
        "the client's SYNs were dropped too: {off}"
    );
    assert!(n(on, "SyncookiesSent") > 1000, "{on}");
    assert_eq!(n(on, "TCPReqQFullDrop"), 0, "{on}");
    assert!(n(on, "SyncookiesRecv") >= 1, "the client came back with a cookie: {on}");
    let (tried, connected) = (
        on["probes_during_flood"].as_u64().unwrap(),
        on["connected_during_flood"].as_u64().unwrap(),
    );
    assert!(
        tried >= 3 && connected == tried,
        "with cookies every connect finished: {on}"
    );
    // The cookie keeps the MSS as an index into msstab: SYNs from one 4-tuple that differ only
    // in MSS get cookies that differ by their indexes.
    let cookie = of_type(&v, "ddos.cookie");
    assert_eq!(cookie.len(), 1, "only the run with cookies reads them: {v}");
    assert_eq!(cookie[0]["cookies"], "on");
    let probes = cookie[0]["probes"].as_array().unwrap();
    assert_eq!(probes.len(), 6, "{}", cookie[0]);
    let steps: Vec<u64> = probes.iter().map(|p| p["step"].as_u64().unwrap()).collect();
    let indexes: Vec<u64> = probes.iter().map(|p| p["expected_index"].as_u64().unwrap()).collect();
    assert_eq!(indexes, [0, 0, 1, 2, 3, 3]);
    assert_eq!(steps, indexes, "{}", cookie[0]);
    let samples = of_type(&v, "ddos.sample");
    assert!(samples.len() >= 20, "samples every 100 ms: {}", samples.len());
    assert!(!of_type(&v, "ddos.probe").is_empty());
}
