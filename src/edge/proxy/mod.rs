//! `netlab edge`, the engine: an HTTP/1.1 reverse proxy on loopback in front of one loopback
//! origin, with the shared cache of [`crate::edge::cache`] between them.
//!
//! A reverse proxy (RFC 9110 §3.7, a "gateway") receives requests as if it were the origin and
//! forwards them: every method, target, field and body unchanged, except the hop-by-hop fields
//! it must remove and the `Via` it adds ([`hop`]). The client's `Host` goes to the origin as it
//! came. Each request is handled by [`handle`]; the origin is reached by [`origin`], one
//! connection per forwarded request.
//!
//! hyper 1's server sends no 1xx interim response but its own `100 Continue` (written when the
//! edge starts reading a body sent with `Expect: 100-continue`, which is also forwarded), so
//! the origin's other 1xx (102 Processing, 103 Early Hints) are written on the client's
//! connection beside hyper, before the final response ([`interim`]). `Upgrade` being
//! hop-by-hop, WebSocket and other upgrades are not passed on.
//!
//! Nothing here prints: events go to a sink ([`EdgeEvent`]), and the app layer writes them.

pub mod body;
pub mod challenge;
pub mod collapse;
pub mod event;
pub mod handle;
pub mod hop;
pub mod interim;
pub mod limit;
pub mod origin;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

pub use event::{EdgeEvent, Upstream, SCHEMA};

use crate::edge::cache::Cache;
use crate::error::{Error, Result};
use crate::net::Network;
use handle::Edge;

/// What `netlab edge` was asked to do.
#[derive(Debug, Clone)]
pub struct EdgeOptions {
    /// A loopback address to listen on.
    pub listen: SocketAddr,
    /// The origin's loopback address.
    pub origin: SocketAddr,
    /// The origin as given (`http://127.0.0.1:8000`), for messages.
    pub origin_url: String,
    /// The cache's capacity.
    pub max_bytes: usize,
    /// `--purge`: PURGE removes a URL's stored responses.
    pub purge: bool,
    /// `--limit N/WINDOW` per client address, and the algorithm deciding it.
    pub limit: Option<(
        crate::ratelimit::algorithms::Policy,
        crate::ratelimit::algorithms::Algorithm,
    )>,
    /// `--challenge`: a request without its address's cookie gets a 403 that sets it
    /// ([`challenge`]), before the limit is asked.
    pub challenge: bool,
    /// Whom `--limit` counts: the client named first in `Forwarded: for=` (RFC 7239 §5.2) when
    /// set, as a CDN's cache tier trusts its own TLS front; otherwise the connection's peer.
    /// Only the sandbox's CDN sets it: a client could write any `Forwarded` it liked.
    pub forwarded_client: bool,
}

/// How many request events may wait for the printer before requests wait for it.
const EVENT_QUEUE: usize = 1024;

/// A client that sends no complete request head within this time is disconnected.
const CLIENT_HEAD_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs the edge until `stop` completes, reporting to `sink` as things happen.
pub async fn run(
    options: &EdgeOptions,
    network: &Network,
    stop: impl Future<Output = ()>,
    mut sink: impl FnMut(EdgeEvent) -> Result<()>,
) -> Result<()> {
    let route = network.route(options.origin)?;
    let listen = options.listen;
    let listener = crate::net::socket::tcp_listener(listen)
        .await
        .map_err(|e| Error::io(listen.to_string(), e))?;
    let address = listener.local_addr().map_err(|e| Error::io(listen.to_string(), e))?;
    sink(EdgeEvent::Listening {
        schema: SCHEMA,
        address,
        origin: options.origin_url.clone(),
        max_bytes: options.max_bytes,
    })?;
    let edge = Arc::new(Edge {
        cache: Cache::new(options.max_bytes),
        flights: collapse::Flights::default(),
        route,
        origin: options.origin_url.clone(),
        authority: options.origin.to_string(),
        limit: options
            .limit
            .map(|(policy, algorithm)| limit::Limit::new(policy, algorithm)),
        purge: options.purge,
        forwarded_client: options.forwarded_client,
        challenge: options.challenge.then(challenge::Challenge::new),
    });
    let (tx, mut rx) = mpsc::channel(EVENT_QUEUE);
    let server = tokio::spawn(accept(listener, edge, tx));
    tokio::pin!(stop);
    let result = loop {
        tokio::select! {
            () = &mut stop => break Ok(()),
            event = rx.recv() => match event {
                Some(event) => {
                    if let Err(e) = sink(event) {
                        break Err(e);
                    }
                }
                None => break Ok(()),
            },
        }
    };
    server.abort();
    result
}

/// Accepts clients, each connection on a task of its own.
async fn accept(listener: TcpListener, edge: Arc<Edge>, events: mpsc::Sender<EdgeEvent>) {
    loop {
        let (stream, client) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(_) => {
                // Out of descriptors, or a connection reset before it was accepted: try again
                // shortly rather than spin.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let edge = edge.clone();
        let events = events.clone();
        tokio::spawn(async move {
            let relay = interim::Relay::default();
            let io = interim::InterimIo::new(stream, relay.clone());
            let service = service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
                // RFC 9110 §15.2: no 1xx to an HTTP/1.0 client.
                if request.version() == http::Version::HTTP_11 {
                    request.extensions_mut().insert(relay.clone());
                }
                let (edge, events, relay) = (edge.clone(), events.clone(), relay.clone());
                async move { serve(edge, client, request, events).await.map(|r| relay.track(r)) }
            });
            let _ = http1::Builder::new()
                .preserve_header_case(true)
                .timer(TokioTimer::new())
                .header_read_timeout(CLIENT_HEAD_TIMEOUT)
                .serve_connection(TokioIo::new(io), service)
                .await;
        });
    }
}

/// One request, answered and reported.
async fn serve(
    edge: Arc<Edge>,
    client: SocketAddr,
    request: hyper::Request<hyper::body::Incoming>,
    events: mpsc::Sender<EdgeEvent>,
) -> std::result::Result<hyper::Response<body::ProxyBody>, handle::Dropped> {
    let method = request.method().to_string();
    let target = request.uri().path_and_query().map_or("/", |p| p.as_str()).to_string();
    let counted = match edge.forwarded_client {
        true => forwarded_for(request.headers()).unwrap_or(client.ip()),
        false => client.ip(),
    };
    let challenged = edge.challenge.as_ref().filter(|c| {
        let cookies = request
            .headers()
            .get_all("cookie")
            .iter()
            .filter_map(|v| v.to_str().ok());
        !c.passes(counted, cookies)
    });
    let answered = match (challenged, edge.limit.as_ref().map(|l| (l, l.admit(counted)))) {
        (Some(challenge), _) => {
            let (head, bytes) = challenge.refusal(counted);
            Ok((
                handle::respond(head, body::whole(bytes), request.version(), None),
                event::Upstream::NotAsked,
            ))
        }
        (None, limited) => match limited {
            Some((limit, verdict)) if !verdict.admitted => {
                let (head, bytes) = limit.refusal(&verdict);
                Ok((
                    handle::respond(head, body::whole(bytes), request.version(), None),
                    event::Upstream::NotAsked,
                ))
            }
            Some((limit, verdict)) => {
                handle::handle(Arc::clone(&edge), request)
                    .await
                    .map(|(mut response, upstream)| {
                        handle::add_fields(&mut response, &limit.fields(&verdict));
                        (response, upstream)
                    })
            }
            None => handle::handle(Arc::clone(&edge), request).await,
        },
    };
    let (status, cache_status, origin) = match &answered {
        Ok((response, upstream)) => (
            Some(response.status().as_u16()),
            response
                .headers()
                .get("cache-status")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            *upstream,
        ),
        Err((_, upstream)) => (None, None, *upstream),
    };
    let _ = events
        .send(EdgeEvent::Request {
            schema: SCHEMA,
            client,
            method,
            target,
            status,
            cache_status,
            origin,
        })
        .await;
    answered.map(|(response, _)| response).map_err(|(dropped, _)| dropped)
}

/// The address in the first `for=` of the first `Forwarded` field (RFC 7239 §4: `for=192.0.2.60`,
/// `for="[2001:db8::1]:4711"`), if it is one (not `unknown` or an obfuscated name, §6).
fn forwarded_for(headers: &http::HeaderMap) -> Option<std::net::IpAddr> {
    let first = headers.get("forwarded")?.to_str().ok()?.split(',').next()?;
    let node = first.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("for")
            .then(|| value.trim().trim_matches('"'))
    })?;
    match node.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?.parse().ok(),
        None => node.split(':').next()?.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_names_the_client_rfc7239_4() {
        let with = |v: &str| {
            let mut h = http::HeaderMap::new();
            h.insert("forwarded", v.parse().unwrap());
            forwarded_for(&h)
        };
        assert_eq!(
            with("for=192.0.2.60;proto=http;by=203.0.113.43"),
            Some("192.0.2.60".parse().unwrap())
        );
        assert_eq!(
            with("For=\"[2001:db8:cafe::17]:4711\""),
            Some("2001:db8:cafe::17".parse().unwrap())
        );
        assert_eq!(
            with("for=192.0.2.43, for=198.51.100.17"),
            Some("192.0.2.43".parse().unwrap())
        );
        assert_eq!(with("for=unknown"), None);
        assert_eq!(with("proto=https"), None);
    }
}
