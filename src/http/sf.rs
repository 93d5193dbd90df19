//! Structured Field Lists (RFC 9651, which obsoletes RFC 8941), read from a response: the
//! grammar of `Cache-Status` (RFC 9211 §2) and of the RateLimit fields
//! (draft-ietf-httpapi-ratelimit-headers-10 §3, §4).
//!
//! ```text
//! sf-list       = list-member *( OWS "," OWS list-member )          (RFC 9651 §3.1)
//! list-member   = sf-item / inner-list
//! sf-item       = bare-item parameters                              (§3.3)
//! parameters    = *( ";" *SP param-key [ "=" param-value ] )        (§3.1.2)
//! bare-item     = sf-integer / sf-decimal / sf-string / sf-token
//!                 / sf-binary / sf-boolean / sf-date / sf-displaystring
//! ```
//!
//! A parameter without a value is Boolean true (§3.1.2). A field that does not parse is
//! ignored whole (§4.2: "fail parsing"), so [`list`] returns `None` and the caller reports the
//! field as malformed. Lines of one field are joined with commas first (RFC 9110 §5.3).
//! Pure, bounded ([`MAX_MEMBERS`], [`MAX_PARAMS`]), never panics on any input.

/// At most this many members are read from one field (RFC 9651 §3.1 asks parsers to support at
/// least 1024; a response carries a handful).
pub const MAX_MEMBERS: usize = 1024;
/// At most this many parameters on one member (§3.1.2: at least 256).
pub const MAX_PARAMS: usize = 256;

/// A bare item (RFC 9651 §3.3).
#[derive(Debug, Clone, PartialEq)]
pub enum Bare {
    Integer(i64),
    Decimal(f64),
    /// A String (`"..."`) or a Display String (`%"..."`, its percent-escapes decoded).
    String(String),
    Token(String),
    /// A Byte Sequence (`:base64:`), kept as its base64 text.
    Bytes(String),
    Boolean(bool),
    /// A Date (`@1659578233`), seconds since 1970.
    Date(i64),
}

impl Bare {
    /// The item as text, as a person would read it: strings and tokens as they are.
    pub fn text(&self) -> String {
        match self {
            Bare::Integer(n) | Bare::Date(n) => n.to_string(),
            Bare::Decimal(d) => d.to_string(),
            Bare::String(s) | Bare::Token(s) | Bare::Bytes(s) => s.clone(),
            Bare::Boolean(b) => b.to_string(),
        }
    }
}

/// One member of a List with its parameters, in order (an inner list keeps its items).
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub item: Item,
    pub params: Vec<(String, Bare)>,
}

/// A list member's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Bare(Bare),
    /// `( a b c )`, each item with its own parameters.
    Inner(Vec<(Bare, Vec<(String, Bare)>)>),
}

impl Member {
    /// The member's name when it is a String or a Token (a cache, a policy), else its text.
    pub fn name(&self) -> String {
        match &self.item {
            Item::Bare(b) => b.text(),
            Item::Inner(_) => String::new(),
        }
    }

    /// Parameter `key`'s value (of duplicates the parser kept the last, RFC 9651 §4.2.3.2).
    pub fn param(&self, key: &str) -> Option<&Bare> {
        self.params.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Parameter `key` as an Integer.
    pub fn integer(&self, key: &str) -> Option<i64> {
        match self.param(key)? {
            Bare::Integer(n) => Some(*n),
            _ => None,
        }
    }

    /// Whether parameter `key` is present and true (a bare `; stored` is true).
    pub fn flag(&self, key: &str) -> bool {
        matches!(self.param(key), Some(Bare::Boolean(true)))
    }
}

/// Parses a Structured Field List (RFC 9651 §4.2.1); `None` when it fails to parse. An empty
/// field is an empty list.
pub fn list(input: &str) -> Option<Vec<Member>> {
    let mut p = Reader {
        s: input.as_bytes(),
        i: 0,
    };
    p.spaces();
    let mut members = Vec::new();
    while !p.at_end() {
        members.push(p.member()?);
        if members.len() > MAX_MEMBERS {
            return None;
        }
        p.whitespace();
        if p.at_end() {
            break;
        }
        if !p.take(b',') {
            return None;
        }
        p.whitespace();
        if p.at_end() {
            return None; // a trailing comma fails parsing (§4.2.1)
        }
    }
    Some(members)
}

/// The List in every line of `name` in `headers`, joined (RFC 9110 §5.3): `None` when the
/// field is absent, `Some(Err(()))` when it does not parse.
pub fn field(headers: &[(String, String)], name: &str) -> Option<Result<Vec<Member>, ()>> {
    let lines: Vec<&str> = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect();
    (!lines.is_empty()).then(|| list(&lines.join(", ")).ok_or(()))
}

/// A cursor over a field value.
struct Reader<'a> {
    s: &'a [u8],
    i: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }
    fn take(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        self.i += usize::from(hit);
        hit
    }
    fn spaces(&mut self) {
        while self.take(b' ') {}
    }
    /// OWS: spaces and horizontal tabs.
    fn whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }
    fn run(&mut self, keep: impl Fn(u8) -> bool) -> &str {
        let start = self.i;
        while self.peek().is_some_and(&keep) {
            self.i += 1;
        }
        std::str::from_utf8(&self.s[start..self.i]).unwrap_or_default()
    }

    fn member(&mut self) -> Option<Member> {
        if self.take(b'(') {
            let mut items = Vec::new();
            loop {
                self.spaces();
                if self.take(b')') {
                    break;
                }
                let bare = self.bare()?;
                items.push((bare, self.params()?));
                if items.len() > MAX_MEMBERS || !matches!(self.peek(), Some(b' ' | b')')) {
                    return None;
                }
            }
            return Some(Member {
                item: Item::Inner(items),
                params: self.params()?,
            });
        }
        let bare = self.bare()?;
        Some(Member {
            item: Item::Bare(bare),
            params: self.params()?,
        })
    }

    /// `*( ";" *SP key [ "=" bare-item ] )`; a later duplicate key replaces the earlier.
    fn params(&mut self) -> Option<Vec<(String, Bare)>> {
        let mut out: Vec<(String, Bare)> = Vec::new();
        while self.take(b';') {
            self.spaces();
            let key = self.key()?;
            let value = if self.take(b'=') {
                self.bare()?
            } else {
                Bare::Boolean(true)
            };
            out.retain(|(k, _)| *k != key);
            out.push((key, value));
            if out.len() > MAX_PARAMS {
                return None;
            }
        }
        Some(out)
    }

    /// `key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )` (§3.1.2).
    fn key(&mut self) -> Option<String> {
        if !matches!(self.peek(), Some(b'a'..=b'z' | b'*')) {
            return None;
        }
        Some(
            self.run(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' | b'*'))
                .to_string(),
        )
    }

    fn bare(&mut self) -> Option<Bare> {
        match self.peek()? {
            b'-' | b'0'..=b'9' => self.number(),
            b'"' => self.string().map(Bare::String),
            b'%' => {
                self.i += 1;
                self.display_string().map(Bare::String)
            }
            b':' => {
                self.i += 1;
                let b64 = self
                    .run(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
                    .to_string();
                self.take(b':').then_some(Bare::Bytes(b64))
            }
            b'?' => {
                self.i += 1;
                let v = match self.peek()? {
                    b'0' => false,
                    b'1' => true,
                    _ => return None,
                };
                self.i += 1;
                Some(Bare::Boolean(v))
            }
            b'@' => {
                self.i += 1;
                match self.number()? {
                    Bare::Integer(n) => Some(Bare::Date(n)),
                    _ => None,
                }
            }
            b'*' | b'a'..=b'z' | b'A'..=b'Z' => {
                // token = ( ALPHA / "*" ) *( tchar / ":" / "/" )  (§3.3.4)
                let t = self.run(|b| is_tchar(b) || b == b':' || b == b'/').to_string();
                Some(Bare::Token(t))
            }
            _ => None,
        }
    }

    /// Integer (at most 15 digits) or Decimal (at most 12 integer and 3 fraction digits), §4.2.4.
    fn number(&mut self) -> Option<Bare> {
        let negative = self.take(b'-');
        let whole = self.run(|b| b.is_ascii_digit()).to_string();
        if whole.is_empty() {
            return None;
        }
        let sign = if negative { -1 } else { 1 };
        if !self.take(b'.') {
            if whole.len() > 15 {
                return None;
            }
            return whole.parse::<i64>().ok().map(|n| Bare::Integer(sign * n));
        }
        let fraction = self.run(|b| b.is_ascii_digit()).to_string();
        if whole.len() > 12 || fraction.is_empty() || fraction.len() > 3 {
            return None;
        }
        format!("{whole}.{fraction}")
            .parse::<f64>()
            .ok()
            .map(|d| Bare::Decimal(if negative { -d } else { d }))
    }

    /// `DQUOTE *( unescaped / "\" ( DQUOTE / "\" ) ) DQUOTE`, printable ASCII only (§3.3.3).
    fn string(&mut self) -> Option<String> {
        if !self.take(b'"') {
            return None;
        }
        let mut out = String::new();
        loop {
            let c = self.peek()?;
            self.i += 1;
            match c {
                b'"' => return Some(out),
                b'\\' => {
                    let escaped = self.peek().filter(|e| matches!(e, b'"' | b'\\'))?;
                    self.i += 1;
                    out.push(char::from(escaped));
                }
                0x20..=0x7e => out.push(char::from(c)),
                _ => return None,
            }
        }
    }

    /// A Display String's `"..."` after its `%`, percent-escapes (lowercase hex) of UTF-8 (§3.3.8).
    fn display_string(&mut self) -> Option<String> {
        if !self.take(b'"') {
            return None;
        }
        let mut bytes = Vec::new();
        loop {
            let c = self.peek()?;
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(bytes).ok(),
                b'%' => {
                    let hex = self.s.get(self.i..self.i + 2)?;
                    if !hex.iter().all(|h| matches!(h, b'0'..=b'9' | b'a'..=b'f')) {
                        return None;
                    }
                    bytes.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                    self.i += 2;
                }
                0x20..=0x7e => bytes.push(c),
                _ => return None,
            }
        }
    }
}

/// tchar (RFC 9110 §5.6.2).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_with_parameters_rfc9651_3_1() {
        let l = list("sugar, tea;fresh;cups=2, \"rum\";proof=40.5").unwrap();
        assert_eq!(l.len(), 3);
        assert_eq!(l[0].name(), "sugar");
        assert!(l[1].flag("fresh"));
        assert_eq!(l[1].integer("cups"), Some(2));
        assert_eq!(l[2].name(), "rum");
        assert_eq!(l[2].param("proof"), Some(&Bare::Decimal(40.5)));
        assert_eq!(list("").unwrap(), Vec::new());
    }

    #[test]
    fn inner_lists_bytes_booleans_dates_and_display_strings() {
        let l = list(
            "(\"foo\" \"bar\");lvl=5, :cHJldGVuZCB0aGlzIGlzIGJpbmFyeSBjb250ZW50Lg==:, ?0, @1659578233, %\"f%c3%bc\"",
        )
        .unwrap();
        assert!(matches!(&l[0].item, Item::Inner(v) if v.len() == 2));
        assert_eq!(l[0].integer("lvl"), Some(5));
        assert!(matches!(&l[1].item, Item::Bare(Bare::Bytes(b)) if b.starts_with("cHJl")));
        assert_eq!(l[2].item, Item::Bare(Bare::Boolean(false)));
        assert_eq!(l[3].item, Item::Bare(Bare::Date(1_659_578_233)));
        assert_eq!(l[4].name(), "fü");
    }

    #[test]
    fn what_fails_parsing_fails_whole_rfc9651_4_2() {
        for bad in [
            "a,",
            "a;B=1",
            "\"unterminated",
            "1234567890123456",
            "1.2345",
            "a b",
            "a;x=",
            "(a b",
            ":abc",
            "?2",
            "%\"%C3\"",
            "\u{e9}",
        ] {
            assert_eq!(list(bad), None, "{bad}");
        }
        // Duplicate parameters: the last wins (§4.2.3.2).
        assert_eq!(list("a;x=1;x=2").unwrap()[0].integer("x"), Some(2));
    }

    proptest::proptest! {
        /// Any field value, the edge's readers included: a verdict or nothing, never a panic.
        #[test]
        fn any_value_parses_or_fails_without_panicking(v in "[ -~\t\u{80}-\u{ff}]{0,80}") {
            let _ = list(&v);
            let h = vec![
                ("cache-status".to_string(), v.clone()),
                ("ratelimit".to_string(), v.clone()),
                ("ratelimit-policy".to_string(), v.clone()),
                ("retry-after".to_string(), v.clone()),
                ("age".to_string(), v.clone()),
            ];
            let _ = super::super::cache_status::read(200, &h, 0);
            let _ = super::super::rate_fields::read(429, &h);
        }
    }

    #[test]
    fn a_field_on_several_lines_is_one_list_rfc9110_5_3() {
        let h = vec![
            ("Cache-Status".to_string(), "A; hit".to_string()),
            ("cache-status".to_string(), "B; fwd=uri-miss".to_string()),
        ];
        assert_eq!(field(&h, "cache-status").unwrap().unwrap().len(), 2);
        assert_eq!(field(&h, "ratelimit"), None);
    }
}
