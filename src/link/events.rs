//! What the emulated link records in a command's trace: every packet it forwarded or dropped,
//! decoded to one line, and what the link did in all.

use serde::{Deserialize, Serialize};

use super::carried::Carried;
use super::{Direction, DropReason};

/// One event of the link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum LinkEvent {
    /// A packet that crossed the link, or was lost on it.
    #[serde(rename = "link.packet")]
    Packet(Box<LinkPacket>),
    /// The link's conditions and its counts, per direction.
    #[serde(rename = "link.summary")]
    Summary(Box<LinkSummary>),
}

/// What became of one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum PacketFate {
    /// Left the far end `after_us` microseconds after it arrived (delay, jitter, queueing and
    /// serialization at the rate limit).
    Forwarded { after_us: u64 },
    /// Lost on the link.
    Dropped { reason: DropReason },
    /// The forwarder's own queue was full (its memory bound), so it was lost.
    Overflow,
}

/// One packet, as the link saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkPacket {
    /// When it reached the link, in microseconds since the link started.
    pub arrived_us: u64,
    pub direction: Direction,
    /// Its IP length in octets.
    pub len: usize,
    /// Whether it carried TCP or UDP payload (a bare ACK does not).
    pub carries_data: bool,
    #[serde(flatten)]
    pub fate: PacketFate,
    /// `tcp`, `udp`, `icmp`, ... and its endpoints.
    pub proto: String,
    pub src: String,
    pub dst: String,
    /// The decoders' one-line description (TCP flags and numbers, DNS question, TLS record, ...).
    pub info: String,
    /// For a dropped packet of a connection whose keys netlab held: what it carried (HTTP/2
    /// frames by stream, QUIC frames by stream), in the order it carried them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub carried: Vec<Carried>,
}

/// One direction's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectionCounts {
    pub packets: u64,
    pub bytes: u64,
    pub forwarded: u64,
    pub dropped: u64,
    pub overflowed: u64,
}

/// The link's conditions and what it did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkSummary {
    /// The conditions, in `--link` syntax.
    pub spec: String,
    pub up: DirectionCounts,
    pub down: DirectionCounts,
    /// Packets not logged one by one (the log keeps the first ones), still counted above.
    pub omitted: u64,
    /// Why the link stopped early, if it did.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<String>,
    /// The capture files `--link-pcap` wrote: the client's end, then the servers'.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pcap_files: Vec<String>,
}

/// The schema of the link's log on its own (`sandbox up --link`, when it stops).
pub const LOG_SCHEMA: &str = "netlab.link/1";

/// The link's log on its own, for a command that is not a trace: what `sandbox up --link`
/// prints when it stops.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkLog {
    pub schema: &'static str,
    pub events: Vec<LinkEvent>,
}

impl LinkLog {
    pub fn new(events: Vec<LinkEvent>) -> LinkLog {
        LinkLog {
            schema: LOG_SCHEMA,
            events,
        }
    }
}
