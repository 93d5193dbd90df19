//! The replay: every algorithm decides the same requests; each decision is compared with the
//! exact sliding log's (false admits: let through where the log refuses; false rejects:
//! refused where the log admits), timed, and its memory counted. A `HashMap` counting pass
//! over the same requests is the speed floor. The distributed replay spreads each key's
//! requests over N nodes whose counters reach each other after a delay.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use super::algorithms::{Algorithm, KeyMap, Policy};
use super::events::{AlgorithmRun, Distributed, Floor};
use super::traffic::Request;

/// Replays `requests` through each of `algorithms` (the sliding log always runs first: it is
/// the oracle).
pub fn replay(requests: &[Request], policy: Policy, algorithms: &[Algorithm]) -> (Vec<AlgorithmRun>, Floor) {
    let (oracle, _, _) = run(Algorithm::SlidingLog, requests, policy);
    let mut out = Vec::new();
    for &a in algorithms {
        let (decisions, seconds, (state_bytes, keys)) = run(a, requests, policy);
        let false_admits = decisions.iter().zip(&oracle).filter(|(d, o)| **d && !**o).count() as u64;
        let false_rejects = decisions.iter().zip(&oracle).filter(|(d, o)| !**d && **o).count() as u64;
        let admitted = decisions.iter().filter(|d| **d).count() as u64;
        out.push(AlgorithmRun {
            algorithm: a,
            admitted,
            limited: requests.len() as u64 - admitted,
            false_admits,
            false_rejects,
            state_bytes: state_bytes as u64,
            bytes_per_key: state_bytes.checked_div(keys).unwrap_or(0) as u64,
            decisions_per_s: per_second(requests.len(), seconds),
        });
    }
    (out, floor(requests, policy))
}

/// One algorithm's decisions, the seconds they took, and its state at the end.
fn run(a: Algorithm, requests: &[Request], policy: Policy) -> (Vec<bool>, f64, (usize, usize)) {
    let mut limiter = a.limiter(policy);
    let mut decisions = Vec::with_capacity(requests.len());
    let started = Instant::now();
    for r in requests {
        decisions.push(limiter.admit(r.key, r.at_ns).admitted);
    }
    let seconds = started.elapsed().as_secs_f64();
    (decisions, seconds, (limiter.state_bytes(), limiter.keys()))
}

fn per_second(n: usize, seconds: f64) -> u64 {
    if seconds > 0.0 {
        (n as f64 / seconds) as u64
    } else {
        0
    }
}

/// The floor: a std `HashMap` (SipHash) counting each key's requests, one lookup and one add
/// per request, with a comparison to store like the algorithms' decisions.
fn floor(requests: &[Request], policy: Policy) -> Floor {
    let mut counts: HashMap<u64, u32> = HashMap::new();
    let mut decisions = Vec::with_capacity(requests.len());
    let started = Instant::now();
    for r in requests {
        let c = counts.entry(r.key).or_insert(0);
        *c += 1;
        decisions.push(*c <= policy.limit);
    }
    let seconds = started.elapsed().as_secs_f64();
    Floor {
        decisions_per_s: per_second(requests.len(), seconds),
        admitted: decisions.iter().filter(|d| **d).count() as u64,
    }
}

/// `nodes` edge nodes share fixed-window counters, each node seeing the others' admissions
/// `delay_ns` late; each key's requests are spread over the nodes in turn (as anycast and load
/// balancing spread a busy client). Compared with one exact fixed window over all requests, and
/// with per-node local limits of `limit / nodes` that share nothing.
pub fn distributed(requests: &[Request], policy: Policy, nodes: u32, delay_ns: u64) -> Distributed {
    let nodes = nodes.max(1) as usize;
    let w = policy.window_ns.max(1);
    // Per node: (key, window) -> admissions it knows of (its own at once, others' after delay).
    let mut seen: Vec<KeyMap<(u64, u32)>> = (0..nodes).map(|_| KeyMap::default()).collect();
    let mut in_flight: VecDeque<(u64, usize, u64, u64)> = VecDeque::new();
    let mut exact: KeyMap<(u64, u32)> = KeyMap::default();
    let mut local: Vec<KeyMap<(u64, u32)>> = (0..nodes).map(|_| KeyMap::default()).collect();
    let local_limit = (policy.limit / nodes as u32).max(1);
    let (mut admitted, mut exact_admitted, mut local_admitted) = (0u64, 0u64, 0u64);
    // One count per (key, window): a newer window starts the count again.
    let bump = |m: &mut KeyMap<(u64, u32)>, key: u64, window: u64| {
        let e = m.entry(key).or_insert((window, 0));
        if e.0 < window {
            *e = (window, 0);
        }
        if e.0 == window {
            e.1 += 1;
        }
    };
    let count =
        |m: &KeyMap<(u64, u32)>, key: u64, window: u64| m.get(&key).filter(|e| e.0 == window).map_or(0, |e| e.1);
    for (i, r) in requests.iter().enumerate() {
        let window = r.at_ns / w;
        while in_flight.front().is_some_and(|f| f.0 <= r.at_ns) {
            let (_, from, key, win) = in_flight.pop_front().expect("checked");
            for (n, view) in seen.iter_mut().enumerate() {
                if n != from {
                    bump(view, key, win);
                }
            }
        }
        let node = i % nodes;
        if count(&seen[node], r.key, window) < policy.limit {
            admitted += 1;
            bump(&mut seen[node], r.key, window);
            in_flight.push_back((r.at_ns.saturating_add(delay_ns), node, r.key, window));
        }
        if count(&exact, r.key, window) < policy.limit {
            exact_admitted += 1;
            bump(&mut exact, r.key, window);
        }
        if count(&local[node], r.key, window) < local_limit {
            local_admitted += 1;
            bump(&mut local[node], r.key, window);
        }
    }
    Distributed {
        nodes: nodes as u32,
        delay_ns,
        admitted,
        exact_admitted,
        over_admitted: admitted.saturating_sub(exact_admitted),
        local_limit,
        local_admitted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ratelimit::traffic::{generate, Mix};

    const S: u64 = 1_000_000_000;

    #[test]
    fn the_oracle_has_no_errors_and_the_fixed_window_over_admits() {
        let requests = generate(Mix {
            clients: 200,
            seconds: 30,
            mean_rate: 4.0,
            seed: 7,
        });
        let policy = Policy {
            limit: 10,
            window_ns: S,
        };
        let (runs, floor) = replay(&requests, policy, &Algorithm::ALL);
        let by = |a: Algorithm| runs.iter().find(|r| r.algorithm == a).unwrap();
        let log = by(Algorithm::SlidingLog);
        assert_eq!((log.false_admits, log.false_rejects), (0, 0));
        assert!(log.limited > 0, "the mix has clients above the limit");
        let fixed = by(Algorithm::FixedWindow);
        assert!(fixed.false_admits > 0, "boundary bursts get through a fixed window");
        for r in &runs {
            assert_eq!(r.admitted + r.limited, requests.len() as u64);
            assert!(r.bytes_per_key > 0);
        }
        assert!(
            by(Algorithm::SlidingWindow).false_admits + by(Algorithm::SlidingWindow).false_rejects
                < fixed.false_admits + fixed.false_rejects,
            "the weighted counter errs less than the fixed window"
        );
        assert!(floor.decisions_per_s > 0);
    }

    #[test]
    fn replication_delay_over_admits_and_local_limits_under_admit() {
        // One client, 40 requests spread over the first half of each second, 10 allowed per second.
        let requests: Vec<Request> = (0..400)
            .map(|i| Request {
                at_ns: (i / 40) * S + (i % 40) * 10_000_000,
                key: 1,
            })
            .collect();
        let policy = Policy {
            limit: 10,
            window_ns: S,
        };
        let instant = distributed(&requests, policy, 4, 0);
        assert_eq!(instant.over_admitted, 0, "no delay: the shared count is exact");
        assert_eq!(instant.admitted, instant.exact_admitted);
        let late = distributed(&requests, policy, 4, 100_000_000);
        assert!(late.over_admitted > 0, "{late:?}");
        assert!(late.admitted > late.exact_admitted);
        assert_eq!(late.local_limit, 2);
        assert!(late.local_admitted <= late.exact_admitted);
    }
}
