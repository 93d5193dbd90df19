//! The TLS handshake as a ladder between the client and the server: each handshake message is
//! an arrow, and so are ChangeCipherSpec and the application data records. In TLS 1.3 everything
//! after the ServerHello travels encrypted under the handshake keys, then the application keys
//! (RFC 8446 §2, §7.1); those arrows are shaded and say "(encrypted)". ChangeCipherSpec is sent
//! in TLS 1.3 only for middleboxes' sake (RFC 8446 Appendix D.4); in TLS 1.2 it switches to
//! the new keys (RFC 5246 §7.1).

use super::ladder::{Ladder, Look};
use super::Svg;
use crate::tls::events::{RecordSeen, TlsEvent};
use crate::tls::tap::Direction;
use crate::trace::{EventKind, Trace};

/// The picture of a `tls` trace.
pub fn ladder(trace: &Trace) -> String {
    let l = build(trace);
    let mut svg = Svg::new();
    let (h, w) = l.draw(&mut svg, 0.0);
    svg.finish(&l.title, w, h)
}

fn build(trace: &Trace) -> Ladder {
    let host = trace.events.iter().find_map(|e| match &e.kind {
        EventKind::Tls(TlsEvent::Connect { host, address, .. }) => Some((host.clone(), address.clone())),
        _ => None,
    });
    let (host, address) = host.unwrap_or_else(|| ("server".into(), String::new()));
    let mut l = Ladder::new(format!("netlab tls {host}: the handshake"));
    let client = l.lane("client", &["client", "netlab"]);
    let server = l.lane("server", &[&host, &address]);
    let ends = |d: Direction| match d {
        Direction::ClientToServer => (client, server),
        Direction::ServerToClient => (server, client),
    };
    for event in &trace.events {
        let EventKind::Tls(e) = &event.kind else { continue };
        match e {
            TlsEvent::Connect {
                connection,
                address,
                sni,
                ..
            } => {
                if *connection > 1 {
                    l.divider(format!("connection {connection}: resumed with a ticket"));
                }
                l.note(client, server, format!("TCP connected to {address}; SNI {sni}"));
            }
            TlsEvent::Message(m) => {
                let (from, to) = ends(m.direction);
                let look = if m.encrypted { Look::Encrypted } else { Look::Plain };
                l.arrow(from, to, format!("{} ({} B)", m.name, m.length), look);
            }
            TlsEvent::Record(r) => {
                if let Some((label, look)) = record_arrow(r) {
                    let (from, to) = ends(r.direction);
                    l.arrow(from, to, label, look);
                }
            }
            TlsEvent::Verify(v) => {
                let text = if v.verified {
                    "certificate chain verified".to_string()
                } else {
                    format!("certificate check failed: {}", v.verdict)
                };
                l.note(client, client, text);
            }
            TlsEvent::FinishedCheck { sender, verified, .. } => {
                let text = if *verified {
                    format!("{sender} Finished recomputed: it matches")
                } else {
                    format!("{sender} Finished recomputed: it does not match")
                };
                l.note(client, client, text);
            }
            TlsEvent::ApplicationData(a) => {
                if let Some(first) = a.head.first() {
                    let (from, _) = ends(a.direction);
                    l.note(from, from, format!("inside: {first}"));
                }
            }
            TlsEvent::Secret { .. } => {}
            TlsEvent::Summary(s) => {
                let text = match &s.error {
                    Some(err) => format!("failed: {err}"),
                    None => {
                        let parts: Vec<&str> = [&s.version, &s.cipher_suite, &s.key_exchange_group]
                            .into_iter()
                            .filter_map(|p| p.as_deref())
                            .collect();
                        format!("{}; {} round trip(s)", parts.join(", "), s.round_trips)
                    }
                };
                l.note(client, server, text);
            }
        }
    }
    l
}

/// The arrow a record gets of its own: ChangeCipherSpec and application data. Records that
/// carry handshake messages or alerts are drawn as those messages.
fn record_arrow(r: &RecordSeen) -> Option<(String, Look)> {
    let len = r.length;
    match (r.content_type.as_str(), r.inner_type.as_deref()) {
        ("change_cipher_spec", _) => Some((format!("ChangeCipherSpec ({len} B)"), Look::Plain)),
        ("application_data", Some("application_data")) if r.early => {
            Some((format!("0-RTT application data ({len} B)"), Look::Encrypted))
        }
        ("application_data", Some("application_data")) => {
            Some((format!("application data ({len} B)"), Look::Encrypted))
        }
        // TLS 1.2's records show their true type; an undecrypted TLS 1.3 record shows none.
        ("application_data", None) if r.undecrypted.is_some() => {
            Some((format!("record not decrypted ({len} B)"), Look::Encrypted))
        }
        ("application_data", None) => Some((format!("application data ({len} B)"), Look::Encrypted)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{count, texts, trace};
    use super::*;

    #[test]
    fn every_message_ccs_and_application_record_is_an_arrow_the_encrypted_shaded() {
        let t = trace("tls-handshake");
        let svg = ladder(&t);
        let (mut messages, mut encrypted, mut records) = (0, 0, 0);
        for e in &t.events {
            match &e.kind {
                EventKind::Tls(TlsEvent::Message(m)) => {
                    messages += 1;
                    encrypted += usize::from(m.encrypted);
                }
                EventKind::Tls(TlsEvent::Record(r)) if record_arrow(r).is_some() => records += 1,
                _ => {}
            }
        }
        // 10 messages, 2 ChangeCipherSpec, 3 application data records.
        assert_eq!((messages, records), (10, 5));
        assert_eq!(
            count(&svg, "arrow") + count(&svg, "arrow encrypted"),
            messages + records
        );
        // 8 messages after the ServerHello, and the 3 application data records.
        assert_eq!(encrypted, 8);
        assert_eq!(count(&svg, "arrow encrypted"), encrypted + 3);
        let texts = texts(&svg);
        for label in [
            "ClientHello (252 B)",
            "ServerHello (122 B)",
            "Certificate (822 B) (encrypted)",
            "ChangeCipherSpec (1 B)",
            "application data (97 B) (encrypted)",
            "certificate chain verified",
            "server Finished recomputed: it matches",
        ] {
            assert!(texts.iter().any(|t| t == label), "{label} not in {texts:?}");
        }
    }

    #[test]
    fn a_failed_check_is_said() {
        let texts = texts(&ladder(&trace("tls-expired")));
        assert!(
            texts.iter().any(|t| t.starts_with("certificate check failed")),
            "{texts:?}"
        );
    }

    #[test]
    fn a_resumed_connection_gets_its_own_part() {
        let texts = texts(&ladder(&trace("tls-resume")));
        assert!(
            texts.iter().any(|t| t == "connection 2: resumed with a ticket"),
            "{texts:?}"
        );
    }
}
