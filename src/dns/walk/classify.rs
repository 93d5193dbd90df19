//! What a believed response means for the walk (RFC 1034 §5.3.3 step 4): an answer, a CNAME to
//! follow, a negative answer (NXDOMAIN or NODATA, RFC 2308), a referral one zone deeper, or a
//! reply not usable from this server (an error code, an answer for another name, a referral
//! upward or sideways, a lame server).

use std::net::IpAddr;

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use super::MAX_CNAME_HOPS;
use crate::dns::events::Meaning;
use crate::dns::wire::{self, Question};
use crate::trace::Note;

/// What one server's response means for the walk.
#[derive(Debug, Clone)]
pub(super) enum Reply {
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

/// Why a believed response is not usable from this server: the next server is tried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum Unusable {
    /// An error response code other than NXDOMAIN (SERVFAIL, REFUSED, ...): its mnemonic.
    #[error("{0} from the server")]
    Rcode(String),
    /// Records in the answer section, none of them for the name asked.
    #[error("the answer is for {got}, not {asked}: not believed")]
    OtherName { got: String, asked: String },
    /// A referral that does not lead closer to the name (RFC 1034 §5.3.3: each step goes down).
    #[error("referral to {child}, which is not below {zone} on the way to {name}: an upward or sideways referral")]
    NotDownward { child: String, zone: String, name: String },
    /// No answer, no referral, and not authoritative (RFC 1034 §5.3.3 step 4, "lame").
    #[error("lame: no answer, no referral, and not authoritative")]
    Lame,
}

/// Decides what a believed response means, or why it is not usable from this server.
pub(super) fn classify(m: &Message, q: &Question, zone: &Name) -> Result<Reply, Unusable> {
    let soa = || {
        m.authorities
            .iter()
            .find(|r| r.record_type() == RecordType::SOA)
            .cloned()
    };
    match m.metadata.response_code {
        ResponseCode::NoError => {}
        ResponseCode::NXDomain => return Ok(Reply::Nxdomain { soa: soa() }),
        _ => return Err(Unusable::Rcode(wire::rcode(m))),
    }
    let relevant: Vec<&Record> = m.answers.iter().filter(|r| r.name == q.name).collect();
    if let Some(reply) = delegation_in_answer(m, q, zone) {
        return Ok(reply);
    }
    if !m.answers.is_empty() && relevant.is_empty() {
        return Err(Unusable::OtherName {
            got: m.answers[0].name.to_string(),
            asked: q.name.to_string(),
        });
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
            return Err(Unusable::NotDownward {
                child: child.to_string(),
                zone: zone.to_string(),
                name: q.name.to_string(),
            });
        }
        let delegation: Vec<Record> = ns.iter().filter(|r| r.name == child).map(|r| (*r).clone()).collect();
        return Ok(referral(&child, &delegation, m, zone));
    }
    if m.metadata.authoritative {
        return Ok(Reply::Nodata { soa: soa() });
    }
    Err(Unusable::Lame)
}

/// Some servers (hickory-server among them) answer an NS query below a zone cut with the
/// delegation's NS set in the answer section rather than the authority section where RFC 1034
/// §4.3.2 puts it. Read that as the referral it is, when it is one: only NS records, all for one
/// zone strictly below the current zone and at or above the name asked for. (At the child's own
/// servers the same NS set is the zone's apex: an answer.)
fn delegation_in_answer(m: &Message, q: &Question, zone: &Name) -> Option<Reply> {
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
fn referral(child: &Name, delegation: &[Record], m: &Message, zone: &Name) -> Reply {
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

/// The trace's meaning of a reply, and its teaching notes. `authoritative`: the response's AA
/// bit, which a referral should not carry.
pub(super) fn explain(reply: &Reply, zone: &Name, authoritative: bool) -> (Meaning, Vec<Note>) {
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
            std::iter::once(Note::new(
                "dns.referral",
                format!("The {zone} servers do not hold this name; they delegate {child} and say who serves it{}.", if glue.is_empty() { "" } else { ", with glue (the servers' addresses) so the next step needs no extra lookup" }),
                Some("RFC 1034 §4.2.1"),
            ))
            .chain(authoritative.then(|| aa_on_referral(zone, child)))
            .collect(),
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

/// A server that sets AA on a referral (some do; hickory-server did): AA says the server is an
/// authority for the name in the question, and a referral says it is not, so the bit is wrong
/// and the walk goes on as for any referral.
fn aa_on_referral(zone: &Name, child: &Name) -> Note {
    Note::new(
        "dns.aa_referral",
        format!("This {zone} server set AA=1 on a referral, a quirk: AA means the responding server is an authority for the name in the question, and by delegating {child} it says it is not. Real root and TLD servers clear AA on referrals; the walk ignores the bit and follows the delegation."),
        Some("RFC 1035 §4.1.1"),
    )
}
