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
    /// A size in octets: `1.5 KB` equals `1500 bytes`, `1 KiB` equals `1024`.
    Size,
    /// A key-exchange group (RFC 8446 §4.2.7) in any of its spellings: `P-256` equals
    /// `secp256r1` and OpenSSL's `prime256v1`.
    Group,
    /// A cipher suite in IANA's, OpenSSL's or rustls's spelling:
    /// `TLS13_AES_256_GCM_SHA384` equals `TLS_AES_256_GCM_SHA384`.
    Suite,
    /// A distinguished name (RFC 4514), with or without its attribute names: `netlab CA`
    /// equals `CN=netlab CA`; `CN = A, O = B` equals `cn=a,o=b`.
    Dn,
    /// A protocol version: `TLSv1.2`, `tls 1.2` and `1.2` are all TLS 1.2.
    Version,
    /// A domain name: case-insensitive (RFC 4343), with or without its final dot
    /// (`Example.COM` equals `example.com.`); the root is `.`.
    Name,
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
    #[error("'{0}' is not a size such as 1500, 1500 bytes or 1.5 KB")]
    NotASize(String),
    #[error("'{0}' is not a group name (write it as netlab prints it, such as x25519 or secp256r1; P-256 works too)")]
    NotAGroup(String),
    #[error("'{0}' is not a cipher suite name (write it as netlab prints it, such as TLS_AES_128_GCM_SHA256)")]
    NotASuite(String),
    #[error("'{0}' is not a version (write it as TLS 1.3, TLSv1.2 or 1.2)")]
    NotAVersion(String),
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
        Kind::Size => parse_size(t).map(Normal::Number),
        Kind::Group => crate::tls::names::group_code(t)
            .map(|code| Normal::Text(format!("group 0x{code:04x}")))
            .ok_or_else(|| Unreadable::NotAGroup(t.into())),
        Kind::Suite => crate::tls::names::suite_code(t)
            .map(|code| Normal::Text(format!("suite 0x{code:04x}")))
            .ok_or_else(|| Unreadable::NotASuite(t.into())),
        Kind::Dn => Ok(Normal::Text(dn_values(t))),
        Kind::Version => read_version(t).map(Normal::Text),
        Kind::Name => Ok(Normal::Text(match t.trim_end_matches('.') {
            "" => ".".to_string(),
            name => format!("{}.", name.to_lowercase()),
        })),
    }
}

/// A distinguished name's attribute values, in order and lower case: `CN=a, O=b` and `a, b`
/// both read `a,b` (the attribute names are left out, since learners often omit them).
/// An escaped comma (`\,`, RFC 4514 §2.4) stays inside its value.
fn dn_values(t: &str) -> String {
    let mut values = Vec::new();
    let mut current = String::new();
    let mut chars = t.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => current.extend(chars.next()),
            ',' | '+' => values.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    values.push(current);
    values
        .iter()
        .map(|rdn| {
            let value = match rdn.split_once('=') {
                Some((name, value)) if is_attribute_name(name.trim()) => value,
                _ => rdn,
            };
            value.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// An RFC 4514 attribute type: a short name such as `CN` or `organizationName`, or a dotted OID.
fn is_attribute_name(name: &str) -> bool {
    !name.is_empty()
        && (name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            || name.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// `TLS 1.3`, `TLSv1.3`, `tls13`, `1.3` read `tls 1.3`; `SSLv3` reads `ssl 3.0`.
fn read_version(t: &str) -> Result<String, Unreadable> {
    let squeezed: String = t
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_')
        .collect();
    let (family, rest) = if let Some(r) = squeezed.strip_prefix("tls") {
        ("tls", r.strip_prefix('v').unwrap_or(r))
    } else if let Some(r) = squeezed.strip_prefix("ssl") {
        ("ssl", r.strip_prefix('v').unwrap_or(r))
    } else {
        ("tls", squeezed.as_str())
    };
    let number = match rest {
        "1.0" | "1" | "10" => "1.0",
        "1.1" | "11" => "1.1",
        "1.2" | "12" => "1.2",
        "1.3" | "13" => "1.3",
        "3" | "3.0" | "30" if family == "ssl" => "3.0",
        _ => return Err(Unreadable::NotAVersion(t.into())),
    };
    Ok(format!("{family} {number}"))
}

/// `1500`, `1500 bytes`, `1500 octets`, `1500B`, `1.5 KB` (1000), `1 KiB` (1024), `2 MB`.
fn parse_size(t: &str) -> Result<f64, Unreadable> {
    let squeezed: String = t
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, ' ' | ',' | '_'))
        .collect();
    let split = squeezed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(squeezed.len());
    let (num, unit) = squeezed.split_at(split);
    let value: f64 = num.parse().map_err(|_| Unreadable::NotASize(t.into()))?;
    let scale = match unit {
        "" | "b" | "byte" | "bytes" | "octet" | "octets" => 1.0,
        "kb" | "k" => 1e3,
        "kib" => 1024.0,
        "mb" | "m" => 1e6,
        "mib" => 1024.0 * 1024.0,
        _ => return Err(Unreadable::NotASize(t.into())),
    };
    Ok(value * scale)
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
    fn tls_names_compare_by_meaning() {
        assert!(eq(Kind::Group, "P-256", "secp256r1"));
        assert!(eq(Kind::Group, "prime256v1", "SECP256R1"));
        assert!(!eq(Kind::Group, "P-384", "secp256r1"));
        assert!(eq(Kind::Suite, "TLS13_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384"));
        assert!(eq(
            Kind::Suite,
            "ECDHE-RSA-AES128-GCM-SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
        ));
        assert!(!eq(Kind::Suite, "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"));
        assert!(eq(Kind::Version, "TLSv1.2", "TLS 1.2"));
        assert!(eq(Kind::Version, "1.3", "tls 1.3"));
        assert!(!eq(Kind::Version, "1.2", "TLS 1.3"));
    }

    #[test]
    fn names_and_sizes_compare_by_meaning() {
        assert!(eq(
            Kind::Dn,
            "netlab sandbox intermediate CA",
            "CN=netlab sandbox intermediate CA"
        ));
        assert!(eq(Kind::Dn, "CN = A b,  O=Org", "cn=a B,o=org"));
        assert!(
            eq(Kind::Dn, "CN=a\\, b", "a\\, b"),
            "an escaped comma stays in its value"
        );
        assert!(!eq(
            Kind::Dn,
            "CN=netlab sandbox root CA",
            "CN=netlab sandbox intermediate CA"
        ));
        assert!(eq(Kind::Size, "1.5 KB", "1500 bytes"));
        assert!(eq(Kind::Size, "1 KiB", "1,024"));
        assert!(eq(Kind::Size, "32B", "32 octets"));
        assert!(!eq(Kind::Size, "32", "33"));
        assert!(eq(Kind::Name, "Example.COM", "example.com."));
        assert!(eq(Kind::Name, ".", ""));
        assert!(!eq(Kind::Name, "example.com", "www.example.com."));
    }

    #[test]
    fn bad_answers_say_what_was_expected() {
        assert!(read_answer(Kind::Group, "curve25519-ish", &[])
            .unwrap_err()
            .to_string()
            .contains("such as x25519"));
        assert!(read_answer(Kind::Version, "the new one", &[])
            .unwrap_err()
            .to_string()
            .contains("TLS 1.3"));
        assert!(read_answer(Kind::Size, "big", &[])
            .unwrap_err()
            .to_string()
            .contains("1.5 KB"));
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
