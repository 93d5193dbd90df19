//! `netlab dns` and `netlab sandbox up`.

use super::{out, write_trace, Io};
use crate::error::{Error, Result};
use crate::render::RenderOpts;
use crate::trace::Trace;

/// `netlab dns`: validates the arguments, starts the sandbox if asked, walks (or asks a
/// resolver), renders.
pub(super) fn run_dns(
    a: &crate::cli::DnsArgs,
    global: &crate::cli::GlobalOpts,
    opts: &RenderOpts,
    io: &mut Io,
) -> Result<i32> {
    let offline =
        crate::net::Network::offline_from_env(global.offline, std::env::var("NETLAB_OFFLINE").ok().as_deref());
    let trace = dns_trace(a, global.sandbox, offline)?;
    if a.short && !global.json {
        let lines: Vec<String> = trace
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                crate::trace::EventKind::Dns(crate::dns::events::DnsEvent::Summary(s)) if s.result == "answer" => {
                    Some(crate::dns::walk::short_answers(&s.answers))
                }
                crate::trace::EventKind::Dns(crate::dns::events::DnsEvent::Stub(x)) => {
                    Some(crate::dns::walk::short_answers(&x.answers))
                }
                _ => None,
            })
            .flatten()
            .collect();
        out(io, &lines.iter().map(|l| format!("{l}\n")).collect::<String>())?;
    } else {
        write_trace(&trace, global.json, opts, io)?;
    }
    Ok(trace.outcome.exit_code())
}

/// Runs `netlab dns` (a walk, or a stub query) and returns its trace.
pub(super) fn dns_trace(a: &crate::cli::DnsArgs, sandboxed: bool, offline: bool) -> Result<Trace> {
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
                    let mut target = crate::dns::hints::parse_root_arg(&addr)
                        .map_err(|why| Error::usage("resolver", why, "write @127.0.0.1 or --resolver 127.0.0.1:5353"))?
                        .addr;
                    if addr.parse::<std::net::SocketAddr>().is_err() {
                        target.set_port(default_port);
                    }
                    crate::dns::stub::ResolverChoice::Address(target)
                }
            },
            transport: crate::dns::stub::Transport::Plain,
            extra_roots: Vec::new(),
            timeout: walk.timeout,
        }),
    };
    if stub.is_none() && (a.tls || a.https) {
        return Err(Error::usage(
            "--tls/--https",
            "encrypt a stub query to a resolver",
            "add @IP, --resolver IP or --system",
        ));
    }
    let runtime = super::runtime()?;
    let trace = runtime.block_on(async {
        let sandbox = super::sandbox_if(sandboxed).await?;
        let net = match &sandbox {
            Some(s) => s.network(),
            None => crate::net::Network { offline, book: None },
        };
        if let Some(stub) = &stub {
            let mut stub = stub.clone();
            if sandbox.is_some() && matches!(stub.resolver, crate::dns::stub::ResolverChoice::System) {
                // In the sandbox, "the system's resolver" is the sandbox's own.
                let addr = std::net::SocketAddr::new(crate::sandbox::resolver::ADDRESS.parse().expect("valid"), default_port);
                stub.resolver = crate::dns::stub::ResolverChoice::Address(addr);
            }
            if a.tls || a.https {
                let sandbox_resolver = matches!(&stub.resolver, crate::dns::stub::ResolverChoice::Address(t) if sandbox.is_some() && t.ip().to_string() == crate::sandbox::resolver::ADDRESS);
                let name = match (&a.tls_name, &stub.resolver) {
                    (Some(n), _) => n.clone(),
                    (None, _) if sandbox_resolver => crate::sandbox::resolver::NAME.trim_end_matches('.').to_string(),
                    (None, crate::dns::stub::ResolverChoice::Address(t)) => t.ip().to_string(),
                    (None, crate::dns::stub::ResolverChoice::System) => {
                        return Err(Error::usage("--system with --tls/--https", "the system's resolvers have no certificate name", "give --tls-name NAME"));
                    }
                };
                stub.transport = if a.tls { crate::dns::stub::Transport::Tls { name } } else { crate::dns::stub::Transport::Https { name } };
                if let Some(s) = &sandbox {
                    stub.extra_roots = vec![s.ca_cert.clone()];
                }
            }
            return crate::dns::stub::stub(&stub, &net).await;
        }
        let mut walk = walk;
        if sandbox.is_some() && a.root.is_empty() && a.root_hints.is_none() {
            walk.roots = crate::sandbox::Sandbox::root_hints();
        }
        if a.dnssec {
            walk.anchors = Some(match &sandbox {
                Some(s) => crate::dns::dnssec::Anchors::root_key(&s.trust_anchor),
                None => crate::dns::dnssec::Anchors::iana(),
            });
        }
        crate::dns::walk::walk(&walk, &net).await
    })?;
    Ok(trace)
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
            if words.len() > 1 || words.first().is_some_and(|w| wire::parse_type(w).is_err()) {
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
        Some(t) => wire::parse_type(&t).map_err(|why| bad(&format!("type '{t}'"), why, "see 'netlab dns --help'"))?,
        None => hickory_proto::rr::RecordType::A,
    };
    let roots = if !a.root.is_empty() {
        a.root
            .iter()
            .map(|r| hints::parse_root_arg(r).map_err(|why| bad("--root", why, "write --root 127.0.0.1:5300")))
            .collect::<Result<Vec<_>>>()?
    } else if let Some(path) = &a.root_hints {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        hints::parse_root_hints(&text, &path.display().to_string())
            .map_err(|why| bad("--root-hints", why, "use the named.root format"))?
    } else {
        hints::parse_root_hints(hints::IANA_ROOT_HINTS, "named.root")
            .map_err(|why| bad("root hints", why, "report this"))?
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

/// `netlab sandbox up`: starts the servers, prints the address book and how to use it, waits.
pub(super) fn run_sandbox_up(a: &crate::cli::SandboxUpArgs, io: &mut Io) -> Result<i32> {
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let sandbox = crate::sandbox::Sandbox::start_with(a.bind_127).await?;
        let mut text = String::from("netlab sandbox: name servers (virtual address -> the socket that serves it)\n");
        for s in &sandbox.servers {
            text.push_str(&format!("  {:<24} {:<15} -> {}\n", s.spec.name, s.spec.address, s.local));
        }
        let root = &sandbox.servers[0];
        if a.bind_127 {
            text.push_str(&format!(
                "\nThe zones' addresses are rewritten to the 127.0.53.x ones, so real tools can walk it:\n  netlab dns www.example.com --root {ip}\n  dig @{ip} +norecurse www.example.com     (then follow each referral by hand)\n  dig +trace @{ip} www.example.com\ndig +trace looks up every name server's address with the system resolver, not from glue;\nfor it, add these lines to /etc/hosts while the sandbox runs:\n{hosts}",
                ip = root.local.ip(),
                hosts = sandbox.servers.iter().map(|s| format!("  {} {}\n", s.local.ip(), s.spec.name.trim_end_matches('.'))).collect::<String>()
            ));
        } else {
            text.push_str(&format!(
                "\nAsk one server directly (the zones name the virtual addresses, so follow referrals by hand):\n  dig @127.0.0.1 -p {} +norecurse www.example.com\nFor dig +trace, run 'netlab sandbox up --bind-127' as root. 'netlab dns NAME --sandbox' walks it in-process.\n",
                root.local.port()
            ));
        }
        let ca_path = crate::lab::progress::default_path(|k| std::env::var(k).ok())?.with_file_name("sandbox-root-ca.pem");
        crate::fsutil::write_atomic(&ca_path, crate::sandbox::pki::pem_certificate(&sandbox.ca_cert).as_bytes()).map_err(|e| Error::io(&ca_path, e))?;
        text.push_str("\nTLS hosts (virtual address:443 -> the socket that serves it):\n");
        for h in &sandbox.web {
            text.push_str(&format!("  {:<28} {:<24} -> {}\n", h.spec.names[0], h.spec.addresses.join(","), h.local));
        }
        let web = &sandbox.web[0];
        text.push_str(&format!(
            "The sandbox root CA is in {ca}; point curl and openssl at it:\n  curl --cacert {ca} --resolve www.example.com:{port}:{ip} https://www.example.com:{port}/\n  openssl s_client -connect {ip}:{port} -servername www.example.com -CAfile {ca}\n",
            ca = ca_path.display(),
            ip = web.local.ip(),
            port = web.local.port()
        ));
        text.push_str(&format!(
            "Every TLS host serves /, /bytes/N, /delay/MS, /headers and /objects/K over HTTP/1.1 and HTTP/2 (TCP) and HTTP/3 (UDP, the same port):\n  curl --http2 --cacert {ca} --resolve www.example.com:{port}:{ip} https://www.example.com:{port}/\n  netlab http https://www.example.com:{port}/ --connect-to ::{ip}:{port} --cacert {ca} --compare\n",
            ca = ca_path.display(),
            ip = web.local.ip(),
            port = web.local.port()
        ));
        let (client_pem, key_pem) = sandbox.client_identity.to_pem();
        let client_path = ca_path.with_file_name("sandbox-client.pem");
        let key_path = ca_path.with_file_name("sandbox-client.key");
        crate::fsutil::write_atomic(&client_path, client_pem.as_bytes()).map_err(|e| Error::io(&client_path, e))?;
        crate::fsutil::write_atomic(&key_path, key_pem.as_bytes()).map_err(|e| Error::io(&key_path, e))?;
        if let Some(mtls) = sandbox.web.iter().find(|h| h.spec.names[0] == "mtls.example.com") {
            text.push_str(&format!(
                "mtls.example.com wants a client certificate; one from the sandbox CA is in {cert} (key {key}, 0600):\n  curl --cacert {ca} --cert {cert} --key {key} --resolve mtls.example.com:{port}:{ip} https://mtls.example.com:{port}/\n",
                cert = client_path.display(),
                key = key_path.display(),
                ca = ca_path.display(),
                ip = mtls.local.ip(),
                port = mtls.local.port()
            ));
        }
        text.push_str("Zones: labs/sandbox/zones/. Press Ctrl-C to stop.\n");
        out(io, &text)?;
        match a.duration {
            Some(secs) => tokio::time::sleep(std::time::Duration::from_secs(secs)).await,
            None => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
        drop(sandbox);
        Ok(0)
    })
}
