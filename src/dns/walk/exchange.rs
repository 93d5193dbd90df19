//! One question to one server, the way RFC 1035 §4.2 and its updates say to ask: over UDP with
//! an EDNS0 payload size (RFC 6891), again without EDNS if the server answers FORMERR to it
//! (§7), and again over TCP if the answer came back truncated (TC=1, RFC 7766 §5). At most three
//! tries; each one is a query event in the trace, followed by what came back: a response, the
//! packets ignored on the way, a timeout or an unreachable server.

use std::time::Duration;

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::Name;

use super::classify::{classify, explain, Reply};
use super::{WalkError, Walker, EDNS_BUFFER};
use crate::dns::events::{DnsEvent, Meaning, QuerySent, ResponseSeen, Server};
use crate::dns::transport::{Attempt, Ignored, Outcome, TcpQuery, UdpQuery};
use crate::dns::wire::{self, Question};
use crate::net::Route;
use crate::trace::Note;

/// Most tries of one exchange: UDP with EDNS, without EDNS, over TCP, and one UDP query sent
/// again after a timeout.
const MAX_TRIES: usize = 4;

/// One question to one server: what stays the same over its tries.
struct Exchange<'x> {
    server: &'x Server,
    route: &'x Route,
    zone: &'x Name,
    q: &'x Question,
    depth: u8,
}

/// How one try asks: over TCP or UDP, and the EDNS payload size offered (none: plain DNS).
#[derive(Debug, Clone, Copy)]
struct Framing {
    tcp: bool,
    edns: Option<u16>,
}

impl Framing {
    fn transport(self) -> &'static str {
        if self.tcp {
            "tcp"
        } else {
            "udp"
        }
    }
}

/// A query as it left on one try, for its `dns.query` event.
struct Sent {
    framing: Framing,
    id: u16,
    /// The local port, 0 when the TCP connection never opened.
    source_port: u16,
    size: usize,
}

/// A response as it arrived: the message, its size on the wire, and the round-trip time.
#[derive(Clone, Copy)]
struct Arrived<'m> {
    message: &'m Message,
    size: usize,
    rtt: Duration,
}

impl Walker<'_> {
    /// One server: UDP with EDNS, falling back to no EDNS on FORMERR and to TCP on TC=1.
    /// `None`: this server gave nothing usable (timeout, unreachable, unusable reply), try the
    /// next.
    pub(super) async fn ask_server(
        &mut self,
        server: &Server,
        route: &Route,
        zone: &Name,
        q: &Question,
        depth: u8,
    ) -> Result<Option<Reply>, WalkError> {
        let x = Exchange {
            server,
            route,
            zone,
            q,
            depth,
        };
        let mut framing = Framing {
            tcp: false,
            edns: Some(EDNS_BUFFER),
        };
        let mut resent = false;
        for _ in 0..MAX_TRIES {
            self.check_budget()?;
            self.queries += 1;
            let attempt = self.send(&x, framing).await?;
            self.record_ignored(&x, &attempt.ignored);
            let (message, size) = match attempt.outcome {
                // UDP may lose a query or its answer: send it once more before moving on, as
                // resolvers do (dig tries three times, RFC 1035 §4.2.1).
                Outcome::Timeout if !framing.tcp && !resent => {
                    resent = true;
                    self.record_timeout(&x, framing, true);
                    continue;
                }
                Outcome::Timeout => {
                    self.record_timeout(&x, framing, false);
                    return Ok(None);
                }
                Outcome::Unreachable(error) => {
                    self.record_unreachable(&x, framing, error, Vec::new());
                    return Ok(None);
                }
                Outcome::PortUnreachable(error) => {
                    let note = Note::new(
                        "dns.port_unreachable",
                        "The server's host answered with ICMP port unreachable: nothing listens there. The query's UDP socket is connected to the server, so the kernel reports it at once and no timeout is waited for; the next name server address is tried.",
                        Some("RFC 1122 §4.1.3.1"),
                    );
                    self.record_unreachable(&x, framing, error, vec![note]);
                    return Ok(None);
                }
                Outcome::Response { message, size } => (message, size),
            };
            let (meaning, reply, notes) = judge(&message, &x, framing);
            let arrived = Arrived {
                message: &message,
                size,
                rtt: attempt.rtt,
            };
            self.record_response(&x, framing, &arrived, meaning.clone(), notes);
            match meaning {
                Meaning::Truncated => framing.tcp = true,
                Meaning::NoEdns => framing.edns = None,
                _ => {
                    if reply.is_some() {
                        self.last_message = Some(message);
                    }
                    return Ok(reply);
                }
            }
        }
        Ok(None)
    }

    /// Sends one try's query (recording it) and waits for its answer. Only a UDP socket that
    /// cannot be opened stops the walk; a TCP connection that fails is an unreachable server.
    async fn send(&mut self, x: &Exchange<'_>, framing: Framing) -> Result<Attempt, WalkError> {
        let id: u16 = rand::random();
        let dnssec_ok = self.opts.anchors.is_some() && framing.edns.is_some();
        let bytes = wire::build_query(id, x.q, false, framing.edns, dnssec_ok);
        let sent = |source_port| Sent {
            framing,
            id,
            source_port,
            size: bytes.len(),
        };
        if framing.tcp {
            match TcpQuery::connect(x.route, self.opts.timeout).await {
                Ok(c) => {
                    self.push_query(x, sent(c.source_port));
                    Ok(c.exchange(&bytes, id, x.q, self.opts.timeout).await)
                }
                Err(e) => {
                    self.push_query(x, sent(0));
                    Ok(Attempt {
                        outcome: Outcome::Unreachable(e.to_string()),
                        ignored: Vec::new(),
                        rtt: Duration::ZERO,
                    })
                }
            }
        } else {
            match UdpQuery::open(x.route).await {
                Ok(s) => {
                    self.push_query(x, sent(s.source_port));
                    Ok(s.exchange(&bytes, id, x.q, self.opts.timeout).await)
                }
                Err(e) => Err(WalkError::UdpSocket(e.to_string())),
            }
        }
    }

    fn push_query(&mut self, x: &Exchange<'_>, sent: Sent) {
        let event = QuerySent {
            depth: x.depth,
            zone: x.zone.to_string(),
            server: x.server.clone(),
            transport: sent.framing.transport().into(),
            id: sent.id,
            source_port: sent.source_port,
            qname: x.q.name.to_ascii(),
            qtype: x.q.rtype.to_string(),
            recursion_desired: false,
            edns_buffer: sent.framing.edns,
            dnssec_ok: self.opts.anchors.is_some() && sent.framing.edns.is_some(),
            size: sent.size,
        };
        self.trace.push(DnsEvent::Query(event), Vec::new());
    }

    fn record_ignored(&mut self, x: &Exchange<'_>, ignored: &[(Ignored, usize)]) {
        for (reason, size) in ignored {
            self.trace.push(
                DnsEvent::Ignored { depth: x.depth, server: x.server.clone(), reason: reason.to_string(), size: *size },
                vec![Note::new("dns.spoofing", "A packet that does not match the query's ID, question and server is not believed: that is what stops off-path spoofing.", Some("RFC 5452 §4"))],
            );
        }
    }

    /// A try that got no answer in time; `again`: the same query is sent once more.
    fn record_timeout(&mut self, x: &Exchange<'_>, framing: Framing, again: bool) {
        self.last_silence = Some((
            crate::trace::FailureKind::Timeout,
            format!(
                "{} did not answer over {} in {} ms",
                x.route.via(),
                framing.transport(),
                self.opts.timeout.as_millis()
            ),
        ));
        let note = if again {
            Note::new(
                "dns.timeout.resend",
                "No answer in time: UDP may have lost the query or its answer, so the same query goes to the same server once more.",
                Some("RFC 1035 §4.2.1"),
            )
        } else {
            Note::new(
                "dns.timeout",
                "No answer in time: the next name server address is tried.",
                Some("RFC 1035 §7.2"),
            )
        };
        self.trace.push(
            DnsEvent::Timeout {
                depth: x.depth,
                server: x.server.clone(),
                transport: framing.transport().into(),
                timeout_ms: self.opts.timeout.as_millis() as u64,
            },
            vec![note],
        );
    }

    fn record_unreachable(&mut self, x: &Exchange<'_>, framing: Framing, error: String, notes: Vec<Note>) {
        self.last_silence = Some((
            crate::trace::FailureKind::Unreachable,
            format!("{} over {}: {error}", x.route.via(), framing.transport()),
        ));
        self.trace.push(
            DnsEvent::Unreachable {
                depth: x.depth,
                server: x.server.clone(),
                transport: framing.transport().into(),
                error,
            },
            notes,
        );
    }

    fn record_response(
        &mut self,
        x: &Exchange<'_>,
        framing: Framing,
        arrived: &Arrived<'_>,
        meaning: Meaning,
        notes: Vec<Note>,
    ) {
        let Arrived { message, size, rtt } = *arrived;
        let (answers, a_more) = wire::views(&message.answers);
        let (authority, n_more) = wire::views(&message.authorities);
        let (additional, d_more) = wire::views(&message.additionals);
        self.trace.push(
            DnsEvent::Response(ResponseSeen {
                depth: x.depth,
                server: x.server.clone(),
                transport: framing.transport().into(),
                id: message.metadata.id,
                rtt_us: rtt.as_micros() as u64,
                size,
                rcode: wire::rcode(message),
                flags: wire::flags(message),
                answers,
                authority,
                additional,
                unlisted_records: a_more + n_more + d_more,
                extended_errors: wire::extended_errors(message),
                meaning,
            }),
            notes,
        );
    }
}

/// What a believed response means for the exchange: ask again (over TCP, or without EDNS), or
/// the reply it classifies as, or why it is not usable. With its teaching notes.
fn judge(message: &Message, x: &Exchange<'_>, framing: Framing) -> (Meaning, Option<Reply>, Vec<Note>) {
    if message.metadata.truncation && !framing.tcp {
        (
            Meaning::Truncated,
            None,
            vec![Note::new(
                "dns.truncated",
                "TC=1: the answer did not fit in the UDP payload offered, so the same question goes again over TCP.",
                Some("RFC 7766 §5"),
            )],
        )
    } else if message.metadata.response_code == ResponseCode::FormErr && framing.edns.is_some() {
        (
            Meaning::NoEdns,
            None,
            vec![Note::new(
                "dns.formerr",
                "FORMERR to a query with EDNS: the server may not know EDNS0, so the question goes again without it.",
                Some("RFC 6891 §7"),
            )],
        )
    } else {
        match classify(message, x.q, x.zone) {
            Ok(reply) => {
                let (meaning, notes) = explain(&reply, x.zone, message.metadata.authoritative);
                (meaning, Some(reply), notes)
            }
            Err(why) => (
                Meaning::Unusable { why: why.to_string() },
                None,
                vec![Note::new(
                    "dns.unusable",
                    format!("{why}: the next name server address is tried."),
                    Some("RFC 1034 §5.3.3"),
                )],
            ),
        }
    }
}
