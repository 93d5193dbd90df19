//! The lab file format (`labs/NN-slug/lab.toml`), and its validation. See `labs/README.md`.

use serde::Deserialize;

use super::answer::{read_answer, Kind};

/// The format version this netlab reads.
pub const FORMAT_VERSION: u32 = 1;

/// One lab: metadata and ordered steps.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lab {
    pub format_version: u32,
    pub id: String,
    pub title: String,
    pub minutes: u32,
    pub goals: Vec<String>,
    #[serde(default)]
    pub prerequisites: Vec<String>,
    #[serde(rename = "step")]
    pub steps: Vec<Step>,
}

/// A step: text to read, an optional netlab command to run, questions about it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub id: String,
    pub title: String,
    pub text: String,
    /// netlab arguments, without the leading `netlab` (e.g. `cidr info 10.0.0.0/8`).
    #[serde(default)]
    pub command: Option<String>,
    /// Standard input for the command (for `cidr aggregate` and friends).
    #[serde(default)]
    pub stdin: Option<String>,
    /// Standard input from a file in the lab's folder (an allow-list, a rule set), instead.
    #[serde(default)]
    pub stdin_file: Option<String>,
    #[serde(default, rename = "question")]
    pub questions: Vec<Question>,
}

/// A question and how its answer is checked.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    pub prompt: String,
    pub kind: Kind,
    #[serde(default)]
    pub choices: Vec<String>,
    #[serde(default)]
    pub hints: Vec<String>,
    pub explanation: String,
    pub check: Check,
    /// For `number` and `duration`: accepted relative error (0.05 = 5%). Exact when absent.
    #[serde(default)]
    pub tolerance: Option<f64>,
    /// `before`: a prediction, asked before the step's command runs and checked against the
    /// trace it then makes (one try: the output would give it away). `after` (the default):
    /// asked once the output is on screen.
    #[serde(default)]
    pub when: When,
}

/// When a question is asked, relative to its step's command.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum When {
    Before,
    #[default]
    After,
}

impl Question {
    /// Whether the question makes the learner think rather than copy a line just printed: a
    /// prediction made before the command runs, a figure computed from two values of the trace
    /// (`greater(A,B)`, or a netlab command run on the question's own inputs), or a choice
    /// among explanations or concepts whose answer is fixed. `labs/README.md` asks at least a
    /// third of each lab's questions to be of these kinds.
    pub fn makes_think(&self) -> bool {
        let c = &self.check;
        self.when == When::Before
            || c.trace.as_deref().is_some_and(|t| t.starts_with("greater("))
            || c.compute.is_some()
            || (c.fixed.is_some() && matches!(self.kind, Kind::Choice | Kind::Yesno))
    }
}

/// Where the right answer comes from: exactly one of the three.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// A path into the trace the step's command produced in this session:
    /// a JSON pointer (`/events/0/usable_hosts`, `/events/[type=dns.summary]/0/queries`) or
    /// `len(POINTER)`, `max(POINTER)`, `min(POINTER)`, or `greater(A,B)` (yes or no).
    #[serde(default)]
    pub trace: Option<String>,
    /// A netlab command run on the question's own inputs, with `path` into its trace.
    #[serde(default)]
    pub compute: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    /// A constant, for conceptual questions whose answer cannot change.
    #[serde(default)]
    pub fixed: Option<String>,
    /// For `duration` questions read from a trace: the unit the trace field counts in (`us` for
    /// `connect_us`, `ms` for `elapsed_ms`), so that `50875` reads as 50.875 ms.
    #[serde(default)]
    pub unit: Option<String>,
}

/// Checks every rule the TOML grammar cannot; returns each problem with the id it concerns.
pub fn validate(lab: &Lab, dir_name: &str) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let mut say = |at: &str, what: String| problems.push((at.to_string(), what));
    if lab.format_version != FORMAT_VERSION {
        say(
            &lab.id,
            format!(
                "format_version is {}, this netlab reads {FORMAT_VERSION}",
                lab.format_version
            ),
        );
    }
    if lab.id != dir_name {
        say(
            &lab.id,
            format!("id '{}' differs from the folder name '{dir_name}'", lab.id),
        );
    }
    if lab.steps.is_empty() {
        say(&lab.id, "a lab needs at least one [[step]]".to_string());
    }
    let mut seen = std::collections::HashSet::new();
    for step in &lab.steps {
        if !seen.insert(step.id.clone()) {
            say(&step.id, format!("step id '{}' is used twice", step.id));
        }
        if step.stdin.is_some() && step.stdin_file.is_some() {
            say(&step.id, "a step takes stdin or stdin_file, not both".to_string());
        }
        for q in &step.questions {
            if !seen.insert(q.id.clone()) {
                say(&q.id, format!("question id '{}' is used twice", q.id));
            }
            let c = &q.check;
            let sources = [c.trace.is_some(), c.compute.is_some(), c.fixed.is_some()]
                .iter()
                .filter(|b| **b)
                .count();
            if sources != 1 {
                say(&q.id, "check needs exactly one of trace, compute or fixed".to_string());
            }
            if c.trace.is_some() && step.command.is_none() {
                say(
                    &q.id,
                    format!(
                        "check.trace reads the trace of step '{}', which has no command",
                        step.id
                    ),
                );
            }
            if q.when == When::Before && step.command.is_none() {
                say(
                    &q.id,
                    format!(
                        "when = \"before\" predicts the output of step '{}', which has no command",
                        step.id
                    ),
                );
            }
            if c.compute.is_some() != c.path.is_some() {
                say(&q.id, "check.compute and check.path go together".to_string());
            }
            for pointer in [&c.trace, &c.path].into_iter().flatten() {
                if !is_trace_path(pointer) {
                    say(&q.id, format!("'{pointer}' is not a trace path (a JSON pointer such as /events/0/network, len, max or min of one, or greater or product of two)"));
                }
            }
            if let Some(unit) = &c.unit {
                if !UNITS.contains(&unit.as_str()) {
                    say(&q.id, format!("unit '{unit}' is not one of {}", UNITS.join(", ")));
                }
                if q.kind != Kind::Duration || c.fixed.is_some() {
                    say(
                        &q.id,
                        "check.unit is for duration questions read from a trace or a computation".to_string(),
                    );
                }
            }
            if q.kind == Kind::Choice {
                if q.choices.len() < 2 {
                    say(&q.id, "a choice question needs at least two choices".to_string());
                }
                if let Some(f) = &c.fixed {
                    if !q.choices.iter().any(|ch| ch.eq_ignore_ascii_case(f)) {
                        say(&q.id, format!("fixed answer '{f}' is not one of the choices"));
                    }
                }
            }
            if let Some(f) = &c.fixed {
                if read_answer(q.kind, f, &q.choices).is_err() {
                    say(&q.id, format!("fixed answer '{f}' is not a valid {:?} answer", q.kind));
                }
            }
        }
    }
    problems
}

/// The units a trace field may count time in (`check.unit`).
const UNITS: [&str; 4] = ["s", "ms", "us", "ns"];

/// `/a/0/b`, `len(...)`, `max(...)` or `min(...)` of one, or `greater(A,B)` of two such paths
/// or numbers.
pub fn is_trace_path(p: &str) -> bool {
    for function in ["greater", "product"] {
        if let Some((a, b)) = call_arguments(p, function).and_then(two_arguments) {
            return [a, b].iter().all(|x| x.parse::<f64>().is_ok() || is_trace_path(x));
        }
    }
    let inner = ["len", "max", "min"]
        .iter()
        .find_map(|f| call_arguments(p, f))
        .unwrap_or(p);
    inner.starts_with('/') && !inner.contains(char::is_whitespace)
}

/// The text between `NAME(` and the final `)` of `path`.
pub fn call_arguments<'a>(path: &'a str, name: &str) -> Option<&'a str> {
    path.strip_prefix(name)?.strip_prefix('(')?.strip_suffix(')')
}

/// `A,B` split at the one comma outside parentheses.
pub fn two_arguments(text: &str) -> Option<(&str, &str)> {
    let mut depth = 0i32;
    let mut comma = None;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 && comma.replace(i).is_some() => return None,
            _ => {}
        }
    }
    let (a, b) = text.split_at(comma?);
    Some((a, &b[1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_path_grammar() {
        assert!(is_trace_path("/events/[type=http.compare]/0/streams"));
        assert!(is_trace_path("len(/streams/[h2_us>=60000])"));
        assert!(is_trace_path("greater(/h2/p99_us,max(/h2/loss_free_us))"));
        assert!(is_trace_path("greater(/a,60000)"));
        assert!(!is_trace_path("greater(/a)"), "one argument");
        assert!(!is_trace_path("greater(/a,b)"), "b is neither a path nor a number");
        assert!(!is_trace_path("greater(/a,/b,/c)"));
        assert!(is_trace_path("greater(product(/app/ns,1000000),1000000000)"));
        assert!(!is_trace_path("product(/a)"), "one argument");
        assert!(!is_trace_path("events"));
        assert!(!is_trace_path("len(/a b)"));
        assert_eq!(two_arguments("max(/a,/b),3"), Some(("max(/a,/b)", "3")));
        assert_eq!(two_arguments("/a"), None);
    }
}
