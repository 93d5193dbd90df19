//! netlab's checks of `TtlCache`: `netlab lab check 07-rate-limiting --exercise ttl-cache`
//! runs this file against your src/lib.rs (its own copy: editing this one changes nothing).
//! Time is a virtual clock the checks move by hand.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use ttl_cache::{Clock, TtlCache};

/// A clock that moves only when told to.
#[derive(Default)]
struct VirtualClock(AtomicU64);

impl VirtualClock {
    fn set(&self, t: Duration) {
        self.0.store(t.as_nanos() as u64, Ordering::SeqCst);
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::SeqCst))
    }
}

fn cache<V: Clone>(ttl: Duration) -> (TtlCache<u64, V>, Arc<VirtualClock>) {
    let clock = Arc::new(VirtualClock::default());
    (TtlCache::new(ttl, clock.clone()), clock)
}

const MS: Duration = Duration::from_millis(1);
const NS: Duration = Duration::from_nanos(1);

#[test]
fn an_entry_lives_until_its_ttl_and_not_at_it() {
    let (c, clock) = cache(100 * MS);
    c.insert(1, "a");
    assert_eq!(c.get(&1), Some("a"), "just inserted");
    clock.set(99 * MS);
    assert_eq!(c.get(&1), Some("a"), "alive at ttl - 1 ms");
    clock.set(100 * MS - NS);
    assert_eq!(c.get(&1), Some("a"), "alive at ttl - 1 ns");
    clock.set(100 * MS);
    assert_eq!(
        c.get(&1),
        None,
        "inserted at 0 with a ttl of 100 ms: gone at 100 ms exactly"
    );
    clock.set(10_000 * MS);
    assert_eq!(c.get(&1), None, "gone long after");
}

#[test]
fn unknown_keys_are_none() {
    let (c, _clock) = cache::<u32>(100 * MS);
    assert_eq!(c.get(&7), None);
    c.insert(1, 10);
    assert_eq!(c.get(&7), None, "only key 1 was inserted");
}

#[test]
fn an_insert_replaces_the_value_and_restarts_the_life() {
    let (c, clock) = cache(100 * MS);
    c.insert(1, "old");
    clock.set(60 * MS);
    c.insert(1, "new");
    assert_eq!(c.get(&1), Some("new"), "the newer value replaces the older");
    clock.set(120 * MS);
    assert_eq!(c.get(&1), Some("new"), "inserted again at 60 ms: alive until 160 ms");
    clock.set(160 * MS);
    assert_eq!(
        c.get(&1),
        None,
        "inserted again at 60 ms with a ttl of 100 ms: gone at 160 ms"
    );
}

#[test]
fn entries_expire_each_on_its_own_clock() {
    let (c, clock) = cache(100 * MS);
    c.insert(1, 1);
    clock.set(50 * MS);
    c.insert(2, 2);
    clock.set(100 * MS);
    assert_eq!(
        (c.get(&1), c.get(&2)),
        (None, Some(2)),
        "at 100 ms: 1 is gone, 2 (inserted at 50 ms) alive"
    );
    clock.set(150 * MS);
    assert_eq!(c.get(&2), None, "2 is gone at 150 ms");
}

#[test]
fn remove_forgets_the_entry() {
    let (c, clock) = cache(100 * MS);
    c.insert(1, 1);
    assert_eq!(c.remove(&1), Some(1), "remove returns the live value");
    assert_eq!(c.get(&1), None, "removed");
    assert_eq!(c.remove(&1), None, "nothing left to remove");
    c.insert(2, 2);
    clock.set(100 * MS);
    assert_eq!(c.remove(&2), None, "an expired entry has no value to return");
}

#[test]
fn expired_entries_are_reclaimed() {
    const BATCH: u64 = 10_000;
    let (c, clock) = cache(1000 * MS);
    for k in 0..BATCH {
        c.insert(k, k);
    }
    clock.set(1000 * MS);
    for k in BATCH..2 * BATCH {
        c.insert(k, k);
    }
    let stored = c.stored();
    assert!(
        stored < 2 * BATCH as usize,
        "{BATCH} entries expired and {BATCH} new ones were inserted, none of the old read again: stored() is {stored}, so expired entries are never reclaimed"
    );
    // A cache that lives for days sees new keys for ever: memory must follow the live set.
    for round in 2..50u64 {
        clock.set(Duration::from_millis(round * 1000));
        for k in 0..1000u64 {
            c.insert(round * 1_000_000 + k, k);
        }
    }
    let stored = c.stored();
    assert!(
        stored <= 4 * BATCH as usize,
        "48 more rounds of 1000 new keys, each round's keys expired by the next: stored() is {stored}, it grows with every round"
    );
}

#[test]
fn no_stale_reads_under_concurrent_writers() {
    const WRITERS: u64 = 4;
    const READERS: usize = 4;
    const VERSIONS: u64 = 20_000;
    let (c, _clock) = cache::<u64>(Duration::from_secs(3600));
    let c = Arc::new(c);
    let done = Arc::new(AtomicBool::new(false));
    // Each writer owns one key and writes versions 1, 2, 3, ... to it; after each insert
    // returns, it must read back that version or a newer one.
    let writers: Vec<_> = (0..WRITERS)
        .map(|key| {
            let c = Arc::clone(&c);
            thread::spawn(move || {
                for v in 1..=VERSIONS {
                    c.insert(key, v);
                    let seen = c.get(&key);
                    assert_eq!(seen, Some(v), "key {key}: inserted version {v}, then read {seen:?}");
                }
            })
        })
        .collect();
    // Readers: a key's version never goes backwards between two reads of one thread.
    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let (c, done) = (Arc::clone(&c), Arc::clone(&done));
            thread::spawn(move || {
                let mut last = [0u64; WRITERS as usize];
                while !done.load(Ordering::SeqCst) {
                    for key in 0..WRITERS {
                        let v = c.get(&key).unwrap_or(0);
                        assert!(
                            v >= last[key as usize],
                            "key {key}: read version {v} after version {}: a stale read",
                            last[key as usize]
                        );
                        last[key as usize] = v;
                    }
                }
            })
        })
        .collect();
    let mut failure = None;
    for w in writers {
        if let Err(e) = w.join() {
            failure.get_or_insert(e);
        }
    }
    done.store(true, Ordering::SeqCst);
    for r in readers {
        if let Err(e) = r.join() {
            failure.get_or_insert(e);
        }
    }
    if let Some(e) = failure {
        std::panic::resume_unwind(e);
    }
    for key in 0..WRITERS {
        assert_eq!(c.get(&key), Some(VERSIONS), "key {key}: the last version written");
    }
}
