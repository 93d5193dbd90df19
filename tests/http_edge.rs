//! `netlab http` and the edge: `--rate` pacing measured on the sandbox (send times spread as
//! asked, bursts back to back), `--purge` (curl's `-X PURGE`) on both engines, the `http.edge`
//! summary, and bad `--rate` input refused in one line.
//!
//! Timing under load is noisy: the tests assert order and rough spacing (a request is never
//! sent before its time, and the run is not many times longer than asked), not exact ms.

mod common;
use common::{netlab, of_type, trace};
use predicates::prelude::*;
use serde_json::Value;

/// Slack for a request sent a little before its slot relative to the first request (the
/// first one itself may leave late); timers never fire early.
const EARLY_US: u64 = 25_000;

/// Each response's send time, in sending order.
fn send_times(v: &Value) -> Vec<u64> {
    let mut r: Vec<(u64, u64)> = of_type(v, "http.response")
        .iter()
        .map(|r| (r["request"].as_u64().unwrap(), r["sent_us"].as_u64().unwrap()))
        .collect();
    r.sort_unstable();
    let order: Vec<u64> = r.iter().map(|(i, _)| *i).collect();
    assert_eq!(
        order,
        (1..=r.len() as u64).collect::<Vec<_>>(),
        "every request numbered once"
    );
    r.into_iter().map(|(_, t)| t).collect()
}

/// `netlab --json http --sandbox https://www.example.com/objects/1 ARGS`, which must succeed:
/// the trace and the send times.
fn paced(args: &[&str]) -> (Value, Vec<u64>) {
    let (v, code) = trace(&[&["http", "--sandbox", "https://www.example.com/objects/1"], args].concat());
    assert_eq!(code, 0, "{v}");
    let sent = send_times(&v);
    (v, sent)
}

#[test]
fn rate_spaces_requests_i_over_r_after_the_first() {
    for engine in ["--h2", "--h3"] {
        let (v, sent) = paced(&[engine, "--requests", "10", "--rate", "20/s"]);
        assert_eq!(sent.len(), 10);
        for (i, t) in sent.iter().enumerate() {
            let due = i as u64 * 50_000;
            assert!(
                t - sent[0] + EARLY_US >= due,
                "{engine}: request {} at {t} µs: {sent:?}",
                i + 1
            );
        }
        let spread = sent[9] - sent[0];
        assert!((450_000 - EARLY_US..5_000_000).contains(&spread), "{engine}: {sent:?}");
        let edge = of_type(&v, "http.edge")[0];
        assert_eq!(edge["pacing"]["rate"], "20/s");
        assert_eq!(edge["rate"]["allowed"], 10);
        assert_eq!(edge["rate"]["limited"], 0);
    }
}

#[test]
fn bursts_leave_together_and_groups_k_over_r_apart() {
    let (v, sent) = paced(&[
        "--requests",
        "6",
        "--concurrency",
        "3",
        "--rate",
        "5/100ms",
        "--burst",
        "3",
    ]);
    // 5 per 100 ms is 50/s: groups of 3 every 60 ms.
    assert!(sent[2] - sent[0] < 60_000, "a burst goes back to back: {sent:?}");
    assert!(
        sent[3] - sent[0] + EARLY_US >= 60_000,
        "the second group waits: {sent:?}"
    );
    assert!(sent[5] - sent[3] < 60_000, "{sent:?}");
    let edge = of_type(&v, "http.edge")[0];
    assert_eq!(edge["pacing"]["rate"], "5/100ms in bursts of 3");
    assert_eq!(edge["pacing"]["burst"], 3);
}

#[test]
fn paced_text_says_the_rate_and_the_tally() {
    netlab()
        .args([
            "http",
            "--sandbox",
            "https://www.example.com/objects/1",
            "--requests",
            "3",
            "--rate",
            "20/1s",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(";; h2 at the edge"))
        .stdout(predicate::str::contains(
            "paced at 20/s (20.0 requests/s): 3 requests sent over",
        ))
        .stdout(predicate::str::contains("3 allowed, 0 limited (429)"));
}

#[test]
fn purge_is_sent_as_the_method_over_h2_and_h3() {
    for (spelling, engine) in [(&["--purge"][..], "--h2"), (&["-X", "PURGE"][..], "--h3")] {
        let (v, _) = trace(&[&["http", "--sandbox", "https://www.example.com/", engine], spelling].concat());
        let request = of_type(&v, "http.frame")
            .into_iter()
            .find(|f| f["direction"] == "client_to_server" && f["fields"].as_array().is_some_and(|a| !a.is_empty()))
            .unwrap_or_else(|| panic!("{engine}: no request HEADERS: {v}"));
        assert_eq!(request["fields"][0]["name"], ":method");
        assert_eq!(request["fields"][0]["value"], "PURGE", "{engine}");
        // The sandbox's plain web hosts do not purge: a response, not a failure.
        assert!(of_type(&v, "http.response")[0]["status"].as_u64().is_some());
    }
}

#[test]
fn bad_rates_are_refused_in_one_line() {
    for (rate, says) in [
        ("20", "N/WINDOW"),
        ("0/s", "at least 1"),
        ("20/0s", "longer than 0"),
        ("x/s", "whole number"),
        ("20/s/s", "unit"),
    ] {
        netlab()
            .args(["http", "https://www.example.com/", "--sandbox", "--rate", rate])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says))
            .stderr(predicate::function(|e: &str| e.lines().count() == 1));
    }
    netlab()
        .args(["http", "https://www.example.com/", "--sandbox", "--burst", "2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--rate"));
    netlab()
        .args([
            "http",
            "https://www.example.com/",
            "--sandbox",
            "--requests",
            "200",
            "--rate",
            "1/s",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("past --max-time 120"));
}
