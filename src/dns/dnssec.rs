//! DNSSEC validation of a walk (RFC 4033-4035): the chain of trust from a trust anchor down to
//! the answer. At each zone cut the parent's signed DS records vouch for the child's DNSKEY set;
//! each zone's DNSKEYs vouch for the RRSIGs on its records. A zone whose parent proves (with a
//! signed NSEC) that it has no DS is Insecure; any broken link makes the answer Bogus, and the
//! trace names the link.

use std::fmt;
use std::sync::Arc;

use hickory_proto::dnssec::rdata::{DNSSECRData, DNSKEY, DS, NSEC, RRSIG};
use hickory_proto::dnssec::{TrustAnchors, Verifier};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
use serde::{Deserialize, Serialize};

/// The trust anchors a validating walk starts from.
#[derive(Clone)]
pub struct Anchors(pub Arc<TrustAnchors>);

impl fmt::Debug for Anchors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Anchors({} keys)", self.0.len())
    }
}

impl Anchors {
    /// IANA's root key-signing keys (KSK-2017 tag 20326, KSK-2024 tag 38696), built into hickory.
    pub fn iana() -> Anchors {
        Anchors(Arc::new(TrustAnchors::default()))
    }

    /// A single root DNSKEY (the sandbox's).
    pub fn root_key(key: &DNSKEY) -> Anchors {
        let mut anchors = TrustAnchors::empty();
        anchors.insert(key.public_key());
        Anchors(Arc::new(anchors))
    }
}

/// What the walk knows about a zone.
#[derive(Debug, Clone)]
pub enum Trust {
    /// Validated keys of the zone.
    Secure(Vec<DNSKEY>),
    /// The parent proved there is no DS: nothing below is signed for us.
    Insecure,
    /// A link is broken: which and why.
    Bogus(String),
}

/// DNSSEC verdict on a walk, in the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Secure,
    Insecure,
    Bogus,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Secure => "secure",
            Status::Insecure => "insecure",
            Status::Bogus => "bogus",
        })
    }
}

/// Why a DNSSEC check failed: the broken link, in the words the trace records.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// The section holds no records of the set to check.
    #[error("no {rtype} records for {name} to check")]
    NoRrset { name: String, rtype: RecordType },
    /// The set is there, unsigned (RFC 4035 §3.1.1: an RRSIG must cover it).
    #[error("{name} {rtype} has no RRSIG")]
    NoRrsig { name: String, rtype: RecordType },
    /// Now is past the signature's expiration (RFC 4034 §3.1.5).
    #[error("the RRSIG over {name} {rtype} expired")]
    Expired { name: String, rtype: RecordType },
    /// Now is before the signature's inception (RFC 4034 §3.1.5).
    #[error("the RRSIG over {name} {rtype} is not valid yet")]
    NotYetValid { name: String, rtype: RecordType },
    /// The key named by the signature is trusted, and the signature does not verify with it.
    #[error("the RRSIG over {name} {rtype} by key {key_tag} does not verify: {why}")]
    BadSignature {
        name: String,
        rtype: RecordType,
        key_tag: u16,
        why: String,
    },
    /// The signature is by a key the zone's trusted set does not hold.
    #[error("the RRSIG over {name} {rtype} is by key {key_tag}, which is not among the zone's trusted keys")]
    UntrustedKey {
        name: String,
        rtype: RecordType,
        key_tag: u16,
    },
    #[error("{zone} has no DNSKEY records")]
    NoDnskey { zone: String },
    /// No key of the zone is the one vouched for from above (`vouched_by`: the trust anchor, or
    /// the parent's DS records).
    #[error("no DNSKEY of {zone} (key tags {}) matches {vouched_by}", .tags.iter().map(u16::to_string).collect::<Vec<_>>().join(", "))]
    NoVouchedKey {
        zone: String,
        tags: Vec<u16>,
        vouched_by: &'static str,
    },
    /// A NODATA answer without the NSEC that would prove it (RFC 4035 §5.4).
    #[error("no NSEC record for {name} proves that it has no {rtype}")]
    NoNsec { name: String, rtype: RecordType },
    /// The NSEC's type bitmap has the type whose absence it should prove.
    #[error("the NSEC for {name} lists {rtype}, so it does not prove its absence")]
    NsecListsType { name: String, rtype: RecordType },
    /// An NXDOMAIN answer with no NSEC whose span covers the name (RFC 4035 §5.4).
    #[error("no NSEC record covers {name}, so its non-existence is not proven")]
    NotCovered { name: String },
    /// A zone that denies with NSEC3 sent none (RFC 5155 §7.2).
    #[error("no NSEC3 record of {zone} came with the denial")]
    NoNsec3 { zone: String },
    /// The zone's NSEC3 parameters ask more extra hash iterations than a validator computes:
    /// each costs every name checked one more SHA-1, which a hostile server can use to make
    /// validators burn CPU (RFC 9276 §3.2 lets a validator give up on such records).
    #[error("the NSEC3 records of {zone} ask {iterations} extra iterations, above the {limit} netlab computes (RFC 9276 §3.2)")]
    Nsec3Iterations { zone: String, iterations: u16, limit: u16 },
    /// No ancestor of the name matches an NSEC3 (RFC 5155 §8.3).
    #[error("no NSEC3 record proves a closest encloser of {name}")]
    NoClosestEncloser { name: String },
    /// No DS, and the NSEC3 covering the delegation has no opt-out flag (RFC 5155 §8.6).
    #[error("no NSEC3 matches {name}, and the one covering it has no opt-out flag")]
    NoOptOut { name: String },
    /// An answer expanded from a wildcard without the proof that the name itself does not
    /// exist (RFC 4035 §5.3.4).
    #[error(
        "{name} was answered from the wildcard {wildcard}, and nothing proves {name} itself does not exist: {why}"
    )]
    WildcardUnproven {
        name: String,
        wildcard: String,
        why: Box<ValidationError>,
    },
}

fn rrsigs<'a>(records: &'a [Record], name: &Name, covered: RecordType) -> Vec<&'a RRSIG> {
    records
        .iter()
        .filter(|r| &r.name == name)
        .filter_map(|r| match &r.data {
            RData::DNSSEC(DNSSECRData::RRSIG(sig)) if sig.input().type_covered == covered => Some(sig),
            _ => None,
        })
        .collect()
}

/// Verifies that `rrset` (records of one name and type, found in `section`) carries an RRSIG, valid
/// at `now`, made by one of `keys`. Returns the signing key's tag.
pub fn verify_rrset(
    keys: &[DNSKEY],
    name: &Name,
    rtype: RecordType,
    section: &[Record],
    now: u32,
) -> Result<u16, ValidationError> {
    let rrset: Vec<&Record> = section
        .iter()
        .filter(|r| &r.name == name && r.record_type() == rtype)
        .collect();
    let name_type = || (name.to_string(), rtype);
    if rrset.is_empty() {
        return Err(ValidationError::NoRrset {
            name: name.to_string(),
            rtype,
        });
    }
    let sigs = rrsigs(section, name, rtype);
    if sigs.is_empty() {
        return Err(ValidationError::NoRrsig {
            name: name.to_string(),
            rtype,
        });
    }
    // Why the last signature looked at fails; the first reason found is kept over "not among
    // the trusted keys".
    let mut last = None;
    for sig in sigs {
        let input = sig.input();
        if now > input.sig_expiration.get() {
            let (name, rtype) = name_type();
            last = Some(ValidationError::Expired { name, rtype });
            continue;
        }
        if now < input.sig_inception.get() {
            let (name, rtype) = name_type();
            last = Some(ValidationError::NotYetValid { name, rtype });
            continue;
        }
        for key in keys {
            if key.calculate_key_tag().ok() != Some(input.key_tag) || key.algorithm() != input.algorithm {
                continue;
            }
            match key.verify_rrsig(name, DNSClass::IN, sig, rrset.iter().copied()) {
                Ok(()) => return Ok(input.key_tag),
                Err(e) => {
                    let (name, rtype) = name_type();
                    last = Some(ValidationError::BadSignature {
                        name,
                        rtype,
                        key_tag: input.key_tag,
                        why: e.to_string(),
                    })
                }
            }
        }
        if last.is_none() {
            let (name, rtype) = name_type();
            last = Some(ValidationError::UntrustedKey {
                name,
                rtype,
                key_tag: input.key_tag,
            });
        }
    }
    // `sigs` is not empty, so `last` is set.
    Err(last.unwrap_or(ValidationError::NoRrsig {
        name: name.to_string(),
        rtype,
    }))
}

/// The labels field of the RRSIG by `key_tag` over `name`/`rtype` (RFC 4034 §3.1.3): fewer labels
/// than the owner has means the records were expanded from a wildcard (RFC 4035 §5.3.4).
pub fn rrsig_labels(section: &[Record], name: &Name, rtype: RecordType, key_tag: u16) -> Option<u8> {
    rrsigs(section, name, rtype)
        .into_iter()
        .find(|sig| sig.input().key_tag == key_tag)
        .map(|sig| sig.input().num_labels)
}

fn dnskeys(section: &[Record], zone: &Name) -> Vec<DNSKEY> {
    section
        .iter()
        .filter(|r| &r.name == zone)
        .filter_map(|r| match &r.data {
            RData::DNSSEC(DNSSECRData::DNSKEY(k)) => Some(k.clone()),
            _ => None,
        })
        .collect()
}

/// The zone's DNSKEY set is trusted when a key vouched for from above (by `vouched`) signs it.
fn trust_dnskeys(
    section: &[Record],
    zone: &Name,
    now: u32,
    vouched: impl Fn(&DNSKEY) -> bool,
    vouched_by: &'static str,
) -> Result<Vec<DNSKEY>, ValidationError> {
    let keys = dnskeys(section, zone);
    if keys.is_empty() {
        return Err(ValidationError::NoDnskey { zone: zone.to_string() });
    }
    let entry: Vec<DNSKEY> = keys.iter().filter(|k| vouched(k)).cloned().collect();
    if entry.is_empty() {
        return Err(ValidationError::NoVouchedKey {
            zone: zone.to_string(),
            tags: keys.iter().filter_map(|k| k.calculate_key_tag().ok()).collect(),
            vouched_by,
        });
    }
    verify_rrset(&entry, zone, RecordType::DNSKEY, section, now).map(|_| keys)
}

/// The root's DNSKEY set against the trust anchors.
pub fn trust_root(section: &[Record], anchors: &Anchors, now: u32) -> Result<Vec<DNSKEY>, ValidationError> {
    trust_dnskeys(
        section,
        &Name::root(),
        now,
        |k| anchors.0.contains(k.public_key()),
        "the trust anchor",
    )
}

/// A child zone's DNSKEY set against the DS records its parent signed.
pub fn trust_child(section: &[Record], zone: &Name, ds: &[DS], now: u32) -> Result<Vec<DNSKEY>, ValidationError> {
    trust_dnskeys(
        section,
        zone,
        now,
        |k| ds.iter().any(|d| d.covers(zone, k).unwrap_or(false)),
        "the DS records in the parent",
    )
}

/// The DS records for `child` in a response.
pub fn ds_records(section: &[Record], child: &Name) -> Vec<DS> {
    section
        .iter()
        .filter(|r| &r.name == child)
        .filter_map(|r| match &r.data {
            RData::DNSSEC(DNSSECRData::DS(d)) => Some(d.clone()),
            _ => None,
        })
        .collect()
}

/// A signed NSEC for exactly `name` whose type bitmap lacks `rtype`: proof that `name` exists
/// without records of that type (RFC 4035 §5.4). `keys` are the zone's trusted keys.
pub fn nsec_proves_nodata(
    authority: &[Record],
    name: &Name,
    rtype: RecordType,
    keys: &[DNSKEY],
    now: u32,
) -> Result<(), ValidationError> {
    let nsec: Option<&NSEC> = authority
        .iter()
        .filter(|r| &r.name == name)
        .find_map(|r| match &r.data {
            RData::DNSSEC(DNSSECRData::NSEC(n)) => Some(n),
            _ => None,
        });
    let nsec = nsec.ok_or_else(|| ValidationError::NoNsec {
        name: name.to_string(),
        rtype,
    })?;
    if nsec.type_bit_maps().any(|t| t == rtype) {
        return Err(ValidationError::NsecListsType {
            name: name.to_string(),
            rtype,
        });
    }
    verify_rrset(keys, name, RecordType::NSEC, authority, now).map(|_| ())
}

/// A signed NSEC whose span covers `name` (owner < name < next, canonical order; RFC 4034 §6.1):
/// proof that `name` does not exist.
pub fn nsec_proves_nxdomain(
    authority: &[Record],
    name: &Name,
    keys: &[DNSKEY],
    now: u32,
) -> Result<(), ValidationError> {
    for r in authority {
        if let RData::DNSSEC(DNSSECRData::NSEC(n)) = &r.data {
            let next = n.next_domain_name();
            let covers = if &r.name < next {
                &r.name < name && name < next
            } else {
                &r.name < name || name < next
            };
            if covers {
                return verify_rrset(keys, &r.name, RecordType::NSEC, authority, now).map(|_| ());
            }
        }
    }
    Err(ValidationError::NotCovered { name: name.to_string() })
}

/// Seconds since the Unix epoch, as RRSIG times count them.
pub fn now() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as u32)
        .unwrap_or(0)
}
