//! A client's certificate chain and private key, for mutual TLS (RFC 8446 §4.4.2): read from
//! PEM files (`--client-cert`/`--client-key`) or issued by the sandbox's CA.

use std::path::Path;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::{Error, Result};

/// A certificate chain (leaf first) and the private key of its leaf.
pub struct ClientIdentity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl Clone for ClientIdentity {
    fn clone(&self) -> Self {
        ClientIdentity {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClientIdentity({} certificate(s), key hidden)", self.chain.len())
    }
}

impl ClientIdentity {
    /// A certificate chain and its private key from PEM files.
    pub fn read_pem(cert: &Path, key: &Path) -> Result<ClientIdentity> {
        let bad = |what: &Path, e: &dyn std::fmt::Display| {
            Error::usage(what.display().to_string(), e.to_string(), "give a PEM file")
        };
        let chain = CertificateDer::pem_file_iter(cert)
            .map_err(|e| bad(cert, &e))?
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| bad(cert, &e))?;
        if chain.is_empty() {
            return Err(bad(cert, &"holds no certificate"));
        }
        let key = PrivateKeyDer::from_pem_file(key).map_err(|e| bad(key, &e))?;
        Ok(ClientIdentity { chain, key })
    }
}
