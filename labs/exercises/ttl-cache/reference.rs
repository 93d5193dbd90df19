//! A thread-safe cache whose entries expire a fixed time after they are written (netlab's
//! reference solution): one map behind a mutex, and a sweep of expired entries whenever the
//! map has doubled since the last one, so reclaiming costs O(1) per insert, amortised.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Where the cache reads the time.
pub trait Clock: Send + Sync {
    /// The time elapsed since some fixed start; it never goes backwards.
    fn now(&self) -> Duration;
}

/// The real clock: the time since it was made.
pub struct SystemClock(Instant);

impl SystemClock {
    pub fn new() -> Self {
        SystemClock(Instant::now())
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.0.elapsed()
    }
}

/// The smallest map that is swept.
const FIRST_SWEEP: usize = 1024;

struct Entries<K, V> {
    /// Each value and the time it expires.
    map: HashMap<K, (V, Duration)>,
    /// The map's size that triggers the next sweep: twice what the last one left.
    sweep_at: usize,
}

/// A map from keys to values whose entries live `ttl` after their last insert.
pub struct TtlCache<K, V> {
    ttl: Duration,
    clock: Arc<dyn Clock>,
    entries: Mutex<Entries<K, V>>,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    /// An empty cache whose entries live `ttl`, timed by `clock`.
    pub fn new(ttl: Duration, clock: Arc<dyn Clock>) -> Self {
        TtlCache {
            ttl,
            clock,
            entries: Mutex::new(Entries {
                map: HashMap::new(),
                sweep_at: FIRST_SWEEP,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Entries<K, V>> {
        // A writer that panicked left the map whole: every change is one map call.
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stores `value` under `key`, replacing any value there; the entry's life starts now.
    pub fn insert(&self, key: K, value: V) {
        let mut e = self.lock();
        let now = self.clock.now();
        e.map.insert(key, (value, now + self.ttl));
        if e.map.len() >= e.sweep_at {
            e.map.retain(|_, (_, expires)| now < *expires);
            e.sweep_at = (2 * e.map.len()).max(FIRST_SWEEP);
        }
    }

    /// The value under `key` if it was inserted less than `ttl` ago.
    pub fn get(&self, key: &K) -> Option<V> {
        let mut e = self.lock();
        let now = self.clock.now();
        match e.map.get(key) {
            Some((value, expires)) if now < *expires => Some(value.clone()),
            Some(_) => {
                e.map.remove(key);
                None
            }
            None => None,
        }
    }

    /// Removes the entry under `key`, returning its value if it was still alive.
    pub fn remove(&self, key: &K) -> Option<V> {
        let now = self.clock.now();
        let (value, expires) = self.lock().map.remove(key)?;
        (now < expires).then_some(value)
    }

    /// How many entries the cache holds in memory.
    pub fn stored(&self) -> usize {
        self.lock().map.len()
    }
}
