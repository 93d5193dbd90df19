//! Validation (RFC 9111 §4.3): asking the origin whether a stored response is still good, and
//! what its answer does to the stored response.
//!
//! The cache sends a conditional request (§4.3.1) with the stored validators: `If-None-Match`
//! with the `ETag`, `If-Modified-Since` with `Last-Modified`. A 304 (§4.3.3) means "still
//! good": its header fields update the stored ones (§3.2, §4.3.4) and the stored content is
//! served. A full response replaces the stored one; a 5xx may let a stale one be served
//! (stale-if-error, RFC 5861 §4), or is passed on.

use super::directives::Directives;
use super::fields;
use super::storage;
use super::RequestHead;

/// The client's conditional fields the cache replaces with its own when it validates (the
/// client's are evaluated by the cache afterwards, against the validated response).
const CONDITIONALS: [&str; 2] = ["if-none-match", "if-modified-since"];

/// Whether a stored response has a validator to revalidate with.
pub fn has_validators(stored: &[(String, String)]) -> bool {
    fields::has(stored, "etag") || fields::has(stored, "last-modified")
}

/// §4.3.1: the request to send to validate `stored`: the client's request with its own
/// `If-None-Match`/`If-Modified-Since` replaced by the stored response's validators.
pub fn conditional_request(req: &RequestHead, stored: &[(String, String)]) -> RequestHead {
    let mut out = req.clone();
    if !has_validators(stored) {
        return out;
    }
    for name in CONDITIONALS {
        fields::remove(&mut out.headers, name);
    }
    if let Some(etag) = fields::first(stored, "etag") {
        out.headers.push(("If-None-Match".to_string(), etag.to_string()));
    }
    if let Some(lm) = fields::first(stored, "last-modified") {
        out.headers.push(("If-Modified-Since".to_string(), lm.to_string()));
    }
    out
}

/// §4.3.4: may this 304 update the stored response? When it carries an ETag, it must match the
/// stored one (weakly: the 304 names the validator the origin found); with none, a
/// `Last-Modified` it carries must equal the stored one; with neither, it applies.
pub fn updates(stored: &[(String, String)], not_modified: &[(String, String)]) -> bool {
    let tag = |h: &[(String, String)]| fields::first(h, "etag").map(|t| t.trim().trim_start_matches("W/").to_string());
    if let Some(new) = tag(not_modified) {
        return tag(stored) == Some(new);
    }
    match (
        fields::first(not_modified, "last-modified"),
        fields::first(stored, "last-modified"),
    ) {
        (Some(a), Some(b)) => a.trim() == b.trim(),
        _ => true,
    }
}

/// §4.3.5: may a 200 to a HEAD update the stored GET response? Every validator it carries
/// (`ETag`, `Last-Modified`) must equal the stored one, and its `Content-Length`, if any, the
/// stored content's length; otherwise the stored response is outdated.
pub fn head_matches(stored: &[(String, String)], stored_len: usize, head: &[(String, String)]) -> bool {
    let same = |name: &str| match fields::first(head, name) {
        Some(v) => fields::first(stored, name).is_some_and(|s| s.trim() == v.trim()),
        None => true,
    };
    let length = fields::first(head, "content-length").is_none_or(|v| v.trim() == stored_len.to_string());
    same("etag") && same("last-modified") && length
}

/// §3.2: the stored header fields updated by a 304's: each field the 304 carries replaces
/// the stored field of that name (in place), except the fields not stored (§3.1) and
/// `Content-Length` (the 304 has no content); the others stay as they were.
pub fn merge(stored: &[(String, String)], update: &[(String, String)]) -> Vec<(String, String)> {
    let cc = Directives::cache_control(update);
    let taken: Vec<&(String, String)> = update
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("content-length") && !storage::unstored(n, update, &cc))
        .collect();
    let replaced = |n: &str| taken.iter().any(|(t, _)| t.eq_ignore_ascii_case(n));
    let mut out: Vec<(String, String)> = Vec::with_capacity(stored.len() + taken.len());
    let mut emitted: Vec<String> = Vec::new();
    for (n, v) in stored {
        if !replaced(n) {
            out.push((n.clone(), v.clone()));
            continue;
        }
        let lower = n.to_ascii_lowercase();
        if !emitted.contains(&lower) {
            out.extend(
                taken
                    .iter()
                    .filter(|(t, _)| t.eq_ignore_ascii_case(n))
                    .map(|p| (*p).clone()),
            );
            emitted.push(lower);
        }
    }
    for (n, v) in &taken {
        if !fields::has(stored, n) {
            out.push((n.clone(), v.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::cache::h;

    #[test]
    fn conditional_request_carries_stored_validators_rfc9111_4_3_1() {
        let req = RequestHead {
            method: "GET".into(),
            target: "/x".into(),
            host: "h".into(),
            headers: h(&[("Accept", "*/*"), ("if-none-match", "\"client\"")]),
        };
        let stored = h(&[("ETag", "\"v1\""), ("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT")]);
        let c = conditional_request(&req, &stored);
        assert_eq!(
            c.headers,
            h(&[
                ("Accept", "*/*"),
                ("If-None-Match", "\"v1\""),
                ("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT")
            ])
        );
        assert_eq!(conditional_request(&req, &[]).headers, req.headers);
    }

    #[test]
    fn not_modified_updates_only_a_matching_response_rfc9111_4_3_4() {
        let stored = h(&[("ETag", "\"v1\"")]);
        assert!(updates(&stored, &h(&[("ETag", "\"v1\"")])));
        assert!(updates(&stored, &h(&[])));
        assert!(!updates(&stored, &h(&[("ETag", "\"v2\"")])));
    }

    #[test]
    fn head_response_matches_by_validators_and_length_rfc9111_4_3_5() {
        let stored = h(&[("ETag", "\"1\""), ("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT")]);
        assert!(head_matches(&stored, 4, &h(&[])));
        assert!(head_matches(
            &stored,
            4,
            &h(&[("ETag", "\"1\""), ("Content-Length", "4")])
        ));
        assert!(!head_matches(&stored, 4, &h(&[("ETag", "\"2\"")])));
        assert!(!head_matches(&stored, 4, &h(&[("Content-Length", "5")])));
        assert!(!head_matches(
            &h(&[]),
            4,
            &h(&[("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT")])
        ));
    }

    #[test]
    fn not_modified_replaces_headers_but_not_content_length_rfc9111_3_2() {
        let stored = h(&[
            ("Content-Length", "5"),
            ("Cache-Control", "max-age=1"),
            ("X-A", "old"),
            ("ETag", "\"1\""),
        ]);
        let update = h(&[
            ("Cache-Control", "max-age=100"),
            ("Content-Length", "0"),
            ("X-B", "new"),
            ("Connection", "close"),
        ]);
        assert_eq!(
            merge(&stored, &update),
            h(&[
                ("Content-Length", "5"),
                ("Cache-Control", "max-age=100"),
                ("X-A", "old"),
                ("ETag", "\"1\""),
                ("X-B", "new")
            ])
        );
    }
}
