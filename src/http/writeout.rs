//! curl's `-w`/`--write-out` format, filled from netlab's phases: pure, a format and a fetch's
//! summary in, one string out.
//!
//! curl's timers are cumulative: each is the time in seconds from the start of the transfer to
//! the end of a step, printed with six decimals (`0.012345`), and a step that was never reached
//! prints as zero. netlab's phases are already measured from the start of the fetch (the name
//! lookup included), so each variable is the end of one phase:
//!
//! | variable             | HTTP/2 (TCP + TLS)            | HTTP/3 (QUIC)                                   |
//! |----------------------|-------------------------------|-------------------------------------------------|
//! | `time_namelookup`    | end of `dns`                  | end of `dns`                                    |
//! | `time_connect`       | end of `tcp_connect` (SYN-ACK)| end of `quic_handshake_keys` (the server's first flight: the path answered) |
//! | `time_appconnect`    | end of `tls_handshake`        | end of `quic_connected` (QUIC's and TLS's handshake done, RFC 9001 §4.1.1) |
//! | `time_starttransfer` | end of `first_byte` (the first response head) | the same                        |
//! | `time_total`         | the last response's end       | the same                                        |
//!
//! With 0-RTT (`--resume` over HTTP/3) the request leaves before the handshake, so
//! `time_connect` and `time_appconnect` are when the connection began (RFC 9001 §4.6.1).
//! `size_download` counts body octets (after HTTP/2 or HTTP/3 framing), `speed_download` is
//! `size_download / time_total` in octets per second, as curl computes it.

use std::fmt::Write as _;

use super::events::{HttpEvent, HttpSummary, ResponseSeen};
use crate::trace::{EventKind, Trace};

/// The variables netlab fills, in the order its error message lists them.
pub const VARIABLES: &[&str] = &[
    "time_namelookup",
    "time_connect",
    "time_appconnect",
    "time_starttransfer",
    "time_total",
    "http_version",
    "size_download",
    "speed_download",
    "http_code",
    "response_code",
    "num_connects",
    "url_effective",
];

/// Longest format accepted: a format is typed by hand, and this bounds the work per fetch.
const MAX_FORMAT: usize = 4096;

/// A parsed `-w` format: literal text and variables, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format(Vec<Piece>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    /// An index into [`VARIABLES`].
    Var(usize),
}

impl Format {
    /// Parses curl's `-w` syntax: `%{name}` variables, `%%` for a percent sign, and the escapes
    /// `\n`, `\r`, `\t` and `\\`. Any other `%` or `\` is literal, as in curl. An unknown
    /// variable is an error naming it and listing the known ones.
    pub fn parse(format: &str) -> Result<Format, String> {
        if format.len() > MAX_FORMAT {
            return Err(format!("is longer than {MAX_FORMAT} characters"));
        }
        if format.starts_with('@') {
            return Err("reads the format from a file in curl; netlab takes it on the command line".into());
        }
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut rest = format;
        while let Some(c) = rest.chars().next() {
            let two = rest.get(..2).unwrap_or(rest);
            let escaped = match two {
                "%%" => Some('%'),
                "\\n" => Some('\n'),
                "\\r" => Some('\r'),
                "\\t" => Some('\t'),
                "\\\\" => Some('\\'),
                _ => None,
            };
            if let Some(e) = escaped {
                text.push(e);
                rest = &rest[2..];
                continue;
            }
            if let Some(after) = rest.strip_prefix("%{") {
                let Some(end) = after.find('}') else {
                    return Err(format!("has '%{{' without its '}}' in '{rest}'"));
                };
                let name = &after[..end];
                let index = VARIABLES.iter().position(|v| *v == name).ok_or_else(|| {
                    format!(
                        "'%{{{name}}}' is not a variable netlab knows ({})",
                        VARIABLES.join(", ")
                    )
                })?;
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Var(index));
                rest = &after[end + 1..];
                continue;
            }
            text.push(c);
            rest = &rest[c.len_utf8()..];
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(Format(pieces))
    }

    /// The format filled from one fetch: its summary and the responses of its connection.
    pub fn render(&self, summary: &HttpSummary, responses: &[ResponseSeen]) -> String {
        let mut out = String::new();
        for piece in &self.0 {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Var(i) => out.push_str(&value(VARIABLES[*i], summary, responses)),
            }
        }
        out
    }

    /// The format filled once per fetch in the trace (one per protocol with `--compare`, one
    /// per connection with `--resume`), in the trace's order, as curl writes it once per
    /// transfer.
    pub fn render_trace(&self, trace: &Trace) -> String {
        let mut out = String::new();
        let mut responses = Vec::new();
        for e in &trace.events {
            match &e.kind {
                EventKind::Http(HttpEvent::Response(r)) => responses.push(r.clone()),
                EventKind::Http(HttpEvent::Summary(s)) => {
                    out.push_str(&self.render(s, &responses));
                    responses.clear();
                }
                _ => {}
            }
        }
        out
    }
}

/// One variable's value, as curl prints it.
fn value(name: &str, s: &HttpSummary, responses: &[ResponseSeen]) -> String {
    let end = |names: &[&str]| {
        s.phases
            .iter()
            .filter(|p| names.contains(&p.name.as_str()))
            .map(|p| p.end_us)
            .max()
    };
    let zero_rtt = end(&["quic_0rtt"]);
    let us = match name {
        "time_namelookup" => end(&["dns"]),
        "time_connect" => end(&["tcp_connect", "quic_handshake_keys"]).or(zero_rtt),
        "time_appconnect" => end(&["tls_handshake", "quic_connected"]).or(zero_rtt),
        "time_starttransfer" => responses.iter().map(|r| r.first_byte_us).min(),
        "time_total" => Some(s.total_us),
        _ => None,
    };
    if name.starts_with("time_") {
        return seconds(us.unwrap_or(0));
    }
    match name {
        "http_version" => match s.protocol.as_str() {
            "h2" => "2".into(),
            "h3" => "3".into(),
            other => other.into(),
        },
        "size_download" => s.body_bytes.to_string(),
        "speed_download" => match s.total_us {
            0 => "0".into(),
            t => (u128::from(s.body_bytes) * 1_000_000 / u128::from(t)).to_string(),
        },
        // curl prints 000 when no response came.
        "http_code" | "response_code" => responses
            .iter()
            .map(|r| format!("{:03}", r.status))
            .next()
            .unwrap_or_else(|| "000".into()),
        "num_connects" => {
            let connected = end(&["tcp_connect", "quic_handshake_keys", "quic_0rtt"]).is_some();
            u8::from(connected).to_string()
        }
        "url_effective" => s.url.clone(),
        _ => String::new(),
    }
}

/// Microseconds as curl's seconds with six decimals.
fn seconds(us: u64) -> String {
    let mut s = String::new();
    let _ = write!(s, "{}.{:06}", us / 1_000_000, us % 1_000_000);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::client::phase;

    fn summary(protocol: &str, phases: &[(&str, u64, u64)], total_us: u64, body: u64) -> HttpSummary {
        HttpSummary {
            protocol: protocol.into(),
            connection: 1,
            resumed: false,
            zero_rtt: None,
            url: "https://www.example.com/".into(),
            address: "192.0.2.80:443".into(),
            via: None,
            tls_version: Some("TLS 1.3".into()),
            phases: phases.iter().map(|(n, a, b)| phase(n, *a, *b, None)).collect(),
            total_us,
            requests: 1,
            responses: 1,
            body_bytes: body,
            request_headers: None,
            download_bytes_per_s: None,
            alt_svc: None,
            https_record: None,
            frames_note: None,
            insecure: false,
            unverified_because: None,
            error: None,
            failure: None,
        }
    }

    fn response(status: u16, first_byte_us: u64) -> ResponseSeen {
        ResponseSeen {
            protocol: "h2".into(),
            stream: 1,
            status,
            headers: vec![],
            body_bytes: 0,
            sent_us: 0,
            first_byte_us,
            done_us: first_byte_us,
            ..Default::default()
        }
    }

    fn h2() -> HttpSummary {
        summary(
            "h2",
            &[
                ("dns", 0, 1_200),
                ("tcp_connect", 1_200, 2_500),
                ("tls_handshake", 2_500, 9_000),
                ("request_sent", 9_000, 9_100),
                ("first_byte", 9_100, 12_000),
                ("download", 12_000, 20_000),
            ],
            2_000_000,
            1_000,
        )
    }

    #[test]
    fn h2_times_are_the_ends_of_its_phases_in_seconds() {
        let f =
            Format::parse("%{time_namelookup} %{time_connect} %{time_appconnect} %{time_starttransfer} %{time_total}")
                .unwrap();
        assert_eq!(
            f.render(&h2(), &[response(200, 12_000)]),
            "0.001200 0.002500 0.009000 0.012000 2.000000"
        );
    }

    #[test]
    fn h3_connect_is_the_servers_first_flight_and_appconnect_the_handshakes_end() {
        let s = summary(
            "h3",
            &[
                ("dns", 0, 10),
                ("quic_handshake_keys", 10, 700),
                ("quic_connected", 700, 900),
            ],
            5_000,
            0,
        );
        let f = Format::parse("%{time_connect} %{time_appconnect} %{http_version}").unwrap();
        assert_eq!(f.render(&s, &[]), "0.000700 0.000900 3");
        let zero_rtt = summary("h3", &[("dns", 0, 10), ("quic_0rtt", 30, 30)], 5_000, 0);
        assert_eq!(f.render(&zero_rtt, &[]), "0.000030 0.000030 3");
    }

    #[test]
    fn counts_codes_and_speed() {
        let f = Format::parse("%{http_code} %{response_code} %{size_download} %{speed_download} %{num_connects} %{http_version} %{url_effective}").unwrap();
        assert_eq!(
            f.render(&h2(), &[response(404, 12_000)]),
            "404 404 1000 500 1 2 https://www.example.com/"
        );
        // Nothing reached: curl's zeros.
        let failed = summary("h2", &[("dns", 0, 5)], 9, 0);
        assert_eq!(f.render(&failed, &[]), "000 000 0 0 0 2 https://www.example.com/");
        let t = Format::parse("%{time_appconnect}").unwrap();
        assert_eq!(t.render(&failed, &[]), "0.000000");
    }

    #[test]
    fn escapes_and_literals() {
        let f = Format::parse("code=%{http_code}\\n100%% \\t% \\x").unwrap();
        assert_eq!(f.render(&h2(), &[response(200, 1)]), "code=200\n100% \t% \\x");
        assert_eq!(Format::parse("").unwrap().render(&h2(), &[]), "");
        assert_eq!(Format::parse("é%{http_version}").unwrap().render(&h2(), &[]), "é2");
    }

    #[test]
    fn unknown_variables_and_unclosed_braces_are_errors_naming_the_known_ones() {
        let e = Format::parse("%{time_redirect}").unwrap_err();
        assert!(
            e.contains("'%{time_redirect}'") && e.contains("time_namelookup, time_connect"),
            "{e}"
        );
        assert!(Format::parse("%{time_total").unwrap_err().contains("without its '}'"));
        assert!(Format::parse("@format.txt").is_err());
        assert!(Format::parse(&"x".repeat(MAX_FORMAT + 1)).is_err());
    }
}
