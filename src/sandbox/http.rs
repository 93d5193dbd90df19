//! The sandbox's web content, served over HTTP/1.1 and HTTP/2 (on the TLS hosts, chosen by ALPN)
//! and HTTP/3 (over QUIC on the same port number, UDP). One set of routes for all three:
//!
//! - `/` a small page; `/bytes/N` N octets; `/delay/MS` answers after MS milliseconds;
//! - `/headers` echoes the request's header fields; `/objects/K` a small object (for many
//!   requests on one connection).
//!
//! Every answer carries `alt-svc: h3=":443"` (RFC 7838): the way a client that came over TCP
//! learns that the same origin also speaks HTTP/3.
//!
//! Several responses in flight on one connection share it by the host's [`Schedule`]: which one
//! decides what a lost packet holds up (each stream's last byte arrives at the end of the
//! exchange when they are interleaved, one after another when they are sent in turn).

use std::time::Duration;

use bytes::Bytes;

/// The largest `/bytes/N` (1 GiB) and `/delay/MS` (10 s) served.
pub const MAX_BYTES: u64 = 1 << 30;
pub const MAX_DELAY_MS: u64 = 10_000;
/// Bodies are sent in pieces of this size.
pub const CHUNK: usize = 64 * 1024;
/// Alt-Svc: HTTP/3 on UDP port 443 of the same host, remembered for an hour.
pub const ALT_SVC: &str = "h3=\":443\"; ma=3600";

/// How a host's HTTP/2 and HTTP/3 servers share one connection between the responses in
/// flight. Neither protocol prescribes one (RFC 9113 §5.3 and RFC 9218 let the client hint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Every response with data to send takes its turn: the h2 crate sends one DATA frame per
    /// stream in turn from its send queue, quinn's fair queueing one STREAM frame per packet in
    /// turn (`TransportConfig::send_fairness`). All responses progress together and finish near
    /// the same time. Most hosts.
    RoundRobin,
    /// One response after another, in the order the requests arrived: a response starts when
    /// the one before has been handed over whole (HTTP/2 with a one-frame send buffer per
    /// stream, HTTP/3 with quinn's fair queueing off, which sends streams in the order they were
    /// written). Early requests finish early. sequential.example.com.
    Sequential,
}

/// The turns of the responses on one connection under a [`Schedule`]: with `Sequential`, each
/// [`Turn`] waits for the one taken before it to end.
pub struct Turns {
    schedule: Schedule,
    previous: Option<tokio::sync::oneshot::Receiver<()>>,
}

/// One response's turn: wait for it, send, then drop it (which lets the next one go).
pub struct Turn {
    wait: Option<tokio::sync::oneshot::Receiver<()>>,
    _done: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Turns {
    pub fn new(schedule: Schedule) -> Turns {
        Turns {
            schedule,
            previous: None,
        }
    }

    /// The turn of the next request to arrive.
    pub fn take(&mut self) -> Turn {
        if self.schedule == Schedule::RoundRobin {
            return Turn {
                wait: None,
                _done: None,
            };
        }
        let (done, next) = tokio::sync::oneshot::channel();
        Turn {
            wait: self.previous.replace(next),
            _done: Some(done),
        }
    }
}

impl Turn {
    /// Waits until the response before this one has been sent (or given up).
    pub async fn wait(&mut self) {
        if let Some(previous) = self.wait.take() {
            // An error means the previous response ended without signalling: its turn is over.
            let _ = previous.await;
        }
    }
}

/// What a route answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub content_type: &'static str,
    /// Wait this long before answering (`/delay/MS`).
    pub delay: Duration,
    pub body: Body,
}

/// A body: given, or N generated octets (so that 100 MiB need not sit in memory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Text(String),
    Generated(u64),
}

impl Body {
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn len(&self) -> u64 {
        match self {
            Body::Text(t) => t.len() as u64,
            Body::Generated(n) => *n,
        }
    }

    /// The body in pieces of at most [`CHUNK`] octets.
    pub fn chunks(&self) -> impl Iterator<Item = Bytes> + Send + 'static {
        let (text, total) = match self {
            Body::Text(t) => (Some(Bytes::from(t.clone())), t.len() as u64),
            Body::Generated(n) => (None, *n),
        };
        let filler = Bytes::from(vec![b'x'; CHUNK]);
        (0..total.div_ceil(CHUNK as u64)).map(move |i| {
            let start = i * CHUNK as u64;
            let len = (total - start).min(CHUNK as u64) as usize;
            match &text {
                Some(t) => t.slice(start as usize..start as usize + len),
                None => filler.slice(..len),
            }
        })
    }
}

/// Answers one request. `protocol` names the HTTP version it came over ("HTTP/2", ...).
pub fn answer(method: &str, path: &str, headers: &[(String, String)], protocol: &str) -> Answer {
    let text = |status, body: String| Answer {
        status,
        content_type: "text/plain; charset=utf-8",
        delay: Duration::ZERO,
        body: Body::Text(body),
    };
    if method != "GET" && method != "HEAD" {
        return text(405, format!("{method} is not served here: use GET or HEAD\n"));
    }
    let path = path.split('?').next().unwrap_or("/");
    let number = |prefix: &str| path.strip_prefix(prefix).and_then(|n| n.parse::<u64>().ok());
    match path {
        "/" => Answer {
            content_type: "text/html; charset=utf-8",
            ..text(200, page(protocol))
        },
        "/headers" => text(200, headers.iter().map(|(n, v)| format!("{n}: {v}\n")).collect()),
        _ if path.starts_with("/bytes/") => match number("/bytes/") {
            Some(n) if n <= MAX_BYTES => Answer {
                content_type: "application/octet-stream",
                ..text(200, String::new())
            }
            .with_body(Body::Generated(n)),
            _ => text(400, format!("/bytes/N takes N from 0 to {MAX_BYTES}\n")),
        },
        _ if path.starts_with("/delay/") => match number("/delay/") {
            Some(ms) if ms <= MAX_DELAY_MS => Answer {
                delay: Duration::from_millis(ms),
                ..text(200, format!("answered after {ms} ms\n"))
            },
            _ => text(400, format!("/delay/MS takes MS from 0 to {MAX_DELAY_MS}\n")),
        },
        _ if path.starts_with("/objects/") => match number("/objects/") {
            Some(k) => text(200, format!("object {k}: {}\n", "o".repeat(200))),
            None => text(400, "/objects/K takes a number\n".to_string()),
        },
        _ => text(
            404,
            format!("nothing at {path}: try /, /bytes/N, /delay/MS, /headers or /objects/K\n"),
        ),
    }
}

impl Answer {
    fn with_body(self, body: Body) -> Answer {
        Answer { body, ..self }
    }
}

fn page(protocol: &str) -> String {
    format!(
        "<!doctype html>\n<title>netlab sandbox</title>\n<p>hello from netlab! This page came over {protocol}.\n<p>Try /bytes/N, /delay/MS, /headers and /objects/K.\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let a = answer("GET", "/bytes/200000", &[], "HTTP/2");
        assert_eq!((a.status, a.body.len()), (200, 200_000));
        let sizes: Vec<usize> = a.body.chunks().map(|c| c.len()).collect();
        assert_eq!(sizes, [CHUNK, CHUNK, CHUNK, 200_000 - 3 * CHUNK]);
        assert_eq!(answer("GET", "/bytes/0", &[], "h").body.chunks().count(), 0);
        assert_eq!(
            answer("GET", &format!("/bytes/{}", MAX_BYTES + 1), &[], "h").status,
            400
        );
        assert_eq!(answer("GET", "/delay/250", &[], "h").delay, Duration::from_millis(250));
        assert_eq!(answer("GET", "/delay/99999999", &[], "h").status, 400);
        assert_eq!(answer("POST", "/", &[], "h").status, 405);
        assert_eq!(answer("GET", "/nope", &[], "h").status, 404);
        let echo = answer("GET", "/headers", &[("user-agent".into(), "t".into())], "h");
        assert_eq!(echo.body, Body::Text("user-agent: t\n".into()));
        let text: Vec<u8> = answer("GET", "/", &[], "HTTP/3").body.chunks().flatten().collect();
        assert!(String::from_utf8(text).unwrap().contains("came over HTTP/3"));
    }
}
