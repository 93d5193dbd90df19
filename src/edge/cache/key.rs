//! The cache key (RFC 9111 §2, §4.1): the primary key is the target URI (here the request's
//! host, lowercased since it is case-insensitive, and its target as sent); a response with
//! `Vary` is stored with the values its request had for the named fields (the secondary key),
//! and only a request whose fields match them may reuse it.

use super::fields;

/// At most this many request fields are kept for one stored response's `Vary`.
const MAX_VARY: usize = 32;

/// The primary key: host (lowercased) and target.
pub fn primary(host: &str, target: &str) -> String {
    format!("{}{}", host.to_ascii_lowercase(), target)
}

/// The secondary key of a stored response: each field its `Vary` names (lowercased) with the
/// normalised value its request had (`None` when absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Secondary {
    fields: Vec<(String, Option<String>)>,
}

/// The field names listed in `Vary` (all lines, §12.5.5 of RFC 9110), lowercased.
pub fn vary_names(response_headers: &[(String, String)]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in fields::values(response_headers, "vary").flat_map(|v| v.split(',')) {
        let name = name.trim().to_ascii_lowercase();
        if !name.is_empty() && !names.contains(&name) && names.len() < MAX_VARY {
            names.push(name);
        }
    }
    names
}

/// Fields whose list order carries no meaning (their members are weighted by `q`, RFC 9110
/// §12.4.2) and whose values are case-insensitive (media types, codings, charsets, language
/// tags): §4.1 allows reordering and case-normalising them.
const UNORDERED: [&str; 4] = ["accept", "accept-charset", "accept-encoding", "accept-language"];

/// §4.1 normalisation: field lines combined (RFC 9110 §5.3), whitespace around list members
/// removed, and, for the `Accept` fields, members lowercased and sorted: none of which changes
/// the field's meaning.
fn normalised(request_headers: &[(String, String)], name: &str) -> Option<String> {
    let joined = fields::joined(request_headers, name)?;
    let mut members: Vec<String> = joined
        .split(',')
        .map(|m| m.split(';').map(str::trim).collect::<Vec<_>>().join(";"))
        .filter(|m| !m.is_empty())
        .collect();
    if UNORDERED.contains(&name) {
        members.iter_mut().for_each(|m| m.make_ascii_lowercase());
        members.sort();
    }
    Some(members.join(","))
}

impl Secondary {
    /// The secondary key a request gives a response that varies on `names`.
    pub fn of(request_headers: &[(String, String)], names: &[String]) -> Secondary {
        Secondary {
            fields: names
                .iter()
                .map(|n| (n.clone(), normalised(request_headers, n)))
                .collect(),
        }
    }

    /// §4.1: a request matches when every nominated field has the same normalised value as in
    /// the stored request, absent matching only absent.
    pub fn matches(&self, request_headers: &[(String, String)]) -> bool {
        self.fields.iter().all(|(n, v)| normalised(request_headers, n) == *v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::cache::h;

    #[test]
    fn host_is_case_insensitive_target_is_not_rfc9111_2() {
        assert_eq!(primary("Example.COM", "/a?b"), primary("example.com", "/a?b"));
        assert_ne!(primary("example.com", "/A"), primary("example.com", "/a"));
    }

    #[test]
    fn vary_fields_must_match_rfc9111_4_1() {
        let resp = h(&[("Vary", "Accept-Encoding"), ("vary", "X-A, x-b")]);
        let names = vary_names(&resp);
        assert_eq!(names, ["accept-encoding", "x-a", "x-b"]);
        let stored = Secondary::of(&h(&[("accept-encoding", "gzip, br"), ("X-A", "1")]), &names);
        assert!(stored.matches(&h(&[("Accept-Encoding", "gzip,br"), ("x-a", "1")])));
        assert!(stored.matches(&h(&[
            ("Accept-Encoding", "gzip"),
            ("Accept-Encoding", "br"),
            ("x-a", "1")
        ])));
        assert!(!stored.matches(&h(&[("Accept-Encoding", "gzip"), ("x-a", "2")])));
        assert!(!stored.matches(&h(&[("Accept-Encoding", "gzip, br"), ("x-a", " 1, 2")])));
        assert!(!stored.matches(&h(&[("Accept-Encoding", "gzip, br"), ("x-a", "1"), ("x-b", "")])));
        assert!(!stored.matches(&h(&[("x-a", "1")])));
    }

    #[test]
    fn accept_fields_are_reordered_and_case_normalised_rfc9111_4_1() {
        let names = vec!["accept-language".to_string(), "x-order".to_string()];
        let stored = Secondary::of(&h(&[("Accept-Language", "en, de;q=0.5"), ("x-order", "a, b")]), &names);
        assert!(stored.matches(&h(&[("accept-language", "DE; q=0.5,EN"), ("x-order", "a,b")])));
        // Other fields keep their order and case.
        assert!(!stored.matches(&h(&[("accept-language", "en, de;q=0.5"), ("x-order", "b, a")])));
        assert!(!stored.matches(&h(&[("accept-language", "en, de;q=0.5"), ("x-order", "A, b")])));
    }

    #[test]
    fn no_vary_matches_every_request_rfc9111_4_1() {
        assert!(Secondary::of(&h(&[("a", "1")]), &[]).matches(&h(&[("b", "2")])));
    }
}
