//! Guided labs: a write-up to read, commands to run, questions checked against the learner's
//! own traces. See `labs/README.md` for the file format.

pub mod answer;
pub mod catalog;
pub mod check;
pub mod exercise;
pub mod markdown;
pub mod model;
pub mod progress;
pub mod runner;
pub mod standing;

use std::fmt::Write as _;

use catalog::LoadedLab;
use check::{CommandRunner, Verdict};

use crate::error::{Error, Result};

/// Questions in a lab.
pub fn question_count(lab: &LoadedLab) -> usize {
    lab.lab.steps.iter().map(|s| s.questions.len()).sum()
}

/// Reads an answers file: `question-id = "answer"` (numbers and booleans are accepted too).
pub fn read_answers(lab: &LoadedLab, source: &str, text: &str) -> Result<Vec<(String, String)>> {
    let table: toml::Table = toml::from_str(text).map_err(|e| Error::Input {
        source_name: source.to_string(),
        line: e
            .span()
            .map_or(1, |s| text[..s.start.min(text.len())].matches('\n').count() as u64 + 1),
        why: e.message().trim().replace('\n', " "),
        hint: "write one line per question: question-id = \"answer\"".to_string(),
    })?;
    let known: Vec<&str> = lab
        .lab
        .steps
        .iter()
        .flat_map(|s| s.questions.iter().map(|q| q.id.as_str()))
        .collect();
    let mut problems = Vec::new();
    let mut answers = Vec::new();
    for (key, value) in table {
        let line = text
            .lines()
            .position(|l| l.trim_start().starts_with(key.as_str()))
            .map_or(1, |i| i as u64 + 1);
        let bad = |why: String, hint: String| Error::Input {
            source_name: source.to_string(),
            line,
            why,
            hint,
        };
        if !known.contains(&key.as_str()) {
            problems.push(bad(
                format!("'{key}' is not a question of lab {}", lab.lab.id),
                format!("questions: {}", known.join(", ")),
            ));
            continue;
        }
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => if b { "yes" } else { "no" }.to_string(),
            other => {
                problems.push(bad(
                    format!("the answer to '{key}' is a {}, not a value", other.type_str()),
                    "write the answer as a string or a number".to_string(),
                ));
                continue;
            }
        };
        answers.push((key, text));
    }
    if !problems.is_empty() {
        return Err(Error::Many(problems));
    }
    Ok(answers)
}

/// One question's grade in `lab check`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Graded {
    pub question: String,
    pub given: Option<String>,
    /// `right`, `wrong`, `unreadable` or `unanswered`.
    pub verdict: String,
    /// Why, for an unreadable answer; the first hint, for a wrong one.
    pub note: Option<String>,
}

/// `lab check`: grades `answers`, running each step's command afresh for trace checks.
pub fn grade_all(lab: &LoadedLab, answers: &[(String, String)], runner: &dyn CommandRunner) -> Result<Vec<Graded>> {
    let mut out = Vec::new();
    for step in &lab.lab.steps {
        let trace = match &step.command {
            Some(c) if step.questions.iter().any(|q| q.check.trace.is_some()) => {
                Some(runner.run(c, step.stdin.as_deref())?.trace)
            }
            _ => None,
        };
        for q in &step.questions {
            let given = answers.iter().find(|(id, _)| *id == q.id).map(|(_, a)| a.clone());
            let (verdict, note) = match &given {
                None => ("unanswered", None),
                Some(g) => {
                    let expected = check::expected(q, trace.as_ref(), runner).map_err(|why| {
                        Error::usage(
                            format!("lab {} question {}", lab.lab.id, q.id),
                            why,
                            "report this lab as broken",
                        )
                    })?;
                    match check::grade(q, g, &expected) {
                        Verdict::Right => ("right", None),
                        Verdict::Wrong => ("wrong", q.hints.first().cloned()),
                        Verdict::Unreadable(why) => ("unreadable", Some(why)),
                    }
                }
            };
            out.push(Graded {
                question: q.id.clone(),
                given,
                verdict: verdict.to_string(),
                note,
            });
        }
    }
    Ok(out)
}

/// The schema of `netlab lab check --json`.
pub const CHECK_SCHEMA: &str = "netlab.lab.check/1";

/// `lab check`: every question's grade, and the score.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckReport {
    pub schema: &'static str,
    pub lab: String,
    pub title: String,
    pub results: Vec<Graded>,
    /// How many are right, of how many questions.
    pub right: usize,
    pub total: usize,
}

impl CheckReport {
    pub fn new(lab: &LoadedLab, results: Vec<Graded>) -> Self {
        CheckReport {
            schema: CHECK_SCHEMA,
            lab: lab.lab.id.clone(),
            title: lab.lab.title.clone(),
            right: results.iter().filter(|g| g.verdict == "right").count(),
            total: results.len(),
            results,
        }
    }

    /// Every answer is right.
    pub fn all_right(&self) -> bool {
        self.right == self.total
    }

    /// The report for a person, ending with the score.
    pub fn text(&self, p: &crate::render::Palette) -> String {
        let mut out = format!("{}{}{}\n", p.bold, self.title, p.reset);
        for g in &self.results {
            let (mark, colour) = if g.verdict == "right" {
                ("right", p.green)
            } else {
                (g.verdict.as_str(), p.red)
            };
            let given = g.given.as_deref().unwrap_or("-");
            let _ = write!(out, "  {colour}{mark:<10}{} {:<22} {given}", p.reset, g.question);
            if let Some(n) = &g.note {
                let _ = write!(out, "  ({}{n})", if g.verdict == "wrong" { "hint: " } else { "" });
            }
            out.push('\n');
        }
        let _ = writeln!(out, "score: {}/{}", self.right, self.total);
        out
    }
}

/// The schema of `netlab lab hint --json`.
pub const HINT_SCHEMA: &str = "netlab.lab.hint/1";

/// `lab hint`: the question the learner is on and its next hint; neither when every question
/// is done.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HintReport {
    pub schema: &'static str,
    pub lab: String,
    pub question: Option<String>,
    pub prompt: Option<String>,
    pub hint: Option<String>,
}

impl HintReport {
    pub fn text(&self) -> String {
        match (&self.question, &self.prompt, &self.hint) {
            (Some(q), Some(prompt), Some(hint)) => format!("{q}: {prompt}\nhint: {hint}\n"),
            _ => format!("Every question of {} is done.\n", self.lab),
        }
    }
}

/// `lab hint`: the next hint for the first question not done, counted in the progress file.
pub fn hint(lab: &LoadedLab, progress_path: &std::path::Path) -> Result<HintReport> {
    let mut progress = progress::load(progress_path)?;
    let state = progress.labs.entry(lab.lab.id.clone()).or_default();
    let current = lab
        .lab
        .steps
        .iter()
        .flat_map(|s| &s.questions)
        .find(|q| !state.answers.get(&q.id).is_some_and(|r| r.done()));
    let mut report = HintReport {
        schema: HINT_SCHEMA,
        lab: lab.lab.id.clone(),
        question: None,
        prompt: None,
        hint: None,
    };
    if let Some(q) = current {
        report.hint = Some(runner::next_hint(state, q));
        report.question = Some(q.id.clone());
        report.prompt = Some(q.prompt.clone());
        progress::save(progress_path, &progress)?;
    }
    Ok(report)
}

/// The schema of `netlab lab reset --json`.
pub const RESET_SCHEMA: &str = "netlab.lab.reset/1";

/// `lab reset`: whether there was progress to forget.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ResetReport {
    pub schema: &'static str,
    pub lab: String,
    pub had_progress: bool,
}

impl ResetReport {
    pub fn text(&self) -> String {
        let what = if self.had_progress { "reset" } else { "had no progress" };
        format!("{} {what}.\n", self.lab)
    }
}

/// `lab reset`: forgets the lab's answers, hints and traces.
pub fn reset(lab: &LoadedLab, progress_path: &std::path::Path) -> Result<ResetReport> {
    let mut progress = progress::load(progress_path)?;
    let had_progress = progress.labs.remove(&lab.lab.id).is_some();
    progress::save(progress_path, &progress)?;
    Ok(ResetReport {
        schema: RESET_SCHEMA,
        lab: lab.lab.id.clone(),
        had_progress,
    })
}
