//! `netlab ddos` through the CLI: a target outside netlab's private network is refused before
//! anything is built; as root, the SYN flood fills the SYN queue without cookies (the kernel's
//! drop counters, the client's failed connects) and is answered with cookies when they are on
//! (the client connects throughout), and a UDP flood is dropped by the layer each depth names
//! (the application, nftables, XDP), every datagram accounted for; forged DNS queries are
//! reflected to the victim amplified, less so behind RRL, and not at all past BCP 38. Bounded:
//! 1500 SYNs in 1.5 s per run; 30000 datagrams per depth; 9 x 40 queries.

mod common;
use common::{netlab, of_type, trace};
use predicates::prelude::*;

fn is_root() -> bool {
    // SAFETY: geteuid(2) cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Without root, the command is refused in one line saying so, and the test is over (true).
fn refused_without_root(args: &[&str]) -> bool {
    if is_root() {
        return false;
    }
    let out = netlab().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("need root"), "{err}");
    true
}

/// `netlab ddos COMMAND FLAG VALUE` is refused in one line containing `why`, before anything
/// runs, for each of `values`.
fn refused_in_one_line(command: &str, flag: &str, values: &[&str], why: &str) {
    for value in values {
        let out = netlab().args(["ddos", command, flag, value]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{value}: {err}");
        assert!(err.contains(why), "{value}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(out.stdout.is_empty(), "nothing ran: {value}");
    }
}

#[test]
fn a_target_outside_the_private_network_is_refused_in_one_line() {
    refused_in_one_line(
        "syn",
        "--target",
        &["8.8.8.8:53", "127.0.0.1:80", "198.51.100.80:443", "www.example.com:80"],
        "is not the listener inside netlab's private network",
    );
}

#[test]
fn a_filter_target_outside_the_private_network_is_refused_in_one_line() {
    refused_in_one_line(
        "filter",
        "--target",
        &["8.8.8.8:53", "127.0.0.1:9", "198.51.100.80:80", "localhost:9"],
        "is not the service inside netlab's private network",
    );
    netlab()
        .args(["ddos", "filter", "--packets", "2000001"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--packets"));
    netlab()
        .args(["ddos", "filter", "--depth", "app,router"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("router"));
}

#[test]
fn each_depth_drops_the_flood_at_its_own_layer() {
    let args = [
        "ddos",
        "filter",
        "--packets",
        "30000",
        "--limit",
        "100",
        "--burst",
        "10",
    ];
    if refused_without_root(&args) {
        return;
    }
    let (v, code) = trace(&args);
    assert_eq!(code, 0, "{v}");
    let runs = of_type(&v, "ddos.filter");
    let depths: Vec<&str> = runs.iter().map(|r| r["depth"].as_str().unwrap()).collect();
    assert_eq!(depths, ["app", "nftables", "xdp"], "{v}");
    let n = |r: &serde_json::Value, k: &str| r[k].as_u64().unwrap_or_else(|| panic!("{k}: {r}"));
    for r in &runs {
        assert_eq!(n(r, "sent"), 30000, "{r}");
        assert_eq!(n(r, "at_interface"), 30000, "every datagram crossed the veth: {r}");
        assert!(r["cpu"]["ns_per_packet"].as_f64().unwrap() > 0.0, "{r}");
        assert!(r["sent_pps"].as_f64().unwrap() > 0.0, "{r}");
    }
    let (app, nft, xdp) = (runs[0], runs[1], runs[2]);
    // The application saw everything the socket buffer kept, and its own limit dropped most.
    assert_eq!(n(app, "app_received") + n(app, "socket_drops"), 30000, "{app}");
    assert_eq!(n(app, "dropped_here"), n(app, "app_dropped"), "{app}");
    assert_eq!(
        n(app, "app_served") + n(app, "app_dropped"),
        n(app, "app_received"),
        "{app}"
    );
    // 254 sources, a burst of 10 each, then 100/s: well under a third of 30000 in one second.
    assert!(n(app, "app_served") < 10_000, "{app}");
    assert!(n(app, "app_served") >= 2540, "every source's burst: {app}");
    // nftables dropped before the socket; only what it accepted reached the application.
    assert!(n(nft, "dropped_here") > 20_000, "{nft}");
    assert_eq!(
        n(nft, "dropped_here") + n(nft, "app_received") + n(nft, "socket_drops"),
        30000,
        "{nft}"
    );
    assert!(
        nft["rule"]
            .as_str()
            .unwrap()
            .contains("limit rate over 100/second burst 10 packets"),
        "{nft}"
    );
    // XDP dropped every datagram to the port; the application got nothing.
    assert_eq!(n(xdp, "dropped_here"), 30000, "{xdp}");
    assert_eq!(n(xdp, "app_received"), 0, "{xdp}");
    assert!(["native", "skb"].contains(&xdp["xdp_mode"].as_str().unwrap()), "{xdp}");
    let topics = v.to_string();
    for topic in [
        "ddos.filter-app",
        "ddos.filter-nftables",
        "ddos.filter-xdp",
        "ddos.filter-depths",
    ] {
        assert!(topics.contains(topic), "{topic}: {v}");
    }
}

#[test]
fn a_victim_outside_the_private_network_is_refused_in_one_line() {
    refused_in_one_line(
        "reflect",
        "--victim",
        &["8.8.8.8:53", "127.0.0.1:44444", "192.0.2.66:53", "victim:1"],
        "is not the victim inside netlab's private network",
    );
    netlab()
        .args(["ddos", "reflect", "--queries", "500", "--qps", "100"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("would send for 45.0 s"));
}

#[test]
fn reflection_amplifies_rrl_shrinks_it_and_bcp38_ends_it() {
    let args = [
        "ddos",
        "reflect",
        "--queries",
        "40",
        "--qps",
        "200",
        "--rrl",
        "5",
        "--slip",
        "2",
    ];
    if refused_without_root(&args) {
        return;
    }
    let (v, code) = trace(&args);
    assert_eq!(code, 0, "{v}");
    let rows = of_type(&v, "ddos.reflection");
    assert_eq!(rows.len(), 9, "{v}");
    let n = |r: &serde_json::Value, k: &str| r[k].as_u64().unwrap_or_else(|| panic!("{k}: {r}"));
    let f = |r: &serde_json::Value| r["factor"].as_f64().unwrap();
    let (plain, rrl, bcp38) = (&rows[0..4], &rows[4..8], rows[8]);
    for (p, l) in plain.iter().zip(rrl) {
        assert_eq!((p["phase"].as_str(), l["phase"].as_str()), (Some("plain"), Some("rrl")));
        assert_eq!(p["qtype"], l["qtype"]);
        // Every forged query was answered, in full, to the victim: more bytes than it cost.
        assert_eq!((n(p, "left"), n(p, "answers"), n(p, "truncated")), (40, 40, 0), "{p}");
        assert!(f(p) > 1.0, "{p}");
        assert_eq!(
            n(p, "answer_bytes"),
            40 * n(p, "largest_answer"),
            "one answer size per question: {p}"
        );
        // Behind RRL: 5 answers (and one more per 200 ms of the 200 ms batch), every second
        // withheld one slipped, the rest dropped; the factor smaller.
        let full = n(l, "answers") - n(l, "truncated");
        assert!((5..=7).contains(&full), "{l}");
        let withheld = 40 - full;
        assert!(n(l, "truncated").abs_diff(withheld / 2) <= 1, "{l}");
        assert!(f(l) < f(p) / 2.0, "{p} {l}");
    }
    let txt = plain.iter().find(|r| r["qtype"] == "TXT").unwrap();
    assert!(f(txt) > 10.0, "the large TXT set amplifies most: {txt}");
    assert!(plain.iter().all(|r| f(r) <= f(txt)), "{v}");
    assert_eq!(bcp38["phase"], "bcp38");
    assert_eq!(
        (n(bcp38, "queries"), n(bcp38, "left"), n(bcp38, "answers")),
        (40, 0, 0),
        "{bcp38}"
    );
    let summary = of_type(&v, "ddos.reflect_summary")[0];
    assert_eq!(n(summary, "bcp38_dropped"), 40, "{summary}");
    let answered = n(summary, "rrl_answered");
    let slipped = n(summary, "rrl_slipped");
    let dropped = n(summary, "rrl_dropped");
    assert_eq!(answered + slipped + dropped, 160, "{summary}");
    let rrl_answers: u64 = rrl.iter().map(|r| n(r, "answers")).sum();
    assert_eq!(
        answered + slipped,
        rrl_answers,
        "the victim got what RRL sent: {summary}"
    );
    let text = v.to_string();
    for topic in ["ddos.amplification", "ddos.rrl", "ddos.bcp38"] {
        assert!(text.contains(topic), "{topic}: {v}");
    }
}

#[test]
fn an_http_flood_reaches_the_origin_unless_limited_or_challenged() {
    // Loopback only: no root needed.
    let (v, code) = trace(&[
        "ddos",
        "http",
        "--bots",
        "4",
        "--rate",
        "100",
        "--seconds",
        "1",
        "--limit",
        "10",
    ]);
    assert_eq!(code, 0, "{v}");
    let runs = of_type(&v, "ddos.http");
    let defences: Vec<&str> = runs.iter().map(|r| r["mitigation"].as_str().unwrap()).collect();
    assert_eq!(defences, ["none", "limit", "challenge"], "{v}");
    let n = |r: &serde_json::Value, k: &str| r[k].as_u64().unwrap_or_else(|| panic!("{k}: {r}"));
    let u = |r: &serde_json::Value, who: &str, k: &str| r[who][k].as_u64().unwrap_or_else(|| panic!("{who}.{k}: {r}"));
    let (none, limit, challenge) = (runs[0], runs[1], runs[2]);
    for r in &runs {
        // 4 bots at 100/s for 1 s: 400 requests, paced, each answered.
        assert!((390..=400).contains(&n(r, "bot_requests")), "{r}");
        assert_eq!(n(r, "bot_failed"), 0, "{r}");
        assert!(u(r, "user", "attempts") >= 8, "a request every 100 ms: {r}");
        assert_eq!(
            u(r, "user", "ok"),
            u(r, "user", "attempts"),
            "the real user always got through: {r}"
        );
    }
    // No defence: every bot request reached the origin.
    assert_eq!(n(none, "bot_ok"), n(none, "bot_requests"), "{none}");
    assert!(n(none, "origin_requests") >= n(none, "bot_requests"), "{none}");
    // 10/s per address: each bot gets about 10 of its 100; the user sharing bot 1's address pays.
    assert!(n(limit, "bot_ok") <= 4 * 25, "{limit}");
    assert_eq!(
        n(limit, "bot_ok") + n(limit, "bot_limited"),
        n(limit, "bot_requests"),
        "{limit}"
    );
    assert!(n(limit, "origin_requests") < n(none, "origin_requests") / 2, "{limit}");
    assert!(u(limit, "nat_user", "limited") > 0, "the false positive: {limit}");
    // The challenge: no bot request passed, only the users' reached the origin, each user
    // challenged once.
    assert_eq!(
        n(challenge, "bot_challenged"),
        n(challenge, "bot_requests"),
        "{challenge}"
    );
    assert_eq!(
        n(challenge, "origin_requests"),
        u(challenge, "user", "ok") + u(challenge, "nat_user", "ok"),
        "{challenge}"
    );
    assert_eq!(u(challenge, "user", "challenged"), 1, "{challenge}");
    assert_eq!(u(challenge, "nat_user", "limited"), 0, "{challenge}");
    let text = v.to_string();
    for topic in [
        "ddos.l7-none",
        "ddos.l7-limit",
        "ddos.false-positive",
        "ddos.l7-challenge",
    ] {
        assert!(text.contains(topic), "{topic}: {v}");
    }
    netlab()
        .args(["ddos", "http", "--bots", "200", "--rate", "1000", "--seconds", "5"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("would send 1000000 requests per phase"));
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
    if refused_without_root(&args) {
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
