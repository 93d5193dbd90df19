//! The sandbox's certificate authority (rcgen): a CA made fresh at start, and certificates it
//! issues for the sandbox's TLS services, so clients verify them for real instead of skipping
//! the check.

use std::net::IpAddr;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use crate::error::{Error, Result};

fn pki_error(e: impl std::fmt::Display) -> Error {
    Error::usage("sandbox PKI", e.to_string(), "report this")
}

/// The sandbox CA: its certificate (what clients trust) and its issuer.
pub struct Ca {
    pub cert: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    pub fn generate() -> Result<Ca> {
        let key = KeyPair::generate().map_err(pki_error)?;
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(pki_error)?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, "netlab sandbox CA");
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key).map_err(pki_error)?;
        Ok(Ca {
            cert: cert.der().clone(),
            issuer: Issuer::new(params, key),
        })
    }

    /// A server certificate for `name` (and the addresses in `ips`), with its chain and key.
    pub fn issue(&self, name: &str, ips: &[IpAddr]) -> Result<Arc<CertifiedKey>> {
        self.issue_names(&[name], ips)
    }

    /// A server certificate for several names (the first is its subject), and addresses.
    pub fn issue_names(&self, names: &[&str], ips: &[IpAddr]) -> Result<Arc<CertifiedKey>> {
        let key = KeyPair::generate().map_err(pki_error)?;
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).map_err(pki_error)?;
        params
            .distinguished_name
            .push(DnType::CommonName, names.first().copied().unwrap_or("netlab sandbox"));
        params
            .subject_alt_names
            .extend(ips.iter().map(|ip| SanType::IpAddress(*ip)));
        let cert = params.signed_by(&key, &self.issuer).map_err(pki_error)?;
        let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let signer = rustls::crypto::ring::sign::any_supported_type(&private).map_err(pki_error)?;
        Ok(Arc::new(CertifiedKey::new(
            vec![cert.der().clone(), self.cert.clone()],
            signer,
        )))
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
