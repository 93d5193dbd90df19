//! What a TLS host serves, whichever HTTP version a request came over: the sandbox's usual
//! content ([`super::http::answer`]), origin.example.com's caching rules ([`super::origin`]), or,
//! for requests to cdn.example.net, whatever the CDN's edge answers ([`super::cdn`]).
//!
//! HTTP/1.1, HTTP/2 and HTTP/3 servers turn a request into an [`Asked`], get a [`Reply`] from
//! [`reply`], and send it their own way.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::BodyExt;

use super::cdn::{self, Cdn};
use super::http::{answer, Body, ALT_SVC};
use super::origin::Origin;
use crate::edge::cache::date;

/// What a host serves.
#[derive(Clone)]
pub enum Site {
    /// The usual content.
    Web,
    /// origin.example.com's rules.
    Origin(Arc<Origin>),
    /// The usual content, except for requests to cdn.example.net, which the CDN answers.
    WebAndCdn(Arc<Cdn>),
}

/// A request as a host received it.
pub struct Asked<'a> {
    pub method: &'a str,
    /// Path and query.
    pub target: &'a str,
    /// `:authority` (HTTP/2, HTTP/3) or `Host` (HTTP/1.1), without a port.
    pub authority: Option<&'a str>,
    /// The request's fields, names in lower case.
    pub headers: &'a [(String, String)],
    /// The client's address.
    pub client: IpAddr,
    /// The HTTP version it came over ("HTTP/2", ...).
    pub protocol: &'static str,
}

impl<'a> Asked<'a> {
    /// What an HTTP/2 or HTTP/3 request asks: method, `:path`, `:authority` (its host).
    pub fn of<B>(
        request: &'a http::Request<B>,
        headers: &'a [(String, String)],
        client: IpAddr,
        protocol: &'static str,
    ) -> Self {
        Asked {
            method: request.method().as_str(),
            target: request.uri().path_and_query().map_or("/", |p| p.as_str()),
            authority: request.uri().authority().map(|a| a.host()),
            headers,
            client,
            protocol,
        }
    }
}

/// A response, ready to send: status, fields (without the server's own `server` or
/// `connection`, which each version adds as it must), when, and the body.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub delay: Duration,
    pub body: ReplyBody,
}

/// A body: pieces made here (with their total length), or a stream from the CDN's edge.
pub enum ReplyBody {
    Chunks {
        len: u64,
        pieces: std::iter::Peekable<Box<dyn Iterator<Item = Bytes> + Send>>,
    },
    Stream(hyper::body::Incoming),
}

/// The edge broke off a body midway: the client's stream is reset rather than ended as if whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokenOff;

impl ReplyBody {
    fn of(body: &Body) -> ReplyBody {
        let pieces: Box<dyn Iterator<Item = Bytes> + Send> = Box::new(body.chunks());
        ReplyBody::Chunks {
            len: body.len(),
            pieces: pieces.peekable(),
        }
    }

    /// Whether there is no body at all (known before sending the head).
    pub fn is_empty(&self) -> bool {
        match self {
            ReplyBody::Chunks { len, .. } => *len == 0,
            ReplyBody::Stream(s) => http_body::Body::is_end_stream(s),
        }
    }

    /// The next piece and whether it is known to be the last; `None` at the end.
    pub async fn next(&mut self) -> Option<Result<(Bytes, bool), BrokenOff>> {
        match self {
            ReplyBody::Chunks { pieces, .. } => {
                let piece = pieces.next()?;
                Some(Ok((piece, pieces.peek().is_none())))
            }
            ReplyBody::Stream(s) => loop {
                match s.frame().await? {
                    Err(_) => return Some(Err(BrokenOff)),
                    Ok(frame) => {
                        if let Ok(data) = frame.into_data() {
                            return Some(Ok((data, http_body::Body::is_end_stream(s))));
                        }
                    }
                }
            },
        }
    }
}

/// What `site` answers to `asked`.
pub async fn reply(site: &Site, asked: &Asked<'_>) -> Reply {
    match site {
        Site::WebAndCdn(cdn) if asked.authority.is_some_and(|a| a.eq_ignore_ascii_case(cdn::NAME)) => {
            from_cdn(cdn, asked).await
        }
        Site::Web | Site::WebAndCdn(_) => {
            let a = answer(asked.method, asked.target, asked.headers, asked.protocol);
            Reply {
                status: a.status,
                headers: vec![
                    ("content-type".into(), a.content_type.into()),
                    ("content-length".into(), a.body.len().to_string()),
                    ("alt-svc".into(), ALT_SVC.into()),
                ],
                delay: a.delay,
                body: ReplyBody::of(&a.body),
            }
        }
        Site::Origin(origin) => {
            let a = origin.answer(asked.method, asked.target, asked.headers, date::secs(SystemTime::now()));
            let mut headers: Vec<(String, String)> = a
                .headers
                .into_iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), v))
                .collect();
            let body = if a.status == 304 {
                Body::Text(String::new())
            } else {
                a.body
            };
            if a.status != 304 {
                headers.push(("content-length".into(), body.len().to_string()));
            }
            headers.push(("alt-svc".into(), ALT_SVC.into()));
            Reply {
                status: a.status,
                headers,
                delay: a.delay,
                body: ReplyBody::of(&body),
            }
        }
    }
}

/// The CDN's answer, its connection fields dropped; a `502` when the edge could not be reached.
async fn from_cdn(cdn: &Cdn, asked: &Asked<'_>) -> Reply {
    match cdn
        .forward(asked.method, asked.target, asked.headers, asked.client)
        .await
    {
        Ok(response) => {
            let (parts, body) = response.into_parts();
            let mut headers: Vec<(String, String)> = parts
                .headers
                .iter()
                .filter(|(n, _)| !cdn::is_hop_by_hop(n.as_str()))
                .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect();
            if !headers.iter().any(|(n, _)| n == "alt-svc") {
                headers.push(("alt-svc".into(), ALT_SVC.into()));
            }
            Reply {
                status: parts.status.as_u16(),
                headers,
                delay: Duration::ZERO,
                body: ReplyBody::Stream(body),
            }
        }
        Err(e) => {
            let text = Body::Text(format!("the CDN's edge did not answer: {e}\n"));
            Reply {
                status: 502,
                headers: vec![
                    ("content-type".into(), "text/plain; charset=utf-8".into()),
                    ("content-length".into(), text.len().to_string()),
                ],
                delay: Duration::ZERO,
                body: ReplyBody::of(&text),
            }
        }
    }
}

/// An authority without its port (`cdn.example.net:443` → `cdn.example.net`).
pub fn host_of(authority: &str) -> &str {
    match authority.rsplit_once(':') {
        Some((host, port))
            if !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && (!host.contains(':') || host.ends_with(']')) =>
        {
            host
        }
        _ => authority,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorities_lose_their_port() {
        assert_eq!(host_of("cdn.example.net:443"), "cdn.example.net");
        assert_eq!(host_of("cdn.example.net"), "cdn.example.net");
        assert_eq!(host_of("[2001:db8::80]:443"), "[2001:db8::80]");
        assert_eq!(host_of("2001:db8::80"), "2001:db8::80");
    }
}
