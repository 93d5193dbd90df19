//! Rate limiting at the edge (`netlab edge --limit N/WINDOW`): each client address gets the
//! policy's quota, decided by one of `netlab ratelimit`'s algorithms before the cache or the
//! origin is asked. A refused request is answered here with `429 Too Many Requests` (RFC 6585
//! §4) and `Retry-After`; every response carries the RateLimit fields saying what is left
//! (draft-ietf-httpapi-ratelimit-headers).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use bytes::Bytes;

use crate::edge::cache::ResponseHead;
use crate::ratelimit::algorithms::{Algorithm, Limiter, Policy, Verdict};
use crate::ratelimit::headers;

/// The policy's name in the RateLimit fields.
const POLICY_NAME: &str = "edge";

/// One limiter for every client of the edge.
pub struct Limit {
    policy: Policy,
    limiter: Mutex<Box<dyn Limiter + Send>>,
    started: Instant,
}

impl Limit {
    pub fn new(policy: Policy, algorithm: Algorithm) -> Limit {
        Limit {
            policy,
            limiter: Mutex::new(algorithm.limiter(policy)),
            started: Instant::now(),
        }
    }

    /// Decides the next request of `client`.
    pub fn admit(&self, client: IpAddr) -> Verdict {
        let mut h = DefaultHasher::new();
        client.hash(&mut h);
        let now_ns = self.started.elapsed().as_nanos() as u64;
        match self.limiter.lock() {
            Ok(mut l) => l.admit(h.finish(), now_ns),
            Err(poisoned) => poisoned.into_inner().admit(h.finish(), now_ns),
        }
    }

    /// The RateLimit fields (and Retry-After when refused) for `verdict`.
    pub fn fields(&self, verdict: &Verdict) -> Vec<(String, String)> {
        headers::fields(POLICY_NAME, self.policy, verdict)
            .into_iter()
            .map(|(n, v)| (n.to_string(), v))
            .collect()
    }

    /// The 429 for a refused request.
    pub fn refusal(&self, verdict: &Verdict) -> (ResponseHead, Bytes) {
        let mut headers = self.fields(verdict);
        headers.push(("content-type".to_string(), "text/plain; charset=utf-8".to_string()));
        let text = format!(
            "netlab edge: too many requests from this address: at most {} per {} ms; try again in {} s\n",
            self.policy.limit,
            self.policy.window_ns / 1_000_000,
            verdict.retry_after_ns.div_ceil(1_000_000_000).max(1)
        );
        (ResponseHead { status: 429, headers }, Bytes::from(text))
    }
}
