//! What `netlab ddos syn` records: the private network it built, the kernel's SYN-queue
//! counters over time, each legitimate connection attempt, and each run's tally.

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
