//! What `netlab ratelimit` reports: the replay's input, each algorithm's accuracy against the
//! exact sliding log, its memory and speed, the floor, and the distributed replay.

use serde::{Deserialize, Serialize};

use super::algorithms::Algorithm;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum RatelimitEvent {
    /// What was replayed under which policy.
    #[serde(rename = "ratelimit.replay")]
    Replay(ReplaySeen),
    /// One algorithm's run.
    #[serde(rename = "ratelimit.algorithm")]
    Algorithm(AlgorithmRun),
    /// The speed floor: a `HashMap` counting pass over the same requests.
    #[serde(rename = "ratelimit.floor")]
    Floor(Floor),
    /// `--nodes N --delay D`: shared counters replicated late.
    #[serde(rename = "ratelimit.distributed")]
    Distributed(Distributed),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplaySeen {
    /// `generated` or the log's path.
    pub source: String,
    pub requests: u64,
    pub keys: u64,
    pub limit: u32,
    pub window_ns: u64,
    /// Over the replay: seconds from the first request to the last.
    pub span_ns: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlgorithmRun {
    pub algorithm: Algorithm,
    pub admitted: u64,
    pub limited: u64,
    /// Admitted where the exact sliding log refuses.
    pub false_admits: u64,
    /// Refused where the exact sliding log admits.
    pub false_rejects: u64,
    /// State held at the end, over every key.
    pub state_bytes: u64,
    pub bytes_per_key: u64,
    pub decisions_per_s: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Floor {
    pub decisions_per_s: u64,
    /// What counting alone (no window) would admit: the first `limit` requests of each key.
    pub admitted: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Distributed {
    pub nodes: u32,
    pub delay_ns: u64,
    /// Admitted by the nodes sharing counters late.
    pub admitted: u64,
    /// Admitted by one exact fixed window over all requests.
    pub exact_admitted: u64,
    pub over_admitted: u64,
    /// Each node alone with `limit / nodes`, sharing nothing.
    pub local_limit: u32,
    pub local_admitted: u64,
}
