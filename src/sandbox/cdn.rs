//! cdn.example.net: the sandbox's CDN edge, in front of origin.example.com.
//!
//! A CDN node terminates the client's TLS (HTTP/2 or HTTP/3, on the sandbox's first TLS host),
//! then hands the request to its cache tier, which answers from storage or asks the origin. Here
//! the cache tier is netlab's own edge (`netlab edge`, [`crate::edge::proxy`]: the RFC 9111
//! cache, request collapsing, stale-while-revalidate, purge), run on loopback inside the
//! sandbox, and the origin is [`super::origin`] served over plain HTTP/1.1 on loopback:
//!
//! ```text
//! client ──h2/h3──► cdn.example.net front ──HTTP/1.1──► edge (cache) ──HTTP/1.1──► origin
//!                                           Forwarded: for=client
//! ```
//!
//! Paths under `/api/` go to a second edge limited to [`API_LIMIT`] requests per client address
//! (sliding window counter): over it, `429 Too Many Requests` with `Retry-After` and the
//! RateLimit fields. The front names the client in `Forwarded` (RFC 7239 §4), which both edges
//! trust for their limit (they listen on loopback, reachable only from the front).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http_body::{Frame, SizeHint};
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::sync::broadcast;

use super::origin::{Origin, OriginAnswer};
use crate::edge::cache::date;
use crate::edge::proxy::{self, origin::OriginError, EdgeEvent, EdgeOptions};
use crate::error::{Error, Result};
use crate::net::{AddressBook, Network, Route};
use crate::ratelimit::algorithms::{Algorithm, Policy};

/// The CDN's name: requests for it go through the edge; the host's other names do not.
pub const NAME: &str = "cdn.example.net";
/// The `/api/` edge's policy: 10 requests per second per client.
pub const API_LIMIT: (u32, Duration) = (10, Duration::from_secs(1));
/// How much the sandbox's edge keeps: 64 MiB of bodies.
const CACHE_BYTES: usize = 64 << 20;
/// Longest the front waits for the edge's response head (the edge gives the origin 30 s).
const FRONT_TIMEOUT: Duration = Duration::from_secs(35);

/// The running CDN: the origin's HTTP/1.1 listener and the two edges, on loopback.
pub struct Cdn {
    edge: Route,
    api: Route,
    /// Every request both edges answered, as they report it (`sandbox up` prints them).
    log: broadcast::Sender<EdgeEvent>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// How many of the edges' request reports wait for a slow reader before the oldest are lost.
const LOG_QUEUE: usize = 256;

impl Drop for Cdn {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Cdn {
    /// Starts `origin`'s HTTP/1.1 listener and the two edges in front of it.
    pub async fn start(origin: Arc<Origin>) -> Result<Cdn> {
        let loopback = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
        let listener = crate::net::socket::tcp_listener(loopback)
            .await
            .map_err(|e| Error::io("sandbox origin", e))?;
        let origin_address = listener.local_addr().map_err(|e| Error::io("sandbox origin", e))?;
        let mut tasks = vec![tokio::spawn(serve_origin(listener, origin))];
        let (log, _) = broadcast::channel(LOG_QUEUE);
        let (edge, task) = start_edge(origin_address, None, log.clone()).await?;
        tasks.push(task);
        let policy = Policy {
            limit: API_LIMIT.0,
            window_ns: API_LIMIT.1.as_nanos() as u64,
        };
        let (api, task) = start_edge(origin_address, Some((policy, Algorithm::SlidingWindow)), log.clone()).await?;
        tasks.push(task);
        Ok(Cdn { edge, api, log, tasks })
    }

    /// The edges' reports of the requests they answer from now on (`edge.request` events).
    pub fn requests(&self) -> broadcast::Receiver<EdgeEvent> {
        self.log.subscribe()
    }

    /// Sends a request the front received to the edge (the `/api/` one for paths under it),
    /// naming the client in `Forwarded`; the response streams back as the edge sends it.
    pub async fn forward(
        &self,
        method: &str,
        target: &str,
        headers: &[(String, String)],
        client: IpAddr,
    ) -> std::result::Result<hyper::Response<Incoming>, OriginError> {
        let route = if target.starts_with("/api/") {
            &self.api
        } else {
            &self.edge
        };
        let malformed = |what: &str| OriginError::Connect(std::io::Error::other(format!("malformed {what}")));
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(target)
            .body(Empty::<Bytes>::new())
            .map_err(|_| malformed("request line"))?;
        let fields = request.headers_mut();
        for (name, value) in headers {
            // The front's own connection fields stay here; HTTP/2's pseudo-fields are not fields.
            if name.starts_with(':') || is_hop_by_hop(name) || name.eq_ignore_ascii_case("host") {
                continue;
            }
            if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
                fields.append(n, v);
            }
        }
        fields.insert(http::header::HOST, HeaderValue::from_static(NAME));
        let forwarded = HeaderValue::from_str(&forwarded_for(client)).map_err(|_| malformed("client address"))?;
        fields.insert("forwarded", forwarded);
        proxy::origin::send(route, request, FRONT_TIMEOUT).await
    }
}

/// `Forwarded: for=...;proto=https` (RFC 7239 §4, §6: an IPv6 address quoted in brackets).
fn forwarded_for(client: IpAddr) -> String {
    match client {
        IpAddr::V4(v4) => format!("for={v4};proto=https"),
        IpAddr::V6(v6) => format!("for=\"[{v6}]\";proto=https"),
    }
}

/// Fields that describe one connection, not the message (RFC 9110 §7.6.1): never passed on by
/// the front, and forbidden in HTTP/2 and HTTP/3 (RFC 9113 §8.2.2, RFC 9114 §4.2).
pub fn is_hop_by_hop(name: &str) -> bool {
    [
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "upgrade",
        "te",
        "trailer",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

/// Starts one edge on loopback in front of `origin`, reporting its requests to `log`; returns
/// the way to it.
async fn start_edge(
    origin: SocketAddr,
    limit: Option<(Policy, Algorithm)>,
    log: broadcast::Sender<EdgeEvent>,
) -> Result<(Route, tokio::task::JoinHandle<()>)> {
    let options = EdgeOptions {
        listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
        origin,
        origin_url: "http://origin.example.com".to_string(),
        max_bytes: CACHE_BYTES,
        purge: true,
        limit,
        forwarded_client: true,
        challenge: false,
    };
    let network = Network::with_address_book(AddressBook::default());
    let (listening, heard) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        let mut listening = Some(listening);
        let _ = proxy::run(&options, &network, std::future::pending(), |event| {
            match (&event, listening.take()) {
                (EdgeEvent::Listening { address, .. }, Some(tell)) => {
                    let _ = tell.send(*address);
                }
                // No one listening is no error: the report is simply not kept.
                _ => drop(log.send(event)),
            }
            Ok(())
        })
        .await;
    });
    let address = heard
        .await
        .map_err(|_| Error::usage("sandbox CDN", "its edge did not start", "report this"))?;
    let route = Network::with_address_book(AddressBook::default()).route(address)?;
    Ok((route, task))
}

/// The origin's HTTP/1.1 listener, for the edges.
async fn serve_origin(listener: tokio::net::TcpListener, origin: Arc<Origin>) {
    while let Ok((stream, _)) = listener.accept().await {
        let origin = Arc::clone(&origin);
        tokio::spawn(async move {
            let service = service_fn(move |request: hyper::Request<Incoming>| {
                let origin = Arc::clone(&origin);
                async move { Ok::<_, std::convert::Infallible>(origin_response(&origin, &request).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The origin's answer to one request, as hyper sends it.
async fn origin_response(origin: &Origin, request: &hyper::Request<Incoming>) -> hyper::Response<ChunkBody> {
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
    let answer = origin.answer(
        request.method().as_str(),
        target,
        &headers,
        date::secs(SystemTime::now()),
    );
    tokio::time::sleep(answer.delay).await;
    let mut response = hyper::Response::builder().status(answer.status);
    for (name, value) in &answer.headers {
        response = response.header(name.as_str(), value.as_str());
    }
    response
        .body(ChunkBody::of(&answer))
        .unwrap_or_else(|_| hyper::Response::new(ChunkBody::empty()))
}

/// An origin body sent in pieces as hyper asks for them (`/bytes/N` may be large).
pub struct ChunkBody {
    chunks: Box<dyn Iterator<Item = Bytes> + Send>,
    left: u64,
}

impl ChunkBody {
    fn of(answer: &OriginAnswer) -> ChunkBody {
        ChunkBody {
            chunks: Box::new(answer.body.chunks()),
            left: if answer.status == 304 { 0 } else { answer.body.len() },
        }
    }

    fn empty() -> ChunkBody {
        ChunkBody {
            chunks: Box::new(std::iter::empty()),
            left: 0,
        }
    }
}

impl http_body::Body for ChunkBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, Self::Error>>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        Poll::Ready(self.chunks.next().map(|chunk| {
            self.left = self.left.saturating_sub(chunk.len() as u64);
            Ok(Frame::data(chunk))
        }))
    }

    fn is_end_stream(&self) -> bool {
        self.left == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_named_as_rfc7239_says() {
        assert_eq!(
            forwarded_for("100.64.0.2".parse().unwrap()),
            "for=100.64.0.2;proto=https"
        );
        assert_eq!(
            forwarded_for("2001:db8::2".parse().unwrap()),
            "for=\"[2001:db8::2]\";proto=https"
        );
        assert!(is_hop_by_hop("Transfer-Encoding") && !is_hop_by_hop("cache-control"));
    }
}
