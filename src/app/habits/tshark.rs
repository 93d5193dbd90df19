//! tshark's and tcpdump's spellings for `netlab pcap`: `-r FILE`, `-T json`, `-V`, `-n`, and a
//! filter (`-Y` display filter, `-f` or trailing tcpdump expression) for the common cases,
//! mapped to `--proto`, `--host` and `--port`.
//!
//! Two filter languages meet here: Wireshark's display filters (`dns`, `tcp.port == 443`,
//! `ip.addr == 192.0.2.80`) and the BPF expressions of tcpdump and libpcap (`host 192.0.2.80`,
//! `port 53`, `tcp port 443`). netlab's filters match a frame from or to an address or port, in
//! either direction, so `ip.addr`/`host` and `tcp.port`/`port` are what it can say; clauses
//! are joined with `and` (`&&`), and anything else is refused naming what is supported.

use super::{lacks, unknown, Cursor, Flags, Ours, Spelling};
use crate::error::{Error, Result};

const TOOL: &str = "tshark/tcpdump";

const TABLE: &[Spelling] = &[
    Spelling {
        theirs: &["-V"],
        value: false,
        ours: Ours::Flag("-v"),
    },
    Spelling {
        theirs: &["-n", "-nn"],
        value: false,
        ours: Ours::Default,
    },
];

/// Rewritten here, beside the table.
const READ_HERE: &[&str] = &["-r FILE", "-T json", "-Y FILTER", "-f FILTER", "a trailing filter"];

/// What the filters say, as the help and the errors list it.
const SUPPORTED: &str = "dns, tls, quic, tcp, udp, icmp, arp, ip, ipv6, tcp.port == N, udp.port == N, \
ip.addr == IP, host IP, port N, tcp port N, joined by 'and'";

/// Rewrites `netlab pcap` arguments: the file first, then the options.
pub(super) fn rewrite(args: &[String], ours: &Flags) -> Result<Vec<String>> {
    let mut c = Cursor::new(args, ours);
    let (mut file, mut filter) = (None, Vec::new());
    while let Some(w) = c.next_word(TABLE) {
        if c.apply(TABLE, w, TOOL)? {
            continue;
        }
        match w {
            "-r" | "-nr" | "-nnr" => file = Some(c.value(w)?.to_string()),
            "-T" => match c.value(w)? {
                "json" => c.out.push("--json".into()),
                "text" => {}
                other => {
                    return Err(lacks(
                        TOOL,
                        &format!("-T {other}"),
                        "is an output format netlab does not write",
                        "netlab writes text, or JSON with -T json (--json)",
                    ))
                }
            },
            "-Y" | "-f" => filter.push(c.value(w)?.to_string()),
            "-" if file.is_none() => file = Some(w.to_string()),
            _ if w.starts_with('-') => return Err(unknown(TOOL, w, TABLE, READ_HERE, "pcap")),
            _ if file.is_none() => file = Some(w.to_string()),
            _ => filter.push(w.to_string()),
        }
    }
    let mut out: Vec<String> = file.into_iter().collect();
    out.append(&mut c.out);
    if !filter.is_empty() {
        out.extend(netlab_filter(&filter.join(" "))?);
    }
    Ok(out)
}

/// A filter expression as netlab's `--proto`, `--host` and `--port`.
fn netlab_filter(expr: &str) -> Result<Vec<String>> {
    let spaced = expr.replace("==", " == ").replace("&&", " and ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let (mut proto, mut host, mut port) = (None, None, None);
    let set = |slot: &mut Option<String>, value: String, what: &str| match slot {
        Some(old) if *old != value => Err(refuse(expr, &format!("netlab filters on one {what} at a time"))),
        _ => {
            *slot = Some(value);
            Ok(())
        }
    };
    for clause in tokens.split(|t| t.eq_ignore_ascii_case("and")) {
        match clause {
            [p] => set(&mut proto, protocol(p).ok_or_else(|| unsupported(expr))?, "protocol")?,
            ["port", n] => set(&mut port, port_number(expr, n)?, "port")?,
            ["host", a] | ["ip" | "ip6", "host", a] => set(&mut host, address(expr, a)?, "address")?,
            [t @ ("tcp" | "udp"), "port", n] | [t @ ("tcp.port" | "udp.port"), "==" | "eq", n] => {
                let t = t.trim_end_matches(".port").to_string();
                set(&mut proto, t, "protocol")?;
                set(&mut port, port_number(expr, n)?, "port")?;
            }
            ["ip.addr" | "ipv6.addr" | "ip.host", "==" | "eq", a] => set(&mut host, address(expr, a)?, "address")?,
            _ => return Err(unsupported(expr)),
        }
    }
    let flags = [("--proto", proto), ("--host", host), ("--port", port)];
    Ok(flags
        .into_iter()
        .filter_map(|(f, v)| v.map(|v| [f.to_string(), v]))
        .flatten()
        .collect())
}

/// netlab's `--proto` name for a protocol word of Wireshark (`ip`, `ipv6`) or BPF (`ip6`).
fn protocol(word: &str) -> Option<String> {
    let word = word.to_ascii_lowercase();
    let ours = match word.as_str() {
        "dns" | "tls" | "quic" | "tcp" | "udp" | "icmp" | "icmpv6" | "arp" | "http" | "bgp" => word.as_str(),
        "ssl" => "tls",
        "ip" => "ipv4",
        "ipv6" | "ip6" => "ipv6",
        "eth" => "ethernet",
        _ => return None,
    };
    Some(ours.to_string())
}

fn port_number(expr: &str, n: &str) -> Result<String> {
    n.parse::<u16>()
        .map(|p| p.to_string())
        .map_err(|_| refuse(expr, &format!("'{n}' is not a port number")))
}

fn address(expr: &str, a: &str) -> Result<String> {
    a.parse::<std::net::IpAddr>().map(|ip| ip.to_string()).map_err(|_| {
        refuse(
            expr,
            &format!("'{a}' is not an IP address (netlab filters on addresses, not names)"),
        )
    })
}

fn refuse(expr: &str, why: &str) -> Error {
    Error::usage(
        format!("filter '{expr}'"),
        why,
        "netlab's filters are --proto, --host and --port; see 'netlab pcap --help'",
    )
}

/// An expression beyond what `--proto`, `--host` and `--port` say.
fn unsupported(expr: &str) -> Error {
    refuse(expr, &format!("is not one netlab can say; it knows {SUPPORTED}"))
}

#[cfg(test)]
mod tests {
    use super::super::words;
    use super::*;

    fn tshark(args: &[&str]) -> Result<String> {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        rewrite(&args, &Flags::of(Some("pcap"))).map(|v| v.join(" "))
    }

    fn filter(expr: &str) -> Result<String> {
        netlab_filter(expr).map(|v| v.join(" "))
    }

    #[test]
    fn reading_and_output_options() {
        assert_eq!(tshark(&["-r", "f.pcap", "-V", "-c", "5"]).unwrap(), "f.pcap -v -c 5");
        assert_eq!(tshark(&["-nnr", "f.pcap", "-T", "json"]).unwrap(), "f.pcap --json");
        assert_eq!(tshark(&["-n", "-T", "text", "-"]).unwrap(), "-");
        assert!(tshark(&["f", "-T", "pdml"]).unwrap_err().one_line().contains("-T json"));
        let e = tshark(&["f", "-x"]).unwrap_err().one_line();
        assert!(e.contains("unknown option '-x'") && e.contains("-r FILE"), "{e}");
        assert_eq!(words("a b"), ["a", "b"]);
    }

    #[test]
    fn display_filters_and_trailing_expressions() {
        assert_eq!(tshark(&["-r", "f", "-Y", "dns"]).unwrap(), "f --proto dns");
        assert_eq!(
            tshark(&["f", "host", "192.0.2.80", "and", "port", "53"]).unwrap(),
            "f --host 192.0.2.80 --port 53"
        );
        assert_eq!(
            tshark(&["-r", "f", "tcp port 443"]).unwrap(),
            "f --proto tcp --port 443"
        );
    }

    #[test]
    fn the_common_cases() {
        assert_eq!(filter("tcp.port == 443").unwrap(), "--proto tcp --port 443");
        assert_eq!(filter("udp.port==53").unwrap(), "--proto udp --port 53");
        assert_eq!(filter("ip.addr == 192.0.2.80").unwrap(), "--host 192.0.2.80");
        assert_eq!(filter("QUIC").unwrap(), "--proto quic");
        assert_eq!(filter("ip6").unwrap(), "--proto ipv6");
        assert_eq!(
            filter("dns && ip.addr eq 2001:db8::1").unwrap(),
            "--proto dns --host 2001:db8::1"
        );
        assert_eq!(filter("tcp and tcp.port == 443").unwrap(), "--proto tcp --port 443");
    }

    #[test]
    fn the_rest_is_refused_naming_what_is_supported() {
        for expr in [
            "tcp or udp",
            "not dns",
            "tcp.flags.syn == 1",
            "src host 1.2.3.4",
            "port",
            "",
        ] {
            let e = filter(expr).unwrap_err().one_line();
            assert!(e.contains("tcp.port == N") || e.contains("at a time"), "{expr}: {e}");
        }
        assert!(filter("dns and tcp")
            .unwrap_err()
            .one_line()
            .contains("one protocol at a time"));
        assert!(filter("host www.example.com")
            .unwrap_err()
            .one_line()
            .contains("not names"));
        assert!(filter("port 99999").unwrap_err().one_line().contains("not a port"));
    }
}
