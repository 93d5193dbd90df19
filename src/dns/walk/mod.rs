//! Iterative resolution, hop by hop (RFC 1034 §5.3.3), the way a recursive resolver does it and
//! `dig +trace` shows it: ask a root server, follow each referral down to the zone that holds
//! the name, follow CNAMEs, and stop at an answer or a negative answer. Every query, response,
//! ignored packet and timeout goes into the trace.
//!
//! Bounds: a per-attempt timeout, a query budget and a time limit for the whole walk, at most
//! [`MAX_CNAME_HOPS`] CNAMEs, glueless sub-walks nested at most [`MAX_SUBWALK_DEPTH`] deep, and
//! every referral must go strictly deeper than the zone that gave it.
//!
//! ```text
//!  walk ─► Walker::resolve ─► descend (root → TLD → … → the zone of the name)
//!               ▲ CNAME          │ each zone: ask_zone → ask_server (exchange.rs: UDP, then
//!               └────────────────┘   TCP on TC=1, no EDNS on FORMERR) → classify (classify.rs)
//!                                  with DNSSEC: ensure_trust / delegation_trust / check_reply
//!                                  (trust.rs) around each step
//! ```

mod classify;
mod exchange;
mod trust;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::{Duration, Instant};

use hickory_proto::rr::{Name, RData, Record, RecordType};

use self::classify::Reply;
use self::trust::DsVerdict;
use super::dnssec::{Anchors, Status, Trust};
use super::events::{DnsEvent, RecordView, Server, Summary};
use super::hints::Hint;
use super::wire::{self, Question};
use crate::error::Error;
use crate::net::Network;
use crate::trace::{Failure, FailureKind, Note, Outcome as TraceOutcome, Phase, Trace, TraceBuilder};

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

/// Why a walk stopped without an answer (the summary's `error`, the trace's outcome).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum WalkError {
    /// A CNAME whose target is a name the chain already passed through.
    #[error("CNAME loop: {from} points back to {to}")]
    CnameLoop { from: String, to: String },
    #[error("CNAME chain longer than {MAX_CNAME_HOPS} hops")]
    CnameChainTooLong,
    /// `descend` follows referrals itself; one escaping it is a bug in the walk.
    #[error("internal: descend returned a referral")]
    ReferralEscaped,
    #[error("glueless delegations nested more than {MAX_SUBWALK_DEPTH} deep at {zone}")]
    GluelessTooDeep { zone: String },
    /// No sub-walk found an address for any of the zone's name servers.
    #[error("no address found for any name server of {zone}")]
    NoServerAddress { zone: String },
    /// Every address of every server of the zone timed out, was unreachable or gave an
    /// unusable reply.
    #[error("no server of {zone} gave a usable answer")]
    NoUsableServer { zone: String },
    /// The network layer refused the destination (the offline guard): its message.
    #[error("{0}")]
    Refused(String),
    #[error("cannot open a UDP socket: {0}")]
    UdpSocket(String),
    #[error("query budget of {0} used up (raise --max-queries)")]
    QueryBudget(u32),
    #[error("walk time limit of {0} ms reached (raise --max-time)")]
    TimeLimit(u128),
}

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
    /// How the last server that failed to answer failed (timed out, unreachable), for the
    /// outcome when no server of a zone gave a usable answer: the kind, and what happened.
    last_silence: Option<(FailureKind, String)>,
    /// The DNSSEC records of the final replies (RRSIGs over the answer, NSEC proofs of a
    /// negative answer), for a resolver to pass on to a client that asked with DO=1.
    proofs: Vec<Record>,
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
    /// The DNSSEC verdict, when the walk validated (`opts.anchors`), and the first broken link.
    pub dnssec: Option<Status>,
    pub dnssec_failure: Option<String>,
    /// When validating: the RRSIGs over the answer (CNAMEs included), or the NSEC records and
    /// their RRSIGs that prove a negative answer (RFC 4035 §3.1.1, §3.1.3).
    pub proofs: Vec<Record>,
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
        last_silence: None,
        proofs: Vec::new(),
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
        Err(e) => ("failed", Vec::new(), Some(e.to_string())),
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
        // No server of a zone answered at all: the network failed, not the data.
        // No server of a zone gave a usable answer: the network or the servers failed (the
        // last one timed out or was unreachable; or they answered with errors such as SERVFAIL
        // or REFUSED), not the data.
        (_, Some(e)) if matches!(result, Err(WalkError::NoUsableServer { .. })) => {
            let (kind, detail) = match w.last_silence.take() {
                Some((kind, last)) => (kind, format!("{e} (the last: {last})")),
                None => (FailureKind::Alert, e),
            };
            Failure::new(Phase::Dns, kind, format!("resolving {}", name.to_ascii()), detail).outcome()
        }
        (_, Some(e)) => TraceOutcome::Negative { reason: e },
        (kind, None) => TraceOutcome::Negative {
            reason: format!("{kind}: no {} records for {name}", opts.rtype),
        },
    };
    Ok(Walked {
        trace: w.trace.finish(outcome),
        result: result_kind,
        records: answers,
        dnssec: w.dnssec,
        dnssec_failure: w.dnssec_failure,
        proofs: w.proofs,
    })
}

impl Walker<'_> {
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
                                    return Err(WalkError::CnameLoop {
                                        from: c.name.to_string(),
                                        to: t.0.to_string(),
                                    });
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
                    Reply::Referral { .. } => return Err(WalkError::ReferralEscaped),
                }
            }
            Err(WalkError::CnameChainTooLong)
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
                    if let (0, Some(m)) = (depth, &message) {
                        self.proofs.extend(trust::proofs(&reply, m));
                    }
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
            return Err(WalkError::GluelessTooDeep { zone: zone.to_string() });
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
            return Err(WalkError::NoServerAddress { zone: zone.to_string() });
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
                        return Err(WalkError::Refused(msg.trim_start_matches("netlab: ").to_string()));
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
        Err(WalkError::NoUsableServer { zone: zone.to_string() })
    }

    fn check_budget(&self) -> Result<(), WalkError> {
        if self.queries >= self.opts.max_queries {
            return Err(WalkError::QueryBudget(self.opts.max_queries));
        }
        if self.started.elapsed() >= self.opts.max_time {
            return Err(WalkError::TimeLimit(self.opts.max_time.as_millis()));
        }
        Ok(())
    }
}

/// The `--short` view: each answer's data, like `dig +short`.
pub fn short_answers(answers: &[RecordView]) -> Vec<String> {
    answers.iter().map(|r| r.data.clone()).collect()
}
