//! `netlab http`: parses the URL and curl-style options, runs the fetch engine on the
//! command's network, and writes the trace (and the body with `-o`).

use std::net::SocketAddr;
use std::time::Duration;

use super::output::{self, Printer};
use super::tls::split_target;
use super::Io;
use crate::cli::HttpArgs;
use crate::error::{Error, Result};
use crate::http::client::FetchOptions;
use crate::http::fetch::Protocols;
use crate::http::pace::Pacing;
use crate::net::trust::read_cacert;
use crate::net::Place;
use crate::tls::secrets::SecretLog;
use crate::trace::Trace;

/// The parts of an https URL: host, port, authority and path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub host: String,
    pub port: u16,
    pub authority: String,
    pub path: String,
}

/// Parses `https://HOST[:PORT][/PATH]`.
pub fn parse_url(url: &str) -> Result<Url> {
    let Some(rest) = url.strip_prefix("https://") else {
        let why = if url.starts_with("http://") {
            "is plain http: HTTP/2 here needs TLS (ALPN h2) and HTTP/3 is always encrypted"
        } else {
            "is not an https:// URL"
        };
        return Err(Error::usage(
            format!("URL '{url}'"),
            why,
            "write it as https://HOST[:PORT]/PATH",
        ));
    };
    let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    let path = path.split('#').next().unwrap_or_default();
    let path = if path.is_empty() {
        "/".to_string()
    } else if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    if authority.is_empty() || authority.contains('@') {
        return Err(Error::usage(
            format!("URL '{url}'"),
            "has no usable host",
            "write it as https://HOST[:PORT]/PATH",
        ));
    }
    let (host, port) = split_target(authority)?;
    let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    Ok(Url {
        host,
        port,
        authority: authority.to_ascii_lowercase(),
        path,
    })
}

/// Parses `-H 'Name: value'`.
fn parse_header(h: &str) -> Result<(String, String)> {
    let bad = |why: &str| Error::usage(format!("-H '{h}'"), why.to_string(), "write it as 'Name: value'");
    let (name, value) = h.split_once(':').ok_or_else(|| bad("has no ':'"))?;
    let name = name.trim().to_ascii_lowercase();
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.!#$%&'*+^`|~".contains(&b))
    {
        return Err(bad("is not a valid header name"));
    }
    Ok((name, value.trim().to_string()))
}

/// curl's `--connect-to HOST1:PORT1:HOST2:PORT2`: where to connect instead, if it applies.
fn connect_to(spec: &str, url: &Url) -> Result<Option<(String, u16)>> {
    let bad = || {
        Error::usage(
            format!("--connect-to '{spec}'"),
            "is not HOST1:PORT1:HOST2:PORT2",
            "e.g. www.example.com:443:127.0.0.1:8443 (empty HOST1 or PORT1 match any)",
        )
    };
    let parts: Vec<&str> = spec.splitn(4, ':').collect();
    let [h1, p1, h2, p2] = parts[..] else { return Err(bad()) };
    let p2: u16 = p2.parse().map_err(|_| bad())?;
    let matches = (h1.is_empty() || h1.eq_ignore_ascii_case(&url.host))
        && (p1.is_empty() || p1.parse::<u16>().ok() == Some(url.port));
    Ok(matches.then(|| {
        (
            if h2.is_empty() {
                url.host.clone()
            } else {
                h2.to_string()
            },
            p2,
        )
    }))
}

pub(super) fn run_http(a: &HttpArgs, place: &Place, printer: &Printer, io: &mut Io) -> Result<i32> {
    for (path, flag) in [(&a.output, "-o"), (&a.qlog, "--qlog"), (&a.keylog, "--keylog")] {
        if let Some(path) = path.as_deref().filter(|p| *p != std::path::Path::new("-")) {
            super::folder_ready(path, flag, a.create_dirs)?;
        }
    }
    let write_out = write_out(a, printer)?;
    if a.insecure {
        super::warn_insecure(io);
    }
    let (trace, body) = http_trace(a, place)?;
    if a.verbose {
        // curl writes -v's lines on standard error; the trace keeps standard output.
        let _ = io
            .stderr
            .write_all(crate::http::verbose::header_lines(&trace).as_bytes());
    }
    match (a.output.as_deref(), body) {
        (Some(p), Some(body)) if p == std::path::Path::new("-") => {
            // The body owns standard output; the trace (text or JSON) goes to standard error.
            output::raw(io.stdout, &body)?;
            printer.document(io.stderr, &trace)?;
        }
        (Some(p), Some(body)) => {
            save_body(p, &body)?;
            printer.document(io.stdout, &trace)?;
        }
        _ => printer.document(io.stdout, &trace)?,
    }
    // curl writes -w's text after the transfer, on standard output.
    if let Some(format) = write_out {
        output::raw(io.stdout, format.render_trace(&trace).as_bytes())?;
    }
    Ok(trace.outcome.exit_code())
}

/// `-w FORMAT`, parsed before anything runs; refused with `--json`, whose trace already holds
/// every phase (and whose standard output must stay one JSON document).
fn write_out(a: &HttpArgs, printer: &Printer) -> Result<Option<crate::http::writeout::Format>> {
    let Some(format) = &a.write_out else { return Ok(None) };
    if printer.is_json() {
        return Err(Error::usage(
            "-w with --json",
            "would add text after the JSON document",
            "use one: the JSON's http.summary events hold every phase -w reads",
        ));
    }
    crate::http::writeout::Format::parse(format)
        .map(Some)
        .map_err(|why| Error::usage(format!("-w '{format}'"), why, "see 'netlab http --help'"))
}

/// Writes a body saved with `-o`. A body is the user's file, not a secret: it follows the
/// umask, as curl's -o. A path that is not a regular file (`/dev/null`, a pipe) is written in
/// place, never replaced by a renamed temporary file.
fn save_body(path: &std::path::Path, body: &[u8]) -> Result<()> {
    let special = std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir());
    let written = if special {
        std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, body))
    } else {
        crate::fsutil::write_atomic_public(path, body)
    };
    written.map_err(|e| Error::io(path, e))
}

/// `--max-time` (`-m`) in seconds, fractions allowed, as a duration (at least a millisecond).
fn max_time(seconds: f64) -> Result<Duration> {
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0) {
        return Err(Error::usage(
            format!("--max-time {seconds}"),
            "is not a number of seconds above 0 and at most a day",
            "write e.g. --max-time 2.5 (curl's -m 2.5)",
        ));
    }
    Ok(Duration::from_secs_f64(seconds).max(Duration::from_millis(1)))
}

/// `PURGE`: not one of RFC 9110's methods, but the one CDNs and Varnish answer by dropping a
/// URL's stored responses.
fn purge_method() -> http::Method {
    http::Method::from_bytes(b"PURGE").unwrap_or(http::Method::GET)
}

/// `--rate N/WINDOW [--burst K]` as a pacing, refused when the last request would be due after
/// `--max-time`.
fn pacing(a: &HttpArgs) -> Result<Option<Pacing>> {
    let Some((requests, window_ns)) = a.rate else {
        return Ok(None);
    };
    let p = Pacing {
        requests,
        window_ns,
        burst: a.burst.unwrap_or(1),
    };
    let last = Duration::from_nanos(p.offset_ns(a.requests.saturating_sub(1)));
    if last.as_secs_f64() >= a.max_time {
        return Err(Error::usage(
            format!("--requests {} at --rate {}", a.requests, p.label()),
            format!(
                "would send the last request {:.1} s after the first, past --max-time {}",
                last.as_secs_f64(),
                a.max_time
            ),
            "send fewer requests, raise the rate, or raise --max-time",
        ));
    }
    Ok(Some(p))
}

/// Fetches as `a` says and returns the trace, and the first body when `-o` asked for it; with
/// `--keylog`, writes every connection's secrets as `netlab tls --keylog` does (0600, atomic).
pub(super) fn http_trace(a: &HttpArgs, place: &Place) -> Result<(Trace, Option<Vec<u8>>)> {
    let url = parse_url(&a.url)?;
    let headers = a.headers.iter().map(|h| parse_header(h)).collect::<Result<Vec<_>>>()?;
    let redirect = a
        .connect_to
        .as_deref()
        .map(|s| connect_to(s, &url))
        .transpose()?
        .flatten();
    let extra = a.cacert.as_deref().map(read_cacert).transpose()?.unwrap_or_default();
    if let Some(cc) = &a.cc {
        if !a.h3 || a.compare {
            cc.check_offered()?;
        }
        if a.h3 || a.compare {
            cc.quic_factory()?;
        }
    }
    if a.runs > 1 && (!a.compare || place.link.is_none()) {
        return Err(Error::usage(
            format!("--runs {}", a.runs),
            "repeats the comparison under the link's random conditions, a new seed each run",
            "add --compare and --link, e.g. --link rtt=40ms,loss=2% http URL --compare --runs 20",
        ));
    }
    let protocols = match (a.h3, a.compare) {
        (_, true) => Protocols::Compare { runs: a.runs },
        (true, false) => Protocols::H3,
        _ => Protocols::H2,
    };
    let connect = redirect.unwrap_or((url.host.clone(), url.port));
    let secrets = a.keylog.as_ref().map(|_| std::sync::Arc::new(SecretLog::default()));
    let options = FetchOptions {
        url: a.url.clone(),
        host: url.host.clone(),
        path: url.path.clone(),
        authority: url.authority.clone(),
        address: SocketAddr::from(([0, 0, 0, 0], url.port)),
        method: if a.head {
            http::Method::HEAD
        } else if a.purge {
            purge_method()
        } else {
            http::Method::GET
        },
        pacing: pacing(a)?,
        headers,
        requests: a.requests,
        concurrency: a.concurrency,
        insecure: a.insecure,
        timeout: Duration::from_millis(a.timeout.max(1)),
        max_time: max_time(a.max_time)?,
        keep_body: a.output.is_some(),
        resume: a.resume,
        qlog: a.qlog.clone(),
        dns_us: 0,
        cc: a.cc.clone(),
        keylog: secrets.clone(),
    };
    let fetched = super::network::on_network(place, |net| async move {
        let net = net.trusting(extra);
        crate::http::fetch::fetch(options, connect, protocols, &net).await
    })?;
    if let (Some(path), Some(log)) = (&a.keylog, &secrets) {
        crate::fsutil::write_atomic(path, log.nss_text(0).as_bytes()).map_err(|e| Error::io(path, e))?;
    }
    Ok(fetched)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = parse_url("https://WWW.example.com:8443/a/b?c=d#frag").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("www.example.com", 8443, "/a/b?c=d")
        );
        assert_eq!(parse_url("https://example.com").unwrap().path, "/");
        assert_eq!(parse_url("https://example.com?x").unwrap().path, "/?x");
        let v6 = parse_url("https://[::1]:4433/").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 4433));
        for bad in [
            "http://example.com/",
            "example.com",
            "https://",
            "https://user@host/",
            "https://h:99999/",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn headers_and_connect_to() {
        assert_eq!(parse_header("X-Test:  yes ").unwrap(), ("x-test".into(), "yes".into()));
        assert!(parse_header("no colon").is_err());
        assert!(parse_header("bad name: x").is_err());
        let u = parse_url("https://www.example.com/").unwrap();
        assert_eq!(
            connect_to("www.example.com:443:127.0.0.1:8443", &u).unwrap(),
            Some(("127.0.0.1".into(), 8443))
        );
        assert_eq!(connect_to("::localhost:9", &u).unwrap(), Some(("localhost".into(), 9)));
        assert_eq!(connect_to("other:443:127.0.0.1:1", &u).unwrap(), None);
        assert!(connect_to("a:b", &u).is_err());
    }
}
