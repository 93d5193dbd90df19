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
    /// `--keylog`: a TLS connection in the capture, decrypted and explained.
    #[serde(rename = "packet.tls")]
    Tls(Box<super::tlsflows::TlsFlowSeen>),
    /// `netlab tcp`: the connection as the client's socket saw it.
    #[serde(rename = "packet.tcp_connect")]
    Connect(TcpConnect),
    /// `netlab tcp`: TCP_INFO during the transfer.
    #[serde(rename = "packet.tcp_info")]
    TcpInfo(super::tcpinfo::TcpInfoSample),
    /// `netlab tcp`: the socket's state after the close (TIME_WAIT for the side that closed first).
    #[serde(rename = "packet.tcp_closed")]
    Closed(TcpClosed),
}

/// The client's side of a connection made by `netlab tcp`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpConnect {
    pub local: String,
    pub remote: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// connect() took this long: one round trip (SYN, SYN-ACK), the ACK leaves right after.
    pub connect_us: u64,
    /// Why there is no packet capture, when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture: Option<String>,
}

/// How the connection ended, from the client socket's point of view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpClosed {
    pub sent_bytes: u64,
    /// The kernel's state for the socket after both FINs (`TIME_WAIT`, or none left).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_after_close: Option<String>,
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
    /// The TCP window the sender offered, scaled as its handshake agreed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowSeen>,
}

/// What a TCP segment's 16-bit window field means in octets (RFC 7323 §2): Wireshark's
/// "calculated window size".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scaling", rename_all = "snake_case")]
pub enum WindowSeen {
    /// In a SYN or SYN-ACK the window is never scaled (RFC 7323 §2.2), and a reset's is not
    /// read at all (RFC 9293 §3.10.7).
    Unscaled,
    /// Both SYNs carried Window Scale: the field times 2^shift, the sender's own shift.
    Scaled { shift: u8, bytes: u64 },
    /// A SYN came without the option: no scaling on this connection, the field is the window.
    Off,
    /// The handshake is not in the capture, so the scale is unknown.
    Unknown,
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
    /// A live capture: frames the kernel dropped because the capture did not read them in time
    /// (its packet socket's `PACKET_STATISTICS`); none of them is among those read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_dropped: Option<u64>,
}
