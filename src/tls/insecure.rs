//! `--insecure`: the certificate chain is still checked exactly as without the flag, but a
//! failure is recorded instead of ending the handshake, so the trace can say loudly what would
//! have stopped it. The CertificateVerify signature (RFC 8446 §4.4.3) is still verified: the
//! server must hold the key of the certificate it sent, whatever that certificate is.

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// Runs the normal WebPKI check and remembers its failure instead of failing.
#[derive(Debug)]
pub struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    failure: Mutex<Option<rustls::Error>>,
}

impl RecordingVerifier {
    pub fn new(inner: Arc<WebPkiServerVerifier>) -> Self {
        RecordingVerifier {
            inner,
            failure: Mutex::new(None),
        }
    }

    /// The failure the last certificate check recorded (and forgets it, for the next connection).
    pub fn take_failure(&self) -> Option<rustls::Error> {
        self.failure.lock().ok().and_then(|mut f| f.take())
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
        if let Err(e) = self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            if let Ok(mut f) = self.failure.lock() {
                *f = Some(e);
            }
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
