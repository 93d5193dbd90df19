//! The DNS walk as a ladder: the client on the left, one lifeline per server asked (the root,
//! the TLD, the zone's servers, in the order the walk met them), an arrow per query and per
//! reply. Iterative resolution (RFC 1034 §5.3.3) shows as a staircase: each referral sends the
//! next query one lifeline further right, until a server answers with authority; a CNAME
//! (RFC 1034 §3.6.2) starts the staircase again from the root for the new name.

use super::ladder::{Ladder, Look};
use super::{clip, Svg};

/// A record's data in a reply's label is cut to this many characters (keys and digests are long).
const MAX_DATA: usize = 28;
use crate::dns::events::{DnsEvent, Meaning, ResponseSeen, Server};
use crate::trace::{EventKind, Trace};

/// The picture of a `dns walk` or `dns stub` trace.
pub fn ladder(trace: &Trace) -> String {
    let l = build(trace);
    let mut svg = Svg::new();
    let (h, w) = l.draw(&mut svg, 0.0);
    svg.finish(&title(trace), w, h)
}

fn title(trace: &Trace) -> String {
    // What was asked: the summary says it; a walk's first query may be for a key set instead.
    let asked = |pick: fn(&DnsEvent) -> Option<String>| {
        trace.events.iter().find_map(|e| match &e.kind {
            EventKind::Dns(d) => pick(d),
            _ => None,
        })
    };
    let asked = asked(|d| match d {
        DnsEvent::Summary(s) => Some(format!("{} {}", s.qtype, s.qname)),
        DnsEvent::Stub(s) => Some(format!("{} {}", s.qtype, s.qname)),
        _ => None,
    })
    .or_else(|| {
        asked(|d| match d {
            DnsEvent::Query(q) => Some(format!("{} {}", q.qtype, q.qname)),
            _ => None,
        })
    });
    match asked {
        Some(a) => format!("netlab {}: {a}", trace.command),
        None => format!("netlab {}", trace.command),
    }
}

fn server_lane(l: &mut Ladder, s: &Server) -> usize {
    let name = s.name.trim_end_matches('.');
    if s.name == s.address {
        l.lane(&s.address, &[&s.address])
    } else {
        l.lane(&s.address, &[name, &s.address])
    }
}

fn build(trace: &Trace) -> Ladder {
    let mut l = Ladder::new(title(trace));
    let client = l.lane("client", &["client", "netlab"]);
    for event in &trace.events {
        let EventKind::Dns(e) = &event.kind else { continue };
        match e {
            DnsEvent::Idn { input, ascii } => l.note(client, client, format!("IDN: {input} is {ascii}")),
            DnsEvent::Query(q) => {
                let to = server_lane(&mut l, &q.server);
                let over = if q.transport == "udp" {
                    String::new()
                } else {
                    format!(" over {}", q.transport.to_uppercase())
                };
                l.arrow(client, to, format!("{} {}{over}", q.qtype, q.qname), Look::Plain);
            }
            DnsEvent::Response(r) => {
                let from = server_lane(&mut l, &r.server);
                l.arrow(from, client, reply(r), Look::Plain);
            }
            DnsEvent::Ignored { server, reason, .. } => {
                let from = server_lane(&mut l, server);
                l.arrow(from, client, format!("ignored: {reason}"), Look::Dashed);
            }
            DnsEvent::Timeout { server, timeout_ms, .. } => {
                let lane = server_lane(&mut l, server);
                l.note(client, lane, format!("no reply within {timeout_ms} ms: timeout"));
            }
            DnsEvent::Unreachable { server, error, .. } => {
                let lane = server_lane(&mut l, server);
                l.note(client, lane, format!("not sent: {error}"));
            }
            DnsEvent::SubWalk { ns, for_zone, .. } => {
                l.divider(format!("glueless: first the address of {ns} (for {for_zone})"));
            }
            DnsEvent::Cname { from, to, .. } => {
                l.divider(format!("CNAME {from} → {to}: the walk starts again"));
            }
            DnsEvent::Dnssec {
                zone, check, status, ..
            } => {
                l.note(client, client, format!("DNSSEC {zone} {check}: {}", status));
            }
            DnsEvent::Nsec3 { zone, proof, .. } => l.note(client, client, format!("NSEC3 proof in {zone}: {proof}")),
            DnsEvent::Stub(x) => {
                let resolver = server_lane(&mut l, &x.server);
                l.arrow(
                    client,
                    resolver,
                    format!("{} {} ({}, RD=1)", x.qtype, x.qname, x.transport),
                    Look::Plain,
                );
                match &x.error {
                    Some(err) => l.note(client, resolver, format!("no answer: {err}")),
                    None => {
                        let n = x.answers.len();
                        l.arrow(
                            resolver,
                            client,
                            format!("{}: {n} answer record(s)", x.rcode),
                            Look::Plain,
                        );
                    }
                }
            }
            DnsEvent::Summary(s) => {
                let mut text = format!("{}: {} queries, {} referrals", s.result, s.queries, s.referrals);
                if s.cnames > 0 {
                    text.push_str(&format!(", {} CNAME(s)", s.cnames));
                }
                if let Some(status) = s.dnssec {
                    text.push_str(&format!(", DNSSEC {}", status));
                }
                l.note(client, client, text);
            }
        }
    }
    l
}

/// A reply's label: what it means for the walk.
fn reply(r: &ResponseSeen) -> String {
    match &r.meaning {
        Meaning::Referral { zone, ns, .. } => format!("referral to {zone} ({} NS)", ns.len()),
        Meaning::Answer => match r.answers.iter().find(|a| a.rtype != "RRSIG") {
            Some(a) if r.answers.len() > 1 => {
                format!(
                    "answer: {} {} (+{})",
                    a.rtype,
                    clip(&a.data, MAX_DATA),
                    r.answers.len() - 1
                )
            }
            Some(a) => format!("answer: {} {}", a.rtype, clip(&a.data, MAX_DATA)),
            None => "answer".to_string(),
        },
        Meaning::Cname { target } => format!("answer: CNAME {target}"),
        Meaning::Nxdomain { .. } => "NXDOMAIN: no such name".to_string(),
        Meaning::Nodata { .. } => "NODATA: the name has no such records".to_string(),
        Meaning::Truncated => "TC=1: truncated, ask again over TCP".to_string(),
        Meaning::NoEdns => format!("{}: ask again without EDNS", r.rcode),
        Meaning::Unusable { why } => format!("{}: {why}", r.rcode),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{count, texts, trace};
    use super::*;

    #[test]
    fn the_walk_has_an_arrow_per_query_and_per_reply_and_a_lifeline_per_server() {
        let t = trace("dns-walk");
        let svg = ladder(&t);
        let messages = t
            .events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Dns(DnsEvent::Query(_) | DnsEvent::Response(_))))
            .count();
        assert_eq!(messages, 12);
        assert_eq!(count(&svg, "arrow"), messages);
        // The client, the root, the gTLD server, ns1.example.com and ns1.example.net.
        assert_eq!(count(&svg, "lifeline"), 5);
        let texts = texts(&svg);
        for label in [
            "A www.example.com.",
            "referral to com. (1 NS)",
            "referral to example.com. (2 NS)",
            "answer: CNAME cdn.example.net.",
            "answer: A 192.0.2.80",
            "a.root-servers.test",
            "198.51.100.1",
        ] {
            assert!(texts.iter().any(|t| t == label), "{label} not in {texts:?}");
        }
        assert!(texts
            .iter()
            .any(|t| t.starts_with("CNAME www.example.com. → cdn.example.net.")));
    }

    #[test]
    fn names_from_the_network_are_escaped() {
        let mut t = trace("dns-walk");
        for e in &mut t.events {
            if let EventKind::Dns(DnsEvent::Query(q)) = &mut e.kind {
                q.server.name = "evil<&\"'>\u{7}.test.".into();
                q.qname = "<script>".into();
            }
        }
        let svg = ladder(&t);
        assert!(!svg.contains("<script>"));
        let texts = texts(&svg);
        assert!(texts.iter().any(|t| t == "evil<&\"'>\u{fffd}.test"), "{texts:?}");
        assert!(texts.iter().any(|t| t == "A <script>"), "{texts:?}");
    }

    #[test]
    fn a_validated_walk_is_titled_by_its_question_not_its_first_key_query() {
        let texts = texts(&ladder(&trace("dns-dnssec-secure")));
        assert_eq!(texts[0], "netlab dns walk: A www.example.com.");
        assert!(
            texts
                .iter()
                .any(|t| t.starts_with("DNSSEC ") && t.ends_with(": secure")),
            "{texts:?}"
        );
    }

    #[test]
    fn a_negative_answer_is_named() {
        let svg = ladder(&trace("dns-nxdomain"));
        assert!(texts(&svg).iter().any(|t| t == "NXDOMAIN: no such name"));
    }

    #[test]
    fn truncation_shows_the_retry_over_tcp() {
        let svg = ladder(&trace("dns-truncated"));
        let texts = texts(&svg);
        assert!(
            texts.iter().any(|t| t == "TC=1: truncated, ask again over TCP"),
            "{texts:?}"
        );
        assert!(
            texts.iter().any(|t| t.ends_with(" over TCP") && t.starts_with("TXT ")),
            "{texts:?}"
        );
    }
}
