//! Where right answers come from (the learner's trace, a computation, a constant) and grading.

use serde_json::Value;

use super::answer::{read_answer, same};
use super::model::{call_arguments, two_arguments, Question};

/// Runs a netlab command in-process: the lab engine's only way to make traces.
pub trait CommandRunner {
    /// Runs `command` (netlab's arguments, without `netlab`) with optional standard input;
    /// returns the trace as JSON and the text a person would see.
    fn run(&self, command: &str, stdin: Option<&str>) -> crate::error::Result<Ran>;
    /// The shell command a learner types to run the same thing outside the lab: `netlab`,
    /// the arguments, `--sandbox` where the command would otherwise reach the internet, and
    /// the standard input (as a here-document).
    fn shown(&self, command: &str, stdin: Option<&str>) -> String;
}

/// A command's trace and its rendered text.
#[derive(Debug, Clone)]
pub struct Ran {
    pub trace: Value,
    pub text: String,
}

/// What a path points at so far: one value, or the elements a filter selected.
enum Here<'a> {
    One(&'a Value),
    Many(Vec<&'a Value>),
}

/// How a filter compares an element's field with its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A filter token, split: `[KEY=VALUE]`, `[KEY!=VALUE]`, or a comparison of numbers,
/// `[KEY<VALUE]`, `[KEY<=VALUE]`, `[KEY>VALUE]`, `[KEY>=VALUE]`.
fn filter_token(token: &str) -> Option<(&str, Op, &str)> {
    let inner = token.strip_prefix('[')?.strip_suffix(']')?;
    let (key, rest) = inner.split_at(inner.find(['<', '>', '!', '='])?);
    let ops = [
        (">=", Op::Ge),
        ("<=", Op::Le),
        ("!=", Op::Ne),
        (">", Op::Gt),
        ("<", Op::Lt),
        ("=", Op::Eq),
    ];
    let (op, value) = ops
        .iter()
        .find_map(|(text, op)| rest.strip_prefix(text).map(|v| (*op, v)))?;
    (!key.is_empty()).then_some((key, op, value))
}

/// Does `item`'s field `key` pass the filter? `=` and `!=` compare strings as they are,
/// booleans as true or false, numbers by value; `<`, `<=`, `>`, `>=` compare numbers only. An
/// element without the field never passes.
fn passes(item: &Value, key: &str, op: Op, want: &str) -> bool {
    let Some(field) = item.get(key) else {
        return false;
    };
    let equal = || match field {
        Value::String(s) => s == want,
        Value::Bool(b) => want == if *b { "true" } else { "false" },
        Value::Number(n) => want.parse::<f64>().ok() == n.as_f64(),
        _ => false,
    };
    let ordered = |keep: fn(f64, f64) -> bool| match (field.as_f64(), want.parse::<f64>()) {
        (Some(have), Ok(want)) => keep(have, want),
        _ => false,
    };
    match op {
        Op::Eq => equal(),
        Op::Ne => !equal(),
        Op::Lt => ordered(|a, b| a < b),
        Op::Le => ordered(|a, b| a <= b),
        Op::Gt => ordered(|a, b| a > b),
        Op::Ge => ordered(|a, b| a >= b),
    }
}

/// Index `i` of `len` items, negative counting from the end.
fn index(token: &str, len: usize) -> Option<usize> {
    let i: i64 = token.parse().ok()?;
    let i = if i < 0 { len as i64 + i } else { i };
    usize::try_from(i).ok().filter(|i| *i < len)
}

/// Follows a JSON pointer (RFC 6901) in which an array index may also be negative, counting
/// from the end (`/events/-1` is the last event), and a `[KEY=VALUE]` token keeps the elements
/// of an array whose field KEY is VALUE (`/events/[type=packet.tcp_info]/-1`); `[KEY!=VALUE]`
/// keeps the others that have the field, and `[KEY>=N]`, `[KEY>N]`, `[KEY<=N]`, `[KEY<N]` those
/// whose number compares so (`/streams/[h2_us>=60000]`). After a filter, an index picks one of
/// the elements kept, another filter narrows them, and a field name reads that field of each;
/// a field name after an array reads that field of each element too (`/streams/h2_us`).
fn select<'a>(value: &'a Value, path: &str) -> Option<Here<'a>> {
    if path.is_empty() {
        return Some(Here::One(value));
    }
    let mut here = Here::One(value);
    for raw in path.strip_prefix('/')?.split('/') {
        let token = raw.replace("~1", "/").replace("~0", "~");
        let filter = filter_token(&token);
        if filter.is_none() && token.starts_with('[') {
            return None; // a filter that does not parse is no field name
        }
        here = match (here, filter) {
            (Here::One(Value::Array(items)), Some((k, op, v))) => {
                Here::Many(items.iter().filter(|i| passes(i, k, op, v)).collect())
            }
            (Here::Many(items), Some((k, op, v))) => {
                Here::Many(items.into_iter().filter(|i| passes(i, k, op, v)).collect())
            }
            (Here::One(_), Some(_)) => return None,
            (Here::One(Value::Object(map)), None) => Here::One(map.get(&token)?),
            (Here::One(Value::Array(items)), None) => match index(&token, items.len()) {
                Some(i) => Here::One(&items[i]),
                None if token.parse::<i64>().is_ok() => return None,
                None => Here::Many(items.iter().filter_map(|i| i.get(&token)).collect()),
            },
            (Here::One(_), None) => return None,
            (Here::Many(items), None) => match index(&token, items.len()) {
                Some(i) => Here::One(items[i]),
                None if token.parse::<i64>().is_ok() => return None,
                None => Here::Many(items.iter().filter_map(|i| i.get(&token)).collect()),
            },
        };
    }
    Some(here)
}

/// The numbers among `items`.
fn numbers(items: &[&Value]) -> Vec<f64> {
    items.iter().filter_map(|v| v.as_f64()).collect()
}

/// Writes a number as the trace did (integers without a fraction).
fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// Reads a trace path: a JSON pointer (negative indices count from the end, `[KEY=VALUE]`,
/// `[KEY>=N]` and the like filter an array), `len(POINTER)` for how many elements there are,
/// or `max(POINTER)` and `min(POINTER)` for the largest and smallest of the numbers it selects
/// (`max(/events/[type=packet.tcp_info]/rtt_us)`), and `greater(A,B)`: yes if the number A
/// reads is greater than B's, each a trace path or a number (`greater(/h2/p99_us,
/// max(/h2/loss_free_us))`), and `product(A,B)`, A's number times B's, for a question that
/// scales the learner's own measurement (`product(/cpu/ns_per_packet,0.002)`: the CPU cores a
/// 2 Mpps flood would need). Booleans read as yes/no.
pub fn read_path(trace: &Value, path: &str) -> Option<String> {
    let call = |name: &str| call_arguments(path, name);
    let number = |p: &str| match p.parse::<f64>() {
        Ok(n) => Some(n),
        Err(_) => read_path(trace, p)?.parse::<f64>().ok(),
    };
    if let Some((a, b)) = call("greater").and_then(two_arguments) {
        let yes = number(a)? > number(b)?;
        return Some(if yes { "yes" } else { "no" }.to_string());
    }
    if let Some((a, b)) = call("product").and_then(two_arguments) {
        return Some(number_text(number(a)? * number(b)?));
    }
    if let Some(p) = call("len") {
        return match select(trace, p)? {
            Here::One(v) => v.as_array().map(|a| a.len().to_string()),
            Here::Many(items) => Some(items.len().to_string()),
        };
    }
    for (name, pick) in [("max", f64::max as fn(f64, f64) -> f64), ("min", f64::min)] {
        if let Some(p) = call(name) {
            let found = match select(trace, p)? {
                Here::One(Value::Array(items)) => numbers(&items.iter().collect::<Vec<_>>()),
                Here::One(_) => return None,
                Here::Many(items) => numbers(&items),
            };
            return found.into_iter().reduce(pick).map(number_text);
        }
    }
    let Here::One(value) = select(trace, path)? else {
        return None;
    };
    Some(match value {
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
        return read_path(trace, path)
            .map(|v| with_unit(v, c))
            .ok_or_else(|| NoAnswer::NothingAt(path.clone()));
    }
    if let (Some(command), Some(path)) = (&c.compute, &c.path) {
        let ran = runner.run(command, None).map_err(|e| NoAnswer::Failed(e.one_line()))?;
        return read_path(&ran.trace, path)
            .map(|v| with_unit(v, c))
            .ok_or_else(|| NoAnswer::CommandHasNothingAt(command.clone(), path.clone()));
    }
    Err(NoAnswer::NoCheck)
}

/// A value read from a trace, with the unit the check says the trace counts in (`connect_us`
/// read with `unit = "us"` is `50.875ms`, a duration).
fn with_unit(value: String, c: &super::model::Check) -> String {
    match (c.unit.as_deref(), value.parse::<f64>()) {
        // Microseconds read better as milliseconds: 50.875ms.
        (Some("us"), Ok(us)) => format!("{}ms", us / 1000.0),
        (Some(unit), _) => format!("{value}{unit}"),
        (None, _) => value,
    }
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

/// Whether `given` reads as an answer of the question's kind; the error says the form expected.
pub fn read_as(q: &Question, given: &str) -> Result<(), String> {
    read_answer(q.kind, given, &q.choices)
        .map(|_| ())
        .map_err(|why| why.to_string())
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

    #[test]
    fn filters_and_extremes() {
        let t: serde_json::Value = serde_json::from_str(
            r#"{"events": [
                {"type": "info", "rtt": 50, "early": false},
                {"type": "packet", "verdict": "dropped", "up": true},
                {"type": "info", "rtt": 260.5, "early": true},
                {"type": "packet", "verdict": "forwarded"},
                {"type": "info", "rtt": 90}
            ]}"#,
        )
        .unwrap();
        assert_eq!(read_path(&t, "/events/[type=info]/0/rtt").as_deref(), Some("50"));
        assert_eq!(read_path(&t, "/events/[type=info]/-1/rtt").as_deref(), Some("90"));
        assert_eq!(read_path(&t, "/events/[type=info]/3"), None, "only three kept");
        assert_eq!(read_path(&t, "len(/events/[type=packet])").as_deref(), Some("2"));
        assert_eq!(
            read_path(&t, "len(/events/[type=packet]/[verdict=dropped])").as_deref(),
            Some("1")
        );
        assert_eq!(read_path(&t, "/events/[early=true]/0/rtt").as_deref(), Some("260.5"));
        assert_eq!(read_path(&t, "/events/[up=true]/0/verdict").as_deref(), Some("dropped"));
        assert_eq!(
            read_path(&t, "len(/events/[rtt=90.0])").as_deref(),
            Some("1"),
            "numbers by value"
        );
        assert_eq!(read_path(&t, "max(/events/[type=info]/rtt)").as_deref(), Some("260.5"));
        assert_eq!(read_path(&t, "min(/events/[type=info]/rtt)").as_deref(), Some("50"));
        assert_eq!(read_path(&t, "max(/events/[type=none]/rtt)"), None, "nothing selected");
        assert_eq!(
            read_path(&t, "/events/[type=info]/rtt"),
            None,
            "several values are no answer"
        );
        assert_eq!(read_path(&t, "/events/0/[type=info]"), None, "a filter needs an array");
        assert_eq!(
            read_path(&t, "max(/events/rtt)").as_deref(),
            Some("260.5"),
            "a field of each"
        );
        assert_eq!(
            read_path(&t, "len(/events/verdict)").as_deref(),
            Some("2"),
            "those that have it"
        );
        assert_eq!(read_path(&t, "/events/rtt"), None, "several values are no answer");
        assert_eq!(
            read_path(&t, "/events/7/rtt"),
            None,
            "an index past the end is not a field"
        );
    }

    #[test]
    fn comparison_filters() {
        let t: serde_json::Value = serde_json::from_str(
            r#"{"streams": [
                {"id": 0, "us": 42000, "proto": "h3"},
                {"id": 4, "us": 83000, "proto": "h3"},
                {"id": 8, "us": 60000, "proto": "h2"},
                {"id": 12, "us": "slow"},
                {"id": 16}
            ]}"#,
        )
        .unwrap();
        assert_eq!(read_path(&t, "len(/streams/[us>=60000])").as_deref(), Some("2"));
        assert_eq!(read_path(&t, "len(/streams/[us>60000])").as_deref(), Some("1"));
        assert_eq!(read_path(&t, "len(/streams/[us<60000])").as_deref(), Some("1"));
        assert_eq!(read_path(&t, "len(/streams/[us<=60000])").as_deref(), Some("2"));
        assert_eq!(
            read_path(&t, "len(/streams/[us>=1e9])").as_deref(),
            Some("0"),
            "none pass"
        );
        assert_eq!(
            read_path(&t, "/streams/[us>=60000]/[proto=h3]/0/id").as_deref(),
            Some("4"),
            "filters narrow one another"
        );
        assert_eq!(read_path(&t, "min(/streams/[us>=60000]/id)").as_deref(), Some("4"));
        assert_eq!(
            read_path(&t, "len(/streams/[proto!=h3])").as_deref(),
            Some("1"),
            "!= keeps only elements that have the field"
        );
        assert_eq!(
            read_path(&t, "len(/streams/[us<fast])").as_deref(),
            Some("0"),
            "an order needs numbers on both sides"
        );
        assert_eq!(read_path(&t, "len(/streams/[=3])"), None, "a filter needs a key");
        assert_eq!(read_path(&t, "len(/streams/[us])"), None, "a filter needs an operator");
    }

    #[test]
    fn greater_compares_and_product_multiplies_two_readings() {
        let t: serde_json::Value = serde_json::from_str(
            r#"{"h2": {"per_drop": 3.1, "p99": 170, "clean": [42, 81]}, "h3": {"per_drop": 0.5, "p99": 90}, "s": "x"}"#,
        )
        .unwrap();
        assert_eq!(
            read_path(&t, "greater(/h2/per_drop,/h3/per_drop)").as_deref(),
            Some("yes")
        );
        assert_eq!(
            read_path(&t, "greater(/h3/per_drop,/h2/per_drop)").as_deref(),
            Some("no")
        );
        assert_eq!(
            read_path(&t, "greater(/h2/p99,170)").as_deref(),
            Some("no"),
            "strictly greater"
        );
        assert_eq!(read_path(&t, "greater(/h2/p99,max(/h2/clean))").as_deref(), Some("yes"));
        assert_eq!(read_path(&t, "greater(2,len(/h2/clean))").as_deref(), Some("no"));
        assert_eq!(read_path(&t, "greater(/s,1)"), None, "a string is no number");
        assert_eq!(read_path(&t, "greater(/h2/none,1)"), None, "nothing there");
        assert_eq!(read_path(&t, "greater(/h2/p99)"), None, "two arguments");
        assert_eq!(read_path(&t, "greater(/h2/p99,1,2)"), None, "two arguments");
        assert_eq!(read_path(&t, "product(/h2/p99,2)").as_deref(), Some("340"));
        assert_eq!(read_path(&t, "product(0.5,len(/h2/clean))").as_deref(), Some("1"));
        assert_eq!(read_path(&t, "product(/s,2)"), None, "a string is no number");
        assert_eq!(read_path(&t, "product(/h2/p99)"), None, "two arguments");
    }

    #[test]
    fn a_unit_makes_a_trace_number_a_duration() {
        let q: Question = toml::from_str(
            "id = \"q\"\nprompt = \"p\"\nkind = \"duration\"\nexplanation = \"e\"\ntolerance = 0.1\ncheck = { trace = \"/connect_us\", unit = \"us\" }\n",
        )
        .unwrap();
        let trace: serde_json::Value = serde_json::from_str(r#"{"connect_us": 50875}"#).unwrap();
        struct NoRunner;
        impl CommandRunner for NoRunner {
            fn run(&self, _: &str, _: Option<&str>) -> crate::error::Result<Ran> {
                unreachable!("a trace check runs nothing")
            }
            fn shown(&self, command: &str, _: Option<&str>) -> String {
                command.to_string()
            }
        }
        let e = expected(&q, Some(&trace), &NoRunner).unwrap();
        assert_eq!(e, "50.875ms");
        assert_eq!(grade(&q, "51 ms", &e), Verdict::Right);
        assert_eq!(grade(&q, "0.05s", &e), Verdict::Right);
        assert_eq!(grade(&q, "100ms", &e), Verdict::Wrong);
    }
}
