//! What both fetchers share: the request to make, the TLS configuration (same trust rules as
//! `netlab tls`: certificate checks never skipped, `--insecure` recorded), and the results.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::events::{HttpEvent, HttpSummary, Phase, ResponseSeen};
use crate::error::{Error, Result};
use crate::net::trust::Roots;
use crate::tls::insecure::RecordingVerifier;
use crate::trace::{Failure, FailureKind};

/// Largest response header section accepted (HTTP/2 SETTINGS_MAX_HEADER_LIST_SIZE, HTTP/3
/// SETTINGS_MAX_FIELD_SECTION_SIZE): a hostile server cannot make the client buffer more.
pub const MAX_HEADER_SECTION: u32 = 64 * 1024;

/// Largest body kept for `-o` (bodies are otherwise only counted).
pub const MAX_KEPT_BODY: usize = 256 << 20;

/// One fetch: N requests for one URL over one connection.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// `https://host:port/path`, as given.
    pub url: String,
    pub host: String,
    /// The path and query to request.
    pub path: String,
    /// `host[:port]` for :authority.
    pub authority: String,
    pub address: SocketAddr,
    /// GET, HEAD (`-I`) or PURGE (`--purge`, curl's `-X PURGE`).
    pub method: http::Method,
    /// `--rate`: when each request is due ([`super::pace`]); `None`: each as soon as a
    /// `--concurrency` slot is free.
    pub pacing: Option<super::pace::Pacing>,
    /// Extra request header fields (`-H`).
    pub headers: Vec<(String, String)>,
    pub requests: u32,
    pub concurrency: u32,
    pub insecure: bool,
    /// Limit on each phase: connecting, the handshake, each response, each piece of body.
    pub timeout: Duration,
    /// Limit on the whole fetch (a body that never ends is cut here).
    pub max_time: Duration,
    /// Connect a second time, resuming the TLS session (and on HTTP/3 sending the request as
    /// 0-RTT data where the server's ticket allows).
    pub resume: bool,
    /// Write a qlog of the (first) HTTP/3 connection here, for qvis.
    pub qlog: Option<std::path::PathBuf>,
    /// Keep the first response's body (for `-o`).
    pub keep_body: bool,
    /// Name lookup already done by the caller: how long it took.
    pub dns_us: u64,
    /// Congestion control (`--cc`): the kernel's for TCP, quinn's of the same family for QUIC.
    pub cc: Option<crate::packet::congestion::CongestionControl>,
    /// `--keylog`: every connection's TLS secrets are logged here too (HTTP/2's and HTTP/3's).
    pub keylog: Option<Arc<crate::tls::secrets::SecretLog>>,
}

/// What a fetch produced.
#[derive(Debug, Default)]
pub struct Fetched {
    pub events: Vec<HttpEvent>,
    pub body: Option<Vec<u8>>,
}

/// A client configuration shared by a fetch's connections (so the second can resume), and the
/// verifier that records its certificate checks.
pub type TlsConfig = (Arc<rustls::ClientConfig>, Arc<RecordingVerifier>);

/// The rustls configuration for `alpn`, and the verifier that records its certificate checks
/// (and with `--insecure` lets a failed one pass).
pub fn tls_config(
    o: &FetchOptions,
    roots: &Roots,
    alpn: &[u8],
) -> Result<(rustls::ClientConfig, Arc<RecordingVerifier>)> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let (builder, recorder) = crate::tls::client::verifying_builder(roots, provider, o.insecure)?;
    let mut config = builder.with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    config.enable_early_data = o.resume;
    Ok((config, recorder))
}

/// A summary with nothing done yet but the name lookup.
pub fn new_summary(protocol: &str, o: &FetchOptions, connection: u8) -> HttpSummary {
    HttpSummary {
        protocol: protocol.into(),
        connection,
        resumed: false,
        zero_rtt: None,
        url: o.url.clone(),
        address: o.address.to_string(),
        via: None,
        tls_version: None,
        phases: vec![phase("dns", 0, o.dns_us, None)],
        total_us: 0,
        requests: o.requests,
        responses: 0,
        body_bytes: 0,
        download_bytes_per_s: None,
        request_headers: None,
        alt_svc: None,
        https_record: None,
        frames_note: None,
        insecure: o.insecure,
        unverified_because: None,
        error: None,
        failure: None,
    }
}

/// What one request returns: its response and, for the first with `-o`, its body.
pub type OneResult = Result<(ResponseSeen, Option<Vec<u8>>)>;

/// Runs `o.requests` requests, at most `o.concurrency` at once and, with `--rate`, each no
/// sooner than its pacing says; `one(keep)` makes one (keeping its body if `keep`). Numbers the
/// responses in sending order and reads their cache and rate-limit fields. Fills in the
/// summary's counts and Alt-Svc; returns the responses in stream order, and the first error.
pub async fn run_requests<F, Fut>(
    o: &FetchOptions,
    summary: &mut HttpSummary,
    fetched: &mut Fetched,
    one: F,
) -> (Vec<ResponseSeen>, Option<Error>)
where
    F: Fn(bool) -> Fut,
    Fut: std::future::Future<Output = OneResult> + Send + 'static,
{
    let permits = Arc::new(tokio::sync::Semaphore::new(o.concurrency.max(1) as usize));
    let mut tasks = tokio::task::JoinSet::new();
    let first = tokio::time::Instant::now();
    for i in 0..o.requests {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        if let Some(p) = &o.pacing {
            tokio::time::sleep_until(first + Duration::from_nanos(p.offset_ns(i))).await;
        }
        let request = one(o.keep_body && i == 0);
        tasks.spawn(async move {
            let r = request.await;
            drop(permit);
            (i, r)
        });
    }
    let mut first_error = None;
    let mut responses = Vec::new();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok((i, Ok((mut seen, body)))) => {
                seen.request = i + 1;
                seen.read_edge_fields(crate::edge::cache::date::secs(std::time::SystemTime::now()));
                summary.responses += 1;
                summary.body_bytes += seen.body_bytes;
                if body.is_some() {
                    fetched.body = body;
                }
                responses.push(seen);
            }
            Ok((_, Err(e))) => {
                first_error.get_or_insert(e);
            }
            Err(e) => {
                first_error.get_or_insert(Error::usage("request", e.to_string(), "report this"));
            }
        }
    }
    responses.sort_by_key(|r| r.stream);
    summary.alt_svc = responses
        .iter()
        .find_map(|r| r.headers.iter().find(|(n, _)| n == "alt-svc").map(|(_, v)| v.clone()));
    (responses, first_error)
}

/// Appends a piece of body to what `-o` keeps, within [`MAX_KEPT_BODY`].
pub fn keep_piece(kept: &mut Option<Vec<u8>>, piece: &[u8]) -> Result<()> {
    if let Some(k) = kept.as_mut() {
        if k.len() + piece.len() > MAX_KEPT_BODY {
            return Err(Error::usage(
                "-o",
                format!("the body is over {} MiB", MAX_KEPT_BODY >> 20),
                "netlab keeps -o bodies in memory; fetch less",
            ));
        }
        k.extend_from_slice(piece);
    }
    Ok(())
}

/// The request for stream `i`.
pub fn request(o: &FetchOptions, scheme_authority: bool) -> Result<http::Request<()>> {
    let uri = if scheme_authority {
        format!("https://{}{}", o.authority, o.path)
    } else {
        o.path.clone()
    };
    let mut b = http::Request::builder()
        .method(o.method.clone())
        .uri(uri)
        .header("user-agent", concat!("netlab/", env!("CARGO_PKG_VERSION")))
        .header("accept", "*/*");
    for (n, v) in &o.headers {
        b = b.header(n.as_str(), v.as_str());
    }
    b.body(())
        .map_err(|e| Error::usage("-H", e.to_string(), "write headers as 'Name: value'"))
}

/// Microseconds since `t0`.
pub fn us(t0: Instant) -> u64 {
    t0.elapsed().as_micros() as u64
}

/// A phase from `start` to `end` (µs since the fetch began).
pub fn phase(name: &str, start: u64, end: u64, round_trips: Option<u32>) -> Phase {
    Phase {
        name: name.to_string(),
        start_us: start,
        end_us: end,
        round_trips,
    }
}

/// The request, response and download phases from the responses seen (request_sent: the first
/// request; first_byte: the first response head; download: until the last body ended).
pub fn exchange_phases(responses: &[ResponseSeen], after: u64) -> Vec<Phase> {
    let sent = responses.iter().map(|r| r.sent_us).min().unwrap_or(after);
    let first = responses.iter().map(|r| r.first_byte_us).min().unwrap_or(sent);
    let done = responses.iter().map(|r| r.done_us).max().unwrap_or(first);
    vec![
        phase("request_sent", after, sent, None),
        phase("first_byte", sent, first, Some(1)),
        phase("download", first, done, None),
    ]
}

/// The download's throughput: all bodies' octets over the download phase (from the first
/// response byte to the end of the last body), in octets per second; `None` if it took no time.
pub fn download_rate(responses: &[ResponseSeen]) -> Option<u64> {
    let first = responses.iter().map(|r| r.first_byte_us).min()?;
    let done = responses.iter().map(|r| r.done_us).max()?;
    let bytes: u64 = responses.iter().map(|r| r.body_bytes).sum();
    let us = done.checked_sub(first).filter(|us| *us > 0)?;
    (bytes > 0).then(|| (u128::from(bytes) * 1_000_000 / u128::from(us)) as u64)
}

/// A timeout's failure, naming what stalled.
pub fn too_slow(phase: crate::trace::Phase, what: &str, limit: Duration) -> Error {
    Error::Failed(Failure::new(
        phase,
        FailureKind::Timeout,
        what,
        format!("no progress in {} ms", limit.as_millis()),
    ))
}

/// What kind of failure an error of the HTTP stack is, by its type: the transport's I/O error
/// (or TLS's, classified by rustls's variant), an HTTP/2 reset or GOAWAY, a QUIC connection
/// error; anything else a peer did not do by the protocol.
fn failure_kind<E: 'static>(e: &E) -> FailureKind {
    let any = e as &dyn std::any::Any;
    if let Some(Error::Failed(f)) = any.downcast_ref::<Error>() {
        return f.kind;
    }
    if let Some(io) = any.downcast_ref::<std::io::Error>() {
        return crate::tls::client::failure_kind(io);
    }
    if let Some(h2) = any.downcast_ref::<h2::Error>() {
        return match h2.get_io() {
            Some(io) => crate::tls::client::failure_kind(io),
            // The peer's RST_STREAM or GOAWAY; one this side sent is its verdict on bad frames.
            None if h2.is_remote() && (h2.is_reset() || h2.is_go_away()) => FailureKind::Alert,
            None => FailureKind::Malformed,
        };
    }
    if let Some(quic) = any.downcast_ref::<quinn::ConnectionError>() {
        use quinn::ConnectionError as C;
        return match quic {
            C::TimedOut => FailureKind::Timeout,
            C::Reset => FailureKind::Reset,
            // A TLS alert about a certificate, sent or received as a QUIC CRYPTO_ERROR
            // (0x100 + the alert, RFC 9001 §4.8): bad_certificate (42) to unknown_ca (48).
            C::TransportError(t) if (42..=48).any(|a| t.code == quinn::TransportErrorCode::crypto(a)) => {
                FailureKind::Certificate
            }
            C::ConnectionClosed(c) if (42..=48).any(|a| c.error_code == quinn::TransportErrorCode::crypto(a)) => {
                FailureKind::Certificate
            }
            C::ConnectionClosed(_) | C::ApplicationClosed(_) => FailureKind::Alert,
            C::LocallyClosed => FailureKind::Closed,
            _ => FailureKind::Malformed,
        };
    }
    FailureKind::Malformed
}

/// Runs `f` (a step of `phase`) under the phase limit; its error becomes a typed failure.
pub async fn within<T, E: std::fmt::Display + 'static>(
    limit: Duration,
    phase: crate::trace::Phase,
    what: &str,
    f: impl std::future::Future<Output = std::result::Result<T, E>>,
) -> Result<T> {
    match tokio::time::timeout(limit, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Error::Failed(Failure::new(
            phase,
            failure_kind(&e),
            what,
            e.to_string(),
        ))),
        Err(_) => Err(too_slow(phase, what, limit)),
    }
}

/// The header fields of a response, as text.
pub fn header_list(h: &http::HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect()
}

/// Runs a whole fetch under `o.max_time`.
pub async fn bounded(o: &FetchOptions, f: impl std::future::Future<Output = Result<()>>) -> Result<()> {
    tokio::time::timeout(o.max_time, f).await.unwrap_or_else(|_| {
        Err(Error::Failed(Failure::new(
            crate::trace::Phase::Request,
            FailureKind::Timeout,
            "the fetch",
            format!(
                "did not finish in {} s (raise --max-time for a long download)",
                o.max_time.as_secs_f64()
            ),
        )))
    })
}

/// The connections a fetch makes: one, or two with `--resume`.
pub fn connections(o: &FetchOptions) -> std::ops::RangeInclusive<u8> {
    1..=if o.resume { 2 } else { 1 }
}

/// A fetch that failed before its first connection: its summary says why.
pub fn failed_before_connecting(protocol: &str, o: &FetchOptions, e: &Error) -> Fetched {
    let mut summary = new_summary(protocol, o, 1);
    summary.error = Some(e.to_string());
    if let Error::Failed(f) = e {
        summary.failure = Some(f.clone());
    }
    Fetched {
        events: vec![HttpEvent::Summary(Box::new(summary))],
        body: None,
    }
}
