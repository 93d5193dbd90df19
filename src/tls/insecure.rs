//! The client's certificate verifier: rustls's own WebPKI check, run exactly as it is, with what
//! it was given and what it found recorded for the trace ([`super::verify`] shows it at the
//! Certificate step). Without `--insecure` a failure ends the handshake as rustls decides; with
//! it, the failure is recorded instead of ending the handshake, so the trace can say loudly what
//! would have stopped it. The CertificateVerify signature (RFC 8446 §4.4.3) is always verified:
//! the server must hold the key of the certificate it sent, whatever that certificate is.

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use super::verify::Anchor;

/// What one certificate check was given and what it found.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The chain the server sent, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    pub server_name: String,
    /// The time rustls checked the validity windows against, in seconds since the Unix epoch.
    pub now: i64,
    /// The chain's verdict (path to a trusted root, validity, name, constraints).
    pub chain_result: Result<(), rustls::Error>,
    /// The CertificateVerify signature's verdict, once the server's signature was checked.
    pub signature_result: Option<Result<(), rustls::Error>>,
}

/// Runs the normal WebPKI check and records it; with `insecure`, lets a failed chain pass.
#[derive(Debug)]
pub struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    insecure: bool,
    /// The subjects of the roots `inner` trusts, to show where a chain ends.
    anchors: Vec<Anchor>,
    checked: Mutex<Option<Checked>>,
}

impl RecordingVerifier {
    pub fn new(inner: Arc<WebPkiServerVerifier>, insecure: bool, anchors: Vec<Anchor>) -> Self {
        RecordingVerifier {
            inner,
            insecure,
            anchors,
            checked: Mutex::new(None),
        }
    }

    /// The trust anchors' subjects.
    pub fn anchors(&self) -> &[Anchor] {
        &self.anchors
    }

    /// Whether a failed chain is let pass (`--insecure`).
    pub fn insecure(&self) -> bool {
        self.insecure
    }

    /// The last certificate check's failure in plain words (and forgets the check, for the next
    /// connection).
    pub fn take_failure(&self) -> Option<String> {
        self.take_checked().and_then(|c| super::verify::said(&c))
    }

    /// A failed handshake said with the recorded check when a certificate failed it: the
    /// failure's detail becomes the check's plain words instead of rustls's.
    pub fn explain(&self, e: crate::error::Error) -> crate::error::Error {
        match e {
            crate::error::Error::Failed(mut f) if f.kind == crate::trace::FailureKind::Certificate => {
                if let Some(said) = self.take_failure() {
                    f.detail = said;
                }
                crate::error::Error::Failed(f)
            }
            other => other,
        }
    }

    /// The last certificate check (and forgets it, for the next connection).
    pub fn take_checked(&self) -> Option<Checked> {
        self.checked.lock().ok().and_then(|mut c| c.take())
    }

    fn signature_checked(&self, result: &Result<HandshakeSignatureValid, rustls::Error>) {
        if let Ok(mut c) = self.checked.lock() {
            if let Some(c) = c.as_mut() {
                c.signature_result = Some(result.as_ref().map(|_| ()).map_err(Clone::clone));
            }
        }
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let result = self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now);
        if let Ok(mut c) = self.checked.lock() {
            *c = Some(Checked {
                chain: std::iter::once(end_entity)
                    .chain(intermediates)
                    .map(|c| c.clone().into_owned())
                    .collect(),
                server_name: server_name.to_str().into_owned(),
                now: now.as_secs() as i64,
                chain_result: result.as_ref().map(|_| ()).map_err(Clone::clone),
                signature_result: None,
            });
        }
        match result {
            Err(_) if self.insecure => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let result = self.inner.verify_tls12_signature(message, cert, dss);
        self.signature_checked(&result);
        result
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let result = self.inner.verify_tls13_signature(message, cert, dss);
        self.signature_checked(&result);
        result
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
