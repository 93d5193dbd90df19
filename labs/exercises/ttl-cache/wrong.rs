//! A thread-safe TTL cache, deliberately wrong in the two usual ways: an entry is still served
//! at exactly its TTL (`<=` where `<` belongs), and expired entries are dropped only when
//! someone asks for them, so keys nobody reads again stay in memory for ever.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub trait Clock: Send + Sync {
    fn now(&self) -> Duration;
}

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

pub struct TtlCache<K, V> {
    ttl: Duration,
    clock: Arc<dyn Clock>,
    map: Mutex<HashMap<K, (V, Duration)>>,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration, clock: Arc<dyn Clock>) -> Self {
        TtlCache {
            ttl,
            clock,
            map: Mutex::new(HashMap::new()),
        }
    }

    pub fn insert(&self, key: K, value: V) {
        let inserted = self.clock.now();
        self.map.lock().unwrap().insert(key, (value, inserted));
    }

    pub fn get(&self, key: &K) -> Option<V> {
        let now = self.clock.now();
        let mut map = self.map.lock().unwrap();
        match map.get(key) {
            Some((value, inserted)) if now - *inserted <= self.ttl => Some(value.clone()),
            Some(_) => {
                map.remove(key);
                None
            }
            None => None,
        }
    }

    pub fn remove(&self, key: &K) -> Option<V> {
        let now = self.clock.now();
        let (value, inserted) = self.map.lock().unwrap().remove(key)?;
        (now - inserted <= self.ttl).then_some(value)
    }

    pub fn stored(&self) -> usize {
        self.map.lock().unwrap().len()
    }
}
