//! A rate limiter: at most `limit` requests per key in any window of length `window`.
//!
//! This is the exact rule, the one `netlab ratelimit` calls the sliding log and measures every
//! other algorithm against: a request at time `now` is admitted when fewer than `limit`
//! requests of the same key were admitted in the window `(now - window, now]`. A request
//! exactly `window` old no longer counts; a rejected request never counts.
//!
//! A fixed window (a counter reset at every multiple of `window`) is not this rule: it admits
//! up to twice the limit around a boundary. Token buckets and sliding window counters
//! approximate it. Here the checks compare every decision with the exact answer.
//!
//! Write `Limiter`; `cargo test` runs the same checks `netlab lab check 07-rate-limiting
//! --exercise rate-limiter` runs. The standard library is all you need.

use std::time::Duration;

/// Per-key limits: at most `limit` admitted requests in any `window`.
pub struct Limiter {
    // Replace with your fields.
}

impl Limiter {
    /// A limiter admitting at most `limit` requests per key in any `window` (`limit` ≥ 1).
    pub fn new(limit: u32, window: Duration) -> Self {
        let _ = (limit, window);
        todo!("store the policy and an empty map of keys")
    }

    /// Whether the request of `key` at `now` is admitted (and counted). Calls come in time
    /// order: `now` never goes backwards, but many requests may share one `now`.
    pub fn allow(&mut self, key: &str, now: Duration) -> bool {
        let _ = (key, now);
        todo!()
    }

    /// How many keys the limiter keeps state for. A key silent for a whole window needs none:
    /// forget such keys as you go, at an amortised cost, so memory follows the active keys.
    pub fn keys(&self) -> usize {
        todo!()
    }
}
