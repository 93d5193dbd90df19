//! From what the tap saw to what it means: records per direction, decrypted with the traffic
//! secrets the TLS library handed over (the NSS key-log labels), handshake messages reassembled
//! and decoded, and the Finished recomputed over the transcript. TLS 1.3 moves each direction
//! through its stages of keys (RFC 8446 §7); TLS 1.2 protects each direction from its
//! ChangeCipherSpec on, with keys from the master secret ([`super::tls12`], RFC 5246 §6.3).

use std::collections::HashMap;

use super::events::{MessageSeen, RecordSeen, TlsEvent, TlsSummary};
use super::handshake::{self, decode_hello, named, Reader};
use super::keys::{self, Suite, TrafficKeys};
use super::record::{self, ContentType};
use super::tap::{Chunk, Direction};
use super::tls12::{self, KeyBlock, Sender, Suite12, WriteKeys};
use crate::hex;

/// Key-log labels (NSS format) of the TLS 1.3 traffic secrets.
const SERVER_HS: &str = "SERVER_HANDSHAKE_TRAFFIC_SECRET";
const CLIENT_HS: &str = "CLIENT_HANDSHAKE_TRAFFIC_SECRET";
const SERVER_AP: &str = "SERVER_TRAFFIC_SECRET_0";
const CLIENT_AP: &str = "CLIENT_TRAFFIC_SECRET_0";
/// The 0-RTT secret: early data is protected with keys from the resumption PSK alone, before the
/// server has said anything (RFC 8446 §7.1, `client_early_traffic_secret`).
const CLIENT_EARLY: &str = "CLIENT_EARLY_TRAFFIC_SECRET";
/// TLS 1.2's master secret: its key-log line is `CLIENT_RANDOM <client random> <master secret>`.
const MASTER: &str = "CLIENT_RANDOM";

/// One direction's bytes, and when each offset arrived.
struct Stream {
    bytes: Vec<u8>,
    /// (offset where a chunk starts, its time in µs)
    times: Vec<(usize, u64)>,
}

impl Stream {
    fn of(chunks: &[Chunk], direction: Direction) -> Stream {
        let (bytes, times) = super::tap::joined(chunks, direction, 0);
        Stream { bytes, times }
    }

    fn time_at(&self, offset: usize) -> u64 {
        super::tap::time_at(&self.times, offset)
    }
}

/// What decoding found, besides the events.
#[derive(Debug, Default)]
struct Found {
    suite: Option<u16>,
    version: Option<String>,
    group: Option<String>,
    alpn: Option<String>,
    hrr: bool,
    client_hellos: Vec<Vec<u8>>,
    /// Server handshake messages before its Finished, in order (ServerHello first).
    server_transcript: Vec<Vec<u8>>,
    server_finished: Option<Vec<u8>>,
    app_records: u32,
    app_bytes: usize,
    last_handshake_us: u64,
    chain: Vec<super::events::ChainLink>,
    resumed: bool,
    /// The ClientHello carried the early_data extension (the client is sending 0-RTT data).
    early_offered: bool,
    /// EncryptedExtensions carried early_data: the server accepted the 0-RTT data.
    early_accepted: bool,
    early_records: u32,
    early_bytes: usize,
    /// Every record of both directions, where it sits and what it held.
    layout: Vec<(Direction, LaidRecord)>,
    /// The hellos' randoms: with TLS 1.2's master secret they make the key block.
    client_random: Option<Vec<u8>>,
    server_random: Option<Vec<u8>>,
    /// Each side's handshake messages (type, bytes) up to its Finished included, in order: a
    /// TLS 1.2 Finished covers both sides' (RFC 5246 §7.4.9).
    client_messages: Vec<Kept>,
    server_messages: Vec<Kept>,
}

impl Found {
    /// The ServerHello chose TLS 1.2 or older: records are protected from each side's
    /// ChangeCipherSpec on, with no inner content type.
    fn before_13(&self) -> bool {
        self.version.as_deref().is_some_and(|v| v != "TLS 1.3")
    }

    /// TLS 1.2's key block, when the suite is one netlab opens and the master secret is known.
    fn key_block(&self, secrets: &HashMap<String, Vec<u8>>) -> Option<KeyBlock> {
        let suite = self.suite.and_then(Suite12::from_id)?;
        let (client, server) = (self.client_random.as_ref()?, self.server_random.as_ref()?);
        Some(KeyBlock::derive(&suite, secrets.get(MASTER)?, client, server))
    }
}

/// One record: where it sits in its direction's byte stream (the TCP payload), and what it held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaidRecord {
    /// Its header's first octet, counted from the direction's first octet.
    pub offset: usize,
    /// Header and fragment: the octets it takes in the stream.
    pub len: usize,
    pub content: RecordContent,
}

/// What a record held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordContent {
    /// Application data: the fragment's plaintext is the octets `plain_offset..+plain_len` of
    /// the application's byte stream (what the TLS library hands the application, in order).
    /// A protected TLS 1.3 record's plaintext starts `RECORD_HEADER` octets in and is its
    /// fragment less the AEAD tag, the inner content type and any padding (RFC 8446 §5.2); a
    /// TLS 1.2 AES-GCM record's starts 8 octets later, after its explicit nonce (RFC 5288 §3):
    /// `plain_start` is where, counted from the record's first octet.
    Application {
        plain_offset: usize,
        plain_len: usize,
        plain_start: usize,
    },
    /// Anything else, by (inner) content type: `handshake`, `alert`, `change_cipher_spec`.
    Other(String),
    /// A protected record that could not be opened.
    Undecrypted,
}

/// A record header's length (RFC 8446 §5.1).
pub const RECORD_HEADER: usize = 5;

/// The AEAD tag every protected record ends with (AES-GCM and ChaCha20-Poly1305: 16 octets).
const AEAD_TAG: usize = 16;

/// Where each record of `direction` sits and what it held, decrypted with `secrets`.
pub fn layout(chunks: &[Chunk], secrets: &HashMap<String, Vec<u8>>, direction: Direction) -> Vec<LaidRecord> {
    let (_, found) = decode_both(chunks, secrets);
    found
        .layout
        .into_iter()
        .filter(|(d, _)| *d == direction)
        .map(|(_, r)| r)
        .collect()
}

/// Both directions decoded, the server's first: its ServerHello names the cipher suite both
/// sides use.
fn decode_both(chunks: &[Chunk], secrets: &HashMap<String, Vec<u8>>) -> (Vec<(u64, TlsEvent)>, Found) {
    let mut events: Vec<(u64, TlsEvent)> = Vec::new();
    let mut found = Found {
        // The server's records are decoded first, and a TLS 1.2 server's Finished already
        // needs the client random.
        client_random: super::client::client_random(chunks),
        ..Found::default()
    };
    for direction in [Direction::ServerToClient, Direction::ClientToServer] {
        decode_direction(
            &Stream::of(chunks, direction),
            direction,
            secrets,
            &mut found,
            &mut events,
        );
    }
    (events, found)
}

/// Decodes a tapped connection. `secrets` maps key-log labels to secrets for this connection.
pub fn decode(chunks: &[Chunk], secrets: &HashMap<String, Vec<u8>>, show_secrets: bool) -> (Vec<TlsEvent>, TlsSummary) {
    let (mut events, found) = decode_both(chunks, secrets);
    events.sort_by_key(|(t, _)| *t);
    let mut out: Vec<TlsEvent> = events.into_iter().map(|(_, e)| e).collect();
    let suite = found.suite.and_then(Suite::from_id);
    if show_secrets && found.before_13() {
        out.extend(key_block_secrets(&found, secrets));
    } else if show_secrets {
        if let Some(suite) = &suite {
            for label in [CLIENT_EARLY, CLIENT_HS, SERVER_HS, CLIENT_AP, SERVER_AP] {
                if let Some(secret) = secrets.get(label) {
                    let k = TrafficKeys::derive(suite, secret);
                    out.push(TlsEvent::Secret {
                        label: label.to_string(),
                        secret: hex::encode(secret),
                        key: hex::encode(&k.key),
                        iv: hex::encode(&k.iv),
                    });
                }
            }
        }
    }
    let checks = if found.before_13() {
        finished_checks_12(&found, secrets)
    } else {
        finished_check(&found, suite.as_ref(), secrets)
            .map(|(verified, detail)| (Sender::Server, verified, detail))
            .into_iter()
            .collect()
    };
    // The server's Finished proves the whole transcript; the client's too, when it was checked.
    let finished_verified =
        checks.iter().any(|(s, ok, _)| *s == Sender::Server && *ok) && checks.iter().all(|(_, ok, _)| *ok);
    for (sender, verified, detail) in checks {
        out.push(TlsEvent::FinishedCheck {
            sender: sender.name().to_string(),
            verified,
            detail,
        });
    }
    let summary = TlsSummary {
        version: found.version.clone(),
        cipher_suite: found.suite.map(|s| named(s, handshake::cipher_suite_name).name),
        key_exchange_group: found.group.clone(),
        alpn: found.alpn.clone(),
        // TLS 1.3: one round trip, two after a HelloRetryRequest; TLS 1.2's full handshake: two,
        // its abbreviated (resumed) one: one.
        round_trips: if found.hrr || (found.before_13() && !abbreviated(&found)) {
            2
        } else {
            1
        },
        handshake_us: found.last_handshake_us,
        finished_verified,
        application_records: found.app_records,
        application_bytes: found.app_bytes,
        chain: found.chain.clone(),
        resumed: found.resumed || (found.before_13() && abbreviated(&found)),
        early_data: found.early_offered.then_some(super::events::EarlyData {
            offered: true,
            accepted: found.early_accepted,
            records: found.early_records,
            bytes: found.early_bytes,
        }),
        error: None,
        insecure: false,
        certificate_verified: None,
        unverified_because: None,
    };
    (out, summary)
}

/// Recomputes the server Finished: HMAC(finished_key, Transcript-Hash(ClientHello..CertificateVerify)).
fn finished_check(found: &Found, suite: Option<&Suite>, secrets: &HashMap<String, Vec<u8>>) -> Option<(bool, String)> {
    let (suite, finished, secret) = (suite?, found.server_finished.as_ref()?, secrets.get(SERVER_HS)?);
    let transcript = if found.hrr {
        // After a HelloRetryRequest the first ClientHello is replaced by a synthetic
        // message_hash message: type 254, length HashLen, Hash(ClientHello1) (RFC 8446 §4.4.1).
        let (first, second) = (found.client_hellos.first()?, found.client_hellos.get(1)?);
        let digest = suite.hash.digest(first);
        let mut t = vec![254, 0, 0, digest.len() as u8];
        t.extend_from_slice(&digest);
        let (hrr, rest) = found.server_transcript.split_first()?;
        t.extend_from_slice(hrr);
        t.extend_from_slice(second);
        for m in rest {
            t.extend_from_slice(m);
        }
        t
    } else {
        let mut t = found.client_hellos.first()?.clone();
        for m in &found.server_transcript {
            t.extend_from_slice(m);
        }
        t
    };
    let expected = keys::finished_verify_data(suite.hash, secret, &suite.hash.digest(&transcript));
    let got = finished.get(4..)?;
    Some(if expected == got {
        (
            true,
            format!(
                "HMAC over the transcript hash ({} handshake messages{}) with the server finished_key matches ({})",
                found.server_transcript.len() + found.client_hellos.len(),
                if found.hrr {
                    ", the first ClientHello as a message_hash"
                } else {
                    ""
                },
                hex::encode(got)
            ),
        )
    } else {
        (
            false,
            format!(
                "it does not match the HMAC over the transcript hash: expected {}, got {}",
                hex::encode(&expected),
                hex::encode(got)
            ),
        )
    })
}

/// TLS 1.2's full handshake has the client finish first; its abbreviated one (a resumed
/// session: no certificate, no ServerHelloDone) has the server finish first (RFC 5246 §7.3).
fn abbreviated(found: &Found) -> bool {
    let has = |t: u8| found.server_messages.iter().any(|(m, _)| *m == t);
    has(2) && !has(14)
}

/// A handshake message: its type and its bytes, header included.
type Kept = (u8, Vec<u8>);

/// The messages before a side's Finished, and its Finished (headers included).
fn split_finished(messages: &[Kept]) -> (Vec<&Kept>, Option<&Vec<u8>>) {
    let at = messages.iter().position(|(t, _)| *t == 20);
    let before = messages.iter().take(at.unwrap_or(messages.len())).collect();
    (before, at.and_then(|i| messages.get(i)).map(|(_, m)| m))
}

/// TLS 1.2's Finished messages recomputed: verify_data = PRF(master_secret, "client finished" or
/// "server finished", Hash(handshake_messages))[0..12], over every handshake message before it,
/// both sides', in the order of the handshake (RFC 5246 §7.4.9). In a full handshake the
/// client's Finished comes first, and the server's covers it (and a NewSessionTicket sent after
/// it, RFC 5077 §3.3); in an abbreviated one the server's comes first.
fn finished_checks_12(found: &Found, secrets: &HashMap<String, Vec<u8>>) -> Vec<(Sender, bool, String)> {
    let (Some(suite), Some(master)) = (found.suite.and_then(Suite12::from_id), secrets.get(MASTER)) else {
        return Vec::new();
    };
    let (Some((1, hello)), client) = (
        found.client_messages.first(),
        found.client_messages.get(1..).unwrap_or_default(),
    ) else {
        return Vec::new();
    };
    let (server_before, server_finished) = split_finished(&found.server_messages);
    let (client_before, client_finished) = split_finished(client);
    let mut transcript: Vec<&[u8]> = vec![hello.as_slice()];
    let mut client_transcript = Vec::new();
    let mut server_transcript = Vec::new();
    if abbreviated(found) {
        transcript.extend(server_before.iter().map(|(_, m)| m.as_slice()));
        server_transcript.clone_from(&transcript);
        transcript.extend(server_finished.map(Vec::as_slice));
        transcript.extend(client_before.iter().map(|(_, m)| m.as_slice()));
        client_transcript = transcript;
    } else {
        // The server's first flight; a NewSessionTicket follows the client's Finished.
        transcript.extend(server_before.iter().filter(|(t, _)| *t != 4).map(|(_, m)| m.as_slice()));
        transcript.extend(client_before.iter().map(|(_, m)| m.as_slice()));
        client_transcript.clone_from(&transcript);
        transcript.extend(client_finished.map(Vec::as_slice));
        transcript.extend(server_before.iter().filter(|(t, _)| *t == 4).map(|(_, m)| m.as_slice()));
        server_transcript = transcript;
    }
    let hash = match suite.hash {
        keys::Hash::Sha256 => "SHA-256",
        keys::Hash::Sha384 => "SHA-384",
    };
    let mut checks = Vec::new();
    for (sender, finished, messages) in [
        (Sender::Client, client_finished, client_transcript),
        (Sender::Server, server_finished, server_transcript),
    ] {
        let Some(got) = finished.and_then(|f| f.get(4..)) else {
            continue;
        };
        let expected = tls12::finished_verify_data(suite.hash, master, sender, &messages.concat());
        checks.push(if expected == got {
            (
                sender,
                true,
                format!(
                    "PRF(master_secret, \"{}\", {hash} of the {} handshake messages before it)[0..12] matches ({})",
                    sender.label(),
                    messages.len(),
                    hex::encode(got)
                ),
            )
        } else {
            (
                sender,
                false,
                format!(
                    "it does not match the PRF over the transcript: expected {}, got {}",
                    hex::encode(&expected),
                    hex::encode(got)
                ),
            )
        });
    }
    checks
}

/// `--show-secrets` on TLS 1.2: the master secret and each side's write key and IV, cut from
/// the key block (RFC 5246 §6.3).
fn key_block_secrets(found: &Found, secrets: &HashMap<String, Vec<u8>>) -> Vec<TlsEvent> {
    let (Some(kb), Some(master)) = (found.key_block(secrets), secrets.get(MASTER)) else {
        return Vec::new();
    };
    [
        ("CLIENT_RANDOM -> client_write", kb.client),
        ("CLIENT_RANDOM -> server_write", kb.server),
    ]
    .into_iter()
    .map(|(label, k)| TlsEvent::Secret {
        label: label.to_string(),
        secret: hex::encode(master),
        key: hex::encode(&k.key),
        iv: hex::encode(&k.iv),
    })
    .collect()
}

/// Decodes one direction: its records in order (framing), each opened with the keys of its
/// stage (decryption), and the handshake messages they carry (which also move the keys on).
fn decode_direction(
    stream: &Stream,
    direction: Direction,
    secrets: &HashMap<String, Vec<u8>>,
    found: &mut Found,
    events: &mut Vec<(u64, TlsEvent)>,
) {
    let mut layer = RecordLayer::new(direction, secrets);
    let mut offset = 0usize;
    // Application plaintext so far, this direction.
    let mut plain = 0usize;
    loop {
        let start = offset;
        let Some((rec, at)) = next_record(stream, &mut offset, direction, events) else {
            break;
        };
        let laid = |content| {
            (
                direction,
                LaidRecord {
                    offset: start,
                    len: offset - start,
                    content,
                },
            )
        };
        let mut seen = RecordSeen {
            direction,
            time_us: at,
            content_type: rec.content_type.to_string(),
            version: format!("{:#06x}", rec.version),
            length: rec.fragment.len(),
            inner_type: None,
            undecrypted: None,
            early: false,
        };
        let (content_type, content, encrypted) = match layer.open(&rec, found) {
            Opened::Plain(t, content) => (t, content, false),
            Opened::Decrypted(t, content) => {
                // TLS 1.2 has no inner content type: the header's is the true one.
                seen.inner_type = (!found.before_13()).then(|| t.to_string());
                seen.early = layer.early;
                (t, content, true)
            }
            Opened::Undecrypted(why) => {
                seen.undecrypted = Some(why.clone());
                events.push((at, TlsEvent::Record(seen)));
                // A TLS 1.2 handshake or alert record after ChangeCipherSpec, as Wireshark names it.
                let name = match rec.content_type {
                    ContentType::Handshake => Some("Encrypted Handshake Message"),
                    ContentType::Alert => Some("Encrypted Alert"),
                    _ => None,
                };
                if let Some(name) = name {
                    events.push((
                        at,
                        TlsEvent::Message(MessageSeen {
                            direction,
                            time_us: at,
                            name: name.to_string(),
                            length: rec.fragment.len(),
                            encrypted: true,
                            hello: None,
                            details: vec![format!("not decrypted: {why}")],
                        }),
                    ));
                }
                found.layout.push(laid(RecordContent::Undecrypted));
                continue;
            }
            Opened::UnknownSuite => break,
        };
        events.push((at, TlsEvent::Record(seen)));
        if content_type == ContentType::ApplicationData {
            if let Some(head) = super::plaintext::http_head(&content) {
                events.push((
                    at,
                    TlsEvent::ApplicationData(super::events::AppDataSeen {
                        direction,
                        time_us: at,
                        length: content.len(),
                        head,
                    }),
                ));
            }
        }
        found.layout.push(laid(match content_type {
            ContentType::ApplicationData if !layer.early => {
                plain += content.len();
                // TLS 1.2's AEADs put nothing after the plaintext but the tag: what the fragment
                // holds before it is the explicit nonce (8 octets for AES-GCM, none for
                // ChaCha20-Poly1305, RFC 7905 §2). TLS 1.3's plaintext comes first.
                let before = if found.before_13() {
                    rec.fragment.len().saturating_sub(content.len() + AEAD_TAG)
                } else {
                    0
                };
                RecordContent::Application {
                    plain_offset: plain - content.len(),
                    plain_len: content.len(),
                    plain_start: RECORD_HEADER + before,
                }
            }
            other => RecordContent::Other(other.to_string()),
        }));
        match content_type {
            ContentType::Handshake => {
                // A message too long to be one: the rest of this direction cannot be framed.
                let Ok(()) = layer.handshake(&content, at, encrypted, found, events) else {
                    break;
                };
            }
            ContentType::Alert => events.push((at, TlsEvent::Message(alert(direction, at, &content, encrypted)))),
            // TLS 1.2's switch to the new keys (TLS 1.3's is only for middleboxes, RFC 8446 §D.4).
            ContentType::ChangeCipherSpec if found.before_13() && !encrypted => events.push((
                at,
                TlsEvent::Message(MessageSeen {
                    direction,
                    time_us: at,
                    name: "ChangeCipherSpec".into(),
                    length: content.len(),
                    encrypted: false,
                    hello: None,
                    details: vec!["every record this side sends after this one is encrypted".into()],
                }),
            )),
            ContentType::ApplicationData if layer.early => {
                found.early_records += 1;
                found.early_bytes += content.len();
            }
            ContentType::ApplicationData => {
                found.app_records += 1;
                found.app_bytes += content.len();
            }
            _ => {}
        }
    }
}

/// Record framing (RFC 8446 §5.1): the next whole record at `offset`, and when its first byte
/// arrived; `offset` moves past it. `None` at the end of the bytes, at an incomplete record, or
/// at bytes that are not a record (recorded as an `invalid` record, and the direction ends).
fn next_record<'s>(
    stream: &'s Stream,
    offset: &mut usize,
    direction: Direction,
    events: &mut Vec<(u64, TlsEvent)>,
) -> Option<(record::Record<'s>, u64)> {
    let rest = stream.bytes.get(*offset..).unwrap_or_default();
    let at = stream.time_at(*offset);
    match record::parse(rest) {
        Ok(Some((rec, used))) => {
            *offset += used;
            Some((rec, at))
        }
        Ok(None) => None,
        Err(e) => {
            events.push((
                at,
                TlsEvent::Record(RecordSeen {
                    direction,
                    time_us: at,
                    content_type: "invalid".into(),
                    version: String::new(),
                    length: rest.len(),
                    inner_type: None,
                    undecrypted: Some(e.to_string()),
                    early: false,
                }),
            ));
            None
        }
    }
}

/// What opening one record gave.
enum Opened {
    /// Not protected (or no keys to try): its content type and fragment as they are.
    Plain(ContentType, Vec<u8>),
    /// Decrypted: the inner content type and the content (RFC 8446 §5.2).
    Decrypted(ContentType, Vec<u8>),
    /// Protected, and not opened: why.
    Undecrypted(String),
    /// The ServerHello named a suite this decoder has no AEAD for: the direction ends.
    UnknownSuite,
}

/// One direction's record protection, the way TLS 1.3 moves it on (RFC 8446 §7.3): the 0-RTT
/// keys first when the client sends early data, the handshake keys, then after each side's
/// Finished its application keys. Each new key restarts the record sequence number (§5.3).
/// Handshake bytes wait in `pending` until their message is whole.
struct RecordLayer<'s> {
    direction: Direction,
    secrets: &'s HashMap<String, Vec<u8>>,
    /// Key-log labels of this direction's handshake and application traffic secrets.
    hs_label: &'static str,
    ap_label: &'static str,
    keys: Option<TrafficKeys>,
    seq: u64,
    /// Whether `keys` are the client's 0-RTT keys.
    early: bool,
    handshake_done: bool,
    pending: Vec<u8>,
    /// TLS 1.2: this side's ChangeCipherSpec has been seen, and its keys from the key block.
    ccs: bool,
    keys12: Option<WriteKeys>,
}

impl<'s> RecordLayer<'s> {
    fn new(direction: Direction, secrets: &'s HashMap<String, Vec<u8>>) -> Self {
        let (hs_label, ap_label) = match direction {
            Direction::ServerToClient => (SERVER_HS, SERVER_AP),
            Direction::ClientToServer => (CLIENT_HS, CLIENT_AP),
        };
        RecordLayer {
            direction,
            secrets,
            hs_label,
            ap_label,
            keys: None,
            seq: 0,
            early: false,
            handshake_done: false,
            pending: Vec::new(),
            ccs: false,
            keys12: None,
        }
    }

    /// Keys for `label` under the negotiated suite, if both are known.
    fn keys_for(&self, found: &Found, label: &str) -> Option<TrafficKeys> {
        found
            .suite
            .and_then(Suite::from_id)
            .zip(self.secrets.get(label))
            .map(|(s, secret)| TrafficKeys::derive(&s, secret))
    }

    /// Decryption: application_data records are opened once the suite is known and there are
    /// keys for this stage; everything else is plaintext.
    fn open(&mut self, rec: &record::Record<'_>, found: &Found) -> Opened {
        if found.before_13() {
            return self.open_12(rec, found);
        }
        let protected = rec.content_type == ContentType::ApplicationData
            && found.suite.is_some()
            && (self.keys.is_some() || self.secrets.contains_key(self.hs_label));
        if !protected {
            return Opened::Plain(rec.content_type, rec.fragment.to_vec());
        }
        let Some(suite) = found.suite.and_then(Suite::from_id) else {
            return Opened::UnknownSuite;
        };
        if self.keys.is_none() {
            // A client that offered early_data sends its 0-RTT records first, under the
            // early traffic key; everything else starts under the handshake key.
            self.early = self.direction == Direction::ClientToServer
                && found.early_offered
                && self.secrets.contains_key(CLIENT_EARLY);
            let label = if self.early { CLIENT_EARLY } else { self.hs_label };
            self.keys = self
                .secrets
                .get(label)
                .map(|secret| TrafficKeys::derive(&suite, secret));
        }
        let mut opened = self.decrypt(&suite, rec);
        if self.early && matches!(opened, Some(Err(_))) {
            // The server refused the 0-RTT data: the client sends no EndOfEarlyData and
            // goes straight on under the handshake key (RFC 8446 §4.2.10).
            (self.early, self.seq) = (false, 0);
            self.keys = self
                .secrets
                .get(self.hs_label)
                .map(|secret| TrafficKeys::derive(&suite, secret));
            opened = self.decrypt(&suite, rec);
        }
        match opened {
            Some(Ok((t, plain))) => {
                self.seq += 1;
                Opened::Decrypted(ContentType::from(t), plain)
            }
            Some(Err(e)) => Opened::Undecrypted(e.to_string()),
            None => Opened::Undecrypted("no key for this record (not TLS 1.3, or no key log)".into()),
        }
    }

    /// TLS 1.2 (RFC 5246 §7.1): a side's records are plaintext up to its ChangeCipherSpec, and
    /// protected from the next one on under its write key, the sequence number starting at 0
    /// (§6.1). Every record counts, opened or not.
    fn open_12(&mut self, rec: &record::Record<'_>, found: &Found) -> Opened {
        if !self.ccs {
            if rec.content_type == ContentType::ChangeCipherSpec {
                self.ccs = true;
                self.seq = 0;
                self.keys12 = found.key_block(self.secrets).map(|kb| match self.direction {
                    Direction::ClientToServer => kb.client,
                    Direction::ServerToClient => kb.server,
                });
            }
            return Opened::Plain(rec.content_type, rec.fragment.to_vec());
        }
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        let suite = found
            .suite
            .and_then(Suite12::from_id)
            .filter(|_| found.version.as_deref() == Some("TLS 1.2"));
        let Some(suite) = suite else {
            return Opened::Undecrypted(format!(
                "netlab opens TLS 1.2 records of the AES-GCM and ChaCha20-Poly1305 suites, not {} {}",
                found.version.as_deref().unwrap_or_default(),
                found
                    .suite
                    .map(|s| named(s, handshake::cipher_suite_name).name)
                    .unwrap_or_default()
            ));
        };
        let Some(keys) = &self.keys12 else {
            return Opened::Undecrypted(
                "no master secret for this connection (a CLIENT_RANDOM line of the key log)".into(),
            );
        };
        match tls12::open_record(&suite, keys, seq, &rec.header, rec.fragment) {
            Ok(plain) => Opened::Decrypted(rec.content_type, plain),
            Err(e) => Opened::Undecrypted(e.to_string()),
        }
    }

    fn decrypt(&self, suite: &Suite, rec: &record::Record<'_>) -> Option<Result<(u8, Vec<u8>), keys::DecryptError>> {
        self.keys
            .as_ref()
            .map(|k| keys::decrypt_record(suite, k, self.seq, &rec.header, rec.fragment))
    }

    /// Handshake messages (RFC 8446 §4): `content` joins the bytes waiting, and each whole
    /// message is decoded, kept for the transcript, and recorded. EndOfEarlyData and Finished
    /// move this direction on to its next keys. An error: a message too long to be one.
    fn handshake(
        &mut self,
        content: &[u8],
        at: u64,
        encrypted: bool,
        found: &mut Found,
        events: &mut Vec<(u64, TlsEvent)>,
    ) -> Result<(), handshake::HandshakeError> {
        self.pending.extend_from_slice(content);
        let pending = std::mem::take(&mut self.pending);
        let (messages, tail) = handshake::split(&pending)?;
        for (t, bytes) in messages {
            let msg = message(self.direction, at, t, bytes, encrypted, found);
            if !self.handshake_done {
                let mine = match self.direction {
                    Direction::ClientToServer => &mut found.client_messages,
                    Direction::ServerToClient => &mut found.server_messages,
                };
                mine.push((t, bytes.to_vec()));
            }
            if t != 4 {
                found.last_handshake_us = found.last_handshake_us.max(at);
            }
            match (self.direction, t) {
                (Direction::ClientToServer, 1) => found.client_hellos.push(bytes.to_vec()),
                (Direction::ServerToClient, 20) => found.server_finished = Some(bytes.to_vec()),
                (Direction::ServerToClient, 2 | 8 | 11 | 13 | 15) if found.server_finished.is_none() => {
                    found.server_transcript.push(bytes.to_vec())
                }
                _ => {}
            }
            events.push((at, TlsEvent::Message(msg)));
            if t == 5 && self.early {
                // EndOfEarlyData closes the 0-RTT data: the client switches to its
                // handshake key for its Finished (RFC 8446 §4.5).
                (self.early, self.seq) = (false, 0);
                self.keys = self.keys_for(found, self.hs_label);
            }
            if t == 20 && !self.handshake_done {
                // After its Finished, a TLS 1.3 side switches to its application traffic keys;
                // a TLS 1.2 side goes on with the keys and sequence numbers it has.
                self.handshake_done = true;
                if !found.before_13() {
                    self.seq = 0;
                    self.keys = self.keys_for(found, self.ap_label);
                }
            }
        }
        self.pending = tail.to_vec();
        Ok(())
    }
}

/// Decodes one handshake message into the trace's form.
fn message(direction: Direction, at: u64, t: u8, bytes: &[u8], encrypted: bool, found: &mut Found) -> MessageSeen {
    let mut m = MessageSeen {
        direction,
        time_us: at,
        name: handshake::message_name(t),
        length: bytes.len(),
        encrypted,
        hello: None,
        details: Vec::new(),
    };
    let body = bytes.get(4..).unwrap_or_default();
    let result: Result<(), handshake::HandshakeError> = (|| {
        match t {
            1 | 2 => {
                let hello = decode_hello(bytes)?;
                if t == 1 {
                    found.early_offered = hello.extensions.iter().any(|e| e.ext_type.name == "early_data");
                }
                if t == 2 {
                    m.name = hello.kind.clone();
                    found.hrr |= hello.kind == "HelloRetryRequest";
                    if hello.kind == "ServerHello" {
                        // After the type, length and version: the 32-octet random.
                        found.server_random = bytes.get(6..38).map(<[u8]>::to_vec);
                        found.suite = hello.cipher_suites.first().map(|s| s.value);
                        let ext = |n: &str| {
                            hello
                                .extensions
                                .iter()
                                .find(|e| e.ext_type.name == n)
                                .and_then(|e| e.decoded.first().cloned())
                        };
                        found.version =
                            Some(ext("supported_versions").unwrap_or_else(|| hello.legacy_version.name.clone()));
                        found.group = ext("key_share").map(|k| k.split(' ').next().unwrap_or_default().to_string());
                        found.resumed = hello.extensions.iter().any(|e| e.ext_type.name == "pre_shared_key");
                        // TLS 1.2's server answers ALPN in its ServerHello (RFC 7301 §3.1); TLS
                        // 1.3's in EncryptedExtensions.
                        if let Some(alpn) = ext("application_layer_protocol_negotiation") {
                            found.alpn = Some(alpn);
                        }
                    }
                }
                m.hello = Some(hello);
            }
            8 => {
                let mut r = Reader::new(body);
                let mut list = Reader::new(r.vec16("extensions")?);
                while list.left() > 0 {
                    let et = list.u16("extension_type")?;
                    let data = list.vec16("extension_data")?;
                    let decoded = handshake::decode_extension(et, data, false)?;
                    if et == 16 {
                        found.alpn = decoded.first().cloned();
                    }
                    found.early_accepted |= et == 42;
                    m.details.push(format!(
                        "{}{}",
                        named(et, handshake::extension_name).name,
                        if decoded.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", decoded.join(", "))
                        }
                    ));
                }
            }
            11 => {
                // TLS 1.3 adds a request context and per-certificate extensions (RFC 8446 §4.4.2);
                // TLS 1.2's list is bare (RFC 5246 §7.4.2).
                let tls13 = found.version.as_deref() != Some("TLS 1.2");
                let mut r = Reader::new(body);
                if tls13 {
                    let _context = r.vec8("certificate_request_context")?;
                }
                let mut list = Reader::new(r.vec24("certificate_list")?);
                let mut n = 0;
                while list.left() > 0 {
                    let der = list.vec24("cert_data")?;
                    if tls13 {
                        let _exts = list.vec16("extensions")?;
                    }
                    let (line, parties) = super::cert::describe(der);
                    m.details.push(format!("[{n}] {line}"));
                    if let Some((subject, issuer)) = parties {
                        found.chain.push(super::events::ChainLink { subject, issuer });
                    }
                    n += 1;
                }
            }
            15 => {
                let mut r = Reader::new(body);
                let scheme = named(r.u16("signature scheme")?, handshake::signature_scheme_name);
                let sig = r.vec16("signature")?;
                m.details.push(format!("{} signature, {} octets, over the transcript hash: proves the server holds the certificate's private key", scheme.name, sig.len()));
            }
            12 => {
                // ECDHE: curve_type 3 (named_curve), the group, the public point, then the
                // signature over both randoms and these parameters (RFC 8422 §5.4).
                let mut r = Reader::new(body);
                // (TLS 1.0 and 1.1 sign without naming the scheme.)
                if found.version.as_deref() == Some("TLS 1.2") && r.u8("curve_type")? == 3 {
                    let group = named(r.u16("named_curve")?, handshake::group_name).name;
                    let point = r.vec8("public")?;
                    let scheme = named(r.u16("signature scheme")?, handshake::signature_scheme_name);
                    let sig = r.vec16("signature")?;
                    m.details.push(format!(
                        "ECDHE on {group}, public key {} octets; {} signature, {} octets, over both randoms and these parameters",
                        point.len(),
                        scheme.name,
                        sig.len()
                    ));
                    found.group = Some(group);
                }
            }
            20 => m.details.push(format!("verify_data {}", hex::encode(body))),
            5 => m
                .details
                .push("the end of the client's 0-RTT data: what follows is under the handshake key".into()),
            4 => {
                let mut r = Reader::new(body);
                let lifetime = r.u32("ticket_lifetime")?;
                let age_add = r.u32("ticket_age_add")?;
                let _nonce = r.vec8("ticket_nonce")?;
                let ticket = r.vec16("ticket")?;
                m.details.push(format!("lifetime {lifetime} s, age_add {age_add}, ticket {} octets: a key to resume without a full handshake", ticket.len()));
                // The only extension defined for tickets: early_data, the 0-RTT allowance (§4.6.1).
                let mut exts = Reader::new(r.vec16("extensions")?);
                while exts.left() > 0 {
                    let et = exts.u16("extension_type")?;
                    let mut data = Reader::new(exts.vec16("extension_data")?);
                    if et == 42 {
                        let max = data.u32("max_early_data_size")?;
                        m.details.push(format!("early_data: max_early_data_size {max} B: the next connection may send this much as 0-RTT data"));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    })();
    if let Err(e) = result {
        m.details.push(format!("could not decode: {e}"));
    }
    m
}

/// An alert: level and description (RFC 8446 §6).
fn alert(direction: Direction, at: u64, content: &[u8], encrypted: bool) -> MessageSeen {
    let (level, desc) = (
        content.first().copied().unwrap_or(0),
        content.get(1).copied().unwrap_or(255),
    );
    let name = match desc {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        40 => "handshake_failure",
        42 => "bad_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        50 => "decode_error",
        51 => "decrypt_error",
        70 => "protocol_version",
        80 => "internal_error",
        109 => "missing_extension",
        112 => "unrecognized_name",
        116 => "certificate_required",
        120 => "no_application_protocol",
        _ => "unknown",
    };
    MessageSeen {
        direction,
        time_us: at,
        name: format!("Alert {name}"),
        length: content.len(),
        encrypted,
        hello: None,
        details: vec![format!(
            "level {}, description {desc}",
            if level == 2 { "fatal" } else { "warning" }
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A TLS 1.2 ServerHello record choosing TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, then the
    /// server's ChangeCipherSpec.
    fn server_hello_12() -> Vec<u8> {
        let mut hello = vec![3, 3];
        hello.extend([0x5e; 32]);
        hello.extend([0, 0xc0, 0x2f, 0, 0, 0]);
        let mut msg = vec![2, 0, 0, hello.len() as u8];
        msg.extend(hello);
        let mut rec = vec![22, 3, 3, 0, msg.len() as u8];
        rec.extend(msg);
        rec.extend([20, 3, 3, 0, 1, 1]);
        rec
    }

    fn chunk(direction: Direction, bytes: Vec<u8>) -> Chunk {
        Chunk {
            direction,
            at: std::time::Duration::ZERO,
            bytes,
        }
    }

    #[test]
    fn a_tls12_record_after_change_cipher_spec_is_an_encrypted_handshake_message_without_keys() {
        let mut server = server_hello_12();
        server.extend([22, 3, 3, 0, 40]);
        server.extend([0xe8; 40]);
        let chunks = [chunk(Direction::ServerToClient, server)];
        let (events, summary) = decode(&chunks, &HashMap::new(), false);
        assert_eq!(summary.version.as_deref(), Some("TLS 1.2"));
        let names: Vec<&str> = events
            .iter()
            .filter_map(|e| match e {
                TlsEvent::Message(m) => Some(m.name.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            names,
            ["ServerHello", "ChangeCipherSpec", "Encrypted Handshake Message"]
        );
    }

    proptest::proptest! {
        /// Whatever follows a TLS 1.2 ChangeCipherSpec, with a master secret: no panic.
        #[test]
        fn any_bytes_after_a_tls12_change_cipher_spec_decode_cleanly(
            tail in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
            client in proptest::collection::vec(proptest::num::u8::ANY, 0..120),
        ) {
            let mut server = server_hello_12();
            server.extend(&tail);
            let chunks = [
                chunk(Direction::ClientToServer, [&[22u8, 3, 3, 0, 60, 1, 0, 0, 56, 3, 3][..], &client].concat()),
                chunk(Direction::ServerToClient, server),
            ];
            let secrets = HashMap::from([(MASTER.to_string(), vec![7u8; 48])]);
            let _ = decode(&chunks, &secrets, true);
        }
    }
}
