//! What `netlab edge` reports: that it listens, then one event per request, as it is answered.

use std::net::SocketAddr;

use serde::Serialize;

/// The schema of every `netlab edge --json` line.
pub const SCHEMA: &str = "netlab.edge/1";

/// One thing the edge reports, tagged `"type": "edge.<name>"`; in JSON one line each.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum EdgeEvent {
    /// The edge listens on `address` in front of `origin`, with a cache of `max_bytes`.
    #[serde(rename = "edge.listening")]
    Listening {
        schema: &'static str,
        address: SocketAddr,
        origin: String,
        max_bytes: usize,
    },
    /// A request was answered (or its connection closed, `status` null).
    #[serde(rename = "edge.request")]
    Request {
        schema: &'static str,
        client: SocketAddr,
        method: String,
        target: String,
        status: Option<u16>,
        /// The `Cache-Status` the edge sent (RFC 9211), if the cache set one.
        cache_status: Option<String>,
        origin: Upstream,
    },
}

/// What the origin had to do with a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Upstream {
    /// Answered from the cache alone (or refused by it: 504 for only-if-cached).
    NotAsked,
    /// Waited for another request's origin fetch of the same URL, then answered from the cache.
    Collapsed,
    /// The origin answered; the cache saw the whole response.
    Answered,
    /// The origin answered with a body over the buffering cap: streamed through, not stored.
    Streamed,
    /// No connection to the origin could be made.
    Refused,
    /// The origin sent no response head in time.
    TimedOut,
    /// The origin closed the connection before its response was whole.
    Dropped,
}

impl Upstream {
    fn words(self) -> &'static str {
        match self {
            Upstream::NotAsked => "origin not asked",
            Upstream::Collapsed => "waited for the same URL's fetch",
            Upstream::Answered => "from the origin",
            Upstream::Streamed => "from the origin, streamed (too big to store)",
            Upstream::Refused => "origin refused the connection",
            Upstream::TimedOut => "origin timed out",
            Upstream::Dropped => "origin dropped the connection",
        }
    }
}

/// The cache's verdict in a `Cache-Status` value (RFC 9211 §2): the last member is the cache
/// nearest the client, ours; its parameters say what it did (`hit`, `fwd=uri-miss`, `stored`,
/// `ttl=...`).
fn verdict(cache_status: &str) -> &str {
    let member = cache_status.rsplit(',').next().unwrap_or_default();
    member.split_once(';').map_or("", |(_, params)| params).trim()
}

impl EdgeEvent {
    /// The event for a person, one line.
    pub fn text(&self) -> String {
        match self {
            EdgeEvent::Listening {
                address,
                origin,
                max_bytes,
                ..
            } => format!(
                "netlab edge: listening on {address}, in front of {origin} (cache up to {max_bytes} bytes, starting empty)\n  curl -v http://{address}/\n"
            ),
            EdgeEvent::Request {
                method,
                target,
                status,
                cache_status,
                origin,
                ..
            } => {
                let status = status.map_or_else(|| "closed".to_string(), |s| s.to_string());
                let cache = cache_status.as_deref().map(verdict).filter(|v| !v.is_empty()).unwrap_or("-");
                format!("{method} {target} {status}  cache: {cache}  ({})\n", origin.words())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_is_our_members_parameters() {
        assert_eq!(verdict("netlab; hit; ttl=30"), "hit; ttl=30");
        assert_eq!(
            verdict("OriginCache; hit, netlab; fwd=uri-miss; stored"),
            "fwd=uri-miss; stored"
        );
        assert_eq!(verdict("netlab"), "");
    }

    #[test]
    fn a_request_line() {
        let e = EdgeEvent::Request {
            schema: SCHEMA,
            client: "127.0.0.1:5000".parse().unwrap(),
            method: "GET".into(),
            target: "/a?b=1".into(),
            status: None,
            cache_status: None,
            origin: Upstream::Dropped,
        };
        assert_eq!(
            e.text(),
            "GET /a?b=1 closed  cache: -  (origin dropped the connection)\n"
        );
    }
}
