//! A hostile DNS server in the test, one misbehaviour at a time, against the walk through the
//! library: every case ends with a named outcome within the time bound; nothing panics, hangs or
//! is believed that should not be.

mod common;
use common::netlab;

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::rdata::{A, NS};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use netlab::dns::events::DnsEvent;
use netlab::dns::hints::Hint;
use netlab::dns::walk::{walk, WalkOptions};
use netlab::net::{AddressBook, Network};
use netlab::trace::{EventKind, Trace};

/// What the hostile server does with each query.
#[derive(Clone, Copy, Debug)]
enum Misbehaviour {
    PointerLoop,
    Truncated,
    WrongId,
    OtherQuestion,
    UnrelatedAnswer,
    ReferralToItself,
    ReferralToParent,
    Garbage,
    Silence,
    LateAnswer,
    FiveHundredRecords,
    /// A correct-looking answer, sent from another port (an off-path spoofer's view).
    WrongSource,
    /// SERVFAIL with an Extended DNS Error (RFC 8914) saying why.
    ServfailWithEde,
    /// An old server: FORMERR to any query with EDNS, a proper answer without it.
    NoEdns,
    /// A quirky but usable server: AA=1 on its referral (as the root) and on its answer.
    AaOnReferral,
}

/// The reply a well-behaved server would start from: same ID, same question.
fn reply_to(query: &Message) -> Message {
    let mut m = Message::new(query.metadata.id, MessageType::Response, OpCode::Query);
    m.metadata.authoritative = true;
    m.add_queries(query.queries.clone());
    m
}

fn a(name: &str, ip: [u8; 4]) -> Record {
    Record::from_rdata(
        Name::from_ascii(name).unwrap(),
        300,
        RData::A(A::from(std::net::Ipv4Addr::from(ip))),
    )
}

fn ns(zone: &str, target: &str) -> Record {
    Record::from_rdata(
        Name::from_ascii(zone).unwrap(),
        300,
        RData::NS(NS(Name::from_ascii(target).unwrap())),
    )
}

/// Bytes to send back for the `nth` query (none: stay silent).
fn respond(mode: Misbehaviour, nth: usize, query: &Message, raw: &[u8]) -> Vec<Vec<u8>> {
    let ok = |m: Message| m.to_vec().unwrap();
    match mode {
        Misbehaviour::PointerLoop => {
            // Header (ID, QR, 1 question) then a name that is a pointer to itself.
            let mut b = raw[..2].to_vec();
            b.extend_from_slice(&[0x84, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
            vec![b]
        }
        Misbehaviour::Truncated => {
            let full = ok(reply_to(query));
            vec![full[..full.len() - 3].to_vec()]
        }
        Misbehaviour::WrongId => {
            let mut m = reply_to(query);
            m.metadata.id = query.metadata.id.wrapping_add(1);
            m.add_answer(a("victim.test.", [6, 6, 6, 6]));
            vec![ok(m)]
        }
        Misbehaviour::OtherQuestion => {
            let mut m = Message::new(query.metadata.id, MessageType::Response, OpCode::Query);
            m.add_query(Query::query(Name::from_ascii("other.test.").unwrap(), RecordType::A));
            m.add_answer(a("other.test.", [6, 6, 6, 6]));
            vec![ok(m)]
        }
        Misbehaviour::UnrelatedAnswer => {
            let mut m = reply_to(query);
            m.add_answer(a("bank.example.", [6, 6, 6, 6]));
            vec![ok(m)]
        }
        Misbehaviour::ReferralToItself => {
            let mut m = reply_to(query);
            m.metadata.authoritative = false;
            m.add_authority(ns(".", "evil.test."));
            vec![ok(m)]
        }
        Misbehaviour::ReferralToParent => {
            // Asked as the root, delegate test. to itself (glue 192.0.2.53, which the test's
            // address book maps back here); asked as test., refer back up to the root.
            let mut m = reply_to(query);
            m.metadata.authoritative = false;
            if nth == 0 {
                m.add_authority(ns("test.", "ns.test."));
                m.add_additional(a("ns.test.", [192, 0, 2, 53]));
            } else {
                m.add_authority(ns(".", "a.root.test."));
            }
            vec![ok(m)]
        }
        Misbehaviour::AaOnReferral => {
            // Asked as the root: delegate test. to itself (glue 192.0.2.53, mapped back here),
            // keeping reply_to's AA=1; asked as test.: the answer.
            let mut m = reply_to(query);
            if nth == 0 {
                m.add_authority(ns("test.", "ns.test."));
                m.add_additional(a("ns.test.", [192, 0, 2, 53]));
            } else {
                m.add_answer(a("www.victim.test.", [192, 0, 2, 7]));
            }
            vec![ok(m)]
        }
        Misbehaviour::Garbage => vec![b"\x13\x37 definitely not DNS \xff\xfe".to_vec()],
        Misbehaviour::WrongSource => Vec::new(),
        Misbehaviour::NoEdns => {
            let mut m = reply_to(query);
            if query.edns.is_some() {
                m.metadata.response_code = hickory_proto::op::ResponseCode::FormErr;
            } else {
                m.add_answer(a("www.victim.test.", [192, 0, 2, 7]));
            }
            vec![ok(m)]
        }
        Misbehaviour::ServfailWithEde => {
            let mut m = reply_to(query);
            m.metadata.response_code = hickory_proto::op::ResponseCode::ServFail;
            let mut edns = hickory_proto::op::Edns::new();
            let mut info = 22u16.to_be_bytes().to_vec();
            info.extend_from_slice(b"all upstreams are down");
            edns.options_mut()
                .insert(hickory_proto::rr::rdata::opt::EdnsOption::Unknown(15, info));
            m.set_edns(edns);
            vec![ok(m)]
        }
        Misbehaviour::Silence => Vec::new(),
        Misbehaviour::LateAnswer => {
            std::thread::sleep(Duration::from_millis(1500));
            let mut m = reply_to(query);
            m.add_answer(a("www.victim.test.", [6, 6, 6, 6]));
            vec![ok(m)]
        }
        Misbehaviour::FiveHundredRecords => {
            let mut m = reply_to(query);
            for i in 0..500u32 {
                m.add_answer(a("www.victim.test.", [10, (i >> 8) as u8, i as u8, 1]));
            }
            vec![ok(m)]
        }
    }
}

/// Runs a hostile server on loopback for a few seconds; returns its address.
fn hostile(mode: Misbehaviour) -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let addr = socket.local_addr().unwrap();
    std::thread::spawn(move || {
        let end = Instant::now() + Duration::from_secs(5);
        let mut buf = [0u8; 4096];
        let mut nth = 0;
        while Instant::now() < end {
            let Ok((n, from)) = socket.recv_from(&mut buf) else {
                continue;
            };
            let Ok(query) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            for reply in respond(mode, nth, &query, &buf[..n]) {
                let _ = socket.send_to(&reply, from);
            }
            if let Misbehaviour::WrongSource = mode {
                let mut m = reply_to(&query);
                m.add_answer(a("www.victim.test.", [6, 6, 6, 6]));
                let spoofer = UdpSocket::bind("127.0.0.1:0").unwrap();
                let _ = spoofer.send_to(&m.to_vec().unwrap(), from);
            }
            nth += 1;
        }
    });
    addr
}

fn run(mode: Misbehaviour) -> (Trace, Duration) {
    let addr = hostile(mode);
    let opts = WalkOptions {
        name: "www.victim.test".into(),
        rtype: RecordType::A,
        roots: vec![Hint {
            name: "hostile.".into(),
            addr,
        }],
        timeout: Duration::from_millis(1000),
        max_queries: 8,
        max_time: Duration::from_secs(3),
        anchors: None,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let start = Instant::now();
    let mut book = AddressBook::default();
    book.insert("192.0.2.53:53".parse().unwrap(), addr);
    book.insert(addr, addr);
    let trace = rt
        .block_on(walk(&opts, &Network::with_address_book(book)))
        .expect("the walk runs");
    (trace, start.elapsed())
}

fn dns_events(t: &Trace) -> Vec<&DnsEvent> {
    t.events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Dns(d) => Some(d),
            _ => None,
        })
        .collect()
}

fn summary(t: &Trace) -> netlab::dns::events::Summary {
    dns_events(t)
        .into_iter()
        .find_map(|e| {
            if let DnsEvent::Summary(s) = e {
                Some(s.clone())
            } else {
                None
            }
        })
        .unwrap()
}

fn ignored_reasons(t: &Trace) -> Vec<String> {
    dns_events(t)
        .into_iter()
        .filter_map(|e| {
            if let DnsEvent::Ignored { reason, .. } = e {
                Some(reason.clone())
            } else {
                None
            }
        })
        .collect()
}

fn unusable(t: &Trace) -> Vec<String> {
    dns_events(t)
        .into_iter()
        .filter_map(|e| {
            if let DnsEvent::Response(r) = e {
                if let netlab::dns::events::Meaning::Unusable { why } = &r.meaning {
                    Some(why.clone())
                } else {
                    None
                }
            } else {
                None
            }
        })
        .collect()
}

/// The walk failed cleanly: no answer believed, within the bound.
fn assert_failed_cleanly(t: &Trace, took: Duration) -> netlab::dns::events::Summary {
    let s = summary(t);
    assert_eq!(s.result, "failed", "{s:?}");
    assert!(s.answers.is_empty());
    assert!(took < Duration::from_secs(4), "took {took:?}");
    s
}

#[test]
fn compression_pointer_loop_is_malformed_and_ignored() {
    let (t, took) = run(Misbehaviour::PointerLoop);
    assert_failed_cleanly(&t, took);
    assert!(
        ignored_reasons(&t)[0].starts_with("malformed message"),
        "{:?}",
        ignored_reasons(&t)
    );
}

#[test]
fn truncated_message_is_malformed_and_ignored() {
    let (t, took) = run(Misbehaviour::Truncated);
    assert_failed_cleanly(&t, took);
    assert!(ignored_reasons(&t)[0].starts_with("malformed message"));
}

#[test]
fn wrong_id_is_not_believed() {
    let (t, took) = run(Misbehaviour::WrongId);
    assert_failed_cleanly(&t, took);
    assert!(
        ignored_reasons(&t)[0].contains("does not match the query's"),
        "{:?}",
        ignored_reasons(&t)
    );
}

#[test]
fn mismatched_question_is_not_believed() {
    let (t, took) = run(Misbehaviour::OtherQuestion);
    assert_failed_cleanly(&t, took);
    assert!(
        ignored_reasons(&t)[0].contains("question other.test. does not match"),
        "{:?}",
        ignored_reasons(&t)
    );
}

#[test]
fn answer_for_an_unrelated_name_is_not_believed() {
    let (t, took) = run(Misbehaviour::UnrelatedAnswer);
    assert_failed_cleanly(&t, took);
    assert!(
        unusable(&t)[0].contains("the answer is for bank.example."),
        "{:?}",
        unusable(&t)
    );
}

#[test]
fn referrals_to_itself_and_to_a_parent_go_nowhere() {
    for mode in [Misbehaviour::ReferralToItself, Misbehaviour::ReferralToParent] {
        let (t, took) = run(mode);
        let s = assert_failed_cleanly(&t, took);
        assert!(s.queries <= 8);
        let why = unusable(&t);
        assert!(
            why.iter().any(|w| w.contains("upward or sideways referral")),
            "{mode:?}: {why:?}"
        );
    }
}

#[test]
fn garbage_bytes_are_ignored() {
    let (t, took) = run(Misbehaviour::Garbage);
    assert_failed_cleanly(&t, took);
    assert!(ignored_reasons(&t)[0].starts_with("malformed"));
}

#[test]
fn silence_and_late_answers_time_out() {
    for mode in [Misbehaviour::Silence, Misbehaviour::LateAnswer] {
        let (t, took) = run(mode);
        assert_failed_cleanly(&t, took);
        assert!(
            dns_events(&t)
                .iter()
                .any(|e| matches!(e, DnsEvent::Timeout { timeout_ms: 1000, .. })),
            "{mode:?}"
        );
    }
}

#[test]
fn five_hundred_records_are_kept_bounded() {
    let (t, took) = run(Misbehaviour::FiveHundredRecords);
    let s = summary(&t);
    assert_eq!(s.result, "answer");
    assert_eq!(s.answers.len(), 500, "the answer itself is whole");
    let response = dns_events(&t)
        .into_iter()
        .find_map(|e| {
            if let DnsEvent::Response(r) = e {
                Some(r.clone())
            } else {
                None
            }
        })
        .unwrap();
    assert_eq!(response.answers.len(), 64, "the per-response listing is bounded");
    assert_eq!(response.unlisted_records, 436);
    assert!(took < Duration::from_secs(3));
}

#[test]
fn an_answer_from_the_wrong_source_never_reaches_the_walk() {
    // The query's UDP socket is connected to the server: the kernel drops the spoofer's
    // datagram (another source port), so the walk neither believes nor even sees it.
    let (t, took) = run(Misbehaviour::WrongSource);
    assert_failed_cleanly(&t, took);
    assert!(ignored_reasons(&t).is_empty(), "{:?}", ignored_reasons(&t));
    assert!(
        dns_events(&t).iter().all(|e| !matches!(e, DnsEvent::Response(_))),
        "no response was seen"
    );
}

#[test]
fn a_dead_port_ends_the_attempt_at_once_as_port_unreachable() {
    // Nothing listens on this port: the host answers with ICMP port unreachable, which the
    // connected socket reports at once (RFC 1122 §4.1.3.1), long before the 1 s timeout.
    let dead = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = dead.local_addr().unwrap();
    drop(dead);
    let started = Instant::now();
    let out = netlab()
        .args([
            "dns",
            "www.victim.test",
            "--root",
            &addr.to_string(),
            "--timeout",
            "1000",
        ])
        .output()
        .unwrap();
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{stdout}");
    assert!(took < Duration::from_millis(500), "took {took:?}: {stdout}");
    assert!(
        stdout.contains(&format!("unreachable: {} over udp: port unreachable (ICMP)", addr.ip())),
        "{stdout}"
    );
    assert!(!stdout.contains("timeout: no answer"), "{stdout}");
    let short = netlab()
        .args([
            "dns",
            "www.victim.test",
            "--root",
            &addr.to_string(),
            "--timeout",
            "1000",
            "--short",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&short.stderr);
    assert_eq!(short.status.code(), Some(4), "{stderr}");
    assert!(short.stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("netlab: resolving www.victim.test.: unreachable: ") && stderr.contains("port unreachable"),
        "{stderr}"
    );
}

#[test]
fn extended_dns_errors_are_shown() {
    let (t, took) = run(Misbehaviour::ServfailWithEde);
    assert_failed_cleanly(&t, took);
    let response = dns_events(&t)
        .into_iter()
        .find_map(|e| {
            if let DnsEvent::Response(r) = e {
                Some(r.clone())
            } else {
                None
            }
        })
        .unwrap();
    assert_eq!(response.rcode, "SERVFAIL");
    assert_eq!(
        response.extended_errors,
        ["22 (No Reachable Authority): all upstreams are down"]
    );
    let text = netlab::render::text(&t, &netlab::style::RenderOpts::plain());
    assert!(
        text.contains("extended error 22 (No Reachable Authority): all upstreams are down"),
        "{text}"
    );
}

#[test]
fn formerr_to_edns_is_retried_without_it() {
    let (t, _) = run(Misbehaviour::NoEdns);
    let s = summary(&t);
    assert_eq!(s.result, "answer");
    assert_eq!(s.answers[0].data, "192.0.2.7");
    let queries: Vec<Option<u16>> = dns_events(&t)
        .into_iter()
        .filter_map(|e| {
            if let DnsEvent::Query(q) = e {
                Some(q.edns_buffer)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(queries, [Some(1232), None], "asked with EDNS, then again without");
    assert!(dns_events(&t)
        .iter()
        .any(|e| matches!(e, DnsEvent::Response(r) if r.meaning == netlab::dns::events::Meaning::NoEdns)));
}

/// AA=1 on a referral is wrong (RFC 1035 §4.1.1) but harmless: the walk follows it, and says so
/// on that response only, in text and in JSON.
#[test]
fn aa_on_a_referral_is_followed_and_pointed_out() {
    let (t, _) = run(Misbehaviour::AaOnReferral);
    let s = summary(&t);
    assert_eq!(s.result, "answer", "{s:?}");
    assert_eq!(s.answers[0].data, "192.0.2.7");
    let noted: Vec<(String, bool)> = t
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Dns(DnsEvent::Response(r)) => Some((
                format!("{:?}", r.meaning)
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .to_string(),
                e.notes.iter().any(|n| n.topic == "dns.aa_referral"),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(noted, [("Referral".to_string(), true), ("Answer".to_string(), false)]);
    let note = t
        .events
        .iter()
        .flat_map(|e| &e.notes)
        .find(|n| n.topic == "dns.aa_referral")
        .unwrap();
    assert!(note.text.contains("delegating test."), "{}", note.text);
    assert_eq!(note.reference.as_deref(), Some("RFC 1035 §4.1.1"));
    // The glue leads to 192.0.2.53, which only the test's address book maps back here: the text
    // comes from the same trace, as the CLI would print it.
    let text = netlab::render::text(&t, &netlab::render::RenderOpts::plain());
    assert!(text.contains("<- NOERROR flags AA"), "{text}");
    assert_eq!(text.matches("set AA=1 on a referral").count(), 1, "{text}");
}

/// The same hostile servers through the CLI: each case ends with its named reason and exit 4 (no
/// server gave a usable answer: a DNS-phase failure, recorded in the trace's outcome).
#[test]
fn every_hostile_case_through_the_cli() {
    let cases = [
        (Misbehaviour::PointerLoop, "ignored"),
        (Misbehaviour::Truncated, "malformed message"),
        (Misbehaviour::WrongId, "does not match the query's"),
        (Misbehaviour::OtherQuestion, "question other.test. does not match"),
        (Misbehaviour::UnrelatedAnswer, "the answer is for bank.example."),
        (Misbehaviour::ReferralToItself, "upward or sideways referral"),
        (Misbehaviour::Garbage, "malformed message"),
        (Misbehaviour::Silence, "timeout: no answer"),
        (Misbehaviour::LateAnswer, "timeout: no answer"),
        (Misbehaviour::WrongSource, "timeout: no answer"),
        (
            Misbehaviour::ServfailWithEde,
            "extended error 22 (No Reachable Authority)",
        ),
    ];
    for (mode, want) in cases {
        let addr = hostile(mode);
        let out = netlab()
            .args([
                "--no-notes",
                "dns",
                "www.victim.test",
                "--root",
                &addr.to_string(),
                "--timeout",
                "1000",
                "--max-time",
                "3000",
            ])
            .timeout(Duration::from_secs(10))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(4), "{mode:?}: {stdout}");
        assert!(stdout.contains(want), "{mode:?}: want {want:?} in:\n{stdout}");
        assert!(stdout.contains("failed: "), "{mode:?}: {stdout}");
    }
    let addr = hostile(Misbehaviour::FiveHundredRecords);
    let out = netlab()
        .args(["dns", "www.victim.test", "--root", &addr.to_string(), "--short"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 500);
}
