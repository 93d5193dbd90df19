//! The DNSSEC steps of a validating walk (RFC 4035 §5): before a zone is asked anything, its
//! DNSKEY set is checked against what vouches for it (the trust anchor at the root, the DS
//! records its parent signed below); at each referral the parent's DS records for the child, or
//! its signed proof that there are none, are checked and kept for when the walk reaches the
//! child; and the final reply's signatures, or its signed denial, are checked with the zone's
//! keys. Each finding is a `dns.dnssec` event; the worst one is the walk's verdict.

use hickory_proto::dnssec::rdata::DNSSECRData;
use hickory_proto::op::Message;
use hickory_proto::rr::{Name, RData, RecordType};

use super::classify::Reply;
use super::{NsTarget, Walker};
use crate::dns::dnssec::{self, Status, Trust, ValidationError};
use crate::dns::events::{DnsEvent, Nsec3Step};
use crate::dns::nsec3;
use crate::trace::Note;

/// What a parent says of a child zone's keys, waiting for the walk to reach the child.
#[derive(Debug, Clone)]
pub(super) enum DsVerdict {
    /// Verified DS records: the child's DNSKEY set must match one.
    Signed(Vec<hickory_proto::dnssec::rdata::DS>),
    /// A signed proof that there is no DS: the child is unsigned.
    Insecure,
    Bogus(String),
}

impl Walker<'_> {
    /// Asks `servers` (of `zone`) for `name`/`rtype` and returns the raw response, signatures
    /// included, for a DNSSEC check; `None` when no server answered usably.
    async fn fetch(
        &mut self,
        servers: &[NsTarget],
        zone: &Name,
        name: &Name,
        rtype: RecordType,
        depth: u8,
    ) -> Option<Box<Message>> {
        self.ask_zone(servers, zone, name, rtype, depth).await.ok()?;
        self.last_message.take()
    }

    /// Records a DNSSEC finding and folds it into the walk's verdict.
    fn record_trust(&mut self, depth: u8, zone: &Name, check: &str, status: Status, detail: String) {
        self.record_trust_with(depth, zone, check, status, detail, Vec::new());
    }

    /// [`Self::record_trust`], with more notes on what the check saw.
    fn record_trust_with(
        &mut self,
        depth: u8,
        zone: &Name,
        check: &str,
        status: Status,
        detail: String,
        more: Vec<Note>,
    ) {
        if status == Status::Bogus && self.dnssec_failure.is_none() {
            self.dnssec_failure = Some(format!("{zone} {check}: {detail}"));
        }
        self.dnssec = Some(self.dnssec.map_or(status, |s| s.max(status)));
        let note = match (check, status) {
            ("dnskey", Status::Secure) => Some(Note::new("dnssec.dnskey", format!("{zone}'s key set is signed by a key that the level above vouches for (the trust anchor, or a DS record in the parent): its keys are now trusted."), Some("RFC 4035 §5.2"))),
            ("ds", Status::Insecure) => Some(Note::new("dnssec.insecure", format!("The parent proves, with signed NSEC or NSEC3 records, that {zone} has no DS: the zone is unsigned, and answers in it cannot be validated (Insecure, not Bogus)."), Some("RFC 4035 §5.2"))),
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
            note.into_iter().chain(more).collect(),
        );
    }

    /// Establishes what is known of `zone`'s keys before it is asked anything.
    pub(super) async fn ensure_trust(&mut self, zone: &Name, servers: &[NsTarget], depth: u8) {
        if self.trust.contains_key(zone) {
            return;
        }
        let now = dnssec::now();
        let trust = if zone.is_root() {
            let anchors = self.opts.anchors.clone().expect("validating");
            match self.fetch(servers, zone, zone, RecordType::DNSKEY, depth).await {
                Some(m) => match dnssec::trust_root(&m.answers, &anchors, now) {
                    Ok(keys) => Trust::Secure(keys),
                    Err(why) => Trust::Bogus(why.to_string()),
                },
                None => Trust::Bogus("no root server answered the DNSKEY query".to_string()),
            }
        } else {
            match self.pending_ds.remove(zone) {
                // The zone's own key set must match the DS records its parent signed.
                Some(DsVerdict::Signed(ds)) => match self.fetch(servers, zone, zone, RecordType::DNSKEY, depth).await {
                    Some(m) => match dnssec::trust_child(&m.answers, zone, &ds, now) {
                        Ok(keys) => Trust::Secure(keys),
                        Err(why) => Trust::Bogus(why.to_string()),
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
    pub(super) async fn delegation_trust(&mut self, zone: &Name, servers: &[NsTarget], child: &Name, depth: u8) {
        if self.trust.contains_key(child) || self.pending_ds.contains_key(child) {
            return;
        }
        let now = dnssec::now();
        let verdict = match self.trust.get(zone).cloned() {
            Some(Trust::Secure(keys)) => match self.fetch(servers, zone, child, RecordType::DS, depth).await {
                Some(m) => {
                    let ds = dnssec::ds_records(&m.answers, child);
                    if !ds.is_empty() {
                        match dnssec::verify_rrset(&keys, child, RecordType::DS, &m.answers, now) {
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
                            Err(why) => DsVerdict::Bogus(why.to_string()),
                        }
                    } else {
                        match self.no_ds_proof(zone, child, &m.authorities, &keys, now, depth) {
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

    /// The parent `zone`'s signed proof, in a DS query's `authority`, that `child` has no DS:
    /// an NSEC for the child without DS in its bitmap (RFC 4035 §5.2), or NSEC3 records, either
    /// matching the child without DS, or an opt-out span covering it (RFC 5155 §8.6).
    fn no_ds_proof(
        &mut self,
        zone: &Name,
        child: &Name,
        authority: &[hickory_proto::rr::Record],
        keys: &[hickory_proto::dnssec::rdata::DNSKEY],
        now: u32,
        depth: u8,
    ) -> Result<(), ValidationError> {
        if !nsec3::present(authority, zone) {
            return dnssec::nsec_proves_nodata(authority, child, RecordType::DS, keys, now);
        }
        let (steps, how) = nsec3::proves_nodata(authority, zone, child, RecordType::DS, keys, now)?;
        let proof = match how {
            nsec3::Nodata::Matched => "nodata",
            nsec3::Nodata::OptOut => "opt-out",
        };
        self.record_nsec3(depth, zone, child, RecordType::DS, proof, steps);
        Ok(())
    }

    /// An answer whose RRSIG has fewer labels than its owner was expanded from the wildcard at
    /// the owner's last `labels` labels; it is secure only with the signed proof that the name
    /// asked for does not exist itself (RFC 4035 §5.3.4 with NSEC, RFC 5155 §8.8 with NSEC3).
    #[allow(clippy::too_many_arguments)]
    fn wildcard_proof(
        &mut self,
        zone: &Name,
        name: &Name,
        rtype: RecordType,
        labels: u8,
        authority: &[hickory_proto::rr::Record],
        keys: &[hickory_proto::dnssec::rdata::DNSKEY],
        now: u32,
        depth: u8,
    ) -> Result<(String, Note), ValidationError> {
        let encloser = name.trim_to(usize::from(labels));
        let wildcard = Name::from_ascii("*")
            .and_then(|star| star.append_domain(&encloser))
            .map_or_else(|_| format!("*.{encloser}"), |w| w.to_string());
        let unproven = |why: ValidationError| ValidationError::WildcardUnproven {
            name: name.to_string(),
            wildcard: wildcard.clone(),
            why: Box::new(why),
        };
        let how = if nsec3::present(authority, zone) {
            let steps = nsec3::proves_wildcard_answer(authority, zone, name, &encloser, keys, now).map_err(unproven)?;
            self.record_nsec3(depth, zone, name, rtype, "wildcard", steps);
            "signed NSEC3 records prove"
        } else {
            dnssec::nsec_proves_nxdomain(authority, name, keys, now).map_err(unproven)?;
            "a signed NSEC proves"
        };
        let text = format!(
            "The RRSIG's labels field is {labels}, fewer than the {} labels of {name}: the answer was made from the wildcard {wildcard} and not from records of {name}. Such an answer is trusted only with a signed proof that {name} itself does not exist, which the authority section holds: otherwise an attacker could replay the wildcard's records over a name that does exist.",
            name.num_labels()
        );
        let note = Note::new("dnssec.wildcard", text, Some("RFC 4035 §5.3.4"));
        Ok((
            format!("expanded from {wildcard}, and {how} {name} itself does not exist"),
            note,
        ))
    }

    /// Records the NSEC3 steps of a proof, with a note on what they show.
    fn record_nsec3(
        &mut self,
        depth: u8,
        zone: &Name,
        name: &Name,
        rtype: RecordType,
        proof: &str,
        steps: Vec<Nsec3Step>,
    ) {
        let role = |r: &str| steps.iter().find(|s| s.role == r);
        let text = match (proof, role("closest encloser"), role("next closer"), role("wildcard"), role("name")) {
            ("nxdomain", Some(ce), Some(nc), Some(_), _) if nc.opt_out => Some((format!(
                "The closest encloser {} exists (its hash {} owns an NSEC3), and the hash of the next closer name {} ({}) falls in the span of {}, which has the opt-out flag: such a span may hold unsigned delegations with no NSEC3 of their own, so {name} is not proven absent (Insecure).",
                ce.name, ce.hash, nc.name, nc.hash, nc.nsec3
            ), "RFC 5155 §6, §8.4")),
            ("nxdomain", Some(ce), Some(nc), Some(wc), _) => Some((format!(
                "{zone} denies with hashed names (NSEC3): the closest encloser {} exists (its hash {} owns an NSEC3), and the hashes of the next closer name {} ({}) and of the wildcard {} ({}) fall in gaps between NSEC3 owners: {name} does not exist, and no wildcard could have made it. Unlike NSEC's next names, the hashes do not tell which names the zone holds (no zone walking).",
                ce.name, ce.hash, nc.name, nc.hash, wc.name, wc.hash
            ), "RFC 5155 §8.4")),
            ("nodata", _, _, _, Some(n)) => Some((format!(
                "The NSEC3 owned by the hash of {name} ({}) lists the types at {name}: {}; {rtype} is not among them, so {name} exists without {rtype} records.",
                n.hash, n.types.join(" ")
            ), "RFC 5155 §8.5")),
            ("wildcard", _, Some(nc), _, _) => Some((format!(
                "The hash of the next closer name {} ({}) falls between NSEC3 owners: {} does not exist, so neither does {name}, and the wildcard at the closest encloser was rightly used.",
                nc.name, nc.hash, nc.name
            ), "RFC 5155 §8.8")),
            ("opt-out", Some(ce), Some(nc), _, _) => Some((format!(
                "No NSEC3 matches {name}: the closest encloser is {}, and the hash of {} ({}) falls in the span of {}, whose opt-out flag says unsigned delegations in that span have no NSEC3 of their own. {name} may be such a delegation: it has no DS, and is Insecure.",
                ce.name, nc.name, nc.hash, nc.nsec3
            ), "RFC 5155 §6, §8.6")),
            _ => None,
        };
        let notes = text
            .map(|(text, rfc)| crate::trace::Note::new(&format!("dnssec.nsec3.{proof}"), text, Some(rfc)))
            .into_iter()
            .collect();
        self.trace.push(
            DnsEvent::Nsec3 {
                depth,
                zone: zone.to_string(),
                name: name.to_string(),
                rtype: rtype.to_string(),
                proof: proof.to_string(),
                steps,
            },
            notes,
        );
    }

    /// Checks the signatures (or signed denial) on a final reply from `zone`.
    pub(super) fn check_reply(
        &mut self,
        zone: &Name,
        name: &Name,
        rtype: RecordType,
        reply: &Reply,
        message: Option<&Message>,
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
        let now = dnssec::now();
        let secure = |detail: String| (Status::Secure, detail, Vec::new());
        let result = match reply {
            Reply::Answer(_) => dnssec::verify_rrset(&keys, name, rtype, &m.answers, now).and_then(|tag| {
                let signed = format!("RRSIG over {name} {rtype} by key {tag} verifies");
                match dnssec::rrsig_labels(&m.answers, name, rtype, tag) {
                    Some(labels) if labels < name.num_labels() => self
                        .wildcard_proof(zone, name, rtype, labels, &m.authorities, &keys, now, depth)
                        .map(|(how, note)| (Status::Secure, format!("{signed}; {how}"), vec![note])),
                    _ => Ok(secure(signed)),
                }
            }),
            Reply::Cname { chain, .. } => chain
                .iter()
                .try_for_each(|c| dnssec::verify_rrset(&keys, &c.name, RecordType::CNAME, &m.answers, now).map(|_| ()))
                .map(|()| secure(format!("RRSIG over the CNAME at {name} verifies"))),
            Reply::Nodata { .. } if nsec3::present(&m.authorities, zone) => {
                nsec3::proves_nodata(&m.authorities, zone, name, rtype, &keys, now).map(|(steps, _)| {
                    self.record_nsec3(depth, zone, name, rtype, "nodata", steps);
                    secure(format!("signed NSEC3 records prove {name} has no {rtype}"))
                })
            }
            Reply::Nodata { .. } => dnssec::nsec_proves_nodata(&m.authorities, name, rtype, &keys, now)
                .map(|()| secure(format!("a signed NSEC proves {name} has no {rtype}"))),
            Reply::Nxdomain { .. } if nsec3::present(&m.authorities, zone) => {
                nsec3::proves_nxdomain(&m.authorities, zone, name, &keys, now).map(|steps| {
                    // RFC 5155 §6: an opt-out span may hold unsigned delegations that have no
                    // NSEC3, so a name in it is not proven absent: Insecure, as validators treat it.
                    let opt_out = steps.iter().any(|s| s.role == "next closer" && s.opt_out);
                    self.record_nsec3(depth, zone, name, rtype, "nxdomain", steps);
                    if opt_out {
                        (
                            Status::Insecure,
                            format!("the NSEC3 covering {name}'s next closer name has opt-out: an unsigned delegation could hide there, so its absence is not proven"),
                            Vec::new(),
                        )
                    } else {
                        secure(format!("signed NSEC3 records prove {name} does not exist"))
                    }
                })
            }
            Reply::Nxdomain { .. } => dnssec::nsec_proves_nxdomain(&m.authorities, name, &keys, now)
                .map(|()| secure(format!("a signed NSEC proves {name} does not exist"))),
            Reply::Referral { .. } => Ok(secure(String::new())),
        };
        match result {
            Ok((status, detail, notes)) => self.record_trust_with(depth, zone, "answer", status, detail, notes),
            Err(why) => self.record_trust(depth, zone, "answer", Status::Bogus, why.to_string()),
        }
    }
}

/// The DNSSEC records a final reply carries for what it says: the RRSIGs over its answer
/// records (and CNAMEs), or, for a negative answer, the NSEC records and RRSIGs of its authority
/// section (RFC 4035 §3.1.1, §3.1.3; NSEC3: RFC 5155 §7.2). An answer made from a wildcard also
/// carries the NSEC or NSEC3 records proving the name itself does not exist (RFC 4035 §3.1.3.3).
pub(super) fn proofs(reply: &Reply, m: &Message) -> Vec<hickory_proto::rr::Record> {
    let denial = |r: &&hickory_proto::rr::Record| match &r.data {
        RData::DNSSEC(DNSSECRData::RRSIG(sig)) => {
            matches!(sig.input().type_covered, RecordType::NSEC | RecordType::NSEC3)
        }
        _ => matches!(r.record_type(), RecordType::NSEC | RecordType::NSEC3),
    };
    let answered: Vec<&Name> = match reply {
        Reply::Answer(records) => records.iter().map(|r| &r.name).collect(),
        Reply::Cname { chain, answers, .. } => chain.iter().chain(answers).map(|r| &r.name).collect(),
        Reply::Nxdomain { .. } | Reply::Nodata { .. } => {
            return m
                .authorities
                .iter()
                .filter(|r| {
                    matches!(
                        r.record_type(),
                        RecordType::NSEC | RecordType::NSEC3 | RecordType::RRSIG
                    )
                })
                .cloned()
                .collect()
        }
        Reply::Referral { .. } => return Vec::new(),
    };
    let signatures: Vec<&hickory_proto::rr::Record> = m
        .answers
        .iter()
        .filter(|r| r.record_type() == RecordType::RRSIG && answered.contains(&&r.name))
        .collect();
    let expanded = signatures.iter().any(|r| match &r.data {
        RData::DNSSEC(DNSSECRData::RRSIG(sig)) => sig.input().num_labels < r.name.num_labels(),
        _ => false,
    });
    let wildcard_proof = m.authorities.iter().filter(denial).filter(|_| expanded);
    signatures.into_iter().chain(wildcard_proof).cloned().collect()
}
