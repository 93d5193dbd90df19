//! `netlab tls`: turns the arguments into options, resolves the host on the command's network,
//! traces; and `netlab tls serve`.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::output::{to_stdout, Printer};
use super::Io;
use crate::cli::{TlsArgs, TlsServeArgs};
use crate::error::{Error, Result};
use crate::net::trust::read_cacert;
use crate::net::{Network, Place};
use crate::tls::client::TlsOptions;
use crate::tls::identity::ClientIdentity;
use crate::tls::serve::{Certificate, ServeOptions};
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

pub(super) fn run_tls(a: &TlsArgs, place: &Place, printer: &Printer, io: &mut Io) -> Result<i32> {
    if let Some(crate::cli::TlsAction::Serve(s)) = &a.action {
        super::network::refuse_sandbox(
            place,
            "tls serve",
            "it serves on this machine's loopback, for real clients",
        )?;
        return run_serve(s, printer, io);
    }
    if let Some(keylog) = &a.keylog {
        super::folder_ready(keylog, "--keylog", a.create_dirs)?;
    }
    if a.insecure {
        super::warn_insecure(io);
    }
    let trace = tls_trace(a, place)?;
    printer.document(io.stdout, &trace)?;
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

/// `netlab tls serve`: a TLS server on loopback that reports each client's offer.
fn run_serve(a: &TlsServeArgs, printer: &Printer, io: &mut Io) -> Result<i32> {
    if !crate::net::is_loopback(a.listen.ip()) {
        return Err(Error::usage(
            format!("--listen {}", a.listen),
            "netlab serves on loopback only",
            "use 127.0.0.1:PORT or [::1]:PORT",
        ));
    }
    let certificate = match (&a.cert, &a.key) {
        (Some(cert), Some(key)) => Certificate::Given {
            cert: cert.clone(),
            key: key.clone(),
        },
        // The fresh CA's root goes beside the progress file.
        (None, None) => Certificate::Fresh {
            ca_path: crate::lab::progress::default_path(|k| std::env::var(k).ok())?.with_file_name("serve-root-ca.pem"),
        },
        _ => {
            return Err(Error::usage(
                "--cert/--key",
                "go together",
                "give both, or neither for a fresh CA",
            ))
        }
    };
    let options = ServeOptions {
        listen: a.listen,
        certificate,
        count: a.count,
        duration: a.duration.map(Duration::from_secs),
    };
    let mut stream = printer.lines(&mut *io.stdout);
    super::runtime()?.block_on(crate::tls::serve::run(&options, |event| {
        // Each event is written as it happens: someone is watching.
        stream.item(&event).and_then(|()| stream.flush()).map_err(to_stdout)
    }))?;
    stream.end().map_err(to_stdout)?;
    Ok(0)
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
