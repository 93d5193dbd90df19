//! `netlab dns`: turns the arguments into walk or stub options and runs them on the command's
//! network.

use super::output::{Document, Printer};
use super::Io;
use crate::dns::dnssec::Status;
use crate::dns::events::DnsEvent;
use crate::dns::walk::short_answers;
use crate::error::{Error, Result};
use crate::net::Place;
use crate::render::RenderOpts;
use crate::trace::{EventKind, Trace};

/// `netlab dns`: validates the arguments, starts the sandbox if asked, walks (or asks a
/// resolver), writes the trace. `--short` is a text view: with `--json` the trace is written
/// whole, as without it.
pub(super) fn run_dns(a: &crate::cli::DnsArgs, place: &Place, printer: &Printer, io: &mut Io) -> Result<i32> {
    let trace = dns_trace(a, place)?;
    if a.short {
        printer.document(io.stdout, &Short(&trace))?;
        // dig +short prints nothing when nothing answered; say why, on stderr, in one line.
        if let (Some(why), false) = (short_failure(&trace), printer.is_json()) {
            writeln!(io.stderr, "netlab: {why}").map_err(super::output::to_stdout)?;
        }
    } else {
        printer.document(io.stdout, &trace)?;
    }
    Ok(trace.outcome.exit_code())
}

/// A DNS trace shown as `--short` shows it: the answers only, one per line, like dig +short.
/// A DNSSEC-bogus answer is not printed, as a validating resolver would not pass it on (RFC 4035
/// §5.5: SERVFAIL, for which dig +short prints nothing). Its JSON is the trace.
#[derive(serde::Serialize)]
#[serde(transparent)]
struct Short<'a>(&'a Trace);

impl Document for Short<'_> {
    fn text(&self, _opts: &RenderOpts) -> String {
        self.0
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Dns(DnsEvent::Summary(s)) if s.result == "answer" && s.dnssec != Some(Status::Bogus) => {
                    Some(short_answers(&s.answers))
                }
                EventKind::Dns(DnsEvent::Stub(x)) => Some(short_answers(&x.answers)),
                _ => None,
            })
            .flatten()
            .map(|l| l + "\n")
            .collect()
    }

    fn trace(&self) -> Option<&Trace> {
        Some(self.0)
    }
}

/// Why `--short` printed no records, when the walk or the stub query did not end in an answer:
/// a failure (every server timed out or was unreachable), a DNSSEC-bogus answer, or a negative
/// answer (NXDOMAIN, NODATA).
fn short_failure(trace: &Trace) -> Option<String> {
    match &trace.outcome {
        crate::trace::Outcome::Ok => None,
        crate::trace::Outcome::Negative { reason } if bogus(trace) => Some(format!(
            "{reason} (a validating resolver answers SERVFAIL, so no records are printed; without --short the trace shows them)"
        )),
        crate::trace::Outcome::Negative { reason } => Some(reason.clone()),
        crate::trace::Outcome::Failed { failure } => Some(format!("{failure} ({})", failure.kind.hint())),
    }
}

/// Whether the walk's DNSSEC verdict is bogus.
fn bogus(trace: &Trace) -> bool {
    trace
        .events
        .iter()
        .any(|e| matches!(&e.kind, EventKind::Dns(DnsEvent::Summary(s)) if s.dnssec == Some(Status::Bogus)))
}

/// Runs `netlab dns` (a walk, or a stub query) and returns its trace.
pub(super) fn dns_trace(a: &crate::cli::DnsArgs, place: &Place) -> Result<Trace> {
    let (words, at_server): (Vec<String>, Vec<String>) = a.words.iter().cloned().partition(|w| !w.starts_with('@'));
    let resolver = match (at_server.as_slice(), &a.resolver, a.system) {
        ([], None, false) => None,
        ([at], None, false) => Some(Some(at.trim_start_matches('@').to_string())),
        ([], Some(r), false) => Some(Some(r.clone())),
        ([], None, true) => Some(None),
        _ => {
            return Err(Error::usage(
                "dns",
                "give one resolver: @IP, --resolver IP or --system",
                "see 'netlab dns --help'",
            ))
        }
    };
    let walk = dns_options(a, &words)?;
    let default_port = if a.tls {
        853
    } else if a.https {
        443
    } else {
        53
    };
    let stub = match resolver {
        None => None,
        Some(choice) => Some(crate::dns::stub::StubOptions {
            name: walk.name.clone(),
            rtype: walk.rtype,
            resolver: match choice {
                None => crate::dns::stub::ResolverChoice::System,
                Some(addr) => {
                    let mut target = crate::dns::hints::read_root_arg(&addr)
                        .map_err(|why| {
                            Error::usage(
                                "resolver",
                                why.to_string(),
                                "write @127.0.0.1 or --resolver 127.0.0.1:5353",
                            )
                        })?
                        .addr;
                    if addr.parse::<std::net::SocketAddr>().is_err() {
                        target.set_port(default_port);
                    }
                    crate::dns::stub::ResolverChoice::Address(target)
                }
            },
            transport: crate::dns::stub::Transport::Plain,
            timeout: walk.timeout,
            dnssec: a.dnssec,
        }),
    };
    if stub.is_none() && (a.tls || a.https) {
        return Err(Error::usage(
            "--tls/--https",
            "encrypt a stub query to a resolver",
            "add @IP, --resolver IP or --system",
        ));
    }
    let explicit_roots = !a.root.is_empty() || a.root_hints.is_some();
    super::network::on_network(place, |net| async move {
        if let Some(mut stub) = stub {
            let local = net.local_resolver().cloned();
            if let (Some(r), crate::dns::stub::ResolverChoice::System) = (&local, &stub.resolver) {
                // Where the network has its own resolver (the sandbox's), that is "the system's".
                stub.resolver =
                    crate::dns::stub::ResolverChoice::Address(std::net::SocketAddr::new(r.address, default_port));
            }
            if a.tls || a.https {
                let theirs = matches!((&local, &stub.resolver), (Some(r), crate::dns::stub::ResolverChoice::Address(t)) if t.ip() == r.address);
                let name = match (&a.tls_name, &stub.resolver) {
                    (Some(n), _) => n.clone(),
                    (None, _) if theirs => local.as_ref().map(|r| r.name.clone()).unwrap_or_default(),
                    (None, crate::dns::stub::ResolverChoice::Address(t)) => t.ip().to_string(),
                    (None, crate::dns::stub::ResolverChoice::System) => {
                        return Err(Error::usage(
                            "--system with --tls/--https",
                            "the system's resolvers have no certificate name",
                            "give --tls-name NAME",
                        ));
                    }
                };
                stub.transport = if a.tls {
                    crate::dns::stub::Transport::Tls { name }
                } else {
                    crate::dns::stub::Transport::Https { name }
                };
            }
            return crate::dns::stub::stub(&stub, &net).await;
        }
        let mut walk = walk;
        if let (Some(hints), false) = (net.root_hints(), explicit_roots) {
            walk.roots = hints.to_vec();
        }
        if a.dnssec {
            walk.anchors = Some(match net.trust_anchor() {
                Some(key) => crate::dns::dnssec::Anchors::root_key(key),
                None => crate::dns::dnssec::Anchors::iana(),
            });
        }
        crate::dns::walk::walk(&walk, &net).await
    })
}

/// Turns `netlab dns` arguments into walk options.
fn dns_options(a: &crate::cli::DnsArgs, words: &[String]) -> Result<crate::dns::walk::WalkOptions> {
    use crate::dns::{hints, wire};
    let bad = |what: &str, why: String, hint: &str| Error::usage(what.to_string(), why, hint.to_string());
    let (name, type_word) = match (&a.reverse, words) {
        (Some(ip), words) => {
            let ip: std::net::IpAddr = ip.parse().map_err(|_| {
                bad(
                    "-x",
                    format!("'{ip}' is not an IP address"),
                    "write an address such as 192.0.2.10",
                )
            })?;
            if words.len() > 1 || words.first().is_some_and(|w| wire::read_type(w).is_err()) {
                return Err(bad(
                    "dns -x",
                    "takes an address and no name".into(),
                    "write netlab dns -x IP",
                ));
            }
            (
                wire::reverse_name(ip).to_string(),
                Some(words.first().cloned().unwrap_or_else(|| "PTR".into())),
            )
        }
        (None, []) => return Err(bad("dns", "needs a name".into(), "write netlab dns NAME [TYPE]")),
        (None, [name]) => (name.clone(), None),
        (None, [name, t]) => (name.clone(), Some(t.clone())),
        (None, _) => {
            return Err(bad(
                "dns",
                "takes a name and a type".into(),
                "write netlab dns NAME [TYPE]",
            ))
        }
    };
    let rtype = match type_word {
        Some(t) => wire::read_type(&t)
            .map_err(|why| bad(&format!("type '{t}'"), why.to_string(), "see 'netlab dns --help'"))?,
        None => hickory_proto::rr::RecordType::A,
    };
    let roots = if !a.root.is_empty() {
        a.root
            .iter()
            .map(|r| {
                hints::read_root_arg(r).map_err(|why| bad("--root", why.to_string(), "write --root 127.0.0.1:5300"))
            })
            .collect::<Result<Vec<_>>>()?
    } else if let Some(path) = &a.root_hints {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        hints::read_root_hints(&text, &path.display().to_string())
            .map_err(|why| bad("--root-hints", why.to_string(), "use the named.root format"))?
    } else {
        hints::read_root_hints(hints::IANA_ROOT_HINTS, "named.root")
            .map_err(|why| bad("root hints", why.to_string(), "report this"))?
    };
    if a.timeout == 0 || a.max_queries == 0 || a.max_time == 0 {
        return Err(bad(
            "dns",
            "--timeout, --max-queries and --max-time must be above 0".into(),
            "raise them",
        ));
    }
    Ok(crate::dns::walk::WalkOptions {
        name,
        rtype,
        roots,
        timeout: std::time::Duration::from_millis(a.timeout),
        max_queries: a.max_queries,
        max_time: std::time::Duration::from_millis(a.max_time),
        anchors: None,
    })
}
