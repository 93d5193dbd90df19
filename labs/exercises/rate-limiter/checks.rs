//! netlab's checks of `Limiter`: `netlab lab check 07-rate-limiting --exercise rate-limiter`
//! runs this file against your src/lib.rs (its own copy: editing this one changes nothing).
//! Every decision is compared with the exact sliding log below.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use rate_limiter::Limiter;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The exact answer: each key's admitted requests of the window `(now - window, now]`.
struct Oracle {
    limit: usize,
    window: Duration,
    logs: HashMap<String, VecDeque<Duration>>,
}

impl Oracle {
    fn new(limit: u32, window: Duration) -> Self {
        Oracle {
            limit: limit as usize,
            window,
            logs: HashMap::new(),
        }
    }

    fn allow(&mut self, key: &str, now: Duration) -> bool {
        let log = self.logs.entry(key.to_string()).or_default();
        while log.front().is_some_and(|t| *t + self.window <= now) {
            log.pop_front();
        }
        let admit = log.len() < self.limit;
        if admit {
            log.push_back(now);
        }
        admit
    }
}

/// Plays `requests` (key, time in ms) through a limiter and returns its decisions.
fn decide(limit: u32, window: Duration, requests: &[(&str, u64)]) -> Vec<bool> {
    let mut l = Limiter::new(limit, window);
    requests.iter().map(|(key, t)| l.allow(key, ms(*t))).collect()
}

#[test]
fn admits_up_to_the_limit_then_rejects() {
    let got = decide(3, ms(1000), &[("a", 0), ("a", 0), ("a", 0), ("a", 0), ("a", 10)]);
    assert_eq!(
        got,
        [true, true, true, false, false],
        "limit 3 per second, five requests at once"
    );
}

#[test]
fn the_window_slides() {
    // limit 3 per 1 s: 0, 500, 900 admitted; 950 rejected; at 1000 the request of 0 ms is
    // exactly one window old and no longer counts; at 1100 the window (100, 1100] holds
    // 500, 900, 1000; at 1500 the one of 500 has left.
    let got = decide(
        3,
        ms(1000),
        &[
            ("a", 0),
            ("a", 500),
            ("a", 900),
            ("a", 950),
            ("a", 1000),
            ("a", 1100),
            ("a", 1500),
        ],
    );
    assert_eq!(
        got,
        [true, true, true, false, true, false, true],
        "requests at 0, 500, 900, 950, 1000, 1100, 1500 ms under 3 per second"
    );
}

#[test]
fn no_double_burst_at_a_window_boundary() {
    // 3 per 2 s; three requests at 1.9 s and three at 2.0 s: six within 100 ms.
    let got = decide(
        3,
        ms(2000),
        &[
            ("a", 1900),
            ("a", 1900),
            ("a", 1900),
            ("a", 2000),
            ("a", 2000),
            ("a", 2000),
        ],
    );
    assert_eq!(
        got,
        [true, true, true, false, false, false],
        "3 per 2 s: three at 1.9 s, three more at 2.0 s must be rejected (a fixed window resets at 2.0 s and admits them)"
    );
}

#[test]
fn rejected_requests_do_not_count() {
    let got = decide(
        2,
        ms(1000),
        &[
            ("a", 0),
            ("a", 0),
            ("a", 500),
            ("a", 500),
            ("a", 500),
            ("a", 1000),
            ("a", 1000),
        ],
    );
    assert_eq!(
        got,
        [true, true, false, false, false, true, true],
        "2 per second: at 1000 ms the two admitted at 0 ms have left, and the three rejected at 500 ms never counted"
    );
}

#[test]
fn keys_are_limited_apart() {
    let got = decide(1, ms(1000), &[("a", 0), ("b", 0), ("a", 1), ("c", 2), ("b", 3)]);
    assert_eq!(
        got,
        [true, true, false, true, false],
        "1 per second per key: a, b, c each get one"
    );
}

/// A small deterministic generator (a 64-bit LCG), so a failure replays exactly.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

#[test]
fn every_decision_matches_the_exact_sliding_log_on_bursty_traffic() {
    for (limit, window_ms, seed) in [(10, 1000, 1), (3, 2000, 2), (1, 100, 3), (50, 60_000, 4)] {
        let window = ms(window_ms);
        let mut rng = Lcg(seed);
        let (mut yours, mut exact) = (Limiter::new(limit, window), Oracle::new(limit, window));
        let (mut false_admits, mut false_rejects) = (0, 0);
        let mut first = None;
        let mut now = 0u64;
        const REQUESTS: usize = 20_000;
        for i in 0..REQUESTS {
            // Bursts: mostly requests close together, now and then a pause of up to a window.
            now += if rng.next(20) == 0 {
                rng.next(window_ms)
            } else {
                rng.next(window_ms / 50 + 1)
            };
            // Heavy-tailed keys: key 0 sends half the traffic, key 1 a quarter, ...
            let key = format!("client-{}", rng.next(1 << 12).trailing_zeros().min(12));
            let (y, e) = (yours.allow(&key, ms(now)), exact.allow(&key, ms(now)));
            if y != e {
                if y {
                    false_admits += 1
                } else {
                    false_rejects += 1
                }
                first.get_or_insert(format!(
                    "request #{i} of {key} at {now} ms: you said {}, the exact answer is {}",
                    verdict(y),
                    verdict(e)
                ));
            }
        }
        assert!(
            first.is_none(),
            "{limit} per {window_ms} ms, {REQUESTS} requests: {false_admits} false admits and {false_rejects} false rejects; the first: {}",
            first.unwrap_or_default()
        );
    }
}

fn verdict(admitted: bool) -> &'static str {
    if admitted {
        "admit"
    } else {
        "reject"
    }
}

#[test]
fn keys_silent_for_a_window_are_forgotten() {
    const PER_WINDOW: u64 = 5000;
    let mut l = Limiter::new(10, ms(1000));
    let mut most = 0;
    for round in 0..10u64 {
        // At the start of each window, 5000 new clients send one request each, and are never
        // heard from again.
        for k in 0..PER_WINDOW {
            l.allow(&format!("{round}-{k}"), ms(round * 1000));
        }
        most = most.max(l.keys());
    }
    assert!(
        most <= 4 * PER_WINDOW as usize,
        "10 windows of {PER_WINDOW} new clients each, every client silent after its one request: keys() reached {most}, it grows with every window"
    );
}
