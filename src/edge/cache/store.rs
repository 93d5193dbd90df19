//! The store: stored responses by primary key, several variants each (RFC 9111 §4.1), bounded
//! by the total bytes of their bodies and by a number of entries (least recently used evicted
//! first).

use std::collections::HashMap;

use bytes::Bytes;

use super::directives::Directives;
use super::freshness::{self, Lifetime};
use super::key::Secondary;

/// At most this many variants are kept per primary key (the oldest goes first).
const MAX_VARIANTS: usize = 16;

/// At most this many entries in all, whatever their bodies' size (empty bodies still cost
/// their header fields).
const MAX_ENTRIES: usize = 65_536;

/// The directives that govern a response: `CDN-Cache-Control` when it is valid and non-empty
/// (RFC 9213 §2.1, and then `targeted` is true), else `Cache-Control`.
pub fn policy(headers: &[(String, String)]) -> (Directives, bool) {
    match Directives::cdn_cache_control(headers) {
        Some(d) => (d, true),
        None => (Directives::cache_control(headers), false),
    }
}

/// One stored response with what its freshness and age are computed from.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: u64,
    pub secondary: Secondary,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// When the response (or its last validation) was received (§4.2.3).
    pub response_time: i64,
    /// corrected_initial_age (§4.2.3) at `response_time`.
    pub initial_age: u64,
    pub lifetime: Lifetime,
    pub cc: Directives,
    /// `Date`, or `response_time` (for choosing the most recent variant, §4.1).
    pub date: i64,
    pub last_used: u64,
    /// A background revalidation (stale-while-revalidate) is under way.
    pub refreshing: bool,
}

impl Entry {
    /// An entry for a response received between `request_time` and `response_time`;
    /// `age_headers` are the fields its age is computed from (the response's own, or a 304's).
    pub fn new(
        secondary: Secondary,
        status: u16,
        headers: Vec<(String, String)>,
        body: Bytes,
        age_headers: &[(String, String)],
        request_time: i64,
        response_time: i64,
    ) -> Entry {
        let (cc, targeted) = policy(&headers);
        let lifetime = freshness::lifetime(status, &headers, &cc, targeted, response_time);
        Entry {
            id: 0,
            secondary,
            status,
            date: freshness::date_value(&headers, response_time),
            initial_age: freshness::corrected_initial_age(age_headers, request_time, response_time),
            headers,
            body,
            response_time,
            lifetime,
            cc,
            last_used: 0,
            refreshing: false,
        }
    }

    /// current_age (§4.2.3) at `now`.
    pub fn age(&self, now: i64) -> u64 {
        freshness::current_age(self.initial_age, self.response_time, now)
    }

    /// freshness_lifetime − current_age: positive while fresh (§4.2), Cache-Status's `ttl`.
    pub fn ttl(&self, now: i64) -> i64 {
        let life = i64::try_from(self.lifetime.secs).unwrap_or(i64::MAX);
        let age = i64::try_from(self.age(now)).unwrap_or(i64::MAX);
        life.saturating_sub(age)
    }

    /// §4.2: fresh while freshness_lifetime > current_age.
    pub fn is_fresh(&self, now: i64) -> bool {
        self.lifetime.secs > self.age(now)
    }
}

/// Every stored response.
#[derive(Debug, Default)]
pub struct Store {
    map: HashMap<String, Vec<Entry>>,
    bytes: usize,
    max_bytes: usize,
    entries: usize,
    next_id: u64,
    tick: u64,
}

impl Store {
    pub fn new(max_bytes: usize) -> Store {
        Store {
            max_bytes,
            ..Store::default()
        }
    }

    /// Whether anything is stored under `key`.
    pub fn has_key(&self, key: &str) -> bool {
        self.map.get(key).is_some_and(|v| !v.is_empty())
    }

    /// The id of the variant a request with these header fields selects (§4.1): of the
    /// matching ones, the most recent by `Date`, then by storing order.
    pub fn select(&mut self, key: &str, request_headers: &[(String, String)]) -> Option<u64> {
        self.tick += 1;
        let tick = self.tick;
        let e = self
            .map
            .get_mut(key)?
            .iter_mut()
            .filter(|e| e.secondary.matches(request_headers))
            .max_by_key(|e| (e.date, e.id))?;
        e.last_used = tick;
        Some(e.id)
    }

    pub fn get(&self, key: &str, id: u64) -> Option<&Entry> {
        self.map.get(key)?.iter().find(|e| e.id == id)
    }

    pub fn get_mut(&mut self, key: &str, id: u64) -> Option<&mut Entry> {
        self.map.get_mut(key)?.iter_mut().find(|e| e.id == id)
    }

    /// Stores `entry` under `key`, replacing the variants the same request would have selected
    /// (the new response supersedes them, §4.1), and evicts the least recently used entries
    /// until the bodies fit. `false` if the body alone is larger than the whole cache.
    pub fn insert(&mut self, key: &str, request_headers: &[(String, String)], mut entry: Entry) -> bool {
        if entry.body.len() > self.max_bytes {
            return false;
        }
        self.tick += 1;
        self.next_id += 1;
        entry.id = self.next_id;
        entry.last_used = self.tick;
        let variants = self.map.entry(key.to_string()).or_default();
        let (mut freed, before) = (0, variants.len());
        variants.retain(|e| {
            let superseded = e.secondary.matches(request_headers);
            if superseded {
                freed += e.body.len();
            }
            !superseded
        });
        if variants.len() >= MAX_VARIANTS {
            freed += variants.remove(0).body.len();
        }
        self.entries = self.entries.saturating_sub(before - variants.len()) + 1;
        self.bytes = self.bytes.saturating_sub(freed) + entry.body.len();
        variants.push(entry);
        self.evict(key);
        true
    }

    /// Replaces entry `id`'s headers, body-independent freshness and age after a validation.
    pub fn replace(&mut self, key: &str, id: u64, entry: Entry) {
        if let Some(e) = self.get_mut(key, id) {
            let last_used = e.last_used;
            let size = e.body.len();
            *e = Entry { id, last_used, ..entry };
            let new = e.body.len();
            self.bytes = self.bytes.saturating_sub(size) + new;
        }
    }

    /// Removes entry `id`.
    pub fn remove(&mut self, key: &str, id: u64) {
        if let Some(v) = self.map.get_mut(key) {
            if let Some(i) = v.iter().position(|e| e.id == id) {
                self.bytes = self.bytes.saturating_sub(v.remove(i).body.len());
                self.entries = self.entries.saturating_sub(1);
            }
            if v.is_empty() {
                self.map.remove(key);
            }
        }
    }

    /// Removes every variant under `key`; how many there were.
    pub fn remove_key(&mut self, key: &str) -> usize {
        let v = self.map.remove(key).unwrap_or_default();
        self.bytes = self.bytes.saturating_sub(v.iter().map(|e| e.body.len()).sum());
        self.entries = self.entries.saturating_sub(v.len());
        v.len()
    }

    /// Evicts least recently used entries (never the newest one under `keep`) until the bodies
    /// fit in `max_bytes` and there are at most [`MAX_ENTRIES`].
    fn evict(&mut self, keep: &str) {
        while self.bytes > self.max_bytes || self.entries > MAX_ENTRIES {
            let newest = self.map.get(keep).and_then(|v| v.last()).map(|e| e.id);
            let victim = self
                .map
                .iter()
                .flat_map(|(k, v)| v.iter().map(move |e| (e.last_used, e.id, k)))
                .filter(|(_, id, _)| Some(*id) != newest)
                .min()
                .map(|(_, id, k)| (k.clone(), id));
            match victim {
                Some((k, id)) => self.remove(&k, id),
                None => break,
            }
        }
    }

    /// How many responses are stored.
    pub fn len(&self) -> usize {
        self.entries
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// Total body bytes stored.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::cache::h;

    fn entry(body: &'static str, secondary: Secondary) -> Entry {
        Entry::new(
            secondary,
            200,
            h(&[("cache-control", "max-age=60")]),
            Bytes::from(body),
            &[],
            0,
            0,
        )
    }

    #[test]
    fn store_is_bounded_by_body_bytes_lru_first() {
        let mut s = Store::new(10);
        assert!(s.insert("a", &[], entry("aaaa", Secondary::default())));
        assert!(s.insert("b", &[], entry("bbbb", Secondary::default())));
        assert!(s.select("a", &[]).is_some()); // a is now more recent than b
        assert!(s.insert("c", &[], entry("cccc", Secondary::default())));
        assert!(s.has_key("a") && !s.has_key("b") && s.has_key("c"));
        assert_eq!((s.bytes(), s.len()), (8, 2));
        assert!(!s.insert("d", &[], entry("01234567890", Secondary::default())));
    }

    #[test]
    fn store_is_bounded_in_entries_even_with_empty_bodies() {
        let mut s = Store::new(0);
        for i in 0..MAX_ENTRIES + 10 {
            assert!(s.insert(&format!("k{i}"), &[], entry("", Secondary::default())));
        }
        assert_eq!(s.len(), MAX_ENTRIES);
        assert!(!s.has_key("k0") && s.has_key(&format!("k{}", MAX_ENTRIES + 9)));
    }

    #[test]
    fn variants_coexist_and_same_variant_is_replaced_rfc9111_4_1() {
        let mut s = Store::new(100);
        let names = vec!["accept".to_string()];
        let (ra, rb) = (h(&[("accept", "a")]), h(&[("accept", "b")]));
        s.insert("k", &ra, entry("1", Secondary::of(&ra, &names)));
        s.insert("k", &rb, entry("2", Secondary::of(&rb, &names)));
        s.insert("k", &ra, entry("3", Secondary::of(&ra, &names)));
        let a = s.select("k", &ra).unwrap();
        assert_eq!(s.get("k", a).unwrap().body, "3");
        let b = s.select("k", &rb).unwrap();
        assert_eq!(s.get("k", b).unwrap().body, "2");
        assert!(s.select("k", &h(&[("accept", "c")])).is_none());
        assert_eq!(s.len(), 2);
        assert_eq!(s.remove_key("k"), 2);
        assert_eq!(s.bytes(), 0);
        assert!(s.is_empty());
    }
}
