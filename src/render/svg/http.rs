//! An HTTP fetch as a ladder, one part per protocol: the connection's set-up steps (the name
//! lookup; TCP's and TLS's handshakes for HTTP/2, QUIC's for HTTP/3, RFC 9001 §1), then every
//! frame between client and server (HTTP/2 frames, RFC 9113 §4; HTTP/3 frames and stream
//! types, RFC 9114 §7, §6.2). With several responses, a stream waterfall follows
//! ([`super::waterfall`]).

use super::ladder::{Ladder, Look};
use super::{ms, waterfall, Svg};
use crate::http::events::HttpEvent;
use crate::tls::tap::Direction;
use crate::trace::{EventKind, Trace};

/// The picture of an `http` trace: the ladder, and the waterfall when there are two responses
/// or more.
pub fn picture(trace: &Trace) -> String {
    let l = build(trace);
    let mut svg = Svg::new();
    let (h, w) = l.draw(&mut svg, 0.0);
    let responses: Vec<&crate::http::events::ResponseSeen> = trace
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Http(HttpEvent::Response(r)) => Some(r),
            _ => None,
        })
        .collect();
    let (h, w) = if responses.len() >= 2 {
        let (wh, ww) = waterfall::draw(&mut svg, h, &responses);
        (h + wh, w.max(ww))
    } else {
        (h, w)
    };
    svg.finish(&l.title, w, h)
}

/// How a protocol's part of the ladder is headed.
fn heading(protocol: &str) -> String {
    match protocol {
        "h2" => "HTTP/2 (h2): over TCP and TLS".to_string(),
        "h3" => "HTTP/3 (h3): over QUIC".to_string(),
        other => other.to_string(),
    }
}

fn build(trace: &Trace) -> Ladder {
    let target = trace.events.iter().find_map(|e| match &e.kind {
        EventKind::Http(HttpEvent::Summary(s)) => Some((s.url.clone(), s.address.clone())),
        _ => None,
    });
    let (url, address) = target.unwrap_or_else(|| ("server".into(), String::new()));
    let mut l = Ladder::new(format!("netlab http {url}"));
    let client = l.lane("client", &["client", "netlab"]);
    let server = l.lane("server", &["server", &address]);
    let mut current: Option<String> = None;
    let mut part = |l: &mut Ladder, protocol: &str| {
        if current.as_deref() != Some(protocol) {
            l.divider(heading(protocol));
            current = Some(protocol.to_string());
        }
    };
    for event in &trace.events {
        let EventKind::Http(e) = &event.kind else { continue };
        match e {
            HttpEvent::Setup(s) => {
                part(&mut l, &s.protocol);
                let last = if s.phase == "dns" { client } else { server };
                let rtts = s.round_trips.map(|n| format!(", {n} RTT")).unwrap_or_default();
                let took = ms(s.end_us.saturating_sub(s.start_us));
                l.band(client, last, format!("{} ({took}{rtts})", s.what), "setup");
            }
            HttpEvent::Frame(f) => {
                let (from, to) = match f.direction {
                    Direction::ClientToServer => (client, server),
                    Direction::ServerToClient => (server, client),
                };
                let flags = if f.flags.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", f.flags.join(" "))
                };
                let label = format!("{} stream {}{flags} {} B", f.frame_type, f.stream, f.length);
                l.arrow(from, to, label, Look::Plain);
            }
            HttpEvent::Response(r) => {
                part(&mut l, &r.protocol);
                let body = r.body_bytes;
                l.note(
                    client,
                    client,
                    format!("response on stream {}: {}, {body} B body", r.stream, r.status),
                );
            }
            HttpEvent::Quic(q) => l.note(
                client,
                server,
                format!(
                    "QUIC: {} packets sent, {} lost; RTT {}",
                    q.sent_packets,
                    q.lost_packets,
                    ms(q.rtt_us)
                ),
            ),
            HttpEvent::Summary(s) => {
                part(&mut l, &s.protocol);
                let text = match &s.error {
                    Some(err) => format!("{} failed: {err}", s.protocol),
                    None => format!("{}: {} response(s) in {}", s.protocol, s.responses, ms(s.total_us)),
                };
                l.note(client, server, text);
            }
            HttpEvent::Compare(_) | HttpEvent::Runs(_) | HttpEvent::Edge(_) => {}
        }
    }
    l
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{count, texts, trace};
    use super::*;

    fn events(t: &Trace, f: impl Fn(&HttpEvent) -> bool) -> usize {
        t.events
            .iter()
            .filter(|e| matches!(&e.kind, EventKind::Http(h) if f(h)))
            .count()
    }

    #[test]
    fn each_protocol_has_its_set_up_steps_and_an_arrow_per_frame() {
        let t = trace("http-compare");
        let svg = picture(&t);
        let frames = events(&t, |h| matches!(h, HttpEvent::Frame(_)));
        let setups = events(&t, |h| matches!(h, HttpEvent::Setup(_)));
        assert_eq!((frames, setups), (24, 6));
        assert_eq!(count(&svg, "arrow"), frames);
        assert_eq!(count(&svg, "setup"), setups);
        let texts = texts(&svg);
        for label in [
            "HTTP/2 (h2): over TCP and TLS",
            "HTTP/3 (h3): over QUIC",
            "HEADERS stream 1 [END_STREAM END_HEADERS] 33 B",
            "TCP handshake: SYN, SYN-ACK, ACK (1 ms, 1 RTT)",
        ] {
            assert!(texts.iter().any(|t| t == label), "{label} not in {texts:?}");
        }
        // One response each: a waterfall of two bars, h2 beside h3.
        assert_eq!(count(&svg, "bar"), 2);
    }

    #[test]
    fn bars_past_the_limit_are_counted_not_drawn() {
        let mut t = trace("http-h2-requests-3");
        let one = t
            .events
            .iter()
            .find(|e| matches!(e.kind, EventKind::Http(HttpEvent::Response(_))))
            .unwrap()
            .clone();
        t.events
            .retain(|e| !matches!(e.kind, EventKind::Http(HttpEvent::Response(_))));
        for i in 0..super::super::MAX_DRAWN as u64 + 100 {
            let mut e = one.clone();
            if let EventKind::Http(HttpEvent::Response(r)) = &mut e.kind {
                r.stream = 2 * i + 1;
            }
            t.events.push(e);
        }
        let svg = picture(&t);
        assert_eq!(count(&svg, "bar"), super::super::MAX_DRAWN);
        assert!(texts(&svg).iter().any(|t| t == "(100 more not drawn)"));
    }

    #[test]
    fn several_requests_get_a_bar_per_stream_with_its_first_byte_marked() {
        let t = trace("http-h2-requests-3");
        let svg = picture(&t);
        let responses = events(&t, |h| matches!(h, HttpEvent::Response(_)));
        assert_eq!(responses, 3);
        assert_eq!(count(&svg, "bar"), responses);
        assert_eq!(count(&svg, "first-byte"), responses);
        let texts = texts(&svg);
        for label in ["h2 stream 1: 200", "h2 stream 5: 200", "ms since the fetch started"] {
            assert!(texts.iter().any(|t| t == label), "{label} not in {texts:?}");
        }
    }
}
