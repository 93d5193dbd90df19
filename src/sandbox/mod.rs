//! The sandbox: a small internet on loopback (DESIGN.md §3). Every server has a virtual address
//! from the documentation ranges and really listens on a loopback socket; the address book in
//! [`crate::net::Network`] connects the two, and nothing ever leaves the machine.

pub mod directory;
pub mod discard;
pub mod dns;
pub mod dnssec;
pub mod glue;
pub mod http;
pub mod http_quic;
pub mod http_tcp;
pub mod pki;
pub mod resolver;
pub mod web;
pub mod world;

use std::net::{IpAddr, SocketAddr};

use crate::dns::hints::Hint;
use crate::error::Result;
use crate::net::{AddressBook, LocalResolver, Network, SandboxFacts};

/// A running sandbox.
pub struct Sandbox {
    pub servers: Vec<dns::Running>,
    /// The recursive resolver, `resolver.sandbox.test.` (198.51.100.53).
    pub resolver: resolver::RunningResolver,
    pub book: AddressBook,
    /// The TLS hosts (port 443).
    pub web: Vec<web::RunningHost>,
    /// The sandbox's root CA certificate: what clients of its TLS services trust.
    pub ca_cert: rustls::pki_types::CertificateDer<'static>,
    /// The root zone's DNSKEY: the sandbox's DNSSEC trust anchor.
    pub trust_anchor: hickory_proto::dnssec::rdata::DNSKEY,
    /// The discard service (RFC 863) on www.example.com port 9, for `netlab tcp`.
    pub discard: discard::RunningDiscard,
    /// A client certificate from the sandbox CA, which mtls.example.com accepts.
    pub client_identity: crate::tls::identity::ClientIdentity,
}

impl Sandbox {
    /// Starts every server on ephemeral loopback ports.
    pub async fn start() -> Result<Sandbox> {
        Self::start_with(false).await
    }

    /// Starts every server; with `bind_127`, each on its own 127.0.53.x address, port 53, with
    /// the zones' server addresses rewritten to match, so dig +trace and real resolvers can walk
    /// it unmodified.
    pub async fn start_with(bind_127: bool) -> Result<Sandbox> {
        let mut servers = Vec::new();
        let mut book = AddressBook::default();
        let rewrite: dns::Rewrite = if bind_127 {
            world::SERVERS
                .iter()
                .enumerate()
                .map(|(i, s)| (s.address.to_string(), loopback_for(i).to_string()))
                .collect()
        } else {
            Default::default()
        };
        let keys = dnssec::Keys::generate()?;
        for (i, spec) in world::SERVERS.iter().enumerate() {
            let bind = bind_127.then(|| SocketAddr::new(IpAddr::V4(loopback_for(i)), 53));
            let running = dns::start(*spec, bind, &rewrite, &keys).await?;
            let ip: IpAddr = spec.address.parse().expect("world addresses are valid");
            book.insert(SocketAddr::new(ip, 53), running.local);
            servers.push(running);
        }
        let resolver_ip = IpAddr::V4(if bind_127 {
            loopback_for(world::SERVERS.len())
        } else {
            std::net::Ipv4Addr::LOCALHOST
        });
        let port = |p: u16| if bind_127 { p } else { 0 };
        let binds = resolver::Binds {
            dns: SocketAddr::new(resolver_ip, port(53)),
            tls: SocketAddr::new(resolver_ip, port(853)),
            https: SocketAddr::new(resolver_ip, port(443)),
        };
        let roots = if bind_127 {
            (0..2)
                .map(|i| Hint {
                    name: world::ROOT_HINTS[i].0.to_string(),
                    addr: SocketAddr::new(IpAddr::V4(loopback_for(i)), 53),
                })
                .collect()
        } else {
            Self::root_hints()
        };
        let walk_net = if bind_127 {
            Network::internet(true)
        } else {
            Network::with_address_book(book.clone())
        };
        let pki = pki::Pki::generate()?;
        let resolver_ip_virtual: IpAddr = resolver::ADDRESS.parse().expect("valid");
        let cert = pki.issue(
            &[resolver::NAME.trim_end_matches('.')],
            &[resolver_ip_virtual, resolver_ip],
            pki::Leaf::Good,
        )?;
        let resolver = resolver::start(binds, walk_net, roots, cert).await?;
        book.insert(SocketAddr::new(resolver_ip_virtual, 53), resolver.local);
        book.insert(SocketAddr::new(resolver_ip_virtual, 853), resolver.local_tls);
        book.insert(SocketAddr::new(resolver_ip_virtual, 443), resolver.local_https);
        let mut web = Vec::new();
        for (k, spec) in web::HOSTS.iter().enumerate() {
            let ip = IpAddr::V4(if bind_127 {
                loopback_for(world::SERVERS.len() + 1 + k)
            } else {
                std::net::Ipv4Addr::LOCALHOST
            });
            let host = web::start(*spec, SocketAddr::new(ip, port(443)), &pki).await?;
            for a in spec.addresses {
                book.insert(SocketAddr::new(a.parse().expect("valid"), 443), host.local);
            }
            web.push(host);
        }
        let discard = discard::start(SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0)).await?;
        for a in web::HOSTS[0].addresses {
            book.insert(SocketAddr::new(a.parse().expect("valid"), discard::PORT), discard.local);
        }
        Ok(Sandbox {
            discard,
            servers,
            resolver,
            web,
            book,
            ca_cert: pki.root.cert.clone(),
            trust_anchor: keys.root_anchor(),
            client_identity: pki.issue_client("netlab learner")?,
        })
    }

    /// The loopback address a `--bind-127` server gets.
    pub fn bound_address(index: usize) -> std::net::Ipv4Addr {
        loopback_for(index)
    }

    /// The network a command uses against this sandbox; it keeps the servers running.
    pub fn into_network(self) -> Network {
        Network::sandbox(SandboxFacts {
            book: self.book.clone(),
            ca: self.ca_cert.clone(),
            client_identity: self.client_identity.clone(),
            root_hints: Self::root_hints(),
            trust_anchor: self.trust_anchor.clone(),
            resolver: LocalResolver {
                address: resolver::ADDRESS.parse().expect("valid"),
                name: resolver::NAME.trim_end_matches('.').to_string(),
            },
            lookup: std::sync::Arc::new(crate::dns::lookup::WalkLookup),
            servers: std::sync::Arc::new(self),
        })
    }

    /// The sandbox's root hints.
    pub fn root_hints() -> Vec<Hint> {
        world::ROOT_HINTS
            .iter()
            .map(|(name, ip)| Hint {
                name: name.to_string(),
                addr: SocketAddr::new(ip.parse().expect("valid"), 53),
            })
            .collect()
    }
}

/// 127.0.53.1, 127.0.53.2, ... for the servers in order.
fn loopback_for(index: usize) -> std::net::Ipv4Addr {
    std::net::Ipv4Addr::new(127, 0, 53, (index + 1) as u8)
}
