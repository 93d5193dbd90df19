//! Where netlab's packets may go, and everything a command needs to know about the network it
//! runs on. [`Network`] is built once per command (`app::dispatch` decides, from [`Place`],
//! whether that is the internet or the sandbox) and handed to the engine; engines learn nothing
//! else about where they run.
//!
//! - The offline guard and the sandbox's [`AddressBook`]: [`Network::route`] turns a virtual
//!   address (documentation ranges, RFC 5737/3849) into the loopback socket that plays it, or
//!   refuses it before a packet is sent. A [`Route`] can only come from there, and every socket
//!   constructor in [`socket`] takes one.
//! - Trust: the roots certificates are checked against ([`trust::Roots`]), and on the sandbox
//!   the learner's client certificate.
//! - DNS facts: the sandbox's root hints, DNSSEC trust anchor and recursive resolver.
//! - Host resolution ([`Network::resolve_host`]): the sandbox's DNS, or the system's resolver.

mod book;
pub mod capture;
pub mod hickory;
pub mod lookup;
pub mod ns;
mod place;
pub mod socket;
pub mod trust;

use std::any::Any;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use rustls::pki_types::CertificateDer;

pub use book::AddressBook;
use lookup::HostLookup;
pub use place::Place;
use trust::Roots;

use crate::dns::hints::Hint;
use crate::error::{Error, Result};
use crate::tls::identity::ClientIdentity;

/// A recursive resolver the network provides (the sandbox's, which stands in for "the system's").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalResolver {
    pub address: IpAddr,
    /// The name on its certificate (DNS over TLS and HTTPS).
    pub name: String,
}

/// The emulated link a network runs over (`--link`), as far as an engine may steer it.
pub trait LinkControl: Send + Sync {
    /// Starts the link's conditions afresh (the `drop=` count from zero, an empty queue) as
    /// `conditions` says. Comparisons call it before each side so both meet the same network.
    fn restart(&self, conditions: Conditions);
    /// The client is sending its requests now: `drop=response:N` counts from here.
    fn requests_sent(&self);
    /// Packets dropped either way since [`LinkControl::requests_sent`].
    fn exchange_drops(&self) -> u64;
    /// The round trip the link adds (both one-way delays).
    fn round_trip(&self) -> std::time::Duration;
    /// The seed of its random conditions as given (`seed=`).
    fn seed(&self) -> u64;
    /// What a connection's bytes were, so the link's log can name what a dropped packet of it
    /// carried.
    fn carried(&self, carriage: crate::link::carried::Carriage);
}

/// Which conditions a restarted link applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conditions {
    /// `--link` as given, with its seed.
    AsGiven,
    /// `--link` with the seed plus this offset: the next draw of the same random conditions.
    Reseeded(u64),
    /// `--link` without random losses and `drop=` (delays, rate and queue stay).
    LossFree,
}

/// What a sandbox brings to the network a command runs on.
pub struct SandboxFacts {
    pub book: AddressBook,
    /// The sandbox's root CA: the only one its clients trust.
    pub ca: CertificateDer<'static>,
    /// A client certificate from the sandbox CA (`--client-cert sandbox`).
    pub client_identity: ClientIdentity,
    pub root_hints: Vec<Hint>,
    /// The root zone's key, the sandbox's DNSSEC trust anchor.
    pub trust_anchor: hickory_proto::dnssec::rdata::DNSKEY,
    pub resolver: LocalResolver,
    /// How names are turned into addresses there (walking the sandbox's DNS).
    pub lookup: Arc<dyn HostLookup>,
    /// Keeps the sandbox's servers running as long as this network lives.
    pub servers: Arc<dyn Any + Send + Sync>,
}

/// The network one command runs on.
#[derive(Clone)]
pub struct Network {
    /// Refuse every destination that is not loopback.
    offline: bool,
    /// The sandbox's address book, when running against the sandbox.
    book: Option<AddressBook>,
    roots: Roots,
    client_identity: Option<ClientIdentity>,
    root_hints: Option<Vec<Hint>>,
    trust_anchor: Option<hickory_proto::dnssec::rdata::DNSKEY>,
    resolver: Option<LocalResolver>,
    lookup: Arc<dyn HostLookup>,
    link: Option<Arc<dyn LinkControl>>,
    _servers: Option<Arc<dyn Any + Send + Sync>>,
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network")
            .field("offline", &self.offline)
            .field("sandbox", &self.book.is_some())
            .finish_non_exhaustive()
    }
}

/// Where a packet for a destination actually goes. Only [`Network::route`] makes one, so a
/// socket opened along a route went past the guard:
///
/// ```compile_fail
/// let route = netlab::net::Route { target: "192.0.2.1:53".parse().unwrap(), via: "192.0.2.1:53".parse().unwrap() };
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    target: SocketAddr,
    via: SocketAddr,
}

impl Route {
    /// The address the protocol talks about (in a referral, in the trace).
    pub fn target(&self) -> SocketAddr {
        self.target
    }

    /// The socket address the packet is sent to (the same, or a sandbox loopback socket).
    pub fn via(&self) -> SocketAddr {
        self.via
    }

    /// The socket that plays the target, when it is not the target itself (for traces).
    pub fn shown_via(&self) -> Option<String> {
        (self.via != self.target).then(|| self.via.to_string())
    }
}

impl Network {
    /// The internet (Mozilla's roots, the IANA root hints, the system's resolver), behind the
    /// offline guard when `offline`.
    pub fn internet(offline: bool) -> Network {
        Network {
            offline,
            book: None,
            roots: Roots::Web(Vec::new()),
            client_identity: None,
            root_hints: None,
            trust_anchor: None,
            resolver: None,
            lookup: Arc::new(lookup::SystemLookup),
            link: None,
            _servers: None,
        }
    }

    /// A running sandbox: only its own servers (and loopback) can be reached.
    pub fn sandbox(facts: SandboxFacts) -> Network {
        Network {
            offline: true,
            book: Some(facts.book),
            roots: Roots::Only(vec![facts.ca]),
            client_identity: Some(facts.client_identity),
            root_hints: Some(facts.root_hints),
            trust_anchor: Some(facts.trust_anchor),
            resolver: Some(facts.resolver),
            lookup: facts.lookup,
            link: None,
            _servers: Some(facts.servers),
        }
    }

    /// Loopback and the servers in `book` only: what the sandbox's own resolver walks, and what
    /// tests with their own servers use.
    pub fn with_address_book(book: AddressBook) -> Network {
        Network {
            book: Some(book),
            ..Network::internet(true)
        }
    }

    /// The same network, over the emulated link that `link` steers.
    pub fn over_link(mut self, link: Arc<dyn LinkControl>) -> Network {
        self.link = Some(link);
        self
    }

    /// Starts the emulated link's conditions afresh, if the network runs over one.
    pub fn restart_link(&self) {
        self.restart_link_with(Conditions::AsGiven);
    }

    /// Restarts the link (if any) under other conditions: a reseeded or loss-free run.
    pub fn restart_link_with(&self, conditions: Conditions) {
        if let Some(link) = &self.link {
            link.restart(conditions);
        }
    }

    /// The link this network runs over, if any: what repeated runs need to know of it.
    pub fn link(&self) -> Option<&dyn LinkControl> {
        self.link.as_deref()
    }

    /// Tells the link (if any) that the client's requests go out now, so that
    /// `drop=response:N` counts the packets of the responses. Engines call it just before
    /// sending their requests; on a network without a link it does nothing.
    pub fn requests_sent(&self) {
        if let Some(link) = &self.link {
            link.requests_sent();
        }
    }

    /// Whether a link logs this network's packets: then engines that hold a connection's keys
    /// tell it what the connection carried ([`Network::carried`]).
    pub fn logs_packets(&self) -> bool {
        self.link.is_some()
    }

    /// Tells the link (if any) what a connection's bytes were.
    pub fn carried(&self, carriage: crate::link::carried::Carriage) {
        if let Some(link) = &self.link {
            link.carried(carriage);
        }
    }

    /// The same network, also trusting `extra` (`--cacert`).
    pub fn trusting(mut self, extra: Vec<CertificateDer<'static>>) -> Network {
        self.roots = self.roots.with(extra);
        self
    }

    /// Decides where a packet for `target` goes, or refuses it.
    pub fn route(&self, target: SocketAddr) -> Result<Route> {
        if let Some(via) = self.book.as_ref().and_then(|b| b.get(&target)) {
            return Ok(Route { target, via });
        }
        if self.book.is_some() && !is_loopback(target.ip()) {
            return Err(Error::usage(
                format!("refusing to contact {target}"),
                "it is not part of the sandbox",
                "the sandbox only reaches its own servers; drop --sandbox to use the internet",
            ));
        }
        if self.offline && !is_loopback(target.ip()) {
            return Err(Error::usage(
                format!("refusing to contact {target}"),
                "offline mode",
                "use --sandbox or a loopback --root/@server",
            ));
        }
        Ok(Route { target, via: target })
    }

    /// True when nothing but loopback (and the sandbox) may be reached.
    pub fn is_offline(&self) -> bool {
        self.offline
    }

    /// The certificate authorities TLS clients check servers against.
    pub fn roots(&self) -> &Roots {
        &self.roots
    }

    /// The learner's client certificate on the sandbox (`--client-cert sandbox`).
    pub fn sandbox_client_identity(&self) -> Option<&ClientIdentity> {
        self.client_identity.as_ref()
    }

    /// The root servers a walk starts from on this network, if it has its own (the sandbox's);
    /// `None` means the IANA root hints.
    pub fn root_hints(&self) -> Option<&[Hint]> {
        self.root_hints.as_deref()
    }

    /// The DNSSEC trust anchor this network has of its own (the sandbox root's key); `None`
    /// means IANA's root keys.
    pub fn trust_anchor(&self) -> Option<&hickory_proto::dnssec::rdata::DNSKEY> {
        self.trust_anchor.as_ref()
    }

    /// The recursive resolver this network provides, if any (the sandbox's).
    pub fn local_resolver(&self) -> Option<&LocalResolver> {
        self.resolver.as_ref()
    }

    /// The address of `host`: an IP literal as it is, `localhost` as loopback (RFC 6761 §6.3:
    /// it never needs a DNS query), anything else through this network's lookup.
    pub async fn resolve_host(&self, host: &str) -> Result<IpAddr> {
        if let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse() {
            return Ok(ip);
        }
        if host.eq_ignore_ascii_case("localhost") {
            return Ok(IpAddr::from([127, 0, 0, 1]));
        }
        self.lookup.address(host, self).await
    }

    /// The name's HTTPS record (RFC 9460), where this network can look it up.
    pub async fn https_record(&self, host: &str) -> Option<String> {
        self.lookup.https_record(host, self).await
    }
}

/// 127.0.0.0/8, ::1, or an IPv4-mapped loopback address.
pub fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn offline_refuses_all_but_loopback() {
        let net = Network::internet(true);
        let err = net.route(sa("198.41.0.4:53")).unwrap_err();
        assert_eq!(
            err.one_line(),
            "netlab: refusing to contact 198.41.0.4:53: offline mode (use --sandbox or a loopback --root/@server)"
        );
        assert!(net.route(sa("[2001:503:ba3e::2:30]:53")).is_err());
        assert!(
            net.route(sa("10.0.0.1:53")).is_err(),
            "private addresses are not loopback"
        );
        assert_eq!(net.route(sa("127.0.0.2:5353")).unwrap().via(), sa("127.0.0.2:5353"));
        assert!(net.route(sa("[::1]:53")).is_ok());
        assert!(net.route(sa("[::ffff:127.0.0.1]:53")).is_ok());
    }

    #[test]
    fn sandbox_routes_virtual_addresses_and_refuses_others() {
        let mut book = AddressBook::default();
        book.insert(sa("198.51.100.1:53"), sa("127.0.0.1:40123"));
        let net = Network::with_address_book(book);
        let route = net.route(sa("198.51.100.1:53")).unwrap();
        assert_eq!(
            (route.target(), route.via()),
            (sa("198.51.100.1:53"), sa("127.0.0.1:40123"))
        );
        assert_eq!(route.shown_via().as_deref(), Some("127.0.0.1:40123"));
        assert!(
            net.route(sa("8.8.8.8:53")).is_err(),
            "the sandbox never leaks to the internet"
        );
    }

    #[tokio::test]
    async fn offline_lookup_is_refused_and_literals_pass() {
        let net = Network::internet(true);
        assert_eq!(
            net.resolve_host("192.0.2.7").await.unwrap(),
            IpAddr::from([192, 0, 2, 7])
        );
        assert_eq!(
            net.resolve_host("[::1]").await.unwrap(),
            "::1".parse::<IpAddr>().unwrap()
        );
        assert!(net.resolve_host("localhost").await.unwrap().is_loopback());
        assert!(net.resolve_host("www.example.com").await.is_err());
    }
}
