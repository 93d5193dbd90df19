//! What the edge did over a whole fetch (`http.edge`): the caches' hit ratio across the
//! responses, and with `--rate` or rate-limit fields, allowed and limited requests second by
//! second and the first 429's story. Pure, from the responses the fetch saw.

use serde::{Deserialize, Serialize};

use super::cache_status::{CacheSeen, Verdict};
use super::events::ResponseSeen;
use super::pace::Pacing;
use super::rate_fields::RateLimitSeen;
use crate::edge::cache::directives::Directives;
use crate::trace::Note;

/// One protocol's fetch, as the edge saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdgeSummary {
    /// `h2` or `h3`.
    pub protocol: String,
    pub responses: u32,
    /// `--rate`: how the requests were paced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pacing: Option<Paced>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<CacheTally>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<RateTally>,
}

/// The pacing asked for, and what it came to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paced {
    /// `20/s`, `5/100ms in bursts of 2`.
    pub rate: String,
    pub per_second: f64,
    pub burst: u32,
    /// The requests' spread: the last one's send time less the first's.
    pub spread_us: u64,
}

/// The responses by cache verdict (those with a `Cache-Status`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheTally {
    /// Responses with a Cache-Status.
    pub responses: u32,
    pub hits: u32,
    pub misses: u32,
    pub not_cacheable: u32,
    pub stale: u32,
    pub revalidated: u32,
    pub collapsed: u32,
    pub bypass: u32,
    /// `hits / responses` (of all the fetch's responses).
    pub hit_ratio: f64,
    /// Responses the origin did not have to make: hits and collapsed requests (revalidations
    /// still asked the origin, if only for a 304).
    pub origin_fetches_saved: u32,
}

/// Allowed and limited requests over time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateTally {
    pub allowed: u32,
    /// Responses with status 429.
    pub limited: u32,
    /// Per second since the first request was sent.
    pub per_second: Vec<SecondRow>,
    /// The first 429, in sending order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_limited: Option<FirstLimited>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondRow {
    /// Seconds since the first request, from 0.
    pub second: u64,
    pub allowed: u32,
    pub limited: u32,
}

/// The first limited response: which request, when, and what its fields said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstLimited {
    /// Its place in sending order, from 1.
    pub request: u32,
    /// Requests allowed before it.
    pub allowed_before: u32,
    /// When it was sent, µs after the first request.
    pub after_us: u64,
    pub fields: RateLimitSeen,
}

/// Sums up a fetch's responses; `None` when nothing about the edge is to be said (no
/// Cache-Status, no rate-limit field, no `--rate`).
pub fn summarise(protocol: &str, responses: &[ResponseSeen], pacing: Option<Pacing>) -> Option<EdgeSummary> {
    let mut in_order: Vec<&ResponseSeen> = responses.iter().collect();
    in_order.sort_by_key(|r| (r.sent_us, r.request));
    let first_sent = in_order.first().map_or(0, |r| r.sent_us);
    let total = u32::try_from(responses.len()).unwrap_or(u32::MAX);
    let cache = tally(responses, total);
    let rate = (pacing.is_some() || responses.iter().any(|r| r.ratelimit.is_some()))
        .then(|| rate_tally(&in_order, first_sent));
    let pacing = pacing.map(|p| Paced {
        rate: p.label(),
        per_second: p.per_second(),
        burst: p.burst,
        spread_us: in_order.last().map_or(0, |r| r.sent_us.saturating_sub(first_sent)),
    });
    (cache.is_some() || rate.is_some() || pacing.is_some()).then(|| EdgeSummary {
        protocol: protocol.to_string(),
        responses: total,
        pacing,
        cache,
        rate,
    })
}

fn tally(responses: &[ResponseSeen], total: u32) -> Option<CacheTally> {
    let verdicts: Vec<Verdict> = responses
        .iter()
        .filter_map(|r| r.cache.as_ref().map(|c| c.verdict))
        .collect();
    if verdicts.is_empty() {
        return None;
    }
    let count = |v: Verdict| u32::try_from(verdicts.iter().filter(|x| **x == v).count()).unwrap_or(u32::MAX);
    let hits = count(Verdict::Hit);
    Some(CacheTally {
        responses: u32::try_from(verdicts.len()).unwrap_or(u32::MAX),
        hits,
        misses: count(Verdict::Miss),
        not_cacheable: count(Verdict::NotCacheable),
        stale: count(Verdict::Stale),
        revalidated: count(Verdict::Revalidated),
        collapsed: count(Verdict::Collapsed),
        bypass: count(Verdict::Bypass),
        hit_ratio: f64::from(hits) / f64::from(total.max(1)),
        origin_fetches_saved: hits + count(Verdict::Collapsed),
    })
}

fn rate_tally(in_order: &[&ResponseSeen], first_sent: u64) -> RateTally {
    let mut per_second: Vec<SecondRow> = Vec::new();
    let mut first_limited = None;
    let (mut allowed, mut limited) = (0u32, 0u32);
    for r in in_order {
        let after_us = r.sent_us.saturating_sub(first_sent);
        let second = after_us / 1_000_000;
        // Rows for every second up to this one, empty ones included: a gap is part of the story.
        while per_second.last().is_none_or(|row| row.second < second) {
            let next = per_second.last().map_or(0, |row| row.second + 1);
            per_second.push(SecondRow {
                second: next,
                allowed: 0,
                limited: 0,
            });
        }
        let Some(row) = per_second.last_mut() else { continue };
        if r.status == 429 {
            row.limited += 1;
            if first_limited.is_none() {
                first_limited = r.ratelimit.clone().map(|fields| FirstLimited {
                    request: r.request,
                    allowed_before: allowed,
                    after_us,
                    fields,
                });
            }
            limited += 1;
        } else {
            row.allowed += 1;
            allowed += 1;
        }
    }
    RateTally {
        allowed,
        limited,
        per_second,
        first_limited,
    }
}

/// A response's rate-limit fields in one line: `allowed: 7 of 10 left per 1 s, more in 1 s`.
pub fn limit_words(l: &RateLimitSeen) -> String {
    let quota = l.policy.as_ref().map(|p| {
        let window = p.window_s.map(|w| format!(" per {w} s")).unwrap_or_default();
        format!(" of {} {}{window}", p.quota, p.unit.as_deref().unwrap_or("requests"))
    });
    let left = l
        .remaining
        .map(|r| format!("{r} left{}", quota.unwrap_or_default()))
        .unwrap_or_else(|| "no RateLimit field".to_string());
    let reset = l.reset_s.map(|t| format!(", more quota in {t} s")).unwrap_or_default();
    let retry = l
        .retry_after_s
        .map(|s| format!("; Retry-After {s} s"))
        .unwrap_or_default();
    let ignored = if l.ignored.is_empty() {
        String::new()
    } else {
        format!(" ({} malformed, ignored)", l.ignored.join(", "))
    };
    let what = if l.limited { "limited (429)" } else { "allowed" };
    format!("{what}: {left}{reset}{retry}{ignored}")
}

/// What a limited response's fields tell a client to do, field by field.
pub fn story(l: &RateLimitSeen) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(s) = l.retry_after_s {
        lines.push(format!(
            "Retry-After: {s}  wait {s} s before sending again; it takes precedence over RateLimit's t (RFC 9110 §10.2.3; draft-ietf-httpapi-ratelimit-headers-10 §7)"
        ));
    }
    if let Some(r) = l.remaining {
        let reset = l.reset_s.map(|t| format!(";t={t}")).unwrap_or_default();
        let when = l.reset_s.map(|t| format!(" for the next {t} s")).unwrap_or_default();
        lines.push(format!(
            "RateLimit: r={r}{reset}  {r} request(s) left{when} (draft §4.1.1, §4.1.2)"
        ));
    }
    if let Some(p) = &l.policy {
        let pace = p.window_s.map(|w| {
            format!(
                ": to stay under it, send at most {:.1} per second on average",
                p.quota as f64 / w as f64
            )
        });
        let window = p.window_s.map(|w| format!(";w={w}")).unwrap_or_default();
        lines.push(format!(
            "RateLimit-Policy: q={}{window}  the quota, {} per {} s{} (draft §3.1)",
            p.quota,
            p.quota,
            p.window_s.map_or("?".to_string(), |w| w.to_string()),
            pace.unwrap_or_default()
        ));
    }
    if lines.is_empty() {
        lines.push("no Retry-After and no RateLimit fields: nothing tells the client when to come back (RFC 6585 §4 says a 429 MAY carry Retry-After)".to_string());
    }
    lines
}

/// Teaching notes for one response: what its cache verdict and rate-limit fields mean, each
/// only when the response shows the thing.
pub fn response_notes(r: &ResponseSeen) -> Vec<Note> {
    let mut notes = Vec::new();
    if let Some(c) = &r.cache {
        notes.extend(verdict_note(c, r));
        notes.extend(lifetime_note(c));
    }
    if let Some(l) = &r.ratelimit {
        notes.extend(rate_note(l));
    }
    notes
}

fn verdict_note(c: &CacheSeen, r: &ResponseSeen) -> Option<Note> {
    let stored = if c.stored {
        " and stored says it kept the answer for the next request (§2.5)"
    } else {
        ""
    };
    let (topic, text, reference) = match c.verdict {
        Verdict::Hit => (
            "http.cache.hit",
            format!(
                "hit: the cache answered from its store without asking the origin. A stored response is fresh while its age is below its freshness lifetime{}.",
                match (c.age_s, c.ttl_s) {
                    (Some(a), Some(t)) => format!("; Age says it is {a} s old and ttl that {t} s of freshness are left"),
                    _ => String::new(),
                }
            ),
            "RFC 9211 §2.1, §2.4; RFC 9111 §4.2, §5.1",
        ),
        Verdict::Miss => (
            "http.cache.miss",
            format!(
                "fwd={}: the cache had no stored response it could use for this request and forwarded it; fwd-status is what the origin answered{stored}.",
                c.fwd.as_deref().unwrap_or("miss")
            ),
            "RFC 9211 §2.2, §2.3, §2.5",
        ),
        Verdict::NotCacheable => (
            "http.cache.not_stored",
            format!(
                "The cache forwarded the request and did not store the answer (no stored parameter){}.",
                not_stored_because(&r.headers)
            ),
            "RFC 9211 §2.5; RFC 9111 §3, §5.2.2",
        ),
        Verdict::Stale => (
            "http.cache.stale",
            "fwd=stale: the stored response had outlived its freshness lifetime, so the cache asked the origin before using it; the origin sent a whole new response rather than a 304.".to_string(),
            "RFC 9211 §2.2; RFC 9111 §4.2, §4.3",
        ),
        Verdict::Revalidated => (
            "http.cache.revalidated",
            "The stored response was stale, so the cache sent the origin a conditional request (If-None-Match or If-Modified-Since); fwd-status=304 is the origin saying \"unchanged\", and the stored response was served again with its freshness renewed, without the body crossing again.".to_string(),
            "RFC 9211 §2.2, §2.3; RFC 9111 §4.3.1, §4.3.4",
        ),
        Verdict::Collapsed => (
            "http.cache.collapsed",
            "collapsed: another request for the same URL was already on its way to the origin, and this one waited for that answer instead of sending its own.".to_string(),
            "RFC 9211 §2.6",
        ),
        Verdict::Bypass => (
            "http.cache.bypass",
            format!(
                "fwd={}: the cache did not look in its store for this request{}.",
                c.fwd.as_deref().unwrap_or("bypass"),
                match c.fwd.as_deref() {
                    Some("method") => ": its method is not one a cache answers (only GET and HEAD are looked up)",
                    Some("request") => ": the request's own directives (no-cache, Authorization) asked for the origin",
                    _ => "",
                }
            ),
            "RFC 9211 §2.2; RFC 9111 §4",
        ),
        Verdict::Unknown => return None,
    };
    Some(Note::new(topic, text, Some(reference)))
}

/// Why a response a shared cache saw was not stored, when its own fields say it.
fn not_stored_because(headers: &[(String, String)]) -> &'static str {
    let cc = Directives::cache_control(headers);
    if cc.has("no-store") {
        ": its Cache-Control says no-store"
    } else if cc.unqualified("private") {
        ": its Cache-Control says private, for a browser's own cache only"
    } else {
        ""
    }
}

fn lifetime_note(c: &CacheSeen) -> Option<Note> {
    let (topic, text, reference) = match c.lifetime_from.as_deref()? {
        "s-maxage" => (
            "http.cache.s_maxage",
            "s-maxage is for shared caches (CDNs, proxies) only, and there it wins over max-age and Expires.",
            "RFC 9111 §4.2.1, §5.2.2.10",
        ),
        "max-age" => (
            "http.cache.max_age",
            "max-age: how many seconds the response stays fresh after the origin generated it; Age counts from the same moment.",
            "RFC 9111 §4.2.1, §5.2.2.1",
        ),
        "cdn-cache-control" => (
            "http.cache.cdn_cache_control",
            "CDN-Cache-Control speaks to CDNs only: a CDN that understands it uses its directives and ignores Cache-Control and Expires, so the origin can tell browsers one lifetime and the CDN another.",
            "RFC 9213 §2.1",
        ),
        "expires" => (
            "http.cache.expires",
            "With no max-age, the lifetime is Expires minus Date; an invalid Expires means already stale.",
            "RFC 9111 §4.2.1, §5.3",
        ),
        "heuristic" => (
            "http.cache.heuristic",
            "No explicit lifetime: the cache guessed one, typically a fraction (10%) of the time since Last-Modified.",
            "RFC 9111 §4.2.2",
        ),
        _ => return None,
    };
    Some(Note::new(topic, text, Some(reference)))
}

fn rate_note(l: &RateLimitSeen) -> Option<Note> {
    if l.limited {
        let wait = match l.retry_after_s {
            Some(s) => format!(" Retry-After says to wait {s} s before trying again; when RateLimit is there too, Retry-After takes precedence over its t."),
            None => " It carried no Retry-After, so the client has to guess when to come back.".to_string(),
        };
        return Some(Note::new(
            "http.ratelimit.429",
            format!("429 Too Many Requests: the server's limiter refused this request before doing its work.{wait}"),
            Some("RFC 6585 §4; RFC 9110 §10.2.3; draft-ietf-httpapi-ratelimit-headers-10 §7"),
        ));
    }
    let (p, r) = (l.policy.as_ref()?, l.remaining?);
    let window = p.window_s.map(|w| format!(" per w={w} s")).unwrap_or_default();
    let reset = l
        .reset_s
        .map(|t| format!(", and t={t} s until more quota"))
        .unwrap_or_default();
    Some(Note::new(
        "http.ratelimit.fields",
        format!(
            "RateLimit-Policy states the quota, the same on every response: q={}{window}. RateLimit says where this client stands now: r={r} left{reset}. A client should not spend more than r before t has passed.",
            p.quota
        ),
        Some("draft-ietf-httpapi-ratelimit-headers-10 §3.1, §4.1, §7"),
    ))
}

/// Teaching notes for the whole fetch: the hit ratio, and the first 429's story.
pub fn notes(e: &EdgeSummary) -> Vec<Note> {
    let mut notes = Vec::new();
    if let Some(c) = &e.cache {
        let revalidated = if c.revalidated > 0 {
            " A revalidation still asks the origin, but only for a 304 without the body."
        } else {
            ""
        };
        notes.push(Note::new(
            "http.edge.hit_ratio",
            format!(
                "The hit ratio is the share of responses the cache answered itself ({} of {} here); each hit is one request the origin did not have to serve.{revalidated}",
                c.hits, e.responses
            ),
            Some("RFC 9111 §4; RFC 9211 §2.1"),
        ));
    }
    if let Some(first) = e.rate.as_ref().and_then(|r| r.first_limited.as_ref()) {
        notes.push(Note::new(
            "http.edge.limited",
            format!(
                "{} request(s) got through before the first 429: past its quota the server refuses until quota comes back. A client that reads RateLimit (r left, t seconds to go) can pace itself before it gets there.",
                first.allowed_before
            ),
            Some("draft-ietf-httpapi-ratelimit-headers-10 §4.1.1, §7; RFC 6585 §4"),
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(request: u32, sent_us: u64, status: u16, headers: &[(&str, &str)]) -> ResponseSeen {
        let mut r = ResponseSeen {
            protocol: "h2".into(),
            stream: u64::from(request) * 2 - 1,
            request,
            status,
            headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
            body_bytes: 0,
            sent_us,
            first_byte_us: sent_us,
            done_us: sent_us,
            ..Default::default()
        };
        r.read_edge_fields(0);
        r
    }

    #[test]
    fn one_miss_then_hits_is_a_hit_ratio_of_four_fifths() {
        let mut rs = vec![response(
            1,
            0,
            200,
            &[("Cache-Status", "netlab; fwd=uri-miss; fwd-status=200; stored")],
        )];
        for i in 2..=5 {
            rs.push(response(
                i,
                u64::from(i) * 1000,
                200,
                &[("Cache-Status", "netlab; hit; ttl=59"), ("Age", "1")],
            ));
        }
        let s = summarise("h2", &rs, None).unwrap();
        let c = s.cache.unwrap();
        assert_eq!((c.hits, c.misses, c.origin_fetches_saved), (4, 1, 4));
        assert!((c.hit_ratio - 0.8).abs() < 1e-9);
        assert_eq!(s.rate, None);
        assert_eq!(summarise("h2", &[response(1, 0, 200, &[])], None), None);
    }

    #[test]
    fn allowed_and_limited_per_second_and_the_first_429() {
        let ok = [
            ("RateLimit-Policy", "\"edge\";q=10;w=1"),
            ("RateLimit", "\"edge\";r=5;t=1"),
        ];
        let no = [
            ("RateLimit-Policy", "\"edge\";q=10;w=1"),
            ("RateLimit", "\"edge\";r=0;t=1"),
            ("Retry-After", "1"),
        ];
        let mut rs = Vec::new();
        for i in 1..=12u32 {
            rs.push(response(
                i,
                u64::from(i - 1) * 50_000,
                if i > 10 { 429 } else { 200 },
                if i > 10 { &no } else { &ok },
            ));
        }
        rs.push(response(13, 2_100_000, 200, &ok));
        let pacing = Pacing {
            requests: 20,
            window_ns: 1_000_000_000,
            burst: 1,
        };
        let s = summarise("h2", &rs, Some(pacing)).unwrap();
        let r = s.rate.unwrap();
        assert_eq!((r.allowed, r.limited), (11, 2));
        let rows: Vec<(u64, u32, u32)> = r.per_second.iter().map(|x| (x.second, x.allowed, x.limited)).collect();
        assert_eq!(rows, [(0, 10, 2), (1, 0, 0), (2, 1, 0)]);
        let first = r.first_limited.unwrap();
        assert_eq!((first.request, first.allowed_before, first.after_us), (11, 10, 500_000));
        assert_eq!(first.fields.retry_after_s, Some(1));
        let p = s.pacing.unwrap();
        assert_eq!((p.rate.as_str(), p.spread_us), ("20/s", 2_100_000));
    }
}
