//! curl's `-v` header lines, from the HEADERS frames a trace decoded: pure, a trace in, text out.
//!
//! HTTP/2 and HTTP/3 carry a request's method, path and authority as pseudo-header fields
//! (`:method`, `:path`, `:authority`, RFC 9113 §8.3.1, RFC 9114 §4.3.1) and a response's status
//! as `:status` (RFC 9113 §8.3.2); curl shows them as an HTTP/1.1-style request line and `host`,
//! and a status line, each line marked `>` (sent) or `<` (received):
//!
//! ```text
//! > GET / HTTP/2
//! > host: www.example.com
//! > user-agent: netlab/0.1.0
//! >
//! < HTTP/2 200
//! < content-type: text/html
//! <
//! ```
//!
//! A HEADERS frame after the response's (trailers, RFC 9113 §8.1) has no pseudo-fields and
//! shows as its fields alone.

use super::events::HttpEvent;
use super::frames::FrameSeen;
use crate::tls::tap::Direction;
use crate::trace::{EventKind, Trace};

/// The header lines of every fetch in `trace`, in its order (each protocol's frames come
/// before its summary, which names the protocol).
pub fn header_lines(trace: &Trace) -> String {
    let mut out = String::new();
    let mut pending: Vec<&FrameSeen> = Vec::new();
    for e in &trace.events {
        match &e.kind {
            EventKind::Http(HttpEvent::Frame(f)) if f.frame_type == "HEADERS" && !f.fields.is_empty() => {
                pending.push(f)
            }
            EventKind::Http(HttpEvent::Summary(s)) => {
                let version = match s.protocol.as_str() {
                    "h3" => "HTTP/3",
                    _ => "HTTP/2",
                };
                for f in pending.drain(..) {
                    out.push_str(&block(f, version));
                }
            }
            _ => {}
        }
    }
    out
}

/// One HEADERS frame's lines, ending with the empty marker line curl prints.
fn block(f: &FrameSeen, version: &str) -> String {
    let mark = match f.direction {
        Direction::ClientToServer => '>',
        Direction::ServerToClient => '<',
    };
    let field = |name: &str| f.fields.iter().find(|x| x.name == name).map(|x| x.value.as_str());
    let mut lines = Vec::new();
    match (mark, field(":method"), field(":status")) {
        ('>', Some(method), _) => {
            lines.push(format!("{method} {} {version}", field(":path").unwrap_or("/")));
            lines.extend(field(":authority").map(|a| format!("host: {a}")));
        }
        ('<', _, Some(status)) => lines.push(format!("{version} {status}")),
        _ => {}
    }
    lines.extend(
        f.fields
            .iter()
            .filter(|x| !x.name.starts_with(':'))
            .map(|x| format!("{}: {}", x.name, x.value)),
    );
    lines.push(String::new());
    lines
        .iter()
        .map(|l| {
            if l.is_empty() {
                format!("{mark}\n")
            } else {
                format!("{mark} {l}\n")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::hpack::{Field, Source};
    use crate::trace::{Outcome, TraceBuilder};

    fn field(name: &str, value: &str) -> Field {
        Field {
            name: name.into(),
            value: value.into(),
            representation: "indexed".into(),
            source: Source::Static,
            index: None,
            encoded_len: 1,
            plain_len: name.len() + value.len() + 2,
            huffman: false,
        }
    }

    fn headers(direction: Direction, fields: &[(&str, &str)]) -> HttpEvent {
        HttpEvent::Frame(FrameSeen {
            direction,
            time_us: 0,
            frame_type: "HEADERS".into(),
            flags: vec![],
            stream: 1,
            length: 10,
            details: vec![],
            fields: fields.iter().map(|(n, v)| field(n, v)).collect(),
        })
    }

    fn summary(protocol: &str) -> HttpEvent {
        let o = crate::http::client::FetchOptions {
            url: "https://www.example.com/".into(),
            host: "www.example.com".into(),
            path: "/".into(),
            authority: "www.example.com".into(),
            address: std::net::SocketAddr::from(([192, 0, 2, 80], 443)),
            method: http::Method::GET,
            pacing: None,
            headers: vec![],
            requests: 1,
            concurrency: 1,
            insecure: false,
            timeout: std::time::Duration::from_secs(1),
            max_time: std::time::Duration::from_secs(1),
            keep_body: false,
            resume: false,
            qlog: None,
            dns_us: 0,
            cc: None,
            keylog: None,
        };
        HttpEvent::Summary(Box::new(crate::http::client::new_summary(protocol, &o, 1)))
    }

    fn trace(protocol: &str) -> Trace {
        let mut t = TraceBuilder::new("http", "http");
        let request = [
            (":method", "GET"),
            (":scheme", "https"),
            (":authority", "www.example.com"),
            (":path", "/a?b"),
            ("accept", "*/*"),
        ];
        t.push(headers(Direction::ClientToServer, &request), vec![]);
        let response = [(":status", "200"), ("content-type", "text/plain")];
        t.push(headers(Direction::ServerToClient, &response), vec![]);
        t.push(headers(Direction::ServerToClient, &[("grpc-status", "0")]), vec![]);
        t.push(summary(protocol), vec![]);
        t.finish(Outcome::Ok)
    }

    #[test]
    fn requests_and_responses_as_curl_prints_them() {
        assert_eq!(
            header_lines(&trace("h2")),
            "> GET /a?b HTTP/2\n> host: www.example.com\n> accept: */*\n>\n\
             < HTTP/2 200\n< content-type: text/plain\n<\n\
             < grpc-status: 0\n<\n"
        );
        assert!(header_lines(&trace("h3")).starts_with("> GET /a?b HTTP/3\n"));
        assert!(header_lines(&trace("h3")).contains("< HTTP/3 200\n"));
    }

    #[test]
    fn frames_without_a_summary_after_them_are_not_shown() {
        let mut t = TraceBuilder::new("http", "http");
        t.push(headers(Direction::ClientToServer, &[(":method", "GET")]), vec![]);
        assert_eq!(header_lines(&t.finish(Outcome::Ok)), "");
    }
}
