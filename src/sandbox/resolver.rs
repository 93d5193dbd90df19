//! The sandbox's recursive resolver, `resolver.sandbox.test.` (198.51.100.53): it answers stub
//! queries (RD=1) by walking the sandbox from its root with netlab's own walker, and caches
//! what it learns for the records' TTL, so a second question is answered at once with the TTL
//! counting down (RFC 1034 §5.3.1, RFC 2308 for negative answers).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::{Record, RecordType};
use tokio::net::UdpSocket;
use tokio::sync::Mutex;

use crate::dns::walk::{walk_records, WalkOptions};
use crate::error::{Error, Result};
use crate::net::Network;

/// The resolver's name and virtual address.
pub const NAME: &str = "resolver.sandbox.test.";
pub const ADDRESS: &str = "198.51.100.53";

/// Most entries the cache holds; the oldest are dropped beyond it.
const MAX_CACHE: usize = 4096;
/// Most walks running at once.
const MAX_INFLIGHT: usize = 64;

/// A cached answer: the records, the response code, when it was stored and until when.
#[derive(Clone)]
struct Cached {
    records: Vec<Record>,
    rcode: ResponseCode,
    stored: Instant,
    expires: Instant,
}

type Cache = Arc<Mutex<HashMap<(String, RecordType), Cached>>>;

/// A running resolver.
pub struct RunningResolver {
    pub local: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RunningResolver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the resolver on a loopback socket; it walks with `net` from `roots`.
pub async fn start(bind: SocketAddr, net: Network, roots: Vec<crate::dns::hints::Hint>) -> Result<RunningResolver> {
    let socket = Arc::new(
        UdpSocket::bind(bind)
            .await
            .map_err(|e| Error::io(bind.to_string(), e))?,
    );
    let local = socket.local_addr().map_err(|e| Error::io("resolver socket", e))?;
    let cache: Cache = Arc::default();
    let inflight = Arc::new(tokio::sync::Semaphore::new(MAX_INFLIGHT));
    let task = tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        loop {
            let Ok((n, from)) = socket.recv_from(&mut buf).await else {
                break;
            };
            let Ok(query) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let Ok(permit) = inflight.clone().try_acquire_owned() else {
                continue;
            };
            let (socket, cache, net, roots) = (socket.clone(), cache.clone(), net.clone(), roots.clone());
            tokio::spawn(async move {
                let reply = answer(&query, &cache, &net, &roots).await;
                if let Ok(bytes) = reply.to_vec() {
                    let _ = socket.send_to(&bytes, from).await;
                }
                drop(permit);
            });
        }
    });
    Ok(RunningResolver { local, task })
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
