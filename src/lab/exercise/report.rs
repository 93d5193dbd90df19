//! `lab check --exercise`: every declared check's verdict on the learner's code, each failure
//! with the test's own message and what it means.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::{cargo, project, Exercise};
use crate::error::Result;
use crate::render::Palette;

/// The schema of `netlab --json lab check LAB --exercise NAME`.
pub const CHECK_SCHEMA: &str = "netlab.lab.exercise.check/1";

/// A check's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Passed,
    Failed,
    /// The build failed, the run was killed at the time limit, or the test process died
    /// before the test reported.
    NotRun,
}

/// One check.
#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    pub test: String,
    pub verdict: Verdict,
    /// The test's panic message, for a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// What the failure means and how to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explains: Option<String>,
}

/// The whole check.
#[derive(Debug, Clone, Serialize)]
pub struct ExerciseCheck {
    pub schema: &'static str,
    pub lab: String,
    pub exercise: String,
    pub title: String,
    pub dir: std::path::PathBuf,
    /// The compiler's first error, when the solution did not build.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compile_error: Option<String>,
    /// Seconds the run was allowed, when it was killed at that limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timed_out_after_s: Option<u64>,
    /// Cargo's exit code, when it ended by itself (101: a test failed, or the build did).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_status: Option<i32>,
    pub results: Vec<Checked>,
    pub passed: usize,
    pub total: usize,
}

/// Stages the learner's project in `dir` with netlab's checks and runs them, for at most
/// `limit`.
pub fn check(ex: &Exercise, dir: &Path, limit: Duration) -> Result<ExerciseCheck> {
    let build = dir.join("target").join("netlab-check");
    project::stage(ex, dir, &build)?;
    let run = cargo::test(&build, limit)?;
    Ok(grade(ex, dir, &run, limit))
}

/// Every declared check against what the run reported.
pub fn grade(ex: &Exercise, dir: &Path, run: &cargo::Run, limit: Duration) -> ExerciseCheck {
    let results: Vec<Checked> = ex
        .meta
        .checks
        .iter()
        .map(|c| {
            let (verdict, message, explains) = match run.outcomes.iter().find(|o| o.test == c.test) {
                Some(o) if o.passed => (Verdict::Passed, None, None),
                Some(o) => (Verdict::Failed, o.message.clone(), Some(c.explains.clone())),
                None => (Verdict::NotRun, None, None),
            };
            Checked {
                test: c.test.clone(),
                verdict,
                message,
                explains,
            }
        })
        .collect();
    ExerciseCheck {
        schema: CHECK_SCHEMA,
        lab: ex.meta.lab.clone(),
        exercise: ex.meta.id.clone(),
        title: ex.meta.title.clone(),
        dir: dir.to_path_buf(),
        compile_error: run.compile_error.clone(),
        timed_out_after_s: run.timed_out.then_some(limit.as_secs()),
        exit_status: run.status,
        passed: results.iter().filter(|r| r.verdict == Verdict::Passed).count(),
        total: results.len(),
        results,
    }
}

impl ExerciseCheck {
    /// Every check passed.
    pub fn all_passed(&self) -> bool {
        self.passed == self.total
    }

    pub fn text(&self, p: &Palette) -> String {
        let mut out = format!(
            "{}{}{}  ({}/src/lib.rs)\n",
            p.bold,
            self.title,
            p.reset,
            self.dir.display()
        );
        if let Some(error) = &self.compile_error {
            let _ = writeln!(out, "{}does not compile{}; the compiler's first error:", p.red, p.reset);
            for line in error.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
        if let Some(secs) = self.timed_out_after_s {
            let _ = writeln!(
                out,
                "{}stopped after {secs} s{}: a deadlock or an endless loop? (more time: --timeout SECONDS)",
                p.red, p.reset
            );
        }
        let unreported = self.results.iter().any(|r| r.verdict == Verdict::NotRun);
        if unreported && self.compile_error.is_none() && self.timed_out_after_s.is_none() {
            let status = self
                .exit_status
                .map_or("a signal".to_string(), |s| format!("exit status {s}"));
            let _ = writeln!(
                out,
                "{}the tests ended before all of them reported{} ({status}): a stack overflow, an abort or process::exit in the solution?",
                p.red, p.reset
            );
        }
        for r in &self.results {
            let (mark, colour) = match r.verdict {
                Verdict::Passed => ("passed", p.green),
                Verdict::Failed => ("FAILED", p.red),
                Verdict::NotRun => ("not run", p.red),
            };
            let _ = writeln!(out, "  {colour}{mark:<8}{} {}", p.reset, r.test);
            for line in r.message.iter().flat_map(|m| m.lines()) {
                let _ = writeln!(out, "           {line}");
            }
            if let Some(why) = &r.explains {
                let _ = writeln!(out, "           {}why:{} {why}", p.bold, p.reset);
            }
        }
        let _ = writeln!(out, "passed: {}/{}", self.passed, self.total);
        out
    }
}
