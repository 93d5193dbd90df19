//! HTTP/2 over TCP + TLS (RFC 9113) with the h2 crate. The TLS stream's plaintext side is tapped,
//! so every frame both sides sent can be parsed afterwards ([`super::frames`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use bytes::Bytes;
use rustls::pki_types::ServerName;

use super::client::{
    bounded, connections, download_rate, exchange_phases, failed_before_connecting, header_list, keep_piece,
    new_summary, phase, request, run_requests, tls_config, us, within, FetchOptions, Fetched, OneResult, TlsConfig,
    MAX_HEADER_SECTION,
};
use super::events::{HeaderCompression, HttpEvent, HttpSummary, ResponseSeen};
use super::frames::{self, FrameSeen, Timed};
use super::hpack::Decoder;
use crate::error::{Error, Result};
use crate::link::carried::Carriage;
use crate::net::Network;
use crate::tls::secrets::SecretLog;
use crate::tls::tap::{Direction, Recording, Tap, MAX_TAPPED};
use crate::trace::{Failure, FailureKind, Phase};

/// Flow-control windows the client announces (RFC 9113 §6.9.2): large enough that a fast
/// loopback transfer is not throttled by WINDOW_UPDATE round trips.
const STREAM_WINDOW: u32 = 4 << 20;
const CONNECTION_WINDOW: u32 = 16 << 20;
/// Frames kept in the trace (a large download has thousands of DATA frames).
const MAX_FRAMES_LOGGED: usize = 200;

/// Fetches over HTTP/2 (twice with `--resume`); failures end up in the summary's `error`, with
/// what was seen so far.
pub async fn fetch(o: &FetchOptions, net: &Network) -> Fetched {
    // With --keylog the fetch's own log (its file is written at the end), else a fresh one.
    let secrets = o.keylog.clone().unwrap_or_default();
    let config = match tls_config(o, net.roots(), b"h2") {
        Ok((mut config, recorder)) => {
            // Behind the link, the secrets let it say what a dropped segment carried.
            if net.logs_packets() || o.keylog.is_some() {
                config.key_log = secrets.clone();
            }
            (Arc::new(config), recorder)
        }
        Err(e) => return failed_before_connecting("h2", o, &e),
    };
    let mut all = Fetched::default();
    for connection in connections(o) {
        let one = fetch_once(o, net, &config, &secrets, connection).await;
        let failed = matches!(one.events.last(), Some(HttpEvent::Summary(s)) if s.error.is_some());
        all.events.extend(one.events);
        all.body = all.body.or(one.body);
        if failed {
            break;
        }
    }
    all
}

/// What one connection's taps saw: the plaintext HTTP/2 read and wrote, the TLS records under
/// it, and the TCP connection's two ends.
#[derive(Default)]
struct Taps {
    plain: Recording,
    cipher: Recording,
    /// (server, client)
    ends: OnceLock<(SocketAddr, SocketAddr)>,
}

impl Taps {
    /// What the server's bytes carried, for the link's log.
    fn carriage(&self, secrets: &HashMap<String, Vec<u8>>) -> Option<Carriage> {
        let (server, client) = *self.ends.get()?;
        Some(Carriage::Tcp {
            server,
            client,
            spans: super::carried::server_spans(&self.cipher.chunks(), &self.plain.chunks(), secrets),
        })
    }
}

/// One connection's fetch.
async fn fetch_once(
    o: &FetchOptions,
    net: &Network,
    config: &TlsConfig,
    secrets: &SecretLog,
    connection: u8,
) -> Fetched {
    let t0 = Instant::now();
    let mut summary = new_summary("h2", o, connection);
    let taps = Taps::default();
    let mark = secrets.mark();
    let mut fetched = Fetched::default();
    let result = bounded(o, run(o, net, config, t0, &taps, &mut summary, &mut fetched)).await;
    if let Err(e) = result {
        summary.fail(e);
    }
    if net.logs_packets() {
        if let Some(carriage) = taps.carriage(&secrets.since(mark)) {
            net.carried(carriage);
        }
    }
    let (frames, note, compression) = frame_log(&taps.plain, o.dns_us);
    summary.request_headers = compression;
    summary.frames_note = note;
    if summary.total_us == 0 {
        summary.total_us = o.dns_us + us(t0);
    }
    let mut events: Vec<HttpEvent> = frames.into_iter().map(HttpEvent::Frame).collect();
    events.append(&mut fetched.events);
    events.push(HttpEvent::Summary(Box::new(summary)));
    Fetched {
        events,
        body: fetched.body,
    }
}

async fn run(
    o: &FetchOptions,
    net: &Network,
    (config, recorder): &TlsConfig,
    t0: Instant,
    taps: &Taps,
    summary: &mut HttpSummary,
    fetched: &mut Fetched,
) -> Result<()> {
    let at = |t: Instant| o.dns_us + us(t);
    let route = net.route(o.address)?;
    summary.via = route.shown_via();
    let tcp = within(
        o.timeout,
        Phase::Connect,
        &format!("TCP connect to {}", o.address),
        crate::net::socket::tcp_connect(&route),
    )
    .await?;
    let _ = tcp.set_nodelay(true);
    if let Some(cc) = &o.cc {
        cc.apply(std::os::fd::AsRawFd::as_raw_fd(&tcp))?;
    }
    if let (Ok(server), Ok(client)) = (tcp.peer_addr(), tcp.local_addr()) {
        let _ = taps.ends.set((server, client));
    }
    let tcp = Tap::new(tcp, t0, taps.cipher.clone());
    let connected = at(t0);
    summary.phases.push(phase("tcp_connect", o.dns_us, connected, Some(1)));
    let name = ServerName::try_from(o.host.clone()).map_err(|_| {
        Error::usage(
            format!("host '{}'", o.host),
            "is not a valid server name",
            "check the URL",
        )
    })?;
    let tls = within(
        o.timeout,
        Phase::Tls,
        "TLS handshake",
        tokio_rustls::TlsConnector::from(config.clone()).connect(name, tcp),
    )
    .await
    .map_err(|e| recorder.explain(e))?;
    let version = tls.get_ref().1.protocol_version();
    let tls13 = version == Some(rustls::ProtocolVersion::TLSv1_3);
    summary.tls_version = Some(if tls13 { "TLS 1.3" } else { "TLS 1.2" }.into());
    let handshaken = at(t0);
    summary.phases.push(phase(
        "tls_handshake",
        connected,
        handshaken,
        Some(if tls13 { 1 } else { 2 }),
    ));
    summary.unverified_because = recorder
        .take_failure()
        .filter(|_| recorder.insecure())
        .map(|said| format!("certificate check failed: {said}"));
    summary.resumed = tls.get_ref().1.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
    if tls.get_ref().1.alpn_protocol() != Some(b"h2") {
        return Err(Error::usage(
            "ALPN",
            "the server did not agree to h2 (HTTP/2 needs ALPN h2 over TLS, RFC 9113 §3.2)",
            "try --h3, or curl --http1.1",
        ));
    }
    let tap = Tap::new(tls, t0, taps.plain.clone());
    let (client, connection) = within(
        o.timeout,
        Phase::Request,
        "HTTP/2 connection preface",
        h2::client::Builder::new()
            .initial_window_size(STREAM_WINDOW)
            .initial_connection_window_size(CONNECTION_WINDOW)
            .max_header_list_size(MAX_HEADER_SECTION)
            .handshake::<_, Bytes>(tap),
    )
    .await?;
    let driver = tokio::spawn(connection);
    net.requests_sent();
    let (responses, first_error) = run_requests(o, summary, fetched, |keep| {
        let (client, o) = (client.clone(), o.clone());
        async move { one_request(client, &o, t0, keep).await }
    })
    .await;
    // The fetch ends with the last response; closing the connection is not part of it.
    summary.total_us = at(t0);
    drop(client);
    driver.abort();
    summary.phases.extend(exchange_phases(&responses, handshaken));
    summary.download_bytes_per_s = download_rate(&responses);
    fetched.events.extend(responses.into_iter().map(HttpEvent::Response));
    first_error.map_or(Ok(()), Err)
}

/// One request on its own stream; returns the response and, if asked, its body.
async fn one_request(
    mut client: h2::client::SendRequest<Bytes>,
    o: &FetchOptions,
    t0: Instant,
    keep: bool,
) -> OneResult {
    let at = || o.dns_us + us(t0);
    let req = request(o, true)?;
    client = within(o.timeout, Phase::Request, "HTTP/2 stream", client.ready()).await?;
    let (response, _) = client.send_request(req, true).map_err(|e| {
        Error::Failed(Failure::new(
            Phase::Request,
            FailureKind::Alert,
            "HTTP/2 request",
            e.to_string(),
        ))
    })?;
    let sent_us = at();
    let response = within(o.timeout, Phase::Request, "HTTP/2 response", response).await?;
    let first_byte_us = at();
    let stream = u64::from(u32::from(response.body().stream_id()));
    let (parts, mut body) = response.into_parts();
    let mut bytes = 0u64;
    let mut kept = keep.then(Vec::new);
    while let Some(chunk) = within(o.timeout, Phase::Request, "HTTP/2 body", async {
        body.data().await.transpose()
    })
    .await?
    {
        bytes += chunk.len() as u64;
        let _ = body.flow_control().release_capacity(chunk.len());
        keep_piece(&mut kept, &chunk)?;
    }
    Ok((
        ResponseSeen {
            protocol: "h2".into(),
            stream,
            status: parts.status.as_u16(),
            headers: header_list(&parts.headers),
            body_bytes: bytes,
            sent_us,
            first_byte_us,
            done_us: at(),
            ..Default::default()
        },
        kept,
    ))
}

/// The frames both sides sent, from the tap, with request-header compression figures.
fn frame_log(recording: &Recording, offset_us: u64) -> (Vec<FrameSeen>, Option<String>, Option<HeaderCompression>) {
    let chunks = recording.chunks();
    let mut all = Vec::new();
    let mut notes = Vec::new();
    for direction in [Direction::ClientToServer, Direction::ServerToClient] {
        let (bytes, times) = crate::tls::tap::joined(&chunks, direction, offset_us);
        if bytes.is_empty() {
            continue;
        }
        // Each direction has its own HPACK context (RFC 7541 §2.2).
        let (frames, stop) = frames::parse(
            &Timed {
                bytes: &bytes,
                times: &times,
            },
            direction,
            &mut Decoder::default(),
        );
        let total = recording.total(direction);
        if total > MAX_TAPPED {
            notes.push(format!(
                "the frame log covers the first {} KiB of {} KiB sent {}",
                MAX_TAPPED >> 10,
                total >> 10,
                label(direction)
            ));
        } else if let Some(stop) = stop {
            notes.push(format!("{} frames stop early: {stop}", label(direction)));
        }
        all.extend(frames);
    }
    all.sort_by_key(|f| f.time_us);
    if all.len() > MAX_FRAMES_LOGGED {
        notes.push(format!(
            "{} frames in all; the log keeps the first {MAX_FRAMES_LOGGED}",
            all.len()
        ));
    }
    let compression = HeaderCompression::of_requests(&all, false);
    all.truncate(MAX_FRAMES_LOGGED);
    (all, (!notes.is_empty()).then(|| notes.join("; ")), compression)
}

fn label(d: Direction) -> &'static str {
    match d {
        Direction::ClientToServer => "by the client",
        Direction::ServerToClient => "by the server",
    }
}
