//! The sandbox's recursive resolver, `resolver.sandbox.test.` (198.51.100.53): it answers stub
//! queries (RD=1) by walking the sandbox from its root with netlab's own walker, and caches
//! what it learns for the records' TTL, so a second question is answered at once with the TTL
//! counting down (RFC 1034 §5.3.1, RFC 2308 for negative answers). hickory-server carries the
//! queries: plain DNS on port 53, DNS over TLS on 853 (RFC 7858); DNS over HTTPS on 443
//! (RFC 8484, `/dns-query`, GET and POST) is [`super::doh`]. Its certificate is from the sandbox CA.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hickory_proto::op::{Header, HeaderCounts, Message, MessageType, Metadata, OpCode, ResponseCode};
use hickory_proto::rr::{Record, RecordType};
use hickory_server::net::runtime::Time;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;
use hickory_server::Server;
use tokio::sync::Mutex;

use crate::dns::walk::{walk_records, WalkOptions};
use crate::error::{Error, Result};
use crate::net::Network;

/// The resolver's name and virtual address.
pub const NAME: &str = "resolver.sandbox.test.";
pub const ADDRESS: &str = "198.51.100.53";
/// The path of its DNS over HTTPS endpoint (RFC 8484 §3: the URI template's path).
pub const DOH_PATH: &str = "/dns-query";

/// Most entries the cache holds; the oldest are dropped beyond it.
const MAX_CACHE: usize = 4096;

/// A cached answer: the records, the response code, when it was stored and until when.
#[derive(Clone)]
struct Cached {
    records: Vec<Record>,
    rcode: ResponseCode,
    stored: Instant,
    expires: Instant,
}

type Cache = Arc<Mutex<HashMap<(String, RecordType), Cached>>>;

/// A running resolver: plain DNS (UDP and TCP on one port), DNS over TLS and DNS over HTTPS.
pub struct RunningResolver {
    pub local: SocketAddr,
    pub local_tls: SocketAddr,
    pub local_https: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RunningResolver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Where the resolver listens.
#[derive(Debug, Clone, Copy)]
pub struct Binds {
    pub dns: SocketAddr,
    pub tls: SocketAddr,
    pub https: SocketAddr,
}

/// Answers every request by walking (or from the cache).
struct Handler {
    cache: Cache,
    net: Network,
    roots: Vec<crate::dns::hints::Hint>,
}

#[async_trait::async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        let mut query = Message::new(request.metadata.id, MessageType::Query, OpCode::Query);
        query.metadata.recursion_desired = request.metadata.recursion_desired;
        for q in request.queries.queries() {
            query.add_query(q.original().clone());
        }
        let reply = answer(&query, &self.cache, &self.net, &self.roots).await;
        let mut metadata = Metadata::response_from_request(&request.metadata);
        metadata.recursion_available = true;
        metadata.authoritative = false;
        metadata.response_code = reply.metadata.response_code;
        let response = MessageResponseBuilder::from_message_request(request).build(
            metadata,
            reply.answers.iter(),
            reply.authorities.iter(),
            std::iter::empty(),
            std::iter::empty(),
        );
        match response_handle.send_response(response).await {
            Ok(info) => info,
            Err(_) => ResponseInfo::from(Header {
                metadata,
                counts: HeaderCounts::default(),
            }),
        }
    }
}

/// Starts the resolver; it walks with `net` from `roots`, and serves DoT and DoH with `cert`.
pub async fn start(
    binds: Binds,
    net: Network,
    roots: Vec<crate::dns::hints::Hint>,
    cert: Arc<rustls::sign::CertifiedKey>,
) -> Result<RunningResolver> {
    let (udp, tcp) = super::dns::bind_pair_at(binds.dns).await?;
    let tls = crate::net::socket::tcp_listener(binds.tls)
        .await
        .map_err(|e| Error::io(binds.tls.to_string(), e))?;
    let https = crate::net::socket::tcp_listener(binds.https)
        .await
        .map_err(|e| Error::io(binds.https.to_string(), e))?;
    let addr = |r: std::io::Result<SocketAddr>| r.map_err(|e| Error::io("resolver socket", e));
    let (local, local_tls, local_https) = (
        addr(udp.local_addr())?,
        addr(tls.local_addr())?,
        addr(https.local_addr())?,
    );
    let cache: Cache = Arc::default();
    // DNS over HTTPS is netlab's own (super::doh: hickory-server's takes no GET), with the
    // same handler and cache.
    let doh = super::doh::serve(
        https,
        cert.clone(),
        DOH_PATH,
        Handler {
            cache: cache.clone(),
            net: net.clone(),
            roots: roots.clone(),
        },
    )?;
    let mut server = Server::new(Handler { cache, net, roots });
    server.register_socket(udp);
    server.register_listener(tcp, Duration::from_secs(5), 65_535);
    let certs = Arc::new(super::pki::OneCert(cert));
    server
        .register_tls_listener(tls, Duration::from_secs(5), certs)
        .map_err(|e| Error::io("resolver DoT listener", e))?;
    let task = tokio::spawn(async move {
        let _ = tokio::join!(server.block_until_done(), doh);
    });
    Ok(RunningResolver {
        local,
        local_tls,
        local_https,
        task,
    })
}

/// The response to one stub query.
async fn answer(query: &Message, cache: &Cache, net: &Network, roots: &[crate::dns::hints::Hint]) -> Message {
    let mut reply = Message::new(query.metadata.id, MessageType::Response, OpCode::Query);
    reply.metadata.recursion_desired = query.metadata.recursion_desired;
    reply.metadata.recursion_available = true;
    let [q] = query.queries.as_slice() else {
        reply.metadata.response_code = ResponseCode::FormErr;
        return reply;
    };
    reply.add_query(q.clone());
    let key = (q.name().to_ascii().to_lowercase(), q.query_type());
    let now = Instant::now();
    let hit = cache.lock().await.get(&key).filter(|c| c.expires > now).cloned();
    let cached = match hit {
        Some(c) => c,
        None if !query.metadata.recursion_desired => {
            // RD=0 to a resolver: answer from the cache only (RFC 1034 §4.3.1).
            reply.metadata.response_code = ResponseCode::Refused;
            return reply;
        }
        None => {
            let opts = WalkOptions {
                name: q.name().to_ascii(),
                rtype: q.query_type(),
                roots: roots.to_vec(),
                timeout: Duration::from_millis(800),
                max_queries: 48,
                max_time: Duration::from_secs(4),
                anchors: None,
            };
            let walked = walk_records(&opts, net).await;
            let (rcode, records) = match walked {
                Ok(w) if w.result == "answer" => (ResponseCode::NoError, w.records),
                Ok(w) if w.result == "nxdomain" => (ResponseCode::NXDomain, w.records),
                Ok(w) if w.result == "nodata" => (ResponseCode::NoError, w.records),
                _ => (ResponseCode::ServFail, Vec::new()),
            };
            let ttl = records.iter().map(|r| r.ttl).min().unwrap_or(0).min(86_400);
            let c = Cached {
                records,
                rcode,
                stored: now,
                expires: now + Duration::from_secs(u64::from(ttl)),
            };
            if rcode != ResponseCode::ServFail {
                let mut cache = cache.lock().await;
                if cache.len() >= MAX_CACHE {
                    if let Some(oldest) = cache.iter().min_by_key(|(_, v)| v.stored).map(|(k, _)| k.clone()) {
                        cache.remove(&oldest);
                    }
                }
                cache.insert(key, c.clone());
            }
            c
        }
    };
    let aged = now.saturating_duration_since(cached.stored).as_secs() as u32;
    reply.metadata.response_code = cached.rcode;
    for r in cached.records {
        let mut r = r.clone();
        r.ttl = r.ttl.saturating_sub(aged);
        if r.record_type() == RecordType::SOA
            && (cached.rcode == ResponseCode::NXDomain || q.query_type() != RecordType::SOA)
        {
            reply.add_authority(r);
        } else {
            reply.add_answer(r);
        }
    }
    reply
}
