//! `netlab tls`: resolves the host (on the sandbox, with the sandbox's DNS), connects, traces.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::{write_trace, Io};
use crate::cli::{GlobalOpts, TlsArgs};
use crate::error::{Error, Result};
use crate::render::RenderOpts;
use crate::tls::client::{Roots, TlsOptions};

/// Splits HOST[:PORT] (IPv6 as [ADDR]:PORT).
pub(super) fn split_target(target: &str) -> Result<(String, u16)> {
    let bad = || {
        Error::usage(
            format!("target '{target}'"),
            "is not HOST or HOST:PORT",
            "write e.g. www.example.com or www.example.com:8443",
        )
    };
    if let Ok(sa) = target.parse::<SocketAddr>() {
        return Ok((sa.ip().to_string(), sa.port()));
    }
    if target.parse::<IpAddr>().is_ok() {
        return Ok((target.to_string(), 443));
    }
    match target.rsplit_once(':') {
        Some((host, port)) => Ok((host.to_string(), port.parse().map_err(|_| bad())?)),
        None if !target.is_empty() => Ok((target.to_string(), 443)),
        None => Err(bad()),
    }
}

/// Reads PEM certificates for --cacert.
pub(super) fn read_cacert(path: &std::path::Path) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>> {
    use rustls::pki_types::pem::PemObject;
    let certs: Vec<_> = rustls::pki_types::CertificateDer::pem_file_iter(path)
        .map_err(|e| {
            Error::usage(
                path.display().to_string(),
                e.to_string(),
                "give a PEM file of CA certificates",
            )
        })?
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| {
            Error::usage(
                path.display().to_string(),
                e.to_string(),
                "give a PEM file of CA certificates",
            )
        })?;
    if certs.is_empty() {
        return Err(Error::usage(
            path.display().to_string(),
            "holds no certificate",
            "give a PEM file of CA certificates",
        ));
    }
    Ok(certs)
}

pub(super) fn run_tls(a: &TlsArgs, global: &GlobalOpts, opts: &RenderOpts, io: &mut Io) -> Result<i32> {
    if let Some(crate::cli::TlsAction::Serve(s)) = &a.action {
        return run_serve(s, global.json, opts, io);
    }
    let offline =
        crate::net::Network::offline_from_env(global.offline, std::env::var("NETLAB_OFFLINE").ok().as_deref());
    if a.insecure {
        super::warn_insecure(io);
    }
    let trace = tls_trace(a, global.sandbox, offline)?;
    write_trace(&trace, global.json, opts, io)?;
    Ok(trace.outcome.exit_code())
}

/// The client certificate and key of `--client-cert`/`--client-key`.
fn client_identity(
    a: &TlsArgs,
    sandbox: Option<&crate::sandbox::Sandbox>,
) -> Result<Option<crate::sandbox::pki::ClientIdentity>> {
    let Some(cert) = &a.client_cert else {
        return match a.client_key {
            Some(_) => Err(Error::usage(
                "--client-key",
                "needs --client-cert",
                "give both, or neither",
            )),
            None => Ok(None),
        };
    };
    if cert == "sandbox" {
        return match sandbox {
            Some(s) => Ok(Some(s.client_identity.clone())),
            None => Err(Error::usage(
                "--client-cert sandbox",
                "only exists on the sandbox",
                "add --sandbox, or give a PEM file",
            )),
        };
    }
    let key_path = a.client_key.as_deref().ok_or_else(|| {
        Error::usage(
            "--client-cert",
            "needs --client-key",
            "give the certificate's private key in PEM",
        )
    })?;
    read_identity(std::path::Path::new(cert), key_path).map(Some)
}

/// A certificate chain and its private key from PEM files.
fn read_identity(cert: &std::path::Path, key_path: &std::path::Path) -> Result<crate::sandbox::pki::ClientIdentity> {
    use rustls::pki_types::pem::PemObject;
    let bad = |what: &std::path::Path, e: &dyn std::fmt::Display| {
        Error::usage(what.display().to_string(), e.to_string(), "give a PEM file")
    };
    let chain = rustls::pki_types::CertificateDer::pem_file_iter(cert)
        .map_err(|e| bad(cert, &e))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| bad(cert, &e))?;
    if chain.is_empty() {
        return Err(bad(cert, &"holds no certificate"));
    }
    let key = rustls::pki_types::PrivateKeyDer::from_pem_file(key_path).map_err(|e| bad(key_path, &e))?;
    Ok(crate::sandbox::pki::ClientIdentity { chain, key })
}

/// Runs `netlab tls` and returns its trace.
pub(super) fn tls_trace(a: &TlsArgs, sandboxed: bool, offline: bool) -> Result<crate::trace::Trace> {
    let target = a
        .target
        .as_deref()
        .ok_or_else(|| Error::usage("tls", "needs a HOST[:PORT] (or 'serve')", "see 'netlab tls --help'"))?;
    let (host, port) = split_target(target)?;
    let extra = a.cacert.as_deref().map(read_cacert).transpose()?.unwrap_or_default();
    let timeout = Duration::from_millis(a.timeout.max(1));
    let runtime = super::runtime()?;
    let trace = runtime.block_on(async {
        let sandbox = super::sandbox_if(sandboxed).await?;
        let (net, roots) = match &sandbox {
            Some(s) => (s.network(), Roots::Only([vec![s.ca_cert.clone()], extra].concat())),
            None => (crate::net::Network { offline, book: None }, Roots::Web(extra)),
        };
        let ip = match host.parse::<IpAddr>() {
            Ok(ip) => ip,
            Err(_) => resolve(&host, sandbox.is_some(), &net, offline).await?,
        };
        let options = TlsOptions {
            host: host.clone(),
            address: SocketAddr::new(ip, port),
            sni: a.sni.clone(),
            alpn: a.alpn.clone(),
            roots,
            timeout,
            show_secrets: a.show_secrets,
            keylog: a.keylog.clone(),
            request: true,
            groups: a.groups.clone(),
            ciphers: a.ciphers.clone(),
            resume: a.resume || a.early_data,
            early_data: a.early_data,
            insecure: a.insecure,
            client_identity: client_identity(a, sandbox.as_ref())?,
        };
        crate::tls::client::trace(&options, &net).await
    })?;
    Ok(trace)
}

/// The host's address: on the sandbox, by walking its DNS; otherwise the system's resolver,
/// which the offline guard does not allow.
pub(super) async fn resolve(host: &str, sandboxed: bool, net: &crate::net::Network, offline: bool) -> Result<IpAddr> {
    // RFC 6761 §6.3: "localhost" is the loopback host and never needs a DNS query.
    if host.eq_ignore_ascii_case("localhost") {
        return Ok(IpAddr::from([127, 0, 0, 1]));
    }
    if sandboxed {
        let walk = crate::dns::walk::WalkOptions {
            name: host.to_string(),
            rtype: hickory_proto::rr::RecordType::A,
            roots: crate::sandbox::Sandbox::root_hints(),
            timeout: Duration::from_secs(2),
            max_queries: 32,
            max_time: Duration::from_secs(5),
            anchors: None,
        };
        let walked = crate::dns::walk::walk_records(&walk, net).await?;
        return walked
            .records
            .iter()
            .find_map(crate::dns::wire::address_of)
            .ok_or_else(|| {
                Error::usage(
                    format!("host '{host}'"),
                    "has no address in the sandbox",
                    "try www.example.com",
                )
            });
    }
    if offline {
        return Err(Error::usage(
            format!("resolving {host}"),
            "needs the DNS: offline mode",
            "use --sandbox or give an IP address",
        ));
    }
    tokio::net::lookup_host((host, 443))
        .await
        .map_err(|e| Error::usage(format!("host '{host}'"), e.to_string(), "check the name"))?
        .next()
        .map(|sa| sa.ip())
        .ok_or_else(|| Error::usage(format!("host '{host}'"), "has no address", "check the name"))
}

/// The name's HTTPS record (RFC 9460) on the sandbox, by walking its DNS; `None` when it has
/// none. (The system resolver cannot ask for this type, so off the sandbox it is not looked up.)
pub(super) async fn https_record(host: &str, net: &crate::net::Network) -> Option<String> {
    let walk = crate::dns::walk::WalkOptions {
        name: host.to_string(),
        rtype: hickory_proto::rr::RecordType::HTTPS,
        roots: crate::sandbox::Sandbox::root_hints(),
        timeout: Duration::from_secs(2),
        max_queries: 32,
        max_time: Duration::from_secs(5),
        anchors: None,
    };
    let walked = crate::dns::walk::walk_records(&walk, net).await.ok()?;
    walked
        .records
        .iter()
        .find(|r| r.record_type() == hickory_proto::rr::RecordType::HTTPS)
        // hickory prints a trailing comma after the last value of a parameter list.
        .map(|r| format!("{} HTTPS {}", r.name, r.data.to_string().trim_end_matches(',')))
}

/// The server's certificate: `--cert`/`--key`, or one for localhost from a fresh CA whose root
/// is written beside the progress file (returned, for clients to trust).
fn serve_certificate(
    a: &crate::cli::TlsServeArgs,
) -> Result<(std::sync::Arc<rustls::sign::CertifiedKey>, Option<std::path::PathBuf>)> {
    match (&a.cert, &a.key) {
        (Some(cert), Some(key)) => {
            let id = read_identity(cert, key)?;
            let signer = rustls::crypto::ring::sign::any_supported_type(&id.key).map_err(|e| {
                Error::usage(
                    key.display().to_string(),
                    e.to_string(),
                    "give an ECDSA, Ed25519 or RSA key in PEM",
                )
            })?;
            Ok((
                std::sync::Arc::new(rustls::sign::CertifiedKey::new(id.chain, signer)),
                None,
            ))
        }
        (None, None) => {
            let pki = crate::sandbox::pki::Pki::generate()?;
            let cert = pki.issue(&["localhost"], &[a.listen.ip()], crate::sandbox::pki::Leaf::Good)?;
            let ca_path =
                crate::lab::progress::default_path(|k| std::env::var(k).ok())?.with_file_name("serve-root-ca.pem");
            crate::fsutil::write_atomic(
                &ca_path,
                crate::sandbox::pki::pem_certificate(&pki.root.cert).as_bytes(),
            )
            .map_err(|e| Error::io(&ca_path, e))?;
            Ok((cert, Some(ca_path)))
        }
        _ => Err(Error::usage(
            "--cert/--key",
            "go together",
            "give both, or neither for a fresh CA",
        )),
    }
}

/// `netlab tls serve`: a TLS server on loopback that reports each client's offer.
fn run_serve(a: &crate::cli::TlsServeArgs, json: bool, opts: &RenderOpts, io: &mut Io) -> Result<i32> {
    if !crate::net::is_loopback(a.listen.ip()) {
        return Err(Error::usage(
            format!("--listen {}", a.listen),
            "netlab serves on loopback only",
            "use 127.0.0.1:PORT or [::1]:PORT",
        ));
    }
    let (cert, ca_path) = serve_certificate(a)?;
    let mut config =
        rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| Error::usage("tls serve", e.to_string(), "report this"))?
            .with_no_client_auth()
            .with_cert_resolver(std::sync::Arc::new(crate::sandbox::pki::OneCert(cert)));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(a.listen).await.map_err(|e| Error::io(a.listen.to_string(), e))?;
        let local = listener.local_addr().map_err(|e| Error::io(a.listen.to_string(), e))?;
        let ca = ca_path.as_ref().map(|p| p.display().to_string());
        if json {
            super::out(io, &format!("{}\n", serde_json::json!({"type": "tls.listening", "address": local.to_string(), "ca": ca})))?;
        } else if let Some(ca) = ca {
            super::out(io, &format!(
                "netlab tls serve: listening on {local} (certificate for localhost from a fresh CA: {ca})\n  curl --cacert {ca} https://localhost:{port}/\n  netlab tls localhost:{port} --cacert {ca}\n",
                port = local.port()
            ))?;
        } else {
            super::out(io, &format!("netlab tls serve: listening on {local} with the certificate of --cert\n"))?;
        }
        let (tx, mut rx) = tokio::sync::mpsc::channel(16);
        let server = tokio::spawn(crate::tls::server::serve(listener, std::sync::Arc::new(config), a.count, tx));
        let deadline = a.duration.map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
        loop {
            let next = match deadline {
                Some(d) => match tokio::time::timeout_at(d, rx.recv()).await {
                    Ok(v) => v,
                    Err(_) => break,
                },
                None => tokio::select! {
                    v = rx.recv() => v,
                    _ = tokio::signal::ctrl_c() => break,
                },
            };
            let Some(seen) = next else { break };
            let text = if json { format!("{}\n", serde_json::json!({"type": "tls.client", "schema": "netlab.tls.serve/1", "client": seen})) } else { crate::tls::render::client_seen(&seen, opts) };
            super::out(io, &text)?;
        }
        server.abort();
        Ok(0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(
            split_target("www.example.com").unwrap(),
            ("www.example.com".into(), 443)
        );
        assert_eq!(split_target("example.com:8443").unwrap(), ("example.com".into(), 8443));
        assert_eq!(split_target("[::1]:853").unwrap(), ("::1".into(), 853));
        assert_eq!(split_target("192.0.2.1").unwrap(), ("192.0.2.1".into(), 443));
        assert!(split_target("host:port").is_err());
    }
}
