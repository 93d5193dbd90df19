//! Failures as data: what could not be done, in which phase, and what the network or the peer
//! said. A failed command still returns its trace, ending in [`crate::trace::Outcome::Failed`];
//! a failure before any trace exists is [`crate::error::Error::Failed`]. Both exit with
//! [`crate::error::EXIT_FAILED`].

use serde::{Deserialize, Serialize};

/// Where in a command's life the failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Looking up a name (the sandbox's DNS, or the system's resolver).
    Dns,
    /// Opening the TCP connection (or sending the first UDP datagram).
    Connect,
    /// The TLS handshake.
    Tls,
    /// The QUIC handshake.
    Quic,
    /// Sending a request or reading its answer.
    Request,
}

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            Phase::Dns => "dns",
            Phase::Connect => "connect",
            Phase::Tls => "tls",
            Phase::Quic => "quic",
            Phase::Request => "request",
        }
    }
}

/// What kind of failure: the network's (refused, timeout, unreachable, reset) or the peer's
/// protocol (a malformed reply, an alert, a close).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// Nothing listens there: the peer's kernel answered the SYN with RST (RFC 9293 §3.5.2).
    Refused,
    /// No answer within the time allowed.
    Timeout,
    /// No route to the destination, or an ICMP unreachable.
    Unreachable,
    /// The peer reset the connection (RST) after it was open.
    Reset,
    /// The peer closed before the exchange was complete.
    Closed,
    /// Bytes that do not parse as the protocol.
    Malformed,
    /// The peer sent a TLS alert (RFC 8446 §6) or an error code (HTTP/2 RST_STREAM, QUIC CONNECTION_CLOSE).
    Alert,
    /// A certificate check failed.
    Certificate,
    /// Anything else the system reported.
    Other,
}

impl FailureKind {
    /// What this kind means, in a few words.
    pub fn says(self) -> &'static str {
        match self {
            FailureKind::Refused => "connection refused",
            FailureKind::Timeout => "timed out",
            FailureKind::Unreachable => "unreachable",
            FailureKind::Reset => "connection reset",
            FailureKind::Closed => "closed early",
            FailureKind::Malformed => "malformed reply",
            FailureKind::Alert => "the peer signalled an error",
            FailureKind::Certificate => "certificate check failed",
            FailureKind::Other => "failed",
        }
    }

    /// What a user can do about it.
    pub fn hint(self) -> &'static str {
        match self {
            FailureKind::Refused => "nothing listens there: check the host and port",
            FailureKind::Timeout => "check the host and port, or raise --timeout",
            FailureKind::Unreachable => "check the address and the route to it",
            FailureKind::Reset | FailureKind::Closed => "the peer ended the connection: check what it expects",
            FailureKind::Malformed | FailureKind::Alert => "the peer does not speak the protocol as expected",
            FailureKind::Certificate => "give --cacert for a private CA, check --sni, or see -k",
            FailureKind::Other => "check the host and port",
        }
    }

    /// The kind an I/O error from the operating system is.
    pub fn of_io(e: &std::io::Error) -> FailureKind {
        use std::io::ErrorKind as K;
        match e.kind() {
            K::ConnectionRefused => FailureKind::Refused,
            K::TimedOut | K::WouldBlock => FailureKind::Timeout,
            K::NetworkUnreachable | K::HostUnreachable | K::AddrNotAvailable => FailureKind::Unreachable,
            K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => FailureKind::Reset,
            K::UnexpectedEof => FailureKind::Closed,
            K::InvalidData => FailureKind::Malformed,
            _ => FailureKind::Other,
        }
    }
}

/// One failure: the phase, its kind, what was being done and what was said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub phase: Phase,
    pub kind: FailureKind,
    /// What was being done, e.g. `TCP connect to 127.0.0.1:1`, `HTTP/2 response`.
    pub what: String,
    /// What the system or the peer said, as it said it (for a failed certificate check, the
    /// check's plain words, `tls::verify::said`).
    pub detail: String,
}

impl Failure {
    pub fn new(phase: Phase, kind: FailureKind, what: impl Into<String>, detail: impl Into<String>) -> Self {
        Failure {
            phase,
            kind,
            what: what.into(),
            detail: detail.into(),
        }
    }

    /// A failed system call in `phase`, classified by its error kind.
    pub fn io(phase: Phase, what: impl Into<String>, e: &std::io::Error) -> Self {
        Failure::new(phase, FailureKind::of_io(e), what, e.to_string())
    }

    /// No answer within `limit`.
    pub fn timeout(phase: Phase, what: impl Into<String>, limit: std::time::Duration) -> Self {
        Failure::new(
            phase,
            FailureKind::Timeout,
            what,
            format!("no answer in {} ms", limit.as_millis()),
        )
    }

    /// How a trace that ends in this failure ends: a certificate that fails its check is a
    /// verdict ("no, this server cannot be trusted", exit 1); everything else is a failure.
    pub fn outcome(self) -> crate::trace::Outcome {
        match self.kind {
            FailureKind::Certificate => crate::trace::Outcome::Negative {
                reason: self.to_string(),
            },
            _ => crate::trace::Outcome::Failed { failure: self },
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.what, self.kind.says(), self.detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_are_classified_by_kind() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let f = Failure::io(Phase::Connect, "TCP connect to 127.0.0.1:1", &refused);
        assert_eq!(f.kind, FailureKind::Refused);
        assert!(f
            .to_string()
            .starts_with("TCP connect to 127.0.0.1:1: connection refused"));
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["phase"], "connect");
        assert_eq!(json["kind"], "refused");
    }
}
