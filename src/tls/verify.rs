//! The certificate check at the Certificate step (RFC 8446 §4.4.2.2, RFC 5280 §6.1): the chain
//! as a client builds it from what the server sent (leaf → intermediates → a trusted root, or
//! where building stopped), what each link's fields say for each check, and rustls's verdict in
//! plain words ([`super::verdict`]), with the alert the client sends when it refuses.

use serde::{Deserialize, Serialize};

use super::cert::{facts, Facts};
use super::insecure::Checked;
use super::verdict::{self, date, shown_name, span, CheckKind, Context, Finding};

/// A trust anchor: the subject a chain must end at (RFC 5280 §6.1.1 d).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// The subject as a whole DER Name (tag and length included), as certificates carry it.
    pub subject_der: Vec<u8>,
    pub subject: String,
}

/// The anchors of a root store (their subjects are stored without the outer SEQUENCE header).
pub fn anchors(store: &rustls::RootCertStore) -> Vec<Anchor> {
    store
        .roots
        .iter()
        .map(|a| {
            let value = a.subject.as_ref();
            let mut der = vec![0x30];
            match value.len() {
                n if n < 0x80 => der.push(n as u8),
                n if n < 0x100 => der.extend([0x81, n as u8]),
                n => der.extend([0x82, (n >> 8) as u8, n as u8]),
            }
            der.extend_from_slice(value);
            let subject = x509_parser::x509::X509Name::from_der(&der)
                .map(|(_, n)| n.to_string())
                .unwrap_or_default();
            Anchor {
                subject_der: der,
                subject,
            }
        })
        .collect()
}

use x509_parser::prelude::FromDer;

/// `tls.verify`: the client's check of the server's certificate chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    /// The chain as the client built it: the leaf, the intermediates that issued it, and the
    /// trusted root it reached (`role` says which).
    pub chain: Vec<VerifiedLink>,
    /// Where building stopped, when it did not reach a trusted root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// rustls's verdict on the chain.
    pub verified: bool,
    /// `chain verified: leaf CN=… → … → trusted root CN=…`, or the failed check in plain words.
    pub verdict: String,
    /// The RFC section of the failed check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rfc: Option<String>,
    /// The alert the client sent to refuse the chain (RFC 8446 §6.2), e.g. `certificate_expired`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
    /// `--insecure`: a failed chain was let pass.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure: bool,
    /// The CertificateVerify signature failed although the chain verified: what went wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handshake_signature: Option<String>,
}

/// One certificate of the built chain and what was checked on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedLink {
    /// `leaf`, `intermediate` or `trusted root`.
    pub role: String,
    pub subject: String,
    /// Its index in the server's Certificate message; `None` for a root from the client's store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_as: Option<usize>,
    pub checks: Vec<CheckDone>,
}

/// One check on one certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckDone {
    pub check: CheckKind,
    pub status: Status,
    pub detail: String,
}

/// How a check came out: passed or failed, or not reached because rustls stopped at an earlier
/// failure (a check netlab cannot redo from the fields alone, such as a signature).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    Failed,
    NotReached,
}

/// The verdict on a failed chain check, in plain words: for a certificate error the sentence
/// of [`verdict::explain`], for anything else rustls's own words.
pub fn finding(checked: &Checked, chain: &[Option<Facts>]) -> Option<Finding> {
    let e = checked.chain_result.as_ref().err()?;
    let cx = Context {
        chain,
        server_name: &checked.server_name,
        now: checked.now,
    };
    Some(match e {
        rustls::Error::InvalidCertificate(c) => verdict::explain(c, &cx),
        other => Finding {
            text: format!("the certificate check failed: {other}"),
            rfc: "RFC 5280 §6.1",
            check: CheckKind::Policy,
            cert: None,
        },
    })
}

/// A failed chain check in plain words with its RFC section, from what the verifier recorded
/// (`None` when the chain verified).
pub fn said(checked: &Checked) -> Option<String> {
    let chain: Vec<Option<Facts>> = checked.chain.iter().map(|c| facts(c)).collect();
    finding(checked, &chain).map(|f| format!("{} ({})", f.text, f.rfc))
}

/// The alert rustls sends for a refused chain (its own mapping, RFC 8446 §6.2).
fn alert_for(e: &rustls::Error) -> String {
    let desc = match e {
        rustls::Error::InvalidCertificate(c) => rustls::AlertDescription::from(c.clone()),
        rustls::Error::PeerMisbehaved(_) => rustls::AlertDescription::IllegalParameter,
        _ => rustls::AlertDescription::HandshakeFailure,
    };
    snake(&format!("{desc:?}"))
}

/// `BadCertificate` → `bad_certificate`; `UnknownCA` → `unknown_ca` (RFC 8446 §6's spelling).
fn snake(camel: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = camel.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        let after_lower = i > 0 && chars[i - 1].is_lowercase();
        if c.is_uppercase() && after_lower {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// The chain as built: indexes into the sent chain from the leaf up, each issued by the next,
/// and the trust anchor that issued the last one, if one did.
fn build<'a>(chain: &[Option<Facts>], anchors: &'a [Anchor]) -> (Vec<usize>, Option<&'a Anchor>) {
    let mut path = vec![0];
    loop {
        let Some(cur) = path.last().and_then(|&i| chain.get(i)).and_then(Option::as_ref) else {
            return (path, None);
        };
        if let Some(a) = anchors.iter().find(|a| a.subject_der == cur.issuer_der) {
            return (path, Some(a));
        }
        let next = (0..chain.len())
            .find(|j| !path.contains(j) && chain[*j].as_ref().is_some_and(|f| f.subject_der == cur.issuer_der));
        match next {
            Some(j) => path.push(j),
            None => return (path, None),
        }
    }
}

/// What the trace shows of one certificate check.
pub fn verification(checked: &Checked, anchors: &[Anchor], insecure: bool) -> Verification {
    let chain: Vec<Option<Facts>> = checked.chain.iter().map(|c| facts(c)).collect();
    let found = finding(checked, &chain);
    let ok = found.is_none();
    let (path, root) = build(&chain, anchors);
    let mut links = Vec::new();
    for (k, &i) in path.iter().enumerate() {
        let role = if k == 0 { "leaf" } else { "intermediate" };
        let Some(f) = chain[i].as_ref() else {
            links.push(VerifiedLink {
                role: role.into(),
                subject: "(does not decode)".into(),
                sent_as: Some(i),
                checks: vec![CheckDone {
                    check: CheckKind::Encoding,
                    status: Status::Failed,
                    detail: "its DER does not decode as an X.509 certificate".into(),
                }],
            });
            continue;
        };
        let issued = &path[..k];
        let checks = link_checks(
            checked,
            &chain,
            i,
            f,
            issued,
            ok,
            found.as_ref(),
            root.is_some() || k + 1 < path.len(),
        );
        links.push(VerifiedLink {
            role: role.into(),
            subject: shown_name(&f.subject),
            sent_as: Some(i),
            checks,
        });
    }
    let stopped = match (root, path.last().and_then(|&i| chain[i].as_ref())) {
        (None, Some(last)) if last.subject_der == last.issuer_der => Some(format!(
            "{} is self-signed and not in the client's trust store",
            shown_name(&last.subject)
        )),
        (None, Some(last)) if last.issuer.is_empty() => {
            Some("the last certificate has an empty issuer name: there is no issuer to look for".to_string())
        }
        (None, Some(last)) => Some(format!(
            "no certificate the server sent and no root the client trusts is {}",
            shown_name(&last.issuer)
        )),
        (None, None) => Some("the leaf does not decode, so no path can be built".to_string()),
        (Some(_), _) => None,
    };
    if let Some(a) = root {
        links.push(VerifiedLink {
            role: "trusted root".into(),
            subject: shown_name(&a.subject),
            sent_as: None,
            checks: vec![CheckDone {
                check: CheckKind::Issuer,
                status: Status::Passed,
                detail: "in the client's trust store: the chain's anchor".into(),
            }],
        });
    }
    let verdict = match &found {
        None => {
            let names: Vec<String> = links
                .iter()
                .map(|l| match l.role.as_str() {
                    "intermediate" => l.subject.clone(),
                    role => format!("{role} {}", l.subject),
                })
                .collect();
            format!("chain verified: {}", names.join(" → "))
        }
        Some(f) => f.text.clone(),
    };
    let handshake_signature = match (&checked.chain_result, &checked.signature_result) {
        (Ok(()), Some(Err(e))) => Some(signature_failure(e, chain.first().and_then(Option::as_ref))),
        _ => None,
    };
    Verification {
        chain: links,
        stopped,
        verified: ok,
        verdict,
        rfc: found.as_ref().map(|f| f.rfc.to_string()),
        alert: checked.chain_result.as_ref().err().filter(|_| !insecure).map(alert_for),
        insecure: insecure && !ok,
        handshake_signature,
    }
}

/// The CertificateVerify signature failed after the chain verified: the chain is not to blame.
pub fn signature_failure(e: &rustls::Error, leaf: Option<&Facts>) -> String {
    let key = leaf.map_or("the leaf's key".to_string(), |f| format!("the leaf's {}", f.key));
    let why = match e {
        rustls::Error::InvalidCertificate(rustls::CertificateError::BadSignature) => {
            "the server signed with a key other than its certificate's, or with one too weak for the verifier (such as RSA under 2048 bits)".to_string()
        }
        other => other.to_string(),
    };
    format!("the chain verified, but the server's CertificateVerify signature over the handshake does not verify with {key}: {why} (RFC 8446 §4.4.3)")
}

#[allow(clippy::too_many_arguments)]
fn link_checks(
    checked: &Checked,
    chain: &[Option<Facts>],
    i: usize,
    f: &Facts,
    issued: &[usize],
    ok: bool,
    found: Option<&Finding>,
    has_issuer: bool,
) -> Vec<CheckDone> {
    let now = checked.now;
    // A check this finding names fails; otherwise a verified chain passed it, and a failed one
    // passed it when netlab can read so from the fields, or did not reach it.
    let status = |check: CheckKind, from_fields: Option<bool>| -> Status {
        if found.is_some_and(|x| x.cert == Some(i) && x.check == check) {
            return Status::Failed;
        }
        match (ok, from_fields) {
            (true, _) => Status::Passed,
            (false, Some(true)) => Status::Passed,
            (false, Some(false)) => Status::Failed,
            (false, None) => Status::NotReached,
        }
    };
    let failed_text = |check: CheckKind| {
        found
            .filter(|x| x.cert == Some(i) && x.check == check)
            .map(|x| x.text.clone())
    };
    let mut checks = Vec::new();
    let signer = if has_issuer {
        format!("signed by {} with {}", shown_name(&f.issuer), f.signature_algorithm)
    } else {
        format!(
            "signed with {} by {}, which the client could not find",
            f.signature_algorithm,
            shown_name(&f.issuer)
        )
    };
    checks.push(CheckDone {
        check: CheckKind::Signature,
        status: if has_issuer {
            status(CheckKind::Signature, None)
        } else {
            Status::NotReached
        },
        detail: failed_text(CheckKind::Signature).unwrap_or(signer),
    });
    let in_window = f.not_before <= now && now <= f.not_after;
    let window = format!("valid {} to {}", date(f.not_before), date(f.not_after));
    let detail = if now > f.not_after {
        format!(
            "{window}: expired on {}, {} before this handshake",
            date(f.not_after),
            span(f.not_after, now)
        )
    } else if now < f.not_before {
        format!(
            "{window}: not valid until {}, {} after this handshake",
            date(f.not_before),
            span(now, f.not_before)
        )
    } else {
        format!("{window}: this handshake is inside the window")
    };
    checks.push(CheckDone {
        check: CheckKind::Validity,
        status: status(CheckKind::Validity, Some(in_window)),
        detail,
    });
    if issued.is_empty() {
        let names: Vec<String> = f
            .dns_names
            .iter()
            .cloned()
            .chain(f.ip_names.iter().map(ToString::to_string))
            .collect();
        checks.push(CheckDone {
            check: CheckKind::Name,
            status: status(CheckKind::Name, None),
            detail: failed_text(CheckKind::Name)
                .unwrap_or_else(|| format!("{} against subjectAltName [{}]", checked.server_name, names.join(", "))),
        });
        checks.push(CheckDone {
            check: CheckKind::BasicConstraints,
            status: status(CheckKind::BasicConstraints, Some(f.ca != Some(true))),
            detail: match f.ca {
                Some(true) => "basicConstraints cA=TRUE: a CA certificate, not a server's".into(),
                Some(false) => "basicConstraints cA=FALSE: an end-entity certificate".into(),
                None => "no basicConstraints: an end-entity certificate".into(),
            },
        });
        if let Some(ku) = &f.key_usage {
            checks.push(CheckDone {
                check: CheckKind::KeyUsage,
                status: status(CheckKind::KeyUsage, Some(ku.contains(&"digitalSignature"))),
                detail: format!(
                    "keyUsage {}: the key must sign the handshake (digitalSignature)",
                    ku.join(", ")
                ),
            });
        }
    } else {
        let below = issued.len() - 1;
        checks.push(CheckDone {
            check: CheckKind::BasicConstraints,
            status: status(CheckKind::BasicConstraints, Some(f.ca == Some(true))),
            detail: failed_text(CheckKind::BasicConstraints).unwrap_or_else(|| match f.ca {
                Some(true) => "basicConstraints cA=TRUE: may issue certificates".into(),
                _ => "not a CA certificate (basicConstraints cA is not TRUE), yet it issued the one below".into(),
            }),
        });
        if let Some(n) = f.path_len {
            checks.push(CheckDone {
                check: CheckKind::PathLength,
                status: status(CheckKind::PathLength, Some(below as u64 <= u64::from(n))),
                detail: format!("pathLenConstraint {n}: {below} intermediate CA certificate(s) below it"),
            });
        }
        if let Some(ku) = &f.key_usage {
            checks.push(CheckDone {
                check: CheckKind::KeyUsage,
                status: status(CheckKind::KeyUsage, Some(ku.contains(&"keyCertSign"))),
                detail: format!("keyUsage {}: issuing needs keyCertSign", ku.join(", ")),
            });
        }
        if f.name_constraints {
            let outside = chain
                .first()
                .and_then(Option::as_ref)
                .map(|leaf| verdict::names_outside(leaf, f))
                .unwrap_or_default();
            let mut rules = Vec::new();
            if !f.permitted_dns.is_empty() {
                rules.push(format!("permitted {}", f.permitted_dns.join(", ")));
            }
            if !f.excluded_dns.is_empty() {
                rules.push(format!("excluded {}", f.excluded_dns.join(", ")));
            }
            checks.push(CheckDone {
                check: CheckKind::NameConstraints,
                status: status(CheckKind::NameConstraints, Some(outside.is_empty())),
                detail: failed_text(CheckKind::NameConstraints).unwrap_or_else(|| {
                    format!(
                        "nameConstraints {}: {}",
                        rules.join("; "),
                        if outside.is_empty() {
                            "the leaf's names fit".to_string()
                        } else {
                            format!("the leaf names {} outside them", outside.join(", "))
                        }
                    )
                }),
            });
        }
    }
    // A failure this link is blamed for that none of the checks above shows.
    if let Some(x) = found.filter(|x| x.cert == Some(i) && !checks.iter().any(|c| c.check == x.check)) {
        checks.push(CheckDone {
            check: x.check,
            status: Status::Failed,
            detail: x.text.clone(),
        });
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_handshake_signature_is_not_blamed_on_the_chain() {
        let leaf = Facts {
            key: "RSA key (1024 bits)".into(),
            ..Facts::default()
        };
        let said = signature_failure(
            &rustls::Error::InvalidCertificate(rustls::CertificateError::BadSignature),
            Some(&leaf),
        );
        assert!(said.starts_with("the chain verified, but the server's CertificateVerify signature over the handshake does not verify with the leaf's RSA key (1024 bits)"), "{said}");
        assert!(!said.contains("certificate chain does not verify"), "{said}");
    }

    #[test]
    fn alert_names_are_rfc_8446_spellings() {
        assert_eq!(snake("BadCertificate"), "bad_certificate");
        assert_eq!(snake("UnknownCA"), "unknown_ca");
        assert_eq!(snake("CertificateExpired"), "certificate_expired");
        assert_eq!(
            alert_for(&rustls::Error::InvalidCertificate(rustls::CertificateError::Expired)),
            "certificate_expired"
        );
        assert_eq!(
            alert_for(&rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer
            )),
            "unknown_ca"
        );
    }
}
