//! NSEC3 denial of existence (RFC 5155), checked by netlab itself. A zone signed with NSEC3 does
//! not name its names in its denials: each NSEC3 record is owned by the hash of a name (SHA-1,
//! iterated, with a salt; written in base32hex under the zone, §3) and points to the next hash
//! in sorted order. A name "matches" an NSEC3 whose owner is its hash; it is "covered" when its
//! hash falls strictly between an owner and that owner's next hash (§8.1). A validator proves:
//!
//! - the closest encloser (§8.3): the longest existing ancestor of the name matches, and the
//!   "next closer" name (one label longer, towards the name) is covered;
//! - NXDOMAIN (§8.4): a closest encloser proof, and the wildcard at the closest encloser covered;
//! - NODATA (§8.5, §8.6 for DS): the name matches, and the type is not in its bitmap; for DS, an
//!   opt-out NSEC3 covering the next closer name instead says the delegation is unsigned (§6);
//! - a wildcard answer (§8.8): the next closer name of the wildcard's closest encloser is covered.
//!
//! Every NSEC3 used must be signed by the zone's trusted keys.

use hickory_proto::dnssec::rdata::{DNSSECRData, DNSKEY, NSEC3};
use hickory_proto::dnssec::Nsec3HashAlgorithm;
use hickory_proto::rr::{Name, RData, Record, RecordType};

use super::dnssec::{verify_rrset, ValidationError};
use super::events::{Nsec3Step, Nsec3Use};

/// The NSEC3 hash of `name` (RFC 5155 §5: H(x) iterated over the canonical wire form with the
/// salt), in base32hex lower case, as it appears in an owner name (§3.3).
pub fn hash(name: &Name, salt: &[u8], iterations: u16) -> Option<String> {
    let digest = Nsec3HashAlgorithm::SHA1.hash(salt, name, iterations).ok()?;
    Some(base32hex(digest.as_ref()))
}

/// Base32 with the "extended hex" alphabet, no padding (RFC 4648 §7): the hash keeps its sort
/// order once written as a label.
fn base32hex(bytes: &[u8]) -> String {
    data_encoding::BASE32HEX_NOPAD.encode(bytes).to_ascii_lowercase()
}

/// One NSEC3 record of a response, its owner hash and next hash in base32hex.
struct Chain<'a> {
    owner: &'a Name,
    owner_hash: String,
    next_hash: String,
    rdata: &'a NSEC3,
}

/// The NSEC3 records in `authority` owned directly under `zone`, with SHA-1 and no unknown flags
/// (§8.2: others are ignored).
fn chain<'a>(authority: &'a [Record], zone: &Name) -> Vec<Chain<'a>> {
    authority
        .iter()
        .filter_map(|r| match &r.data {
            RData::DNSSEC(DNSSECRData::NSEC3(n)) => Some((r, n)),
            _ => None,
        })
        .filter(|(r, n)| {
            r.name.num_labels() == zone.num_labels() + 1
                && &r.name.base_name() == zone
                && n.hash_algorithm() == Nsec3HashAlgorithm::SHA1
                && n.flags() & !1 == 0
        })
        .filter_map(|(r, n)| {
            let label = r.name.iter().next()?;
            Some(Chain {
                owner: &r.name,
                owner_hash: String::from_utf8_lossy(label).to_ascii_lowercase(),
                next_hash: base32hex(n.next_hashed_owner_name()),
                rdata: n,
            })
        })
        .collect()
}

/// Whether `authority` holds NSEC3 records for `zone`: the zone denies with NSEC3.
pub fn present(authority: &[Record], zone: &Name) -> bool {
    !chain(authority, zone).is_empty()
}

/// The most extra NSEC3 hash iterations netlab computes for a proof: 150, the limit of
/// Unbound's default `val-nsec3-keysize-iterations`; RFC 9276 §3.1 asks zones for 0.
pub const MAX_ITERATIONS: u16 = 150;

/// The NSEC3 checks against one response: hashes with the zone's parameters, signatures
/// verified once per record used.
struct Prover<'a> {
    authority: &'a [Record],
    chain: Vec<Chain<'a>>,
    keys: &'a [DNSKEY],
    now: u32,
    salt: Vec<u8>,
    iterations: u16,
}

impl<'a> Prover<'a> {
    fn new(authority: &'a [Record], zone: &Name, keys: &'a [DNSKEY], now: u32) -> Result<Self, ValidationError> {
        let chain = chain(authority, zone);
        let first = chain
            .first()
            .ok_or_else(|| ValidationError::NoNsec3 { zone: zone.to_string() })?;
        let (salt, iterations) = (first.rdata.salt().to_vec(), first.rdata.iterations());
        if iterations > MAX_ITERATIONS {
            return Err(ValidationError::Nsec3Iterations {
                zone: zone.to_string(),
                iterations,
                limit: MAX_ITERATIONS,
            });
        }
        Ok(Prover {
            authority,
            chain,
            keys,
            now,
            salt,
            iterations,
        })
    }

    fn hash(&self, name: &Name) -> Result<String, ValidationError> {
        hash(name, &self.salt, self.iterations).ok_or_else(|| ValidationError::NotCovered { name: name.to_string() })
    }

    /// A signed step: `name`'s hash matched by (or covered by) one NSEC3 of the chain.
    fn step(
        &self,
        role: &str,
        name: &Name,
        link: &Chain<'_>,
        relation: Nsec3Use,
    ) -> Result<Nsec3Step, ValidationError> {
        verify_rrset(self.keys, link.owner, RecordType::NSEC3, self.authority, self.now)?;
        Ok(Nsec3Step {
            role: role.to_string(),
            name: name.to_string(),
            hash: self.hash(name)?,
            nsec3: link.owner.to_string(),
            next_hash: link.next_hash.clone(),
            relation,
            opt_out: link.rdata.opt_out(),
            types: link.rdata.type_bit_maps().map(|t| t.to_string()).collect(),
        })
    }

    fn matching(&self, name: &Name) -> Result<Option<&Chain<'a>>, ValidationError> {
        let h = self.hash(name)?;
        Ok(self.chain.iter().find(|c| c.owner_hash == h))
    }

    fn covering(&self, name: &Name) -> Result<Option<&Chain<'a>>, ValidationError> {
        let h = self.hash(name)?;
        Ok(self.chain.iter().find(|c| {
            if c.owner_hash < c.next_hash {
                c.owner_hash < h && h < c.next_hash
            } else {
                // The last record wraps round to the first (or a chain of one covers all else).
                c.owner_hash < h || h < c.next_hash
            }
        }))
    }

    /// `role` `name` must be covered: the step, or why not.
    fn covered(&self, role: &str, name: &Name) -> Result<(Nsec3Step, bool), ValidationError> {
        let link = self
            .covering(name)?
            .ok_or_else(|| ValidationError::NotCovered { name: name.to_string() })?;
        Ok((self.step(role, name, link, Nsec3Use::Covers)?, link.rdata.opt_out()))
    }

    /// The closest encloser proof (§8.3) for `name`, which must not exist: the matched closest
    /// encloser's step, the covered next closer's step, the closest encloser and whether the
    /// covering NSEC3 has opt-out.
    fn closest_encloser(&self, name: &Name, zone: &Name) -> Result<(Vec<Nsec3Step>, Name, bool), ValidationError> {
        let mut candidate = name.base_name();
        let mut next_closer = name.clone();
        loop {
            if let Some(link) = self.matching(&candidate)? {
                let types: Vec<RecordType> = link.rdata.type_bit_maps().collect();
                // §8.3: a delegation's or a DNAME's NSEC3 cannot be a closest encloser (the name
                // below is another zone's, or is redirected).
                let cut = types.contains(&RecordType::NS) && !types.contains(&RecordType::SOA);
                if cut || types.contains(&RecordType::DNAME) {
                    return Err(ValidationError::NotCovered { name: name.to_string() });
                }
                let ce = self.step("closest encloser", &candidate, link, Nsec3Use::Matches)?;
                let (nc, opt_out) = self.covered("next closer", &next_closer)?;
                return Ok((vec![ce, nc], candidate, opt_out));
            }
            if candidate == *zone || candidate.is_root() {
                return Err(ValidationError::NoClosestEncloser { name: name.to_string() });
            }
            next_closer = candidate.clone();
            candidate = candidate.base_name();
        }
    }
}

/// `*.name`: the wildcard whose expansion would have answered below `name`.
fn wildcard_at(name: &Name) -> Result<Name, ValidationError> {
    Name::from_ascii("*")
        .and_then(|star| star.append_domain(name))
        .map_err(|_| ValidationError::NotCovered { name: name.to_string() })
}

/// RFC 5155 §8.4: `name` does not exist in `zone`.
pub fn proves_nxdomain(
    authority: &[Record],
    zone: &Name,
    name: &Name,
    keys: &[DNSKEY],
    now: u32,
) -> Result<Vec<Nsec3Step>, ValidationError> {
    let p = Prover::new(authority, zone, keys, now)?;
    let (mut steps, ce, _) = p.closest_encloser(name, zone)?;
    steps.push(p.covered("wildcard", &wildcard_at(&ce)?)?.0);
    Ok(steps)
}

/// What a NODATA proof showed: the name has no such records, or (DS only) the delegation is in
/// an opt-out span, so it may exist unsigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nodata {
    Matched,
    OptOut,
}

/// RFC 5155 §8.5-8.7: `name` has no `rtype` records. For DS (§8.6), an opt-out NSEC3 covering
/// the next closer name also proves there is no signed delegation.
pub fn proves_nodata(
    authority: &[Record],
    zone: &Name,
    name: &Name,
    rtype: RecordType,
    keys: &[DNSKEY],
    now: u32,
) -> Result<(Vec<Nsec3Step>, Nodata), ValidationError> {
    let p = Prover::new(authority, zone, keys, now)?;
    let lacks = |link: &Chain<'_>, what: &Name| {
        let listed = link.rdata.type_bit_maps().any(|t| t == rtype || t == RecordType::CNAME);
        if listed {
            Err(ValidationError::NsecListsType {
                name: what.to_string(),
                rtype,
            })
        } else {
            Ok(())
        }
    };
    if let Some(link) = p.matching(name)? {
        lacks(link, name)?;
        return Ok((vec![p.step("name", name, link, Nsec3Use::Matches)?], Nodata::Matched));
    }
    let (mut steps, ce, opt_out) = p.closest_encloser(name, zone)?;
    if rtype == RecordType::DS {
        if !opt_out {
            return Err(ValidationError::NoOptOut { name: name.to_string() });
        }
        return Ok((steps, Nodata::OptOut));
    }
    // §8.7: a wildcard that exists at the closest encloser, without the type.
    let wildcard = wildcard_at(&ce)?;
    let link = p.matching(&wildcard)?.ok_or_else(|| ValidationError::NoNsec {
        name: name.to_string(),
        rtype,
    })?;
    lacks(link, &wildcard)?;
    steps.push(p.step("wildcard", &wildcard, link, Nsec3Use::Matches)?);
    Ok((steps, Nodata::Matched))
}

/// RFC 5155 §8.8: an answer expanded from the wildcard at `closest_encloser` is proven when the
/// next closer name of `name` is covered: `name` itself does not exist.
pub fn proves_wildcard_answer(
    authority: &[Record],
    zone: &Name,
    name: &Name,
    closest_encloser: &Name,
    keys: &[DNSKEY],
    now: u32,
) -> Result<Vec<Nsec3Step>, ValidationError> {
    let p = Prover::new(authority, zone, keys, now)?;
    let labels = closest_encloser.num_labels() + 1;
    let next_closer = name.trim_to(usize::from(labels));
    Ok(vec![p.covered("next closer", &next_closer)?.0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::events::Nsec3Use;

    /// RFC 5155 Appendix A: salt AABBCCDD, 12 extra iterations; the hashes of its example zone.
    #[test]
    fn hashes_of_rfc5155_appendix_a() {
        let salt = [0xaa, 0xbb, 0xcc, 0xdd];
        for (name, expected) in [
            ("example.", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"),
            ("a.example.", "35mthgpgcu1qg68fab165klnsnk3dpvl"),
            ("ai.example.", "gjeqe526plbf1g8mklp59enfd789njgi"),
            ("ns1.example.", "2t7b4g4vsa5smi47k61mv5bv1a22bojr"),
            ("w.example.", "k8udemvp1j2f7eg6jebps17vp3n8i58h"),
            ("*.w.example.", "r53bq7cc2uvmubfu5ocmm6pers9tk9en"),
            ("x.w.example.", "b4um86eghhds6nea196smvmlo4ors995"),
        ] {
            let name = Name::from_ascii(name).unwrap();
            assert_eq!(hash(&name, &salt, 12).as_deref(), Some(expected), "{name}");
        }
    }

    #[test]
    fn the_wildcard_at_a_name_is_one_label_longer() {
        let w = wildcard_at(&Name::from_ascii("example.net.").unwrap()).unwrap();
        assert_eq!(w.to_string(), "*.example.net.");
        assert!(w.is_wildcard());
    }

    /// An unsigned NSEC3 chain of `z.` holding `z.` and `a.z.` (or only `a.z.`).
    fn chain_of(with_apex: bool) -> Vec<Record> {
        chain_with(with_apex, 0)
    }

    /// The chain of [`chain_of`], its records saying `iterations` extra iterations.
    fn chain_with(with_apex: bool, iterations: u16) -> Vec<Record> {
        let zone = Name::from_ascii("z.").unwrap();
        let names = [zone.clone(), Name::from_ascii("a.z.").unwrap()];
        let raw = |n: &Name| Nsec3HashAlgorithm::SHA1.hash(&[], n, 0).unwrap().as_ref().to_vec();
        let mut records = Vec::new();
        for (i, n) in names.iter().enumerate() {
            if i == 0 && !with_apex {
                continue;
            }
            let next = raw(&names[(i + 1) % names.len()]);
            let rdata = NSEC3::new(
                Nsec3HashAlgorithm::SHA1,
                false,
                iterations,
                vec![],
                next,
                [RecordType::A],
            );
            let owner = Name::from_ascii(hash(n, &[], 0).unwrap())
                .unwrap()
                .append_domain(&zone)
                .unwrap();
            records.push(Record::from_rdata(owner, 300, RData::DNSSEC(DNSSECRData::NSEC3(rdata))));
        }
        records
    }

    /// A proof whose records carry no RRSIG is broken (the walk calls it Bogus).
    #[test]
    fn an_unsigned_nsec3_proof_fails() {
        let zone = Name::from_ascii("z.").unwrap();
        let nope = Name::from_ascii("nope.z.").unwrap();
        assert!(present(&chain_of(true), &zone));
        let err = proves_nxdomain(&chain_of(true), &zone, &nope, &[], 0).unwrap_err();
        assert!(
            matches!(
                err,
                ValidationError::NoRrsig {
                    rtype: RecordType::NSEC3,
                    ..
                }
            ),
            "{err}"
        );
    }

    /// A zone asking 65,535 iterations is refused before a single hash is computed (RFC 9276).
    #[test]
    fn too_many_iterations_are_refused_before_hashing() {
        let zone = Name::from_ascii("z.").unwrap();
        let nope = Name::from_ascii("nope.z.").unwrap();
        let began = std::time::Instant::now();
        let err = proves_nxdomain(&chain_with(true, u16::MAX), &zone, &nope, &[], 0).unwrap_err();
        assert_eq!(
            err,
            ValidationError::Nsec3Iterations {
                zone: "z.".into(),
                iterations: u16::MAX,
                limit: MAX_ITERATIONS
            }
        );
        assert!(began.elapsed() < std::time::Duration::from_millis(50));
        // At the limit the proof goes on to hash (and fails here for other reasons: these
        // owners were hashed with no extra iterations).
        let err = proves_nxdomain(&chain_with(true, MAX_ITERATIONS), &zone, &nope, &[], 0).unwrap_err();
        assert!(!matches!(err, ValidationError::Nsec3Iterations { .. }), "{err}");
    }

    /// Without an NSEC3 matching an ancestor, there is no closest encloser (RFC 5155 §8.3).
    #[test]
    fn no_closest_encloser_without_a_matching_ancestor() {
        let zone = Name::from_ascii("z.").unwrap();
        let nope = Name::from_ascii("nope.z.").unwrap();
        let err = proves_nxdomain(&chain_of(false), &zone, &nope, &[], 0).unwrap_err();
        assert_eq!(err, ValidationError::NoClosestEncloser { name: "nope.z.".into() });
        let err = proves_nxdomain(&[], &zone, &nope, &[], 0).unwrap_err();
        assert_eq!(err, ValidationError::NoNsec3 { zone: "z.".into() });
    }

    /// A wildcard answer needs its next closer name covered by a signed NSEC3 (RFC 5155 §8.8).
    #[test]
    fn a_wildcard_answer_without_a_signed_cover_fails() {
        let zone = Name::from_ascii("z.").unwrap();
        let name = Name::from_ascii("x.a.z.").unwrap();
        let encloser = Name::from_ascii("a.z.").unwrap();
        let err = proves_wildcard_answer(&[], &zone, &name, &encloser, &[], 0).unwrap_err();
        assert_eq!(err, ValidationError::NoNsec3 { zone: "z.".into() });
        let err = proves_wildcard_answer(&chain_of(true), &zone, &name, &encloser, &[], 0).unwrap_err();
        assert!(
            matches!(
                err,
                ValidationError::NoRrsig {
                    rtype: RecordType::NSEC3,
                    ..
                }
            ),
            "{err}"
        );
    }

    /// `records` each signed by a fresh Ed25519 key of `z.`, valid around `now`; the key's DNSKEY.
    fn signed(records: Vec<Record>, now: u32) -> (Vec<Record>, DNSKEY) {
        use hickory_proto::dnssec::crypto::Ed25519SigningKey;
        use hickory_proto::dnssec::rdata::{SigInput, RRSIG};
        use hickory_proto::dnssec::{Algorithm, DnssecSigner, SigningKey, TBS};
        use hickory_proto::rr::{DNSClass, SerialNumber};
        let pkcs8 = Ed25519SigningKey::generate_pkcs8().unwrap();
        let key = Ed25519SigningKey::from_pkcs8(&pkcs8).unwrap();
        let dnskey = DNSKEY::new(true, true, false, key.to_public_key().unwrap());
        let zone = Name::from_ascii("z.").unwrap();
        let signer = DnssecSigner::new(
            dnskey.clone(),
            Box::new(key),
            zone.clone(),
            std::time::Duration::from_secs(3600),
        );
        let mut out = Vec::new();
        for r in records {
            let input = SigInput {
                type_covered: RecordType::NSEC3,
                algorithm: Algorithm::ED25519,
                num_labels: r.name.num_labels(),
                original_ttl: r.ttl,
                sig_expiration: SerialNumber::new(now + 3600),
                sig_inception: SerialNumber::new(now - 3600),
                key_tag: dnskey.calculate_key_tag().unwrap(),
                signer_name: zone.clone(),
            };
            let tbs = TBS::from_input(&r.name, DNSClass::IN, &input, std::iter::once(&r)).unwrap();
            let sig = RRSIG::from_sig(input, signer.sign(&tbs).unwrap());
            let rrsig = Record::from_rdata(r.name.clone(), r.ttl, RData::DNSSEC(DNSSECRData::RRSIG(sig)));
            out.push(r);
            out.push(rrsig);
        }
        (out, dnskey)
    }

    /// A signed chain proves NXDOMAIN with its three names; the same chain with one record
    /// altered after signing does not verify, so the proof is broken (the walk's Bogus).
    #[test]
    fn a_signed_chain_proves_nxdomain_and_a_tampered_one_does_not() {
        let now = 1_800_000_000;
        let zone = Name::from_ascii("z.").unwrap();
        let nope = Name::from_ascii("nope.z.").unwrap();
        let (records, key) = signed(chain_of(true), now);
        let steps = proves_nxdomain(&records, &zone, &nope, std::slice::from_ref(&key), now).unwrap();
        let roles: Vec<(&str, &str, Nsec3Use)> = steps
            .iter()
            .map(|s| (s.role.as_str(), s.name.as_str(), s.relation))
            .collect();
        assert_eq!(
            roles,
            [
                ("closest encloser", "z.", Nsec3Use::Matches),
                ("next closer", "nope.z.", Nsec3Use::Covers),
                ("wildcard", "*.z.", Nsec3Use::Covers),
            ]
        );
        assert_eq!(steps[1].hash, hash(&nope, &[], 0).unwrap());
        // An opt-out flag set after signing: the data no longer matches its signature.
        let tampered: Vec<Record> = records
            .into_iter()
            .map(|mut r| {
                if let RData::DNSSEC(DNSSECRData::NSEC3(n)) = &r.data {
                    let next = n.next_hashed_owner_name().to_vec();
                    let types: Vec<RecordType> = n.type_bit_maps().collect();
                    r.data = RData::DNSSEC(DNSSECRData::NSEC3(NSEC3::new(
                        Nsec3HashAlgorithm::SHA1,
                        true,
                        0,
                        vec![],
                        next,
                        types,
                    )));
                }
                r
            })
            .collect();
        let err = proves_nxdomain(&tampered, &zone, &nope, &[key], now).unwrap_err();
        assert!(
            matches!(
                err,
                ValidationError::BadSignature {
                    rtype: RecordType::NSEC3,
                    ..
                }
            ),
            "{err}"
        );
    }
}
