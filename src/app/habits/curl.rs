//! curl's spellings for `netlab http`: `--http2`, `--http3`, `--http3-only`, `-m SECONDS`,
//! `--resolve HOST:PORT:ADDR`, `-X GET|HEAD|PURGE`, `-s`; and the options netlab lacks (`-L`, `-d`,
//! `--http1.1`, other methods) refused, saying what it does instead. `-v`, `-w`, `-o`, `-H`,
//! `-I`, `-k`, `--cacert`, `--connect-to` and `--max-time` are netlab's own already.
//!
//! curl's `--http3` tries HTTP/3 and falls back to HTTP/2 when QUIC fails; netlab's `--h3`
//! never falls back (a QUIC failure is the trace's answer), so `--http3` and `--http3-only`
//! both mean `--h3`.

use super::{Cursor, Flags, Ours, Spelling};
use crate::error::{Error, Result};

const TOOL: &str = "curl";

const TABLE: &[Spelling] = &[
    Spelling {
        theirs: &["--http2"],
        value: false,
        ours: Ours::Flag("--h2"),
    },
    Spelling {
        theirs: &["--http3", "--http3-only"],
        value: false,
        ours: Ours::Flag("--h3"),
    },
    Spelling {
        theirs: &["-m"],
        value: true,
        ours: Ours::Flag("--max-time"),
    },
    // curl's progress meter: netlab has none to silence.
    Spelling {
        theirs: &["-s", "--silent", "-sS"],
        value: false,
        ours: Ours::Default,
    },
    Spelling {
        theirs: &["--http1.1", "--http1.0", "-0"],
        value: false,
        ours: Ours::Lacks(
            "asks for HTTP/1",
            "netlab speaks HTTP/2 and HTTP/3; netlab tls --alpn http/1.1 shows an HTTP/1.1 handshake",
        ),
    },
    Spelling {
        theirs: &["-L", "--location"],
        value: false,
        ours: Ours::Lacks(
            "follows redirects",
            "netlab fetches one URL; the trace shows the status and the location header to fetch next",
        ),
    },
    Spelling {
        theirs: &["-d", "--data", "--data-binary", "--data-raw", "-F", "--form"],
        value: true,
        ours: Ours::Lacks(
            "sends a request body",
            "netlab sends GET, or HEAD with -I, without a body",
        ),
    },
];

/// Rewrites `netlab http` arguments.
pub(super) fn rewrite(args: &[String], ours: &Flags) -> Result<Vec<String>> {
    let mut c = Cursor::new(args, ours);
    while let Some(w) = c.next_word(TABLE) {
        if c.apply(TABLE, w, TOOL)? {
            continue;
        }
        match w {
            "-X" | "--request" => match c.value(w)? {
                m if m.eq_ignore_ascii_case("GET") => {}
                m if m.eq_ignore_ascii_case("HEAD") => c.out.push("--head".into()),
                m if m.eq_ignore_ascii_case("PURGE") => c.out.push("--purge".into()),
                m => {
                    return Err(super::lacks(
                        TOOL,
                        &format!("{w} {m}"),
                        "sends another method",
                        "netlab sends GET, HEAD with -I, or PURGE with --purge",
                    ))
                }
            },
            "--resolve" => {
                let spec = c.value(w)?;
                c.out.extend(["--connect-to".to_string(), connect_to(spec)?]);
            }
            // -m5, -m0.5: curl's short option with its value attached.
            _ if w.starts_with("-m") && w.len() > 2 => c.out.extend(["--max-time".to_string(), w[2..].to_string()]),
            _ => c.out.push(w.to_string()),
        }
    }
    Ok(c.out)
}

/// curl's `--resolve HOST:PORT:ADDR` (connect to ADDR for HOST:PORT; `*` for any host) as
/// netlab's `--connect-to HOST:PORT:ADDR:PORT`.
fn connect_to(spec: &str) -> Result<String> {
    let bad = |why: &str| {
        Error::usage(
            format!("curl's '--resolve {spec}'"),
            why.to_string(),
            "write --resolve HOST:PORT:IPv4 (or netlab's --connect-to HOST:PORT:ADDR:PORT)",
        )
    };
    let mut parts = spec.splitn(3, ':');
    let (Some(host), Some(port), Some(addr)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("is not HOST:PORT:ADDR"));
    };
    port.parse::<u16>().map_err(|_| bad("has no port number"))?;
    if addr.contains([',', ':', '[']) {
        return Err(bad("gives several or IPv6 addresses, which --connect-to cannot say"));
    }
    let host = host.trim_start_matches('+');
    let host = if host == "*" { "" } else { host };
    Ok(format!("{host}:{port}:{addr}:{port}"))
}

#[cfg(test)]
mod tests {
    use super::super::words;
    use super::*;

    fn curl(line: &str) -> Result<String> {
        rewrite(&words(line), &Flags::of(Some("http"))).map(|v| v.join(" "))
    }

    fn refused(line: &str) -> String {
        curl(line).unwrap_err().one_line()
    }

    #[test]
    fn protocols_and_times() {
        assert_eq!(curl("https://h/ --http2").unwrap(), "https://h/ --h2");
        assert_eq!(curl("--http3 https://h/").unwrap(), "--h3 https://h/");
        assert_eq!(
            curl("https://h/ --http3-only -m 2.5").unwrap(),
            "https://h/ --h3 --max-time 2.5"
        );
        assert_eq!(curl("https://h/ -m5 -s").unwrap(), "https://h/ --max-time 5");
        assert_eq!(
            curl("https://h/ --max-time 3 -w %{time_total}").unwrap(),
            "https://h/ --max-time 3 -w %{time_total}"
        );
    }

    #[test]
    fn methods_and_resolve() {
        assert_eq!(curl("-X GET https://h/").unwrap(), "https://h/");
        assert_eq!(curl("-X head https://h/").unwrap(), "--head https://h/");
        assert_eq!(curl("-X PURGE https://h/").unwrap(), "--purge https://h/");
        assert_eq!(curl("--request purge https://h/").unwrap(), "--purge https://h/");
        assert!(refused("-X POST https://h/").contains("GET, HEAD with -I, or PURGE"));
        assert_eq!(
            curl("--resolve www.example.com:443:127.0.0.1 https://www.example.com/").unwrap(),
            "--connect-to www.example.com:443:127.0.0.1:443 https://www.example.com/"
        );
        assert_eq!(
            curl("--resolve *:8443:10.0.0.1 u").unwrap(),
            "--connect-to :8443:10.0.0.1:8443 u"
        );
        assert!(refused("--resolve h:443:[::1] u").contains("IPv6"));
        assert!(refused("--resolve h:x:1.2.3.4 u").contains("port"));
    }

    #[test]
    fn what_netlab_lacks_is_refused_naming_what_it_does() {
        assert!(refused("https://h/ -L").contains("fetches one URL"));
        assert!(refused("https://h/ -d a=b").contains("without a body"));
        assert!(refused("https://h/ --http1.1").contains("HTTP/2 and HTTP/3"));
    }
}
