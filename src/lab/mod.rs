//! Guided labs: a write-up to read, commands to run, questions checked against the learner's
//! own traces. See `labs/README.md` for the file format.

pub mod answer;
pub mod catalog;
pub mod check;
pub mod markdown;
pub mod model;
pub mod progress;
pub mod runner;

use std::fmt::Write as _;

use catalog::{Catalog, LoadedLab};
use check::{CommandRunner, Verdict};
use progress::Progress;

use crate::error::{Error, Result};

/// Questions in a lab.
pub fn question_count(lab: &LoadedLab) -> usize {
    lab.lab.steps.iter().map(|s| s.questions.len()).sum()
}

/// `lab list` / `lab progress`: one line per lab with the learner's progress.
pub fn list(catalog: &Catalog, progress: &Progress) -> String {
    let mut out = String::new();
    // Columns as wide as the longest id and title, so every row lines up.
    let id_width = catalog.labs.iter().map(|l| l.lab.id.len()).max().unwrap_or(0);
    let title_width = catalog
        .labs
        .iter()
        .map(|l| l.lab.title.chars().count())
        .max()
        .unwrap_or(0);
    for l in &catalog.labs {
        let total = question_count(l);
        let state = progress.labs.get(&l.lab.id);
        let right = state.map_or(0, |s| s.answers.values().filter(|a| a.correct).count());
        let done = state.map_or(0, |s| s.answers.values().filter(|a| a.done()).count());
        let status = match (done, total) {
            (0, _) => "not started".to_string(),
            (d, t) if d >= t => format!("complete, {right}/{t} right"),
            (d, t) => format!("{d}/{t} done, {right} right"),
        };
        let _ = writeln!(
            out,
            "{:<id_width$} {:<title_width$} {:>3} min  {status}",
            l.lab.id, l.lab.title, l.lab.minutes
        );
    }
    out
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

/// Text of a `lab check` report, ending with the score.
pub fn render_grades(lab: &LoadedLab, graded: &[Graded], p: &crate::render::Palette) -> String {
    let mut out = format!("{}{}{}\n", p.bold, lab.lab.title, p.reset);
    for g in graded {
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
    let right = graded.iter().filter(|g| g.verdict == "right").count();
    let _ = writeln!(out, "score: {right}/{}", graded.len());
    out
}
