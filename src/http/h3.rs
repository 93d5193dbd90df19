//! HTTP/3 over QUIC (RFC 9114, RFC 9000) with quinn + h3. There is no TCP connect: QUIC's own
//! handshake carries TLS 1.3 in CRYPTO frames (RFC 9001), so the phases are QUIC's: the first
//! Initial sent, the handshake keys (the server's Initial and Handshake packets arrived and
//! decrypted), and the connection established (the client's Finished sent).

use std::sync::Arc;
use std::time::Instant;

use bytes::{Buf, Bytes};

use super::client::{
    bounded, connections, download_rate, exchange_phases, failed_before_connecting, header_list, keep_piece,
    new_summary, phase, request, run_requests, tls_config, us, within, FetchOptions, Fetched, OneResult,
    MAX_HEADER_SECTION,
};
use super::events::{HeaderCompression, HttpEvent, HttpSummary, QuicStats, ResponseSeen};
use super::h3tap::{H3Recording, Tapped};
use crate::error::{Error, Result};
use crate::link::carried::Carriage;
use crate::net::Network;
use crate::tls::secrets::SecretLog;
use crate::trace::Phase;

/// Fetches over HTTP/3 (twice with `--resume`, the second time in 0-RTT where the ticket
/// allows); failures end up in the summary's `error`.
pub async fn fetch(o: &FetchOptions, net: &Network) -> Fetched {
    let setup = match client_setup(o, net) {
        Ok(setup) => setup,
        Err(e) => return failed_before_connecting("h3", o, &e),
    };
    let mut all = Fetched::default();
    for connection in connections(o) {
        let t0 = Instant::now();
        let mut summary = new_summary("h3", o, connection);
        summary.tls_version = Some("TLS 1.3".into());
        let mut fetched = Fetched::default();
        let mark = setup.secrets.mark();
        if let Err(e) = bounded(o, run(o, net, &setup, t0, &mut summary, &mut fetched)).await {
            summary.fail(e);
        }
        if let Some(carriage) = setup.carriage(o, mark) {
            net.carried(carriage);
        }
        if summary.total_us == 0 {
            summary.total_us = o.dns_us + us(t0);
        }
        let failed = summary.error.is_some();
        fetched.events.push(HttpEvent::Summary(Box::new(summary)));
        all.events.extend(fetched.events);
        all.body = all.body.or(fetched.body);
        if failed {
            break;
        }
    }
    let _ = tokio::time::timeout(std::time::Duration::from_millis(200), setup.endpoint.wait_idle()).await;
    all
}

/// What the connections of one fetch share: the UDP endpoint and the client configuration,
/// whose session store keeps the tickets that resumption and 0-RTT use.
struct Setup {
    endpoint: quinn::Endpoint,
    config: quinn::ClientConfig,
    recorder: Arc<crate::tls::insecure::RecordingVerifier>,
    route: crate::net::Route,
    /// The traffic secrets, logged behind the link and with `--keylog`.
    secrets: Arc<SecretLog>,
}

impl Setup {
    /// What the connection begun at `mark` carried, for the link's log: the server's 1-RTT
    /// secret, with which the link opens the packets it dropped.
    fn carriage(&self, o: &FetchOptions, mark: usize) -> Option<Carriage> {
        let secret = self.secrets.since(mark).remove("SERVER_TRAFFIC_SECRET_0")?;
        Some(Carriage::Quic {
            server: o.address,
            client: self.endpoint.local_addr().ok()?,
            secret,
        })
    }
}

fn client_setup(o: &FetchOptions, net: &Network) -> Result<Setup> {
    let route = net.route(o.address)?;
    let endpoint = crate::net::socket::quic_client_for(&route).map_err(|e| Error::io("UDP socket", e))?;
    let (mut tls, recorder) = tls_config(o, net.roots(), b"h3")?;
    // With --keylog the fetch's own log (its file is written at the end), else a fresh one.
    let secrets = o.keylog.clone().unwrap_or_default();
    // Behind the link, the secrets let it say what a dropped packet carried.
    if net.logs_packets() || o.keylog.is_some() {
        tls.key_log = secrets.clone();
    }
    let crypto = quinn::crypto::rustls::QuicClientConfig::try_from(tls)
        .map_err(|e| Error::usage("QUIC", e.to_string(), "report this"))?;
    let mut config = quinn::ClientConfig::new(Arc::new(crypto));
    config.transport_config(Arc::new(transport(o, None)?));
    Ok(Setup {
        endpoint,
        config,
        recorder,
        route,
        secrets,
    })
}

/// QUIC transport settings; `qlog` records the connection for qvis.
fn transport(o: &FetchOptions, qlog: Option<quinn::QlogStream>) -> Result<quinn::TransportConfig> {
    let mut transport = quinn::TransportConfig::default();
    if let Some(cc) = &o.cc {
        transport.congestion_controller_factory(cc.quic_factory()?);
    }
    transport.max_idle_timeout(quinn::IdleTimeout::try_from(o.timeout).ok());
    // Flow-control windows like HTTP/2's (RFC 9000 §4): a fast path is not held back by them.
    transport.stream_receive_window(quinn::VarInt::from_u32(16 << 20));
    transport.receive_window(quinn::VarInt::from_u32(32 << 20));
    transport.qlog_stream(qlog);
    Ok(transport)
}

/// A qlog stream (JSON text sequences, the `.sqlog` form qvis reads) writing to `tmp`, 0600.
fn qlog_stream(tmp: &std::path::Path) -> Result<quinn::QlogStream> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(tmp)
        .map_err(|e| Error::io(tmp, e))?;
    let mut config = quinn::QlogConfig::default();
    config
        .writer(Box::new(std::io::BufWriter::new(file)))
        .title(Some("netlab http --h3".into()));
    config
        .into_stream()
        .ok_or_else(|| Error::usage("--qlog", "quinn could not start the qlog stream", "try another file"))
}

async fn run(
    o: &FetchOptions,
    net: &Network,
    setup: &Setup,
    t0: Instant,
    summary: &mut HttpSummary,
    fetched: &mut Fetched,
) -> Result<()> {
    let at = |t: Instant| o.dns_us + us(t);
    let route = setup.route;
    summary.via = route.shown_via();
    let mut config = setup.config.clone();
    // --qlog records the first connection (written beside, then renamed into place).
    let qlog_tmp = o
        .qlog
        .as_ref()
        .filter(|_| summary.connection == 1)
        .map(|p| p.with_extension("sqlog.part"));
    if let Some(tmp) = &qlog_tmp {
        config.transport_config(Arc::new(transport(o, Some(qlog_stream(tmp)?))?));
    }
    let connecting = setup
        .endpoint
        .connect_with(config, route.via(), &o.host)
        .map_err(|e| Error::usage("QUIC connect", e.to_string(), "check the URL"))?;
    let started = at(t0);
    // With a ticket that allows early data, the request can leave with the first Initial
    // (0-RTT, RFC 9001 §4.6); otherwise wait for the handshake.
    let (conn, zero_rtt, ready) = match connecting.into_0rtt() {
        Ok((conn, accepted)) => {
            summary.phases.push(phase("quic_0rtt", started, started, Some(0)));
            (conn, Some(accepted), started)
        }
        Err(mut connecting) => {
            // The handshake data (ALPN, name) is known once the server's first flight decrypted.
            within(
                o.timeout,
                Phase::Quic,
                "QUIC handshake (no answer to the Initial packet)",
                connecting.handshake_data(),
            )
            .await
            .map_err(|e| setup.recorder.explain(e))?;
            let keys = at(t0);
            let conn = within(o.timeout, Phase::Quic, "QUIC handshake", connecting)
                .await
                .map_err(|e| setup.recorder.explain(e))?;
            let connected = at(t0);
            summary
                .phases
                .push(phase("quic_handshake_keys", started, keys, Some(1)));
            summary.phases.push(phase("quic_connected", keys, connected, Some(0)));
            (conn, None, connected)
        }
    };
    let recording = H3Recording::new(t0, o.dns_us);
    let (mut driver, send_request) = within(
        o.timeout,
        Phase::Request,
        "HTTP/3 connection set-up",
        h3::client::builder()
            .max_field_section_size(u64::from(MAX_HEADER_SECTION))
            .build(Tapped::new(h3_quinn::Connection::new(conn.clone()), recording.clone())),
    )
    .await?;
    let drive = tokio::spawn(async move { std::future::poll_fn(|cx| driver.poll_close(cx)).await });
    net.requests_sent();
    let (responses, first_error) = run_requests(o, summary, fetched, |keep| {
        let (send, o) = (send_request.clone(), o.clone());
        async move { one_request(send, &o, t0, keep).await }
    })
    .await;
    // The fetch ends with the last response; closing the connection is not part of it.
    summary.total_us = at(t0);
    // 0-RTT is only possible with a resumed session (quinn does not say otherwise whether the
    // ticket was used, so `resumed` here means "resumed with 0-RTT").
    summary.resumed = zero_rtt.is_some();
    if let Some(accepted) = zero_rtt {
        summary.zero_rtt = Some(
            within(o.timeout, Phase::Quic, "QUIC 0-RTT", async {
                Ok::<_, Error>(accepted.await)
            })
            .await?,
        );
    }
    summary.unverified_because = setup
        .recorder
        .take_failure()
        .filter(|_| setup.recorder.insecure())
        .map(|said| format!("certificate check failed: {said}"));
    summary.phases.extend(exchange_phases(&responses, ready));
    summary.download_bytes_per_s = download_rate(&responses);
    let (frames, note) = recording.frames();
    summary.frames_note = note;
    summary.request_headers = HeaderCompression::of_requests(&frames, true);
    fetched.events.extend(frames.into_iter().map(HttpEvent::Frame));
    fetched.events.extend(responses.into_iter().map(HttpEvent::Response));
    fetched.events.push(HttpEvent::Quic(stats(&conn.stats())));
    conn.close(0u32.into(), b"done");
    drive.abort();
    if let (Some(tmp), Some(path)) = (&qlog_tmp, &o.qlog) {
        // The qlog stream is flushed when quinn drops the connection's state.
        drop(conn);
        let _ = tokio::time::timeout(std::time::Duration::from_millis(200), setup.endpoint.wait_idle()).await;
        std::fs::rename(tmp, path).map_err(|e| Error::io(path, e))?;
    }
    first_error.map_or(Ok(()), Err)
}

async fn one_request(
    mut send: h3::client::SendRequest<Tapped<h3_quinn::OpenStreams>, Bytes>,
    o: &FetchOptions,
    t0: Instant,
    keep: bool,
) -> OneResult {
    let at = || o.dns_us + us(t0);
    let req = request(o, true)?;
    let mut stream = within(o.timeout, Phase::Request, "HTTP/3 request", send.send_request(req)).await?;
    within(o.timeout, Phase::Request, "HTTP/3 request", stream.finish()).await?;
    let sent_us = at();
    let response = within(o.timeout, Phase::Request, "HTTP/3 response", stream.recv_response()).await?;
    let first_byte_us = at();
    let mut bytes = 0u64;
    let mut kept = keep.then(Vec::new);
    while let Some(mut chunk) = within(o.timeout, Phase::Request, "HTTP/3 body", stream.recv_data()).await? {
        let n = chunk.remaining();
        bytes += n as u64;
        let piece = chunk.copy_to_bytes(n);
        keep_piece(&mut kept, &piece)?;
    }
    Ok((
        ResponseSeen {
            protocol: "h3".into(),
            stream: stream.id().into_inner(),
            status: response.status().as_u16(),
            headers: header_list(response.headers()),
            body_bytes: bytes,
            sent_us,
            first_byte_us,
            done_us: at(),
            ..Default::default()
        },
        kept,
    ))
}

/// quinn's statistics, with the frame counts that are not zero.
fn stats(s: &quinn::ConnectionStats) -> QuicStats {
    let frames = |f: &quinn::FrameStats| -> Vec<(String, u64)> {
        [
            ("STREAM", f.stream),
            ("ACK", f.acks),
            ("CRYPTO", f.crypto),
            ("MAX_DATA", f.max_data),
            ("MAX_STREAM_DATA", f.max_stream_data),
            ("MAX_STREAMS", f.max_streams_bidi + f.max_streams_uni),
            ("NEW_CONNECTION_ID", f.new_connection_id),
            ("NEW_TOKEN", f.new_token),
            ("HANDSHAKE_DONE", u64::from(f.handshake_done)),
            ("PING", f.ping),
            ("CONNECTION_CLOSE", f.connection_close),
            ("RESET_STREAM", f.reset_stream),
            ("STOP_SENDING", f.stop_sending),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(name, n)| (name.to_string(), n))
        .collect()
    };
    QuicStats {
        rtt_us: s.path.rtt.as_micros() as u64,
        min_rtt_us: s.path.min_rtt.as_micros() as u64,
        congestion_window: s.path.cwnd,
        congestion_events: s.path.congestion_events,
        sent_packets: s.path.sent_packets,
        lost_packets: s.path.lost_packets,
        udp_datagrams_sent: s.udp_tx.datagrams,
        udp_datagrams_received: s.udp_rx.datagrams,
        current_mtu: s.path.current_mtu,
        frames_sent: frames(&s.frame_tx),
        frames_received: frames(&s.frame_rx),
    }
}
