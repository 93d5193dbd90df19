//! A thread-safe cache whose entries expire a fixed time after they are written.
//!
//! Every cache on the path of a request works this way: a DNS resolver keeps an answer for its
//! TTL (RFC 1035 §3.2.1), a CDN keeps a response for its freshness lifetime (RFC 9111 §4.2).
//! An entry inserted at time `t` is alive while `now < t + ttl` and gone from `now == t + ttl`.
//!
//! The cache reads time from a [`Clock`], so the checks can drive a virtual one: no sleeping,
//! and the boundary (alive at ttl − 1 ns, gone at ttl) is exact.
//!
//! Write `TtlCache`; `cargo test` runs the same checks `netlab lab check 07-rate-limiting
//! --exercise ttl-cache` runs. The standard library is all you need (`std::sync`,
//! `std::collections`).

use std::hash::Hash;
use std::sync::Arc;
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

/// A map from keys to values whose entries live `ttl` after their last insert. Shared between
/// threads as `Arc<TtlCache<K, V>>`: every method takes `&self`.
pub struct TtlCache<K, V> {
    // Replace with your fields.
    _todo: std::marker::PhantomData<(K, V)>,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    /// An empty cache whose entries live `ttl`, timed by `clock`.
    pub fn new(ttl: Duration, clock: Arc<dyn Clock>) -> Self {
        let _ = (ttl, clock);
        todo!("store the ttl and the clock, and an empty map behind a lock")
    }

    /// Stores `value` under `key`, replacing any value there; the entry's life starts now.
    /// Expired entries must not pile up: reclaim them as you go, at an amortised cost.
    pub fn insert(&self, key: K, value: V) {
        let _ = (key, value);
        todo!()
    }

    /// The value under `key` if it was inserted less than `ttl` ago.
    pub fn get(&self, key: &K) -> Option<V> {
        let _ = key;
        todo!()
    }

    /// Removes the entry under `key`, returning its value if it was still alive.
    pub fn remove(&self, key: &K) -> Option<V> {
        let _ = key;
        todo!()
    }

    /// How many entries the cache holds in memory: live ones, and expired ones not yet
    /// reclaimed.
    pub fn stored(&self) -> usize {
        todo!()
    }
}
