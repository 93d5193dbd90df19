//! origin.example.com: the web server behind the sandbox's CDN, with one path per caching rule.
//!
//! A cache decides from what the origin says (RFC 9111): `Cache-Control`, `Expires`,
//! `Last-Modified`, `ETag`, `Vary`. Each path under `/cache/` says one thing, so that a learner
//! can watch the edge (`cdn.example.net`, [`super::cdn`]) apply one rule at a time:
//!
//! | path | what the origin says | what a shared cache does |
//! |---|---|---|
//! | `/cache/max-age/N` | `Cache-Control: max-age=N` | fresh for N s (§5.2.2.1) |
//! | `/cache/s-maxage/N` | `max-age=0, s-maxage=N` | shared caches: N s; browsers: 0 (§5.2.2.10) |
//! | `/cache/cdn/N` | `CDN-Cache-Control: max-age=N`, `Cache-Control: max-age=5` | a CDN: N s (RFC 9213) |
//! | `/cache/expires/N` | `Expires:` N s after `Date` | fresh for N s (§5.3) |
//! | `/cache/heuristic` | only `Last-Modified`, 10 days ago | 10 % of that, capped at a day (§4.2.2) |
//! | `/cache/none` | nothing | stored, stale at once: every request goes to the origin |
//! | `/cache/no-store` | `no-store` | never stored (§5.2.2.5) |
//! | `/cache/private` | `private, max-age=60` | a shared cache never stores it (§5.2.2.7) |
//! | `/cache/no-cache` | `no-cache` and an `ETag` | stored, validated every time (§5.2.2.4) |
//! | `/cache/etag/N` | `max-age=N` and an `ETag` | after N s: `If-None-Match`, `304` (§4.3) |
//! | `/cache/last-modified/N` | `max-age=N` and `Last-Modified` | after N s: `If-Modified-Since`, `304` |
//! | `/cache/vary` | `Vary: Accept-Language`, `max-age=60` | one copy per language (§4.1) |
//! | `/cache/swr/N` | `max-age=N, stale-while-revalidate=60` | stale served at once, refreshed behind (RFC 5861 §3) |
//! | `/cache/sie/N` | `max-age=N, stale-if-error=60`; fails (503) from its second fetch on | stale served instead of the error (RFC 5861 §4) |
//! | `/cache/slow/MS` | `max-age=60`, after MS ms | concurrent misses wait on one fetch (collapsing) |
//!
//! `/api/...` answers `no-store` JSON (the CDN puts a rate limit in front of it), and every other
//! path is the sandbox's usual content ([`super::http::answer`]). Every answer carries `Date` and
//! `X-Origin-Fetches: K`, the number of times the origin has been asked for that path (with its
//! query) since the sandbox started: the count a cache is there to keep low.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use super::http::{Answer, Body, MAX_DELAY_MS};
use crate::edge::cache::date;

/// The validator `/cache/etag/N` and `/cache/no-cache` carry (a strong entity tag, RFC 9110 §8.8.3).
pub const ETAG: &str = "\"netlab-v1\"";
/// What `/cache/last-modified/N` says: 2026-11-01 00:00:00 UTC.
pub const LAST_MODIFIED: i64 = 1_793_491_200;
/// How long before the response `/cache/heuristic`'s content last changed: 10 days, so the
/// 10 % heuristic gives one day.
pub const HEURISTIC_AGE: i64 = 10 * 86_400;
/// The most paths whose fetches are counted; past it, new paths count from 1 without being kept.
const MAX_COUNTED: usize = 10_000;

/// The origin's memory: how often each path was fetched.
#[derive(Debug, Default)]
pub struct Origin {
    fetches: Mutex<HashMap<String, u64>>,
}

/// What the origin answers: a status, its fields, the body, and how long it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
    pub delay: Duration,
}

impl Origin {
    /// Counts one more fetch of `target` and returns the count.
    fn count(&self, target: &str) -> u64 {
        let mut fetches = match self.fetches.lock() {
            Ok(f) => f,
            Err(poisoned) => poisoned.into_inner(),
        };
        if fetches.len() >= MAX_COUNTED && !fetches.contains_key(target) {
            return 1;
        }
        let n = fetches.entry(target.to_string()).or_insert(0);
        *n += 1;
        *n
    }

    /// Answers a request for `target` (path and query) at `now` (seconds since the epoch).
    /// `headers` are the request's, names in lower case.
    pub fn answer(&self, method: &str, target: &str, headers: &[(String, String)], now: i64) -> OriginAnswer {
        let fetch = self.count(target);
        let path = target.split('?').next().unwrap_or("/");
        let mut a = if let Some(rule) = path.strip_prefix("/cache/") {
            cache_rule(rule, headers, now, fetch)
        } else if path.starts_with("/api/") {
            OriginAnswer {
                status: 200,
                headers: vec![
                    ("Content-Type".into(), "application/json".into()),
                    ("Cache-Control".into(), "no-store".into()),
                ],
                body: Body::Text(api_body(path, fetch)),
                delay: Duration::ZERO,
            }
        } else {
            let Answer {
                status,
                content_type,
                delay,
                body,
            } = super::http::answer(method, target, headers, "HTTP/1.1");
            OriginAnswer {
                status,
                headers: vec![("Content-Type".into(), content_type.into())],
                body,
                delay,
            }
        };
        if method != "GET" && method != "HEAD" && a.status != 405 {
            a = OriginAnswer {
                status: 405,
                headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
                body: Body::Text(format!("{method} is not served here: use GET or HEAD\n")),
                delay: Duration::ZERO,
            };
        }
        a.headers.insert(0, ("Date".into(), date::format(now)));
        a.headers.push(("X-Origin-Fetches".into(), fetch.to_string()));
        a
    }
}

/// What `/api/...` answers: the path and the fetch count, as JSON.
#[derive(serde::Serialize)]
struct ApiAnswer<'a> {
    path: &'a str,
    fetch: u64,
}

fn api_body(path: &str, fetch: u64) -> String {
    serde_json::to_string(&ApiAnswer { path, fetch }).unwrap_or_default() + "\n"
}

/// The answer of `/cache/RULE`.
fn cache_rule(rule: &str, headers: &[(String, String)], now: i64, fetch: u64) -> OriginAnswer {
    let (name, arg) = rule.split_once('/').unwrap_or((rule, ""));
    let n = arg.parse::<u64>().ok().filter(|n| *n <= 31_536_000);
    let text = |fields: Vec<(&str, String)>, body: String| OriginAnswer {
        status: 200,
        headers: std::iter::once(("Content-Type".to_string(), "text/plain; charset=utf-8".to_string()))
            .chain(fields.into_iter().map(|(n, v)| (n.to_string(), v)))
            .collect(),
        body: Body::Text(body),
        delay: Duration::ZERO,
    };
    let said = |what: &str| format!("origin fetch {fetch} of /cache/{rule}: {what}\n");
    let not_modified = |fields: Vec<(&str, String)>| OriginAnswer {
        status: 304,
        body: Body::Text(String::new()),
        ..text(fields, String::new())
    };
    match (name, n) {
        ("max-age", Some(n)) => text(vec![("Cache-Control", format!("max-age={n}"))], said("max-age")),
        ("s-maxage", Some(n)) => text(
            vec![("Cache-Control", format!("max-age=0, s-maxage={n}"))],
            said("s-maxage for shared caches, max-age=0 for browsers"),
        ),
        ("cdn", Some(n)) => text(
            vec![
                ("Cache-Control", "max-age=5".to_string()),
                ("CDN-Cache-Control", format!("max-age={n}")),
            ],
            said("CDN-Cache-Control for the CDN, Cache-Control for the rest"),
        ),
        ("expires", Some(n)) => text(
            vec![("Expires", date::format(now + n as i64))],
            said("Expires, no Cache-Control"),
        ),
        ("heuristic", None) if arg.is_empty() => text(
            vec![("Last-Modified", date::format(now - HEURISTIC_AGE))],
            said("only Last-Modified: the cache guesses"),
        ),
        ("none", None) if arg.is_empty() => text(vec![], said("no caching fields at all")),
        ("no-store", None) if arg.is_empty() => text(vec![("Cache-Control", "no-store".into())], said("no-store")),
        ("private", None) if arg.is_empty() => text(
            vec![("Cache-Control", "private, max-age=60".into())],
            said("private: for one user's cache only"),
        ),
        ("no-cache", None) if arg.is_empty() => {
            let fields = vec![("Cache-Control", "no-cache".to_string()), ("ETag", ETAG.to_string())];
            if matches_etag(headers) {
                not_modified(fields)
            } else {
                text(fields, said("no-cache: ask me every time"))
            }
        }
        ("etag", Some(n)) => {
            let fields = vec![("Cache-Control", format!("max-age={n}")), ("ETag", ETAG.to_string())];
            if matches_etag(headers) {
                not_modified(fields)
            } else {
                text(fields, said("max-age with an ETag"))
            }
        }
        ("last-modified", Some(n)) => {
            let fields = vec![
                ("Cache-Control", format!("max-age={n}")),
                ("Last-Modified", date::format(LAST_MODIFIED)),
            ];
            let unchanged = header(headers, "if-modified-since")
                .and_then(date::parse)
                .is_some_and(|since| since >= LAST_MODIFIED);
            if unchanged && header(headers, "if-none-match").is_none() {
                not_modified(fields)
            } else {
                text(fields, said("max-age with Last-Modified"))
            }
        }
        ("vary", None) if arg.is_empty() => {
            let language = header(headers, "accept-language").unwrap_or("(none)");
            text(
                vec![
                    ("Cache-Control", "max-age=60".into()),
                    ("Vary", "Accept-Language".into()),
                    ("Content-Language", content_language(language).into()),
                ],
                said(&format!("for Accept-Language {language}")),
            )
        }
        ("swr", Some(n)) => text(
            vec![("Cache-Control", format!("max-age={n}, stale-while-revalidate=60"))],
            said("stale-while-revalidate"),
        ),
        ("sie", Some(n)) if fetch == 1 => text(
            vec![("Cache-Control", format!("max-age={n}, stale-if-error=60"))],
            said("stale-if-error; every later fetch fails"),
        ),
        ("sie", Some(_)) => OriginAnswer {
            status: 503,
            ..text(
                vec![("Cache-Control", "no-store".into())],
                said("the origin is failing (503)"),
            )
        },
        ("slow", Some(ms)) if ms <= MAX_DELAY_MS => OriginAnswer {
            delay: Duration::from_millis(ms),
            ..text(
                vec![("Cache-Control", "max-age=60".into())],
                said(&format!("answered after {ms} ms")),
            )
        },
        _ => OriginAnswer {
            status: 404,
            ..text(
                vec![("Cache-Control", "no-store".into())],
                format!(
                    "nothing at /cache/{rule}: try max-age/N, s-maxage/N, cdn/N, expires/N, heuristic, none, \
                     no-store, private, no-cache, etag/N, last-modified/N, vary, swr/N, sie/N or slow/MS\n"
                ),
            )
        },
    }
}

/// Whether the request's `If-None-Match` names [`ETAG`] or is `*` (RFC 9110 §13.1.2, weak
/// comparison).
fn matches_etag(headers: &[(String, String)]) -> bool {
    header(headers, "if-none-match").is_some_and(|v| {
        v.split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == "*" || t == ETAG)
    })
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The language the page is in: the first of `Accept-Language` the origin has (en, fr, de).
fn content_language(accept: &str) -> &'static str {
    accept
        .split(',')
        .map(|l| l.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .find_map(|l| match l.get(..2) {
            Some("fr") => Some("fr"),
            Some("de") => Some("de"),
            Some("en") => Some("en"),
            _ => None,
        })
        .unwrap_or("en")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_000_000;

    fn field<'a>(a: &'a OriginAnswer, name: &str) -> Option<&'a str> {
        header(&a.headers, name)
    }

    #[test]
    fn every_answer_counts_its_fetches_per_target() {
        let o = Origin::default();
        let first = o.answer("GET", "/cache/max-age/60", &[], NOW);
        let second = o.answer("GET", "/cache/max-age/60", &[], NOW);
        let other = o.answer("GET", "/cache/max-age/60?v=2", &[], NOW);
        assert_eq!(field(&first, "x-origin-fetches"), Some("1"));
        assert_eq!(field(&second, "x-origin-fetches"), Some("2"));
        assert_eq!(field(&other, "x-origin-fetches"), Some("1"));
        assert_eq!(field(&first, "date"), Some(date::format(NOW).as_str()));
        assert_eq!(field(&first, "cache-control"), Some("max-age=60"));
    }

    #[test]
    fn each_rule_says_one_thing() {
        let o = Origin::default();
        let cc = |path: &str| field(&o.answer("GET", path, &[], NOW), "cache-control").map(str::to_string);
        assert_eq!(cc("/cache/s-maxage/30").as_deref(), Some("max-age=0, s-maxage=30"));
        assert_eq!(cc("/cache/no-store").as_deref(), Some("no-store"));
        assert_eq!(cc("/cache/private").as_deref(), Some("private, max-age=60"));
        assert_eq!(
            cc("/cache/swr/1").as_deref(),
            Some("max-age=1, stale-while-revalidate=60")
        );
        assert_eq!(cc("/cache/none"), None);
        assert_eq!(cc("/cache/heuristic"), None);
        let cdn = o.answer("GET", "/cache/cdn/300", &[], NOW);
        assert_eq!(field(&cdn, "cdn-cache-control"), Some("max-age=300"));
        let expires = o.answer("GET", "/cache/expires/90", &[], NOW);
        assert_eq!(date::parse(field(&expires, "expires").unwrap()), Some(NOW + 90));
        let heuristic = o.answer("GET", "/cache/heuristic", &[], NOW);
        assert_eq!(
            date::parse(field(&heuristic, "last-modified").unwrap()),
            Some(NOW - HEURISTIC_AGE)
        );
        assert_eq!(o.answer("GET", "/cache/max-age/x", &[], NOW).status, 404);
        assert_eq!(o.answer("GET", "/cache/nope", &[], NOW).status, 404);
    }

    #[test]
    fn validators_get_304_rfc9110_13_1() {
        let o = Origin::default();
        let h = |n: &str, v: &str| vec![(n.to_string(), v.to_string())];
        assert_eq!(o.answer("GET", "/cache/etag/5", &[], NOW).status, 200);
        let revalidated = o.answer("GET", "/cache/etag/5", &h("if-none-match", ETAG), NOW);
        assert_eq!(revalidated.status, 304);
        assert!(revalidated.body.is_empty());
        assert_eq!(field(&revalidated, "etag"), Some(ETAG));
        assert_eq!(
            o.answer("GET", "/cache/etag/5", &h("if-none-match", "\"other\""), NOW)
                .status,
            200
        );
        assert_eq!(
            o.answer("GET", "/cache/no-cache", &h("if-none-match", "W/\"netlab-v1\""), NOW)
                .status,
            304
        );
        let since = date::format(LAST_MODIFIED);
        assert_eq!(
            o.answer("GET", "/cache/last-modified/5", &h("if-modified-since", &since), NOW)
                .status,
            304
        );
        let before = date::format(LAST_MODIFIED - 1);
        assert_eq!(
            o.answer("GET", "/cache/last-modified/5", &h("if-modified-since", &before), NOW)
                .status,
            200
        );
    }

    #[test]
    fn vary_answers_per_language_and_sie_fails_after_its_first_fetch() {
        let o = Origin::default();
        let fr = o.answer(
            "GET",
            "/cache/vary",
            &[("accept-language".into(), "fr-CH, en;q=0.8".into())],
            NOW,
        );
        assert_eq!(field(&fr, "content-language"), Some("fr"));
        assert_eq!(field(&fr, "vary"), Some("Accept-Language"));
        assert_eq!(o.answer("GET", "/cache/sie/1", &[], NOW).status, 200);
        assert_eq!(o.answer("GET", "/cache/sie/1", &[], NOW).status, 503);
        assert_eq!(
            o.answer("GET", "/cache/slow/200", &[], NOW).delay,
            Duration::from_millis(200)
        );
    }

    #[test]
    fn other_paths_are_the_usual_content_and_unsafe_methods_are_refused() {
        let o = Origin::default();
        let bytes = o.answer("GET", "/bytes/100", &[], NOW);
        assert_eq!((bytes.status, bytes.body.len()), (200, 100));
        let api = o.answer("GET", "/api/time", &[], NOW);
        assert_eq!(field(&api, "cache-control"), Some("no-store"));
        let Body::Text(json) = &api.body else {
            panic!("a JSON text: {api:?}")
        };
        let parsed: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(
            (parsed["path"].as_str(), parsed["fetch"].as_u64()),
            (Some("/api/time"), Some(1))
        );
        assert_eq!(o.answer("POST", "/cache/max-age/1", &[], NOW).status, 405);
    }
}
