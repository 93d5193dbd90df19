//! The sandbox: a small internet on loopback (DESIGN.md §3). Every server has a virtual address
//! from the documentation ranges and really listens on a loopback socket; the address book in
//! [`crate::net::Network`] connects the two, and nothing ever leaves the machine.

pub mod cdn;
pub mod directory;
pub mod discard;
pub mod dns;
pub mod dnssec;
pub mod doh;
pub mod early;
pub mod glue;
pub mod http;
pub mod http_quic;
pub mod http_tcp;
pub mod linked;
pub mod origin;
pub mod pki;
pub mod referral;
pub mod resolver;
pub mod rrl;
pub mod site;
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
    /// The CDN behind cdn.example.net: its edges and origin.example.com's HTTP/1.1 listener.
    pub cdn: std::sync::Arc<cdn::Cdn>,
    /// The sandbox's root CA certificate: what clients of its TLS services trust.
    pub ca_cert: rustls::pki_types::CertificateDer<'static>,
    /// The root zone's DNSKEY: the sandbox's DNSSEC trust anchor.
    pub trust_anchor: hickory_proto::dnssec::rdata::DNSKEY,
    /// The discard service (RFC 863) on www.example.com port 9, for `netlab tcp` (one socket
    /// per address with [`Addressing::Own`]).
    pub discard: Vec<discard::RunningDiscard>,
    /// A client certificate from the sandbox CA, which mtls.example.com accepts.
    pub client_identity: crate::tls::identity::ClientIdentity,
}

/// Where the sandbox's servers listen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addressing {
    /// Each on an ephemeral loopback port; the address book maps the virtual addresses to them.
    Loopback,
    /// Each name server on its own 127.0.53.x, port 53 (and the zones rewritten to match), so
    /// dig +trace and real resolvers can walk it (`sandbox up --bind-127`).
    Bind127,
    /// Each on its own virtual address (192.0.2.80:443 really is 192.0.2.80:443): inside the
    /// servers' network namespace of an emulated link, where those addresses are local.
    Own,
}

impl Sandbox {
    /// Starts every server on ephemeral loopback ports.
    pub async fn start() -> Result<Sandbox> {
        Self::start_with(Addressing::Loopback).await
    }

    /// Starts every server, listening as `addressing` says.
    pub async fn start_with(addressing: Addressing) -> Result<Sandbox> {
        let bind_127 = addressing == Addressing::Bind127;
        let own = addressing == Addressing::Own;
        let mut servers = Vec::new();
        let mut book = AddressBook::default();
        // The resolver listens on the 127.0.53.x after the name servers'.
        let rewrite: dns::Rewrite = if bind_127 {
            world::SERVERS
                .iter()
                .map(|s| s.address)
                .chain([resolver::ADDRESS])
                .enumerate()
                .map(|(i, address)| (address.to_string(), loopback_for(i).to_string()))
                .collect()
        } else {
            Default::default()
        };
        let keys = dnssec::Keys::generate()?;
        for (i, spec) in world::SERVERS.iter().enumerate() {
            let ip: IpAddr = spec.address.parse().expect("world addresses are valid");
            let bind = match addressing {
                Addressing::Loopback => None,
                Addressing::Bind127 => Some(SocketAddr::new(IpAddr::V4(loopback_for(i)), 53)),
                Addressing::Own => Some(SocketAddr::new(ip, 53)),
            };
            let running = dns::start(*spec, bind, &rewrite, &keys).await?;
            book.insert(SocketAddr::new(ip, 53), running.local);
            servers.push(running);
        }
        let resolver_ip_virtual: IpAddr = resolver::ADDRESS.parse().expect("valid");
        let resolver_ip = match addressing {
            Addressing::Loopback => IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            Addressing::Bind127 => IpAddr::V4(loopback_for(world::SERVERS.len())),
            Addressing::Own => resolver_ip_virtual,
        };
        let port = |p: u16| if addressing == Addressing::Loopback { 0 } else { p };
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
        let cert = pki.issue(
            &[resolver::NAME.trim_end_matches('.')],
            &[resolver_ip_virtual, resolver_ip],
            pki::Leaf::Good,
        )?;
        let anchors = crate::dns::dnssec::Anchors::root_key(&keys.root_anchor());
        let resolver = resolver::start(binds, walk_net, roots, anchors, cert).await?;
        book.insert(SocketAddr::new(resolver_ip_virtual, 53), resolver.local);
        book.insert(SocketAddr::new(resolver_ip_virtual, 853), resolver.local_tls);
        book.insert(SocketAddr::new(resolver_ip_virtual, 443), resolver.local_https);
        let origin = std::sync::Arc::new(origin::Origin::default());
        let cdn = std::sync::Arc::new(cdn::Cdn::start(origin.clone()).await?);
        let mut web = Vec::new();
        for (k, spec) in web::HOSTS.iter().enumerate() {
            let site = match spec.content {
                web::Content::Web => site::Site::Web,
                web::Content::Origin => site::Site::Origin(origin.clone()),
                web::Content::WebAndCdn => site::Site::WebAndCdn(cdn.clone()),
            };
            let addresses: Vec<IpAddr> = spec.addresses.iter().map(|a| a.parse().expect("valid")).collect();
            // On its own addresses a host listens on each; elsewhere one socket plays them all.
            let binds = match addressing {
                Addressing::Loopback => vec![SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0)],
                Addressing::Bind127 => vec![SocketAddr::new(
                    IpAddr::V4(loopback_for(world::SERVERS.len() + 1 + k)),
                    443,
                )],
                Addressing::Own => addresses.iter().map(|ip| SocketAddr::new(*ip, 443)).collect(),
            };
            for bind in binds {
                let host = web::start(*spec, bind, &pki, site.clone()).await?;
                for ip in &addresses {
                    if !own || *ip == bind.ip() {
                        book.insert(SocketAddr::new(*ip, 443), host.local);
                    }
                }
                web.push(host);
            }
        }
        let www: Vec<IpAddr> = web::HOSTS[0]
            .addresses
            .iter()
            .map(|a| a.parse().expect("valid"))
            .collect();
        let discard_binds: Vec<SocketAddr> = if own {
            www.iter().map(|ip| SocketAddr::new(*ip, discard::PORT)).collect()
        } else {
            vec![SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0)]
        };
        let mut discard = Vec::new();
        for bind in discard_binds {
            discard.push(discard::start(bind).await?);
        }
        for (i, ip) in www.iter().enumerate() {
            let serving = if own { &discard[i] } else { &discard[0] };
            book.insert(SocketAddr::new(*ip, discard::PORT), serving.local);
        }
        Ok(Sandbox {
            discard,
            servers,
            resolver,
            web,
            cdn,
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
        let sandbox = std::sync::Arc::new(self);
        sandbox.network_facts(sandbox.clone())
    }

    /// The network a command uses against this sandbox, kept alive by `servers`.
    pub fn network_facts(&self, servers: std::sync::Arc<dyn std::any::Any + Send + Sync>) -> Network {
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
            servers,
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
