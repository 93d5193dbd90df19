//! What a response says about rate limits: the IETF RateLimit fields
//! (draft-ietf-httpapi-ratelimit-headers-10) and, on a 429 Too Many Requests (RFC 6585 §4),
//! `Retry-After` (RFC 9110 §10.2.3).
//!
//! ```text
//! RateLimit-Policy: "burst";q=100;w=60,"daily";q=1000;w=86400     (§3: the quota policies)
//!                    name    quota  window in seconds
//! RateLimit: "burst";r=42;t=17                                     (§4: the service limit now)
//!             name    remaining  seconds until more quota
//! Retry-After: 3          delta-seconds, or an HTTP-date           (RFC 9110 §10.2.3)
//! ```
//!
//! Both RateLimit fields are Structured Field Lists of Strings with parameters (§3, §4); a
//! malformed one must be ignored (§7). When a response has both `Retry-After` and `RateLimit`,
//! `Retry-After` takes precedence (§7).

use serde::{Deserialize, Serialize};

use super::sf::{self, Bare};

/// One quota policy (`RateLimit-Policy`, draft §3.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaPolicy {
    pub name: String,
    /// `q`: the quota, in quota units (§3.1.1).
    pub quota: u64,
    /// `qu`, when not the default `requests` (§3.1.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// `w`: the window in seconds (§3.1.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_s: Option<u64>,
}

/// What one response says about its rate limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimitSeen {
    /// The response is a 429 Too Many Requests.
    pub limited: bool,
    /// The first policy of `RateLimit-Policy` (the one the `RateLimit` values are for when it
    /// names it), and every policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<QuotaPolicy>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<QuotaPolicy>,
    /// `r`: quota units left (§4.1.1), of the service limit named like `policy` (else the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u64>,
    /// `t`: seconds until more quota is made available (§4.1.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_s: Option<u64>,
    /// `Retry-After`, in seconds (an HTTP-date counted from the response's `Date`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_s: Option<u64>,
    /// Fields that failed to parse and were ignored (draft §7: "Malformed RateLimit header
    /// fields MUST be ignored").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<String>,
}

/// Reads the rate-limit fields of a response; `None` when it is no 429 and carries none.
pub fn read(status: u16, headers: &[(String, String)]) -> Option<RateLimitSeen> {
    let mut ignored = Vec::new();
    let mut list = |name: &str| match sf::field(headers, name) {
        Some(Ok(members)) => members,
        Some(Err(())) => {
            ignored.push(name.to_string());
            Vec::new()
        }
        None => Vec::new(),
    };
    let policies: Vec<QuotaPolicy> = list("ratelimit-policy")
        .iter()
        .filter_map(|m| {
            Some(QuotaPolicy {
                name: m.name(),
                quota: m.integer("q").and_then(|q| u64::try_from(q).ok())?,
                unit: match m.param("qu") {
                    Some(Bare::String(u)) if u != "requests" => Some(u.clone()),
                    _ => None,
                },
                window_s: m.integer("w").and_then(|w| u64::try_from(w).ok()).filter(|w| *w > 0),
            })
        })
        .collect();
    let limits = list("ratelimit");
    let policy = policies.first().cloned();
    let limit = policy
        .as_ref()
        .and_then(|p| limits.iter().find(|m| m.name() == p.name))
        .or(limits.first());
    let count = |key: &str| limit.and_then(|m| m.integer(key)).and_then(|n| u64::try_from(n).ok());
    let retry_after_s = retry_after(headers);
    let seen = RateLimitSeen {
        limited: status == 429,
        policy,
        policies: if policies.len() > 1 { policies } else { Vec::new() },
        remaining: count("r"),
        reset_s: count("t"),
        retry_after_s,
        ignored,
    };
    let says_something = seen.limited
        || seen.policy.is_some()
        || seen.remaining.is_some()
        || seen.retry_after_s.is_some()
        || !seen.ignored.is_empty();
    says_something.then_some(seen)
}

/// `Retry-After` (RFC 9110 §10.2.3): `delay-seconds`, or an HTTP-date less the response's
/// `Date` (never below 0).
fn retry_after(headers: &[(String, String)]) -> Option<u64> {
    let first = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    };
    let value = first("retry-after")?;
    if let Ok(n) = value.parse::<u64>() {
        return Some(n);
    }
    let at = crate::edge::cache::date::parse(value)?;
    let date = crate::edge::cache::date::parse(first("date")?)?;
    Some(at.saturating_sub(date).max(0).unsigned_abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_drafts_examples_sections_3_2_and_4_2() {
        let r = read(
            200,
            &h(&[
                ("RateLimit-Policy", "\"permin\";q=50;w=60,\"perhr\";q=1000;w=3600"),
                ("RateLimit", "\"perhr\";r=999, \"permin\";r=50;t=30"),
            ]),
        )
        .unwrap();
        let p = r.policy.clone().unwrap();
        assert_eq!((p.name.as_str(), p.quota, p.window_s), ("permin", 50, Some(60)));
        assert_eq!(r.policies.len(), 2);
        // The RateLimit item named like the policy, wherever it is in the list.
        assert_eq!((r.remaining, r.reset_s, r.limited), (Some(50), Some(30), false));
        let r = read(
            200,
            &h(&[(
                "RateLimit-Policy",
                "\"peruser\";q=65535;qu=\"content-bytes\";w=10;pk=:sdfjLJUOUH==:",
            )]),
        )
        .unwrap();
        assert_eq!(r.policy.unwrap().unit.as_deref(), Some("content-bytes"));
        let r = read(200, &h(&[("RateLimit", "\"default\";r=999;pk=:dHJpYWwxMjEzMjM=:")])).unwrap();
        assert_eq!((r.remaining, r.reset_s), (Some(999), None));
    }

    #[test]
    fn a_429_as_netlab_edge_sends_it() {
        let r = read(
            429,
            &h(&[
                ("RateLimit-Policy", "\"edge\";q=10;w=1"),
                ("RateLimit", "\"edge\";r=0;t=1"),
                ("Retry-After", "1"),
            ]),
        )
        .unwrap();
        assert!(r.limited);
        assert_eq!((r.remaining, r.reset_s, r.retry_after_s), (Some(0), Some(1), Some(1)));
        assert_eq!(r.policy.unwrap().quota, 10);
    }

    #[test]
    fn retry_after_dates_malformed_fields_and_silence() {
        let r = read(
            503,
            &h(&[
                ("Date", "Fri, 31 Dec 1999 23:59:00 GMT"),
                ("Retry-After", "Fri, 31 Dec 1999 23:59:59 GMT"),
            ]),
        )
        .unwrap();
        assert_eq!(r.retry_after_s, Some(59));
        let r = read(200, &h(&[("RateLimit", "default;r=1,")])).unwrap();
        assert_eq!(
            (r.remaining, r.ignored.as_slice()),
            (None, ["ratelimit".to_string()].as_slice())
        );
        assert_eq!(read(200, &h(&[("Content-Type", "text/plain")])), None);
        // A policy without its REQUIRED q is no policy (§3.1).
        assert_eq!(read(200, &h(&[("RateLimit-Policy", "\"p\";w=1")])), None);
    }
}
