//! The code exercises of lab 07, through the CLI: `lab start --exercise` lays out a Cargo
//! project, `lab check --exercise` builds it with netlab's own checks. Each exercise's
//! reference solution passes every check; its deliberately wrong solution fails exactly the
//! checks that catch its mistake; the untouched skeleton passes none. A solution that does not
//! compile, or never returns, is reported as such, within the time limit.

mod common;
use std::path::Path;

use common::{netlab, repo};
use predicates::prelude::*;
use serde_json::Value;

const LAB: &str = "07-rate-limiting";

/// Each exercise, and the checks its wrong solution must fail.
const EXERCISES: [(&str, &[&str]); 3] = [
    (
        "cidr-contains",
        &[
            "slash_zero_holds_every_address_of_its_family",
            "bad_input_is_an_error_not_a_panic_or_a_guess",
        ],
    ),
    (
        "ttl-cache",
        &[
            "an_entry_lives_until_its_ttl_and_not_at_it",
            "an_insert_replaces_the_value_and_restarts_the_life",
            "entries_expire_each_on_its_own_clock",
            "remove_forgets_the_entry",
            "expired_entries_are_reclaimed",
        ],
    ),
    (
        "rate-limiter",
        &[
            "the_window_slides",
            "no_double_burst_at_a_window_boundary",
            "every_decision_matches_the_exact_sliding_log_on_bursty_traffic",
            "keys_silent_for_a_window_are_forgotten",
        ],
    ),
];

fn start(name: &str, dir: &Path) {
    netlab()
        .args(["lab", "start", LAB, "--exercise", name, "--dir"])
        .arg(dir)
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "netlab lab check {LAB} --exercise {name} --dir {}",
            dir.display()
        )));
}

/// `netlab --json lab check LAB --exercise NAME --dir DIR ARGS`: the report and the exit code.
fn check(name: &str, dir: &Path, args: &[&str]) -> (Value, i32) {
    let out = netlab()
        .timeout(std::time::Duration::from_secs(300))
        .args(["--json", "lab", "check", LAB, "--exercise", name, "--dir"])
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (v, out.status.code().unwrap())
}

fn with(v: &Value, verdict: &str) -> Vec<String> {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["verdict"] == verdict)
        .map(|r| r["test"].as_str().unwrap().to_string())
        .collect()
}

fn solve(name: &str, dir: &Path, solution: &str) {
    let from = repo().join("labs/exercises").join(name).join(format!("{solution}.rs"));
    std::fs::copy(from, dir.join("src/lib.rs")).unwrap();
}

/// A started project of `name` whose `src/lib.rs` is the reference with `from` replaced by `to`.
fn reference_edited(name: &str, from: &str, to: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(name);
    start(name, &dir);
    let reference = std::fs::read_to_string(repo().join("labs/exercises").join(name).join("reference.rs")).unwrap();
    let edited = reference.replace(from, to);
    assert_ne!(edited, reference, "{name}: {from:?} is in the reference");
    std::fs::write(dir.join("src/lib.rs"), edited).unwrap();
    (tmp, dir)
}

/// `netlab lab check LAB --exercise NAME --dir DIR ARGS` as text.
fn check_text(name: &str, dir: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    netlab()
        .timeout(std::time::Duration::from_secs(300))
        .args(["lab", "check", LAB, "--exercise", name, "--dir"])
        .arg(dir)
        .args(args)
        .assert()
}

#[test]
fn the_reference_passes_every_check_the_wrong_one_fails_what_it_should_the_skeleton_none() {
    for (name, wrong_fails) in EXERCISES {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join(name);
        start(name, &dir);

        let (v, code) = check(name, &dir, &[]);
        assert_eq!(code, 1, "{name}: the skeleton fails: {v}");
        assert_eq!(v["passed"], 0, "{name}: {v}");
        let total = v["total"].as_u64().unwrap();
        assert!(total >= 7, "{name}: {v}");
        assert!(
            v["results"][0]["message"]
                .as_str()
                .unwrap()
                .contains("not yet implemented"),
            "{name}: {v}"
        );

        solve(name, &dir, "reference");
        let (v, code) = check(name, &dir, &[]);
        assert_eq!((code, v["passed"].as_u64()), (0, Some(total)), "{name}: {v}");
        assert_eq!(v["schema"], "netlab.lab.exercise.check/1");

        solve(name, &dir, "wrong");
        let (v, code) = check(name, &dir, &[]);
        assert_eq!(code, 1, "{name}: {v}");
        assert_eq!(with(&v, "failed"), wrong_fails, "{name}: {v}");
        for r in v["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["verdict"] == "failed")
        {
            assert!(r["message"].as_str().is_some_and(|m| !m.is_empty()), "{name}: {r}");
            assert!(r["explains"].as_str().is_some_and(|m| m.len() > 20), "{name}: {r}");
        }
        assert_eq!(v["passed"].as_u64(), Some(total - wrong_fails.len() as u64));
    }
}

#[test]
fn the_text_report_explains_a_failure_in_words() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cidr");
    start("cidr-contains", &dir);
    solve("cidr-contains", &dir, "wrong");
    check_text("cidr-contains", &dir, &[])
        .code(1)
        .stdout(predicate::str::contains(
            "FAILED   slash_zero_holds_every_address_of_its_family",
        ))
        .stdout(predicate::str::contains("attempt to shift left with overflow"))
        .stdout(predicate::str::contains("why: /0's mask is all zeros"))
        .stdout(predicate::str::contains("passed: 6/8"));
}

#[test]
fn netlab_checks_with_its_own_copy_of_the_tests() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cidr");
    start("cidr-contains", &dir);
    // Emptying the project's tests makes `cargo test` pass; netlab's check is not fooled.
    std::fs::write(dir.join("tests/checks.rs"), "").unwrap();
    let (v, code) = check("cidr-contains", &dir, &[]);
    assert_eq!((code, v["passed"].as_u64()), (1, Some(0)), "{v}");
}

#[test]
fn a_solution_that_does_not_compile_shows_the_compiler_s_first_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ttl");
    start("ttl-cache", &dir);
    std::fs::write(dir.join("src/lib.rs"), "pub fn broken( {\n").unwrap();
    let (v, code) = check("ttl-cache", &dir, &[]);
    assert_eq!(code, 1, "{v}");
    assert!(v["compile_error"].as_str().unwrap().starts_with("error"), "{v}");
    assert_eq!(with(&v, "not_run").len() as u64, v["total"].as_u64().unwrap(), "{v}");
}

#[test]
fn a_solution_that_never_returns_is_stopped_at_the_timeout() {
    let (_tmp, dir) = reference_edited(
        "rate-limiter",
        "    pub fn allow(&mut self, key: &str, now: Duration) -> bool {\n",
        "    pub fn allow(&mut self, key: &str, now: Duration) -> bool {\n        loop {\n            std::thread::sleep(Duration::from_millis(50));\n        }\n        #[allow(unreachable_code)]\n",
    );
    let started = std::time::Instant::now();
    let (v, code) = check("rate-limiter", &dir, &["--timeout", "20"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["timed_out_after_s"], 20, "{v}");
    assert!(
        started.elapsed().as_secs() < 60,
        "killed at the limit: {:?}",
        started.elapsed()
    );
    assert!(with(&v, "not_run").len() >= 5, "the hanging tests never reported: {v}");
    check_text("rate-limiter", &dir, &["--timeout", "1"])
        .code(1)
        .stdout(predicate::str::contains(
            "stopped after 1 s: a deadlock or an endless loop?",
        ));
}

#[test]
fn start_keeps_existing_work_and_mistakes_get_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ttl");
    start("ttl-cache", &dir);
    std::fs::write(dir.join("src/lib.rs"), "// my work\n").unwrap();
    let one_line = |args: &[&str], code: i32, says: &str| {
        let out = netlab().args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    };
    let d = dir.to_str().unwrap();
    one_line(
        &["lab", "start", LAB, "--exercise", "ttl-cache", "--dir", d],
        2,
        "exists already",
    );
    assert_eq!(std::fs::read_to_string(dir.join("src/lib.rs")).unwrap(), "// my work\n");
    let nowhere = tmp.path().join("nowhere");
    one_line(
        &[
            "lab",
            "check",
            LAB,
            "--exercise",
            "ttl-cache",
            "--dir",
            nowhere.to_str().unwrap(),
        ],
        2,
        "there is no solution to check",
    );
    one_line(
        &["lab", "start", LAB, "--exercise", "lru"],
        2,
        "cidr-contains, ttl-cache, rate-limiter",
    );
    one_line(
        &["lab", "check", "01-dns", "--exercise", "ttl-cache"],
        2,
        "no code exercises",
    );
    one_line(&["lab", "check", LAB], 2, "--answers");
    one_line(&["lab", "start", LAB, "--dir", d], 2, "--exercise");
    one_line(
        &["lab", "check", LAB, "--exercise", "ttl-cache", "--timeout", "0"],
        2,
        "--timeout",
    );
}

#[test]
fn a_solution_that_kills_the_test_process_is_reported_not_run() {
    let (_tmp, dir) = reference_edited(
        "cidr-contains",
        "    let bad_block = || CidrError::BadBlock(block.to_string());\n",
        "    let bad_block = || CidrError::BadBlock(block.to_string());\n    if block.starts_with(\"0.0.0.0\") {\n        std::process::abort();\n    }\n",
    );
    let (v, code) = check("cidr-contains", &dir, &[]);
    assert_eq!(code, 1, "{v}");
    assert!(!with(&v, "not_run").is_empty(), "{v}");
    assert!(
        v.get("compile_error").is_none() && v.get("timed_out_after_s").is_none(),
        "{v}"
    );
    check_text("cidr-contains", &dir, &[])
        .code(1)
        .stdout(predicate::str::contains("the tests ended before all of them reported"));
}
