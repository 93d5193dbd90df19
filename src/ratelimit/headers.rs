//! What a limited (or admitted) response tells the client, in the IETF RateLimit header
//! fields (draft-ietf-httpapi-ratelimit-headers-10, Structured Field Lists, RFC 9651):
//! `RateLimit-Policy: "edge";q=100;w=60` (the quota and its window in seconds, the same on
//! every response) and `RateLimit: "edge";r=42;t=17` (what remains, and seconds until the
//! quota resets); and on a 429 (RFC 6585 §4) `Retry-After` in delta-seconds (RFC 9110
//! §10.2.3), rounded up so that a client that waits that long is admitted.

use super::algorithms::{Policy, Verdict};

const NS: u64 = 1_000_000_000;

/// The response fields for `verdict` under the policy named `name` (a Structured Field
/// String: quotes and backslashes escaped).
pub fn fields(name: &str, policy: Policy, verdict: &Verdict) -> Vec<(&'static str, String)> {
    let name = sf_string(name);
    let mut out = vec![
        (
            "RateLimit-Policy",
            format!("{name};q={};w={}", policy.limit, policy.window_ns.div_ceil(NS).max(1)),
        ),
        (
            "RateLimit",
            format!("{name};r={};t={}", verdict.remaining, verdict.reset_ns.div_ceil(NS)),
        ),
    ];
    if !verdict.admitted {
        out.push(("Retry-After", verdict.retry_after_ns.div_ceil(NS).max(1).to_string()));
    }
    out
}

/// A Structured Field String (RFC 9651 §3.3.3): printable ASCII in quotes, `"` and `\`
/// escaped; anything else is dropped.
fn sf_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars().filter(|c| (' '..='~').contains(c)) {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_admitted_response_reports_what_remains() {
        let p = Policy {
            limit: 100,
            window_ns: 60 * NS,
        };
        let v = Verdict {
            admitted: true,
            remaining: 42,
            reset_ns: 16 * NS + 1,
            retry_after_ns: 0,
        };
        assert_eq!(
            fields("edge", p, &v),
            [
                ("RateLimit-Policy", "\"edge\";q=100;w=60".to_string()),
                ("RateLimit", "\"edge\";r=42;t=17".to_string())
            ]
        );
    }

    #[test]
    fn a_limited_response_says_when_to_come_back_rounded_up() {
        let p = Policy {
            limit: 10,
            window_ns: 500_000_000,
        };
        let v = Verdict {
            admitted: false,
            remaining: 0,
            reset_ns: 300_000_000,
            retry_after_ns: 200_000_000,
        };
        let f = fields("per \"client\"", p, &v);
        assert_eq!(
            f[0].1, "\"per \\\"client\\\"\";q=10;w=1",
            "a sub-second window still reads as 1 s"
        );
        assert_eq!(
            f[2],
            ("Retry-After", "1".to_string()),
            "never 0: a client waiting 0 s would be refused again"
        );
    }
}
