//! A rate limiter, exact (netlab's reference solution): the sliding log. Each key keeps the
//! times of its admitted requests of the last window, at most `limit` of them; keys whose log
//! has emptied are swept when the map has doubled since the last sweep.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// The smallest map that is swept.
const FIRST_SWEEP: usize = 1024;

/// Per-key limits: at most `limit` admitted requests in any `window`.
pub struct Limiter {
    limit: usize,
    window: Duration,
    /// Each key's admitted requests still inside the window, oldest first.
    logs: HashMap<String, VecDeque<Duration>>,
    /// The map's size that triggers the next sweep.
    sweep_at: usize,
}

impl Limiter {
    /// A limiter admitting at most `limit` requests per key in any `window`.
    pub fn new(limit: u32, window: Duration) -> Self {
        Limiter {
            limit: limit as usize,
            window,
            logs: HashMap::new(),
            sweep_at: FIRST_SWEEP,
        }
    }

    /// Whether the request of `key` at `now` is admitted (and counted).
    pub fn allow(&mut self, key: &str, now: Duration) -> bool {
        let window = self.window;
        // A request at `t` counts while t > now - window, that is while t + window > now.
        let live = |t: &Duration| *t + window > now;
        if self.logs.len() >= self.sweep_at {
            self.logs.retain(|_, log| log.back().is_some_and(live));
            self.sweep_at = (2 * self.logs.len()).max(FIRST_SWEEP);
        }
        let log = match self.logs.get_mut(key) {
            Some(log) => log,
            None => self.logs.entry(key.to_string()).or_default(),
        };
        while log.front().is_some_and(|t| !live(t)) {
            log.pop_front();
        }
        if log.len() < self.limit {
            log.push_back(now);
            true
        } else {
            false
        }
    }

    /// How many keys the limiter keeps state for.
    pub fn keys(&self) -> usize {
        self.logs.len()
    }
}
