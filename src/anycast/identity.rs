//! Which PoP answered, asked the way operators of anycast DNS ask: the query `id.server.` TXT
//! in class CHAOS (RFC 4892 §2; `hostname.bind.` is BIND's older name for it). Every PoP
//! answers it on the anycast address with its own name, so a client sends the same question to
//! the same address and learns, from the answer, which site its packets reached, as
//! `dig @1.1.1.1 id.server CH TXT` does.
//!
//! The same responder is the CDN's authoritative server for [`STEERED_NAME`], which it answers
//! by DNS steering: with the unicast address of the PoP in the region of the query's source
//! (the resolver's address; RFC 7871's client subnet refines the same idea), whichever PoP
//! the query reached. Anything else is REFUSED. It is a datagram service: each query stands
//! alone, which is why DNS over UDP does not notice a route change that breaks TCP connections
//! (see [`super::web`]).

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::{A, TXT};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

use super::topology::{regional_pop, unicast, ANYCAST};
use crate::error::Error;
use crate::net::ns::Namespace;

/// DNS's port, where each PoP answers on the anycast address.
pub const PORT: u16 = 53;
/// How long a client waits for an answer: longer than the longest round trip of the topology
/// (eu to sin through both transits, 170 ms).
const WAIT: Duration = Duration::from_secs(1);
/// The names a PoP answers for in class CH (RFC 4892 §2).
const IDENTITY_NAMES: [&str; 2] = ["id.server.", "hostname.bind."];
/// The CDN's name that DNS steering answers, and the answer's TTL: how long a resolver may
/// keep sending users to a site after the CDN stops naming it.
pub const STEERED_NAME: &str = "www.cdn.example.";
pub const STEERED_TTL: u32 = 30;

/// One PoP's identity responder, stopped when dropped.
pub struct Responder {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Responder {
    /// Starts `pop`'s responder on the anycast address inside its namespace.
    pub fn start(pop: &str, ns: &Namespace) -> Result<Responder, Error> {
        let socket = ns
            .run(|| UdpSocket::bind(SocketAddr::from((ANYCAST, PORT))))?
            .map_err(|e| Error::io(format!("DNS {ANYCAST}:{PORT} in {pop}"), e))?;
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .map_err(|e| Error::io("identity socket", e))?;
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, pop) = (Arc::clone(&stop), pop.to_string());
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            while !flag.load(Ordering::Relaxed) {
                if let Ok((n, from)) = socket.recv_from(&mut buf) {
                    let source = match from.ip() {
                        std::net::IpAddr::V4(a) => a,
                        std::net::IpAddr::V6(_) => continue,
                    };
                    if let Some(reply) = answer(&buf[..n], &pop, source) {
                        let _ = socket.send_to(&reply, from);
                    }
                }
            }
        });
        Ok(Responder {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The response to one datagram from `source`: `pop` as a CH TXT answer to an identity
/// question, the steered PoP's address to [`STEERED_NAME`] A, REFUSED to any other question,
/// nothing for what is not a query.
pub fn answer(datagram: &[u8], pop: &str, source: Ipv4Addr) -> Option<Vec<u8>> {
    let query = Message::from_vec(datagram).ok()?;
    if query.metadata.message_type != MessageType::Query {
        return None;
    }
    let mut reply = Message::new(query.metadata.id, MessageType::Response, OpCode::Query);
    reply.metadata.recursion_desired = query.metadata.recursion_desired;
    let [q] = query.queries.as_slice() else {
        reply.metadata.response_code = ResponseCode::FormErr;
        return reply.to_vec().ok();
    };
    reply.add_query(q.clone());
    let name = q.name().to_ascii().to_ascii_lowercase();
    let is_identity =
        q.query_class() == DNSClass::CH && q.query_type() == RecordType::TXT && IDENTITY_NAMES.contains(&name.as_str());
    let steered = (q.query_class() == DNSClass::IN && q.query_type() == RecordType::A && name == STEERED_NAME)
        .then(|| unicast(regional_pop(source)))
        .flatten();
    if is_identity {
        let mut record = Record::from_rdata(q.name().clone(), 0, RData::TXT(TXT::new(vec![pop.to_string()])));
        record.dns_class = DNSClass::CH;
        reply.metadata.authoritative = true;
        reply.add_answer(record);
    } else if let Some(address) = steered {
        reply.metadata.authoritative = true;
        reply.add_answer(Record::from_rdata(q.name().clone(), STEERED_TTL, RData::A(A(address))));
    } else {
        reply.metadata.response_code = ResponseCode::Refused;
    }
    reply.to_vec().ok()
}

/// A client's socket, made inside its namespace.
pub struct Asker {
    socket: UdpSocket,
    next_id: std::cell::Cell<u16>,
}

impl Asker {
    pub fn open(ns: &Namespace) -> Result<Asker, Error> {
        let socket = ns
            .run(|| UdpSocket::bind("0.0.0.0:0"))?
            .map_err(|e| Error::io("client socket", e))?;
        Ok(Asker {
            socket,
            next_id: std::cell::Cell::new(1),
        })
    }

    /// Asks the anycast address `id.server. CH TXT`: the PoP's name and the round trip, or None.
    pub fn ask(&self) -> Option<(String, f64)> {
        let (reply, rtt) = self.query(IDENTITY_NAMES[0], DNSClass::CH, RecordType::TXT, WAIT)?;
        Some((identity_of(&reply)?, rtt))
    }

    /// Sends one identity query without waiting: its ID, for [`Asker::answers`].
    pub fn probe(&self) -> Option<u16> {
        let (id, query) = self.build(IDENTITY_NAMES[0], DNSClass::CH, RecordType::TXT)?;
        self.socket.send_to(&query, SocketAddr::from((ANYCAST, PORT))).ok()?;
        Some(id)
    }

    /// The answers that have arrived, each with its query's ID and the PoP it names, waiting
    /// at most `wait` for each.
    pub fn answers(&self, wait: Duration) -> Vec<(u16, String)> {
        let mut got = Vec::new();
        let mut buf = [0u8; 512];
        // Bounded: a burst of more answers than this waits for the next call.
        for _ in 0..64 {
            if self
                .socket
                .set_read_timeout(Some(wait.max(Duration::from_micros(100))))
                .is_err()
            {
                break;
            }
            let Ok((n, _)) = self.socket.recv_from(&mut buf) else {
                break;
            };
            if let Some(pop) = Message::from_vec(&buf[..n])
                .ok()
                .and_then(|m| Some((m.metadata.id, identity_of(&m)?)))
            {
                got.push(pop);
            }
        }
        got
    }

    /// Asks for [`STEERED_NAME`] A: the address DNS steering gives this client, and its TTL.
    pub fn steer(&self) -> Option<(Ipv4Addr, u32)> {
        let (reply, _) = self.query(STEERED_NAME, DNSClass::IN, RecordType::A, WAIT)?;
        reply.answers.iter().find_map(|r| match &r.data {
            RData::A(a) => Some((a.0, r.ttl)),
            _ => None,
        })
    }

    /// A query with the next ID: the ID and the encoded message.
    fn build(&self, name: &str, class: DNSClass, rtype: RecordType) -> Option<(u16, Vec<u8>)> {
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1));
        let mut query = Message::new(id, MessageType::Query, OpCode::Query);
        let mut q = Query::query(Name::from_ascii(name).ok()?, rtype);
        q.set_query_class(class);
        query.add_query(q);
        Some((id, query.to_vec().ok()?))
    }

    /// One query to the anycast address, and its response with the round trip in ms. An
    /// answer to an earlier, timed-out query (another ID) is skipped, not taken for this one.
    fn query(&self, name: &str, class: DNSClass, rtype: RecordType, wait: Duration) -> Option<(Message, f64)> {
        let (id, query) = self.build(name, class, rtype)?;
        let began = Instant::now();
        self.socket.send_to(&query, SocketAddr::from((ANYCAST, PORT))).ok()?;
        let mut buf = [0u8; 512];
        loop {
            let left = wait.checked_sub(began.elapsed()).filter(|d| !d.is_zero())?;
            self.socket.set_read_timeout(Some(left)).ok()?;
            let (n, _) = self.socket.recv_from(&mut buf).ok()?;
            let Ok(reply) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            if reply.metadata.id == id {
                return Some((reply, began.elapsed().as_secs_f64() * 1e3));
            }
        }
    }
}

/// The PoP an identity answer names: its TXT record's text.
fn identity_of(reply: &Message) -> Option<String> {
    reply.answers.iter().find_map(|r| match &r.data {
        RData::TXT(txt) => Some(txt.to_string()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask_from(source: Ipv4Addr, name: &str, class: DNSClass, rtype: RecordType) -> Message {
        let mut m = Message::new(9, MessageType::Query, OpCode::Query);
        let mut q = Query::query(Name::from_ascii(name).unwrap(), rtype);
        q.set_query_class(class);
        m.add_query(q);
        Message::from_vec(&answer(&m.to_vec().unwrap(), "fra", source).unwrap()).unwrap()
    }

    fn ask(name: &str, class: DNSClass, rtype: RecordType) -> Message {
        ask_from(Ipv4Addr::new(100, 64, 1, 2), name, class, rtype)
    }

    #[test]
    fn dns_steering_answers_by_the_querys_source_not_by_the_pop_asked() {
        let asia = ask_from(Ipv4Addr::new(100, 64, 2, 2), STEERED_NAME, DNSClass::IN, RecordType::A);
        assert_eq!(asia.answers.len(), 1);
        assert_eq!(asia.answers[0].data, RData::A(A::new(198, 51, 100, 3)));
        assert_eq!(asia.answers[0].ttl, STEERED_TTL);
        let eu = ask(STEERED_NAME, DNSClass::IN, RecordType::A);
        assert_eq!(eu.answers[0].data, RData::A(A::new(198, 51, 100, 1)));
        let aaaa = ask(STEERED_NAME, DNSClass::IN, RecordType::AAAA);
        assert_eq!(aaaa.metadata.response_code, ResponseCode::Refused);
    }

    #[test]
    fn a_pop_names_itself_only_to_the_chaos_identity_question() {
        let r = ask("ID.Server.", DNSClass::CH, RecordType::TXT);
        assert_eq!(r.metadata.id, 9);
        assert_eq!(r.answers.len(), 1);
        assert_eq!(r.answers[0].dns_class, DNSClass::CH);
        assert_eq!(r.answers[0].data.to_string(), "fra");
        assert_eq!(ask("hostname.bind.", DNSClass::CH, RecordType::TXT).answers.len(), 1);
        let refused = ask("id.server.", DNSClass::IN, RecordType::TXT);
        assert_eq!(refused.metadata.response_code, ResponseCode::Refused);
        assert!(refused.answers.is_empty());
        assert_eq!(
            ask("example.com.", DNSClass::CH, RecordType::TXT)
                .metadata
                .response_code,
            ResponseCode::Refused
        );
        assert_eq!(answer(b"\x00\x01garbage", "fra", Ipv4Addr::LOCALHOST), None);
    }
}
