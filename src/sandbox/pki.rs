//! The sandbox's certificate authority (rcgen), made fresh at start: a root, an intermediate
//! that issues the hosts' certificates, and certificates broken on purpose (expired, for another
//! name, self-signed, from a root nobody trusts, served without its intermediate, outside an
//! intermediate's name constraints, below an intermediate whose path length allows no other, a CA
//! certificate as the leaf, from an issuer with an empty name), so clients meet every failure for
//! real instead of skipping checks.

use std::net::IpAddr;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, GeneralSubtree, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, NameConstraints, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use crate::error::{Error, Result};
use crate::tls::identity::ClientIdentity;

fn pki_error(e: impl std::fmt::Display) -> Error {
    Error::usage("sandbox PKI", e.to_string(), "report this")
}

/// A certificate authority: its certificate and the means to issue.
pub struct Authority {
    pub cert: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

fn ca_params(name: &str) -> Result<CertificateParams> {
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(pki_error)?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    Ok(params)
}

impl Authority {
    /// A self-signed root.
    pub fn root(name: &str) -> Result<Authority> {
        let key = KeyPair::generate().map_err(pki_error)?;
        let params = ca_params(name)?;
        let cert = params.self_signed(&key).map_err(pki_error)?;
        Ok(Authority {
            cert: cert.der().clone(),
            issuer: Issuer::new(params, key),
        })
    }

    /// An intermediate signed by `self`.
    pub fn intermediate(&self, name: &str) -> Result<Authority> {
        self.intermediate_with(name, |_| {})
    }

    /// An intermediate signed by `self`, its parameters changed by `change` (constraints).
    fn intermediate_with(&self, name: &str, change: impl FnOnce(&mut CertificateParams)) -> Result<Authority> {
        let key = KeyPair::generate().map_err(pki_error)?;
        let mut params = ca_params(name)?;
        change(&mut params);
        let cert = params.signed_by(&key, &self.issuer).map_err(pki_error)?;
        Ok(Authority {
            cert: cert.der().clone(),
            issuer: Issuer::new(params, key),
        })
    }
}

/// How a leaf certificate is made and served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaf {
    /// Issued by the intermediate, served with it.
    Good,
    /// Valid until 2020.
    Expired,
    /// Signed by itself.
    SelfSigned,
    /// Issued by a root that no client trusts.
    Untrusted,
    /// Issued by the intermediate, served without it.
    MissingIntermediate,
    /// Issued by the intermediate, served with it, but for [`OTHER_NAME`] instead of the names
    /// the host is reached by: the name check fails (RFC 6125 §6).
    WrongName,
    /// Issued by an intermediate whose nameConstraints permit only [`CONSTRAINED_TO`], served
    /// with it (RFC 5280 §4.2.1.10).
    OutsideNameConstraints,
    /// Issued by an intermediate below one with pathLenConstraint 0, served with both
    /// (RFC 5280 §4.2.1.9).
    PathTooLong,
    /// A CA certificate (basicConstraints cA=TRUE) as the server's own (RFC 5280 §4.2.1.9).
    CaAsLeaf,
    /// Issued by an authority whose name is empty, served alone (RFC 5280 §4.1.2.4).
    EmptyIssuer,
    /// A good chain, but the server signs its CertificateVerify with another key than the
    /// certificate's: the chain verifies and the handshake signature does not (RFC 8446 §4.4.3).
    WrongKey,
}

/// The only DNS subtree the name-constrained intermediate permits.
pub const CONSTRAINED_TO: &str = "example.org";

/// The one name a [`Leaf::WrongName`] certificate covers: not one of the host's.
pub const OTHER_NAME: &str = "someone-else.example.net";

/// The kind of key a server certificate carries, and so the signature its CertificateVerify
/// uses (RFC 8446 §4.2.3: ecdsa_secp256r1_sha256, ecdsa_secp384r1_sha384, ed25519).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    P256,
    P384,
    Ed25519,
    /// RSA 2048 with PKCS#1 v1.5 signatures on the certificate (TLS 1.3 itself signs with
    /// RSA-PSS, RFC 8446 §4.2.3). A fixed key: ring cannot generate RSA keys (labs/sandbox/keys).
    Rsa2048,
}

/// The sandbox's one RSA private key (PKCS#8 PEM), see labs/sandbox/keys/README.md.
const RSA_2048_KEY: &str = include_str!("../../labs/sandbox/keys/rsa-2048.pem");

impl KeyKind {
    /// A key of this kind: fresh, or for RSA the fixed one.
    fn key_pair(self) -> std::result::Result<KeyPair, rcgen::Error> {
        match self {
            KeyKind::P256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
            KeyKind::P384 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384),
            KeyKind::Ed25519 => KeyPair::generate_for(&rcgen::PKCS_ED25519),
            KeyKind::Rsa2048 => KeyPair::from_pem_and_sign_algo(RSA_2048_KEY, &rcgen::PKCS_RSA_SHA256),
        }
    }
}

/// The sandbox PKI: the trusted root, its intermediate, and an untrusted root.
pub struct Pki {
    pub root: Authority,
    pub intermediate: Authority,
    pub untrusted: Authority,
    /// Issues [`Leaf::OutsideNameConstraints`].
    constrained: Authority,
    /// pathLenConstraint 0, and the intermediate below it that issues [`Leaf::PathTooLong`].
    no_more_below: Authority,
    below_the_limit: Authority,
    /// A root with an empty subject, which issues [`Leaf::EmptyIssuer`].
    nameless: Authority,
}

impl Pki {
    pub fn generate() -> Result<Pki> {
        let root = Authority::root("netlab sandbox root CA")?;
        let intermediate = root.intermediate("netlab sandbox intermediate CA")?;
        let untrusted = Authority::root("nobody trusts this root")?;
        let constrained = root.intermediate_with("netlab sandbox CA for example.org", |p| {
            p.name_constraints = Some(NameConstraints {
                permitted_subtrees: vec![GeneralSubtree::DnsName(CONSTRAINED_TO.into())],
                excluded_subtrees: Vec::new(),
            });
        })?;
        let no_more_below = root.intermediate_with("netlab sandbox CA with path length 0", |p| {
            p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        })?;
        let below_the_limit = no_more_below.intermediate("netlab sandbox CA one too deep")?;
        let nameless = {
            let key = KeyPair::generate().map_err(pki_error)?;
            let mut params = ca_params("")?;
            params.distinguished_name = DistinguishedName::new();
            let cert = params.self_signed(&key).map_err(pki_error)?;
            Authority {
                cert: cert.der().clone(),
                issuer: Issuer::new(params, key),
            }
        };
        Ok(Pki {
            root,
            intermediate,
            untrusted,
            constrained,
            no_more_below,
            below_the_limit,
            nameless,
        })
    }

    /// A server certificate for `names` (the first is its subject) and `ips`, made as `leaf`
    /// says, with the chain a server would send.
    pub fn issue(&self, names: &[&str], ips: &[IpAddr], leaf: Leaf) -> Result<Arc<CertifiedKey>> {
        self.issue_with_key(names, ips, leaf, KeyKind::P256)
    }

    /// [`Pki::issue`] with a key of the given kind.
    pub fn issue_with_key(
        &self,
        names: &[&str],
        ips: &[IpAddr],
        leaf: Leaf,
        kind: KeyKind,
    ) -> Result<Arc<CertifiedKey>> {
        let key = kind.key_pair().map_err(pki_error)?;
        let names = if leaf == Leaf::WrongName { &[OTHER_NAME] } else { names };
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).map_err(pki_error)?;
        params
            .distinguished_name
            .push(DnType::CommonName, names.first().copied().unwrap_or("netlab sandbox"));
        params
            .subject_alt_names
            .extend(ips.iter().map(|ip| SanType::IpAddress(*ip)));
        if leaf == Leaf::CaAsLeaf {
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        }
        if leaf == Leaf::Expired {
            params.not_before = rcgen::date_time_ymd(2019, 1, 1);
            params.not_after = rcgen::date_time_ymd(2020, 1, 1);
        }
        let (cert, chain_rest) = match leaf {
            Leaf::Good | Leaf::Expired | Leaf::WrongName | Leaf::CaAsLeaf | Leaf::WrongKey => (
                params.signed_by(&key, &self.intermediate.issuer),
                vec![self.intermediate.cert.clone()],
            ),
            Leaf::MissingIntermediate => (params.signed_by(&key, &self.intermediate.issuer), Vec::new()),
            Leaf::Untrusted => (
                params.signed_by(&key, &self.untrusted.issuer),
                vec![self.untrusted.cert.clone()],
            ),
            Leaf::SelfSigned => (params.self_signed(&key), Vec::new()),
            Leaf::OutsideNameConstraints => (
                params.signed_by(&key, &self.constrained.issuer),
                vec![self.constrained.cert.clone()],
            ),
            Leaf::PathTooLong => (
                params.signed_by(&key, &self.below_the_limit.issuer),
                vec![self.below_the_limit.cert.clone(), self.no_more_below.cert.clone()],
            ),
            Leaf::EmptyIssuer => (params.signed_by(&key, &self.nameless.issuer), Vec::new()),
        };
        let cert = cert.map_err(pki_error)?;
        let signing_key = match leaf {
            Leaf::WrongKey => kind.key_pair().map_err(pki_error)?,
            _ => key,
        };
        let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(signing_key.serialize_der()));
        let signer = rustls::crypto::ring::sign::any_supported_type(&private).map_err(pki_error)?;
        Ok(Arc::new(CertifiedKey::new(
            [vec![cert.der().clone()], chain_rest].concat(),
            signer,
        )))
    }
}

/// The chain (leaf first) and the PKCS#8 private key in PEM, as curl's --cert and --key read them.
pub fn identity_pem(id: &ClientIdentity) -> (String, String) {
    let chain = id.chain.iter().map(|c| pem_certificate(c)).collect();
    (chain, pem("PRIVATE KEY", id.key.secret_der()))
}

impl Pki {
    /// A client certificate (extended key usage clientAuth) for `name`, issued by the
    /// intermediate, with the chain a client sends.
    pub fn issue_client(&self, name: &str) -> Result<ClientIdentity> {
        let key = KeyPair::generate().map_err(pki_error)?;
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(pki_error)?;
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params.signed_by(&key, &self.intermediate.issuer).map_err(pki_error)?;
        Ok(ClientIdentity {
            chain: vec![cert.der().clone(), self.intermediate.cert.clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        })
    }
}

/// Serves one certificate to every client.
#[derive(Debug)]
pub struct OneCert(pub Arc<CertifiedKey>);

impl ResolvesServerCert for OneCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// A certificate in PEM (RFC 7468).
pub fn pem_certificate(der: &[u8]) -> String {
    pem("CERTIFICATE", der)
}

/// DER in PEM (RFC 7468): base64, 64 columns, between `-----BEGIN label-----` and its END.
fn pem(label: &str, der: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for chunk in der.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
    }
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|l| std::str::from_utf8(l).unwrap_or_default())
        .collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}
