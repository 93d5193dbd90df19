//! The sandbox's TLS host: `example.com`, `www.example.com` and `cdn.example.net`
//! (192.0.2.10 and 192.0.2.80, port 443), with a certificate from the sandbox CA. It completes
//! TLS 1.3 (or 1.2) handshakes, sends session tickets, answers one HTTP/1.1 request, and closes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::error::{Error, Result};

/// Names the host's certificate covers, and the virtual addresses it answers on.
pub const NAMES: &[&str] = &["example.com", "www.example.com", "cdn.example.net"];
pub const ADDRESSES: &[&str] = &["192.0.2.10", "192.0.2.80"];

/// A running TLS host.
pub struct RunningHost {
    pub local: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RunningHost {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the host on `bind` with `cert`.
pub async fn start(bind: SocketAddr, cert: Arc<rustls::sign::CertifiedKey>) -> Result<RunningHost> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| Error::usage("sandbox TLS host", e.to_string(), "report this"))?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(super::pki::OneCert(cert)));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind(bind)
        .await
        .map_err(|e| Error::io(bind.to_string(), e))?;
    let local = listener.local_addr().map_err(|e| Error::io("sandbox TLS host", e))?;
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(Ok(mut tls)) = tokio::time::timeout(Duration::from_secs(5), acceptor.accept(stream)).await
                else {
                    return;
                };
                let mut buf = [0u8; 4096];
                if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(2), tls.read(&mut buf)).await {
                    if n > 0 {
                        let _ = tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 20\r\nconnection: close\r\n\r\nhello from netlab!\r\n").await;
                    }
                }
                let _ = tls.shutdown().await;
            });
        }
    });
    Ok(RunningHost { local, task })
}
