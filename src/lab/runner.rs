//! The guided loop of `netlab lab start`: step text, the step's command and its output,
//! questions asked one by one, a hint after a wrong answer, the explanation after a right one,
//! progress saved after every answer. Reads answers line by line, so a pipe works as well as
//! a terminal. Typing `hint`, `answer` (reveal) or `quit` is understood at every prompt.

use std::io::{BufRead, Write};
use std::path::Path;
use std::time::Instant;

use super::catalog::LoadedLab;
use super::check::{self, CommandRunner, Verdict};
use super::markdown;
use super::model::{Question, Step, When};
use super::progress::{self, AnswerRecord, LabProgress, Progress};
use super::standing::LabStanding;
use crate::error::{Error, Result};
use crate::style::Palette;

/// How a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Every question is done.
    Finished { right: usize, total: usize },
    /// The learner quit or input ended; progress is saved.
    Paused,
}

/// Where the session's output and input go, and the progress file.
pub struct Console<'a> {
    pub input: &'a mut dyn BufRead,
    pub out: &'a mut dyn Write,
    pub palette: Palette,
    pub progress_path: &'a Path,
    /// The session's clock (set by [`start`]).
    pub clock: Option<Clock>,
}

/// Time spent in a lab: what earlier sessions spent, and when this one began.
pub struct Clock {
    lab: String,
    base: u64,
    started: Instant,
}

/// Saves progress, with the session's time so far.
fn save(console: &Console, progress: &mut Progress) -> Result<()> {
    if let Some(c) = &console.clock {
        progress.labs.entry(c.lab.clone()).or_default().seconds = c.base + c.started.elapsed().as_secs();
    }
    progress::save(console.progress_path, progress)
}

/// Runs (or resumes) `lab` interactively.
pub fn start(lab: &LoadedLab, runner: &dyn CommandRunner, console: &mut Console) -> Result<End> {
    let mut progress = progress::load(console.progress_path)?;
    let p = console.palette;
    let id = lab.lab.id.clone();
    let total_steps = lab.lab.steps.len();
    say(
        console,
        &format!("{}{}{} ({} min)\n", p.bold, lab.lab.title, p.reset, lab.lab.minutes),
    )?;
    let state = progress.labs.entry(id.clone()).or_default();
    if let Some(welcome) = LabStanding::new(lab, state).welcome() {
        say(console, &format!("{}{welcome}{}\n", p.cyan, p.reset))?;
    }
    let clock = Clock {
        lab: id.clone(),
        base: state.seconds,
        started: Instant::now(),
    };
    let console = &mut Console {
        clock: Some(clock),
        input: &mut *console.input,
        out: &mut *console.out,
        palette: console.palette,
        progress_path: console.progress_path,
    };
    for (n, step) in lab.lab.steps.iter().enumerate() {
        let state = progress.labs.entry(id.clone()).or_default();
        if !step.questions.is_empty()
            && step
                .questions
                .iter()
                .all(|q| state.answers.get(&q.id).is_some_and(AnswerRecord::done))
        {
            continue;
        }
        say(
            console,
            &format!("\n{}Step {}/{total_steps}: {}{}\n", p.bold, n + 1, step.title, p.reset),
        )?;
        say(console, &markdown::render(&step.text, &p))?;
        // The command (and its input) first, so that a prediction can reason about them.
        if let Some(command) = &step.command {
            let shown = runner.shown(command, step.stdin.as_deref());
            say(console, &format!("\n{}$ {shown}{}\n", p.cyan, p.reset))?;
        }
        let predictions = match predict(step, console, &mut progress, &id)? {
            Some(given) => given,
            None => return paused(console, &id),
        };
        if let Some(command) = &step.command {
            let ran = runner.run(command, step.stdin.as_deref())?;
            say(console, &ran.text)?;
            let state = progress.labs.entry(id.clone()).or_default();
            state.traces.insert(step.id.clone(), ran.trace);
            save(console, &mut progress)?;
        }
        for (q, given) in predictions {
            settle_prediction(lab, step.id.as_str(), q, &given, runner, console, &mut progress)?;
        }
        for q in step.questions.iter().filter(|q| q.when == When::After) {
            if progress.labs[&id].answers.get(&q.id).is_some_and(AnswerRecord::done) {
                continue;
            }
            if ask(lab, step.id.as_str(), q, runner, console, &mut progress)? == End::Paused {
                return paused(console, &id);
            }
        }
    }
    let state = &progress.labs[&id];
    let total = lab.lab.steps.iter().map(|s| s.questions.len()).sum();
    let right = state.answers.values().filter(|a| a.correct).count();
    say(
        console,
        &format!(
            "\n{}Lab {id} complete:{} {right}/{total} answered right ({} revealed).\n",
            p.green,
            p.reset,
            state.answers.values().filter(|a| a.revealed).count()
        ),
    )?;
    Ok(End::Finished { right, total })
}

fn paused(console: &mut Console, id: &str) -> Result<End> {
    say(
        console,
        &format!("\nProgress saved. Resume with: netlab lab start {id}\n"),
    )?;
    Ok(End::Paused)
}

/// Asks the step's open `when = "before"` questions before its command runs; `None` when the
/// learner quits. A prediction is one answer (hints are offered, the answer is not: the
/// command is about to show it).
fn predict<'l>(
    step: &'l Step,
    console: &mut Console,
    progress: &mut Progress,
    id: &str,
) -> Result<Option<Vec<(&'l Question, String)>>> {
    let p = console.palette;
    let mut given = Vec::new();
    for q in step.questions.iter().filter(|q| q.when == When::Before) {
        if progress
            .labs
            .get(id)
            .and_then(|s| s.answers.get(&q.id))
            .is_some_and(AnswerRecord::done)
        {
            continue;
        }
        show_question(console, "? predict before it runs:", q)?;
        loop {
            let Some(line) = next_line(console)? else {
                return Ok(None);
            };
            let answer = line.trim();
            match answer.to_lowercase().as_str() {
                "" => continue,
                "quit" | "q" | "exit" => return Ok(None),
                "hint" => {
                    let text = next_hint(progress.labs.entry(id.to_string()).or_default(), q);
                    save(console, progress)?;
                    say(console, &format!("{}hint:{} {text}\n", p.cyan, p.reset))?;
                }
                "answer" | "reveal" => say(console, "make a guess: the command runs next and shows it\n")?,
                _ => match check::read_as(q, answer) {
                    Err(why) => say(console, &format!("{why}; try again (or type hint, quit)\n"))?,
                    Ok(()) => {
                        given.push((q, answer.to_string()));
                        break;
                    }
                },
            }
        }
    }
    Ok(Some(given))
}

/// Grades a prediction against the trace the command just made: right or not, it is done,
/// and the learner sees what the trace says and why.
fn settle_prediction(
    lab: &LoadedLab,
    step_id: &str,
    q: &Question,
    given: &str,
    runner: &dyn CommandRunner,
    console: &mut Console,
    progress: &mut Progress,
) -> Result<()> {
    let p = console.palette;
    let id = &lab.lab.id;
    let state = progress.labs.entry(id.clone()).or_default();
    let expected = check::expected(q, state.traces.get(step_id), runner).map_err(|why| {
        Error::usage(
            format!("lab {id} question {}", q.id),
            why,
            "run 'netlab lab reset' for this lab and start again",
        )
    })?;
    let right = check::grade(q, given, &expected) == Verdict::Right;
    record(state, q, given, right, false);
    // Right or not, the trace has now shown the answer: the question is done.
    if let Some(a) = state.answers.get_mut(&q.id) {
        a.revealed = !right;
    }
    save(console, progress)?;
    let verdict = if right {
        format!("{}your prediction was right:{} {expected}.", p.green, p.reset)
    } else {
        format!("{}you predicted {given}; the trace says {expected}.{}", p.red, p.reset)
    };
    say(
        console,
        &format!("\n{}? {}\n{verdict} {}\n", p.yellow, q.prompt, q.explanation),
    )
}

/// Asks one question until it is done, or the learner pauses.
fn ask(
    lab: &LoadedLab,
    step_id: &str,
    q: &Question,
    runner: &dyn CommandRunner,
    console: &mut Console,
    progress: &mut Progress,
) -> Result<End> {
    let p = console.palette;
    let id = &lab.lab.id;
    show_question(console, "?", q)?;
    loop {
        let Some(line) = next_line(console)? else {
            return Ok(End::Paused);
        };
        let given = line.trim();
        match given.to_lowercase().as_str() {
            "" => continue,
            "quit" | "q" | "exit" => return Ok(End::Paused),
            "hint" => {
                let text = next_hint(progress.labs.entry(id.clone()).or_default(), q);
                save(console, progress)?;
                say(console, &format!("{}hint:{} {text}\n", p.cyan, p.reset))?;
                continue;
            }
            _ => {}
        }
        let state = progress.labs.entry(id.clone()).or_default();
        let expected = match check::expected(q, state.traces.get(step_id), runner) {
            Ok(e) => e,
            Err(why) => {
                return Err(Error::usage(
                    format!("lab {id} question {}", q.id),
                    why,
                    "run 'netlab lab reset' for this lab and start again",
                ))
            }
        };
        if matches!(given.to_lowercase().as_str(), "answer" | "reveal") {
            record(state, q, &expected, false, true);
            save(console, progress)?;
            say(
                console,
                &format!("The answer is {}{expected}{}. {}\n", p.bold, p.reset, q.explanation),
            )?;
            return Ok(End::Finished { right: 0, total: 1 });
        }
        match check::grade(q, given, &expected) {
            Verdict::Right => {
                record(state, q, given, true, false);
                save(console, progress)?;
                say(console, &format!("{}right.{} {}\n", p.green, p.reset, q.explanation))?;
                return Ok(End::Finished { right: 1, total: 1 });
            }
            Verdict::Wrong => {
                record(state, q, given, false, false);
                let hint = next_hint(state, q);
                save(console, progress)?;
                say(
                    console,
                    &format!("{}not quite.{} {}hint:{} {hint}\n", p.red, p.reset, p.cyan, p.reset),
                )?;
            }
            Verdict::Unreadable(why) => say(console, &format!("{why}; try again (or type hint, answer, quit)\n"))?,
        }
    }
}

/// Stores the latest answer, counting attempts.
fn record(state: &mut LabProgress, q: &Question, answer: &str, correct: bool, revealed: bool) {
    let attempts = state.answers.get(&q.id).map_or(0, |a| a.attempts) + u32::from(!revealed);
    state.answers.insert(
        q.id.clone(),
        AnswerRecord {
            answer: answer.to_string(),
            correct,
            attempts,
            revealed,
        },
    );
}

/// The next unseen hint (and counts it), or a pointer to `answer` when none are left.
pub fn next_hint(state: &mut LabProgress, q: &Question) -> String {
    let shown = state.hints_shown.entry(q.id.clone()).or_insert(0);
    match q.hints.get(*shown as usize) {
        Some(h) => {
            *shown += 1;
            h.clone()
        }
        None => "no more hints; type 'answer' to see the answer and why".to_string(),
    }
}

/// A question's prompt under its mark, and its numbered choices.
fn show_question(console: &mut Console, mark: &str, q: &Question) -> Result<()> {
    let p = console.palette;
    say(console, &format!("\n{}{mark}{} {}\n", p.yellow, p.reset, q.prompt))?;
    for (i, choice) in q.choices.iter().enumerate() {
        say(console, &format!("  {}. {choice}\n", i + 1))?;
    }
    Ok(())
}

/// The learner's next line after a `> ` prompt; `None` when input ends.
fn next_line(console: &mut Console) -> Result<Option<String>> {
    say(console, "> ")?;
    let mut line = String::new();
    if console.input.read_line(&mut line).map_err(|e| Error::io("-", e))? == 0 {
        return Ok(None);
    }
    Ok(Some(line))
}

fn say(console: &mut Console, text: &str) -> Result<()> {
    console
        .out
        .write_all(text.as_bytes())
        .and_then(|()| console.out.flush())
        .map_err(|e| Error::io("-", e))
}
