//! An emulated link between the client and the sandbox: one-way delay and jitter, random and
//! burst loss, deterministic drops, reordering, a rate limit with a bounded drop-tail queue, and
//! an MTU, applied to IP packets so the kernel's TCP and quinn's QUIC react to them.
//!
//! [`model`] is the pure scheduler on a virtual clock (packets in, departures and drops out);
//! [`spec`] parses `--link` and its presets. The I/O shell that feeds it packets from TUN
//! devices lives with the namespaces that hold them.

pub mod carried;
pub mod events;
pub mod model;
pub mod render;
pub mod spec;

use serde::{Deserialize, Serialize};

/// Which way a packet crosses the link. Ordered `Up` before `Down`, the order `--link` prints
/// its `drop=` list in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the client towards the sandbox's servers.
    Up,
    /// From the servers back to the client.
    Down,
}

/// What the link knows of a packet when it arrives: its size and whether it carries payload
/// (TCP or UDP data, as opposed to a bare ACK), which "drop the Nth data packet" counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offer {
    /// IP packet length in bytes.
    pub len: usize,
    /// True when the transport payload is non-empty.
    pub carries_data: bool,
}

/// Why the link dropped a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// Random (Bernoulli) loss.
    Loss,
    /// The bad state of the Gilbert-Elliott burst-loss chain.
    Burst,
    /// A packet the `drop=` rule names.
    Chosen,
    /// The rate limiter's queue was full (drop-tail).
    QueueFull,
    /// Larger than the link's MTU.
    TooBig,
}

/// The link's decision for one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Leaves the far end at `depart` (virtual time since the link started).
    Forward {
        depart: std::time::Duration,
    },
    Drop(DropReason),
}
