//! Reading answers by kind, so that equal answers compare equal however they are written.
//! The lab file format (`model.rs`) names a question's [`Kind`]; this module does not depend on
//! it.

use serde::Deserialize;

use crate::cidr::parse::{parse_addr, parse_prefix, ParseError};

/// How an answer is read and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A number; `1,022` and `1022` are equal.
    Number,
    /// Free text, compared case-insensitively with white space folded.
    Text,
    /// One of `choices`, case-insensitive, or its 1-based position.
    Choice,
    /// yes or no (also y/n, true/false).
    Yesno,
    /// A prefix: `10.0.0.0/08` equals `10.0.0.0/8`.
    Cidr,
    /// An address: `2001:DB8::1` equals `2001:db8:0::1`.
    Ip,
    /// A duration: `1.5s` equals `1500ms`.
    Duration,
}

/// An answer in canonical form, comparable with `==` (numbers compare with a tolerance).
#[derive(Debug, Clone, PartialEq)]
pub enum Normal {
    Number(f64),
    Text(String),
}

/// Why an answer cannot be read as its question's kind: what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unreadable {
    #[error("'{0}' is not a number")]
    NotANumber(String),
    #[error("'{answer}' is not one of: {}", .choices.join(", "))]
    NotAChoice { answer: String, choices: Vec<String> },
    #[error("'{0}' is not yes or no")]
    NotYesNo(String),
    /// A prefix that does not parse (the CIDR parser says why).
    #[error(transparent)]
    Prefix(ParseError),
    /// An address where a prefix was asked for.
    #[error("'{0}' has no prefix length (write it as ADDRESS/LENGTH)")]
    NoPrefixLength(String),
    #[error(transparent)]
    Address(ParseError),
    #[error("'{0}' is not a duration such as 1.5s or 1500ms")]
    NotADuration(String),
    #[error("'{0}' is not a unit (use s, ms, us, ns or m)")]
    NotAUnit(String),
}

/// Reads `raw` as an answer of `kind`; the error says what was expected.
pub fn read_answer(kind: Kind, raw: &str, choices: &[String]) -> Result<Normal, Unreadable> {
    let t = raw.trim();
    match kind {
        Kind::Number => {
            let cleaned: String = t.chars().filter(|c| !matches!(c, ',' | '_' | ' ')).collect();
            cleaned
                .parse::<f64>()
                .map(Normal::Number)
                .map_err(|_| Unreadable::NotANumber(t.into()))
        }
        Kind::Text => Ok(Normal::Text(
            t.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase(),
        )),
        Kind::Choice => {
            if let Ok(n) = t.parse::<usize>() {
                if (1..=choices.len()).contains(&n) {
                    return Ok(Normal::Text(choices[n - 1].to_lowercase()));
                }
            }
            choices
                .iter()
                .find(|c| c.eq_ignore_ascii_case(t))
                .map(|c| Normal::Text(c.to_lowercase()))
                .ok_or_else(|| Unreadable::NotAChoice {
                    answer: t.into(),
                    choices: choices.to_vec(),
                })
        }
        Kind::Yesno => match t.to_lowercase().as_str() {
            "yes" | "y" | "true" => Ok(Normal::Text("yes".into())),
            "no" | "n" | "false" => Ok(Normal::Text("no".into())),
            _ => Err(Unreadable::NotYesNo(t.into())),
        },
        Kind::Cidr => {
            let p = parse_prefix(t).map_err(Unreadable::Prefix)?;
            if !t.contains('/') {
                return Err(Unreadable::NoPrefixLength(t.into()));
            }
            Ok(Normal::Text(format!("{}/{}", p.written, p.net.prefix_len())))
        }
        Kind::Ip => parse_addr(t)
            .map(|a| Normal::Text(a.to_string()))
            .map_err(Unreadable::Address),
        Kind::Duration => parse_duration_ns(t).map(Normal::Number),
    }
}

/// `1.5s`, `1500ms`, `1500 ms`, `250us`, `250µs`, `2m`, `30ns` (a bare number is seconds).
fn parse_duration_ns(t: &str) -> Result<f64, Unreadable> {
    let t = t.replace(' ', "").to_lowercase();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().map_err(|_| Unreadable::NotADuration(t.clone()))?;
    let scale = match unit {
        "" | "s" | "sec" | "secs" | "seconds" => 1e9,
        "ms" => 1e6,
        "us" | "µs" => 1e3,
        "ns" => 1.0,
        "m" | "min" => 60e9,
        _ => return Err(Unreadable::NotAUnit(unit.into())),
    };
    Ok(value * scale)
}

/// Does the learner's answer equal the expected one? `tolerance` is relative, for numbers.
pub fn same(given: &Normal, expected: &Normal, tolerance: Option<f64>) -> bool {
    match (given, expected) {
        (Normal::Number(g), Normal::Number(e)) => {
            let allowed = tolerance.unwrap_or(0.0) * e.abs();
            (g - e).abs() <= allowed.max(1e-9 * e.abs().max(1.0))
        }
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eq(kind: Kind, a: &str, b: &str) -> bool {
        let choices = vec!["Yes".to_string(), "No".to_string(), "It depends".to_string()];
        same(
            &read_answer(kind, a, &choices).unwrap(),
            &read_answer(kind, b, &choices).unwrap(),
            None,
        )
    }

    #[test]
    fn equal_answers_written_differently() {
        assert!(eq(Kind::Cidr, "10.0.0.0/8", "10.0.0.0/08"));
        assert!(
            !eq(Kind::Cidr, "10.1.0.0/8", "10.0.0.0/8"),
            "a non-canonical network is a different answer"
        );
        assert!(eq(Kind::Duration, "1.5s", "1500ms"));
        assert!(eq(Kind::Duration, "250 us", "0.25ms"));
        assert!(eq(Kind::Number, "1,022", "1022"));
        assert!(eq(Kind::Ip, "2001:DB8::1", "2001:db8:0::1"));
        assert!(eq(Kind::Choice, "it DEPENDS", "3"));
        assert!(eq(Kind::Yesno, "Y", "yes"));
        assert!(eq(Kind::Text, "  Aligned   Blocks ", "aligned blocks"));
    }

    #[test]
    fn bad_answers_say_what_was_expected() {
        assert_eq!(
            read_answer(Kind::Number, "lots", &[]).unwrap_err().to_string(),
            "'lots' is not a number"
        );
        assert!(read_answer(Kind::Cidr, "10.0.0.0", &[])
            .unwrap_err()
            .to_string()
            .contains("no prefix length"));
        assert!(read_answer(Kind::Duration, "3 parsecs", &[])
            .unwrap_err()
            .to_string()
            .contains("not a unit"));
        assert!(read_answer(Kind::Choice, "maybe", &["a".into(), "b".into()])
            .unwrap_err()
            .to_string()
            .contains("a, b"));
    }

    #[test]
    fn tolerance_is_relative() {
        let e = Normal::Number(100.0);
        assert!(same(&Normal::Number(104.0), &e, Some(0.05)));
        assert!(!same(&Normal::Number(106.0), &e, Some(0.05)));
        assert!(!same(&Normal::Number(101.0), &e, None));
    }
}
