//! `netlab tls serve`, the engine: the server's certificate (the user's, or one for localhost
//! from a fresh CA), the listener on loopback, and the wait for clients until `--count`,
//! `--for` or Ctrl-C; [`super::server`] does each connection. What there is to report goes to a
//! sink as [`ServeEvent`]s as it happens, so text or JSON is the caller's business.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::identity::ClientIdentity;
use super::server::ClientSeen;
use crate::error::{Error, Result};
use crate::render::RenderOpts;

/// The schema of every `netlab tls serve --json` line.
pub const SCHEMA: &str = "netlab.tls.serve/1";

/// One thing the server reports, tagged `"type": "tls.<name>"`; in JSON one line each (JSON
/// Lines), each with the schema.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum ServeEvent {
    /// The server listens; `ca` is the root to trust when the certificate is a fresh one.
    #[serde(rename = "tls.listening")]
    Listening {
        schema: &'static str,
        address: SocketAddr,
        ca: Option<PathBuf>,
    },
    /// A client came and went: what it offered, and how its handshake ended.
    #[serde(rename = "tls.client")]
    Client {
        schema: &'static str,
        client: Box<ClientSeen>,
    },
}

impl ServeEvent {
    /// The event for a person.
    pub fn text(&self, opts: &RenderOpts) -> String {
        match self {
            ServeEvent::Listening {
                address, ca: Some(ca), ..
            } => format!(
                "netlab tls serve: listening on {address} (certificate for localhost from a fresh CA: {ca})\n  curl --cacert {ca} https://localhost:{port}/\n  netlab tls localhost:{port} --cacert {ca}\n",
                ca = ca.display(),
                port = address.port()
            ),
            ServeEvent::Listening { address, ca: None, .. } => {
                format!("netlab tls serve: listening on {address} with the certificate of --cert\n")
            }
            ServeEvent::Client { client, .. } => super::render::client_seen(client, opts),
        }
    }
}

/// The certificate the server shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Certificate {
    /// `--cert` and `--key`: a chain and its key in PEM.
    Given { cert: PathBuf, key: PathBuf },
    /// One for localhost (and the listening address) from a fresh CA, whose root is written to
    /// `ca_path` for clients to trust.
    Fresh { ca_path: PathBuf },
}

/// What `netlab tls serve` was asked to do.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// A loopback address (checked by the caller).
    pub listen: SocketAddr,
    pub certificate: Certificate,
    /// Stop after this many completed handshakes.
    pub count: Option<u32>,
    /// Stop after this long.
    pub duration: Option<Duration>,
}

/// The certified key to serve, and where a fresh CA's root was written.
fn certified_key(options: &ServeOptions) -> Result<(Arc<rustls::sign::CertifiedKey>, Option<PathBuf>)> {
    match &options.certificate {
        Certificate::Given { cert, key } => {
            let id = ClientIdentity::read_pem(cert, key)?;
            let signer = rustls::crypto::ring::sign::any_supported_type(&id.key).map_err(|e| {
                Error::usage(
                    key.display().to_string(),
                    e.to_string(),
                    "give an ECDSA, Ed25519 or RSA key in PEM",
                )
            })?;
            Ok((Arc::new(rustls::sign::CertifiedKey::new(id.chain, signer)), None))
        }
        Certificate::Fresh { ca_path } => {
            let pki = crate::sandbox::pki::Pki::generate()?;
            let cert = pki.issue(&["localhost"], &[options.listen.ip()], crate::sandbox::pki::Leaf::Good)?;
            crate::fsutil::write_atomic(ca_path, crate::sandbox::pki::pem_certificate(&pki.root.cert).as_bytes())
                .map_err(|e| Error::io(ca_path, e))?;
            Ok((cert, Some(ca_path.clone())))
        }
    }
}

/// Serves until `--count` handshakes have completed, `--for` has passed, or Ctrl-C; each event goes to
/// `sink` as it happens.
pub async fn run(options: &ServeOptions, mut sink: impl FnMut(ServeEvent) -> Result<()>) -> Result<()> {
    let (cert, ca) = certified_key(options)?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| Error::usage("tls serve", e.to_string(), "report this"))?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(crate::sandbox::pki::OneCert(cert)));
    config.alpn_protocols = super::server::ALPN.iter().map(|p| p.to_vec()).collect();
    let listen = options.listen;
    let listener = crate::net::socket::tcp_listener(listen)
        .await
        .map_err(|e| Error::io(listen.to_string(), e))?;
    let address = listener.local_addr().map_err(|e| Error::io(listen.to_string(), e))?;
    sink(ServeEvent::Listening {
        schema: SCHEMA,
        address,
        ca,
    })?;
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let server = tokio::spawn(super::server::serve(listener, Arc::new(config), options.count, tx));
    let deadline = options.duration.map(|d| tokio::time::Instant::now() + d);
    let result = loop {
        let next = match deadline {
            Some(d) => match tokio::time::timeout_at(d, rx.recv()).await {
                Ok(v) => v,
                Err(_) => break Ok(()),
            },
            None => tokio::select! {
                v = rx.recv() => v,
                _ = tokio::signal::ctrl_c() => break Ok(()),
            },
        };
        let Some(seen) = next else { break Ok(()) };
        if let Err(e) = sink(ServeEvent::Client {
            schema: SCHEMA,
            client: Box::new(seen),
        }) {
            break Err(e);
        }
    };
    server.abort();
    result
}
