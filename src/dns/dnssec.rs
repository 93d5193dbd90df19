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
) -> Result<u16, String> {
    let rrset: Vec<&Record> = section
        .iter()
        .filter(|r| &r.name == name && r.record_type() == rtype)
        .collect();
    if rrset.is_empty() {
        return Err(format!("no {rtype} records for {name} to check"));
    }
    let sigs = rrsigs(section, name, rtype);
    if sigs.is_empty() {
        return Err(format!("{name} {rtype} has no RRSIG"));
    }
    let mut last = String::new();
    for sig in sigs {
        let input = sig.input();
        if now > input.sig_expiration.get() {
            last = format!("the RRSIG over {name} {rtype} expired");
            continue;
        }
        if now < input.sig_inception.get() {
            last = format!("the RRSIG over {name} {rtype} is not valid yet");
            continue;
        }
        for key in keys {
            if key.calculate_key_tag().ok() != Some(input.key_tag) || key.algorithm() != input.algorithm {
                continue;
            }
            match key.verify_rrsig(name, DNSClass::IN, sig, rrset.iter().copied()) {
                Ok(()) => return Ok(input.key_tag),
                Err(e) => {
                    last = format!(
                        "the RRSIG over {name} {rtype} by key {} does not verify: {e}",
                        input.key_tag
                    )
                }
            }
        }
        if last.is_empty() {
            last = format!(
                "the RRSIG over {name} {rtype} is by key {}, which is not among the zone's trusted keys",
                input.key_tag
            );
        }
    }
    Err(last)
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
    what: &str,
) -> Result<Vec<DNSKEY>, String> {
    let keys = dnskeys(section, zone);
    if keys.is_empty() {
        return Err(format!("{zone} has no DNSKEY records"));
    }
    let entry: Vec<DNSKEY> = keys.iter().filter(|k| vouched(k)).cloned().collect();
    if entry.is_empty() {
        let tags: Vec<String> = keys
            .iter()
            .filter_map(|k| k.calculate_key_tag().ok())
            .map(|t| t.to_string())
            .collect();
        return Err(format!(
            "no DNSKEY of {zone} (key tags {}) matches {what}",
            tags.join(", ")
        ));
    }
    verify_rrset(&entry, zone, RecordType::DNSKEY, section, now).map(|_| keys)
}

/// The root's DNSKEY set against the trust anchors.
pub fn trust_root(section: &[Record], anchors: &Anchors, now: u32) -> Result<Vec<DNSKEY>, String> {
    trust_dnskeys(
        section,
        &Name::root(),
        now,
        |k| anchors.0.contains(k.public_key()),
        "the trust anchor",
    )
}

/// A child zone's DNSKEY set against the DS records its parent signed.
pub fn trust_child(section: &[Record], zone: &Name, ds: &[DS], now: u32) -> Result<Vec<DNSKEY>, String> {
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
) -> Result<(), String> {
    let nsec: Option<&NSEC> = authority
        .iter()
        .filter(|r| &r.name == name)
        .find_map(|r| match &r.data {
            RData::DNSSEC(DNSSECRData::NSEC(n)) => Some(n),
            _ => None,
        });
    let nsec = nsec.ok_or_else(|| format!("no NSEC record for {name} proves that it has no {rtype}"))?;
    if nsec.type_bit_maps().any(|t| t == rtype) {
        return Err(format!(
            "the NSEC for {name} lists {rtype}, so it does not prove its absence"
        ));
    }
    verify_rrset(keys, name, RecordType::NSEC, authority, now).map(|_| ())
}

/// A signed NSEC whose span covers `name` (owner < name < next, canonical order; RFC 4034 §6.1):
/// proof that `name` does not exist.
pub fn nsec_proves_nxdomain(authority: &[Record], name: &Name, keys: &[DNSKEY], now: u32) -> Result<(), String> {
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
    Err(format!(
        "no NSEC record covers {name}, so its non-existence is not proven"
    ))
}

/// Seconds since the Unix epoch, as RRSIG times count them.
pub fn now() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as u32)
        .unwrap_or(0)
}
