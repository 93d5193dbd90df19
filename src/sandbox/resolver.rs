//! The sandbox's recursive resolver, `resolver.sandbox.test.` (198.51.100.53): it answers stub
//! queries (RD=1) by walking the sandbox from its root with netlab's own walker, and caches
//! what it learns for the records' TTL, so a second question is answered at once with the TTL
//! counting down (RFC 1034 §5.3.1, RFC 2308 for negative answers). hickory-server carries the
//! queries: plain DNS on port 53, DNS over TLS on 853 (RFC 7858); DNS over HTTPS on 443
//! (RFC 8484, `/dns-query`, GET and POST) is [`super::doh`]. Its certificate is from the sandbox CA.
//!
//! It validates like a public validating resolver (RFC 4035 §4): every walk checks the chain of
//! trust from the sandbox's root key. A secure answer gets AD=1 when the stub asked with DO=1 or
//! AD=1 (RFC 6840 §5.7, RFC 4035 §3.2.3), and a stub that asked with DO=1 gets the RRSIGs, or the
//! NSEC or NSEC3 proof of a negative answer (or of a wildcard answer's name, RFC 4035 §3.1.3.3), along with the data (RFC 4035 §3.2.1); data whose chain is broken is never passed on: SERVFAIL,
//! with Extended DNS Error 6, "DNSSEC Bogus", naming the broken link (RFC 4035 §5.5, RFC 8914
//! §4.7); a stub that sets CD=1 takes the data unvalidated, without AD (RFC 4035 §3.2.2).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hickory_proto::dnssec::rdata::DNSSECRData;
use hickory_proto::op::{Edns, Header, HeaderCounts, Message, MessageType, Metadata, OpCode, ResponseCode};
use hickory_proto::rr::rdata::opt::EdnsOption;
use hickory_proto::rr::{RData, Record, RecordType};
use hickory_server::net::runtime::Time;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;
use hickory_server::Server;
use tokio::sync::Mutex;

use crate::dns::dnssec::{Anchors, Status};
use crate::dns::walk::{walk_records, WalkOptions, EDNS_BUFFER};
use crate::error::{Error, Result};
use crate::net::Network;

/// The resolver's name and virtual address.
pub const NAME: &str = "resolver.sandbox.test.";
pub const ADDRESS: &str = "198.51.100.53";
/// The path of its DNS over HTTPS endpoint (RFC 8484 §3: the URI template's path).
pub const DOH_PATH: &str = "/dns-query";

/// Most entries the cache holds; the oldest are dropped beyond it.
const MAX_CACHE: usize = 4096;

/// Extended DNS Error option code (RFC 8914 §2) and the info-code "DNSSEC Bogus" (§4.7).
const EDE_OPTION: u16 = 15;
const EDE_DNSSEC_BOGUS: u16 = 6;

/// A cached answer: the records, the response code, the walk's DNSSEC verdict (and the broken
/// link when bogus: the data is kept, for stubs that set CD=1), when it was stored and until when.
#[derive(Clone)]
struct Cached {
    records: Vec<Record>,
    rcode: ResponseCode,
    dnssec: Status,
    broken_link: Option<String>,
    /// RRSIGs over the answer, or the NSEC proof of a negative one, for DO=1 (RFC 4035 §3.2.1).
    proofs: Vec<Record>,
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

/// Answers every request by walking (or from the cache), validating from `anchors`.
struct Handler {
    cache: Cache,
    net: Network,
    roots: Vec<crate::dns::hints::Hint>,
    anchors: Anchors,
}

/// What a stub's query asks of DNSSEC: DO=1 in its EDNS (RFC 3225) asks for the DNSSEC
/// records; DO=1 or AD=1 in its header (RFC 6840 §5.7) ask for the AD bit; CD=1 asks for the
/// data unchecked (RFC 4035 §3.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Asks {
    dnssec_ok: bool,
    authentic_data: bool,
    checking_disabled: bool,
}

/// How the resolver answers, given the data's DNSSEC verdict and what the stub asked.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    /// The data, with the AD bit set or not.
    Data { authentic: bool },
    /// SERVFAIL with Extended DNS Error 6 and this text.
    Bogus(String),
}

/// RFC 4035 §3.2.2-§3.2.3, RFC 6840 §5.7-§5.8: CD=1 gets the data as it is, without AD; bogus
/// data is never passed on otherwise; AD=1 only on secure data, and only to a stub that asked.
fn verdict(status: Status, broken_link: Option<&str>, asks: Asks) -> Verdict {
    match status {
        _ if asks.checking_disabled => Verdict::Data { authentic: false },
        Status::Bogus => Verdict::Bogus(broken_link.unwrap_or("the chain of trust is broken").to_string()),
        Status::Secure => Verdict::Data {
            authentic: asks.authentic_data,
        },
        Status::Insecure => Verdict::Data { authentic: false },
    }
}

/// An Extended DNS Error option (RFC 8914 §2): the info-code, then UTF-8 text.
fn extended_error(code: u16, text: &str) -> EdnsOption {
    let mut data = code.to_be_bytes().to_vec();
    data.extend_from_slice(text.as_bytes());
    EdnsOption::Unknown(EDE_OPTION, data)
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
        let dnssec_ok = request.edns.as_ref().is_some_and(|e| e.flags().dnssec_ok);
        let asks = Asks {
            dnssec_ok,
            authentic_data: request.metadata.authentic_data || dnssec_ok,
            checking_disabled: request.metadata.checking_disabled,
        };
        let (reply, bogus) = answer(&query, asks, self).await;
        let mut metadata = Metadata::response_from_request(&request.metadata);
        metadata.recursion_available = true;
        metadata.authoritative = false;
        metadata.authentic_data = reply.metadata.authentic_data;
        metadata.response_code = reply.metadata.response_code;
        // A query with EDNS gets EDNS back (RFC 6891 §6.1.1), DO echoed (RFC 3225 §3), and the
        // Extended DNS Error when the data was bogus; a query without EDNS gets no OPT record.
        let edns = request.edns.as_ref().map(|asked| {
            let mut edns = Edns::new();
            edns.set_max_payload(asked.max_payload().clamp(512, EDNS_BUFFER));
            edns.set_dnssec_ok(asked.flags().dnssec_ok);
            if let Some(why) = &bogus {
                edns.options_mut().insert(extended_error(EDE_DNSSEC_BOGUS, why));
            }
            edns
        });
        let mut builder = MessageResponseBuilder::from_message_request(request);
        if let Some(edns) = &edns {
            builder.edns(edns);
        }
        let response = builder.build(
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

/// Starts the resolver; it walks with `net` from `roots`, validates from `anchors`, and serves
/// DoT and DoH with `cert`.
pub async fn start(
    binds: Binds,
    net: Network,
    roots: Vec<crate::dns::hints::Hint>,
    anchors: Anchors,
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
            anchors: anchors.clone(),
        },
    )?;
    let mut server = Server::new(Handler {
        cache,
        net,
        roots,
        anchors,
    });
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

/// The response to one stub query, and the broken link when it is SERVFAIL for bogus data.
async fn answer(query: &Message, asks: Asks, handler: &Handler) -> (Message, Option<String>) {
    let mut reply = Message::new(query.metadata.id, MessageType::Response, OpCode::Query);
    reply.metadata.recursion_desired = query.metadata.recursion_desired;
    reply.metadata.recursion_available = true;
    let [q] = query.queries.as_slice() else {
        reply.metadata.response_code = ResponseCode::FormErr;
        return (reply, None);
    };
    reply.add_query(q.clone());
    let key = (q.name().to_ascii().to_lowercase(), q.query_type());
    let now = Instant::now();
    let cache = &handler.cache;
    let hit = cache.lock().await.get(&key).filter(|c| c.expires > now).cloned();
    let cached = match hit {
        Some(c) => c,
        None if !query.metadata.recursion_desired => {
            // RD=0 to a resolver: answer from the cache only (RFC 1034 §4.3.1).
            reply.metadata.response_code = ResponseCode::Refused;
            return (reply, None);
        }
        None => {
            let opts = WalkOptions {
                name: q.name().to_ascii(),
                rtype: q.query_type(),
                roots: handler.roots.clone(),
                timeout: Duration::from_millis(800),
                max_queries: 64,
                max_time: Duration::from_secs(4),
                anchors: Some(handler.anchors.clone()),
            };
            let walked = walk_records(&opts, &handler.net).await;
            let (rcode, records, dnssec, broken_link, proofs) = match walked {
                Ok(w) if matches!(w.result, "answer" | "nxdomain" | "nodata") => (
                    if w.result == "nxdomain" {
                        ResponseCode::NXDomain
                    } else {
                        ResponseCode::NoError
                    },
                    w.records,
                    // A walk that checked nothing vouches for nothing.
                    w.dnssec.unwrap_or(Status::Insecure),
                    w.dnssec_failure,
                    w.proofs,
                ),
                _ => (ResponseCode::ServFail, Vec::new(), Status::Insecure, None, Vec::new()),
            };
            let ttl = records
                .iter()
                .chain(&proofs)
                .map(|r| r.ttl)
                .min()
                .unwrap_or(0)
                .min(86_400);
            let c = Cached {
                records,
                rcode,
                dnssec,
                broken_link,
                proofs,
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
    if cached.rcode == ResponseCode::ServFail {
        reply.metadata.response_code = ResponseCode::ServFail;
        return (reply, None);
    }
    match verdict(cached.dnssec, cached.broken_link.as_deref(), asks) {
        Verdict::Bogus(why) => {
            reply.metadata.response_code = ResponseCode::ServFail;
            return (reply, Some(why));
        }
        Verdict::Data { authentic } => reply.metadata.authentic_data = authentic,
    }
    let aged = now.saturating_duration_since(cached.stored).as_secs() as u32;
    reply.metadata.response_code = cached.rcode;
    let negative = cached.rcode == ResponseCode::NXDomain
        || (q.query_type() != RecordType::SOA && cached.records.iter().all(|r| r.record_type() == RecordType::SOA));
    // With DO=1 the DNSSEC records go along: the RRSIGs with the answer, the NSEC (or NSEC3,
    // RFC 5155 §7.2) proof of a negative answer in the authority section with its SOA (RFC 4035 §3.1.1, §3.1.3).
    let proofs = if asks.dnssec_ok { cached.proofs } else { Vec::new() };
    for r in cached.records.into_iter().chain(proofs) {
        let mut r = r.clone();
        r.ttl = r.ttl.saturating_sub(aged);
        let authority = match &r.data {
            RData::SOA(_) => cached.rcode == ResponseCode::NXDomain || q.query_type() != RecordType::SOA,
            // Denial records go in the authority section, also when they prove that a wildcard
            // answer's name does not exist itself (RFC 4035 §3.1.3.3).
            RData::DNSSEC(DNSSECRData::NSEC(_) | DNSSECRData::NSEC3(_)) => true,
            RData::DNSSEC(DNSSECRData::RRSIG(sig)) => {
                negative || matches!(sig.input().type_covered, RecordType::NSEC | RecordType::NSEC3)
            }
            _ => false,
        };
        if authority {
            reply.add_authority(r);
        } else {
            reply.add_answer(r);
        }
    }
    (reply, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: Asks = Asks {
        dnssec_ok: false,
        authentic_data: false,
        checking_disabled: false,
    };
    const DNSSEC: Asks = Asks {
        dnssec_ok: true,
        authentic_data: true,
        checking_disabled: false,
    };
    const UNCHECKED: Asks = Asks {
        dnssec_ok: true,
        authentic_data: true,
        checking_disabled: true,
    };

    #[test]
    fn ad_only_on_secure_data_for_a_stub_that_asked() {
        assert_eq!(verdict(Status::Secure, None, DNSSEC), Verdict::Data { authentic: true });
        assert_eq!(verdict(Status::Secure, None, PLAIN), Verdict::Data { authentic: false });
        assert_eq!(
            verdict(Status::Insecure, None, DNSSEC),
            Verdict::Data { authentic: false }
        );
    }

    #[test]
    fn bogus_is_servfail_unless_checking_is_disabled() {
        let bogus = verdict(Status::Bogus, Some("bogus.test. dnskey: no DS matches"), PLAIN);
        assert_eq!(bogus, Verdict::Bogus("bogus.test. dnskey: no DS matches".into()));
        assert_eq!(
            verdict(Status::Bogus, None, UNCHECKED),
            Verdict::Data { authentic: false }
        );
        assert_eq!(
            verdict(Status::Secure, None, UNCHECKED),
            Verdict::Data { authentic: false }
        );
    }

    #[test]
    fn extended_error_is_code_then_text() {
        let EdnsOption::Unknown(code, data) = extended_error(EDE_DNSSEC_BOGUS, "why") else {
            panic!("not an unknown option")
        };
        assert_eq!((code, data.as_slice()), (15, &[0, 6, b'w', b'h', b'y'][..]));
    }
}
