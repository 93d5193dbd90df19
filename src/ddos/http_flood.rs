//! A layer 7 flood: many clients asking an edge for an uncacheable URL many times a second,
//! while a real user and a user behind the same address as one bot (a carrier-grade NAT,
//! RFC 6888) each make a request every 100 ms.
//!
//! ```text
//!   bots 127.0.66.1-N ──┐   GET /api/item, RATE a second each, no cookies
//!   user 127.0.88.1 ────┼──► netlab edge ──► origin (no-store: the cache cannot help)
//!   NAT user 127.0.66.1 ┘    (none | --limit per address | --challenge cookie)
//! ```
//!
//! Everything is on loopback: each client connects from its own address in 127.0.0.0/8, so
//! the edge sees as many clients as there are addresses. Each phase runs the same clients
//! against an edge with one mitigation: none; a per-address rate limit (429, RFC 6585 §4); a
//! cookie challenge (403 with the cookie; [`crate::edge::proxy::challenge`]). What the origin
//! had to answer is the attack's reach; what the two users got is the mitigation's price.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

use super::events::{Mitigation, UserTally, WebRun};
use crate::edge::proxy::{self, EdgeEvent, EdgeOptions};
use crate::error::{Error, Result};
use crate::net::{AddressBook, Network, Route};
use crate::ratelimit::algorithms::{Algorithm, Policy};

/// The real user's address, and the NAT user's (the first bot's).
pub const USER: Ipv4Addr = Ipv4Addr::new(127, 0, 88, 1);
pub const NAT_USER: Ipv4Addr = Ipv4Addr::new(127, 0, 66, 1);
/// The URL the flood asks for: an API answer the origin marks `no-store`.
pub const TARGET: &str = "/api/item";
/// How often each user asks.
const USER_EVERY: Duration = Duration::from_millis(100);
/// A request that takes longer has failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// One phase's bounds and policy.
#[derive(Debug, Clone, Copy)]
pub struct RunSpec {
    pub mitigation: Mitigation,
    pub bots: u32,
    /// Each bot's requests per second, and the phase's length: the bots' requests are bounded
    /// by `bots * rate * seconds`.
    pub rate: u32,
    pub seconds: f64,
    /// The per-address limit of the `limit` phase: requests per second.
    pub per_client: u32,
}

/// The origin: answers every request, counting them.
struct Origin {
    served: AtomicU64,
}

/// Runs the phases in order on one runtime, the origin shared, a fresh edge each.
pub fn run(specs: &[RunSpec]) -> Result<Vec<WebRun>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("nl-l7")
        .build()
        .map_err(|e| Error::io("tokio runtime (ddos http)", e))?;
    runtime.block_on(async {
        let origin = Arc::new(Origin {
            served: AtomicU64::new(0),
        });
        let origin_addr = start_origin(Arc::clone(&origin)).await?;
        let mut runs = Vec::new();
        for spec in specs {
            runs.push(phase(*spec, origin_addr, &origin).await?);
        }
        Ok(runs)
    })
}

async fn start_origin(origin: Arc<Origin>) -> Result<SocketAddr> {
    let listener = crate::net::socket::tcp_listener(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .map_err(|e| Error::io("origin 127.0.0.1", e))?;
    let addr = listener.local_addr().map_err(|e| Error::io("origin 127.0.0.1", e))?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let origin = Arc::clone(&origin);
            tokio::spawn(async move {
                let service = service_fn(move |_request: hyper::Request<Incoming>| {
                    origin.served.fetch_add(1, Ordering::Relaxed);
                    let response = hyper::Response::builder()
                        .status(200)
                        .header("cache-control", "no-store")
                        .header("content-type", "application/json")
                        .body(Full::new(Bytes::from_static(b"{\"item\": 42}\n")));
                    async move { response }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(addr)
}

/// Starts an edge with the phase's mitigation in front of the origin; the way to it.
async fn start_edge(spec: RunSpec, origin: SocketAddr) -> Result<(Route, tokio::task::JoinHandle<()>)> {
    let options = EdgeOptions {
        listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        origin,
        origin_url: format!("http://{origin}"),
        max_bytes: 1 << 20,
        purge: false,
        limit: (spec.mitigation == Mitigation::Limit).then_some((
            Policy {
                limit: spec.per_client,
                window_ns: 1_000_000_000,
            },
            Algorithm::Gcra,
        )),
        forwarded_client: false,
        challenge: spec.mitigation == Mitigation::Challenge,
    };
    let (listening, heard) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        let network = Network::with_address_book(AddressBook::default());
        let mut listening = Some(listening);
        let _ = proxy::run(&options, &network, std::future::pending(), |event| {
            if let (EdgeEvent::Listening { address, .. }, Some(tell)) = (&event, listening.take()) {
                let _ = tell.send(*address);
            }
            Ok(())
        })
        .await;
    });
    let address = heard
        .await
        .map_err(|_| Error::usage("ddos http", "the edge did not start", "report this"))?;
    let route = Network::with_address_book(AddressBook::default()).route(address)?;
    Ok((route, task))
}

/// One phase: the bots until their requests or the time run out, the users meanwhile.
async fn phase(spec: RunSpec, origin_addr: SocketAddr, origin: &Origin) -> Result<WebRun> {
    let (route, edge) = start_edge(spec, origin_addr).await?;
    let before = origin.served.load(Ordering::Relaxed);
    let deadline = Instant::now() + Duration::from_secs_f64(spec.seconds);
    let tally = Arc::new(BotTally::default());
    let start = Instant::now();
    let bots: Vec<_> = (0..spec.bots)
        .map(|i| {
            let bot = IpAddr::V4(Ipv4Addr::new(127, 0, 66, 1 + i as u8));
            tokio::spawn(flood(route, bot, spec.rate, deadline, Arc::clone(&tally)))
        })
        .collect();
    let running = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let user = tokio::spawn(browse(route, IpAddr::V4(USER), Arc::clone(&running), deadline));
    let nat_user = tokio::spawn(browse(route, IpAddr::V4(NAT_USER), Arc::clone(&running), deadline));
    for bot in bots {
        let _ = bot.await;
    }
    let seconds = start.elapsed().as_secs_f64();
    running.store(false, Ordering::Relaxed);
    let user = user.await.unwrap_or_default();
    let nat_user = nat_user.await.unwrap_or_default();
    edge.abort();
    let sent = tally.sent.load(Ordering::Relaxed);
    Ok(WebRun {
        mitigation: spec.mitigation,
        bots: spec.bots,
        bot_requests: sent,
        seconds,
        bot_rps: sent as f64 / seconds.max(1e-9),
        bot_ok: tally.ok.load(Ordering::Relaxed),
        bot_limited: tally.limited.load(Ordering::Relaxed),
        bot_challenged: tally.challenged.load(Ordering::Relaxed),
        bot_failed: tally.failed.load(Ordering::Relaxed),
        origin_requests: origin.served.load(Ordering::Relaxed).saturating_sub(before),
        user,
        nat_user,
    })
}

#[derive(Debug, Default)]
struct BotTally {
    sent: AtomicU64,
    ok: AtomicU64,
    limited: AtomicU64,
    challenged: AtomicU64,
    failed: AtomicU64,
}

/// A keep-alive HTTP/1.1 connection from `local`.
struct Conn {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

impl Conn {
    async fn open(route: &Route, local: IpAddr) -> Option<Conn> {
        let stream = crate::net::socket::tcp_connect_from(route, local).await.ok()?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.ok()?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Some(Conn { sender })
    }

    /// GET [`TARGET`] with `cookie`: the status, and the challenge cookie if one was set.
    async fn get(&mut self, cookie: Option<&str>) -> Option<(u16, Option<String>)> {
        let mut request = hyper::Request::get(TARGET).header("host", "edge.example");
        if let Some(c) = cookie {
            request = request.header("cookie", c);
        }
        let request = request.body(Full::new(Bytes::new())).ok()?;
        let exchange = async {
            self.sender.ready().await.ok()?;
            let response = self.sender.send_request(request).await.ok()?;
            let status = response.status().as_u16();
            let set = response
                .headers()
                .get("set-cookie")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(';').next())
                .map(str::to_string);
            response.into_body().collect().await.ok()?;
            Some((status, set))
        };
        tokio::time::timeout(REQUEST_TIMEOUT, exchange).await.ok().flatten()
    }
}

/// One bot: `rate` requests a second on one connection (a new one when it closes), no
/// cookies, until `deadline`; a request that has to wait for the one before is sent at once.
async fn flood(route: Route, local: IpAddr, rate: u32, deadline: Instant, tally: Arc<BotTally>) {
    let start = Instant::now();
    let mut conn = None;
    let mut sent = 0u32;
    while Instant::now() < deadline {
        let due = start + Duration::from_secs_f64(f64::from(sent) / f64::from(rate));
        if due >= deadline {
            break;
        }
        tokio::time::sleep_until(due.into()).await;
        sent += 1;
        if conn.is_none() {
            conn = Conn::open(&route, local).await;
        }
        tally.sent.fetch_add(1, Ordering::Relaxed);
        let status = match conn.as_mut() {
            Some(c) => c.get(None).await.map(|(s, _)| s),
            None => None,
        };
        let counter = match status {
            Some(200) => &tally.ok,
            Some(429) => &tally.limited,
            Some(403) => &tally.challenged,
            Some(_) => &tally.failed,
            None => {
                conn = None;
                &tally.failed
            }
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// A user: a request every [`USER_EVERY`] while the bots run, keeping the challenge cookie and
/// retrying once with it, as a browser would.
async fn browse(
    route: Route,
    local: IpAddr,
    running: Arc<std::sync::atomic::AtomicBool>,
    deadline: Instant,
) -> UserTally {
    let mut tally = UserTally::default();
    let mut times = Vec::new();
    let mut cookie: Option<String> = None;
    let mut conn: Option<Conn> = None;
    while running.load(Ordering::Relaxed) && Instant::now() < deadline {
        let began = Instant::now();
        tally.attempts += 1;
        if conn.is_none() {
            conn = Conn::open(&route, local).await;
        }
        let mut answer = match conn.as_mut() {
            Some(c) => c.get(cookie.as_deref()).await,
            None => None,
        };
        if let Some((403, Some(set))) = &answer {
            tally.challenged += 1;
            cookie = Some(set.clone());
            answer = match conn.as_mut() {
                Some(c) => c.get(cookie.as_deref()).await,
                None => None,
            };
        }
        match answer {
            Some((200, _)) => {
                tally.ok += 1;
                let ms = began.elapsed().as_secs_f64() * 1e3;
                tally.first_ms.get_or_insert(ms);
                times.push(ms);
            }
            Some((429, _)) => tally.limited += 1,
            Some(_) => tally.failed += 1,
            None => {
                tally.failed += 1;
                conn = None;
            }
        }
        tokio::time::sleep(USER_EVERY.saturating_sub(began.elapsed())).await;
    }
    times.sort_by(f64::total_cmp);
    tally.median_ms = times.get(times.len() / 2).copied();
    tally.max_ms = times.last().copied();
    tally
}
