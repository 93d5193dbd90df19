//! The sandbox's TLS hosts, each with a certificate from the sandbox PKI (or a broken one), a
//! behaviour and content: they complete TLS handshakes, send session tickets, and answer over
//! HTTP/1.1 (one request, then close), HTTP/2 and HTTP/3. Their names are in the sandbox DNS (labs/sandbox/zones/example.com.zone).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use super::http::Schedule;
use super::pki::{KeyKind, Leaf, Pki};
use super::site::Site;
use crate::error::{Error, Result};

/// How a host speaks TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// TLS 1.3 and 1.2, X25519 and P-256.
    Normal,
    /// Only the P-256 group: a client that guessed X25519 gets a HelloRetryRequest.
    P256Only,
    /// TLS 1.2 only.
    Tls12Only,
    /// Session tickets that allow 0-RTT early data (RFC 8446 §4.2.10); the early request is
    /// answered like any other.
    EarlyData,
    /// Mutual TLS: sends a CertificateRequest and refuses clients without a certificate from the
    /// sandbox CA (RFC 8446 §4.3.2, alert certificate_required).
    ClientCertRequired,
}

/// One TLS host of the sandbox.
#[derive(Debug, Clone, Copy)]
pub struct HostSpec {
    pub names: &'static [&'static str],
    pub addresses: &'static [&'static str],
    pub leaf: Leaf,
    pub key: KeyKind,
    pub behaviour: Behaviour,
    /// How its HTTP/2 and HTTP/3 servers share a connection between responses in flight.
    pub schedule: Schedule,
    /// What it serves.
    pub content: Content,
}

/// What a host serves ([`super::site::Site`] once the sandbox's origin and CDN are running).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// The usual content (`/`, `/bytes/N`, ...).
    Web,
    /// origin.example.com's caching rules ([`super::origin`]).
    Origin,
    /// The usual content, and for requests to cdn.example.net the CDN's edge ([`super::cdn`]).
    WebAndCdn,
}

/// Every TLS host (port 443).
pub const HOSTS: &[HostSpec] = &[
    HostSpec {
        names: &["example.com", "www.example.com", "cdn.example.net"],
        addresses: &["192.0.2.10", "192.0.2.80"],
        leaf: Leaf::Good,
        key: KeyKind::P256,
        behaviour: Behaviour::Normal,
        schedule: Schedule::RoundRobin,
        content: Content::WebAndCdn,
    },
    HostSpec {
        names: &["origin.example.com"],
        addresses: &["192.0.2.20"],
        leaf: Leaf::Good,
        key: KeyKind::P256,
        behaviour: Behaviour::Normal,
        schedule: Schedule::RoundRobin,
        content: Content::Origin,
    },
    HostSpec {
        names: &["expired.example.com"],
        addresses: &["192.0.2.101"],
        leaf: Leaf::Expired,
        key: KeyKind::P256,
        behaviour: Behaviour::Normal,
        schedule: Schedule::RoundRobin,
        content: Content::Web,
    },
    HostSpec {
        names: &["wrong-host.example.com"],
        addresses: &["192.0.2.102"],
        leaf: Leaf::WrongName,
        key: KeyKind::P256,
        behaviour: Behaviour::Normal,
        schedule: Schedule::RoundRobin,
        content: Content::Web,
    },
    HostSpec {
        names: &["self-signed.example.com"],
        addresses: &["192.0.2.103"],
        leaf: Leaf::SelfSigned,
        key: KeyKind::P256,
        behaviour: Behaviour::Normal,
        schedule: Schedule::RoundRobin,
        content: Content::Web,
    },
    HostSpec {
        names: &["untrusted.example.com"],
        addresses: &["192.0.2.104"],
        leaf: Leaf::Untrusted,
        key: KeyKind::P256,
        behaviour: Behaviour::Normal,
        schedule: Schedule::RoundRobin,
        content: Content::Web,
    },
    HostSpec {
        names: &["no-intermediate.example.com"],
        addresses: &["192.0.2.105"],
        leaf: Leaf::MissingIntermediate,
        key: KeyKind::P256,
        behaviour: Behaviour::Normal,
        schedule: Schedule::RoundRobin,
        content: Content::Web,
    },
    HostSpec {
        names: &["name-constraints.example.com"],
        addresses: &["192.0.2.114"],
        leaf: Leaf::OutsideNameConstraints,
        key: KeyKind::P256,
        behaviour: Behaviour::Normal,
        schedule: Schedule::RoundRobin,
        content: Content::Web,
    },
    HostSpec {
        names: &["path-length.example.com"],
        addresses: &["192.0.2.115"],
        leaf: Leaf::PathTooLong,
        key: KeyKind::P256,
        behaviour: Behaviour::Normal,
        schedule: Schedule::RoundRobin,
        content: Content::Web,
    },
    HostSpec {
        names: &["ca-leaf.example.com"],
        addresses: &["192.0.2.116"],
        leaf: Leaf::CaAsLeaf,
        key: KeyKind::P256,
        behaviour: Behaviour::Normal,
        schedule: Schedule::RoundRobin,
        content: Content::Web,
    },
    HostSpec {
        names: &["empty-issuer.example.com"],
        addresses: &["192.0.2.117"],
        leaf: Leaf::EmptyIssuer,
        key: KeyKind::P256,
        behaviour: Behaviour::Normal,
        schedule: Schedule::RoundRobin,
        content: Content::Web,
    },
    HostSpec {
        names: &["wrong-key.example.com"],
        addresses: &["192.0.2.118"],
        leaf: Leaf::WrongKey,
        key: KeyKind::P256,
        behaviour: Behaviour::Normal,
        schedule: Schedule::RoundRobin,
        content: Content::Web,
    },
    HostSpec {
        names: &["hrr.example.com"],
        addresses: &["192.0.2.106"],
        leaf: Leaf::Good,
        key: KeyKind::P256,
        behaviour: Behaviour::P256Only,
        schedule: Schedule::RoundRobin,
        content: Content::Web,
    },
    HostSpec {
        names: &["tls12.example.com"],
        addresses: &["192.0.2.107"],
        leaf: Leaf::Good,
        key: KeyKind::P256,
        behaviour: Behaviour::Tls12Only,
        schedule: Schedule::RoundRobin,
        content: Content::Web,
    },
    HostSpec {
        names: &["mtls.example.com"],
        addresses: &["192.0.2.110"],
        leaf: Leaf::Good,
        key: KeyKind::P256,
        behaviour: Behaviour::ClientCertRequired,
        schedule: Schedule::RoundRobin,
        content: Content::Web,
    },
    HostSpec {
        names: &["p384.example.com"],
        addresses: &["192.0.2.108"],
        leaf: Leaf::Good,
        key: KeyKind::P384,
        behaviour: Behaviour::Normal,
        schedule: Schedule::RoundRobin,
        content: Content::Web,
    },
    HostSpec {
        names: &["ed25519.example.com"],
        addresses: &["192.0.2.109"],
        leaf: Leaf::Good,
        key: KeyKind::Ed25519,
        behaviour: Behaviour::Normal,
        schedule: Schedule::RoundRobin,
        content: Content::Web,
    },
    HostSpec {
        names: &["rsa.example.com"],
        addresses: &["192.0.2.112"],
        leaf: Leaf::Good,
        key: KeyKind::Rsa2048,
        behaviour: Behaviour::Normal,
        schedule: Schedule::RoundRobin,
        content: Content::Web,
    },
    HostSpec {
        names: &["zero-rtt.example.com"],
        addresses: &["192.0.2.111"],
        leaf: Leaf::Good,
        key: KeyKind::P256,
        behaviour: Behaviour::EarlyData,
        schedule: Schedule::RoundRobin,
        content: Content::Web,
    },
    HostSpec {
        names: &["sequential.example.com"],
        addresses: &["192.0.2.113"],
        leaf: Leaf::Good,
        key: KeyKind::P256,
        behaviour: Behaviour::Normal,
        schedule: Schedule::Sequential,
        content: Content::Web,
    },
];

/// How much 0-RTT data zero-rtt.example.com takes: its tickets say so (RFC 8446 §4.6.1).
const MAX_EARLY_DATA: u32 = 16 * 1024;

/// A running TLS host.
pub struct RunningHost {
    pub spec: HostSpec,
    pub local: SocketAddr,
    /// Its HTTP/3 endpoint (UDP, same port number), if it has one.
    pub quic: Option<super::http_quic::RunningQuic>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RunningHost {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn server_config(
    spec: &HostSpec,
    cert: Arc<rustls::sign::CertifiedKey>,
    client_roots: &rustls::pki_types::CertificateDer<'static>,
) -> Result<rustls::ServerConfig> {
    let mut provider = rustls::crypto::ring::default_provider();
    if spec.behaviour == Behaviour::P256Only {
        provider.kx_groups = vec![rustls::crypto::ring::kx_group::SECP256R1];
    }
    let versions: &[&rustls::SupportedProtocolVersion] = match spec.behaviour {
        Behaviour::Tls12Only => &[&rustls::version::TLS12],
        _ => &[&rustls::version::TLS13, &rustls::version::TLS12],
    };
    let provider = Arc::new(provider);
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .map_err(|e| Error::usage("sandbox TLS host", e.to_string(), "report this"))?;
    let builder = if spec.behaviour == Behaviour::ClientCertRequired {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(client_roots.clone())
            .map_err(|e| Error::usage("sandbox TLS host", e.to_string(), "report this"))?;
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| Error::usage("sandbox TLS host", e.to_string(), "report this"))?;
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let mut config = builder.with_cert_resolver(Arc::new(super::pki::OneCert(cert)));
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    if spec.behaviour == Behaviour::EarlyData {
        config.max_early_data_size = MAX_EARLY_DATA;
        // The answer to an early request goes out with the server's first flight (0.5-RTT data,
        // RFC 8446 §2.3); this host serves HTTP/1.1 only (see super::early).
        config.send_half_rtt_data = true;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
    }
    Ok(config)
}

/// Starts `spec` on `bind` with a certificate from `pki`, serving `site`: TLS on TCP, and for
/// hosts whose behaviour QUIC can have, HTTP/3 on the UDP port of the same number.
pub async fn start(spec: HostSpec, bind: SocketAddr, pki: &Pki, site: Site) -> Result<RunningHost> {
    let ips: Vec<IpAddr> = spec.addresses.iter().map(|a| a.parse().expect("valid")).collect();
    let cert = pki.issue_with_key(spec.names, &ips, spec.leaf, spec.key)?;
    let config = Arc::new(server_config(&spec, cert.clone(), &pki.root.cert)?);
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::clone(&config));
    let listener = crate::net::socket::tcp_listener(bind)
        .await
        .map_err(|e| Error::io(bind.to_string(), e))?;
    let local = listener.local_addr().map_err(|e| Error::io("sandbox TLS host", e))?;
    // QUIC is TLS 1.3 only and this sandbox asks no client certificates over it.
    let quic = match spec.behaviour {
        Behaviour::Tls12Only | Behaviour::ClientCertRequired => None,
        _ => super::http_quic::start(local, cert, spec.schedule, site.clone()).ok(),
    };
    let task = tokio::spawn(async move {
        while let Ok((stream, peer)) = listener.accept().await {
            // Small answers go out at once, not after the client's delayed ACK (Nagle, RFC 896).
            let _ = stream.set_nodelay(true);
            if spec.behaviour == Behaviour::EarlyData {
                tokio::spawn(super::early::serve(stream, Arc::clone(&config)));
                continue;
            }
            let acceptor = acceptor.clone();
            let connection = super::http_tcp::Connection {
                site: site.clone(),
                client: peer.ip(),
                schedule: spec.schedule,
            };
            tokio::spawn(async move {
                let Ok(Ok(mut tls)) = tokio::time::timeout(Duration::from_secs(5), acceptor.accept(stream)).await
                else {
                    return;
                };
                // A request sent as 0-RTT data was read during the handshake: take it from there.
                let mut early = Vec::new();
                if let Some(mut data) = tls.get_mut().1.early_data() {
                    let _ = std::io::Read::read_to_end(&mut data, &mut early);
                }
                let alpn = tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
                super::http_tcp::serve(tls, alpn.as_deref(), early, connection).await;
            });
        }
    });
    Ok(RunningHost {
        spec,
        local,
        quic,
        task,
    })
}
