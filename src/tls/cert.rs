//! One line about an X.509 certificate (RFC 5280): subject, issuer, names, validity, key and
//! signature algorithm.

use x509_parser::prelude::*;

/// Describes a DER certificate in one line (or says why it does not parse), with its subject
/// and issuer when it parses.
pub fn describe(der: &[u8]) -> (String, Option<(String, String)>) {
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return (format!("{} octets that do not parse as a certificate", der.len()), None);
    };
    let parties = Some((cert.subject().to_string(), cert.issuer().to_string()));
    let names: Vec<String> = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .map(|n| match n {
                    GeneralName::DNSName(d) => d.to_string(),
                    GeneralName::IPAddress(ip) => match ip.len() {
                        4 => std::net::Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]).to_string(),
                        _ => format!("ip {}", ip.len()),
                    },
                    other => format!("{other:?}"),
                })
                .collect()
        })
        .unwrap_or_default();
    let key_desc = key_description(&cert);
    let sig = oid_name(&cert.signature_algorithm.algorithm);
    let line = format!(
        "subject {}; issuer {}; names [{}]; valid {} to {}; {key_desc}; signed with {sig}",
        cert.subject(),
        cert.issuer(),
        names.join(", "),
        cert.validity().not_before.to_rfc2822().unwrap_or_default(),
        cert.validity().not_after.to_rfc2822().unwrap_or_default(),
    );
    (line, parties)
}

fn oid_name(oid: &x509_parser::der_parser::oid::Oid) -> String {
    let dotted = oid.to_id_string();
    algorithm_name(&dotted).map_or(dotted, str::to_string)
}

/// What a chain check reads from one certificate (RFC 5280 §4.1, §4.2): the fields each check of
/// [`super::verify`] looks at, decoded once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The subject and issuer as strings (`CN=...`), and as their DER, which is what a path
    /// builder compares (RFC 5280 §4.1.2.4, §4.1.2.6).
    pub subject: String,
    pub issuer: String,
    pub subject_der: Vec<u8>,
    pub issuer_der: Vec<u8>,
    /// The validity window in seconds since the Unix epoch (RFC 5280 §4.1.2.5).
    pub not_before: i64,
    pub not_after: i64,
    /// The subjectAltName's DNS names and IP addresses (RFC 5280 §4.2.1.6).
    pub dns_names: Vec<String>,
    pub ip_names: Vec<std::net::IpAddr>,
    /// basicConstraints (RFC 5280 §4.2.1.9): `None` when the extension is absent.
    pub ca: Option<bool>,
    pub path_len: Option<u32>,
    /// The keyUsage bits that are set (RFC 5280 §4.2.1.3): `None` when the extension is absent.
    pub key_usage: Option<Vec<&'static str>>,
    /// nameConstraints (RFC 5280 §4.2.1.10): the permitted and excluded DNS subtrees.
    pub permitted_dns: Vec<String>,
    pub excluded_dns: Vec<String>,
    /// Whether the certificate has a nameConstraints extension at all.
    pub name_constraints: bool,
    /// The signature algorithm's name (or its OID when netlab has no name for it).
    pub signature_algorithm: String,
    /// The key, e.g. `EC key (256 bits)`.
    pub key: String,
}

/// The [`Facts`] of a DER certificate, or `None` when it does not parse.
pub fn facts(der: &[u8]) -> Option<Facts> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let mut f = Facts {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        subject_der: cert.subject().as_raw().to_vec(),
        issuer_der: cert.issuer().as_raw().to_vec(),
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        signature_algorithm: oid_name(&cert.signature_algorithm.algorithm),
        key: key_description(&cert),
        ..Facts::default()
    };
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            match n {
                GeneralName::DNSName(d) => f.dns_names.push(d.to_string()),
                GeneralName::IPAddress(ip) => {
                    if let Some(ip) = ip_of(ip) {
                        f.ip_names.push(ip);
                    }
                }
                _ => {}
            }
        }
    }
    if let Ok(Some(bc)) = cert.basic_constraints() {
        f.ca = Some(bc.value.ca);
        f.path_len = bc.value.path_len_constraint;
    }
    if let Ok(Some(ku)) = cert.key_usage() {
        let k = ku.value;
        let bits = [
            (k.digital_signature(), "digitalSignature"),
            (k.non_repudiation(), "nonRepudiation"),
            (k.key_encipherment(), "keyEncipherment"),
            (k.data_encipherment(), "dataEncipherment"),
            (k.key_agreement(), "keyAgreement"),
            (k.key_cert_sign(), "keyCertSign"),
            (k.crl_sign(), "cRLSign"),
            (k.encipher_only(), "encipherOnly"),
            (k.decipher_only(), "decipherOnly"),
        ];
        f.key_usage = Some(bits.iter().filter(|(on, _)| *on).map(|(_, n)| *n).collect());
    }
    if let Ok(Some(nc)) = cert.name_constraints() {
        f.name_constraints = true;
        let dns = |trees: &Option<Vec<x509_parser::extensions::GeneralSubtree>>| -> Vec<String> {
            trees
                .iter()
                .flatten()
                .filter_map(|t| match &t.base {
                    GeneralName::DNSName(d) => Some(d.to_string()),
                    _ => None,
                })
                .collect()
        };
        f.permitted_dns = dns(&nc.value.permitted_subtrees);
        f.excluded_dns = dns(&nc.value.excluded_subtrees);
    }
    Some(f)
}

fn ip_of(octets: &[u8]) -> Option<std::net::IpAddr> {
    match octets.len() {
        4 => <[u8; 4]>::try_from(octets).ok().map(std::net::IpAddr::from),
        16 => <[u8; 16]>::try_from(octets).ok().map(std::net::IpAddr::from),
        _ => None,
    }
}

fn key_description(cert: &X509Certificate<'_>) -> String {
    let key = cert.public_key();
    match key.parsed() {
        Ok(x509_parser::public_key::PublicKey::EC(p)) => format!("EC key ({} bits)", p.key_size()),
        Ok(x509_parser::public_key::PublicKey::RSA(r)) => format!("RSA key ({} bits)", r.key_size()),
        Ok(_) => format!("{} key", oid_name(&key.algorithm.algorithm)),
        Err(_) => "unreadable key".to_string(),
    }
}

/// The name of a signature algorithm from the DER of its OID (tag 6, length, then the arcs), as
/// rustls reports an unsupported one; the dotted OID when netlab has no name for it.
pub fn signature_algorithm_from_der(der: &[u8]) -> String {
    match der {
        [6, len, arcs @ ..] if usize::from(*len) == arcs.len() => {
            let dotted = x509_parser::der_parser::oid::Oid::new(std::borrow::Cow::Borrowed(arcs)).to_id_string();
            algorithm_name(&dotted).map_or(dotted.clone(), |n| format!("{n} ({dotted})"))
        }
        _ => format!("an algorithm identifier netlab cannot read ({} octets)", der.len()),
    }
}

/// Signature algorithms by OID (RFC 5758, RFC 8017 appendix C, RFC 8410, FIPS 204).
fn algorithm_name(dotted: &str) -> Option<&'static str> {
    Some(match dotted {
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.1" => "ecdsa-with-SHA224",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.2.840.113549.1.1.2" => "md2WithRSAEncryption",
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.14" => "sha224WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.113549.1.1.1" => "rsaEncryption",
        "1.2.840.10045.2.1" => "id-ecPublicKey",
        "1.2.840.10040.4.3" => "dsa-with-sha1",
        "2.16.840.1.101.3.4.3.2" => "dsa-with-sha256",
        "2.16.840.1.101.3.4.3.17" => "ML-DSA-44",
        "2.16.840.1.101.3.4.3.18" => "ML-DSA-65",
        "2.16.840.1.101.3.4.3.19" => "ML-DSA-87",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.2.156.10197.1.501" => "SM2-with-SM3",
        _ => return None,
    })
}
