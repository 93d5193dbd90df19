//! Which certificate authorities a command trusts: Mozilla's roots (webpki-roots) on the
//! internet, the sandbox's own CA on the sandbox, plus whatever `--cacert` adds.

use std::path::Path;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

use crate::error::{Error, Result};

/// Which certificate authorities to trust.
#[derive(Debug, Clone)]
pub enum Roots {
    /// Mozilla's roots (webpki-roots), plus any extra.
    Web(Vec<CertificateDer<'static>>),
    /// Only these (the sandbox CA, or --cacert alone).
    Only(Vec<CertificateDer<'static>>),
}

impl Roots {
    /// The same roots and `extra` (from `--cacert`).
    pub fn with(&self, extra: Vec<CertificateDer<'static>>) -> Roots {
        match self {
            Roots::Web(v) => Roots::Web([v.clone(), extra].concat()),
            Roots::Only(v) => Roots::Only([v.clone(), extra].concat()),
        }
    }
}

/// Reads PEM certificates for `--cacert`.
pub fn read_cacert(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let bad = |why: String| Error::usage(path.display().to_string(), why, "give a PEM file of CA certificates");
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| bad(e.to_string()))?
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("holds no certificate".into()));
    }
    Ok(certs)
}
