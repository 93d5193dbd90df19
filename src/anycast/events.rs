//! What `netlab anycast` records: the topology, which PoP each client reached and why (the
//! candidate routes at its transit and the BGP decision step that chose), and, after a PoP is
//! withdrawn, how long each client took to reach another.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum AnycastEvent {
    #[serde(rename = "anycast.setup")]
    Setup(Setup),
    /// Where one client's packets to the anycast address went, at one moment.
    #[serde(rename = "anycast.reach")]
    Reach(Reach),
    /// A PoP withdrawn or failed: each client's time to another PoP, the downloads across it,
    /// and the BGP messages that followed.
    #[serde(rename = "anycast.change")]
    Change(PopChange),
    /// `anycast up`: the internet runs on; how to reach into it.
    #[serde(rename = "anycast.up")]
    Up(Up),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Up {
    /// Each node's network namespace, as a path `nsenter --net=` takes while netlab runs.
    pub namespaces: BTreeMap<String, String>,
    /// Each router's BIRD control socket, for `birdc -s`.
    pub birdc: BTreeMap<String, String>,
    /// Commands to paste, each ready to run.
    pub try_commands: Vec<String>,
    /// How long it runs (`--for`); absent: until Ctrl-C or SIGTERM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<u64>,
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
    /// The links between routers, with their emulated one-way delays.
    #[serde(default)]
    pub links: Vec<LinkSeen>,
    /// How long BGP took to give every client a route, from the daemons' start.
    pub converged_ms: f64,
}

/// One link of the topology: its ends and its one-way delay (a client's link to its transit
/// has none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkSeen {
    pub a: String,
    pub b: String,
    pub delay_ms: u64,
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
    /// The PoP named by the web edge's `x-served-by` header, asked over TCP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_by: Option<String>,
    /// Where DNS steering sends the same client instead, for comparison.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steered: Option<Steered>,
    /// The client's transit, the routes it had to the prefix, and why it chose the best.
    pub transit: String,
    pub candidates: Vec<Candidate>,
    pub reason: String,
}

/// DNS steering's answer for one client: the CDN name's address (a PoP's unicast address,
/// picked by the query's source), its TTL, and the PoP that answered HTTP there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Steered {
    pub name: String,
    pub address: String,
    pub ttl: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_by: Option<String>,
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
pub struct PopChange {
    pub pop: String,
    /// `withdrawn` (it stopped announcing, with an UPDATE) or `failed` (it went dark).
    pub how: String,
    /// Per client: the PoP it reached before, the one after, and the time from the change to
    /// the first answer from the new one (None: it never moved).
    pub moves: Vec<Move>,
    /// Per client: the downloads under way when the route changed, one from the anycast
    /// address and one from the address DNS steering gave it.
    pub downloads: Vec<Download>,
    /// RSTs each PoP's kernel sent during the experiment (its `Tcp: OutRsts` counter).
    pub resets_sent: BTreeMap<String, u64>,
    /// The BGP messages on the transits' links from the change on, KEEPALIVEs left out.
    pub bgp: Vec<BgpSeen>,
}

/// One BGP segment seen on a link, decoded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BgpSeen {
    /// When, in ms after the change.
    pub at_ms: f64,
    pub from: String,
    pub to: String,
    /// What it said, as `netlab pcap` decodes it.
    pub info: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Download {
    pub client: String,
    /// `anycast` (from 203.0.113.1) or `dns` (from the address DNS steering gave the client).
    pub steering: String,
    pub address: String,
    /// The PoP that answered the request (`x-served-by`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_by: Option<String>,
    pub expected_bytes: u64,
    pub received_bytes: u64,
    /// `complete`, `reset`, `stalled`, `closed early`, or `failed: ...`.
    pub end: String,
    /// When it ended, in ms after the change (negative: before it).
    pub ended_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Move {
    pub client: String,
    pub before: Option<String>,
    pub after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub converged_ms: Option<f64>,
    /// Identity queries (DNS over UDP) that went unanswered while it moved.
    pub unanswered: u32,
}
