//! Iterative resolution, hop by hop (RFC 1034 §5.3.3), the way a recursive resolver does it and
//! `dig +trace` shows it: ask a root server, follow each referral down to the zone that holds
//! the name, follow CNAMEs, and stop at an answer or a negative answer. Every query, response,
//! ignored packet and timeout goes into the trace.
//!
//! Bounds: a per-attempt timeout, a query budget and a time limit for the whole walk, at most
//! [`MAX_CNAME_HOPS`] CNAMEs, glueless sub-walks nested at most [`MAX_SUBWALK_DEPTH`] deep, and
//! every referral must go strictly deeper than the zone that gave it.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::time::{Duration, Instant};

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RData, Record, RecordType};

use super::dnssec::{Anchors, Status, Trust};
use super::events::{DnsEvent, Meaning, QuerySent, RecordView, ResponseSeen, Server, Summary};
use super::hints::Hint;
use super::transport::{Attempt, Outcome, TcpQuery, UdpQuery};
use super::wire::{self, Question};
use crate::error::Error;
use crate::net::{Network, Route};
use crate::trace::{Note, Outcome as TraceOutcome, Trace, TraceBuilder};

/// Longest CNAME chain followed (RFC 1034 §3.6.2 leaves it to the resolver; 16 as in BIND's
/// max-restarts neighbourhood).
pub const MAX_CNAME_HOPS: u8 = 16;
/// Deepest nesting of glueless sub-walks.
pub const MAX_SUBWALK_DEPTH: u8 = 4;
/// The EDNS0 UDP payload size offered: the 2020 DNS flag day value (RFC 9715).
pub const EDNS_BUFFER: u16 = 1232;

/// What to resolve, where to start, and the bounds.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    pub name: String,
    pub rtype: RecordType,
    pub roots: Vec<Hint>,
    pub timeout: Duration,
    pub max_queries: u32,
    pub max_time: Duration,
    /// Validate with DNSSEC from these trust anchors (and ask with DO=1); none: no validation.
    pub anchors: Option<Anchors>,
}

/// How a (sub-)resolution ended.
#[derive(Debug, Clone)]
enum Resolved {
    Answer(Vec<Record>),
    Nxdomain(Vec<Record>),
    Nodata(Vec<Record>),
}

/// What a parent says of a child zone's keys, waiting for the walk to reach the child.
#[derive(Debug, Clone)]
enum DsVerdict {
    /// Verified DS records: the child's DNSKEY set must match one.
    Signed(Vec<hickory_proto::dnssec::rdata::DS>),
    /// A signed proof that there is no DS: the child is unsigned.
    Insecure,
    Bogus(String),
}

/// What one server's response means for the walk.
#[derive(Debug, Clone)]
enum Reply {
    Answer(Vec<Record>),
    /// CNAMEs in this response, in chain order, the last target, and that target's records if
    /// the response already held them.
    Cname {
        chain: Vec<Record>,
        target: Name,
        answers: Vec<Record>,
    },
    Nxdomain {
        soa: Option<Record>,
    },
    Nodata {
        soa: Option<Record>,
    },
    Referral {
        zone: Name,
        ns: Vec<Name>,
        glue: Vec<(Name, IpAddr)>,
    },
}

/// Why a walk stopped without an answer.
type WalkError = String;

/// A name server to ask: its name and the addresses known for it.
#[derive(Debug, Clone)]
struct NsTarget {
    name: String,
    addrs: Vec<SocketAddr>,
}

struct Walker<'a> {
    opts: &'a WalkOptions,
    net: &'a Network,
    trace: TraceBuilder,
    started: Instant,
    queries: u32,
    referrals: u32,
    cnames: u32,
    path: Vec<String>,
    /// A refusal by the network layer (offline guard): fatal, nothing was sent.
    refused: Option<Error>,
    /// The last usable response, for DNSSEC checks that need its signatures.
    last_message: Option<Box<hickory_proto::op::Message>>,
    /// DNSSEC: what is known of each zone, the DS verdicts waiting for each child, the verdict.
    trust: HashMap<Name, Trust>,
    pending_ds: HashMap<Name, DsVerdict>,
    dnssec: Option<Status>,
    dnssec_failure: Option<String>,
}

/// Resolves `opts.name` iteratively. Fails only on bad input or when the network layer refuses
/// the very first destination; any failure after that is recorded in the trace's outcome.
pub async fn walk(opts: &WalkOptions, net: &Network) -> Result<Trace, Error> {
    walk_records(opts, net).await.map(|w| w.trace)
}

/// A finished walk: its trace, and the records it ended with (for a resolver to serve).
#[derive(Debug, Clone)]
pub struct Walked {
    pub trace: Trace,
    /// `answer`, `nxdomain`, `nodata` or `failed`.
    pub result: &'static str,
    /// The answer (CNAMEs included), or the SOA of a negative answer.
    pub records: Vec<Record>,
}

/// Like [`walk`], keeping the records themselves.
pub async fn walk_records(opts: &WalkOptions, net: &Network) -> Result<Walked, Error> {
    let (name, ascii) = wire::parse_name(&opts.name).map_err(|why| {
        Error::usage(
            format!("name '{}'", opts.name),
            why,
            "write a domain name such as www.example.com",
        )
    })?;
    if opts.roots.is_empty() {
        return Err(Error::usage(
            "dns",
            "no root servers to start from",
            "give --root IP or --root-hints FILE",
        ));
    }
    let mut w = Walker {
        opts,
        net,
        trace: TraceBuilder::new("dns", "dns walk"),
        started: Instant::now(),
        queries: 0,
        referrals: 0,
        cnames: 0,
        path: Vec::new(),
        refused: None,
        last_message: None,
        trust: HashMap::new(),
        pending_ds: HashMap::new(),
        dnssec: None,
        dnssec_failure: None,
    };
    if let Some(ascii) = ascii {
        w.trace.push(
            DnsEvent::Idn {
                input: opts.name.clone(),
                ascii: ascii.clone(),
            },
            vec![Note::new(
                "dns.idn",
                format!(
                    "DNS carries ASCII only: '{}' is sent as '{ascii}' (punycode, the xn-- prefix marks it).",
                    opts.name
                ),
                Some("RFC 5891 §4.4"),
            )],
        );
    }
    let result = w.resolve(name.clone(), opts.rtype, 0).await;
    if let Some(refusal) = w.refused.take() {
        if w.queries == 0 {
            return Err(refusal);
        }
    }
    let (result_kind, answers, error) = match &result {
        Ok(Resolved::Answer(r)) => ("answer", r.clone(), None),
        Ok(Resolved::Nxdomain(r)) => ("nxdomain", r.clone(), None),
        Ok(Resolved::Nodata(r)) => ("nodata", r.clone(), None),
        Err(e) => ("failed", Vec::new(), Some(e.clone())),
    };
    let summary = Summary {
        qname: name.to_ascii(),
        qtype: opts.rtype.to_string(),
        path: w.path.clone(),
        referrals: w.referrals,
        cnames: w.cnames,
        queries: w.queries,
        elapsed_ms: w.started.elapsed().as_millis() as u64,
        result: result_kind.to_string(),
        answers: answers.iter().map(wire::record_view).collect(),
        error: error.clone(),
        dnssec: w.dnssec,
        dnssec_failure: w.dnssec_failure.clone(),
    };
    w.trace.push(DnsEvent::Summary(summary), Vec::new());
    let outcome = match (result_kind, error) {
        // A validating resolver would not pass on data whose chain of trust is broken.
        _ if w.dnssec == Some(Status::Bogus) => TraceOutcome::Negative {
            reason: format!("DNSSEC bogus: {}", w.dnssec_failure.clone().unwrap_or_default()),
        },
        ("answer", _) => TraceOutcome::Ok,
        (_, Some(e)) => TraceOutcome::Negative { reason: e },
        (kind, None) => TraceOutcome::Negative {
            reason: format!("{kind}: no {} records for {name}", opts.rtype),
        },
    };
    Ok(Walked {
        trace: w.trace.finish(outcome),
        result: result_kind,
        records: answers,
    })
}

impl<'a> Walker<'a> {
    /// Resolves `name`, following CNAMEs across zones.
    fn resolve(
        &mut self,
        name: Name,
        rtype: RecordType,
        depth: u8,
    ) -> Pin<Box<dyn Future<Output = Result<Resolved, WalkError>> + Send + '_>> {
        Box::pin(async move {
            let mut current = name;
            let mut seen = vec![current.clone()];
            let mut collected: Vec<Record> = Vec::new();
            for hop in 0..=MAX_CNAME_HOPS {
                match self.descend(&current, rtype, depth).await? {
                    Reply::Answer(records) => {
                        collected.extend(records);
                        return Ok(Resolved::Answer(collected));
                    }
                    Reply::Nxdomain { soa } => {
                        collected.extend(soa);
                        return Ok(Resolved::Nxdomain(collected));
                    }
                    Reply::Nodata { soa } => {
                        collected.extend(soa);
                        return Ok(Resolved::Nodata(collected));
                    }
                    Reply::Cname { chain, target, answers } => {
                        for c in &chain {
                            if let RData::CNAME(t) = &c.data {
                                if seen.iter().any(|s| s == &t.0) {
                                    return Err(format!("CNAME loop: {} points back to {}", c.name, t.0));
                                }
                                seen.push(t.0.clone());
                                self.cnames += 1;
                                self.trace.push(
                                    DnsEvent::Cname { depth, from: c.name.to_string(), to: t.0.to_string(), hop: hop + 1 },
                                    vec![Note::new("dns.cname", format!("{} is an alias: the resolver restarts the question with its canonical name, {}", c.name, t.0), Some("RFC 1034 §3.6.2"))],
                                );
                            }
                        }
                        collected.extend(chain);
                        if !answers.is_empty() {
                            collected.extend(answers);
                            return Ok(Resolved::Answer(collected));
                        }
                        current = target;
                    }
                    Reply::Referral { .. } => return Err("internal: descend returned a referral".into()),
                }
            }
            Err(format!("CNAME chain longer than {MAX_CNAME_HOPS} hops"))
        })
    }

    /// Walks from the root down to the zone holding `name`.
    async fn descend(&mut self, name: &Name, rtype: RecordType, depth: u8) -> Result<Reply, WalkError> {
        let mut servers: Vec<NsTarget> = self
            .opts
            .roots
            .iter()
            .map(|h| NsTarget {
                name: h.name.clone(),
                addrs: vec![h.addr],
            })
            .collect();
        let mut zone = Name::root();
        loop {
            if depth == 0 {
                self.path.push(zone.to_string());
            }
            let validating = self.opts.anchors.is_some();
            if validating {
                self.ensure_trust(&zone, &servers, depth).await;
            }
            let reply = self.ask_zone(&servers, &zone, name, rtype, depth).await?;
            let Reply::Referral { zone: child, ns, glue } = reply else {
                if validating {
                    let message = self.last_message.take();
                    self.check_reply(&zone, name, rtype, &reply, message.as_deref(), depth);
                }
                return Ok(reply);
            };
            if validating {
                self.delegation_trust(&zone, &servers, &child, depth).await;
            }
            self.referrals += 1;
            let mut next: Vec<NsTarget> = ns
                .iter()
                .map(|n| NsTarget {
                    name: n.to_string(),
                    addrs: glue
                        .iter()
                        .filter(|(g, _)| g == n)
                        .map(|(_, ip)| SocketAddr::new(*ip, 53))
                        .collect(),
                })
                .collect();
            next.sort_by_key(|t| t.addrs.is_empty());
            if next.iter().all(|t| t.addrs.is_empty()) {
                next = self.glueless(&child, &ns, depth).await?;
            }
            zone = child;
            servers = next;
        }
    }

    /// A delegation without glue: find the name servers' addresses with sub-walks.
    async fn glueless(&mut self, zone: &Name, ns: &[Name], depth: u8) -> Result<Vec<NsTarget>, WalkError> {
        if depth + 1 > MAX_SUBWALK_DEPTH {
            return Err(format!(
                "glueless delegations nested more than {MAX_SUBWALK_DEPTH} deep at {zone}"
            ));
        }
        let mut found = Vec::new();
        for n in ns.iter().take(2) {
            self.trace.push(
                DnsEvent::SubWalk { depth: depth + 1, ns: n.to_string(), for_zone: zone.to_string() },
                vec![Note::new("dns.glueless", format!("{zone} is served by {n}, a name outside {zone}, so no glue came with the referral: its address is looked up first, in a walk of its own."), Some("RFC 1034 §4.2.1"))],
            );
            if let Ok(Resolved::Answer(records)) = self.resolve(n.clone(), RecordType::A, depth + 1).await {
                let addrs: Vec<SocketAddr> = records
                    .iter()
                    .filter_map(wire::address_of)
                    .map(|ip| SocketAddr::new(ip, 53))
                    .collect();
                if !addrs.is_empty() {
                    found.push(NsTarget {
                        name: n.to_string(),
                        addrs,
                    });
                    break;
                }
            }
        }
        if found.is_empty() {
            return Err(format!("no address found for any name server of {zone}"));
        }
        Ok(found)
    }

    /// Asks the servers of `zone` in turn until one gives a usable reply.
    async fn ask_zone(
        &mut self,
        servers: &[NsTarget],
        zone: &Name,
        name: &Name,
        rtype: RecordType,
        depth: u8,
    ) -> Result<Reply, WalkError> {
        let q = Question {
            name: name.clone(),
            rtype,
        };
        for target in servers {
            for addr in &target.addrs {
                let route = match self.net.route(*addr) {
                    Ok(r) => r,
                    Err(e) => {
                        let msg = e.one_line();
                        self.refused = Some(e);
                        return Err(msg.trim_start_matches("netlab: ").to_string());
                    }
                };
                let server = Server {
                    name: target.name.clone(),
                    address: addr.ip().to_string(),
                    via: route.shown_via(),
                };
                if let Some(reply) = self.ask_server(&server, &route, zone, &q, depth).await? {
                    return Ok(reply);
                }
            }
        }
        Err(format!("no server of {zone} gave a usable answer"))
    }

    /// One server: UDP with EDNS, falling back to no EDNS on FORMERR and to TCP on TC=1.
    async fn ask_server(
        &mut self,
        server: &Server,
        route: &Route,
        zone: &Name,
        q: &Question,
        depth: u8,
    ) -> Result<Option<Reply>, WalkError> {
        let mut edns = Some(EDNS_BUFFER);
        let mut tcp = false;
        for _ in 0..3 {
            self.check_budget()?;
            self.queries += 1;
            let id: u16 = rand::random();
            let bytes = wire::build_query(id, q, false, edns, self.opts.anchors.is_some() && edns.is_some());
            let transport = if tcp { "tcp" } else { "udp" };
            let (attempt, port) = if tcp {
                match TcpQuery::connect(route, self.opts.timeout).await {
                    Ok(c) => {
                        let port = c.source_port;
                        self.push_query(server, zone, q, transport, id, port, edns, bytes.len(), depth);
                        (c.exchange(&bytes, id, q, self.opts.timeout).await, port)
                    }
                    Err(e) => {
                        self.push_query(server, zone, q, transport, id, 0, edns, bytes.len(), depth);
                        (
                            Attempt {
                                outcome: Outcome::Unreachable(e.to_string()),
                                ignored: Vec::new(),
                                rtt: Duration::ZERO,
                            },
                            0,
                        )
                    }
                }
            } else {
                match UdpQuery::open(route).await {
                    Ok(s) => {
                        let port = s.source_port;
                        self.push_query(server, zone, q, transport, id, port, edns, bytes.len(), depth);
                        (s.exchange(route, &bytes, id, q, self.opts.timeout).await, port)
                    }
                    Err(e) => return Err(format!("cannot open a UDP socket: {e}")),
                }
            };
            let _ = port;
            for (reason, size) in &attempt.ignored {
                self.trace.push(
                    DnsEvent::Ignored { depth, server: server.clone(), reason: reason.clone(), size: *size },
                    vec![Note::new("dns.spoofing", "A packet that does not match the query's ID, question and server is not believed: that is what stops off-path spoofing.", Some("RFC 5452 §4"))],
                );
            }
            let (message, size) = match attempt.outcome {
                Outcome::Timeout => {
                    self.trace.push(
                        DnsEvent::Timeout {
                            depth,
                            server: server.clone(),
                            transport: transport.into(),
                            timeout_ms: self.opts.timeout.as_millis() as u64,
                        },
                        vec![Note::new(
                            "dns.timeout",
                            "No answer in time: the next name server address is tried.",
                            Some("RFC 1035 §7.2"),
                        )],
                    );
                    return Ok(None);
                }
                Outcome::Unreachable(error) => {
                    self.trace.push(
                        DnsEvent::Unreachable {
                            depth,
                            server: server.clone(),
                            transport: transport.into(),
                            error,
                        },
                        Vec::new(),
                    );
                    return Ok(None);
                }
                Outcome::Response { message, size } => (message, size),
            };
            let (meaning, reply, notes) = if message.metadata.truncation && !tcp {
                (Meaning::Truncated, None, vec![Note::new("dns.truncated", "TC=1: the answer did not fit in the UDP payload offered, so the same question goes again over TCP.", Some("RFC 7766 §5"))])
            } else if message.metadata.response_code == ResponseCode::FormErr && edns.is_some() {
                (Meaning::NoEdns, None, vec![Note::new("dns.formerr", "FORMERR to a query with EDNS: the server may not know EDNS0, so the question goes again without it.", Some("RFC 6891 §7"))])
            } else {
                match classify(&message, q, zone) {
                    Ok(reply) => {
                        let (meaning, notes) = explain(&reply, zone);
                        (meaning, Some(reply), notes)
                    }
                    Err(why) => (
                        Meaning::Unusable { why: why.clone() },
                        None,
                        vec![Note::new(
                            "dns.unusable",
                            format!("{why}: the next name server address is tried."),
                            Some("RFC 1034 §5.3.3"),
                        )],
                    ),
                }
            };
            let (answers, a_more) = wire::views(&message.answers);
            let (authority, n_more) = wire::views(&message.authorities);
            let (additional, d_more) = wire::views(&message.additionals);
            self.trace.push(
                DnsEvent::Response(ResponseSeen {
                    depth,
                    server: server.clone(),
                    transport: transport.into(),
                    id: message.metadata.id,
                    rtt_us: attempt.rtt.as_micros() as u64,
                    size,
                    rcode: wire::rcode(&message),
                    flags: wire::flags(&message),
                    answers,
                    authority,
                    additional,
                    unlisted_records: a_more + n_more + d_more,
                    extended_errors: wire::extended_errors(&message),
                    meaning: meaning.clone(),
                }),
                notes,
            );
            match meaning {
                Meaning::Truncated => tcp = true,
                Meaning::NoEdns => edns = None,
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

    /// Asks `servers` (of `zone`) for `name`/`rtype` and returns the raw response, signatures
    /// included, for a DNSSEC check; `None` when no server answered usably.
    async fn fetch(
        &mut self,
        servers: &[NsTarget],
        zone: &Name,
        name: &Name,
        rtype: RecordType,
        depth: u8,
    ) -> Option<Box<hickory_proto::op::Message>> {
        self.ask_zone(servers, zone, name, rtype, depth).await.ok()?;
        self.last_message.take()
    }

    /// Records a DNSSEC finding and folds it into the walk's verdict.
    fn record_trust(&mut self, depth: u8, zone: &Name, check: &str, status: Status, detail: String) {
        if status == Status::Bogus && self.dnssec_failure.is_none() {
            self.dnssec_failure = Some(format!("{zone} {check}: {detail}"));
        }
        self.dnssec = Some(self.dnssec.map_or(status, |s| s.max(status)));
        let note = match (check, status) {
            ("dnskey", Status::Secure) => Some(Note::new("dnssec.dnskey", format!("{zone}'s key set is signed by a key that the level above vouches for (the trust anchor, or a DS record in the parent): its keys are now trusted."), Some("RFC 4035 §5.2"))),
            ("ds", Status::Insecure) => Some(Note::new("dnssec.insecure", format!("The parent proves, with a signed NSEC record, that {zone} has no DS: the zone is unsigned, and answers in it cannot be validated (Insecure, not Bogus)."), Some("RFC 4035 §5.2"))),
            (_, Status::Bogus) => Some(Note::new("dnssec.bogus", "A link in the chain of trust is broken: a validating resolver answers SERVFAIL rather than pass on data it cannot trust.", Some("RFC 4035 §5.5"))),
            _ => None,
        };
        self.trace.push(
            DnsEvent::Dnssec {
                depth,
                zone: zone.to_string(),
                check: check.to_string(),
                status,
                detail,
            },
            note.into_iter().collect(),
        );
    }

    /// Establishes what is known of `zone`'s keys before it is asked anything.
    async fn ensure_trust(&mut self, zone: &Name, servers: &[NsTarget], depth: u8) {
        if self.trust.contains_key(zone) {
            return;
        }
        let now = super::dnssec::now();
        let trust = if zone.is_root() {
            let anchors = self.opts.anchors.clone().expect("validating");
            match self.fetch(servers, zone, zone, RecordType::DNSKEY, depth).await {
                Some(m) => match super::dnssec::trust_root(&m.answers, &anchors, now) {
                    Ok(keys) => Trust::Secure(keys),
                    Err(why) => Trust::Bogus(why),
                },
                None => Trust::Bogus("no root server answered the DNSKEY query".to_string()),
            }
        } else {
            match self.pending_ds.remove(zone) {
                // The zone's own key set must match the DS records its parent signed.
                Some(DsVerdict::Signed(ds)) => match self.fetch(servers, zone, zone, RecordType::DNSKEY, depth).await {
                    Some(m) => match super::dnssec::trust_child(&m.answers, zone, &ds, now) {
                        Ok(keys) => Trust::Secure(keys),
                        Err(why) => Trust::Bogus(why),
                    },
                    None => Trust::Bogus(format!("no server of {zone} answered the DNSKEY query")),
                },
                Some(DsVerdict::Insecure) => Trust::Insecure,
                Some(DsVerdict::Bogus(why)) => Trust::Bogus(why),
                None => Trust::Bogus(format!("nothing vouches for {zone}")),
            }
        };
        let (status, detail) = match &trust {
            Trust::Secure(keys) => (Status::Secure, format!("{} DNSKEY(s) validated", keys.len())),
            Trust::Insecure => (Status::Insecure, "unsigned zone (no DS in the parent)".to_string()),
            Trust::Bogus(why) => (Status::Bogus, why.clone()),
        };
        if !matches!(trust, Trust::Insecure) {
            self.record_trust(depth, zone, "dnskey", status, detail);
        }
        self.trust.insert(zone.clone(), trust);
    }

    /// At a referral from `zone` to `child`: what the parent says of the child's keys (RFC 4035
    /// §5.2): signed DS records, or a signed proof that there are none.
    async fn delegation_trust(&mut self, zone: &Name, servers: &[NsTarget], child: &Name, depth: u8) {
        if self.trust.contains_key(child) || self.pending_ds.contains_key(child) {
            return;
        }
        let now = super::dnssec::now();
        let verdict = match self.trust.get(zone).cloned() {
            Some(Trust::Secure(keys)) => match self.fetch(servers, zone, child, RecordType::DS, depth).await {
                Some(m) => {
                    let ds = super::dnssec::ds_records(&m.answers, child);
                    if !ds.is_empty() {
                        match super::dnssec::verify_rrset(&keys, child, RecordType::DS, &m.answers, now) {
                            Ok(tag) => {
                                self.record_trust(
                                    depth,
                                    child,
                                    "ds",
                                    Status::Secure,
                                    format!("{} DS record(s) signed by {zone} key {tag}", ds.len()),
                                );
                                DsVerdict::Signed(ds)
                            }
                            Err(why) => DsVerdict::Bogus(why),
                        }
                    } else {
                        match super::dnssec::nsec_proves_nodata(&m.authorities, child, RecordType::DS, &keys, now) {
                            Ok(()) => {
                                self.record_trust(
                                    depth,
                                    child,
                                    "ds",
                                    Status::Insecure,
                                    format!("{zone} proves there is no DS for {child}"),
                                );
                                DsVerdict::Insecure
                            }
                            Err(why) => {
                                DsVerdict::Bogus(format!("no DS for {child} and no valid proof of its absence: {why}"))
                            }
                        }
                    }
                }
                None => DsVerdict::Bogus(format!("no server of {zone} answered the DS query for {child}")),
            },
            Some(Trust::Insecure) => DsVerdict::Insecure,
            Some(Trust::Bogus(why)) => DsVerdict::Bogus(format!("below a bogus zone ({why})")),
            None => DsVerdict::Bogus(format!("nothing is known of {zone}")),
        };
        if let DsVerdict::Bogus(why) = &verdict {
            self.record_trust(depth, child, "ds", Status::Bogus, why.clone());
        }
        self.pending_ds.insert(child.clone(), verdict);
    }

    /// Checks the signatures (or signed denial) on a final reply from `zone`.
    fn check_reply(
        &mut self,
        zone: &Name,
        name: &Name,
        rtype: RecordType,
        reply: &Reply,
        message: Option<&hickory_proto::op::Message>,
        depth: u8,
    ) {
        let keys = match self.trust.get(zone).cloned() {
            Some(Trust::Secure(keys)) => keys,
            Some(Trust::Insecure) => {
                return self.record_trust(
                    depth,
                    zone,
                    "answer",
                    Status::Insecure,
                    format!("{name} {rtype} comes from an unsigned zone"),
                )
            }
            Some(Trust::Bogus(why)) => {
                return self.record_trust(
                    depth,
                    zone,
                    "answer",
                    Status::Bogus,
                    format!("the zone is bogus: {why}"),
                )
            }
            None => {
                return self.record_trust(
                    depth,
                    zone,
                    "answer",
                    Status::Bogus,
                    "nothing is known of the zone".to_string(),
                )
            }
        };
        let Some(m) = message else {
            return self.record_trust(
                depth,
                zone,
                "answer",
                Status::Bogus,
                "the response was not kept".to_string(),
            );
        };
        let now = super::dnssec::now();
        let result = match reply {
            Reply::Answer(_) => super::dnssec::verify_rrset(&keys, name, rtype, &m.answers, now)
                .map(|tag| format!("RRSIG over {name} {rtype} by key {tag} verifies")),
            Reply::Cname { chain, .. } => chain
                .iter()
                .try_for_each(|c| {
                    super::dnssec::verify_rrset(&keys, &c.name, RecordType::CNAME, &m.answers, now).map(|_| ())
                })
                .map(|()| format!("RRSIG over the CNAME at {name} verifies")),
            Reply::Nodata { .. } => super::dnssec::nsec_proves_nodata(&m.authorities, name, rtype, &keys, now)
                .map(|()| format!("a signed NSEC proves {name} has no {rtype}")),
            Reply::Nxdomain { .. } => super::dnssec::nsec_proves_nxdomain(&m.authorities, name, &keys, now)
                .map(|()| format!("a signed NSEC proves {name} does not exist")),
            Reply::Referral { .. } => Ok(String::new()),
        };
        match result {
            Ok(detail) => self.record_trust(depth, zone, "answer", Status::Secure, detail),
            Err(why) => self.record_trust(depth, zone, "answer", Status::Bogus, why),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push_query(
        &mut self,
        server: &Server,
        zone: &Name,
        q: &Question,
        transport: &str,
        id: u16,
        port: u16,
        edns: Option<u16>,
        size: usize,
        depth: u8,
    ) {
        let sent = QuerySent {
            depth,
            zone: zone.to_string(),
            server: server.clone(),
            transport: transport.into(),
            id,
            source_port: port,
            qname: q.name.to_ascii(),
            qtype: q.rtype.to_string(),
            recursion_desired: false,
            edns_buffer: edns,
            dnssec_ok: self.opts.anchors.is_some() && edns.is_some(),
            size,
        };
        self.trace.push(DnsEvent::Query(sent), Vec::new());
    }

    fn check_budget(&self) -> Result<(), WalkError> {
        if self.queries >= self.opts.max_queries {
            return Err(format!(
                "query budget of {} used up (raise --max-queries)",
                self.opts.max_queries
            ));
        }
        if self.started.elapsed() >= self.opts.max_time {
            return Err(format!(
                "walk time limit of {} ms reached (raise --max-time)",
                self.opts.max_time.as_millis()
            ));
        }
        Ok(())
    }
}

/// Decides what a believed response means, or why it is not usable from this server.
fn classify(m: &hickory_proto::op::Message, q: &Question, zone: &Name) -> Result<Reply, String> {
    let soa = || {
        m.authorities
            .iter()
            .find(|r| r.record_type() == RecordType::SOA)
            .cloned()
    };
    match m.metadata.response_code {
        ResponseCode::NoError => {}
        ResponseCode::NXDomain => return Ok(Reply::Nxdomain { soa: soa() }),
        _ => return Err(format!("{} from the server", wire::rcode(m))),
    }
    let relevant: Vec<&Record> = m.answers.iter().filter(|r| r.name == q.name).collect();
    if let Some(reply) = delegation_in_answer(m, q, zone) {
        return Ok(reply);
    }
    if !m.answers.is_empty() && relevant.is_empty() {
        return Err(format!(
            "the answer is for {}, not {}: not believed",
            m.answers[0].name, q.name
        ));
    }
    let wanted: Vec<Record> = relevant
        .iter()
        .filter(|r| r.record_type() == q.rtype || q.rtype == RecordType::ANY)
        .map(|r| (*r).clone())
        .collect();
    if !wanted.is_empty() {
        return Ok(Reply::Answer(wanted));
    }
    if let Some(first) = relevant.iter().find(|r| r.record_type() == RecordType::CNAME) {
        // Follow the chain as far as this response carries it.
        let mut chain = vec![(*first).clone()];
        let mut target = match &first.data {
            RData::CNAME(t) => t.0.clone(),
            _ => unreachable!("filtered on CNAME"),
        };
        while chain.len() < usize::from(MAX_CNAME_HOPS) {
            match m
                .answers
                .iter()
                .find(|r| r.name == target && r.record_type() == RecordType::CNAME)
            {
                Some(next) => {
                    chain.push(next.clone());
                    if let RData::CNAME(t) = &next.data {
                        target = t.0.clone();
                    }
                }
                None => break,
            }
        }
        let answers = m
            .answers
            .iter()
            .filter(|r| r.name == target && r.record_type() == q.rtype)
            .cloned()
            .collect();
        return Ok(Reply::Cname { chain, target, answers });
    }
    let ns: Vec<&Record> = m
        .authorities
        .iter()
        .filter(|r| r.record_type() == RecordType::NS)
        .collect();
    if let Some(first) = ns.first() {
        let child = first.name.clone();
        if !(zone.zone_of(&child) && child != *zone && child.zone_of(&q.name)) {
            return Err(format!(
                "referral to {child}, which is not below {zone} on the way to {}: an upward or sideways referral",
                q.name
            ));
        }
        let delegation: Vec<Record> = ns.iter().filter(|r| r.name == child).map(|r| (*r).clone()).collect();
        return Ok(referral(&child, &delegation, m, zone));
    }
    if m.metadata.authoritative {
        return Ok(Reply::Nodata { soa: soa() });
    }
    Err("lame: no answer, no referral, and not authoritative".to_string())
}

/// Some servers (hickory-server among them) answer an NS query below a zone cut with the
/// delegation's NS set in the answer section rather than the authority section where RFC 1034
/// §4.3.2 puts it. Read that as the referral it is, when it is one: only NS records, all for one
/// zone strictly below the current zone and at or above the name asked for. (At the child's own
/// servers the same NS set is the zone's apex: an answer.)
fn delegation_in_answer(m: &hickory_proto::op::Message, q: &Question, zone: &Name) -> Option<Reply> {
    let first = m.answers.first()?;
    let child = &first.name;
    let is_delegation = q.rtype == RecordType::NS
        && zone.zone_of(child)
        && child != zone
        && child.zone_of(&q.name)
        && m.answers
            .iter()
            .all(|r| r.record_type() == RecordType::NS && &r.name == child);
    if !is_delegation {
        return None;
    }
    Some(referral(child, &m.answers, m, zone))
}

/// A referral to `child` from its NS records, with the glue the response carries. Glue is
/// believed only within the referring zone's bailiwick: a server for `zone` may vouch for
/// addresses of names in `zone`, nothing outside it (RFC 2181 §5.4.1).
fn referral(child: &Name, delegation: &[Record], m: &hickory_proto::op::Message, zone: &Name) -> Reply {
    let ns: Vec<Name> = delegation
        .iter()
        .filter_map(|r| {
            if let RData::NS(n) = &r.data {
                Some(n.0.clone())
            } else {
                None
            }
        })
        .collect();
    let glue = m
        .additionals
        .iter()
        .filter(|r| ns.contains(&r.name) && zone.zone_of(&r.name))
        .filter_map(|r| wire::address_of(r).map(|ip| (r.name.clone(), ip)))
        .collect();
    Reply::Referral {
        zone: child.clone(),
        ns,
        glue,
    }
}

/// The trace's meaning of a reply, and its teaching notes.
fn explain(reply: &Reply, zone: &Name) -> (Meaning, Vec<Note>) {
    let negative_ttl = |soa: &Option<Record>| {
        soa.as_ref().and_then(|r| match &r.data {
            RData::SOA(s) => Some(r.ttl.min(s.minimum)),
            _ => None,
        })
    };
    let view = |soa: &Option<Record>| soa.as_ref().map(|r| wire::record_view(r).data);
    match reply {
        Reply::Referral { zone: child, ns, glue } => (
            Meaning::Referral { zone: child.to_string(), ns: ns.iter().map(|n| n.to_string()).collect(), glue: glue.iter().map(|(n, ip)| format!("{n} {ip}")).collect() },
            vec![Note::new(
                "dns.referral",
                format!("The {zone} servers do not hold this name; they delegate {child} and say who serves it{}.", if glue.is_empty() { "" } else { ", with glue (the servers' addresses) so the next step needs no extra lookup" }),
                Some("RFC 1034 §4.2.1"),
            )],
        ),
        Reply::Answer(_) => (Meaning::Answer, vec![Note::new("dns.answer", "AA=1 marks an authoritative answer: from a server for the zone itself, not a cache. Each record may be cached for its TTL.", Some("RFC 1035 §4.1.1"))]),
        Reply::Cname { target, .. } => (Meaning::Cname { target: target.to_string() }, Vec::new()),
        Reply::Nxdomain { soa } => (
            Meaning::Nxdomain { soa: view(soa), negative_ttl: negative_ttl(soa) },
            vec![Note::new("dns.nxdomain", "NXDOMAIN: the name does not exist at all. Resolvers cache that for the SOA's minimum field (or its TTL, if lower).", Some("RFC 2308 §5"))],
        ),
        Reply::Nodata { soa } => (
            Meaning::Nodata { soa: view(soa), negative_ttl: negative_ttl(soa) },
            vec![Note::new("dns.nodata", "NODATA: NOERROR with no records: the name exists but has nothing of this type. Not the same as NXDOMAIN.", Some("RFC 2308 §2.2"))],
        ),
    }
}

/// The `--short` view: each answer's data, like `dig +short`.
pub fn short_answers(answers: &[RecordView]) -> Vec<String> {
    answers.iter().map(|r| r.data.clone()).collect()
}
