//! One `netlab http` run: resolves the host on the command's network, fetches over HTTP/2,
//! HTTP/3 or both, and assembles the trace: each protocol's events with their teaching notes,
//! the HTTPS record beside Alt-Svc, and with `--compare` the phase-by-phase comparison.

use std::net::SocketAddr;
use std::time::Instant;

use super::client::FetchOptions;
use super::events::{Comparison, HttpEvent, ResponseSeen, SetupSeen};
use super::runs::Sample;
use crate::error::Result;
use crate::net::Network;
use crate::trace::{Note, Outcome, Trace, TraceBuilder};

/// Which protocols to fetch with, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocols {
    H2,
    H3,
    /// Both, then their comparison; with `runs` above 1, repeated behind the link
    /// ([`super::runs`]).
    Compare {
        runs: u32,
    },
}

/// Fetches `o` (its `address` still to be looked up: `connect` is the host and port to reach)
/// and returns the trace, and the first body when `o.keep_body`.
pub async fn fetch(
    mut o: FetchOptions,
    connect: (String, u16),
    protocols: Protocols,
    net: &Network,
) -> Result<(Trace, Option<Vec<u8>>)> {
    let looked_up = Instant::now();
    let ip = net.resolve_host(&connect.0).await?;
    o.dns_us = looked_up.elapsed().as_micros() as u64;
    o.address = SocketAddr::new(ip, connect.1);
    let https = net.https_record(&o.host).await;
    let list: &[&str] = match protocols {
        Protocols::H2 => &["h2"],
        Protocols::H3 => &["h3"],
        Protocols::Compare { .. } => &["h2", "h3"],
    };
    let mut trace = TraceBuilder::new("http", "http");
    let mut summaries = Vec::new();
    // Each protocol's responses on its last connection (the resumed one with --resume).
    let mut responses: Vec<(String, Vec<ResponseSeen>)> = Vec::new();
    let mut since_summary = Vec::new();
    let mut body = None;
    let mut outcome = Outcome::Ok;
    // Each protocol's packets dropped during its exchange, for --runs.
    let mut exchange_drops = Vec::new();
    for protocol in list {
        // Each protocol meets the link's conditions from their start (the same drops, the same
        // losses for the same seed), so the two are compared under the same network.
        net.restart_link();
        let fetched = fetch_over(protocol, &o, net).await;
        exchange_drops.push(net.link().map_or(0, |l| l.exchange_drops()));
        body = body.or(fetched.body);
        // Each connection's set-up first (a resumed second connection has its own).
        let setups: Vec<Vec<SetupSeen>> = fetched
            .events
            .iter()
            .filter_map(|e| match e {
                HttpEvent::Summary(s) => Some(SetupSeen::of(s)),
                _ => None,
            })
            .collect();
        let mut setups = setups.into_iter();
        let mut setup = setups.next();
        for mut e in fetched.events {
            if let Some(steps) = setup.take() {
                for step in steps {
                    let e = HttpEvent::Setup(step);
                    let notes = notes_for(&e);
                    trace.push(e, notes);
                }
            }
            if let HttpEvent::Response(r) = &e {
                since_summary.push(r.clone());
            }
            let mut edge = None;
            if let HttpEvent::Summary(s) = &mut e {
                edge = super::edge_story::summarise(&s.protocol, &since_summary, o.pacing);
                responses.retain(|(p, _)| *p != s.protocol);
                responses.push((s.protocol.clone(), std::mem::take(&mut since_summary)));
                s.https_record = https.clone();
                if outcome == Outcome::Ok {
                    outcome = summary_outcome(s);
                }
                summaries.push(s.clone());
                setup = setups.next();
            }
            let notes = notes_for(&e);
            trace.push(e, notes);
            if let Some(edge) = edge {
                let notes = super::edge_story::notes(&edge);
                trace.push(HttpEvent::Edge(Box::new(edge)), notes);
            }
        }
    }
    // With --resume, the resumed connections are compared.
    let last = |p: &str| summaries.iter().rev().find(|s| s.protocol == p);
    if let (Protocols::Compare { runs }, Some(h2), Some(h3)) = (protocols, last("h2"), last("h3")) {
        let of = |p: &str| {
            responses
                .iter()
                .find(|(q, _)| q == p)
                .map(|(_, r)| r.as_slice())
                .unwrap_or(&[])
        };
        let compared = Comparison::of(h2, h3);
        let compared = if o.requests > 1 {
            compared.with_streams(of("h2"), of("h3"))
        } else {
            compared
        };
        trace.push(HttpEvent::Compare(compared), compare_notes());
        if runs > 1 {
            let first = [("h2", 0), ("h3", 1)]
                .map(|(p, i)| Sample::of(of(p), o.requests, exchange_drops.get(i).copied().unwrap_or(0)));
            if let Some(summary) = super::runs::repeat(&o, net, runs, first).await {
                let note = super::runs::note(&summary);
                trace.push(HttpEvent::Runs(Box::new(summary)), vec![note]);
            }
        }
    }
    Ok((trace.finish(outcome), body))
}

/// One protocol's fetch: `h2` over TCP + TLS, anything else (`h3`) over QUIC.
pub async fn fetch_over(protocol: &str, o: &FetchOptions, net: &Network) -> super::client::Fetched {
    if protocol == "h2" {
        super::h2::fetch(o, net).await
    } else {
        super::h3::fetch(o, net).await
    }
}

/// How a fetch that ended in this summary ends: its typed failure, or a verdict (a certificate
/// check, a server that refuses h2) named by its protocol.
fn summary_outcome(s: &super::events::HttpSummary) -> Outcome {
    match (&s.failure, &s.error) {
        (Some(f), _) => {
            let mut f = f.clone();
            f.what = format!("{}: {}", s.protocol, f.what);
            f.outcome()
        }
        (None, Some(err)) => Outcome::Negative {
            reason: format!("{}: {err}", s.protocol),
        },
        (None, None) => Outcome::Ok,
    }
}

/// Teaching notes on the summaries and QUIC statistics.
fn notes_for(e: &HttpEvent) -> Vec<Note> {
    match e {
        HttpEvent::Setup(s) if s.phase == "tcp_connect" => vec![Note::new("http.h2.setup", "HTTP/2 pays for two handshakes before the request: TCP's (SYN, SYN-ACK) and then TLS's, each at least one round trip.", Some("RFC 9113 §3"))],
        HttpEvent::Setup(s) if s.phase == "quic_handshake_keys" => vec![Note::new("http.h3.setup", "QUIC runs its transport and TLS 1.3 handshakes together in one round trip over UDP; no TCP connection first.", Some("RFC 9001 §4"))],
        HttpEvent::Summary(s) if s.protocol == "h2" && s.error.is_none() => vec![
            Note::new("http.h2.hol", "All streams share one TCP byte stream: one lost segment stalls every stream behind it until it is retransmitted (head-of-line blocking).", Some("RFC 9000 §2, RFC 9113 §5")),
        ],
        HttpEvent::Summary(s) if s.protocol == "h3" && s.error.is_none() => vec![
            Note::new("http.h3.streams", "QUIC streams are independent: a lost packet delays only the streams whose data it carried.", Some("RFC 9000 §2.2")),
        ],
        // HTTP/3's SETTINGS travel on a control stream (a unidirectional stream, never stream 0).
        HttpEvent::Frame(f) if f.frame_type == "SETTINGS" && f.stream != 0 => vec![Note::new("http.h3.settings", "Each side's control stream opens with one SETTINGS frame, sent once and not acknowledged, in HTTP/3's own identifiers: QPACK_MAX_TABLE_CAPACITY and QPACK_BLOCKED_STREAMS (the QPACK dynamic table this side accepts; absent or 0: static table and literals only), MAX_FIELD_SECTION_SIZE, and extensions such as H3_DATAGRAM and ENABLE_CONNECT_PROTOCOL. HTTP/3 has no flow-control settings: QUIC does that.", Some("RFC 9114 §7.2.4, §7.2.4.1; RFC 9204 §5"))],
        HttpEvent::Frame(f) if f.frame_type.contains("GREASE") || f.details.iter().any(|d| d.contains("GREASE")) => vec![Note::new("http.h3.grease", "A reserved value (0x1f * N + 0x21, \"GREASE\") as a setting, frame type or stream type means nothing: senders mix them in so that receivers keep ignoring unknown values and the protocol stays extensible, as RFC 8701 does for TLS.", Some("RFC 9114 §7.2.4.1, §7.2.8, §6.2.3, §9"))],
        HttpEvent::Frame(f) if f.frame_type == "SETTINGS" && f.flags.is_empty() => vec![Note::new("http.h2.settings", "Each side opens with SETTINGS: its limits (streams in parallel, flow-control window, header table size), acknowledged by the peer.", Some("RFC 9113 §6.5"))],
        HttpEvent::Frame(f) if f.frame_type == "WINDOW_UPDATE" => vec![Note::new("http.h2.flow", "Flow control: the receiver grants more window as it consumes data; a sender may not exceed it.", Some("RFC 9113 §5.2"))],
        HttpEvent::Response(r) => super::edge_story::response_notes(r),
        _ => Vec::new(),
    }
}

fn compare_notes() -> Vec<Note> {
    vec![Note::new(
        "http.compare",
        "Connection set-up is where they differ most: TCP + TLS 1.3 costs two round trips before the request can leave, QUIC one. On loopback a round trip is microseconds; on a 50 ms path that is 50 ms saved per new connection.",
        Some("RFC 9114 §1"),
    )]
}
