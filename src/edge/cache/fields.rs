//! Header field lookups: names compare case-insensitively (RFC 9110 §5.1), several field lines
//! of one name form one comma-separated list (RFC 9110 §5.3).

/// The values of every line named `name`, in order.
pub fn values<'a>(headers: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The first line's value of `name`.
pub fn first<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Every line of `name` joined with ", ", or `None` if there is none.
pub fn joined(headers: &[(String, String)], name: &str) -> Option<String> {
    let vals: Vec<&str> = values(headers, name).collect();
    (!vals.is_empty()).then(|| vals.join(", "))
}

/// Whether any line is named `name`.
pub fn has(headers: &[(String, String)], name: &str) -> bool {
    headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
}

/// Removes every line named `name`.
pub fn remove(headers: &mut Vec<(String, String)>, name: &str) {
    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
}

/// Replaces every line named `name` by one line with `value` (at the first one's place).
pub fn set(headers: &mut Vec<(String, String)>, name: &str, value: String) {
    match headers.iter().position(|(n, _)| n.eq_ignore_ascii_case(name)) {
        Some(i) => {
            headers[i].1 = value;
            let mut seen = 0;
            headers.retain(|(n, _)| {
                if n.eq_ignore_ascii_case(name) {
                    seen += 1;
                    seen == 1
                } else {
                    true
                }
            });
        }
        None => headers.push((name.to_string(), value)),
    }
}

/// tchar (RFC 9110 §5.6.2).
pub fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}
