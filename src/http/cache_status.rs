//! What the caches on the path did for one response, read from the response alone: its
//! `Cache-Status` (RFC 9211), `Age` (RFC 9111 §5.1) and the freshness fields the cache judged it
//! by (`CDN-Cache-Control`, RFC 9213; `Cache-Control`, RFC 9111 §5.2; `Expires`, §5.3).
//!
//! Cache-Status is a Structured Fields List (RFC 9211 §2): each cache that handled the response
//! appends one member named after itself, so the last member is the cache closest to the
//! client, and its parameters say what it did:
//!
//! ```text
//! Cache-Status: OriginCache; hit; ttl=1100, "CDN Company Here"; fwd=uri-miss; stored
//!               └ nearer the origin ─────┘  └ nearer the client: this one decided ─┘
//!   hit           answered from the cache, no request to the next hop (§2.1)
//!   fwd=REASON    went forward: bypass, method, uri-miss, vary-miss, miss, request, stale,
//!                 partial (§2.2)
//!   fwd-status=N  the status the next hop answered (§2.3); 304 to a stale one: revalidated
//!   ttl=N         freshness lifetime minus age, in seconds, negative when stale (§2.4)
//!   stored        the forwarded response was stored (§2.5)
//!   collapsed     the request waited for another request's forward (§2.6)
//!   key, detail   the cache key; anything else, implementation-specific (§2.7, §2.8)
//! ```

use serde::{Deserialize, Serialize};

use super::sf::{self, Bare, Member};
use crate::edge::cache::directives::Directives;
use crate::edge::cache::freshness::{self, Source};

/// What the deciding cache did, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Served from the cache (RFC 9211 §2.1).
    Hit,
    /// Nothing stored that fits (`fwd=uri-miss`, `vary-miss`, `miss`, `partial`), the answer
    /// stored.
    Miss,
    /// A miss whose answer the cache did not store.
    NotCacheable,
    /// The stored response was stale and went to the origin to be validated; a new response
    /// came back (§2.2 `fwd=stale`).
    Stale,
    /// Stale, validated, and the origin said 304 Not Modified: the stored one was served again
    /// (RFC 9111 §4.3.4).
    Revalidated,
    /// The request waited on another one's forward to the origin (§2.6).
    Collapsed,
    /// The cache passed the request through: `fwd=bypass`, `method` or `request`.
    Bypass,
    /// The member says neither `hit` nor `fwd`.
    Unknown,
}

/// The lifetime's source, as `detail` or the response's fields say it.
pub const LIFETIME_SOURCES: [&str; 5] = ["s-maxage", "max-age", "cdn-cache-control", "expires", "heuristic"];

/// One response's cache story.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheSeen {
    pub verdict: Verdict,
    /// The cache whose member decided: the last (closest to the client, RFC 9211 §2).
    pub cache: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fwd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fwd_status: Option<u16>,
    /// Seconds of freshness left (negative: stale by that much), §2.4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_s: Option<i64>,
    pub stored: bool,
    pub collapsed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// `Age` (RFC 9111 §5.1): seconds since the origin generated or validated the response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_s: Option<u64>,
    /// The freshness lifetime: `age_s + ttl_s` when both are known, else what the response's
    /// fields give a shared cache (RFC 9111 §4.2.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime_s: Option<u64>,
    /// Where the lifetime came from: one of [`LIFETIME_SOURCES`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime_from: Option<String>,
    /// The field and directive that decided it, as the response carried it
    /// (`Cache-Control: s-maxage=60`), or `Cache-Status detail=...`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    /// The origin's `X-Origin-Fetches` (the sandbox origin's count of fetches for the path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_fetches: Option<u64>,
    /// Every member, in the order the caches appended them.
    pub members: Vec<CacheMember>,
}

/// One Cache-Status member: the cache and its parameters as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheMember {
    pub cache: String,
    pub params: Vec<(String, String)>,
}

/// How the response's Cache-Status reads: absent, unreadable, or a story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    Absent,
    /// The field failed to parse as a Structured Fields List (RFC 9651 §4.2).
    Malformed,
    Seen(Box<CacheSeen>),
}

/// Reads a response's cache story; `now` (seconds since 1970) stands in for a missing `Date`
/// when `Expires` decides the lifetime.
pub fn read(status: u16, headers: &[(String, String)], now: i64) -> Read {
    let members = match sf::field(headers, "cache-status") {
        None => return Read::Absent,
        Some(Err(())) => return Read::Malformed,
        Some(Ok(m)) if m.is_empty() => return Read::Absent,
        Some(Ok(m)) => m,
    };
    let Some(last) = members.last() else {
        return Read::Absent;
    };
    let fwd = match last.param("fwd") {
        Some(Bare::Token(t)) => Some(t.clone()),
        _ => None,
    };
    let fwd_status = last.integer("fwd-status").and_then(|n| u16::try_from(n).ok());
    let stored = last.flag("stored");
    let collapsed = last.flag("collapsed");
    let verdict = verdict(last.flag("hit"), fwd.as_deref(), fwd_status, stored, collapsed);
    let detail = last.param("detail").map(Bare::text);
    let ttl_s = last.integer("ttl");
    let age_s = header(headers, "age").and_then(|a| a.trim().parse::<u64>().ok());
    // A response the cache did not store, or did not look up, had no lifetime there.
    let judged = !matches!(verdict, Verdict::NotCacheable | Verdict::Bypass);
    let (mut lifetime_s, mut lifetime_from, mut decided_by) = if judged {
        from_fields(status, headers, now)
    } else {
        (None, None, None)
    };
    if let (Some(age), Some(ttl)) = (age_s, ttl_s) {
        lifetime_s = Some(
            i64::try_from(age)
                .unwrap_or(i64::MAX)
                .saturating_add(ttl)
                .max(0)
                .unsigned_abs(),
        );
    }
    if let Some(d) = detail.as_ref().filter(|_| judged) {
        if let Some(source) = source_in_detail(d) {
            if lifetime_from.as_deref() != Some(source) {
                lifetime_from = Some(source.to_string());
                decided_by = Some(format!("Cache-Status detail={d}"));
            }
        }
    }
    Read::Seen(Box::new(CacheSeen {
        verdict,
        cache: last.name(),
        fwd,
        fwd_status,
        ttl_s,
        stored,
        collapsed,
        detail,
        age_s,
        lifetime_s,
        lifetime_from,
        decided_by,
        origin_fetches: header(headers, "x-origin-fetches").and_then(|v| v.trim().parse().ok()),
        members: members.iter().map(member).collect(),
    }))
}

/// The lifetime source a `detail` names, one of [`LIFETIME_SOURCES`]: the edge writes one
/// token from [`Source::detail`], where `cdn-s-maxage` and `cdn-max-age` both mean the
/// lifetime came from `CDN-Cache-Control`. Tokens are matched whole, so `cdn-max-age` is never
/// read as `max-age`.
fn source_in_detail(detail: &str) -> Option<&'static str> {
    detail
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .find_map(|token| match token {
            "cdn-s-maxage" | "cdn-max-age" => Some("cdn-cache-control"),
            other => LIFETIME_SOURCES.iter().copied().find(|s| *s == other),
        })
}

/// The verdict from the deciding member's parameters.
fn verdict(hit: bool, fwd: Option<&str>, fwd_status: Option<u16>, stored: bool, collapsed: bool) -> Verdict {
    match (hit, fwd) {
        _ if collapsed => Verdict::Collapsed,
        (true, _) => Verdict::Hit,
        (false, Some("stale")) if fwd_status == Some(304) => Verdict::Revalidated,
        (false, Some("stale")) => Verdict::Stale,
        (false, Some("uri-miss" | "vary-miss" | "miss" | "partial")) if stored => Verdict::Miss,
        (false, Some("uri-miss" | "vary-miss" | "miss" | "partial")) => Verdict::NotCacheable,
        (false, Some(_)) => Verdict::Bypass,
        (false, None) => Verdict::Unknown,
    }
}

fn member(m: &Member) -> CacheMember {
    CacheMember {
        cache: m.name(),
        params: m.params.iter().map(|(k, v)| (k.clone(), v.text())).collect(),
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The lifetime a shared cache gives the response from its own fields: a valid
/// `CDN-Cache-Control` first (RFC 9213 §2.1: a CDN then ignores `Cache-Control` and
/// `Expires`), else RFC 9111 §4.2.1's order (`s-maxage`, `max-age`, `Expires`, heuristic).
fn from_fields(status: u16, headers: &[(String, String)], now: i64) -> (Option<u64>, Option<String>, Option<String>) {
    let (directives, field, targeted) = match Directives::cdn_cache_control(headers) {
        Some(d) => (d, "CDN-Cache-Control", true),
        None => (Directives::cache_control(headers), "Cache-Control", false),
    };
    let life = freshness::lifetime(status, headers, &directives, targeted, now);
    let said = |directive: &str| {
        let value = life.secs;
        Some(format!("{field}: {directive}={value}"))
    };
    let (from, by) = match life.source {
        Source::CdnSMaxage => ("cdn-cache-control", said("s-maxage")),
        Source::CdnMaxAge => ("cdn-cache-control", said("max-age")),
        Source::SMaxage => ("s-maxage", said("s-maxage")),
        Source::MaxAge => ("max-age", said("max-age")),
        Source::Expires => ("expires", header(headers, "expires").map(|e| format!("Expires: {e}"))),
        Source::Heuristic => (
            "heuristic",
            header(headers, "last-modified").map(|l| format!("Last-Modified: {l}, 10% of its age")),
        ),
        Source::None => return (None, None, None),
    };
    (Some(life.secs), Some(from.to_string()), by)
}

impl CacheSeen {
    /// The story in words: `hit: age 12 s of a 60 s lifetime (Cache-Control: s-maxage=60): 48 s
    /// left`, `miss: nothing stored for the URL; the origin answered 200, stored`.
    pub fn words(&self) -> String {
        let lifetime = match (self.lifetime_s, &self.decided_by) {
            (Some(l), Some(by)) => format!("a {l} s lifetime ({by})"),
            (Some(l), None) => format!("a {l} s lifetime"),
            (None, _) => "its lifetime".to_string(),
        };
        let origin = |stored: bool| match self.fwd_status {
            Some(s) => format!(
                "the origin answered {s}, {}",
                if stored { "stored" } else { "not stored" }
            ),
            None => format!("went to the origin, {}", if stored { "stored" } else { "not stored" }),
        };
        let missed = match self.fwd.as_deref() {
            Some("vary-miss") => "stored responses for the URL, but none whose Vary fields match this request",
            Some("partial") => "only part of the response stored",
            _ => "nothing stored for the URL",
        };
        match self.verdict {
            Verdict::Hit => match (self.age_s, self.ttl_s) {
                (Some(age), Some(ttl)) if ttl >= 0 => format!("hit: age {age} s of {lifetime}: {ttl} s left"),
                (Some(age), Some(ttl)) => format!("hit, stale: age {age} s, {} s past {lifetime}", -ttl),
                (Some(age), None) => format!("hit: age {age} s of {lifetime}"),
                (None, _) => format!("hit: served from the cache ({lifetime})"),
            },
            Verdict::Miss => format!("miss: {missed}; {}", origin(true)),
            Verdict::NotCacheable => format!("not cacheable: {missed}; {}", origin(false)),
            Verdict::Stale => format!(
                "stale: the stored response had outlived {lifetime}; the cache asked the origin to validate it and {}",
                origin(self.stored).replacen("the origin answered", "got", 1)
            ),
            Verdict::Revalidated => format!(
                "revalidated: the stored response needed the origin's word (stale, or no-cache); it answered 304 Not Modified, so the stored one was served{}",
                match self.lifetime_s {
                    Some(l) if l > 0 => format!(", fresh again for {lifetime}"),
                    _ => String::new(),
                }
            ),
            Verdict::Collapsed => format!(
                "collapsed: waited for another request's fetch of the same URL and was answered with it ({})",
                origin(self.stored)
            ),
            Verdict::Bypass => format!(
                "bypass: the cache passed the request through (fwd={}); {}",
                self.fwd.as_deref().unwrap_or("?"),
                origin(self.stored)
            ),
            Verdict::Unknown => format!("{}: Cache-Status says neither hit nor fwd", self.cache),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    fn seen(pairs: &[(&str, &str)]) -> CacheSeen {
        match read(200, &h(pairs), 0) {
            Read::Seen(s) => *s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_last_member_decides_rfc9211_2() {
        // RFC 9211 §2's example: two caches, the one nearer the client last.
        let s = seen(&[(
            "Cache-Status",
            "ExampleCache; hit, OriginCache; fwd=uri-miss; stored; collapsed",
        )]);
        assert_eq!(s.cache, "OriginCache");
        assert_eq!(s.verdict, Verdict::Collapsed);
        assert!(s.stored && s.collapsed);
        assert_eq!(s.members.len(), 2);
        assert_eq!(s.members[0].params, [("hit".to_string(), "true".to_string())]);
        // Names may be Strings; ttl and fwd-status are Integers.
        let s = seen(&[(
            "Cache-Status",
            "OriginCache; hit; ttl=1100, \"CDN Company Here\"; hit; ttl=545",
        )]);
        assert_eq!(
            (s.cache.as_str(), s.verdict, s.ttl_s),
            ("CDN Company Here", Verdict::Hit, Some(545))
        );
    }

    #[test]
    fn verdicts_from_parameters_rfc9211_2_1_to_2_6() {
        let v = |cs: &str| seen(&[("Cache-Status", cs)]).verdict;
        assert_eq!(v("netlab; fwd=uri-miss; fwd-status=200; stored"), Verdict::Miss);
        assert_eq!(v("netlab; fwd=vary-miss; fwd-status=200; stored"), Verdict::Miss);
        assert_eq!(v("netlab; fwd=uri-miss; fwd-status=200"), Verdict::NotCacheable);
        assert_eq!(v("netlab; fwd=stale; fwd-status=304; ttl=60"), Verdict::Revalidated);
        assert_eq!(v("netlab; fwd=stale; fwd-status=200; stored"), Verdict::Stale);
        assert_eq!(v("netlab; fwd=method; fwd-status=200"), Verdict::Bypass);
        assert_eq!(v("netlab; fwd=request"), Verdict::Bypass);
        assert_eq!(v("netlab; detail=whatever"), Verdict::Unknown);
        assert_eq!(read(200, &h(&[("Cache-Status", "netlab; hit,")]), 0), Read::Malformed);
        assert_eq!(read(200, &h(&[("Age", "3")]), 0), Read::Absent);
    }

    #[test]
    fn a_hit_tells_age_lifetime_and_what_is_left_rfc9111_4_2() {
        let s = seen(&[
            ("Cache-Status", "netlab; hit; ttl=48"),
            ("Age", "12"),
            ("Cache-Control", "public, s-maxage=60, max-age=10"),
        ]);
        assert_eq!((s.age_s, s.lifetime_s), (Some(12), Some(60)));
        assert_eq!(s.lifetime_from.as_deref(), Some("s-maxage"));
        assert_eq!(
            s.words(),
            "hit: age 12 s of a 60 s lifetime (Cache-Control: s-maxage=60): 48 s left"
        );
    }

    #[test]
    fn the_lifetime_source_from_cdn_cache_control_expires_or_detail() {
        let s = seen(&[
            ("Cache-Status", "netlab; fwd=uri-miss; fwd-status=200; stored"),
            ("CDN-Cache-Control", "max-age=300"),
            ("Cache-Control", "max-age=5"),
        ]);
        assert_eq!(s.lifetime_from.as_deref(), Some("cdn-cache-control"));
        assert_eq!(s.lifetime_s, Some(300));
        assert_eq!(
            s.words(),
            "miss: nothing stored for the URL; the origin answered 200, stored"
        );
        let s = seen(&[
            ("Cache-Status", "netlab; fwd=uri-miss; fwd-status=200; stored"),
            ("Date", "Sun, 06 Nov 1994 08:49:37 GMT"),
            ("Expires", "Sun, 06 Nov 1994 08:50:37 GMT"),
        ]);
        assert_eq!((s.lifetime_s, s.lifetime_from.as_deref()), (Some(60), Some("expires")));
        // A detail naming the source wins over what the fields suggest (the cache knows).
        let s = seen(&[("Cache-Status", "netlab; hit; ttl=5; detail=heuristic"), ("Age", "1")]);
        assert_eq!(s.lifetime_from.as_deref(), Some("heuristic"));
        assert_eq!(s.decided_by.as_deref(), Some("Cache-Status detail=heuristic"));
        assert_eq!(s.lifetime_s, Some(6));
        // The edge's `cdn-max-age` names CDN-Cache-Control, not Cache-Control's max-age.
        let s = seen(&[
            ("Cache-Status", "netlab; hit; ttl=59; detail=cdn-max-age"),
            ("Age", "1"),
            ("Cache-Control", "max-age=5"),
        ]);
        assert_eq!(s.lifetime_from.as_deref(), Some("cdn-cache-control"));
        assert_eq!(s.decided_by.as_deref(), Some("Cache-Status detail=cdn-max-age"));
    }

    #[test]
    fn not_stored_revalidated_and_collapsed_in_words() {
        let s = seen(&[
            ("Cache-Status", "netlab; fwd=uri-miss; fwd-status=200"),
            ("Cache-Control", "no-store"),
            ("X-Origin-Fetches", "3"),
        ]);
        assert_eq!(
            s.words(),
            "not cacheable: nothing stored for the URL; the origin answered 200, not stored"
        );
        assert_eq!(s.origin_fetches, Some(3));
        // Not stored: no lifetime at the cache, whatever max-age says to a browser.
        let s = seen(&[
            ("Cache-Status", "netlab; fwd=uri-miss; fwd-status=200"),
            ("Cache-Control", "private, max-age=60"),
        ]);
        assert_eq!((s.lifetime_s, s.lifetime_from), (None, None));
        let s = seen(&[
            ("Cache-Status", "netlab; fwd=stale; fwd-status=304; ttl=60"),
            ("Age", "0"),
        ]);
        assert!(s.words().starts_with("revalidated: "), "{}", s.words());
        let s = seen(&[(
            "Cache-Status",
            "netlab; fwd=uri-miss; fwd-status=200; stored; collapsed",
        )]);
        assert!(s.words().starts_with("collapsed: "), "{}", s.words());
    }
}
