//! `netlab tls`: turns the arguments into options, resolves the host on the command's network,
//! traces; and `netlab tls serve`.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::{write_trace, Io};
use crate::cli::{TlsArgs, TlsServeArgs};
use crate::error::{Error, Result};
use crate::net::trust::read_cacert;
use crate::net::{Network, Place};
use crate::render::RenderOpts;
use crate::tls::client::TlsOptions;
use crate::tls::identity::ClientIdentity;
use crate::trace::Trace;

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

pub(super) fn run_tls(a: &TlsArgs, place: &Place, json: bool, opts: &RenderOpts, io: &mut Io) -> Result<i32> {
    if let Some(crate::cli::TlsAction::Serve(s)) = &a.action {
        super::network::refuse_sandbox(
            place,
            "tls serve",
            "it serves on this machine's loopback, for real clients",
        )?;
        return run_serve(s, json, opts, io);
    }
    if a.insecure {
        super::warn_insecure(io);
    }
    let trace = tls_trace(a, place)?;
    write_trace(&trace, json, opts, io)?;
    Ok(trace.outcome.exit_code())
}

/// The client certificate and key of `--client-cert`/`--client-key` (`sandbox`: the network's).
fn client_identity(a: &TlsArgs, net: &Network) -> Result<Option<ClientIdentity>> {
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
        return match net.sandbox_client_identity() {
            Some(id) => Ok(Some(id.clone())),
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
    ClientIdentity::read_pem(std::path::Path::new(cert), key_path).map(Some)
}

/// Runs `netlab tls` and returns its trace.
pub(super) fn tls_trace(a: &TlsArgs, place: &Place) -> Result<Trace> {
    let target = a
        .target
        .as_deref()
        .ok_or_else(|| Error::usage("tls", "needs a HOST[:PORT] (or 'serve')", "see 'netlab tls --help'"))?;
    let (host, port) = split_target(target)?;
    let extra = a.cacert.as_deref().map(read_cacert).transpose()?.unwrap_or_default();
    let timeout = Duration::from_millis(a.timeout.max(1));
    super::network::on_network(place, |net| async move {
        let net = net.trusting(extra);
        let ip = net.resolve_host(&host).await?;
        let options = TlsOptions {
            host: host.clone(),
            address: SocketAddr::new(ip, port),
            sni: a.sni.clone(),
            alpn: a.alpn.clone(),
            timeout,
            show_secrets: a.show_secrets,
            keylog: a.keylog.clone(),
            request: true,
            groups: a.groups.clone(),
            ciphers: a.ciphers.clone(),
            resume: a.resume || a.early_data,
            early_data: a.early_data,
            insecure: a.insecure,
            client_identity: client_identity(a, &net)?,
        };
        crate::tls::client::trace(&options, &net).await
    })
}

/// The server's certificate: `--cert`/`--key`, or one for localhost from a fresh CA whose root
/// is written beside the progress file (returned, for clients to trust).
fn serve_certificate(
    a: &TlsServeArgs,
) -> Result<(std::sync::Arc<rustls::sign::CertifiedKey>, Option<std::path::PathBuf>)> {
    match (&a.cert, &a.key) {
        (Some(cert), Some(key)) => {
            let id = ClientIdentity::read_pem(cert, key)?;
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
fn run_serve(a: &TlsServeArgs, json: bool, opts: &RenderOpts, io: &mut Io) -> Result<i32> {
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
        let listener = crate::net::socket::tcp_listener(a.listen).await.map_err(|e| Error::io(a.listen.to_string(), e))?;
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
