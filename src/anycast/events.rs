//! What `netlab anycast` records: the topology, which PoP each client reached and why (the
//! candidate routes at its transit and the BGP decision step that chose), and, after a PoP is
//! withdrawn, how long each client took to reach another.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum AnycastEvent {
    #[serde(rename = "anycast.setup")]
    Setup(Setup),
    /// Where one client's packets to the anycast address went, at one moment.
    #[serde(rename = "anycast.reach")]
    Reach(Reach),
    /// A PoP's BGP sessions disabled, and each client's time to another PoP.
    #[serde(rename = "anycast.withdraw")]
    Withdraw(Withdraw),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Setup {
    pub network: String,
    /// The prefix every PoP announces, and the address on each.
    pub prefix: String,
    pub address: String,
    pub pop_as: u32,
    pub pops: Vec<String>,
    /// Each router's sessions: `ROUTER (ASn) hears PEER (ASm) with local-pref N`.
    pub sessions: Vec<String>,
    /// How long BGP took to give every client a route, from the daemons' start.
    pub converged_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reach {
    /// `baseline`, or `after withdrawing POP`.
    pub phase: String,
    pub client: String,
    /// The PoP that answered, and the round trip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pop: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtt_ms: Option<f64>,
    /// The client's transit, the routes it had to the prefix, and why it chose the best.
    pub transit: String,
    pub candidates: Vec<Candidate>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The neighbour it was learned from.
    pub from: String,
    pub as_path: Vec<u32>,
    pub local_pref: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub med: Option<u32>,
    pub best: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Withdraw {
    pub pop: String,
    /// Per client: the PoP it reached before, the one after, and the time from disabling the
    /// sessions to the first answer from the new one (None: it never moved).
    pub moves: Vec<Move>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Move {
    pub client: String,
    pub before: Option<String>,
    pub after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub converged_ms: Option<f64>,
}
