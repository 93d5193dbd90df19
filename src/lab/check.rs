//! Where right answers come from (the learner's trace, a computation, a constant) and grading.

use serde_json::Value;

use super::answer::{read_answer, same};
use super::model::Question;

/// Runs a netlab command in-process: the lab engine's only way to make traces.
pub trait CommandRunner {
    /// Runs `command` (netlab's arguments, without `netlab`) with optional standard input;
    /// returns the trace as JSON and the text a person would see.
    fn run(&self, command: &str, stdin: Option<&str>) -> crate::error::Result<Ran>;
}

/// A command's trace and its rendered text.
#[derive(Debug, Clone)]
pub struct Ran {
    pub trace: Value,
    pub text: String,
}

/// Follows a JSON pointer (RFC 6901) in which an array index may also be negative, counting
/// from the end (`/events/-1` is the last event).
fn pointer<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(value);
    }
    let mut here = value;
    for raw in path.strip_prefix('/')?.split('/') {
        let token = raw.replace("~1", "/").replace("~0", "~");
        here = match here {
            Value::Object(map) => map.get(&token)?,
            Value::Array(items) => {
                let i: i64 = token.parse().ok()?;
                let i = if i < 0 { items.len() as i64 + i } else { i };
                items.get(usize::try_from(i).ok()?)?
            }
            _ => return None,
        };
    }
    Some(here)
}

/// Reads a trace path: a JSON pointer (negative indices count from the end), or `len(POINTER)`
/// for an array's length. Booleans read as yes/no.
pub fn read_path(trace: &Value, path: &str) -> Option<String> {
    if let Some(p) = path.strip_prefix("len(").and_then(|p| p.strip_suffix(')')) {
        return pointer(trace, p)?.as_array().map(|a| a.len().to_string());
    }
    Some(match pointer(trace, path)? {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "yes".to_string(),
        Value::Bool(false) => "no".to_string(),
        Value::Null => return None,
        other => other.to_string(),
    })
}

/// The right answer to `q`, given the trace of its step's command (if it ran).
pub fn expected(q: &Question, step_trace: Option<&Value>, runner: &dyn CommandRunner) -> Result<String, NoAnswer> {
    let c = &q.check;
    if let Some(f) = &c.fixed {
        return Ok(f.clone());
    }
    if let Some(path) = &c.trace {
        let trace = step_trace.ok_or(NoAnswer::NotRun)?;
        return read_path(trace, path).ok_or_else(|| NoAnswer::NothingAt(path.clone()));
    }
    if let (Some(command), Some(path)) = (&c.compute, &c.path) {
        let ran = runner.run(command, None).map_err(|e| NoAnswer::Failed(e.one_line()))?;
        return read_path(&ran.trace, path).ok_or_else(|| NoAnswer::CommandHasNothingAt(command.clone(), path.clone()));
    }
    Err(NoAnswer::NoCheck)
}

/// Why a question's right answer cannot be known yet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoAnswer {
    #[error("the step's command has not run in this session")]
    NotRun,
    #[error("the trace has nothing at {0}")]
    NothingAt(String),
    #[error("'{0}' has nothing at {1}")]
    CommandHasNothingAt(String, String),
    /// The command that computes the answer failed (its one-line error).
    #[error("{0}")]
    Failed(String),
    #[error("the question has no check")]
    NoCheck,
}

/// The verdict on one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Right,
    Wrong,
    /// The answer could not be read as the question's kind; says what was expected.
    Unreadable(String),
}

/// Compares `given` with `expected` by the question's kind.
pub fn grade(q: &Question, given: &str, expected: &str) -> Verdict {
    let g = match read_answer(q.kind, given, &q.choices) {
        Ok(g) => g,
        Err(why) => return Verdict::Unreadable(why.to_string()),
    };
    match read_answer(q.kind, expected, &q.choices) {
        Ok(e) if same(&g, &e, q.tolerance) => Verdict::Right,
        _ => Verdict::Wrong,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_paths() {
        let t: serde_json::Value =
            serde_json::from_str(r#"{"events": [{"inside": true, "n": 3, "list": [1, 2], "s": "x", "none": null}]}"#)
                .unwrap();
        assert_eq!(read_path(&t, "/events/0/inside").as_deref(), Some("yes"));
        assert_eq!(read_path(&t, "/events/0/n").as_deref(), Some("3"));
        assert_eq!(read_path(&t, "len(/events/0/list)").as_deref(), Some("2"));
        assert_eq!(read_path(&t, "/events/0/s").as_deref(), Some("x"));
        assert_eq!(read_path(&t, "/events/0/none"), None);
        assert_eq!(read_path(&t, "/events/9"), None);
        assert_eq!(read_path(&t, "/events/-1/s").as_deref(), Some("x"));
        assert_eq!(read_path(&t, "/events/-2"), None);
        assert_eq!(read_path(&t, "/events/0/list/-1").as_deref(), Some("2"));
    }
}
