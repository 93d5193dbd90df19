//! Stub mode: one question to a recursive resolver (`@IP`, `--resolver IP`, or the system's
//! configuration), asked as a stub resolver asks it: RD=1, EDNS, and with `--dnssec` DO=1 and
//! AD=1 (RFC 3225, RFC 6840 §5.7). Plain DNS goes through netlab's own transport: a connected UDP
//! socket, so an ICMP port unreachable ends the attempt at once (RFC 1122 §4.1.3.1), and TCP
//! when the answer comes back truncated (RFC 7766 §5). DNS over TLS and over HTTPS go through
//! hickory-resolver's connections. Either way the whole response is kept, SERVFAIL included: the
//! trace shows what the resolver answered, how fast, whether it vouched for DNSSEC (AD), and why
//! it failed (Extended DNS Errors, RFC 8914).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hickory_proto::op::{DnsRequest, DnsRequestOptions, Message, ResponseCode};
use hickory_proto::rr::RecordType;
use hickory_resolver::config::{ConnectionConfig, ResolverOpts};
use hickory_resolver::net::xfer::{DnsHandle, FirstAnswer};
use hickory_resolver::net::NetError;
use hickory_resolver::{ConnectionProvider, PoolContext, TlsConfig};

use super::events::{DnsEvent, Server, StubExchange};
use super::transport::{Outcome as Heard, TcpQuery, UdpQuery};
use super::wire::{self, Question};
use crate::error::Error;
use crate::net::{Network, Route};
use crate::trace::{Failure, FailureKind, Note, Outcome, Phase, Trace, TraceBuilder};

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
    /// Ask with DO=1 and AD=1: does the resolver vouch for the answer with DNSSEC?
    pub dnssec: bool,
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

/// What one resolver made of the question: the response, or why none came.
struct Asked {
    route: Route,
    /// `udp`, `tcp`, `tls` or `https`.
    transport: &'static str,
    rtt: Duration,
    reply: Result<Message, Silence>,
}

/// Why no response came.
enum Silence {
    /// A timeout or an unreachable host, as data.
    Failed(Failure),
    /// Plain DNS: an ICMP port unreachable, heard at once on the connected socket.
    PortUnreachable(Failure),
    /// DNS over TLS or HTTPS: hickory's connection failed (often the certificate).
    Encrypted(String),
}

/// Asks the resolver(s), in order, until one responds. Every address is checked by the network
/// layer first: under the offline guard a non-loopback resolver is refused before anything is
/// sent.
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
    // On the sandbox only its own CA is trusted; on the internet hickory's webpki roots.
    let tls_config = || match net.roots() {
        crate::net::trust::Roots::Only(only) => client_config(only),
        _ => TlsConfig::new()
            .map(|t| t.config)
            .map_err(|e| Error::usage("TLS", e.to_string(), "report this")),
    };
    let encrypted = match &opts.transport {
        Transport::Plain => None,
        Transport::Tls { name } => Some((ConnectionConfig::tls(Arc::from(name.as_str())), tls_config()?)),
        Transport::Https { name } => Some((ConnectionConfig::https(Arc::from(name.as_str()), None), tls_config()?)),
    };
    let q = Question {
        name: name.clone(),
        rtype: opts.rtype,
    };
    let mut asked = None;
    for route in &routes {
        let this = match &encrypted {
            None => ask_plain(route, &q, opts).await,
            Some((config, tls)) => ask_encrypted(route, &q, opts, net, config.clone(), tls.clone()).await,
        };
        let answered = this.reply.is_ok();
        asked = Some(this);
        if answered {
            break;
        }
    }
    let asked = asked.expect("at least one resolver");
    Ok(stub_trace(opts, &q, asked))
}

/// The query message, with a random ID (RFC 5452 §4.1: an off-path spoofer must guess it).
fn query(q: &Question, opts: &StubOptions) -> (u16, Message) {
    let id: u16 = rand::random();
    (id, wire::build_stub_query(id, q, opts.dnssec))
}

/// Plain DNS: UDP on a connected socket, again over TCP when the response is truncated.
async fn ask_plain(route: &Route, q: &Question, opts: &StubOptions) -> Asked {
    let (id, message) = query(q, opts);
    let bytes = message.to_vec().unwrap_or_default();
    let what = format!("asking the resolver {} for {} {}", route.target(), q.name, q.rtype);
    let started = Instant::now();
    let done = |transport, reply| Asked {
        route: *route,
        transport,
        rtt: started.elapsed(),
        reply,
    };
    let udp = match UdpQuery::open(route).await {
        Ok(udp) => udp,
        Err(e) => return done("udp", Err(Silence::Failed(Failure::io(Phase::Dns, what, &e)))),
    };
    let mut heard = udp.exchange(&bytes, id, q, opts.timeout).await.outcome;
    let mut transport = "udp";
    if matches!(&heard, Heard::Response { message, .. } if message.metadata.truncation) {
        transport = "tcp";
        heard = match TcpQuery::connect(route, opts.timeout).await {
            Ok(tcp) => tcp.exchange(&bytes, id, q, opts.timeout).await.outcome,
            Err(e) => Heard::Unreachable(format!("TCP connect failed: {e}")),
        };
    }
    let reply = match heard {
        Heard::Response { message, .. } => Ok(*message),
        Heard::Timeout => Err(Silence::Failed(Failure::timeout(Phase::Dns, what, opts.timeout))),
        Heard::Unreachable(detail) => Err(Silence::Failed(Failure::new(
            Phase::Dns,
            FailureKind::Unreachable,
            what,
            detail,
        ))),
        Heard::PortUnreachable(detail) => Err(Silence::PortUnreachable(Failure::new(
            Phase::Dns,
            FailureKind::Unreachable,
            what,
            detail,
        ))),
    };
    done(transport, reply)
}

/// DNS over TLS or HTTPS: one hickory connection (its sockets through the network's guard), one
/// request, its response as it came (hickory's resolver would turn a SERVFAIL into an error and
/// lose its Extended DNS Errors).
async fn ask_encrypted(
    route: &Route,
    q: &Question,
    opts: &StubOptions,
    net: &Network,
    mut config: ConnectionConfig,
    tls: rustls::ClientConfig,
) -> Asked {
    config.port = route.via().port();
    let mut options = ResolverOpts::default();
    options.timeout = opts.timeout;
    let cx = PoolContext::new(options, TlsConfig { config: tls });
    let provider = crate::net::hickory::GuardedRuntime::new(net);
    let (_, message) = query(q, opts);
    let started = Instant::now();
    let exchange = async {
        let connection = provider.new_connection(route.via().ip(), &config, &cx)?.await?;
        connection
            .send(DnsRequest::new(message, DnsRequestOptions::default()))
            .first_answer()
            .await
    };
    let what = || format!("asking the resolver {} for {} {}", route.target(), q.name, q.rtype);
    // A timeout or a refused connection is the network's failure; the rest (the TLS handshake,
    // the certificate) the encrypted transport's.
    let reply = match tokio::time::timeout(opts.timeout, exchange).await {
        Ok(Ok(response)) => Ok(response.into_message()),
        Ok(Err(NetError::Timeout)) | Err(_) => Err(Silence::Failed(Failure::timeout(Phase::Dns, what(), opts.timeout))),
        Ok(Err(NetError::Io(e))) if e.kind() != std::io::ErrorKind::InvalidData => {
            Err(Silence::Failed(Failure::io(Phase::Dns, what(), &e)))
        }
        Ok(Err(e)) => Err(Silence::Encrypted(e.to_string())),
    };
    Asked {
        route: *route,
        transport: opts.transport.label(),
        rtt: started.elapsed(),
        reply,
    }
}

/// The certificate name of an encrypted transport.
fn name_of(transport: &Transport) -> &str {
    match transport {
        Transport::Tls { name } | Transport::Https { name } => name,
        Transport::Plain => "",
    }
}

/// The trace of one stub query: the exchange, its notes and its outcome.
fn stub_trace(opts: &StubOptions, q: &Question, asked: Asked) -> Trace {
    let mut trace = TraceBuilder::new("dns", "dns stub");
    let server = Server {
        name: asked.route.target().ip().to_string(),
        address: asked.route.target().ip().to_string(),
        via: asked.route.shown_via(),
    };
    let mut exchange = StubExchange {
        server,
        transport: asked.transport.to_string(),
        qname: q.name.to_ascii(),
        qtype: opts.rtype.to_string(),
        dnssec_ok: opts.dnssec,
        rtt_us: asked.rtt.as_micros() as u64,
        rcode: String::new(),
        flags: Vec::new(),
        answers: Vec::new(),
        extended_errors: Vec::new(),
        error: None,
    };
    let mut notes = Vec::new();
    let outcome = match asked.reply {
        Ok(message) => {
            notes.push(Note::new(
                "dns.stub",
                "One question with RD=1: the recursive resolver walked from the root for you (or answered from its cache, which is why a second ask is faster). Compare with 'netlab dns NAME', which walks itself.",
                Some("RFC 1034 §5.3.1"),
            ));
            exchange.rcode = wire::rcode(&message);
            exchange.flags = wire::flags(&message);
            exchange.answers = message.answers.iter().map(wire::record_view).collect();
            exchange.extended_errors = wire::extended_errors(&message);
            notes.extend(response_notes(&message, opts));
            response_outcome(&message, q, &exchange.extended_errors)
        }
        Err(Silence::Failed(failure)) => {
            exchange.rcode = "-".into();
            exchange.error = Some(failure.detail.clone());
            failure.outcome()
        }
        Err(Silence::PortUnreachable(failure)) => {
            notes.push(Note::new(
                "dns.port_unreachable",
                "The resolver's host answered with ICMP port unreachable: nothing listens on that port. The query's UDP socket is connected to the resolver, so the kernel reports it at once and no timeout is waited for.",
                Some("RFC 1122 §4.1.3.1"),
            ));
            exchange.rcode = "-".into();
            exchange.error = Some(failure.detail.clone());
            failure.outcome()
        }
        Err(Silence::Encrypted(e)) => {
            exchange.rcode = "-".into();
            let why = format!(
                "{e} (the {} connection failed: is the certificate's name {}? Set it with --tls-name)",
                opts.transport.label().to_uppercase(),
                name_of(&opts.transport)
            );
            exchange.error = Some(why);
            Outcome::Negative {
                reason: format!("the resolver gave no answer: {e}"),
            }
        }
    };
    if let (Transport::Tls { name } | Transport::Https { name }, None) = (&opts.transport, &exchange.error) {
        notes.push(Note::new(
            "dns.encrypted",
            format!("The question and answer travelled inside TLS, checked against the certificate of {name}: nobody on the path can read or change them. The resolver itself still sees every name you ask."),
            Some(if matches!(opts.transport, Transport::Tls { .. }) { "RFC 7858" } else { "RFC 8484" }),
        ));
    }
    trace.push(DnsEvent::Stub(exchange), notes);
    trace.finish(outcome)
}

/// An answer is ok; NXDOMAIN, NODATA and error codes are negative, with the resolver's
/// Extended DNS Errors as its reason when it gave any.
fn response_outcome(m: &Message, q: &Question, extended: &[String]) -> Outcome {
    let rcode = wire::rcode(m);
    if rcode == "NOERROR"
        && m.answers
            .iter()
            .any(|r| r.record_type() == q.rtype || q.rtype == RecordType::ANY)
    {
        return Outcome::Ok;
    }
    let because = match extended {
        [] => String::new(),
        e => format!(" (extended error {})", e.join("; ")),
    };
    Outcome::Negative {
        reason: format!("{rcode}: no {} records for {}{because}", q.rtype, q.name),
    }
}

/// What the response's DNSSEC bits, Extended DNS Errors and RA bit mean.
fn response_notes(m: &Message, opts: &StubOptions) -> Vec<Note> {
    let mut notes = Vec::new();
    let ad = m.metadata.authentic_data;
    let data = matches!(m.metadata.response_code, ResponseCode::NoError | ResponseCode::NXDomain);
    let text = match (ad, opts.dnssec) {
        (true, _) => "AD=1: the resolver says it validated the answer with DNSSEC, from its trust anchor down to these records. You trust the resolver, and the path to it, for that.".to_string(),
        (false, true) => "AD=0, although the query asked for it (DO=1, AD=1): the resolver does not vouch for this answer. The zone may be unsigned (Insecure), or the resolver does not validate. 'netlab dns NAME --dnssec' walks and checks the chain itself.".to_string(),
        (false, false) => "AD=0: the query asked without DO or AD, and a resolver sets AD only for a client that asks (RFC 6840 §5.7). Add --dnssec to ask whether it validated.".to_string(),
    };
    // An error response carries no data for AD to vouch for.
    if data || ad {
        notes.push(Note::new("dns.ad", text, Some("RFC 4035 §3.2.3")));
    }
    for ede in wire::extended_error_codes(m) {
        notes.push(match ede {
            6 => Note::new(
                "dns.ede.bogus",
                "Extended DNS Error 6, DNSSEC Bogus: the resolver validated the answer and found its chain of trust broken, so it answers SERVFAIL rather than pass on data it cannot trust; the text names the broken link. 'netlab dns NAME --dnssec' walks the chain and shows it.",
                Some("RFC 8914 §4.7, RFC 4035 §5.5"),
            ),
            code => Note::new(
                "dns.ede",
                format!("Extended DNS Error {code}: the resolver says, beyond the response code, why it answered as it did."),
                Some("RFC 8914 §2"),
            ),
        });
    }
    if !m.metadata.recursion_available {
        notes.push(Note::new("dns.no_recursion", "RA=0: this server does not recurse. It is an authoritative server, answering only for its own zones; ask it anything else and it refuses or refers.", Some("RFC 1035 §4.1.1")));
    }
    notes
}
