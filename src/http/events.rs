//! What an HTTP trace records: per protocol, the phases of the fetch with their times and round
//! trips, the HTTP/2 frames, each response, QUIC's connection statistics, and a summary.

use serde::{Deserialize, Serialize};

use super::frames::FrameSeen;

/// One step of an HTTP trace, tagged `"type": "http.<name>"` in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum HttpEvent {
    /// A step of a connection's set-up before its first frame: the name lookup, then TCP's and
    /// TLS's handshakes (HTTP/2) or QUIC's (HTTP/3), so that both logs begin where the fetch did.
    #[serde(rename = "http.setup")]
    Setup(SetupSeen),
    /// An HTTP/2 frame (from the plaintext side of the TLS connection).
    #[serde(rename = "http.frame")]
    Frame(FrameSeen),
    /// One response.
    #[serde(rename = "http.response")]
    Response(ResponseSeen),
    /// QUIC's view of an HTTP/3 connection (from quinn).
    #[serde(rename = "http.quic")]
    Quic(QuicStats),
    /// How one protocol's fetch went, phase by phase.
    #[serde(rename = "http.summary")]
    Summary(Box<HttpSummary>),
    /// What the edge did over the fetch: the caches' hit ratio, allowed and limited requests
    /// (when any response had Cache-Status or rate-limit fields, or with `--rate`).
    #[serde(rename = "http.edge")]
    Edge(Box<super::edge_story::EdgeSummary>),
    /// `--compare`: the two protocols side by side.
    #[serde(rename = "http.compare")]
    Compare(Comparison),
    /// `--compare --runs K`: stream completion over K runs behind the link, and the streams
    /// each loss delayed.
    #[serde(rename = "http.runs")]
    Runs(Box<RunsSummary>),
}

/// `--runs K`: the comparison repeated with seeds `first_seed`, `first_seed + 1`, … (HTTP/2 and
/// HTTP/3 of one run under the same seed), against one run without losses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunsSummary {
    pub runs: u32,
    /// Requests per run (`--requests`).
    pub requests: u32,
    pub first_seed: u64,
    /// The round trip the link adds.
    pub round_trip_us: u64,
    /// A stream counts as delayed when it finished at least this much after the same request
    /// on the loss-free run (half the round trip).
    pub late_by_us: u64,
    pub h2: ProtocolRuns,
    pub h3: ProtocolRuns,
}

/// One protocol over all runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProtocolRuns {
    pub protocol: String,
    /// Each request's time from sending to last byte on the loss-free run.
    pub loss_free_us: Vec<Option<u64>>,
    /// Over every stream of every run, nearest-rank.
    pub p50_us: Option<u64>,
    pub p90_us: Option<u64>,
    pub p99_us: Option<u64>,
    /// Requests that got no complete response.
    pub failed: u64,
    /// Packets the link dropped during the exchanges (after the requests went out).
    pub drops: u64,
    /// Streams that finished `late_by_us` or more behind the loss-free run, in the runs that
    /// had drops.
    pub delayed: u64,
    /// `delayed / drops`: how many streams one loss held up.
    pub delayed_per_drop: Option<f64>,
    pub runs: Vec<RunSample>,
}

/// One protocol in one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSample {
    /// Each request's time from sending to last byte, in sending order (`null`: it failed).
    pub completions_us: Vec<Option<u64>>,
    pub drops: u64,
    pub delayed: u32,
}

/// A phase of a fetch, from the start of the fetch (µs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phase {
    /// `dns`, `tcp_connect`, `tls_handshake`, `quic_handshake_keys`, `quic_connected`,
    /// `request_sent`, `first_byte`, `download`.
    pub name: String,
    pub start_us: u64,
    pub end_us: u64,
    /// Network round trips this phase needs at least, where the protocol fixes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round_trips: Option<u32>,
}

/// One set-up step of a fetch, read off its summary's phases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupSeen {
    /// `h2` or `h3`.
    pub protocol: String,
    /// The phase it is (`dns`, `tcp_connect`, `tls_handshake`, `quic_0rtt`,
    /// `quic_handshake_keys`, `quic_connected`).
    pub phase: String,
    pub start_us: u64,
    pub end_us: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round_trips: Option<u32>,
    /// What happened on the wire, in words.
    pub what: String,
}

impl SetupSeen {
    /// The set-up steps of the fetch `s` summarises, in order; none for the request phases.
    pub fn of(s: &HttpSummary) -> Vec<SetupSeen> {
        let tls = s.tls_version.as_deref().unwrap_or("TLS");
        let alpn = if s.protocol == "h2" { "h2" } else { "h3" };
        s.phases
            .iter()
            // A second connection (--resume) reuses the first one's lookup.
            .filter(|ph| s.connection <= 1 || ph.name != "dns")
            .filter_map(|ph| {
                let what = match ph.name.as_str() {
                    "dns" => format!("name lookup: {} -> {}", host_of(&s.url), s.address),
                    "tcp_connect" => "TCP handshake: SYN, SYN-ACK, ACK".to_string(),
                    "tls_handshake" => format!("{tls} handshake over TCP, ALPN {alpn}"),
                    "quic_0rtt" => "QUIC resumed: the request leaves with the first Initial, as 0-RTT data".to_string(),
                    "quic_handshake_keys" => {
                        format!("QUIC handshake: Initial and Handshake packets carry {tls}, ALPN {alpn}")
                    }
                    "quic_connected" => "QUIC handshake complete: Finished sent, the server's verified".to_string(),
                    _ => return None,
                };
                Some(SetupSeen {
                    protocol: s.protocol.clone(),
                    phase: ph.name.clone(),
                    start_us: ph.start_us,
                    end_us: ph.end_us,
                    round_trips: ph.round_trips,
                    what,
                })
            })
            .collect()
    }
}

/// The host of an `https://host[:port]/path` URL, as written (`[::1]` keeps its brackets).
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    match authority.find(']') {
        Some(end) => &authority[..=end],
        None => authority.split(':').next().unwrap_or(authority),
    }
}

/// One response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseSeen {
    pub protocol: String,
    /// The stream it came on (HTTP/2: odd client stream ids; HTTP/3: QUIC stream ids 0, 4, ...).
    pub stream: u64,
    /// The request's place in sending order, from 1 (0 in traces from before it was recorded).
    #[serde(default)]
    pub request: u32,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body_bytes: u64,
    /// When the request left (µs since the fetch began), its response head arrived, its body ended.
    pub sent_us: u64,
    pub first_byte_us: u64,
    pub done_us: u64,
    /// What the caches on the path did, from `Cache-Status` (absent without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<Box<super::cache_status::CacheSeen>>,
    /// What the rate-limit fields (and a 429's `Retry-After`) said (absent without them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratelimit: Option<super::rate_fields::RateLimitSeen>,
}

impl ResponseSeen {
    /// Reads the cache's and the rate limiter's fields into `cache` and `ratelimit`; `now`
    /// (seconds since 1970) is when the response arrived, for a lifetime from `Expires`
    /// without a `Date`.
    pub fn read_edge_fields(&mut self, now: i64) {
        self.cache = match super::cache_status::read(self.status, &self.headers, now) {
            super::cache_status::Read::Seen(c) => Some(c),
            _ => None,
        };
        self.ratelimit = super::rate_fields::read(self.status, &self.headers);
    }
}

/// QUIC connection statistics (quinn's `ConnectionStats`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuicStats {
    pub rtt_us: u64,
    pub min_rtt_us: u64,
    pub congestion_window: u64,
    pub congestion_events: u64,
    pub sent_packets: u64,
    pub lost_packets: u64,
    pub udp_datagrams_sent: u64,
    pub udp_datagrams_received: u64,
    pub current_mtu: u16,
    /// Frames sent and received, by QUIC frame type (only those seen).
    pub frames_sent: Vec<(String, u64)>,
    pub frames_received: Vec<(String, u64)>,
}

/// How one protocol's fetch went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpSummary {
    /// `h2` or `h3`.
    pub protocol: String,
    /// 1, or 2 for the second connection of `--resume`.
    pub connection: u8,
    /// The TLS session was resumed with a ticket from the first connection (a PSK handshake).
    #[serde(default)]
    pub resumed: bool,
    /// HTTP/3 with `--resume`: the request went as 0-RTT data; whether the server accepted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zero_rtt: Option<bool>,
    pub url: String,
    /// The address connected to (and the loopback socket that plays it on the sandbox).
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// The TLS version under it (QUIC always uses TLS 1.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_version: Option<String>,
    pub phases: Vec<Phase>,
    pub total_us: u64,
    pub requests: u32,
    pub responses: u32,
    pub body_bytes: u64,
    /// Request header octets as sent (HPACK for HTTP/2, QPACK for HTTP/3) vs as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_headers: Option<HeaderCompression>,
    /// Body octets per second over the download phase (first response byte to last body
    /// byte), when that phase took measurable time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_bytes_per_s: Option<u64>,
    /// The response's Alt-Svc header: how a client learns the origin also speaks HTTP/3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_svc: Option<String>,
    /// The host's HTTPS DNS record (RFC 9460): how a client can learn about HTTP/3 before it
    /// connects. Looked up on the sandbox only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub https_record: Option<String>,
    /// The frame log covers only the first part of a large transfer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frames_note: Option<String>,
    #[serde(default)]
    pub insecure: bool,
    /// With `--insecure`, the certificate check that failed and was let pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unverified_because: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The error as a typed failure (phase and kind), when it is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<crate::trace::Failure>,
}

impl HttpSummary {
    /// Records how the fetch failed: the text, and the typed failure when it is one.
    pub fn fail(&mut self, e: crate::error::Error) {
        self.error = Some(e.to_string());
        if let crate::error::Error::Failed(f) = e {
            self.failure = Some(f);
        }
    }
}

/// Header compression over a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeaderCompression {
    pub encoded: usize,
    pub plain: usize,
    /// Fields sent as one index (static or dynamic table hits).
    pub indexed_fields: usize,
    pub dynamic_hits: usize,
    pub fields: usize,
}

impl HeaderCompression {
    /// The figures for the fields the client sent in a frame log (HPACK or QPACK), if any.
    /// With `whole_sections` (QPACK), a HEADERS frame's payload is one field section and counts
    /// whole, its prefix (Required Insert Count, Base) included; HPACK's blocks are their fields.
    pub fn of_requests(frames: &[super::frames::FrameSeen], whole_sections: bool) -> Option<HeaderCompression> {
        let requests: Vec<&super::frames::FrameSeen> = frames
            .iter()
            .filter(|f| f.direction == crate::tls::tap::Direction::ClientToServer && !f.fields.is_empty())
            .collect();
        let sent: Vec<&super::hpack::Field> = requests.iter().flat_map(|f| f.fields.iter()).collect();
        let encoded = if whole_sections {
            requests.iter().map(|f| f.length).sum()
        } else {
            sent.iter().map(|f| f.encoded_len).sum()
        };
        (!sent.is_empty()).then(|| HeaderCompression {
            encoded,
            plain: sent.iter().map(|f| f.plain_len).sum(),
            // HPACK's `indexed`, QPACK's `indexed` and `indexed_post_base`.
            indexed_fields: sent.iter().filter(|f| f.representation.starts_with("indexed")).count(),
            dynamic_hits: sent
                .iter()
                .filter(|f| f.source == super::hpack::Source::Dynamic)
                .count(),
            fields: sent.len(),
        })
    }
}

/// HTTP/2 and HTTP/3 side by side, phase by phase (µs; `None` where a protocol has no such phase).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    pub rows: Vec<CompareRow>,
    /// With several requests: each request's completion time on either protocol, from its
    /// request leaving to its last body byte (where head-of-line blocking shows: one lost TCP
    /// segment delays every HTTP/2 stream behind it, a lost QUIC packet only its own streams).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub streams: Vec<StreamRow>,
}

/// One request's completion on each protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamRow {
    /// The request's place in sending order, from 1.
    pub request: u32,
    pub h2_stream: Option<u64>,
    pub h2_us: Option<u64>,
    pub h3_stream: Option<u64>,
    pub h3_us: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompareRow {
    pub what: String,
    pub h2_us: Option<u64>,
    pub h3_us: Option<u64>,
    /// Round trips each needs, where the protocol fixes it.
    pub h2_round_trips: Option<u32>,
    pub h3_round_trips: Option<u32>,
}

impl Comparison {
    /// Lines up the phases: connection set-up is TCP + TLS for HTTP/2 and QUIC's handshake for
    /// HTTP/3 (transport and crypto handshakes in one, RFC 9001 §1).
    pub fn of(h2: &HttpSummary, h3: &HttpSummary) -> Comparison {
        let sum = |s: &HttpSummary, names: &[&str]| -> (Option<u64>, Option<u32>) {
            let ps: Vec<&Phase> = s.phases.iter().filter(|p| names.contains(&p.name.as_str())).collect();
            if ps.is_empty() {
                return (None, None);
            }
            let us = ps.iter().map(|p| p.end_us.saturating_sub(p.start_us)).sum();
            let rtts = ps.iter().map(|p| p.round_trips).sum::<Option<u32>>();
            (Some(us), rtts)
        };
        let row = |what: &str, a: &[&str], b: &[&str]| {
            let ((h2_us, h2_round_trips), (h3_us, h3_round_trips)) = (sum(h2, a), sum(h3, b));
            CompareRow {
                what: what.to_string(),
                h2_us,
                h3_us,
                h2_round_trips,
                h3_round_trips,
            }
        };
        let setup = ["tcp_connect", "tls_handshake"];
        let quic = ["quic_0rtt", "quic_handshake_keys", "quic_connected"];
        let mut rows = vec![
            row("name lookup", &["dns"], &["dns"]),
            row("connection set-up", &setup, &quic),
            row(
                "time to first byte",
                &["request_sent", "first_byte"],
                &["request_sent", "first_byte"],
            ),
            row("download", &["download"], &["download"]),
        ];
        rows.push(CompareRow {
            what: "total".into(),
            h2_us: Some(h2.total_us),
            h3_us: Some(h3.total_us),
            h2_round_trips: None,
            h3_round_trips: None,
        });
        Comparison {
            rows,
            streams: Vec::new(),
        }
    }

    /// Adds each request's completion time, request by request in sending order (requests
    /// beyond the shorter list have one side only).
    pub fn with_streams(mut self, h2: &[ResponseSeen], h3: &[ResponseSeen]) -> Comparison {
        let (h2, h3) = (completions_in_stream_order(h2), completions_in_stream_order(h3));
        self.streams = (0..h2.len().max(h3.len()))
            .map(|i| StreamRow {
                request: u32::try_from(i + 1).unwrap_or(u32::MAX),
                h2_stream: h2.get(i).map(|r| r.0),
                h2_us: h2.get(i).map(|r| r.1),
                h3_stream: h3.get(i).map(|r| r.0),
                h3_us: h3.get(i).map(|r| r.1),
            })
            .collect();
        self
    }
}

/// Each response's stream and its time from request to last byte, in stream order (which is
/// sending order: a client opens its streams in increasing order, RFC 9113 §5.1.1, RFC 9000 §2.1).
pub fn completions_in_stream_order(responses: &[ResponseSeen]) -> Vec<(u64, u64)> {
    let mut v: Vec<(u64, u64)> = responses
        .iter()
        .map(|r| (r.stream, r.done_us.saturating_sub(r.sent_us)))
        .collect();
    v.sort_unstable();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_of_urls() {
        assert_eq!(host_of("https://www.example.com/"), "www.example.com");
        assert_eq!(host_of("https://www.example.com:8443/x"), "www.example.com");
        assert_eq!(host_of("https://[::1]:443/"), "[::1]");
        assert_eq!(host_of("www.example.com"), "www.example.com");
    }
}
