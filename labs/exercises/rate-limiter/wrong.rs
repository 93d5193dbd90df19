//! A rate limiter, deliberately wrong: a fixed window, the counter reset at every multiple of
//! the window. Cheap, and it lets up to twice the limit through around each boundary; and it
//! never forgets a key.

use std::collections::HashMap;
use std::time::Duration;

pub struct Limiter {
    limit: u32,
    window: Duration,
    /// Each key's window number and its count in that window.
    counts: HashMap<String, (u128, u32)>,
}

impl Limiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        Limiter {
            limit,
            window,
            counts: HashMap::new(),
        }
    }

    pub fn allow(&mut self, key: &str, now: Duration) -> bool {
        let current = now.as_nanos() / self.window.as_nanos();
        let (w, count) = self.counts.entry(key.to_string()).or_insert((current, 0));
        if *w != current {
            *w = current;
            *count = 0;
        }
        if *count < self.limit {
            *count += 1;
            true
        } else {
            false
        }
    }

    pub fn keys(&self) -> usize {
        self.counts.len()
    }
}
