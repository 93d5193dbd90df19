//! Cache directives: `Cache-Control` (RFC 9111 §5.2) and `CDN-Cache-Control` (RFC 9213).
//!
//! `Cache-Control` is a comma-separated list of `token [ "=" ( token / quoted-string ) ]`
//! (§5.2). Directive names are case-insensitive; a value may be quoted even where the token form
//! is expected, and recipients accept both (§5.2: "recipients SHOULD accept both forms"). All
//! field lines are one list (RFC 9110 §5.3). When a directive appears more than once, the first
//! occurrence is used (§4.2.1 allows "either the first occurrence ... or ... stale").
//!
//! `CDN-Cache-Control` (RFC 9213 §2.1) carries the same directives as a Structured Fields
//! Dictionary (RFC 8941 §3.2): lowercase keys, `?0`/`?1` booleans, integers, strings. A field
//! that fails to parse, or is empty, is ignored as if absent (RFC 9213 §2.1); a cache that uses
//! a valid non-empty one ignores `Cache-Control` and `Expires` for that response.

use super::fields;

/// A delta-seconds value (RFC 9111 §1.2.2) as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seconds {
    /// A non-negative integer, capped at 2^31 (§1.2.2: "MUST consider the value to be 2147483648").
    Valid(u64),
    /// Present but not a non-negative integer (§4.2.1: caches are encouraged to treat
    /// responses with invalid freshness information as stale).
    Invalid,
}

/// The largest delta-seconds a cache must represent (RFC 9111 §1.2.2).
pub const DELTA_MAX: u64 = 2_147_483_648;

/// Reads delta-seconds: `1*DIGIT`, capped at [`DELTA_MAX`].
pub fn delta_seconds(s: &str) -> Seconds {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Seconds::Invalid;
    }
    let digits = s.trim_start_matches('0');
    if digits.len() > 10 {
        return Seconds::Valid(DELTA_MAX);
    }
    Seconds::Valid(digits.parse::<u64>().unwrap_or(0).min(DELTA_MAX))
}

/// One directive: its lowercased name and unquoted value.
type Directive = (String, Option<String>);

/// The directives of one message, in order, names lowercased, values unquoted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directives {
    entries: Vec<Directive>,
}

/// At most this many directives are kept from one message (bounds the work on hostile input).
const MAX_DIRECTIVES: usize = 64;

impl Directives {
    /// The `Cache-Control` directives of these header fields (every line, §5.2).
    pub fn cache_control(headers: &[(String, String)]) -> Directives {
        let mut entries = Vec::new();
        for value in fields::values(headers, "cache-control") {
            for item in split_list(value) {
                if entries.len() >= MAX_DIRECTIVES {
                    break;
                }
                if let Some(entry) = directive(item) {
                    entries.push(entry);
                }
            }
        }
        Directives { entries }
    }

    /// The `CDN-Cache-Control` directives (RFC 9213), or `None` when the field is absent,
    /// empty or not a valid Dictionary (then the cache falls back to `Cache-Control`).
    pub fn cdn_cache_control(headers: &[(String, String)]) -> Option<Directives> {
        let joined = fields::joined(headers, "cdn-cache-control")?;
        let dict = sf_dictionary(&joined)?;
        let entries: Vec<_> = dict.into_iter().take(MAX_DIRECTIVES).flatten().collect();
        // A dictionary of only `?0` members is still a valid non-empty field.
        Some(Directives { entries })
    }

    /// Whether the directive `name` (lowercase) is present, with or without a value.
    pub fn has(&self, name: &str) -> bool {
        self.entries.iter().any(|(n, _)| n == name)
    }

    /// The first value of `name`: `None` if absent, `Some(None)` if present without one.
    fn first(&self, name: &str) -> Option<Option<&str>> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_deref())
    }

    /// `name`'s delta-seconds value (first occurrence); a directive with no value is invalid.
    pub fn seconds(&self, name: &str) -> Option<Seconds> {
        self.first(name).map(|v| v.map_or(Seconds::Invalid, delta_seconds))
    }

    /// `max-stale` (§5.2.1.2): `Some(None)` for "any staleness", `Some(Some(n))` for at most n.
    /// An invalid value is read as no directive.
    pub fn max_stale(&self) -> Option<Option<u64>> {
        match self.first("max-stale")? {
            None => Some(None),
            Some(v) => match delta_seconds(v) {
                Seconds::Valid(n) => Some(Some(n)),
                Seconds::Invalid => None,
            },
        }
    }

    /// Whether `name` is present in its unqualified form (no field names): `no-cache`,
    /// `private` (§5.2.2.4, §5.2.2.7).
    pub fn unqualified(&self, name: &str) -> bool {
        self.entries.iter().any(|(n, v)| n == name && v.is_none())
    }

    /// The field names of every qualified `name="a, b"` form, lowercased (§5.2.2.4, §5.2.2.7).
    pub fn field_names(&self, name: &str) -> Vec<String> {
        self.entries
            .iter()
            .filter(|(n, _)| n == name)
            .filter_map(|(_, v)| v.as_deref())
            .flat_map(|v| v.split(','))
            .map(|f| f.trim().to_ascii_lowercase())
            .filter(|f| !f.is_empty())
            .collect()
    }
}

/// Splits a list on commas outside quoted strings.
fn split_list(value: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, b) in value.bytes().enumerate() {
        if escaped {
            escaped = false;
        } else if quoted && b == b'\\' {
            escaped = true;
        } else if b == b'"' {
            quoted = !quoted;
        } else if b == b',' && !quoted {
            items.push(&value[start..i]);
            start = i + 1;
        }
    }
    items.push(&value[start..]);
    items
}

/// One `token [ "=" ( token / quoted-string ) ]`; empty items are skipped (RFC 9110 §5.6.1).
fn directive(item: &str) -> Option<Directive> {
    let item = item.trim_matches([' ', '\t']);
    if item.is_empty() {
        return None;
    }
    // No whitespace around "=" in the grammar: `max-age =5` names no directive, `max-age= 5`
    // has an invalid value.
    let (name, value) = match item.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (item, None),
    };
    if name.is_empty() || !name.bytes().all(fields::is_tchar) {
        return None;
    }
    Some((name.to_ascii_lowercase(), value.map(unquote)))
}

/// The content of a quoted-string (RFC 9110 §5.6.4), or the value itself if not quoted.
fn unquote(v: &str) -> String {
    let Some(inner) = v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return v.to_string();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Directives whose value is delta-seconds: in a targeted field it must be an Integer
/// (RFC 9213 §2.1 maps token values to Integers), else the field is invalid.
const INTEGER_DIRECTIVES: [&str; 4] = ["max-age", "s-maxage", "stale-while-revalidate", "stale-if-error"];

/// A bare item's type and text (RFC 8941 §3.3).
enum Item {
    /// `?0`: the directive is off, as if absent.
    False,
    /// `?1`, or a key with no value: a valueless directive.
    True,
    Integer(String),
    /// A String, Token, Decimal or Byte Sequence, as text.
    Text(String),
}

/// Parses a Structured Fields Dictionary (RFC 8941 §4.2.2) into directive entries (`None` for
/// a member that is `?0`), or `None` when it fails to parse, is empty, or gives a directive a
/// value of the wrong type (RFC 9213 §2.1: `max-age` is an Integer). An inner list of strings
/// becomes a comma-joined value (field names).
fn sf_dictionary(input: &str) -> Option<Vec<Option<Directive>>> {
    let mut p = Sf {
        s: input.as_bytes(),
        i: 0,
    };
    p.skip_sp();
    let mut members: Vec<Option<Directive>> = Vec::new();
    if p.done() {
        return None;
    }
    loop {
        let key = p.key()?;
        let value = if p.eat(b'=') {
            if p.peek() == Some(b'(') {
                Item::Text(p.inner_list()?.join(", "))
            } else {
                p.bare_item()?
            }
        } else {
            Item::True
        };
        p.parameters()?;
        if INTEGER_DIRECTIVES.contains(&key.as_str()) && !matches!(value, Item::Integer(_) | Item::False) {
            return None;
        }
        let entry = match value {
            Item::False => None,
            Item::True => Some((key.clone(), None)),
            Item::Integer(v) | Item::Text(v) => Some((key.clone(), Some(v))),
        };
        // Later duplicates overwrite earlier ones in a Dictionary (RFC 8941 §3.2).
        members.retain(|m| m.as_ref().is_none_or(|(k, _)| *k != key));
        members.push(entry);
        if members.len() > 4 * MAX_DIRECTIVES {
            return None;
        }
        p.skip_ows();
        if p.done() {
            return Some(members);
        }
        if !p.eat(b',') {
            return None;
        }
        p.skip_ows();
        if p.done() {
            return None; // trailing comma
        }
    }
}

struct Sf<'a> {
    s: &'a [u8],
    i: usize,
}

impl Sf<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn done(&self) -> bool {
        self.i >= self.s.len()
    }
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn skip_sp(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }
    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }
    /// key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )
    fn key(&mut self) -> Option<String> {
        let start = self.i;
        match self.peek() {
            Some(b'a'..=b'z' | b'*') => self.i += 1,
            _ => return None,
        }
        while matches!(self.peek(), Some(b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' | b'*')) {
            self.i += 1;
        }
        Some(String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }
    /// A bare item (RFC 8941 §4.2.3.1), or `None` on a parse error.
    fn bare_item(&mut self) -> Option<Item> {
        match self.peek()? {
            b'?' => {
                self.i += 1;
                let v = match self.peek() {
                    Some(b'1') => Item::True,
                    Some(b'0') => Item::False,
                    _ => return None,
                };
                self.i += 1;
                Some(v)
            }
            b'"' => self.string().map(Item::Text),
            b'-' | b'0'..=b'9' => {
                let n = self.number()?;
                Some(if n.contains('.') {
                    Item::Text(n)
                } else {
                    Item::Integer(n)
                })
            }
            b':' => {
                self.i += 1;
                while self.peek()? != b':' {
                    self.i += 1;
                }
                self.i += 1;
                Some(Item::Text(String::new()))
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'*' => {
                let start = self.i;
                while self
                    .peek()
                    .is_some_and(|b| fields::is_tchar(b) || b == b':' || b == b'/')
                {
                    self.i += 1;
                }
                Some(Item::Text(String::from_utf8_lossy(&self.s[start..self.i]).into_owned()))
            }
            _ => None,
        }
    }
    fn string(&mut self) -> Option<String> {
        if !self.eat(b'"') {
            return None;
        }
        let mut out = String::new();
        loop {
            match self.peek()? {
                b'\\' => {
                    self.i += 1;
                    match self.peek()? {
                        c @ (b'"' | b'\\') => out.push(char::from(c)),
                        _ => return None,
                    }
                }
                b'"' => {
                    self.i += 1;
                    return Some(out);
                }
                c @ 0x20..=0x7e => out.push(char::from(c)),
                _ => return None,
            }
            self.i += 1;
        }
    }
    /// An Integer or Decimal (RFC 8941 §4.2.4), kept as its text.
    fn number(&mut self) -> Option<String> {
        let start = self.i;
        self.eat(b'-');
        let digits = self.i;
        while self.peek().is_some_and(|b| b.is_ascii_digit() || b == b'.') {
            self.i += 1;
        }
        let text = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        let body = &self.s[digits..self.i];
        let dots = body.iter().filter(|b| **b == b'.').count();
        if body.is_empty() || !body[0].is_ascii_digit() || dots > 1 || body.ends_with(b".") {
            return None;
        }
        if (dots == 0 && body.len() > 15) || (dots == 1 && body.len() > 16) {
            return None;
        }
        Some(text)
    }
    fn inner_list(&mut self) -> Option<Vec<String>> {
        self.eat(b'(');
        let mut items = Vec::new();
        loop {
            self.skip_sp();
            if self.eat(b')') {
                self.parameters()?;
                return Some(items);
            }
            match self.bare_item()? {
                Item::Integer(v) | Item::Text(v) => items.push(v),
                Item::True | Item::False => {}
            }
            self.parameters()?;
            if items.len() > MAX_DIRECTIVES {
                return None;
            }
            if !matches!(self.peek(), Some(b' ' | b')')) {
                return None;
            }
        }
    }
    fn parameters(&mut self) -> Option<()> {
        while self.eat(b';') {
            self.skip_sp();
            self.key()?;
            if self.eat(b'=') {
                self.bare_item()?;
            }
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cc(v: &str) -> Directives {
        Directives::cache_control(&[("Cache-Control".into(), v.into())])
    }

    #[test]
    fn directive_names_are_case_insensitive_rfc9111_5_2() {
        assert_eq!(cc("Max-Age=60, NO-STORE").seconds("max-age"), Some(Seconds::Valid(60)));
        assert!(cc("Max-Age=60, NO-STORE").has("no-store"));
    }

    #[test]
    fn quoted_values_are_accepted_rfc9111_5_2() {
        assert_eq!(cc("max-age=\"3600\"").seconds("max-age"), Some(Seconds::Valid(3600)));
        assert_eq!(
            cc("private=\"Set-Cookie, X-A\"").field_names("private"),
            ["set-cookie", "x-a"]
        );
        assert!(!cc("private=\"Set-Cookie\"").unqualified("private"));
    }

    #[test]
    fn commas_inside_quotes_do_not_split_rfc9110_5_6_4() {
        let d = cc("no-cache=\"a, b\", max-age=5");
        assert_eq!(d.field_names("no-cache"), ["a", "b"]);
        assert_eq!(d.seconds("max-age"), Some(Seconds::Valid(5)));
    }

    #[test]
    fn first_duplicate_wins_rfc9111_4_2_1() {
        assert_eq!(
            cc("max-age=10, max-age=20").seconds("max-age"),
            Some(Seconds::Valid(10))
        );
        let two = Directives::cache_control(&[
            ("cache-control".into(), "max-age=3".into()),
            ("Cache-Control".into(), "max-age=9, public".into()),
        ]);
        assert_eq!(two.seconds("max-age"), Some(Seconds::Valid(3)));
        assert!(two.has("public"));
    }

    #[test]
    fn invalid_delta_seconds_are_invalid_rfc9111_1_2_2() {
        for v in [
            "max-age=-1",
            "max-age=1.5",
            "max-age=",
            "max-age",
            "max-age=10a",
            "max-age=\"\"",
        ] {
            assert_eq!(cc(v).seconds("max-age"), Some(Seconds::Invalid), "{v}");
        }
        assert_eq!(
            cc("max-age=99999999999999999999").seconds("max-age"),
            Some(Seconds::Valid(DELTA_MAX))
        );
        assert_eq!(
            cc("max-age=2147483649").seconds("max-age"),
            Some(Seconds::Valid(DELTA_MAX))
        );
    }

    #[test]
    fn max_stale_with_and_without_value_rfc9111_5_2_1_2() {
        assert_eq!(cc("max-stale").max_stale(), Some(None));
        assert_eq!(cc("max-stale=30").max_stale(), Some(Some(30)));
        assert_eq!(cc("max-age=1").max_stale(), None);
    }

    fn cdn(v: &str) -> Option<Directives> {
        Directives::cdn_cache_control(&[("CDN-Cache-Control".into(), v.into())])
    }

    #[test]
    fn cdn_cache_control_is_a_dictionary_rfc9213_2_1() {
        let d = cdn("max-age=60, no-store=?0, must-revalidate").unwrap();
        assert_eq!(d.seconds("max-age"), Some(Seconds::Valid(60)));
        assert!(!d.has("no-store"));
        assert!(d.has("must-revalidate"));
        assert_eq!(
            cdn("private=\"set-cookie\"").unwrap().field_names("private"),
            ["set-cookie"]
        );
    }

    #[test]
    fn cdn_cache_control_invalid_or_empty_is_ignored_rfc9213_2_1() {
        for v in [
            "",
            "Max-Age=60",
            "max-age=60,",
            "max-age=\"unterminated",
            "max-age=60 no-store",
            "=1",
        ] {
            assert_eq!(cdn(v), None, "{v:?}");
        }
        // A directive's value of the wrong type makes the field invalid (RFC 9213 §2.1).
        for v in [
            "max-age=1.5",
            "max-age=\"60\"",
            "max-age",
            "max-age= 60",
            "max-age=60, &&&",
        ] {
            assert_eq!(cdn(v), None, "{v:?}");
        }
        assert_eq!(cdn("max-age=-1").unwrap().seconds("max-age"), Some(Seconds::Invalid));
    }
}
