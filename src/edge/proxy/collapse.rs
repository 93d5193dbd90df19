//! Request collapsing: while one GET for a URL is on its way to the origin, the other misses for
//! the same host and target wait for its answer and then ask the cache again, so the origin sees
//! one request instead of many. RFC 9111 does not require it; CDNs call it request collapsing or
//! coalescing (Varnish does it by default, Squid with `collapsed_forwarding on`).
//!
//! Each URL in flight has a `tokio::sync::Mutex` that its leader holds until the origin has
//! answered (or it gave up): a waiter locks it and so wakes when the leader is done. The map is
//! bounded: past [`MAX_IN_FLIGHT`] URLs, a request is simply forwarded on its own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::OwnedMutexGuard;

/// At most this many URLs are collapsed at once.
pub const MAX_IN_FLIGHT: usize = 4096;

type Gate = Arc<tokio::sync::Mutex<()>>;

/// The URLs on their way to the origin.
#[derive(Debug, Default)]
pub struct Flights {
    map: Arc<Mutex<HashMap<String, Gate>>>,
}

/// What a GET miss is to do.
pub enum Role {
    /// Fetch from the origin; the others wait until this is dropped.
    Lead(Leader),
    /// Another request is fetching: wait for it ([`Follower::wait`]), then ask the cache again.
    Follow(Follower),
    /// Too many URLs in flight: forward without collapsing.
    Alone,
}

/// Held while the origin is asked; dropping it lets the followers go.
pub struct Leader {
    key: String,
    gate: Gate,
    map: Arc<Mutex<HashMap<String, Gate>>>,
    _held: OwnedMutexGuard<()>,
}

/// Waits for a leader.
pub struct Follower {
    gate: Gate,
}

impl Flights {
    /// Joins the flight for `key` (host and target), or starts it.
    pub fn join(&self, key: &str) -> Role {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(gate) = map.get(key) {
            return Role::Follow(Follower { gate: gate.clone() });
        }
        if map.len() >= MAX_IN_FLIGHT {
            return Role::Alone;
        }
        let gate: Gate = Arc::default();
        let Ok(held) = gate.clone().try_lock_owned() else {
            // A fresh mutex is never locked.
            return Role::Alone;
        };
        map.insert(key.to_string(), gate.clone());
        Role::Lead(Leader {
            key: key.to_string(),
            gate,
            map: self.map.clone(),
            _held: held,
        })
    }

    /// Whether no URL is in flight.
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.map.lock().unwrap_or_else(PoisonError::into_inner).is_empty()
    }
}

impl Drop for Leader {
    fn drop(&mut self) {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if map.get(&self.key).is_some_and(|g| Arc::ptr_eq(g, &self.gate)) {
            map.remove(&self.key);
        }
        // `_held` is released after this: the followers wake to a map without this flight.
    }
}

impl Follower {
    /// Until the leader is done, or `limit` has passed; true when the leader finished.
    pub async fn wait(self, limit: Duration) -> bool {
        tokio::time::timeout(limit, self.gate.lock()).await.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn followers_wait_for_the_leader() {
        let flights = Flights::default();
        let Role::Lead(leader) = flights.join("a.test/x") else {
            panic!("the first request leads");
        };
        let Role::Follow(follower) = flights.join("a.test/x") else {
            panic!("the second one follows");
        };
        assert!(
            matches!(flights.join("a.test/y"), Role::Lead(_)),
            "another URL leads its own"
        );
        let waiting = tokio::spawn(follower.wait(Duration::from_secs(5)));
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "the follower waits while the leader fetches");
        drop(leader);
        assert!(waiting.await.unwrap(), "the follower wakes when the leader is done");
        assert!(flights.is_empty());
        assert!(
            matches!(flights.join("a.test/x"), Role::Lead(_)),
            "a new miss leads again"
        );
    }

    #[tokio::test]
    async fn a_follower_gives_up_at_its_limit() {
        let flights = Flights::default();
        let _leader = flights.join("k");
        let Role::Follow(follower) = flights.join("k") else {
            panic!("follows");
        };
        assert!(!follower.wait(Duration::from_millis(10)).await);
    }

    #[test]
    fn the_map_is_bounded() {
        let flights = Flights::default();
        let leaders: Vec<Role> = (0..MAX_IN_FLIGHT).map(|i| flights.join(&i.to_string())).collect();
        assert!(leaders.iter().all(|r| matches!(r, Role::Lead(_))));
        assert!(matches!(flights.join("one more"), Role::Alone));
        drop(leaders);
        assert!(flights.is_empty());
    }
}
