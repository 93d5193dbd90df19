//! What a packet trace records: each frame decoded, each TCP connection's story (`--streams`),
//! and a summary.

use serde::{Deserialize, Serialize};

use super::layers::Decoded;
use super::streams::StreamSeen;

/// One step of a packet trace, tagged `"type": "packet.<name>"` in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum PacketEvent {
    #[serde(rename = "packet.frame")]
    Frame(Box<FrameSeen>),
    #[serde(rename = "packet.stream")]
    Stream(Box<StreamSeen>),
    #[serde(rename = "packet.summary")]
    Summary(CaptureSummary),
}

impl From<PacketEvent> for crate::trace::EventKind {
    fn from(e: PacketEvent) -> Self {
        crate::trace::EventKind::Packet(e)
    }
}

/// One frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameSeen {
    pub number: u64,
    /// Seconds since the first frame.
    pub time: f64,
    /// On the wire, and captured (less when the snap length cut it).
    pub length: u32,
    pub captured: usize,
    #[serde(flatten)]
    pub decoded: Decoded,
    /// TCP sequence and acknowledgment numbers relative to each side's first (as Wireshark shows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relative: Option<(u32, u32)>,
}

/// The whole capture.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureSummary {
    pub frames_read: u64,
    pub frames_shown: u64,
    /// Frames cut by the snap length or with a malformed layer.
    pub frames_with_problems: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
