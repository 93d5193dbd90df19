//! A failed certificate check in plain words: every `rustls::CertificateError`, and every
//! `webpki::Error` (which rustls passes on inside `CertificateError::Other` when it has no variant
//! of its own), as one sentence naming the certificate and the field it concerns, with the
//! RFC 5280 section that defines the check (RFC 6125 / RFC 9525 for names).

use rustls::CertificateError as Cert;

use super::cert::{signature_algorithm_from_der, Facts};

/// Which check of a chain a failure concerns (one per kind of rule in RFC 5280 §6.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// The certificate's DER encoding (RFC 5280 §4.1).
    Encoding,
    /// notBefore and notAfter against the time of the handshake (§4.1.2.5).
    Validity,
    /// The name asked for against subjectAltName (RFC 9525 §6).
    Name,
    /// The issuer's signature on the certificate (§4.1.1.3).
    Signature,
    /// Finding an issuer, up to a trusted root (§6.1).
    Issuer,
    /// basicConstraints cA (§4.2.1.9).
    BasicConstraints,
    /// basicConstraints pathLenConstraint (§4.2.1.9).
    PathLength,
    /// keyUsage (§4.2.1.3).
    KeyUsage,
    /// extendedKeyUsage (§4.2.1.12).
    Purpose,
    /// nameConstraints (§4.2.1.10).
    NameConstraints,
    /// Other extensions, critical ones the checker does not know (§4.2).
    Extensions,
    /// Revocation (CRLs, OCSP; §6.3).
    Revocation,
    /// A limit or rule of the checker itself, not of RFC 5280.
    Policy,
}

/// One failure in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub text: String,
    pub rfc: &'static str,
    pub check: CheckKind,
    /// The certificate it concerns: its index in the chain the server sent (0: the leaf), when
    /// one can be named.
    pub cert: Option<usize>,
}

/// What the sentences can name: the certificates the server sent (leaf first; `None` for one
/// that does not parse), the name asked for, and the time of the handshake.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub chain: &'a [Option<Facts>],
    pub server_name: &'a str,
    /// Seconds since the Unix epoch.
    pub now: i64,
}

impl Context<'_> {
    fn facts(&self, i: usize) -> Option<&Facts> {
        self.chain.get(i).and_then(Option::as_ref)
    }

    /// "the leaf certificate CN=..." or "the certificate [1] CN=...".
    fn named(&self, i: usize) -> String {
        let subject = self.facts(i).map(|f| shown_name(&f.subject)).unwrap_or_default();
        match i {
            0 => format!("the leaf certificate {subject}").trim_end().to_string(),
            _ => format!("the certificate [{i}] {subject}").trim_end().to_string(),
        }
    }

    /// The first certificate for which `test` holds.
    fn find(&self, test: impl Fn(&Facts) -> bool) -> Option<usize> {
        (0..self.chain.len()).find(|&i| self.facts(i).is_some_and(&test))
    }
}

/// A distinguished name as shown, `(empty name)` for an empty one (RFC 5280 §4.1.2.4 requires a
/// non-empty issuer).
pub fn shown_name(name: &str) -> String {
    if name.is_empty() {
        "(an empty name)".to_string()
    } else {
        name.to_string()
    }
}

/// Seconds since the Unix epoch as `YYYY-MM-DD` (UTC).
pub fn date(secs: i64) -> String {
    let (y, m, d) = crate::calendar::civil_from_days(secs.max(0) / 86_400);
    format!("{y:04}-{m:02}-{d:02}")
}

/// How long `from` is before `to`, in the largest unit that says it ("6 years", "3 days", "5
/// hours").
pub fn span(from: i64, to: i64) -> String {
    let secs = to.saturating_sub(from).unsigned_abs();
    let (n, unit) = match secs {
        s if s >= 2 * 365 * 86_400 => (s / (365 * 86_400), "year"),
        s if s >= 2 * 86_400 => (s / 86_400, "day"),
        s if s >= 2 * 3600 => (s / 3600, "hour"),
        s if s >= 120 => (s / 60, "minute"),
        s => (s, "second"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

fn finding(text: String, rfc: &'static str, check: CheckKind, cert: Option<usize>) -> Finding {
    Finding { text, rfc, check, cert }
}

/// A rustls certificate error in plain words.
pub fn explain(e: &Cert, cx: &Context<'_>) -> Finding {
    use CheckKind as K;
    match e {
        Cert::BadEncoding => encoding(cx),
        Cert::Expired => expired(cx, cx.find(|f| f.not_after < cx.now)),
        Cert::ExpiredContext { not_after, .. } => {
            let at = not_after.as_secs() as i64;
            expired(cx, cx.find(|f| f.not_after == at).or_else(|| cx.find(|f| f.not_after < cx.now)))
        }
        Cert::NotValidYet => not_yet(cx, cx.find(|f| f.not_before > cx.now)),
        Cert::NotValidYetContext { not_before, .. } => {
            let at = not_before.as_secs() as i64;
            not_yet(cx, cx.find(|f| f.not_before == at).or_else(|| cx.find(|f| f.not_before > cx.now)))
        }
        Cert::Revoked => finding(
            "a certificate in the chain has been revoked by its issuer (it is on the issuer's certificate revocation list)".into(),
            "RFC 5280 §6.3",
            K::Revocation,
            None,
        ),
        Cert::UnhandledCriticalExtension => finding(
            "a certificate in the chain has an extension marked critical that the client does not know: a critical extension it cannot process makes the certificate unusable".into(),
            "RFC 5280 §4.2",
            K::Extensions,
            None,
        ),
        Cert::UnknownIssuer => unknown_issuer(cx),
        Cert::UnknownRevocationStatus => finding(
            "the revocation status of a certificate in the chain could not be determined (no revocation list covers it)".into(),
            "RFC 5280 §6.3",
            K::Revocation,
            None,
        ),
        Cert::ExpiredRevocationList => finding(
            "the revocation list for a certificate in the chain is out of date (past its nextUpdate)".into(),
            "RFC 5280 §5.1.2.5",
            K::Revocation,
            None,
        ),
        Cert::ExpiredRevocationListContext { next_update, .. } => {
            let at = next_update.as_secs() as i64;
            finding(
                format!(
                    "the revocation list for a certificate in the chain was due to be replaced on {} (nextUpdate), {} before this handshake",
                    date(at),
                    span(at, cx.now)
                ),
                "RFC 5280 §5.1.2.5",
                K::Revocation,
                None,
            )
        }
        Cert::BadSignature => finding(
            "the signature on a certificate in the chain does not verify with the key of its issuer: the certificate was altered or was not signed by the CA it names".into(),
            "RFC 5280 §4.1.1.3",
            K::Signature,
            None,
        ),
        #[allow(deprecated)]
        Cert::UnsupportedSignatureAlgorithm => finding(
            "a certificate in the chain is signed with an algorithm this client does not accept".into(),
            "RFC 5280 §4.1.1.2",
            K::Signature,
            None,
        ),
        Cert::UnsupportedSignatureAlgorithmContext { signature_algorithm_id, .. } => {
            unsupported_algorithm(cx, signature_algorithm_id)
        }
        Cert::UnsupportedSignatureAlgorithmForPublicKeyContext {
            signature_algorithm_id,
            public_key_algorithm_id,
        } => {
            let sig = signature_algorithm_from_der(signature_algorithm_id);
            let cert = cx.find(|f| sig.starts_with(&f.signature_algorithm));
            finding(
                format!(
                    "{} is signed with {sig}, which does not fit its issuer's key ({}): the signature algorithm must be one for the issuer's kind of key",
                    cert.map_or("a certificate in the chain".to_string(), |i| cx.named(i)),
                    signature_algorithm_from_der(public_key_algorithm_id)
                ),
                "RFC 5280 §4.1.1.2",
                K::Signature,
                cert,
            )
        }
        Cert::NotValidForName => not_for_name(cx, None),
        Cert::NotValidForNameContext { presented, .. } => not_for_name(cx, Some(presented)),
        Cert::InvalidPurpose => wrong_purpose(cx, None),
        Cert::InvalidPurposeContext { presented, .. } => {
            wrong_purpose(
                cx,
                Some(
                    presented
                        .iter()
                        .map(|p| match p {
                            rustls::ExtendedKeyPurpose::ClientAuth => "clientAuth".to_string(),
                            rustls::ExtendedKeyPurpose::ServerAuth => "serverAuth".to_string(),
                            rustls::ExtendedKeyPurpose::Other(arcs) => purpose_name(arcs),
                        })
                        .collect(),
                ),
            )
        }
        Cert::InvalidOcspResponse => finding(
            "the OCSP response the server stapled to its certificate is not valid".into(),
            "RFC 6960 §3.2",
            K::Revocation,
            Some(0),
        ),
        Cert::ApplicationVerificationFailure => finding(
            "the certificate chain is valid, but the application rejected it for a reason of its own".into(),
            "RFC 5280 §6.1",
            K::Policy,
            None,
        ),
        Cert::Other(other) => match other.0.downcast_ref::<webpki::Error>() {
            Some(w) => explain_webpki(w, cx),
            None => finding(
                format!("the certificate check failed: {other}"),
                "RFC 5280 §6.1",
                K::Policy,
                None,
            ),
        },
        // CertificateError is non_exhaustive: a variant of a later rustls.
        other => finding(
            format!("the certificate check failed: {other}"),
            "RFC 5280 §6.1",
            K::Policy,
            None,
        ),
    }
}

/// A webpki error in plain words.
pub fn explain_webpki(e: &webpki::Error, cx: &Context<'_>) -> Finding {
    use webpki::Error as W;
    use CheckKind as K;
    let some = |i: Option<usize>| i.map_or("a certificate in the chain".to_string(), |i| cx.named(i));
    match e {
        W::BadDer | W::BadDerTime | W::TrailingData(_) => encoding(cx),
        W::CaUsedAsEndEntity => finding(
            format!(
                "{} is a CA certificate (basicConstraints cA=TRUE): a certificate authority's certificate cannot be a server's own certificate",
                cx.named(0)
            ),
            "RFC 5280 §4.2.1.9",
            K::BasicConstraints,
            Some(0),
        ),
        W::CertDistrusted => finding(
            "the public key of a certificate in the chain is explicitly distrusted by this client".into(),
            "RFC 5280 §6.1",
            K::Policy,
            None,
        ),
        W::CertExpired { not_after, .. } => {
            let at = not_after.as_secs() as i64;
            expired(cx, cx.find(|f| f.not_after == at))
        }
        W::CertNotValidForName(ctx) => not_for_name(cx, Some(&ctx.presented)),
        W::CertNotValidYet { not_before, .. } => {
            let at = not_before.as_secs() as i64;
            not_yet(cx, cx.find(|f| f.not_before == at))
        }
        W::CertRevoked => explain(&Cert::Revoked, cx),
        W::CrlExpired { next_update, time } => explain(
            &Cert::ExpiredRevocationListContext {
                time: *time,
                next_update: *next_update,
            },
            cx,
        ),
        W::EmptyEkuExtension => finding(
            format!("{} has an extendedKeyUsage extension that lists no purpose at all", cx.named(0)),
            "RFC 5280 §4.2.1.12",
            K::Purpose,
            Some(0),
        ),
        W::EndEntityUsedAsCa => {
            let i = (1..cx.chain.len()).find(|&i| cx.facts(i).is_some_and(|f| f.ca != Some(true)));
            finding(
                format!(
                    "{} issued the certificate below it, but it is not a CA certificate (basicConstraints cA is not TRUE): only a CA may issue certificates",
                    some(i)
                ),
                "RFC 5280 §4.2.1.9",
                K::BasicConstraints,
                i,
            )
        }
        W::ExtensionValueInvalid | W::MalformedExtensions => finding(
            format!(
                "{} has an extension whose value does not decode (webpki also requires the DNS names in subjectAltName)",
                some(None)
            ),
            "RFC 5280 §4.2",
            K::Extensions,
            None,
        ),
        W::InvalidCertValidity => {
            let i = cx.find(|f| f.not_after < f.not_before);
            finding(
                format!("{} has a validity window that ends before it begins (notAfter earlier than notBefore)", some(i)),
                "RFC 5280 §4.1.2.5",
                K::Validity,
                i,
            )
        }
        W::InvalidCrlNumber => crl("its cRLNumber is not a non-negative integer of at most 20 octets", "RFC 5280 §5.2.3"),
        W::InvalidCrlSignatureForPublicKey => crl("its signature does not verify with its issuer's key", "RFC 5280 §5.1.1.3"),
        W::IssuerNotCrlSigner => crl("its issuer's keyUsage lacks cRLSign", "RFC 5280 §4.2.1.3"),
        W::UnsupportedCrlIssuingDistributionPoint => crl(
            "its issuingDistributionPoint has no name, or one relative to the issuer",
            "RFC 5280 §5.2.5",
        ),
        W::UnsupportedCrlVersion => crl("it is not a version 2 CRL", "RFC 5280 §5.1.2.1"),
        W::UnsupportedDeltaCrl => crl("it is a delta CRL, which the client does not support", "RFC 5280 §5.2.4"),
        W::UnsupportedIndirectCrl => crl("it is an indirect CRL, which the client does not support", "RFC 5280 §5.2.5"),
        W::UnsupportedRevocationReason => crl("it gives a revocation reason outside RFC 5280's list", "RFC 5280 §5.3.1"),
        W::UnsupportedRevocationReasonsPartitioning => crl("it is partitioned by revocation reason", "RFC 5280 §5.2.5"),
        W::UnsupportedCrlSignatureAlgorithmContext(ctx) => crl(
            &format!("it is signed with {}, which the client does not accept", signature_algorithm_from_der(&ctx.signature_algorithm_id)),
            "RFC 5280 §5.1.1.2",
        ),
        W::UnsupportedCrlSignatureAlgorithmForPublicKeyContext(ctx) => crl(
            &format!(
                "it is signed with {}, which does not fit its issuer's key ({})",
                signature_algorithm_from_der(&ctx.signature_algorithm_id),
                signature_algorithm_from_der(&ctx.public_key_algorithm_id)
            ),
            "RFC 5280 §5.1.1.2",
        ),
        #[allow(deprecated)]
        W::UnsupportedCrlSignatureAlgorithm | W::UnsupportedCrlSignatureAlgorithmForPublicKey => finding(
            "a certificate revocation list is signed with an algorithm this client does not accept".into(),
            "RFC 5280 §5.1.1.2",
            K::Revocation,
            None,
        ),
        W::InvalidNetworkMaskConstraint | W::MalformedNameConstraint => {
            let i = cx.find(|f| f.name_constraints);
            finding(
                format!("{} has a nameConstraints extension that does not decode (a malformed name or an IP mask that is not a prefix)", some(i)),
                "RFC 5280 §4.2.1.10",
                K::NameConstraints,
                i,
            )
        }
        W::InvalidSerialNumber => finding(
            format!("{} has a serial number that is not a positive integer of at most 20 octets", some(None)),
            "RFC 5280 §4.1.2.2",
            K::Encoding,
            None,
        ),
        W::InvalidSignatureForPublicKey => explain(&Cert::BadSignature, cx),
        W::MalformedDnsIdentifier => finding(
            format!("{} has a DNS name that is not a valid name (bad characters or labels)", cx.named(0)),
            "RFC 5280 §4.2.1.6",
            K::Name,
            Some(0),
        ),
        W::MaximumNameConstraintComparisonsExceeded => gave_up("too many name-constraint comparisons"),
        W::MaximumPathBuildCallsExceeded => gave_up("too many candidate paths tried"),
        W::MaximumPathDepthExceeded => gave_up("the path grew deeper than the checker allows"),
        W::MaximumSignatureChecksExceeded => gave_up("too many signatures checked"),
        W::NameConstraintViolation => name_constraint(cx),
        W::PathLenConstraintViolated => path_length(cx),
        #[allow(deprecated)]
        W::RequiredEkuNotFound => wrong_purpose(cx, None),
        W::RequiredEkuNotFoundContext(ctx) => wrong_purpose(
            cx,
            Some(
                ctx.present.iter().map(|arcs| purpose_name(arcs)).collect(),
            ),
        ),
        W::SignatureAlgorithmMismatch => finding(
            format!(
                "{} names one signature algorithm inside (tbsCertificate.signature) and another outside (signatureAlgorithm): they must be the same",
                some(None)
            ),
            "RFC 5280 §4.1.1.2",
            K::Signature,
            None,
        ),
        W::UnknownIssuer => unknown_issuer(cx),
        W::UnknownRevocationStatus => explain(&Cert::UnknownRevocationStatus, cx),
        W::UnsupportedCertVersion => finding(
            format!("{} is not an X.509 version 3 certificate", some(None)),
            "RFC 5280 §4.1.2.1",
            K::Encoding,
            None,
        ),
        W::UnsupportedCriticalExtension => explain(&Cert::UnhandledCriticalExtension, cx),
        W::UnsupportedNameType => finding(
            format!("the name asked for ({}) is of a kind the certificate check cannot match", cx.server_name),
            "RFC 9525 §6",
            K::Name,
            Some(0),
        ),
        #[allow(deprecated)]
        W::UnsupportedSignatureAlgorithm | W::UnsupportedSignatureAlgorithmForPublicKey => {
            #[allow(deprecated)]
            explain(&Cert::UnsupportedSignatureAlgorithm, cx)
        }
        W::UnsupportedSignatureAlgorithmContext(ctx) => unsupported_algorithm(cx, &ctx.signature_algorithm_id),
        W::UnsupportedSignatureAlgorithmForPublicKeyContext(ctx) => explain(
            &Cert::UnsupportedSignatureAlgorithmForPublicKeyContext {
                signature_algorithm_id: ctx.signature_algorithm_id.clone(),
                public_key_algorithm_id: ctx.public_key_algorithm_id.clone(),
            },
            cx,
        ),
        // webpki::Error is non_exhaustive: a variant of a later webpki.
        other => finding(
            format!("the certificate check failed: {other}"),
            "RFC 5280 §6.1",
            K::Policy,
            None,
        ),
    }
}

/// A revocation list that could not be used.
fn crl(why: &str, rfc: &'static str) -> Finding {
    finding(
        format!("a certificate revocation list could not be used: {why}"),
        rfc,
        CheckKind::Revocation,
        None,
    )
}

/// The path builder stopped at one of its own limits.
fn gave_up(why: &str) -> Finding {
    finding(
        format!("the client gave up building a path to a trusted root: {why} (a limit of the checker, against chains built to exhaust it)"),
        "RFC 5280 §6.1",
        CheckKind::Policy,
        None,
    )
}

/// An extendedKeyUsage purpose by its RFC 5280 §4.2.1.12 name, or its dotted OID.
fn purpose_name(arcs: &[usize]) -> String {
    let dotted = arcs.iter().map(usize::to_string).collect::<Vec<_>>().join(".");
    match dotted.as_str() {
        "1.3.6.1.5.5.7.3.1" => "serverAuth".into(),
        "1.3.6.1.5.5.7.3.2" => "clientAuth".into(),
        "1.3.6.1.5.5.7.3.3" => "codeSigning".into(),
        "1.3.6.1.5.5.7.3.4" => "emailProtection".into(),
        "1.3.6.1.5.5.7.3.8" => "timeStamping".into(),
        "1.3.6.1.5.5.7.3.9" => "OCSPSigning".into(),
        _ => dotted,
    }
}

fn encoding(cx: &Context<'_>) -> Finding {
    let i = (0..cx.chain.len()).find(|&i| cx.chain[i].is_none());
    finding(
        format!(
            "{} is not correctly encoded: its DER does not decode as an X.509 certificate",
            i.map_or("a certificate in the chain".to_string(), |i| match i {
                0 => "the leaf certificate".to_string(),
                i => format!("the certificate [{i}]"),
            })
        ),
        "RFC 5280 §4.1",
        CheckKind::Encoding,
        i,
    )
}

fn expired(cx: &Context<'_>, i: Option<usize>) -> Finding {
    let text = match i.and_then(|i| cx.facts(i).map(|f| (i, f))) {
        Some((i, f)) => format!(
            "{} expired on {} (notAfter), {} before this handshake",
            cx.named(i),
            date(f.not_after),
            span(f.not_after, cx.now)
        ),
        None => "a certificate in the chain has expired (its notAfter is before this handshake)".to_string(),
    };
    finding(text, "RFC 5280 §4.1.2.5", CheckKind::Validity, i)
}

fn not_yet(cx: &Context<'_>, i: Option<usize>) -> Finding {
    let text = match i.and_then(|i| cx.facts(i).map(|f| (i, f))) {
        Some((i, f)) => format!(
            "{} is not valid until {} (notBefore), {} after this handshake",
            cx.named(i),
            date(f.not_before),
            span(cx.now, f.not_before)
        ),
        None => "a certificate in the chain is not valid yet (its notBefore is after this handshake)".to_string(),
    };
    finding(text, "RFC 5280 §4.1.2.5", CheckKind::Validity, i)
}

fn not_for_name(cx: &Context<'_>, presented: Option<&Vec<String>>) -> Finding {
    // The leaf's own names when it decodes; otherwise rustls's list, whose entries it writes as
    // `DnsName("a.example")` and `IpAddress(192.0.2.1)`.
    let names: Vec<String> = cx
        .facts(0)
        .map(|f| {
            f.dns_names
                .iter()
                .cloned()
                .chain(f.ip_names.iter().map(ToString::to_string))
                .collect()
        })
        .or_else(|| {
            presented.map(|p| {
                p.iter()
                    .map(|n| {
                        let inner = n
                            .split_once('(')
                            .and_then(|(_, rest)| rest.strip_suffix(')'))
                            .unwrap_or(n);
                        inner.trim_matches('"').to_string()
                    })
                    .collect()
            })
        })
        .unwrap_or_default();
    finding(
        format!(
            "{} does not cover {}: its subjectAltName names {}",
            cx.named(0),
            cx.server_name,
            if names.is_empty() {
                "nothing".to_string()
            } else {
                names.join(", ")
            }
        ),
        "RFC 9525 §6.3; RFC 5280 §4.2.1.6",
        CheckKind::Name,
        Some(0),
    )
}

fn wrong_purpose(cx: &Context<'_>, presented: Option<Vec<String>>) -> Finding {
    finding(
        format!(
            "{} is not for TLS servers: its extendedKeyUsage lacks serverAuth{}",
            cx.named(0),
            presented.map_or(String::new(), |p| format!(" (it lists {})", p.join(", ")))
        ),
        "RFC 5280 §4.2.1.12",
        CheckKind::Purpose,
        Some(0),
    )
}

fn unsupported_algorithm(cx: &Context<'_>, der: &[u8]) -> Finding {
    let sig = signature_algorithm_from_der(der);
    let cert =
        cx.find(|f| sig.starts_with(&f.signature_algorithm) || sig.ends_with(&format!("({})", f.signature_algorithm)));
    finding(
        format!(
            "{} is signed with {sig}, a signature algorithm this client does not accept",
            cert.map_or("a certificate in the chain".to_string(), |i| cx.named(i))
        ),
        "RFC 5280 §4.1.1.2",
        CheckKind::Signature,
        cert,
    )
}

/// Unknown issuer, said from the chain the server sent: self-signed, a missing intermediate, an
/// empty issuer name, or a chain that ends at a root the client does not trust.
fn unknown_issuer(cx: &Context<'_>) -> Finding {
    let last = cx.chain.len().checked_sub(1);
    let (text, cert) = match (cx.chain, last.and_then(|i| cx.facts(i))) {
        (_, Some(f)) if f.issuer_der.len() <= 2 || f.issuer.is_empty() => {
            return finding(
                format!(
                    "{} has an empty issuer name: no certificate authority is named, so no issuer can be found (the issuer field must name one)",
                    cx.named(last.unwrap_or(0))
                ),
                "RFC 5280 §4.1.2.4",
                CheckKind::Issuer,
                last,
            )
        }
        ([_], Some(f)) if f.subject_der == f.issuer_der => (
            format!(
                "{} is self-signed ({}): no trusted authority vouches for it",
                cx.named(0),
                shown_name(&f.subject)
            ),
            Some(0),
        ),
        ([_], Some(f)) => (
            format!(
                "missing intermediate: the server sent only its own certificate, issued by {}, without that issuer's certificate, so no path leads to a trusted root",
                shown_name(&f.issuer)
            ),
            Some(0),
        ),
        (_, Some(f)) => (
            format!(
                "unknown issuer: the chain ends at {}, which this client does not trust (give --cacert for a private CA)",
                shown_name(&f.issuer)
            ),
            last,
        ),
        _ => (
            "unknown issuer: no path from the server's certificate leads to a root this client trusts (give --cacert for a private CA)".to_string(),
            None,
        ),
    };
    finding(text, "RFC 5280 §6.1", CheckKind::Issuer, cert)
}

/// Whether `name` is within the DNS subtree `base` (RFC 5280 §4.2.1.10: `example.com` covers
/// itself and every name under it; `.example.com` only the names under it).
pub fn within(name: &str, base: &str) -> bool {
    let (name, base) = (name.to_ascii_lowercase(), base.to_ascii_lowercase());
    if base.is_empty() {
        return true;
    }
    match base.strip_prefix('.') {
        Some(_) => name.ends_with(&base),
        None => name == base || name.ends_with(&format!(".{base}")),
    }
}

/// The leaf's names that a CA's name constraints exclude or do not permit.
pub fn names_outside(leaf: &Facts, ca: &Facts) -> Vec<String> {
    leaf.dns_names
        .iter()
        .filter(|n| {
            ca.excluded_dns.iter().any(|b| within(n, b))
                || (!ca.permitted_dns.is_empty() && !ca.permitted_dns.iter().any(|b| within(n, b)))
        })
        .cloned()
        .collect()
}

fn name_constraint(cx: &Context<'_>) -> Finding {
    let leaf = cx.facts(0);
    let ca = (1..cx.chain.len()).find(|&i| {
        cx.facts(i)
            .zip(leaf)
            .is_some_and(|(ca, leaf)| ca.name_constraints && !names_outside(leaf, ca).is_empty())
    });
    let text = match (ca.and_then(|i| cx.facts(i)), leaf) {
        (Some(f), Some(leaf)) => {
            let mut rules = Vec::new();
            if !f.permitted_dns.is_empty() {
                rules.push(format!(
                    "permits names within {} and no others",
                    f.permitted_dns.join(", ")
                ));
            }
            if !f.excluded_dns.is_empty() {
                rules.push(format!("excludes {}", f.excluded_dns.join(", ")));
            }
            format!(
                "{} {} (nameConstraints), but {} names {}: a CA may only vouch for names its constraints allow",
                cx.named(ca.unwrap_or(1)),
                rules.join(" and "),
                cx.named(0),
                names_outside(leaf, f).join(", ")
            )
        }
        _ => "a name in the chain breaks the name constraints of a CA above it (nameConstraints)".to_string(),
    };
    finding(text, "RFC 5280 §4.2.1.10", CheckKind::NameConstraints, ca)
}

fn path_length(cx: &Context<'_>) -> Finding {
    // A CA at index i has i - 1 CA certificates between it and the leaf.
    let ca = (1..cx.chain.len()).find(|&i| {
        cx.facts(i)
            .and_then(|f| f.path_len)
            .is_some_and(|n| (i - 1) as u64 > u64::from(n))
    });
    let text = match ca.and_then(|i| cx.facts(i).map(|f| (i, f))) {
        Some((i, f)) => format!(
            "{} allows at most {} intermediate CA certificate(s) below it (pathLenConstraint {}), but the chain has {}",
            cx.named(i),
            f.path_len.unwrap_or(0),
            f.path_len.unwrap_or(0),
            i - 1
        ),
        None => "a CA in the chain allows fewer intermediate CA certificates below it than the chain has (pathLenConstraint)".to_string(),
    };
    finding(text, "RFC 5280 §4.2.1.9", CheckKind::PathLength, ca)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use rustls::pki_types::{AlgorithmIdentifier, ServerName, UnixTime};

    use super::*;

    const NOW: i64 = 1_796_150_164; // 2026-12-01
    const EXPIRED: i64 = 1_577_836_800; // 2020-01-01

    fn at(secs: i64) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(secs as u64))
    }

    /// A leaf that expired in 2020, under an intermediate constrained to example.org with
    /// pathLenConstraint 0, under another intermediate.
    fn chain() -> Vec<Option<Facts>> {
        let leaf = Facts {
            subject: "CN=leaf.example.com".into(),
            issuer: "CN=sub CA".into(),
            subject_der: vec![0x30, 3, 1],
            issuer_der: vec![0x30, 3, 2],
            not_before: 0,
            not_after: EXPIRED,
            dns_names: vec!["leaf.example.com".into()],
            signature_algorithm: "ecdsa-with-SHA256".into(),
            ..Facts::default()
        };
        let sub = Facts {
            subject: "CN=sub CA".into(),
            issuer: "CN=constrained CA".into(),
            subject_der: vec![0x30, 3, 2],
            issuer_der: vec![0x30, 3, 3],
            not_after: i64::MAX,
            ca: Some(true),
            signature_algorithm: "sha1WithRSAEncryption".into(),
            ..Facts::default()
        };
        let constrained = Facts {
            subject: "CN=constrained CA".into(),
            issuer: "CN=root".into(),
            subject_der: vec![0x30, 3, 3],
            issuer_der: vec![0x30, 3, 4],
            not_after: i64::MAX,
            ca: Some(true),
            path_len: Some(0),
            name_constraints: true,
            permitted_dns: vec!["example.org".into()],
            ..Facts::default()
        };
        vec![Some(leaf), Some(sub), Some(constrained)]
    }

    fn said(e: Cert) -> Finding {
        let chain = chain();
        let cx = Context {
            chain: &chain,
            server_name: "leaf.example.com",
            now: NOW,
        };
        explain(&e, &cx)
    }

    fn said_webpki(e: webpki::Error) -> Finding {
        said(Cert::Other(rustls::OtherError(Arc::new(e))))
    }

    /// No sentence passes rustls's or webpki's Debug output through, and each cites RFC text.
    fn plain(f: &Finding) {
        for debug in ["Context {", "Other(", "OtherError", "[6, ", "UnixTime", "(UNIX)"] {
            assert!(!f.text.contains(debug), "{debug} in {:?}", f.text);
        }
        assert!(f.rfc.starts_with("RFC "), "{f:?}");
        assert!(
            !f.text.starts_with("the certificate check failed:"),
            "no plain words: {f:?}"
        );
    }

    #[test]
    fn dates_are_days_and_spans_are_in_words() {
        assert_eq!(date(EXPIRED), "2020-01-01");
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(span(EXPIRED, NOW), "6 years");
        assert_eq!(span(0, 3 * 86_400), "3 days");
        assert_eq!(span(0, 3600), "60 minutes");
        assert_eq!(span(0, 1), "1 second");
    }

    #[test]
    fn expiry_names_the_certificate_the_date_and_how_long_ago() {
        for e in [
            Cert::Expired,
            Cert::ExpiredContext {
                time: at(NOW),
                not_after: at(EXPIRED),
            },
        ] {
            let f = said(e);
            plain(&f);
            assert_eq!(
                f.text,
                "the leaf certificate CN=leaf.example.com expired on 2020-01-01 (notAfter), 6 years before this handshake"
            );
            assert_eq!(
                (f.rfc, f.check, f.cert),
                ("RFC 5280 §4.1.2.5", CheckKind::Validity, Some(0))
            );
        }
        let f = said_webpki(webpki::Error::CertExpired {
            time: at(NOW),
            not_after: at(EXPIRED),
        });
        assert_eq!(f.cert, Some(0));
    }

    #[test]
    fn not_yet_valid_says_when_it_starts() {
        let mut chain = chain();
        chain[1].as_mut().unwrap().not_before = NOW + 10 * 86_400;
        let cx = Context {
            chain: &chain,
            server_name: "leaf.example.com",
            now: NOW,
        };
        let f = explain(
            &Cert::NotValidYetContext {
                time: at(NOW),
                not_before: at(NOW + 10 * 86_400),
            },
            &cx,
        );
        plain(&f);
        assert!(
            f.text
                .starts_with("the certificate [1] CN=sub CA is not valid until 2026-12-11 (notBefore), 10 days after"),
            "{}",
            f.text
        );
        assert_eq!(explain(&Cert::NotValidYet, &cx).cert, Some(1));
    }

    #[test]
    fn a_name_constraint_violation_names_the_constraint_and_the_name() {
        let f = said_webpki(webpki::Error::NameConstraintViolation);
        plain(&f);
        assert_eq!(
            f.text,
            "the certificate [2] CN=constrained CA permits names within example.org and no others (nameConstraints), but the leaf certificate CN=leaf.example.com names leaf.example.com: a CA may only vouch for names its constraints allow"
        );
        assert_eq!(
            (f.rfc, f.check, f.cert),
            ("RFC 5280 §4.2.1.10", CheckKind::NameConstraints, Some(2))
        );
    }

    #[test]
    fn a_path_length_violation_gives_the_length_allowed_and_used() {
        let f = said_webpki(webpki::Error::PathLenConstraintViolated);
        plain(&f);
        assert_eq!(
            f.text,
            "the certificate [2] CN=constrained CA allows at most 0 intermediate CA certificate(s) below it (pathLenConstraint 0), but the chain has 1"
        );
        assert_eq!((f.rfc, f.cert), ("RFC 5280 §4.2.1.9", Some(2)));
    }

    #[test]
    fn an_unsupported_signature_algorithm_is_named_from_its_oid() {
        // sha1WithRSAEncryption, 1.2.840.113549.1.1.5, as DER.
        let oid = vec![6, 9, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05];
        let f = said(Cert::UnsupportedSignatureAlgorithmContext {
            signature_algorithm_id: oid.clone(),
            supported_algorithms: vec![AlgorithmIdentifier::from_slice(&[1, 2, 3])],
        });
        plain(&f);
        assert_eq!(
            f.text,
            "the certificate [1] CN=sub CA is signed with sha1WithRSAEncryption (1.2.840.113549.1.1.5), a signature algorithm this client does not accept"
        );
        // ML-DSA-65 (2.16.840.1.101.3.4.3.18): the issue's `[6, 9, 96, ...]`.
        let mldsa = [6, 9, 96, 134, 72, 1, 101, 3, 4, 3, 18];
        assert_eq!(
            signature_algorithm_from_der(&mldsa),
            "ML-DSA-65 (2.16.840.1.101.3.4.3.18)"
        );
        let f = said(Cert::UnsupportedSignatureAlgorithmForPublicKeyContext {
            signature_algorithm_id: oid,
            public_key_algorithm_id: vec![6, 7, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01],
        });
        plain(&f);
        assert!(f.text.contains("id-ecPublicKey"), "{}", f.text);
    }

    #[test]
    fn unknown_issuer_is_said_from_the_chain() {
        let f = said(Cert::UnknownIssuer);
        plain(&f);
        assert_eq!(f.text, "unknown issuer: the chain ends at CN=root, which this client does not trust (give --cacert for a private CA)");
        let mut only = chain();
        only.truncate(1);
        let cx = Context {
            chain: &only,
            server_name: "leaf.example.com",
            now: NOW,
        };
        assert!(explain(&Cert::UnknownIssuer, &cx)
            .text
            .starts_with("missing intermediate: the server sent only its own certificate, issued by CN=sub CA,"));
        // An empty issuer name (the DER of an empty SEQUENCE): no "issued by ," nor a missing
        // intermediate.
        let leaf = only[0].as_mut().unwrap();
        (leaf.issuer, leaf.issuer_der) = (String::new(), vec![0x30, 0]);
        let cx = Context {
            chain: &only,
            server_name: "leaf.example.com",
            now: NOW,
        };
        let f = explain(&Cert::UnknownIssuer, &cx);
        plain(&f);
        assert!(
            f.text
                .starts_with("the leaf certificate CN=leaf.example.com has an empty issuer name"),
            "{}",
            f.text
        );
        // Self-signed.
        let leaf = only[0].as_mut().unwrap();
        (leaf.issuer, leaf.issuer_der) = (leaf.subject.clone(), leaf.subject_der.clone());
        let cx = Context {
            chain: &only,
            server_name: "leaf.example.com",
            now: NOW,
        };
        assert!(explain(&Cert::UnknownIssuer, &cx)
            .text
            .contains("is self-signed (CN=leaf.example.com)"));
    }

    #[test]
    fn a_name_mismatch_lists_what_the_certificate_covers() {
        let f = said(Cert::NotValidForNameContext {
            expected: ServerName::try_from("other.example.com").unwrap(),
            presented: vec!["leaf.example.com".into()],
        });
        plain(&f);
        assert_eq!(f.text, "the leaf certificate CN=leaf.example.com does not cover leaf.example.com: its subjectAltName names leaf.example.com");
        assert_eq!(said(Cert::NotValidForName).check, CheckKind::Name);
        // Without a decodable leaf, rustls's own list, without its Debug spelling.
        let cx = Context {
            chain: &[None],
            server_name: "a.example",
            now: NOW,
        };
        let f = explain(
            &Cert::NotValidForNameContext {
                expected: ServerName::try_from("a.example").unwrap(),
                presented: vec!["DnsName(\"b.example\")".into(), "IpAddress(192.0.2.1)".into()],
            },
            &cx,
        );
        assert!(
            f.text.ends_with("its subjectAltName names b.example, 192.0.2.1"),
            "{}",
            f.text
        );
    }

    #[test]
    fn purposes_are_named() {
        let f = said(Cert::InvalidPurposeContext {
            required: rustls::ExtendedKeyPurpose::ServerAuth,
            presented: vec![
                rustls::ExtendedKeyPurpose::ClientAuth,
                rustls::ExtendedKeyPurpose::Other(vec![1, 3, 6, 1, 5, 5, 7, 3, 3]),
            ],
        });
        plain(&f);
        assert!(
            f.text.ends_with("lacks serverAuth (it lists clientAuth, codeSigning)"),
            "{}",
            f.text
        );
    }

    /// Every CertificateError variant (the enum is non_exhaustive: one case each) has words.
    #[test]
    #[allow(deprecated)]
    fn every_certificate_error_is_said_in_plain_words() {
        let all = vec![
            Cert::BadEncoding,
            Cert::Expired,
            Cert::ExpiredContext {
                time: at(NOW),
                not_after: at(EXPIRED),
            },
            Cert::NotValidYet,
            Cert::NotValidYetContext {
                time: at(NOW),
                not_before: at(NOW + 1),
            },
            Cert::Revoked,
            Cert::UnhandledCriticalExtension,
            Cert::UnknownIssuer,
            Cert::UnknownRevocationStatus,
            Cert::ExpiredRevocationList,
            Cert::ExpiredRevocationListContext {
                time: at(NOW),
                next_update: at(EXPIRED),
            },
            Cert::BadSignature,
            Cert::UnsupportedSignatureAlgorithm,
            Cert::UnsupportedSignatureAlgorithmContext {
                signature_algorithm_id: vec![6, 1, 42],
                supported_algorithms: vec![],
            },
            Cert::UnsupportedSignatureAlgorithmForPublicKeyContext {
                signature_algorithm_id: vec![6, 1, 42],
                public_key_algorithm_id: vec![6, 1, 42],
            },
            Cert::NotValidForName,
            Cert::NotValidForNameContext {
                expected: ServerName::try_from("a.example").unwrap(),
                presented: vec![],
            },
            Cert::InvalidPurpose,
            Cert::InvalidPurposeContext {
                required: rustls::ExtendedKeyPurpose::ServerAuth,
                presented: vec![],
            },
            Cert::InvalidOcspResponse,
            Cert::ApplicationVerificationFailure,
        ];
        let mut checks = std::collections::HashSet::new();
        for e in all {
            let f = said(e.clone());
            plain(&f);
            checks.insert(f.check);
            assert!(!f.text.contains(&format!("{e:?}")), "{e:?}");
        }
        assert!(checks.len() >= 7, "the variants concern different checks: {checks:?}");
    }

    /// Every webpki::Error variant (non_exhaustive too) has words, through OtherError as rustls
    /// passes them on.
    #[test]
    #[allow(deprecated)]
    fn every_webpki_error_is_said_in_plain_words() {
        use webpki::Error as W;
        let sig = || webpki::UnsupportedSignatureAlgorithmContext {
            signature_algorithm_id: vec![6, 1, 42],
            supported_algorithms: vec![],
        };
        let key = || webpki::UnsupportedSignatureAlgorithmForPublicKeyContext {
            signature_algorithm_id: vec![6, 1, 42],
            public_key_algorithm_id: vec![6, 1, 42],
        };
        let all = vec![
            W::BadDer,
            W::BadDerTime,
            W::CaUsedAsEndEntity,
            W::CertDistrusted,
            W::CertExpired {
                time: at(NOW),
                not_after: at(EXPIRED),
            },
            W::CertNotValidForName(webpki::InvalidNameContext {
                expected: ServerName::try_from("a.example").unwrap(),
                presented: vec![],
            }),
            W::CertNotValidYet {
                time: at(NOW),
                not_before: at(NOW + 1),
            },
            W::CertRevoked,
            W::CrlExpired {
                time: at(NOW),
                next_update: at(EXPIRED),
            },
            W::EmptyEkuExtension,
            W::EndEntityUsedAsCa,
            W::ExtensionValueInvalid,
            W::InvalidCertValidity,
            W::InvalidCrlNumber,
            W::InvalidNetworkMaskConstraint,
            W::InvalidSerialNumber,
            W::InvalidCrlSignatureForPublicKey,
            W::InvalidSignatureForPublicKey,
            W::IssuerNotCrlSigner,
            W::MalformedDnsIdentifier,
            W::MalformedExtensions,
            W::MalformedNameConstraint,
            W::MaximumNameConstraintComparisonsExceeded,
            W::MaximumPathBuildCallsExceeded,
            W::MaximumPathDepthExceeded,
            W::MaximumSignatureChecksExceeded,
            W::NameConstraintViolation,
            W::PathLenConstraintViolated,
            W::RequiredEkuNotFound,
            W::RequiredEkuNotFoundContext(webpki::RequiredEkuNotFoundContext {
                required: webpki::KeyUsage::server_auth(),
                present: vec![vec![1, 3, 6, 1, 5, 5, 7, 3, 2]],
            }),
            W::SignatureAlgorithmMismatch,
            W::TrailingData(webpki::DerTypeId::Certificate),
            W::UnknownIssuer,
            W::UnknownRevocationStatus,
            W::UnsupportedCertVersion,
            W::UnsupportedCriticalExtension,
            W::UnsupportedCrlIssuingDistributionPoint,
            W::UnsupportedCrlVersion,
            W::UnsupportedDeltaCrl,
            W::UnsupportedIndirectCrl,
            W::UnsupportedNameType,
            W::UnsupportedRevocationReason,
            W::UnsupportedRevocationReasonsPartitioning,
            W::UnsupportedCrlSignatureAlgorithm,
            W::UnsupportedCrlSignatureAlgorithmContext(sig()),
            W::UnsupportedSignatureAlgorithm,
            W::UnsupportedSignatureAlgorithmContext(sig()),
            W::UnsupportedCrlSignatureAlgorithmForPublicKey,
            W::UnsupportedCrlSignatureAlgorithmForPublicKeyContext(key()),
            W::UnsupportedSignatureAlgorithmForPublicKey,
            W::UnsupportedSignatureAlgorithmForPublicKeyContext(key()),
        ];
        for e in all {
            let f = said_webpki(e.clone());
            plain(&f);
            assert!(!f.text.contains(&format!("{e:?}")), "{e:?}: {}", f.text);
        }
        let f = said_webpki(W::CaUsedAsEndEntity);
        assert_eq!(
            f.text,
            "the leaf certificate CN=leaf.example.com is a CA certificate (basicConstraints cA=TRUE): a certificate authority's certificate cannot be a server's own certificate"
        );
    }
}
