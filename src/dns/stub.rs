//! Stub mode: one question to a recursive resolver (`@IP`, `--resolver IP`, or the system's
//! configuration), through hickory-resolver. The resolver walks and caches for you; the trace
//! shows what it answered, how fast, and whether it vouched for DNSSEC (AD).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hickory_proto::rr::RecordType;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::Resolver;

use super::events::{DnsEvent, Server, StubExchange};
use super::wire;
use crate::error::Error;
use crate::net::Network;
use crate::trace::{Note, Outcome, Trace, TraceBuilder};

/// Which resolver to ask.
#[derive(Debug, Clone)]
pub enum ResolverChoice {
    /// A resolver at this address (port 53 unless given).
    Address(SocketAddr),
    /// The system's resolvers (`/etc/resolv.conf`).
    System,
}

/// How the stub reaches the resolver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// UDP, with TCP when the answer is truncated (port 53).
    Plain,
    /// DNS over TLS (RFC 7858, port 853), checking the certificate against `name`.
    Tls { name: String },
    /// DNS over HTTPS (RFC 8484, port 443, POST /dns-query), checking the certificate against `name`.
    Https { name: String },
}

impl Transport {
    fn label(&self) -> &'static str {
        match self {
            Transport::Plain => "udp",
            Transport::Tls { .. } => "tls",
            Transport::Https { .. } => "https",
        }
    }
}

/// One stub query.
#[derive(Debug, Clone)]
pub struct StubOptions {
    pub name: String,
    pub rtype: RecordType,
    pub resolver: ResolverChoice,
    pub transport: Transport,
    pub timeout: Duration,
}

/// A TLS client configuration trusting `roots` (ring provider, TLS 1.2 and 1.3).
fn client_config(roots: &[rustls::pki_types::CertificateDer<'static>]) -> Result<rustls::ClientConfig, Error> {
    let mut store = rustls::RootCertStore::empty();
    for cert in roots {
        store
            .add(cert.clone())
            .map_err(|e| Error::usage("CA certificate", e.to_string(), "give a valid CA certificate"))?;
    }
    Ok(
        rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::usage("TLS", e.to_string(), "report this"))?
            .with_root_certificates(store)
            .with_no_client_auth(),
    )
}

/// Asks the resolver(s). Every address is checked by the network layer first: under the offline
/// guard a non-loopback resolver is refused before anything is sent.
pub async fn stub(opts: &StubOptions, net: &Network) -> Result<Trace, Error> {
    let (name, _ascii) = wire::parse_name(&opts.name).map_err(|why| {
        Error::usage(
            format!("name '{}'", opts.name),
            why,
            "write a domain name such as www.example.com",
        )
    })?;
    let targets: Vec<SocketAddr> = match &opts.resolver {
        ResolverChoice::Address(a) => vec![*a],
        ResolverChoice::System => {
            let (config, _) = hickory_resolver::system_conf::read_system_conf().map_err(|e| {
                Error::usage(
                    "--system",
                    format!("cannot read the system resolver configuration: {e}"),
                    "give a resolver with @IP",
                )
            })?;
            config
                .name_servers
                .iter()
                .map(|ns| SocketAddr::new(ns.ip, ns.connections.first().map_or(53, |c| c.port)))
                .collect()
        }
    };
    if targets.is_empty() {
        return Err(Error::usage(
            "--system",
            "no name servers are configured",
            "give a resolver with @IP",
        ));
    }
    let routes = targets
        .iter()
        .map(|t| net.route(*t))
        .collect::<Result<Vec<_>, Error>>()?;
    let name_servers = routes
        .iter()
        .map(|r| {
            let connections = match &opts.transport {
                Transport::Plain => vec![ConnectionConfig::udp(), ConnectionConfig::tcp()],
                Transport::Tls { name } => vec![ConnectionConfig::tls(Arc::from(name.as_str()))],
                Transport::Https { name } => vec![ConnectionConfig::https(Arc::from(name.as_str()), None)],
            };
            let connections = connections
                .into_iter()
                .map(|mut c| {
                    c.port = r.via().port();
                    c
                })
                .collect();
            NameServerConfig::new(r.via().ip(), true, connections)
        })
        .collect();
    let mut options = ResolverOpts::default();
    options.timeout = opts.timeout;
    options.attempts = 1;
    options.cache_size = 0;
    options.use_hosts_file = ResolveHosts::Never;
    options.ndots = 0;
    let mut builder = Resolver::builder_with_config(
        ResolverConfig::from_parts(None, vec![], name_servers),
        crate::net::hickory::GuardedRuntime::new(net),
    )
    .with_options(options);
    // On the sandbox only its own CA is trusted; on the internet hickory's webpki roots.
    if let crate::net::trust::Roots::Only(only) = net.roots() {
        builder = builder.with_tls_config(client_config(only)?);
    }
    let resolver = builder
        .build()
        .map_err(|e| Error::usage("resolver", e.to_string(), "check the resolver address"))?;
    let mut trace = TraceBuilder::new("dns", "dns stub");
    let started = Instant::now();
    let result = resolver.lookup(name.clone(), opts.rtype).await;
    let rtt_us = started.elapsed().as_micros() as u64;
    let route = routes[0];
    let server = Server {
        name: route.target().ip().to_string(),
        address: route.target().ip().to_string(),
        via: route.shown_via(),
    };
    let mut exchange = StubExchange {
        server,
        transport: opts.transport.label().to_string(),
        qname: name.to_ascii(),
        qtype: opts.rtype.to_string(),
        rtt_us,
        rcode: "NOERROR".into(),
        flags: Vec::new(),
        answers: Vec::new(),
        error: None,
    };
    let outcome = match result {
        Ok(lookup) => {
            exchange.flags = wire::flags(lookup.message());
            exchange.rcode = wire::rcode(lookup.message());
            exchange.answers = lookup.answers().iter().map(wire::record_view).collect();
            Outcome::Ok
        }
        Err(NetError::Dns(DnsError::NoRecordsFound(no))) => {
            exchange.rcode = super::wire::rcode_name(u16::from(no.response_code));
            Outcome::Negative {
                reason: format!("{}: no {} records for {}", exchange.rcode, opts.rtype, name),
            }
        }
        Err(e) => {
            let why = match &opts.transport {
                Transport::Plain => e.to_string(),
                Transport::Tls { name } | Transport::Https { name } => format!(
                    "{e} (the {} connection failed: is the certificate's name {name}? Set it with --tls-name)",
                    opts.transport.label().to_uppercase()
                ),
            };
            exchange.error = Some(why);
            Outcome::Negative {
                reason: format!("the resolver gave no answer: {e}"),
            }
        }
    };
    let ad = exchange.flags.iter().any(|f| f == "AD");
    let ra = exchange.flags.iter().any(|f| f == "RA");
    let mut notes = vec![Note::new(
        "dns.stub",
        "One question with RD=1: the recursive resolver walked from the root for you (or answered from its cache, which is why a second ask is faster). Compare with 'netlab dns NAME', which walks itself.",
        Some("RFC 1034 §5.3.1"),
    )];
    notes.push(Note::new(
        "dns.ad",
        if ad { "AD=1: the resolver says it validated the answer with DNSSEC. You trust the resolver, and the path to it, for that." } else { "AD=0: the resolver does not vouch for this answer with DNSSEC." },
        Some("RFC 4035 §3.2.3"),
    ));
    if exchange.error.is_none() && !ra {
        notes.push(Note::new("dns.no_recursion", "RA=0: this server does not recurse. It is an authoritative server, answering only for its own zones; ask it anything else and it refuses or refers.", Some("RFC 1035 §4.1.1")));
    }
    if let Transport::Tls { name } | Transport::Https { name } = &opts.transport {
        notes.push(Note::new(
            "dns.encrypted",
            format!("The question and answer travelled inside TLS, checked against the certificate of {name}: nobody on the path can read or change them. The resolver itself still sees every name you ask."),
            Some(if matches!(opts.transport, Transport::Tls { .. }) { "RFC 7858" } else { "RFC 8484" }),
        ));
    }
    trace.push(DnsEvent::Stub(exchange), notes);
    Ok(trace.finish(outcome))
}
