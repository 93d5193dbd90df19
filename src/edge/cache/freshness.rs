//! Freshness (RFC 9111 §4.2): how long a stored response may be used without asking the
//! origin, and how old it is.
//!
//! A response is fresh while its age is below its freshness lifetime (§4.2):
//! `response_is_fresh = (freshness_lifetime > current_age)`.

use super::date;
use super::directives::{Directives, Seconds};
use super::fields;

/// How long the 10 % heuristic may make a response fresh, at most (§4.2.2 leaves the cap to
/// the cache; one day is the common choice).
pub const HEURISTIC_CAP: u64 = 86_400;

/// Where a freshness lifetime came from (§4.2.1's order), for Cache-Status and notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    SMaxage,
    MaxAge,
    /// `s-maxage` in a valid `CDN-Cache-Control` (RFC 9213 §2.1), which then governs alone.
    CdnSMaxage,
    /// `max-age` in a valid `CDN-Cache-Control`.
    CdnMaxAge,
    Expires,
    Heuristic,
    /// No explicit expiration time and no heuristic: the response is stale at once.
    None,
}

impl Source {
    /// The token naming the source in Cache-Status's `detail` (RFC 9211 §2.8 leaves its
    /// values to the cache): `s-maxage`, `max-age`, `cdn-s-maxage`, `cdn-max-age`, `expires`,
    /// `heuristic`; none when there was no lifetime to speak of.
    pub fn detail(self) -> Option<&'static str> {
        match self {
            Source::SMaxage => Some("s-maxage"),
            Source::MaxAge => Some("max-age"),
            Source::CdnSMaxage => Some("cdn-s-maxage"),
            Source::CdnMaxAge => Some("cdn-max-age"),
            Source::Expires => Some("expires"),
            Source::Heuristic => Some("heuristic"),
            Source::None => None,
        }
    }
}

/// A freshness lifetime in seconds and its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime {
    pub secs: u64,
    pub source: Source,
}

/// Status codes heuristically cacheable by default (RFC 9110 §15.1).
pub const HEURISTIC_CODES: [u16; 12] = [200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501];

/// The `Date` header's value, or `response_time` when it is absent or invalid (RFC 9110
/// §6.6.1: a recipient with a clock uses the time it received the message).
pub fn date_value(headers: &[(String, String)], response_time: i64) -> i64 {
    fields::first(headers, "date")
        .and_then(date::parse)
        .unwrap_or(response_time)
}

/// The freshness lifetime of a response as a shared cache computes it (§4.2.1), first match:
/// `s-maxage`, `max-age`, `Expires` − `Date`, then the heuristic (§4.2.2). `targeted` says the
/// directives came from a valid `CDN-Cache-Control`, which makes the cache ignore `Expires`
/// (RFC 9213 §2.1). An invalid value or an invalid or past `Expires` (such as `0`) gives a
/// lifetime of zero: already stale (§4.2.1, §5.3).
pub fn lifetime(
    status: u16,
    headers: &[(String, String)],
    cc: &Directives,
    targeted: bool,
    response_time: i64,
) -> Lifetime {
    let explicit = |s: Seconds, source| Lifetime {
        secs: match s {
            Seconds::Valid(n) => n,
            Seconds::Invalid => 0,
        },
        source,
    };
    if let Some(s) = cc.seconds("s-maxage") {
        return explicit(s, if targeted { Source::CdnSMaxage } else { Source::SMaxage });
    }
    if let Some(s) = cc.seconds("max-age") {
        return explicit(s, if targeted { Source::CdnMaxAge } else { Source::MaxAge });
    }
    let date = date_value(headers, response_time);
    if !targeted {
        // §5.3: with several Expires lines the first is used; an invalid date means "in the past".
        if let Some(expires) = fields::first(headers, "expires") {
            let secs = date::parse(expires).map_or(0, |e| e.saturating_sub(date).max(0));
            return Lifetime {
                secs: secs.unsigned_abs(),
                source: Source::Expires,
            };
        }
    }
    heuristic(status, headers, cc, date)
}

/// §4.2.2: with no explicit expiration time, a cache may assign a heuristic lifetime to a
/// response whose status code is heuristically cacheable or that is marked `public`; with
/// `Last-Modified`, 10 % of the time since then (here capped at [`HEURISTIC_CAP`]).
fn heuristic(status: u16, headers: &[(String, String)], cc: &Directives, date: i64) -> Lifetime {
    let none = Lifetime {
        secs: 0,
        source: Source::None,
    };
    if !HEURISTIC_CODES.contains(&status) && !cc.has("public") {
        return none;
    }
    let Some(lm) = fields::first(headers, "last-modified").and_then(date::parse) else {
        return none;
    };
    let since = date.saturating_sub(lm);
    if since <= 0 {
        return none;
    }
    Lifetime {
        secs: (since.unsigned_abs() / 10).min(HEURISTIC_CAP),
        source: Source::Heuristic,
    }
}

/// The `Age` header's value (§5.1): one non-negative integer. Age is a singleton field, but
/// "a cache encountering a message with a list-based Age field value SHOULD use the first
/// member of the field value, discarding subsequent ones" (`7200, 0` is 7200; so are two field
/// lines `7200` and `0`, which are one list, RFC 9110 §5.3). If that member is invalid
/// (`abc`, `-5`, `1.5`), "a cache SHOULD ignore the field": read as 0.
pub fn age_value(headers: &[(String, String)]) -> u64 {
    let first = fields::first(headers, "age").and_then(|v| v.split(',').next());
    match first.map(|v| super::directives::delta_seconds(v.trim())) {
        Some(Seconds::Valid(n)) => n,
        _ => 0,
    }
}

/// §4.2.3: the age a response had when it was received, correcting for clock skew
/// (apparent_age from Date) and for the time the request spent in flight (response_delay).
///
/// ```text
/// apparent_age = max(0, response_time - date_value)
/// response_delay = response_time - request_time
/// corrected_age_value = age_value + response_delay
/// corrected_initial_age = max(apparent_age, corrected_age_value)
/// ```
pub fn corrected_initial_age(headers: &[(String, String)], request_time: i64, response_time: i64) -> u64 {
    let date = date_value(headers, response_time);
    let apparent_age = response_time.saturating_sub(date).max(0).unsigned_abs();
    let response_delay = response_time.saturating_sub(request_time).max(0).unsigned_abs();
    let corrected_age_value = age_value(headers).saturating_add(response_delay);
    apparent_age.max(corrected_age_value)
}

/// §4.2.3: `current_age = corrected_initial_age + resident_time`, where
/// `resident_time = now - response_time` (never negative here).
pub fn current_age(corrected_initial_age: u64, response_time: i64, now: i64) -> u64 {
    let resident_time = now.saturating_sub(response_time).max(0).unsigned_abs();
    corrected_initial_age.saturating_add(resident_time)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::cache::h;

    const T: i64 = 1_700_000_000;
    const DATE: &str = "Tue, 14 Nov 2023 22:13:20 GMT"; // = T

    fn life(status: u16, headers: &[(&str, &str)]) -> Lifetime {
        let hs = h(headers);
        lifetime(status, &hs, &Directives::cache_control(&hs), false, T)
    }

    #[test]
    fn date_constant_is_t() {
        assert_eq!(date::parse(DATE), Some(T));
    }

    #[test]
    fn s_maxage_beats_max_age_beats_expires_rfc9111_4_2_1() {
        let e = "Tue, 14 Nov 2023 23:13:20 GMT"; // T + 3600
        assert_eq!(
            life(
                200,
                &[
                    ("date", DATE),
                    ("cache-control", "max-age=5, s-maxage=7"),
                    ("expires", e)
                ]
            )
            .secs,
            7
        );
        assert_eq!(
            life(200, &[("date", DATE), ("cache-control", "max-age=5"), ("expires", e)]).secs,
            5
        );
        let x = life(200, &[("date", DATE), ("expires", e)]);
        assert_eq!((x.secs, x.source), (3600, Source::Expires));
    }

    #[test]
    fn expires_is_relative_to_date_rfc9111_4_2_1() {
        // Date one hour before the receipt time: Expires - Date, not Expires - now.
        let hs = [
            ("date", "Tue, 14 Nov 2023 21:13:20 GMT"),
            ("expires", "Tue, 14 Nov 2023 21:23:20 GMT"),
        ];
        assert_eq!(life(200, &hs).secs, 600);
    }

    #[test]
    fn invalid_or_past_expires_is_stale_rfc9111_5_3() {
        assert_eq!(life(200, &[("date", DATE), ("expires", "0")]).secs, 0);
        assert_eq!(
            life(200, &[("date", DATE), ("expires", "Tue, 14 Nov 2023 21:13:20 GMT")]).secs,
            0
        );
    }

    #[test]
    fn invalid_max_age_is_stale_not_heuristic_rfc9111_4_2_1() {
        let x = life(
            200,
            &[
                ("date", DATE),
                ("cache-control", "max-age=abc"),
                ("last-modified", "Mon, 13 Nov 2023 22:13:20 GMT"),
            ],
        );
        assert_eq!((x.secs, x.source), (0, Source::MaxAge));
    }

    #[test]
    fn targeted_field_ignores_expires_rfc9213_2_1() {
        let hs = h(&[("date", DATE), ("expires", "Tue, 14 Nov 2023 23:13:20 GMT")]);
        let none = Directives::default();
        assert_eq!(lifetime(200, &hs, &none, true, T).source, Source::None);
        let cdn = Directives::cdn_cache_control(&h(&[("cdn-cache-control", "max-age=9")])).unwrap();
        let x = lifetime(200, &hs, &cdn, true, T);
        assert_eq!(
            (x.secs, x.source, x.source.detail()),
            (9, Source::CdnMaxAge, Some("cdn-max-age"))
        );
    }

    #[test]
    fn heuristic_is_ten_percent_of_last_modified_age_rfc9111_4_2_2() {
        let lm = "Tue, 14 Nov 2023 19:26:40 GMT"; // T - 10000
        let x = life(200, &[("date", DATE), ("last-modified", lm)]);
        assert_eq!((x.secs, x.source), (1000, Source::Heuristic));
        assert_eq!(life(404, &[("date", DATE), ("last-modified", lm)]).secs, 1000);
        // Capped.
        assert_eq!(
            life(
                200,
                &[("date", DATE), ("last-modified", "Sun, 06 Nov 1994 08:49:37 GMT")]
            )
            .secs,
            HEURISTIC_CAP
        );
    }

    #[test]
    fn heuristic_only_for_heuristically_cacheable_codes_or_public_rfc9111_4_2_2() {
        let lm = "Tue, 14 Nov 2023 19:26:40 GMT";
        assert_eq!(life(302, &[("date", DATE), ("last-modified", lm)]).source, Source::None);
        assert_eq!(
            life(
                302,
                &[("date", DATE), ("last-modified", lm), ("cache-control", "public")]
            )
            .secs,
            1000
        );
        assert_eq!(life(200, &[("date", DATE)]).source, Source::None);
    }

    #[test]
    fn age_calculation_rfc9111_4_2_3() {
        // Date 10 s before receipt, Age 3, 2 s in flight: apparent 10, corrected 5 -> 10.
        let hs = h(&[("date", "Tue, 14 Nov 2023 22:13:10 GMT"), ("age", "3")]);
        assert_eq!(corrected_initial_age(&hs, T - 2, T), 10);
        // Date in the future (skew): apparent 0; Age 30 + delay 2 -> 32.
        let hs = h(&[("date", "Tue, 14 Nov 2023 22:23:20 GMT"), ("age", "30")]);
        assert_eq!(corrected_initial_age(&hs, T - 2, T), 32);
        assert_eq!(current_age(32, T, T + 8), 40);
    }

    #[test]
    fn missing_date_is_response_time_rfc9111_4_2_3() {
        assert_eq!(corrected_initial_age(&h(&[]), T, T), 0);
        assert_eq!(date_value(&h(&[("date", "garbage")]), T), T);
    }

    #[test]
    fn invalid_age_is_ignored_rfc9111_5_1() {
        for v in ["-5", "1.5", "abc", "", "7200;foo=bar", ", 7200"] {
            assert_eq!(age_value(&h(&[("age", v)])), 0, "{v}");
        }
        assert_eq!(
            age_value(&h(&[("Age", "99999999999")])),
            super::super::directives::DELTA_MAX
        );
    }

    #[test]
    fn a_list_of_ages_uses_its_first_member_rfc9111_5_1() {
        assert_eq!(age_value(&h(&[("age", "7200, 0")])), 7200);
        assert_eq!(age_value(&h(&[("age", "0, 7200")])), 0);
        assert_eq!(age_value(&h(&[("age", "7200,0")])), 7200);
        assert_eq!(age_value(&h(&[("Age", "7200"), ("age", "0")])), 7200);
        assert_eq!(age_value(&h(&[("Age", "0"), ("age", "7200")])), 0);
    }
}
