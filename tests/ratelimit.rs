//! `netlab ratelimit` through the binary: the replay's accuracy against the exact log, the
//! distributed replay, access logs, and bad input.

mod common;
use common::netlab;
use predicates::prelude::*;

fn json(args: &[&str]) -> serde_json::Value {
    let out = netlab().arg("--json").arg("ratelimit").args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn of<'a>(v: &'a serde_json::Value, kind: &str) -> Vec<&'a serde_json::Value> {
    v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == kind)
        .collect()
}

#[test]
fn every_algorithm_is_measured_against_the_exact_log() {
    let v = json(&["--limit", "5/1s", "--clients", "200", "--seconds", "20", "--seed", "3"]);
    assert_eq!(v["schema"], "netlab.ratelimit/1");
    let replay = of(&v, "ratelimit.replay")[0];
    let n = replay["requests"].as_u64().unwrap();
    assert!(n > 1000, "{replay}");
    let runs = of(&v, "ratelimit.algorithm");
    assert_eq!(runs.len(), 5);
    for r in &runs {
        assert_eq!(r["admitted"].as_u64().unwrap() + r["limited"].as_u64().unwrap(), n);
    }
    let log = runs.iter().find(|r| r["algorithm"] == "sliding-log").unwrap();
    assert_eq!(
        (log["false_admits"].as_u64(), log["false_rejects"].as_u64()),
        (Some(0), Some(0))
    );
    let fixed = runs.iter().find(|r| r["algorithm"] == "fixed-window").unwrap();
    assert!(fixed["false_admits"].as_u64().unwrap() > 0, "{fixed}");
    assert!(of(&v, "ratelimit.floor")[0]["decisions_per_s"].as_u64().unwrap() > 0);
    // The same seed, the same decisions.
    let again = json(&["--limit", "5/1s", "--clients", "200", "--seconds", "20", "--seed", "3"]);
    let admitted = |v: &serde_json::Value| {
        of(v, "ratelimit.algorithm")
            .iter()
            .map(|r| r["admitted"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(admitted(&v), admitted(&again));
}

#[test]
fn shared_counters_replicated_late_over_admit() {
    let v = json(&[
        "--limit",
        "5/1s",
        "--clients",
        "50",
        "--seconds",
        "20",
        "--nodes",
        "4",
        "--delay",
        "200ms",
        "--algorithm",
        "gcra",
    ]);
    let d = of(&v, "ratelimit.distributed")[0];
    assert_eq!(d["nodes"], 4);
    assert!(d["over_admitted"].as_u64().unwrap() > 0, "{d}");
    assert_eq!(of(&v, "ratelimit.algorithm").len(), 1);
}

#[test]
fn an_access_log_is_replayed_by_client() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    let mut log = String::new();
    for i in 0..30 {
        log.push_str(&format!(
            "10.0.0.{} - - [10/Oct/2026:13:55:{:02} +0000] \"GET / HTTP/1.1\" 200 5\n",
            i % 2,
            i / 3
        ));
    }
    std::fs::write(&path, log).unwrap();
    let v = json(&["--log", path.to_str().unwrap(), "--limit", "2/1s"]);
    let replay = of(&v, "ratelimit.replay")[0];
    assert_eq!(
        (replay["requests"].as_u64(), replay["keys"].as_u64()),
        (Some(30), Some(2))
    );
    let log_run = of(&v, "ratelimit.algorithm")
        .into_iter()
        .find(|r| r["algorithm"] == "sliding-log")
        .unwrap();
    // Three requests a second, alternating clients: each client sends 1 or 2 a second, all admitted.
    assert_eq!(log_run["limited"], 0, "{log_run}");
}

#[test]
fn bad_input_is_one_line() {
    for (args, says) in [
        (&["--limit", "10"][..], "N/WINDOW"),
        (&["--limit", "0/1s"][..], "at least 1"),
        (&["--limit", "5/1parsec"][..], "not a unit"),
        (&["--limit", "5/1s", "--algorithm", "leaky"][..], "is not an algorithm"),
        (&["--limit", "5/1s", "--rate", "0"][..], "above 0"),
    ] {
        netlab()
            .arg("ratelimit")
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says).and(predicate::str::is_match("^netlab: [^\n]*\n$").unwrap()));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.log");
    std::fs::write(&path, "not a log line\n").unwrap();
    netlab()
        .args(["ratelimit", "--limit", "5/1s", "--log", path.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 1"));
}
