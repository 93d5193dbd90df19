//! Rate limiting, as an edge network does it: the algorithms (`algorithms`), traffic to feed
//! them (`traffic`: a bursty generator and access logs), and the replay that measures each
//! against an exact sliding log (`replay`), for `netlab ratelimit`.
//!
//! A policy is "at most `limit` requests per `window` per key" (a client address, an API key).
//! Every algorithm answers the same question for each request, in the order requests arrive,
//! and they differ in how much they remember: the exact answer needs every timestamp of the
//! last window (a sliding log); a fixed window needs one counter but lets twice the limit
//! through around a boundary; the sliding window counter weighs the previous window's count
//! (Cloudflare's approximation); a token bucket and GCRA allow a burst of `limit` and then a
//! steady rate.

pub mod algorithms;
pub mod events;
pub mod headers;
pub mod render;
pub mod replay;
pub mod traffic;

/// Schema domain of `netlab ratelimit` (`netlab.ratelimit/1`).
pub const DOMAIN: &str = "ratelimit";

use algorithms::{Algorithm, Policy};
use events::{RatelimitEvent, ReplaySeen};
use traffic::Request;

use crate::trace::{Note, Outcome, Trace, TraceBuilder};

/// What to replay, and how.
pub struct Options {
    pub source: String,
    pub requests: Vec<Request>,
    pub policy: Policy,
    pub algorithms: Vec<Algorithm>,
    /// `--nodes N --delay D`.
    pub distributed: Option<(u32, u64)>,
}

/// Replays the requests through every algorithm and, if asked, the distributed nodes.
pub fn run(o: &Options) -> Trace {
    let mut trace = TraceBuilder::new(DOMAIN, "ratelimit");
    let keys: std::collections::HashSet<u64> = o.requests.iter().map(|r| r.key).collect();
    let span_ns = o.requests.last().map_or(0, |r| r.at_ns) - o.requests.first().map_or(0, |r| r.at_ns);
    trace.push(
        RatelimitEvent::Replay(ReplaySeen {
            source: o.source.clone(),
            requests: o.requests.len() as u64,
            keys: keys.len() as u64,
            limit: o.policy.limit,
            window_ns: o.policy.window_ns,
            span_ns,
        }),
        vec![Note::new(
            "ratelimit.oracle",
            "Each algorithm decides every request in arrival order; its decisions are compared one by one with the exact sliding log's (every admitted request's time in the last window). A false admit lets through a request the policy forbids; a false reject refuses one it allows. A limited request gets 429 Too Many Requests, with Retry-After.",
            Some("RFC 6585 §4; RFC 9110 §10.2.3"),
        )],
    );
    let (runs, floor) = replay::replay(&o.requests, o.policy, &o.algorithms);
    for r in runs {
        let notes = algorithm_note(r.algorithm);
        trace.push(RatelimitEvent::Algorithm(r), notes);
    }
    trace.push(RatelimitEvent::Floor(floor), Vec::new());
    if let Some((nodes, delay_ns)) = o.distributed {
        let d = replay::distributed(&o.requests, o.policy, nodes, delay_ns);
        trace.push(
            RatelimitEvent::Distributed(d),
            vec![Note::new(
                "ratelimit.distributed",
                "Nodes that share counters only after a replication delay each admit what they have not yet heard of: the cluster over-admits by up to (nodes - 1) x the requests a key sends during one delay. Local limits of limit/nodes never over-admit but refuse a client whose requests all land on one node: the price of sharing nothing.",
                None,
            )],
        );
    }
    trace.finish(Outcome::Ok)
}

/// What each algorithm trades, once per trace.
fn algorithm_note(a: Algorithm) -> Vec<Note> {
    let (topic, text, reference) = match a {
        Algorithm::FixedWindow => ("ratelimit.fixed", "Fixed window: one counter per key per window. A client can spend the limit at the end of one window and again at the start of the next, so up to twice the limit passes within one window's length: its false admits.", None),
        Algorithm::SlidingLog => ("ratelimit.log", "Sliding log: the exact answer, at the cost of one timestamp per admitted request in the window (up to limit x 8 octets per key).", None),
        Algorithm::SlidingWindow => ("ratelimit.sliding", "Sliding window counter: the current window's count plus the previous one's weighted by its overlap with the last window (Cloudflare's approximation). Two counters per key; it errs only when the previous window's requests were bunched.", Some("Cloudflare blog, \"How we built rate limiting capable of scaling to millions of domains\" (2017)")),
        Algorithm::TokenBucket => ("ratelimit.bucket", "Token bucket: a full bucket lets a burst of limit through at once, then one request per window/limit. It limits a rate, not a count per window, so it disagrees with the log in both directions.", None),
        Algorithm::Gcra => ("ratelimit.gcra", "GCRA keeps one time per key, the theoretical arrival time of the next request at the steady rate; it admits when that time is at most the burst tolerance ahead of now. A token bucket in one integer.", Some("ITU-T I.371 (GCRA)")),
    };
    vec![Note::new(topic, text, reference)]
}
