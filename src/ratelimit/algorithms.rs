//! The five rate-limiting algorithms, each deciding "admit or limit" per request for a policy
//! of `limit` requests per `window`, per key. Times are nanoseconds on the caller's clock
//! (never read here), so replays are exact and repeatable. Every state is a few integers per
//! key; the sliding log (the exact oracle) keeps up to `limit` timestamps per key.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

/// "At most `limit` requests per `window_ns`".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub limit: u32,
    pub window_ns: u64,
}

/// What the limiter said of one request, with what the RateLimit header fields report
/// (draft-ietf-httpapi-ratelimit-headers: the quota left, seconds until it resets) and, when
/// limited, how long to wait (HTTP's `Retry-After`, RFC 9110 §10.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub admitted: bool,
    pub remaining: u32,
    pub reset_ns: u64,
    pub retry_after_ns: u64,
}

/// The algorithms, by the names `--algorithm` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Algorithm {
    FixedWindow,
    SlidingLog,
    SlidingWindow,
    TokenBucket,
    Gcra,
}

impl Algorithm {
    pub const ALL: [Algorithm; 5] = [
        Algorithm::FixedWindow,
        Algorithm::SlidingLog,
        Algorithm::SlidingWindow,
        Algorithm::TokenBucket,
        Algorithm::Gcra,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Algorithm::FixedWindow => "fixed-window",
            Algorithm::SlidingLog => "sliding-log",
            Algorithm::SlidingWindow => "sliding-window",
            Algorithm::TokenBucket => "token-bucket",
            Algorithm::Gcra => "gcra",
        }
    }

    pub fn parse(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.name() == name)
    }

    /// A fresh limiter for `policy`.
    pub fn limiter(self, policy: Policy) -> Box<dyn Limiter + Send> {
        match self {
            Algorithm::FixedWindow => Box::new(FixedWindow::new(policy)),
            Algorithm::SlidingLog => Box::new(SlidingLog::new(policy)),
            Algorithm::SlidingWindow => Box::new(SlidingWindow::new(policy)),
            Algorithm::TokenBucket => Box::new(TokenBucket::new(policy)),
            Algorithm::Gcra => Box::new(Gcra::new(policy)),
        }
    }
}

/// One algorithm's state over every key.
pub trait Limiter {
    /// Decides the request of `key` arriving at `now_ns` (requests come in time order).
    fn admit(&mut self, key: u64, now_ns: u64) -> Verdict;
    /// Octets of state it holds now, over all keys (the map's entries, not its spare room).
    fn state_bytes(&self) -> usize;
    /// Keys it holds state for.
    fn keys(&self) -> usize;
}

/// Keys are already well mixed (addresses hashed once by the caller), so the map needs no
/// SipHash: one multiply spreads them.
#[derive(Default)]
pub struct MixHasher(u64);

impl Hasher for MixHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ (n >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

pub type KeyMap<V> = HashMap<u64, V, BuildHasherDefault<MixHasher>>;

/// The octets a map of fixed-size states holds: one key and one state per entry.
fn map_bytes<V>(m: &KeyMap<V>) -> usize {
    m.len() * std::mem::size_of::<(u64, V)>()
}

impl Verdict {
    fn admit(remaining: u32, reset_ns: u64) -> Verdict {
        Verdict {
            admitted: true,
            remaining,
            reset_ns,
            retry_after_ns: 0,
        }
    }

    fn limit(reset_ns: u64, retry_after_ns: u64) -> Verdict {
        Verdict {
            admitted: false,
            remaining: 0,
            reset_ns,
            retry_after_ns,
        }
    }
}

/// Fixed window: one counter per key for the current window `[k·W, (k+1)·W)`. Cheap, but a
/// client can send `limit` at the end of one window and `limit` again at the start of the
/// next: twice the limit within one window's length.
pub struct FixedWindow {
    policy: Policy,
    counters: KeyMap<(u64, u32)>,
}

impl FixedWindow {
    pub fn new(policy: Policy) -> Self {
        FixedWindow {
            policy,
            counters: KeyMap::default(),
        }
    }
}

impl Limiter for FixedWindow {
    fn admit(&mut self, key: u64, now_ns: u64) -> Verdict {
        let w = self.policy.window_ns.max(1);
        let window = now_ns / w;
        let (start, count) = self.counters.entry(key).or_insert((window, 0));
        if *start != window {
            *start = window;
            *count = 0;
        }
        let reset_ns = ((u128::from(window) + 1) * u128::from(w) - u128::from(now_ns)) as u64;
        if *count < self.policy.limit {
            *count += 1;
            Verdict::admit(self.policy.limit - *count, reset_ns)
        } else {
            Verdict::limit(reset_ns, reset_ns)
        }
    }
    fn state_bytes(&self) -> usize {
        map_bytes(&self.counters)
    }
    fn keys(&self) -> usize {
        self.counters.len()
    }
}

/// Sliding log: every admitted request's time within the last window; admit while fewer than
/// `limit` are in `(now − W, now]`. Exact, and the oracle the others are measured against; it
/// costs up to `limit` timestamps per key.
pub struct SlidingLog {
    policy: Policy,
    logs: KeyMap<VecDeque<u64>>,
}

impl SlidingLog {
    pub fn new(policy: Policy) -> Self {
        SlidingLog {
            policy,
            logs: KeyMap::default(),
        }
    }
}

impl Limiter for SlidingLog {
    fn admit(&mut self, key: u64, now_ns: u64) -> Verdict {
        let w = self.policy.window_ns;
        let log = self.logs.entry(key).or_default();
        while log.front().is_some_and(|t| now_ns.saturating_sub(*t) >= w) {
            log.pop_front();
        }
        let oldest_leaves = |log: &VecDeque<u64>| log.front().map_or(0, |t| t.saturating_add(w).saturating_sub(now_ns));
        if (log.len() as u64) < u64::from(self.policy.limit) {
            log.push_back(now_ns);
            let remaining = self.policy.limit - log.len() as u32;
            Verdict::admit(remaining, oldest_leaves(log))
        } else {
            let wait = oldest_leaves(log);
            Verdict::limit(wait, wait)
        }
    }
    fn state_bytes(&self) -> usize {
        self.logs
            .values()
            .map(|l| std::mem::size_of::<(u64, VecDeque<u64>)>() + l.capacity() * 8)
            .sum()
    }
    fn keys(&self) -> usize {
        self.logs.len()
    }
}

/// Sliding window counter (Cloudflare, "How we built rate limiting capable of scaling to
/// millions of domains", 2017): the current window's count plus the previous window's,
/// weighted by how much of the previous window still overlaps the last `W`:
/// `rate = previous × (W − elapsed) / W + current`. Two counters per key; wrong only when the
/// previous window's requests were not spread evenly.
pub struct SlidingWindow {
    policy: Policy,
    counters: KeyMap<(u64, u32, u32)>,
}

impl SlidingWindow {
    pub fn new(policy: Policy) -> Self {
        SlidingWindow {
            policy,
            counters: KeyMap::default(),
        }
    }
}

impl Limiter for SlidingWindow {
    fn admit(&mut self, key: u64, now_ns: u64) -> Verdict {
        let w = self.policy.window_ns.max(1);
        let window = now_ns / w;
        let (start, previous, current) = self.counters.entry(key).or_insert((window, 0, 0));
        if *start != window {
            *previous = if *start + 1 == window { *current } else { 0 };
            *current = 0;
            *start = window;
        }
        let elapsed = now_ns - window * w;
        // Integer arithmetic: previous × (W − elapsed) / W, rounded down, as Cloudflare's.
        let weighted = (u128::from(*previous) * u128::from(w - elapsed) / u128::from(w)) as u64;
        let rate = weighted + u64::from(*current);
        let reset_ns = w - elapsed;
        if rate < u64::from(self.policy.limit) {
            *current += 1;
            let remaining = (u64::from(self.policy.limit) - rate - 1) as u32;
            Verdict::admit(remaining, reset_ns)
        } else {
            Verdict::limit(reset_ns, reset_ns)
        }
    }
    fn state_bytes(&self) -> usize {
        map_bytes(&self.counters)
    }
    fn keys(&self) -> usize {
        self.counters.len()
    }
}

/// Token bucket: `limit` tokens, refilled at `limit / W`; a request takes one. A full bucket
/// lets a burst of `limit` through at once, then the steady rate.
pub struct TokenBucket {
    policy: Policy,
    /// Tokens in millionths, and when they were counted.
    buckets: KeyMap<(u64, u64)>,
}

/// Tokens are counted in millionths, so the refill needs no floating point.
const MICRO: u64 = 1_000_000;

impl TokenBucket {
    pub fn new(policy: Policy) -> Self {
        TokenBucket {
            policy,
            buckets: KeyMap::default(),
        }
    }
}

impl Limiter for TokenBucket {
    fn admit(&mut self, key: u64, now_ns: u64) -> Verdict {
        let full = u64::from(self.policy.limit) * MICRO;
        let w = u128::from(self.policy.window_ns.max(1));
        let (tokens, at) = self.buckets.entry(key).or_insert((full, now_ns));
        let refill = u128::from(now_ns.saturating_sub(*at)) * u128::from(full) / w;
        *tokens = (u128::from(*tokens) + refill).min(u128::from(full)) as u64;
        *at = now_ns;
        // Time for one token to come back, and for the bucket to be full again.
        let per_token_ns = |missing: u64| (u128::from(missing) * w / u128::from(full.max(1))) as u64;
        if *tokens >= MICRO {
            *tokens -= MICRO;
            let reset_ns = per_token_ns(full - *tokens);
            Verdict::admit((*tokens / MICRO) as u32, reset_ns)
        } else {
            let wait = per_token_ns(MICRO - *tokens);
            Verdict::limit(per_token_ns(full - *tokens), wait)
        }
    }
    fn state_bytes(&self) -> usize {
        map_bytes(&self.buckets)
    }
    fn keys(&self) -> usize {
        self.buckets.len()
    }
}

/// GCRA, the generic cell rate algorithm (ITU-T I.371, from ATM): one timestamp per key, the
/// theoretical arrival time (TAT) of the next request at the steady rate `T = W / limit`. A
/// request at `now` is admitted when `TAT − now ≤ τ` (the burst tolerance, `W − T`: `limit`
/// at once), and moves TAT to `max(TAT, now) + T`. The token bucket's behaviour in one integer.
pub struct Gcra {
    policy: Policy,
    tat: KeyMap<u64>,
}

impl Gcra {
    pub fn new(policy: Policy) -> Self {
        Gcra {
            policy,
            tat: KeyMap::default(),
        }
    }
}

impl Limiter for Gcra {
    fn admit(&mut self, key: u64, now_ns: u64) -> Verdict {
        let w = self.policy.window_ns;
        let t = (w / u64::from(self.policy.limit.max(1))).max(1);
        let tau = w.saturating_sub(t);
        let tat = self.tat.entry(key).or_insert(now_ns);
        let base = (*tat).max(now_ns);
        if base - now_ns <= tau {
            *tat = base.saturating_add(t);
            let used = (*tat - now_ns).div_ceil(t);
            let remaining = u64::from(self.policy.limit).saturating_sub(used) as u32;
            Verdict::admit(remaining, *tat - now_ns)
        } else {
            let wait = base - now_ns - tau;
            Verdict::limit(base - now_ns, wait)
        }
    }
    fn state_bytes(&self) -> usize {
        map_bytes(&self.tat)
    }
    fn keys(&self) -> usize {
        self.tat.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    fn admitted(algorithm: Algorithm, policy: Policy, times: &[u64]) -> Vec<bool> {
        let mut l = algorithm.limiter(policy);
        times.iter().map(|t| l.admit(7, *t).admitted).collect()
    }

    #[test]
    fn every_algorithm_admits_the_limit_then_refuses_within_one_window() {
        let p = Policy {
            limit: 3,
            window_ns: 10 * S,
        };
        for a in Algorithm::ALL {
            assert_eq!(
                admitted(a, p, &[0, 1, 2, 3, 4]),
                [true, true, true, false, false],
                "{}",
                a.name()
            );
        }
    }

    #[test]
    fn a_fixed_window_lets_twice_the_limit_through_around_its_boundary() {
        let p = Policy {
            limit: 3,
            window_ns: 10 * S,
        };
        // Three just before 10 s, three just after: six within two seconds.
        let times = [9 * S, 9 * S + 1, 9 * S + 2, 10 * S, 10 * S + 1, 10 * S + 2];
        assert_eq!(admitted(Algorithm::FixedWindow, p, &times), [true; 6]);
        assert_eq!(
            admitted(Algorithm::SlidingLog, p, &times),
            [true, true, true, false, false, false],
            "the exact log refuses the second three"
        );
    }

    #[test]
    fn the_sliding_log_frees_a_slot_exactly_one_window_after_a_request() {
        let p = Policy {
            limit: 1,
            window_ns: 10 * S,
        };
        assert_eq!(
            admitted(Algorithm::SlidingLog, p, &[0, 10 * S - 1, 10 * S]),
            [true, false, true]
        );
        let mut l = SlidingLog::new(p);
        l.admit(1, 0);
        assert_eq!(l.admit(1, 4 * S).retry_after_ns, 6 * S);
    }

    #[test]
    fn the_sliding_window_weighs_the_previous_window() {
        // 10 requests in the first window; a quarter into the next, the previous counts 7.5
        // (7 rounded down): 3 more are admitted, the 4th is not.
        let p = Policy {
            limit: 10,
            window_ns: 4 * S,
        };
        let mut l = SlidingWindow::new(p);
        for i in 0..10 {
            assert!(l.admit(1, i * 100).admitted);
        }
        let at = 5 * S;
        let got: Vec<bool> = (0..4).map(|i| l.admit(1, at + i).admitted).collect();
        assert_eq!(got, [true, true, true, false]);
    }

    #[test]
    fn token_bucket_and_gcra_allow_a_burst_then_the_steady_rate() {
        let p = Policy {
            limit: 4,
            window_ns: 4 * S,
        };
        // A burst of 4 at 0, then one per second comes back.
        let times = [0, 0, 0, 0, 0, S, S, 2 * S];
        let want = [true, true, true, true, false, true, false, true];
        assert_eq!(admitted(Algorithm::TokenBucket, p, &times), want, "token bucket");
        assert_eq!(admitted(Algorithm::Gcra, p, &times), want, "GCRA");
    }

    #[test]
    fn a_limited_request_says_how_long_to_wait() {
        let p = Policy {
            limit: 2,
            window_ns: 2 * S,
        };
        let mut g = Gcra::new(p);
        g.admit(1, 0);
        g.admit(1, 0);
        let v = g.admit(1, 0);
        assert!(!v.admitted);
        assert_eq!(v.retry_after_ns, S, "one emission interval");
        let mut f = FixedWindow::new(p);
        f.admit(1, S / 2);
        f.admit(1, S / 2);
        assert_eq!(f.admit(1, S / 2).retry_after_ns, 3 * S / 2, "until the window ends");
    }

    #[test]
    fn keys_are_limited_apart() {
        let p = Policy { limit: 1, window_ns: S };
        for a in Algorithm::ALL {
            let mut l = a.limiter(p);
            assert!(l.admit(1, 0).admitted);
            assert!(l.admit(2, 0).admitted, "{}", a.name());
            assert!(!l.admit(1, 1).admitted, "{}", a.name());
            assert_eq!(l.keys(), 2);
        }
    }

    #[test]
    fn odd_policies_do_not_panic() {
        for a in Algorithm::ALL {
            for p in [
                Policy { limit: 0, window_ns: S },
                Policy { limit: 1, window_ns: 0 },
                Policy {
                    limit: u32::MAX,
                    window_ns: u64::MAX,
                },
            ] {
                let mut l = a.limiter(p);
                for t in [0, 1, u64::MAX / 2, u64::MAX] {
                    let _ = l.admit(3, t);
                }
            }
        }
    }
}
