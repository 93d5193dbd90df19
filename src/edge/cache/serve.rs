//! Reusing a stored response (RFC 9111 §4): whether the selected response may answer this
//! request as it is, only after validation, or stale (§4.2.4, RFC 5861); and answering a
//! conditional request from it (§4.3.2).

use super::date;
use super::directives::{Directives, Seconds};
use super::fields;
use super::status::Fwd;
use super::storage;
use super::store::Entry;

/// What may be done with the selected stored response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Fresh and acceptable to the request: serve it.
    Fresh,
    /// Stale, but the request's `max-stale` accepts it (§5.2.1.2) and nothing forbids it.
    StaleAccepted,
    /// Stale within the response's `stale-while-revalidate` window (RFC 5861 §3): serve it
    /// and revalidate in the background.
    StaleWhileRevalidate,
    /// Ask the origin first (a conditional request when the entry has validators).
    Validate(Fwd),
}

/// §4.2.4: a cache must not serve this response stale, whatever the request or an extension
/// says: `must-revalidate` (§5.2.2.2), `proxy-revalidate` (§5.2.2.8) and `s-maxage`
/// (§5.2.2.10, which implies proxy-revalidate) in a shared cache, and `no-cache` (§5.2.2.4).
pub fn stale_forbidden(cc: &Directives) -> bool {
    cc.has("must-revalidate") || cc.has("proxy-revalidate") || cc.has("s-maxage") || cc.unqualified("no-cache")
}

/// Decides how the selected `entry` may answer a request with these directives at `now`.
pub fn verdict(entry: &Entry, request_cc: &Directives, request_headers: &[(String, String)], now: i64) -> Verdict {
    // §3.5: a shared cache does not reuse a response for a request with Authorization unless
    // the response allowed storing it for one.
    if fields::has(request_headers, "authorization") && !storage::authorization_allowed(&entry.cc) {
        return Verdict::Validate(Fwd::Request);
    }
    let fresh = entry.is_fresh(now);
    let refused = if fresh { Fwd::Request } else { Fwd::Stale };
    // §5.2.2.4: no-cache: never reused without validation.
    if entry.cc.unqualified("no-cache") {
        return Verdict::Validate(Fwd::Stale);
    }
    // §5.2.1.4: the request's no-cache asks for validation.
    if request_cc.has("no-cache") {
        return Verdict::Validate(refused);
    }
    let age = entry.age(now);
    // §5.2.1.1: max-age: the client wants an age of at most N seconds.
    if let Some(Seconds::Valid(n)) = request_cc.seconds("max-age") {
        if age > n {
            return Verdict::Validate(refused);
        }
    }
    if fresh {
        // §5.2.1.3: min-fresh: still fresh for at least N more seconds.
        if let Some(Seconds::Valid(n)) = request_cc.seconds("min-fresh") {
            if entry.ttl(now) < i64::try_from(n).unwrap_or(i64::MAX) {
                return Verdict::Validate(Fwd::Request);
            }
        }
        return Verdict::Fresh;
    }
    if stale_forbidden(&entry.cc) {
        return Verdict::Validate(Fwd::Stale);
    }
    let staleness = age.saturating_sub(entry.lifetime.secs);
    match request_cc.max_stale() {
        Some(None) => return Verdict::StaleAccepted,
        Some(Some(n)) if staleness <= n => return Verdict::StaleAccepted,
        _ => {}
    }
    if let Some(Seconds::Valid(n)) = entry.cc.seconds("stale-while-revalidate") {
        if staleness <= n {
            return Verdict::StaleWhileRevalidate;
        }
    }
    Verdict::Validate(Fwd::Stale)
}

/// RFC 5861 §4: may `entry` be served stale because the origin failed (an error, or a 500,
/// 502, 503 or 504), by the response's or the request's `stale-if-error` window?
pub fn stale_if_error(entry: &Entry, request_cc: &Directives, now: i64) -> bool {
    if stale_forbidden(&entry.cc) {
        return false;
    }
    let staleness = entry.age(now).saturating_sub(entry.lifetime.secs);
    [entry.cc.seconds("stale-if-error"), request_cc.seconds("stale-if-error")]
        .into_iter()
        .any(|s| matches!(s, Some(Seconds::Valid(n)) if staleness <= n))
}

/// §4.2.4 and RFC 5861 §4: may stale `entry` answer a request when the origin cannot be
/// reached? `Some("stale-if-error")` within a stale-if-error window; `Some("disconnected")`
/// when neither the response nor the request has stale-if-error and nothing forbids serving
/// stale (the response's directives, or the request's no-cache, max-age or min-fresh);
/// `None` otherwise.
pub fn when_disconnected(entry: &Entry, request_cc: &Directives, now: i64) -> Option<&'static str> {
    if stale_if_error(entry, request_cc, now) {
        return Some("stale-if-error");
    }
    let windowed = entry.cc.has("stale-if-error") || request_cc.has("stale-if-error");
    let strict = ["no-cache", "max-age", "min-fresh"].iter().any(|d| request_cc.has(d));
    (!windowed && !strict && !stale_forbidden(&entry.cc)).then_some("disconnected")
}

/// Weak comparison of entity tags (RFC 9110 §8.8.3.2): equal opaque-tags, `W/` ignored.
fn weak_eq(a: &str, b: &str) -> bool {
    let strip = |s: &str| s.trim().strip_prefix("W/").unwrap_or(s.trim()).to_string();
    strip(a) == strip(b)
}

/// §4.3.2 with RFC 9110 §13.1.2 and §13.1.3: does this (GET or HEAD) request's
/// `If-None-Match`, or, when it has none, its `If-Modified-Since`, call for a 304 given the
/// stored response? If-None-Match matches with the weak comparison (`*` matches anything);
/// If-Modified-Since matches when the stored `Last-Modified` (or `Date`) is no later.
pub fn not_modified(request_headers: &[(String, String)], stored: &[(String, String)]) -> bool {
    if let Some(inm) = fields::joined(request_headers, "if-none-match") {
        let etag = fields::first(stored, "etag");
        return inm
            .split(',')
            .map(str::trim)
            .any(|t| t == "*" || etag.is_some_and(|e| weak_eq(t, e)));
    }
    let Some(since) = fields::first(request_headers, "if-modified-since").and_then(date::parse) else {
        return false;
    };
    let modified = fields::first(stored, "last-modified")
        .or_else(|| fields::first(stored, "date"))
        .and_then(date::parse);
    modified.is_some_and(|m| m <= since)
}

/// The header fields of a 304 answered from a stored response (RFC 9110 §15.4.5): those a
/// 200 would carry among Cache-Control, Content-Location, Date, ETag, Expires and Vary, and
/// Last-Modified when there is no ETag (it guides cache updates).
pub fn not_modified_headers(stored: &[(String, String)]) -> Vec<(String, String)> {
    let keep = [
        "cache-control",
        "cdn-cache-control",
        "content-location",
        "date",
        "etag",
        "expires",
        "vary",
        "cache-status",
    ];
    let no_etag = !fields::has(stored, "etag");
    stored
        .iter()
        .filter(|(n, _)| {
            let n = n.to_ascii_lowercase();
            keep.contains(&n.as_str()) || (no_etag && n == "last-modified")
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::cache::h;
    use crate::edge::cache::key::Secondary;
    use bytes::Bytes;

    /// A response received at 0 with these Cache-Control directives.
    fn entry(cc: &str) -> Entry {
        Entry::new(
            Secondary::default(),
            200,
            h(&[("cache-control", cc)]),
            Bytes::new(),
            &[],
            0,
            0,
        )
    }
    fn v(cc: &str, req: &str, now: i64) -> Verdict {
        let rq = h(&[("cache-control", req)]);
        verdict(&entry(cc), &Directives::cache_control(&rq), &rq, now)
    }

    #[test]
    fn fresh_until_age_reaches_lifetime_rfc9111_4_2() {
        assert_eq!(v("max-age=10", "", 9), Verdict::Fresh);
        assert_eq!(v("max-age=10", "", 10), Verdict::Validate(Fwd::Stale));
    }

    #[test]
    fn response_no_cache_always_validates_rfc9111_5_2_2_4() {
        assert_eq!(v("max-age=100, no-cache", "", 1), Verdict::Validate(Fwd::Stale));
        assert_eq!(v("max-age=100, no-cache=\"set-cookie\"", "", 1), Verdict::Fresh);
    }

    #[test]
    fn request_no_cache_and_max_age_validate_rfc9111_5_2_1() {
        assert_eq!(v("max-age=100", "no-cache", 1), Verdict::Validate(Fwd::Request));
        assert_eq!(v("max-age=100", "max-age=0", 1), Verdict::Validate(Fwd::Request));
        assert_eq!(v("max-age=100", "max-age=5", 5), Verdict::Fresh);
    }

    #[test]
    fn min_fresh_rfc9111_5_2_1_3() {
        assert_eq!(v("max-age=100", "min-fresh=50", 60), Verdict::Validate(Fwd::Request));
        assert_eq!(v("max-age=100", "min-fresh=50", 40), Verdict::Fresh);
    }

    #[test]
    fn max_stale_accepts_stale_unless_forbidden_rfc9111_5_2_1_2_and_4_2_4() {
        assert_eq!(v("max-age=10", "max-stale", 1000), Verdict::StaleAccepted);
        assert_eq!(v("max-age=10", "max-stale=5", 15), Verdict::StaleAccepted);
        assert_eq!(v("max-age=10", "max-stale=5", 16), Verdict::Validate(Fwd::Stale));
        for forbid in ["must-revalidate", "proxy-revalidate", "s-maxage=10"] {
            assert_eq!(
                v(&format!("max-age=10, {forbid}"), "max-stale", 20),
                Verdict::Validate(Fwd::Stale),
                "{forbid}"
            );
        }
    }

    #[test]
    fn stale_while_revalidate_window_rfc5861_3() {
        assert_eq!(
            v("max-age=10, stale-while-revalidate=5", "", 15),
            Verdict::StaleWhileRevalidate
        );
        assert_eq!(
            v("max-age=10, stale-while-revalidate=5", "", 16),
            Verdict::Validate(Fwd::Stale)
        );
        assert_eq!(
            v("max-age=10, stale-while-revalidate=5, must-revalidate", "", 12),
            Verdict::Validate(Fwd::Stale)
        );
    }

    #[test]
    fn stale_if_error_window_rfc5861_4() {
        let none = Directives::default();
        assert!(stale_if_error(&entry("max-age=10, stale-if-error=5"), &none, 15));
        assert!(!stale_if_error(&entry("max-age=10, stale-if-error=5"), &none, 16));
        assert!(!stale_if_error(&entry("max-age=10"), &none, 11));
        let rq = Directives::cache_control(&h(&[("cache-control", "stale-if-error=100")]));
        assert!(stale_if_error(&entry("max-age=10"), &rq, 50));
        assert!(!stale_if_error(
            &entry("max-age=10, must-revalidate, stale-if-error=99"),
            &none,
            11
        ));
    }

    #[test]
    fn disconnected_cache_may_serve_stale_unless_forbidden_rfc9111_4_2_4() {
        let none = Directives::default();
        assert_eq!(
            when_disconnected(&entry("max-age=10"), &none, 500),
            Some("disconnected")
        );
        assert_eq!(
            when_disconnected(&entry("max-age=10, stale-if-error=5"), &none, 12),
            Some("stale-if-error")
        );
        assert_eq!(
            when_disconnected(&entry("max-age=10, stale-if-error=5"), &none, 50),
            None
        );
        for forbid in ["must-revalidate", "proxy-revalidate", "no-cache", "s-maxage=10"] {
            assert_eq!(
                when_disconnected(&entry(&format!("max-age=10, {forbid}")), &none, 20),
                None,
                "{forbid}"
            );
        }
        let rq = Directives::cache_control(&h(&[("cache-control", "max-age=5")]));
        assert_eq!(when_disconnected(&entry("max-age=10"), &rq, 20), None);
    }

    #[test]
    fn authorization_needs_permission_to_reuse_rfc9111_3_5() {
        let rq = h(&[("authorization", "Bearer x")]);
        assert_eq!(
            verdict(&entry("max-age=60"), &Directives::default(), &rq, 1),
            Verdict::Validate(Fwd::Request)
        );
        assert_eq!(
            verdict(&entry("max-age=60, public"), &Directives::default(), &rq, 1),
            Verdict::Fresh
        );
    }

    #[test]
    fn if_none_match_weak_comparison_rfc9111_4_3_2() {
        let stored = h(&[("ETag", "W/\"v1\""), ("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT")]);
        assert!(not_modified(&h(&[("If-None-Match", "\"v0\", \"v1\"")]), &stored));
        assert!(not_modified(&h(&[("If-None-Match", "*")]), &stored));
        assert!(!not_modified(&h(&[("If-None-Match", "\"v2\"")]), &stored));
        // If-None-Match takes precedence over If-Modified-Since (RFC 9110 §13.2.2).
        let both = h(&[
            ("If-None-Match", "\"v2\""),
            ("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"),
        ]);
        assert!(!not_modified(&both, &stored));
    }

    #[test]
    fn if_modified_since_rfc9111_4_3_2() {
        let stored = h(&[("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT")]);
        assert!(not_modified(
            &h(&[("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT")]),
            &stored
        ));
        assert!(!not_modified(
            &h(&[("If-Modified-Since", "Sat, 05 Nov 1994 08:49:37 GMT")]),
            &stored
        ));
        assert!(!not_modified(&h(&[("If-Modified-Since", "garbage")]), &stored));
    }

    #[test]
    fn not_modified_carries_the_listed_fields_rfc9110_15_4_5() {
        let stored = h(&[
            ("Content-Type", "text/plain"),
            ("ETag", "\"1\""),
            ("Cache-Control", "max-age=1"),
            ("Content-Length", "5"),
        ]);
        let names: Vec<_> = not_modified_headers(&stored).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["ETag", "Cache-Control"]);
    }
}
