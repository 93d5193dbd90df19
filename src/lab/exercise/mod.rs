//! Code exercises, rustlings-style: the small programs interviews ask for (is an address in a
//! CIDR block, a TTL cache, a rate limiter), written by the learner in a Cargo project netlab
//! lays out, and checked by netlab's own tests, each failure explained in words.
//!
//! An exercise lives in `labs/exercises/NAME/`: `exercise.toml` (its lab, crate name, and an
//! explanation per test), `lib.rs` (the skeleton: signatures and doc comments), `checks.rs`
//! (the tests), `reference.rs` and `wrong.rs` (a solution that passes, and one that must fail;
//! `tests/exercises.rs` checks both). Everything is compiled into the binary.

pub mod cargo;
pub mod project;
pub mod report;

use serde::Deserialize;

use crate::error::{Error, Result};

/// One exercise's files, as compiled in.
#[derive(Debug, Clone, Copy)]
pub struct Files {
    pub toml: &'static str,
    /// The skeleton the learner starts from: `src/lib.rs`.
    pub skeleton: &'static str,
    /// netlab's tests: `tests/checks.rs`.
    pub checks: &'static str,
    /// A solution that passes every check.
    pub reference: &'static str,
    /// A solution with a classic mistake, which the checks must catch.
    pub wrong: &'static str,
}

macro_rules! exercise_files {
    ($name:literal) => {
        Files {
            toml: include_str!(concat!("../../../labs/exercises/", $name, "/exercise.toml")),
            skeleton: include_str!(concat!("../../../labs/exercises/", $name, "/lib.rs")),
            checks: include_str!(concat!("../../../labs/exercises/", $name, "/checks.rs")),
            reference: include_str!(concat!("../../../labs/exercises/", $name, "/reference.rs")),
            wrong: include_str!(concat!("../../../labs/exercises/", $name, "/wrong.rs")),
        }
    };
}

/// The exercises built into the binary, in the order the lab takes them.
const EMBEDDED: [Files; 3] = [
    exercise_files!("cidr-contains"),
    exercise_files!("ttl-cache"),
    exercise_files!("rate-limiter"),
];

/// What `exercise.toml` says.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub id: String,
    /// The lab the exercise belongs to.
    pub lab: String,
    /// The Cargo package's name, which `checks.rs` uses.
    #[serde(rename = "crate")]
    pub crate_name: String,
    pub title: String,
    pub summary: String,
    /// One entry per test in `checks.rs`.
    #[serde(rename = "check")]
    pub checks: Vec<Check>,
}

/// A test and what its failure means.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub test: String,
    pub explains: String,
}

/// An exercise: what it says and its files.
#[derive(Debug, Clone)]
pub struct Exercise {
    pub meta: Meta,
    pub files: Files,
}

/// Every exercise built in.
pub fn all() -> Vec<Exercise> {
    EMBEDDED
        .iter()
        .map(|files| Exercise {
            // The files are compiled in and checked by this module's tests.
            meta: toml::from_str(files.toml).unwrap_or_else(|e| panic!("a built-in exercise.toml: {e}")),
            files: *files,
        })
        .collect()
}

/// The exercises of lab `lab`.
pub fn of_lab(lab: &str) -> Vec<Exercise> {
    all().into_iter().filter(|e| e.meta.lab == lab).collect()
}

/// Exercise `name` of lab `lab`, or an error listing the lab's exercises.
pub fn find(lab: &str, name: &str) -> Result<Exercise> {
    let mut of_lab = of_lab(lab);
    match of_lab.iter().position(|e| e.meta.id == name) {
        Some(i) => Ok(of_lab.swap_remove(i)),
        None if of_lab.is_empty() => Err(Error::usage(
            format!("--exercise {name}"),
            format!("lab {lab} has no code exercises"),
            format!("code exercises are in lab {}", labs_with_exercises().join(", ")),
        )),
        None => Err(Error::usage(
            format!("--exercise {name}"),
            format!("lab {lab} has no exercise of that name"),
            format!(
                "its exercises: {}",
                of_lab.iter().map(|e| e.meta.id.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

fn labs_with_exercises() -> Vec<String> {
    let mut labs: Vec<String> = all().into_iter().map(|e| e.meta.lab).collect();
    labs.dedup();
    labs
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every test in `checks.rs`, by its `#[test]` attribute.
    fn tests_in(checks: &str) -> Vec<String> {
        let lines: Vec<&str> = checks.lines().collect();
        lines
            .windows(2)
            .filter(|w| w[0].trim() == "#[test]")
            .filter_map(|w| w[1].trim().strip_prefix("fn "))
            .map(|rest| rest.split('(').next().unwrap_or("").to_string())
            .collect()
    }

    #[test]
    fn every_test_has_an_explanation_and_every_explanation_a_test() {
        for e in all() {
            let mut tests = tests_in(e.files.checks);
            let mut explained: Vec<String> = e.meta.checks.iter().map(|c| c.test.clone()).collect();
            assert!(!tests.is_empty(), "{}: no tests found", e.meta.id);
            tests.sort();
            explained.sort();
            assert_eq!(tests, explained, "{}", e.meta.id);
        }
    }

    #[test]
    fn checks_use_the_declared_crate_and_the_skeleton_compiles_to_todo() {
        for e in all() {
            assert!(
                e.files.checks.contains(&format!("use {}::", e.meta.crate_name)),
                "{}",
                e.meta.id
            );
            assert!(
                e.files.skeleton.contains("todo!("),
                "{}: the skeleton is unsolved",
                e.meta.id
            );
            assert!(!e.files.reference.contains("todo!("), "{}", e.meta.id);
        }
    }

    #[test]
    fn exercises_are_found_by_lab_and_name_with_errors_that_list_them() {
        assert_eq!(of_lab("07-rate-limiting").len(), 3);
        assert_eq!(
            find("07-rate-limiting", "ttl-cache").unwrap().meta.crate_name,
            "ttl_cache"
        );
        let e = find("07-rate-limiting", "lru").unwrap_err().to_string();
        assert!(e.contains("cidr-contains, ttl-cache, rate-limiter"), "{e}");
        let e = find("01-dns", "ttl-cache").unwrap_err().to_string();
        assert!(e.contains("no code exercises") && e.contains("07-rate-limiting"), "{e}");
    }
}
