//! What `netlab ddos` records. `syn`: the private network it built, the kernel's SYN-queue
//! counters over time, each legitimate connection attempt, and each run's tally. `filter`: one
//! flood per depth, with what each layer counted and the CPU time it cost.

use serde::{Deserialize, Serialize};

use super::cookie::CookieSeen;
use super::counters::Counters;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum DdosEvent {
    /// The private network and the bounds of the flood.
    #[serde(rename = "ddos.setup")]
    Setup(Setup),
    /// The listener's SYN queue and counters at one moment of a run.
    #[serde(rename = "ddos.sample")]
    Sample(Sample),
    /// One connection attempt of the legitimate client.
    #[serde(rename = "ddos.probe")]
    Probe(Probe),
    /// SYNs from one 4-tuple that differ only in their MSS, and the cookies they got back.
    #[serde(rename = "ddos.cookie")]
    Cookie(CookieProbe),
    /// One run's tally (one setting of `tcp_syncookies`).
    #[serde(rename = "ddos.run")]
    Run(RunSummary),
    /// `ddos filter`: the private network, the policy and the bounds.
    #[serde(rename = "ddos.filter_setup")]
    FilterSetup(FilterSetup),
    /// `ddos filter`: one flood dropped at one depth, what each layer counted and the CPU it took.
    #[serde(rename = "ddos.filter")]
    Filter(FilterRun),
    /// `ddos reflect`: the network, the reflectors, the victim and the bounds.
    #[serde(rename = "ddos.reflect_setup")]
    ReflectSetup(ReflectSetup),
    /// `ddos reflect`: one question's forged queries in one phase, and what reached the victim.
    #[serde(rename = "ddos.reflection")]
    Reflection(Reflection),
    /// `ddos reflect`: what the rate limiter and the BCP 38 rule counted.
    #[serde(rename = "ddos.reflect_summary")]
    ReflectSummary(ReflectSummary),
    /// `ddos http`: the clients, the edge, the bounds.
    #[serde(rename = "ddos.http_setup")]
    WebSetup(WebSetup),
    /// `ddos http`: one phase (one mitigation): what the bots got, what reached the origin,
    /// what the two users got.
    #[serde(rename = "ddos.http")]
    Web(WebRun),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Setup {
    /// Where it all happens: a network namespace of netlab's own, `lo` its only interface.
    pub network: String,
    /// The listener under attack, `ADDR:PORT`.
    pub target: String,
    /// The range the SYNs claim to come from; replies to it go nowhere.
    pub spoofed_sources: String,
    /// The listener's `listen()` backlog.
    pub backlog: u32,
    /// Upper bounds, stated before anything is sent.
    pub max_packets: u32,
    pub packets_per_s: u32,
    pub max_seconds: f64,
}

/// `tcp_syncookies` (ip-sysctl.rst): 0 off, 1 when the SYN queue overflows, 2 always.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cookies {
    Off,
    On,
    Always,
}

impl Cookies {
    pub fn sysctl(self) -> u8 {
        match self {
            Cookies::Off => 0,
            Cookies::On => 1,
            Cookies::Always => 2,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Cookies::Off => "off",
            Cookies::On => "on",
            Cookies::Always => "always",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    pub cookies: Cookies,
    /// Milliseconds since the run started; the flood starts at `flood_from_ms` of the run.
    pub t_ms: u64,
    /// Half-open connections in the listener's SYN queue (sockets in SYN_RECV).
    pub syn_recv: u64,
    /// The watched `TcpExt` counters' growth since the run started.
    pub counters: Counters,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    pub cookies: Cookies,
    pub t_ms: u64,
    /// Whether the handshake finished within the probe's timeout.
    pub connected: bool,
    /// How long the connect took, or the timeout when it did not finish.
    pub connect_ms: f64,
    /// Whether the flood was under way when the attempt started.
    pub during_flood: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CookieProbe {
    pub cookies: Cookies,
    /// Linux's MSS table: the cookie keeps an index into it.
    pub msstab: Vec<u16>,
    pub probes: Vec<CookieSeen>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub cookies: Cookies,
    /// The namespace's own settings: `tcp_max_syn_backlog`, `tcp_synack_retries`.
    pub max_syn_backlog: u32,
    pub synack_retries: u32,
    pub sent: u32,
    pub flood_from_ms: u64,
    pub flood_to_ms: u64,
    /// The most half-open connections seen at once.
    pub peak_syn_recv: u64,
    /// The counters' growth over the run.
    pub counters: Counters,
    /// The legitimate client during the flood: attempts, successes, median connect time.
    pub probes_during_flood: u32,
    pub connected_during_flood: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_connect_ms: Option<f64>,
}

/// Where `ddos filter` drops the flood, outermost last (the order of the derived `Ord`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Depth {
    /// In the application, after the kernel delivered the datagram to its socket.
    App,
    /// In netfilter, at the IP stack's `prerouting` hook.
    Nftables,
    /// In an XDP program on the interface, before the IP stack.
    Xdp,
}

impl Depth {
    pub fn name(self) -> &'static str {
        match self {
            Depth::App => "app",
            Depth::Nftables => "nftables",
            Depth::Xdp => "xdp",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilterSetup {
    /// Where it all happens: two namespaces of netlab's own and the veth pair between them.
    pub network: String,
    /// The service flooded, `ADDR:PORT/udp`.
    pub target: String,
    pub spoofed_sources: String,
    /// How many distinct source addresses the flood uses.
    pub sources: u32,
    /// The per-source policy of the app and nftables depths: datagrams per second, burst.
    pub per_source_limit: u32,
    pub burst: u32,
    /// Each datagram's size on the wire (IPv4 header included).
    pub packet_bytes: u32,
    /// Upper bounds, stated before anything is sent (per depth).
    pub max_packets: u64,
    pub max_seconds: f64,
    pub depths: Vec<Depth>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilterRun {
    pub depth: Depth,
    /// The rule at this depth, as configured (nftables' ruleset, xdp-filter's commands).
    pub rule: String,
    /// The XDP mode the program ran in (`native`, or `skb` where the driver lacks XDP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xdp_mode: Option<String>,
    /// Datagrams the flood's one thread sent, in how long, and the rate.
    pub sent: u64,
    pub send_ms: f64,
    pub sent_pps: f64,
    /// Datagrams the edge's interface received.
    pub at_interface: u64,
    /// Datagrams this depth's rule dropped, and at what rate.
    pub dropped_here: u64,
    pub dropped_pps: f64,
    /// Datagrams the kernel dropped because the app's socket buffer was full (`RcvbufErrors`).
    pub socket_drops: u64,
    /// What reached the application, what it served and what its own limit dropped.
    pub app_received: u64,
    pub app_served: u64,
    pub app_dropped: u64,
    pub cpu: CpuUse,
}

/// CPU time while the flood ran, in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CpuUse {
    /// The whole machine's busy time (all CPUs), and its user, system and softirq parts.
    pub machine_ms: f64,
    pub user_ms: f64,
    pub system_ms: f64,
    pub softirq_ms: f64,
    /// The flood's sending thread and the application's thread, each its own time.
    pub sender_ms: f64,
    pub app_ms: f64,
    /// The machine's busy time per datagram sent, in nanoseconds: sending and dropping it.
    pub ns_per_packet: f64,
}

/// A phase of `ddos reflect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The reflector answers every query.
    Plain,
    /// The reflector limits its answers per client network and question (RRL).
    Rrl,
    /// The attacker's network drops packets whose source is not its own (BCP 38).
    Bcp38,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Plain => "plain",
            Phase::Rrl => "rrl",
            Phase::Bcp38 => "bcp38",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReflectSetup {
    pub network: String,
    /// The address and port the queries forge as their source.
    pub victim: String,
    /// The reflectors: without RRL, and with it.
    pub reflector: String,
    pub reflector_rrl: String,
    /// The UDP payload size the queries offer (EDNS), and DO=1.
    pub edns_size: u16,
    /// Queries per question and phase, and their rate.
    pub queries: u32,
    pub queries_per_s: u32,
    /// The RRL policy: answers per second per client network and question, and the slip.
    pub rrl_responses_per_second: u32,
    pub rrl_slip: u32,
    pub max_seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reflection {
    pub phase: Phase,
    pub server: String,
    pub qname: String,
    pub qtype: String,
    /// Forged queries written, how many left the attacker's network, and their bytes as IPv4
    /// packets.
    pub queries: u32,
    pub left: u32,
    pub query_bytes: u64,
    /// Answers at the victim (truncated ones among them), and their bytes as IPv4 packets.
    pub answers: u32,
    pub truncated: u32,
    pub answer_bytes: u64,
    /// The largest untruncated answer, in bytes.
    pub largest_answer: u64,
    /// answer_bytes / query_bytes: what each byte the attacker sent became at the victim.
    pub factor: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReflectSummary {
    /// What RRL did with the queries to its server: answered, slipped (TC=1), dropped.
    pub rrl_answered: u64,
    pub rrl_slipped: u64,
    pub rrl_dropped: u64,
    /// Forged queries the attacker's network dropped (BCP 38).
    pub bcp38_dropped: u64,
}

/// The edge's defence in a phase of `ddos http`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mitigation {
    None,
    /// A per-address rate limit (429 past it).
    Limit,
    /// A cookie challenge (403 that sets the cookie, until a request brings it).
    Challenge,
}

impl Mitigation {
    pub fn name(self) -> &'static str {
        match self {
            Mitigation::None => "none",
            Mitigation::Limit => "limit",
            Mitigation::Challenge => "challenge",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebSetup {
    pub network: String,
    /// The URL flooded, uncacheable (`no-store`).
    pub target: String,
    /// How many bots (each its own address from 127.0.66.1), the real user's address, and the
    /// NAT user's (the first bot's).
    pub bots: u32,
    pub user: String,
    pub nat_user: String,
    /// The per-address limit of the `limit` phase, requests per second.
    pub per_client_limit: u32,
    /// Each bot's requests per second, a phase's length, and so the bots' requests per phase
    /// at most.
    pub rate_per_bot: u32,
    pub seconds: f64,
    pub max_requests: u64,
    pub phases: Vec<Mitigation>,
}

/// What one user got during a phase.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserTally {
    pub attempts: u32,
    pub ok: u32,
    /// Answered 429.
    pub limited: u32,
    /// Challenged (a 403 with the cookie, then retried with it).
    pub challenged: u32,
    pub failed: u32,
    /// The first successful request's time (with any challenge), the median and the slowest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebRun {
    pub mitigation: Mitigation,
    pub bots: u32,
    /// The bots' requests, in how long, and their rate.
    pub bot_requests: u64,
    pub seconds: f64,
    pub bot_rps: f64,
    /// What the bots got: 200, 429, 403, anything else or nothing.
    pub bot_ok: u64,
    pub bot_limited: u64,
    pub bot_challenged: u64,
    pub bot_failed: u64,
    /// Requests the origin answered during the phase (bots' and users').
    pub origin_requests: u64,
    pub user: UserTally,
    pub nat_user: UserTally,
}
