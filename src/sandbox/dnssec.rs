//! DNSSEC for the sandbox (RFC 4033-4035): a fresh Ed25519 key for each signed zone, DS records
//! in the parents, and hickory-server's signer for the RRSIGs and the NSEC chain. One key per
//! zone plays both roles (a "combined signing key": flags 257, zone key and secure entry point).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

use hickory_proto::dnssec::crypto::Ed25519SigningKey;
use hickory_proto::dnssec::rdata::{DNSKEY, DS};
use hickory_proto::dnssec::{Algorithm, DigestType, DnssecSigner, SigningKey};
use hickory_proto::rr::Name;
use rustls_pki_types::PrivatePkcs8KeyDer;

use super::world::{zone_name, BOGUS_DS, SIGNED};
use crate::error::{Error, Result};

/// How long the sandbox's signatures are valid.
const SIGNATURE_VALIDITY: Duration = Duration::from_secs(7 * 24 * 3600);

/// One zone's key: the private half as PKCS#8 (so each server serving the zone can make its own
/// signer) and the public DNSKEY.
#[derive(Clone)]
pub struct ZoneKey {
    pkcs8: Vec<u8>,
    pub dnskey: DNSKEY,
}

impl ZoneKey {
    fn generate() -> Result<ZoneKey> {
        let bad = |e: String| Error::usage("sandbox DNSSEC key", e, "report this");
        let pkcs8 = Ed25519SigningKey::generate_pkcs8().map_err(|e| bad(e.to_string()))?;
        let key = Ed25519SigningKey::from_pkcs8(&pkcs8).map_err(|e| bad(e.to_string()))?;
        let public = key.to_public_key().map_err(|e| bad(e.to_string()))?;
        Ok(ZoneKey {
            pkcs8: pkcs8.secret_pkcs8_der().to_vec(),
            dnskey: DNSKEY::new(true, true, false, public),
        })
    }

    /// A signer for `zone` with this key.
    pub fn signer(&self, zone: &Name) -> Result<DnssecSigner> {
        let key = Ed25519SigningKey::from_pkcs8(&PrivatePkcs8KeyDer::from(self.pkcs8.clone()))
            .map_err(|e| Error::usage("sandbox DNSSEC key", e.to_string(), "report this"))?;
        Ok(DnssecSigner::new(
            self.dnskey.clone(),
            Box::new(key),
            zone.clone(),
            SIGNATURE_VALIDITY,
        ))
    }

    /// The DS record data for this key at `zone` (SHA-256 digest, RFC 4509).
    fn ds(&self, zone: &Name) -> Result<DS> {
        let bad = |e: String| Error::usage("sandbox DS record", e, "report this");
        let digest = self
            .dnskey
            .to_digest(zone, DigestType::SHA256)
            .map_err(|e| bad(e.to_string()))?;
        let tag = self.dnskey.calculate_key_tag().map_err(|e| bad(e.to_string()))?;
        Ok(DS::new(
            tag,
            Algorithm::ED25519,
            DigestType::SHA256,
            digest.as_ref().to_vec(),
        ))
    }
}

/// Keys for every signed zone, and the DS lines each parent zone gets.
pub struct Keys {
    pub keys: HashMap<String, ZoneKey>,
    /// Parent stem -> master-file lines with its children's DS records.
    pub ds_lines: HashMap<String, String>,
}

impl Keys {
    /// Fresh keys for the signed zones; a bogus zone's DS is computed from a key it never uses.
    pub fn generate() -> Result<Keys> {
        let mut keys = HashMap::new();
        for (stem, _) in SIGNED {
            keys.insert(stem.to_string(), ZoneKey::generate()?);
        }
        let mut ds_lines: HashMap<String, String> = HashMap::new();
        for (stem, parent) in SIGNED {
            let Some(parent) = parent else { continue };
            let zone = Name::from_ascii(zone_name(stem))
                .map_err(|e| Error::usage("sandbox zone", e.to_string(), "report this"))?;
            let key = if BOGUS_DS.contains(stem) {
                ZoneKey::generate()?
            } else {
                keys[*stem].clone()
            };
            let ds = key.ds(&zone)?;
            let _ = writeln!(
                ds_lines.entry(parent.to_string()).or_default(),
                "{} 86400 IN DS {ds}",
                zone_name(stem)
            );
        }
        Ok(Keys { keys, ds_lines })
    }

    /// The trust anchor: the root zone's DNSKEY.
    pub fn root_anchor(&self) -> DNSKEY {
        self.keys["root"].dnskey.clone()
    }
}
