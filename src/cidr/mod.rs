//! CIDR: prefixes, masks and address ranges for IPv4 and IPv6 (RFC 4632, RFC 4291).
//!
//! Each `netlab cidr` subcommand has an engine function here that validates its input and
//! returns a [`Trace`]; [`render`] turns that trace into text. `match` streams instead (a
//! trace per log line would be absurd): see [`grep`].

pub mod events;
pub mod grep;
pub mod list;
pub mod mapped;
pub mod matches;
pub mod ops;
pub mod parse;
pub mod rangeset;
pub mod render;
pub mod scan;
pub mod span;
pub mod special;

use ipnet::IpNet;

use crate::error::{Error, Result};
use crate::trace::{Outcome, Trace, TraceBuilder};
use events::CidrEvent;
use parse::{parse_prefix, ParsedPrefix};

/// Schema domain of every CIDR trace (`netlab.cidr/1`).
pub const DOMAIN: &str = "cidr";

/// Parses a prefix given on the command line, as a usage error naming the argument.
pub fn prefix_arg(what: &str, token: &str) -> Result<ParsedPrefix> {
    parse_prefix(token).map_err(|e| Error::usage(format!("{what} '{token}'"), e.to_string(), e.hint()))
}

/// `cidr contains`: is each candidate inside `network`?
pub fn contains(network: &str, candidates: &[String]) -> Result<Trace> {
    let net = prefix_arg("network", network)?;
    let parsed: Vec<ParsedPrefix> = candidates
        .iter()
        .map(|c| prefix_arg("address", c))
        .collect::<Result<_>>()?;
    let mut trace = TraceBuilder::new(DOMAIN, "cidr contains");
    let mut outside = 0usize;
    for cand in &parsed {
        let m = ops::membership(&net.net, cand);
        let notes = ops::membership_notes(&m, cand);
        if !m.inside {
            outside += 1;
        }
        trace.push(CidrEvent::Membership(m), notes);
    }
    let outcome = if outside == 0 {
        Outcome::Ok
    } else {
        Outcome::Negative {
            reason: format!("{outside} of {} not inside {}", parsed.len(), net.net),
        }
    };
    Ok(trace.finish(outcome))
}

/// `cidr info`: everything about each prefix.
pub fn info(prefixes: &[String]) -> Result<Trace> {
    let parsed: Vec<ParsedPrefix> = prefixes
        .iter()
        .map(|p| prefix_arg("prefix", p))
        .collect::<Result<_>>()?;
    let mut trace = TraceBuilder::new(DOMAIN, "cidr info");
    for (text, p) in prefixes.iter().zip(&parsed) {
        let (info, notes) = ops::info(text, p);
        trace.push(CidrEvent::Info(info), notes);
    }
    Ok(trace.finish(Outcome::Ok))
}

/// `cidr split`: equal subnets, at most `limit` of them.
pub fn split(prefix: &str, by: ops::SplitBy, limit: u64) -> Result<Trace> {
    let p = prefix_arg("prefix", prefix)?;
    let (split, notes) = ops::split(&p.net, by, limit).map_err(|e| {
        let hint = match e {
            ops::SplitError::OverLimit { .. } => "raise --max, or split less deeply",
            ops::SplitError::Shorter { .. } => "give --prefix a longer length than the prefix has",
            _ => "pick a smaller --count or a shorter --prefix",
        };
        Error::usage(format!("split {}", p.net), e.to_string(), hint)
    })?;
    let mut trace = TraceBuilder::new(DOMAIN, "cidr split");
    trace.push(CidrEvent::Split(split), notes);
    Ok(trace.finish(Outcome::Ok))
}

/// `cidr aggregate`: the fewest prefixes covering exactly the input.
pub fn aggregate(entries: &[(u64, ParsedPrefix)]) -> Trace {
    let nets = list::nets(entries);
    let agg = ops::aggregate(&nets);
    let mut notes = vec![crate::trace::Note::new(
        "cidr.aggregation",
        "Two sibling prefixes (same length, differing only in their last network bit) merge into one a bit shorter; prefixes inside others disappear. Routers announce aggregates to keep routing tables small.",
        Some("RFC 4632 §3.2"),
    )];
    let non_canonical: Vec<String> = entries
        .iter()
        .filter(|(_, p)| !p.is_canonical())
        .map(|(line, p)| format!("line {line}: {} is {}", p.written, p.net))
        .collect();
    if !non_canonical.is_empty() {
        notes.push(crate::trace::Note::new(
            "cidr.non_canonical",
            format!("Host bits were set and cleared: {}.", non_canonical.join("; ")),
            Some("RFC 4632 §3.1"),
        ));
    }
    let mut trace = TraceBuilder::new(DOMAIN, "cidr aggregate");
    trace.push(CidrEvent::Aggregate(agg), notes);
    trace.finish(Outcome::Ok)
}

/// Most overlap pairs listed; more are counted.
pub const OVERLAP_LIST_LIMIT: usize = 10_000;

/// `cidr overlap`: every overlapping pair.
pub fn overlap(entries: &[(u64, ParsedPrefix)]) -> Trace {
    let nets: Vec<(u64, IpNet)> = entries.iter().map(|(l, p)| (*l, p.net)).collect();
    let o = ops::overlap(&nets, OVERLAP_LIST_LIMIT);
    let notes = vec![crate::trace::Note::new(
        "cidr.nesting",
        "Two CIDR prefixes never partly overlap: either one contains the other or they are disjoint, because each is an aligned power-of-two block.",
        Some("RFC 4632 §3.1"),
    )];
    let mut trace = TraceBuilder::new(DOMAIN, "cidr overlap");
    trace.push(CidrEvent::Overlap(o), notes);
    trace.finish(Outcome::Ok)
}

/// `cidr exclude`: address space of `from` minus `minus`.
pub fn exclude(from: &[String], minus: &[String]) -> Result<Trace> {
    let f: Vec<IpNet> = from
        .iter()
        .map(|t| prefix_arg("prefix", t).map(|p| p.net))
        .collect::<Result<_>>()?;
    let m: Vec<IpNet> = minus
        .iter()
        .map(|t| prefix_arg("--minus prefix", t).map(|p| p.net))
        .collect::<Result<_>>()?;
    let e = ops::exclude(&f, &m);
    let notes = vec![crate::trace::Note::new(
        "cidr.exclude",
        "What is left is cut into the fewest aligned blocks: each gap is covered greedily by the largest prefix that starts there and fits.",
        Some("RFC 4632 §3.1"),
    )];
    let mut trace = TraceBuilder::new(DOMAIN, "cidr exclude");
    trace.push(CidrEvent::Exclude(e), notes);
    Ok(trace.finish(Outcome::Ok))
}
