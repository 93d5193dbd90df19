//! The sandbox's HTTP/3 (RFC 9114): a QUIC endpoint (quinn) on the UDP port with the same number
//! as a TLS host's TCP port, so the address book reaches both; h3 on top. Content: the host's
//! [`Site`].

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;

use super::http::{Schedule, Turns};
use super::http_tcp::{fields, response};
use super::site::{reply, Asked, Site};
use crate::error::{Error, Result};

/// A running HTTP/3 endpoint.
pub struct RunningQuic {
    pub local: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RunningQuic {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts HTTP/3 on UDP `bind` with the host's certificate, serving `site`; responses share a
/// connection by `schedule`.
pub fn start(
    bind: SocketAddr,
    cert: Arc<rustls::sign::CertifiedKey>,
    schedule: Schedule,
    site: Site,
) -> Result<RunningQuic> {
    let problem = |e: String| Error::usage("sandbox HTTP/3", e, "report this");
    let mut tls = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| problem(e.to_string()))?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(super::pki::OneCert(cert)));
    tls.alpn_protocols = vec![b"h3".to_vec()];
    // 0-RTT over QUIC needs the server's consent too (RFC 9001 §4.6.1).
    tls.max_early_data_size = u32::MAX;
    let crypto = quinn::crypto::rustls::QuicServerConfig::try_from(tls).map_err(|e| problem(e.to_string()))?;
    let mut transport = quinn::TransportConfig::default();
    // Round-robin between streams of equal priority, or in the order they were written.
    transport.send_fairness(schedule == Schedule::RoundRobin);
    // No path MTU probes from the server (DPLPMTUD, RFC 8899 / RFC 9000 §14.3): its packets stay
    // at QUIC's 1200-octet minimum, so a large packet from it always carries data, and
    // `--link drop=response:N` picks a packet of the responses, never a padded probe.
    transport.mtu_discovery_config(None);
    let mut config = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    config.transport_config(Arc::new(transport));
    let endpoint = crate::net::socket::quic_server(config, bind).map_err(|e| Error::io(format!("UDP {bind}"), e))?;
    let local = endpoint.local_addr().map_err(|e| Error::io("sandbox HTTP/3", e))?;
    let task = tokio::spawn(async move {
        while let Some(incoming) = endpoint.accept().await {
            let site = site.clone();
            tokio::spawn(async move {
                if let Ok(conn) = incoming.await {
                    serve(conn, schedule, site).await;
                }
            });
        }
    });
    Ok(RunningQuic { local, task })
}

async fn serve(conn: quinn::Connection, schedule: Schedule, site: Site) {
    let client = conn.remote_address().ip();
    let Ok(mut h3) = h3::server::Connection::<_, Bytes>::new(h3_quinn::Connection::new(conn)).await else {
        return;
    };
    let mut turns = Turns::new(schedule);
    while let Ok(Some(resolver)) = h3.accept().await {
        let mut turn = turns.take();
        let site = site.clone();
        tokio::spawn(async move {
            let Ok((request, mut stream)) = resolver.resolve_request().await else {
                return;
            };
            let headers = fields(request.headers());
            let asked = Asked::of(&request, &headers, client, "HTTP/3");
            let mut r = reply(&site, &asked).await;
            tokio::time::sleep(r.delay).await;
            turn.wait().await;
            if stream.send_response(response(&r)).await.is_err() {
                return;
            }
            if request.method() != http::Method::HEAD {
                while let Some(piece) = r.body.next().await {
                    let Ok((chunk, _)) = piece else {
                        // The edge broke the body off: so does this stream (RFC 9114 §4.1.2).
                        stream.stop_stream(h3::error::Code::H3_INTERNAL_ERROR);
                        return;
                    };
                    if stream.send_data(chunk).await.is_err() {
                        return;
                    }
                }
            }
            let _ = stream.finish().await;
        });
    }
}
