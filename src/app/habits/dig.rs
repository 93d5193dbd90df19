//! dig's spellings for `netlab dns`: `+short`, `+dnssec`, `+trace`, `+norecurse`, `+time=S`,
//! `@SERVER` with `-p PORT`, `-t TYPE`, and the class `IN` after the name.
//!
//! A dig query names a class beside the type (RFC 1035 §3.2.4); netlab asks in class IN only,
//! so `IN` is dropped and any other class refused. dig's `+trace` is an iterative walk from the
//! root with RD=0 (RFC 1034 §5.3.3), which is what `netlab dns` does without `@SERVER`; so is
//! `+norecurse` there, since every query of the walk has RD=0.

use super::{lacks, unknown, Cursor, Flags, Ours, Spelling};
use crate::error::{Error, Result};

const TOOL: &str = "dig";

/// dig's `+` options netlab spells, or knows it lacks. `+trace` and `+norecurse` depend on
/// whether a server was named, so they are read in [`rewrite`].
const TABLE: &[Spelling] = &[
    Spelling {
        theirs: &["+short"],
        value: false,
        ours: Ours::Flag("--short"),
    },
    Spelling {
        theirs: &["+dnssec"],
        value: false,
        ours: Ours::Flag("--dnssec"),
    },
    Spelling {
        theirs: &["+tcp", "+vc"],
        value: false,
        ours: Ours::Lacks(
            "asks over TCP from the start; netlab asks over UDP and moves to TCP when an answer is truncated (TC=1, RFC 7766 §5)",
            "to see it, ask for a large answer: netlab dns big.example.com TXT --sandbox",
        ),
    },
    Spelling {
        theirs: &["+noall", "+answer", "+nocmd", "+nocomments", "+nostats", "+noquestion", "+multiline"],
        value: false,
        ours: Ours::Lacks(
            "chooses which sections dig prints; netlab prints the whole walk",
            "--short prints the answers' data as dig +short does; --json gives every record",
        ),
    },
];

/// `+trace` and `+norecurse` are said here, beside the table, in the list of what is known.
const READ_HERE: &[&str] = &["+trace", "+norecurse", "+time=S", "@SERVER", "-p PORT", "-t TYPE", "IN"];

/// Classes other than IN (RFC 1035 §3.2.4; CLASS1 is IN in RFC 3597's generic spelling).
const OTHER_CLASSES: &[&str] = &["CH", "CHAOS", "HS", "HESIOD"];

/// Rewrites `netlab dns` arguments: flags first, then the name, the type and the server.
pub(super) fn rewrite(args: &[String], ours: &Flags) -> Result<Vec<String>> {
    let mut c = Cursor::new(args, ours);
    let (mut words, mut servers, mut port, mut rtype) = (Vec::new(), Vec::new(), None, None);
    let (mut trace, mut norecurse) = (false, false);
    while let Some(w) = c.next_word(TABLE) {
        if c.apply(TABLE, w, TOOL)? {
            continue;
        }
        match w {
            "+trace" => trace = true,
            "+norecurse" | "+norec" => norecurse = true,
            "-p" => port = Some(c.value(w)?.to_string()),
            "-t" => rtype = Some(c.value(w)?.to_string()),
            _ if w.starts_with("-p") && w.len() > 2 => port = Some(w[2..].to_string()),
            _ if w.starts_with("+time=") || w.starts_with("+timeout=") => {
                let s = w.split_once('=').map(|(_, s)| s).unwrap_or_default();
                let ms = s
                    .parse::<u64>()
                    .ok()
                    .filter(|s| (1..=3600).contains(s))
                    .ok_or_else(|| {
                        Error::usage(
                            format!("dig's '{w}'"),
                            "is not a number of seconds from 1 to 3600",
                            "write +time=2",
                        )
                    })?;
                c.out.extend(["--timeout".to_string(), (ms * 1000).to_string()]);
            }
            _ if w.starts_with('+') => return Err(unknown(TOOL, w, TABLE, READ_HERE, "dns")),
            _ if w.starts_with('@') => servers.push(w.to_string()),
            _ => words.push(w.to_string()),
        }
    }
    strip_class(&mut words)?;
    let stub = !servers.is_empty() || c.out.iter().any(|w| w == "--resolver" || w == "--system");
    if trace && stub {
        return Err(lacks(
            TOOL,
            "+trace",
            "walks from the root, using the server only to find the root servers",
            "netlab walks from the root without @SERVER, or starts the walk at a server with --root IP",
        ));
    }
    if norecurse && stub {
        return Err(lacks(
            TOOL,
            "+norecurse",
            "asks one server with RD=0; netlab's stub mode asks a resolver with RD=1",
            "netlab's walk asks with RD=0: start it at that server with --root IP",
        ));
    }
    words.extend(rtype);
    match (port, servers.as_slice()) {
        (None, _) => words.extend(servers),
        (Some(p), [server]) => c.out.extend(["--resolver".to_string(), with_port(&server[1..], &p)?]),
        (Some(p), _) => {
            return Err(Error::usage(
                format!("dig's '-p {p}'"),
                "is the port of @SERVER",
                "give one @SERVER, or write --resolver IP:PORT (or --root IP:PORT for a walk)",
            ))
        }
    }
    c.out.extend(words);
    Ok(c.out)
}

/// Drops the class IN where dig reads one, after the name (before or after the type); refuses
/// the others.
fn strip_class(words: &mut Vec<String>) -> Result<()> {
    if let Some(other) = words.iter().skip(1).find(|w| {
        OTHER_CLASSES.iter().any(|c| w.eq_ignore_ascii_case(c))
            || w.get(..5)
                .is_some_and(|c| c.eq_ignore_ascii_case("CLASS") && w.len() > 5 && &w[5..] != "1")
    }) {
        return Err(lacks(
            TOOL,
            other,
            "asks in another class than IN",
            "netlab asks in class IN, the internet's, only",
        ));
    }
    let mut i = 1;
    while i < words.len() {
        if words[i].eq_ignore_ascii_case("IN") || words[i].eq_ignore_ascii_case("CLASS1") {
            words.remove(i);
        } else {
            i += 1;
        }
    }
    Ok(())
}

/// `SERVER` and `PORT` as netlab's `--resolver IP:PORT` (IPv6 in brackets).
fn with_port(server: &str, port: &str) -> Result<String> {
    let port: u16 = port
        .parse()
        .map_err(|_| Error::usage(format!("dig's '-p {port}'"), "is not a port number", "write -p 5353"))?;
    Ok(match server.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => format!("[{v6}]:{port}"),
        _ => format!("{server}:{port}"),
    })
}

#[cfg(test)]
mod tests {
    use super::super::words;
    use super::*;

    fn dig(line: &str) -> Result<String> {
        rewrite(&words(line), &Flags::of(Some("dns"))).map(|v| v.join(" "))
    }

    fn refused(line: &str) -> String {
        dig(line).unwrap_err().one_line()
    }

    #[test]
    fn plus_options_become_flags() {
        assert_eq!(dig("www.example.com +short").unwrap(), "--short www.example.com");
        assert_eq!(dig("+dnssec example.com MX").unwrap(), "--dnssec example.com MX");
        assert_eq!(dig("www.example.com +trace").unwrap(), "www.example.com");
        assert_eq!(dig("www.example.com +norecurse").unwrap(), "www.example.com");
        assert_eq!(dig("x +time=3").unwrap(), "--timeout 3000 x");
        assert!(refused("x +time=0").contains("1 to 3600"));
    }

    #[test]
    fn class_in_is_dropped_before_or_after_the_type() {
        assert_eq!(dig("example.com IN MX").unwrap(), "example.com MX");
        assert_eq!(dig("example.com MX in").unwrap(), "example.com MX");
        assert_eq!(dig("example.com IN").unwrap(), "example.com");
        // The first word is the name, even when it is a TLD called "in".
        assert_eq!(dig("in NS").unwrap(), "in NS");
        let e = refused("version.bind CH TXT");
        assert!(e.contains("'CH'") && e.contains("class IN"), "{e}");
        assert!(refused("x CLASS3 A").contains("class IN"));
    }

    #[test]
    fn server_port_and_type() {
        assert_eq!(dig("@127.0.0.1 -p 5353 x").unwrap(), "--resolver 127.0.0.1:5353 x");
        assert_eq!(dig("x @::1 -p5353").unwrap(), "--resolver [::1]:5353 x");
        assert_eq!(dig("x @198.51.100.53").unwrap(), "x @198.51.100.53");
        assert_eq!(dig("-t MX example.com").unwrap(), "example.com MX");
        assert_eq!(dig("-x 192.0.2.10 +short").unwrap(), "-x 192.0.2.10 --short");
        assert!(refused("x -p 53").contains("port of @SERVER"));
        assert!(refused("x @1.2.3.4 -p http").contains("not a port"));
        assert!(refused("x -t").contains("needs a value"));
    }

    #[test]
    fn what_netlab_lacks_is_refused_naming_what_it_does() {
        assert!(refused("x +tcp").contains("moves to TCP when an answer is truncated"));
        assert!(refused("x +noall +answer").contains("--short"));
        assert!(refused("x @1.1.1.1 +trace").contains("--root IP"));
        assert!(refused("x @1.1.1.1 +norecurse").contains("RD=0"));
        let e = refused("x +bufsize=512");
        assert!(
            e.contains("unknown option '+bufsize=512'") && e.contains("+short, +dnssec"),
            "{e}"
        );
    }
}
