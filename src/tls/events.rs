//! What a TLS trace records: the connection, each record on the wire, each handshake message
//! (decrypted where it was encrypted), the proof that the transcript is intact, and a summary.

use serde::{Deserialize, Serialize};

use super::handshake::Hello;
use super::tap::Direction;

/// One step of a TLS trace, tagged `"type": "tls.<name>"` in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum TlsEvent {
    /// The TCP connection under TLS.
    #[serde(rename = "tls.connect")]
    Connect {
        /// 1, or 2 for the resumed connection of `--resume`.
        connection: u8,
        host: String,
        address: String,
        via: Option<String>,
        sni: String,
        connect_us: u64,
    },
    /// A record as it crossed the wire.
    #[serde(rename = "tls.record")]
    Record(RecordSeen),
    /// A handshake message (or alert) inside the records.
    #[serde(rename = "tls.message")]
    Message(MessageSeen),
    /// One secret of the key schedule (`--show-secrets` only).
    #[serde(rename = "tls.secret")]
    Secret {
        label: String,
        secret: String,
        key: String,
        iv: String,
    },
    /// The client's check of the server's certificate chain, right after the Certificate.
    #[serde(rename = "tls.verify")]
    Verify(super::verify::Verification),
    /// A Finished recomputed from the transcript: the server's (TLS 1.3), or each side's
    /// (TLS 1.2, whose key log gives the master secret both are made from).
    #[serde(rename = "tls.finished_check")]
    FinishedCheck {
        /// Whose Finished: `server` or `client` (absent in older traces: `server`).
        #[serde(default = "server")]
        sender: String,
        verified: bool,
        detail: String,
    },
    /// Decrypted application data that begins an HTTP/1.x message: its head.
    #[serde(rename = "tls.application_data")]
    ApplicationData(AppDataSeen),
    #[serde(rename = "tls.summary")]
    Summary(TlsSummary),
}

fn server() -> String {
    "server".into()
}

/// A decrypted application-data record that starts an HTTP/1.x request or response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppDataSeen {
    pub direction: Direction,
    /// Microseconds since the connection started.
    pub time_us: u64,
    /// The record's plaintext length.
    pub length: usize,
    /// The start line and header lines, as sent (at most [`super::plaintext::MAX_LINES`]).
    pub head: Vec<String>,
}

/// A record: direction, time, header fields, and for encrypted records what was inside.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordSeen {
    pub direction: Direction,
    /// Microseconds since the connection started (the event's own `at_us` is the trace's clock).
    pub time_us: u64,
    pub content_type: String,
    pub version: String,
    pub length: usize,
    /// For a protected record: the true content type after decryption (RFC 8446 §5.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inner_type: Option<String>,
    /// Why a protected record could not be read, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undecrypted: Option<String>,
    /// Protected with the client's early traffic key: 0-RTT data (RFC 8446 §2.3).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub early: bool,
}

/// A handshake message or alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageSeen {
    pub direction: Direction,
    /// Microseconds since the connection started.
    pub time_us: u64,
    pub name: String,
    pub length: usize,
    /// Whether it travelled encrypted.
    pub encrypted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hello: Option<Hello>,
    /// Decoded details, one per line (certificates, extensions, ticket lifetime, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

/// How the connection went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TlsSummary {
    pub version: Option<String>,
    pub cipher_suite: Option<String>,
    pub key_exchange_group: Option<String>,
    pub alpn: Option<String>,
    /// Handshake round trips: 1 normally, 2 with a HelloRetryRequest.
    pub round_trips: u32,
    pub handshake_us: u64,
    pub finished_verified: bool,
    pub application_records: u32,
    pub application_bytes: usize,
    /// The server accepted a pre-shared key (a resumed session): no certificate this time.
    #[serde(default)]
    pub resumed: bool,
    /// The certificate chain the server sent, leaf first.
    #[serde(default)]
    pub chain: Vec<ChainLink>,
    /// 0-RTT: what the client sent before the handshake finished, and whether the server took it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_data: Option<EarlyData>,
    /// Why the handshake failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `--insecure` was given: a failed certificate check did not stop the connection.
    #[serde(default)]
    pub insecure: bool,
    /// The client's verdict on the server's certificate chain (absent when none was checked,
    /// as on a resumed connection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_verified: Option<bool>,
    /// With `--insecure`, the certificate check that failed and was let pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unverified_because: Option<String>,
}

/// One certificate of a chain: who it names and who signed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainLink {
    pub subject: String,
    pub issuer: String,
}

/// The client's 0-RTT data on a resumed connection (RFC 8446 §2.3, §4.2.10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlyData {
    /// The client sent early data at all: it can only when its ticket carried an early_data
    /// allowance (`--early-data` against a server that gives none shows `false`).
    pub offered: bool,
    /// The server's EncryptedExtensions said early_data: it read the data before the handshake
    /// finished. Otherwise it skipped it and the client had to send it again.
    pub accepted: bool,
    /// Application-data records sent under the early traffic key, and their plaintext size.
    pub records: u32,
    pub bytes: usize,
}
