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
    let key = cert.public_key();
    let key_desc = match key.parsed() {
        Ok(x509_parser::public_key::PublicKey::EC(p)) => format!("EC key ({} bits)", p.key_size()),
        Ok(x509_parser::public_key::PublicKey::RSA(r)) => format!("RSA key ({} bits)", r.key_size()),
        Ok(_) => format!("{} key", key.algorithm.algorithm),
        Err(_) => "unreadable key".to_string(),
    };
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
    match oid.to_id_string().as_str() {
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256".into(),
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384".into(),
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption".into(),
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption".into(),
        "1.2.840.113549.1.1.10" => "RSASSA-PSS".into(),
        "1.3.101.112" => "Ed25519".into(),
        other => other.to_string(),
    }
}
