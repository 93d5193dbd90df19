//! `netlab edge`: checks that both ends are loopback, then runs the proxy until `--for` has
//! passed or Ctrl-C/SIGTERM came, writing one line per request as it is answered.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::output::{to_stdout, Item, Printer};
use super::sandbox::Stop;
use super::Io;
use crate::cli::EdgeArgs;
use crate::edge::proxy::{EdgeEvent, EdgeOptions};
use crate::error::{Error, Result};
use crate::net::{is_loopback, Network};
use crate::render::RenderOpts;

pub(super) fn run_edge(a: &EdgeArgs, printer: &Printer, io: &mut Io) -> Result<i32> {
    if !is_loopback(a.listen.ip()) {
        return Err(Error::usage(
            format!("--listen {}", a.listen),
            "netlab serves on loopback only",
            "use 127.0.0.1:PORT or [::1]:PORT",
        ));
    }
    let options = EdgeOptions {
        listen: a.listen,
        origin: origin_address(&a.origin)?,
        origin_url: a.origin.clone(),
        max_bytes: a.max_bytes,
        purge: a.purge,
        limit: match a.limit {
            None => None,
            Some((limit, window_ns)) => Some((
                crate::ratelimit::algorithms::Policy { limit, window_ns },
                super::ratelimit::algorithm(&a.algorithm)?,
            )),
        },
        forwarded_client: false,
        challenge: a.challenge,
    };
    let runtime = super::runtime()?;
    let stop = {
        let _context = runtime.enter();
        Stop::install()?
    };
    // Loopback is all the edge may reach.
    let network = Network::internet(true);
    let mut stream = printer.lines(&mut *io.stdout);
    runtime.block_on(crate::edge::proxy::run(
        &options,
        &network,
        stop.wait(a.duration),
        |event| {
            // Each request is written as it is answered: someone is watching.
            stream.item(&event).and_then(|()| stream.flush()).map_err(to_stdout)
        },
    ))?;
    stream.end().map_err(to_stdout)?;
    Ok(0)
}

/// The origin's address from `http://HOST[:PORT][/]`, where HOST is a loopback address or
/// `localhost` (RFC 6761 §6.3: loopback without asking DNS); anything else is refused.
fn origin_address(url: &str) -> Result<SocketAddr> {
    let refuse = |why: &str| {
        Error::usage(
            format!("--origin {url}"),
            why.to_string(),
            "give http://127.0.0.1:PORT (or [::1], or localhost)",
        )
    };
    let uri: http::Uri = url.parse().map_err(|_| refuse("is not a URL"))?;
    if uri.scheme_str() != Some("http") {
        return Err(refuse("the edge speaks plain HTTP/1.1 to its origin (http://)"));
    }
    if uri.path_and_query().is_some_and(|p| p.as_str() != "/") {
        return Err(refuse("the origin is a host and port; the paths come from the clients"));
    }
    let Some(host) = uri.host() else {
        return Err(refuse("has no host"));
    };
    let ip: IpAddr = if host.eq_ignore_ascii_case("localhost") {
        Ipv4Addr::LOCALHOST.into()
    } else {
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .map_err(|_| refuse("the origin must be a loopback address"))?
    };
    if !is_loopback(ip) {
        return Err(refuse("the origin must be on loopback"));
    }
    Ok(SocketAddr::new(ip, uri.port_u16().unwrap_or(80)))
}

impl Item for EdgeEvent {
    fn text(&self, _opts: &RenderOpts, out: &mut Vec<u8>) {
        out.extend_from_slice(EdgeEvent::text(self).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_origins_only() {
        assert_eq!(
            origin_address("http://127.0.0.1:8000").unwrap(),
            "127.0.0.1:8000".parse().unwrap()
        );
        assert_eq!(origin_address("http://[::1]:81/").unwrap(), "[::1]:81".parse().unwrap());
        assert_eq!(
            origin_address("http://localhost").unwrap(),
            "127.0.0.1:80".parse().unwrap()
        );
        for bad in [
            "https://127.0.0.1:8443",
            "http://192.0.2.1:80",
            "http://example.com",
            "http://127.0.0.1:80/x",
            "127.0.0.1:80",
            "http://[::ffff:10.0.0.1]:80",
        ] {
            let e = origin_address(bad).unwrap_err();
            assert_eq!(e.exit_code(), crate::error::EXIT_USAGE, "{bad}");
        }
    }
}
