//! Response Rate Limiting (RRL) for the sandbox's authoritative servers, as BIND, Knot and NSD
//! do it against reflection attacks.
//!
//! A reflector answers whoever a UDP query claims to come from, so an attacker who forges its
//! victim's address makes the server send its (large) answers there. RRL counts the answers
//! that go to one client network (a /24, or a /56 for IPv6) for one question (name and type):
//! past `responses_per_second`, the server stops answering that question to that network. Of
//! the answers it withholds, every `slip`-th is sent anyway as an empty, truncated one (TC=1):
//! a real client behind the address retries over TCP, which a forged source cannot complete,
//! while the victim receives a small packet instead of a large one. With slip 0 nothing is sent.
//! Queries over TCP are never limited (their source address is proven by the handshake).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use hickory_proto::op::{Header, HeaderCounts, Metadata};
use hickory_server::net::runtime::Time;
use hickory_server::net::xfer::Protocol;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;

/// The limit: answers per second for one question to one client network, and the slip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RrlPolicy {
    pub responses_per_second: u32,
    pub slip: u32,
}

/// What the limiter did, counted as it happened.
#[derive(Debug, Default)]
pub struct RrlCounts {
    pub answered: AtomicU64,
    pub slipped: AtomicU64,
    pub dropped: AtomicU64,
}

impl RrlCounts {
    pub fn get(&self) -> (u64, u64, u64) {
        (
            self.answered.load(Ordering::Relaxed),
            self.slipped.load(Ordering::Relaxed),
            self.dropped.load(Ordering::Relaxed),
        )
    }
}

/// The client network an answer goes to: /24 for IPv4, /56 for IPv6 (BIND's defaults,
/// `ipv4-prefix-length 24`, `ipv6-prefix-length 56`), as one number: an IPv4 network is below
/// 2^32 with its last byte zero, an IPv6 network has its low bit set, so the two never meet.
fn client_network(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4) & 0xFFFF_FF00),
        IpAddr::V6(v6) => (u128::from(v6) & !((1u128 << 72) - 1)) | 1,
    }
}

/// One account: a token bucket of answers for one (client network, name, type).
#[derive(Debug)]
struct Account {
    tokens: f64,
    last: Instant,
    /// Answers withheld so far, to pick every slip-th.
    withheld: u64,
}

/// Most accounts kept: a flood of distinct questions cannot grow the table past this (it is
/// cleared, every account starting again with a full bucket).
const MAX_ACCOUNTS: usize = 65_536;

/// The decision for one query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Answer,
    Slip,
    Drop,
}

/// The accounts, and the decision for each UDP answer.
#[derive(Debug)]
pub struct Accounts {
    policy: RrlPolicy,
    table: HashMap<(u128, String, u16), Account>,
}

impl Accounts {
    pub fn new(policy: RrlPolicy) -> Accounts {
        Accounts {
            policy,
            table: HashMap::new(),
        }
    }

    /// Whether to answer `client`'s question `(name, qtype)` at `now`, slip, or drop.
    pub fn decide(&mut self, client: IpAddr, name: &str, qtype: u16, now: Instant) -> Verdict {
        let key = (client_network(client), name.to_ascii_lowercase(), qtype);
        if self.table.len() >= MAX_ACCOUNTS && !self.table.contains_key(&key) {
            self.table.clear();
        }
        let rate = f64::from(self.policy.responses_per_second);
        let account = self.table.entry(key).or_insert(Account {
            tokens: rate,
            last: now,
            withheld: 0,
        });
        account.tokens = (account.tokens + now.saturating_duration_since(account.last).as_secs_f64() * rate).min(rate);
        account.last = now;
        if account.tokens >= 1.0 {
            account.tokens -= 1.0;
            return Verdict::Answer;
        }
        account.withheld += 1;
        if self.policy.slip > 0 && account.withheld % u64::from(self.policy.slip) == 0 {
            Verdict::Slip
        } else {
            Verdict::Drop
        }
    }
}

/// A request handler with RRL in front of `inner`.
pub struct Limited<H> {
    inner: H,
    accounts: Mutex<Accounts>,
    pub counts: Arc<RrlCounts>,
}

impl<H> Limited<H> {
    pub fn new(inner: H, policy: RrlPolicy, counts: Arc<RrlCounts>) -> Limited<H> {
        Limited {
            inner,
            accounts: Mutex::new(Accounts::new(policy)),
            counts,
        }
    }
}

#[async_trait::async_trait]
impl<H: RequestHandler> RequestHandler for Limited<H> {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        let question = request
            .queries
            .queries()
            .first()
            .map(|q| (q.name().to_string(), u16::from(q.query_type())));
        let verdict = match (&question, request.protocol()) {
            (Some((name, qtype)), Protocol::Udp) => self.accounts.lock().unwrap_or_else(|p| p.into_inner()).decide(
                request.src().ip(),
                name,
                *qtype,
                Instant::now(),
            ),
            _ => Verdict::Answer,
        };
        let mut metadata = Metadata::response_from_request(&request.metadata);
        match verdict {
            Verdict::Answer => {
                self.counts.answered.fetch_add(1, Ordering::Relaxed);
                self.inner.handle_request::<R, T>(request, response_handle).await
            }
            Verdict::Slip => {
                self.counts.slipped.fetch_add(1, Ordering::Relaxed);
                metadata.truncation = true;
                let response =
                    MessageResponseBuilder::new(&request.queries, request.edns.as_ref()).build_no_records(metadata);
                match response_handle.send_response(response).await {
                    Ok(info) => info,
                    Err(_) => header(metadata),
                }
            }
            Verdict::Drop => {
                self.counts.dropped.fetch_add(1, Ordering::Relaxed);
                header(metadata)
            }
        }
    }
}

fn header(metadata: Metadata) -> ResponseInfo {
    ResponseInfo::from(Header {
        metadata,
        counts: HeaderCounts::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn answers_up_to_the_rate_then_slips_every_second_withheld() {
        let mut a = Accounts::new(RrlPolicy {
            responses_per_second: 5,
            slip: 2,
        });
        let t0 = Instant::now();
        let victim: IpAddr = "192.0.2.66".parse().unwrap();
        let verdicts: Vec<Verdict> = (0..9).map(|_| a.decide(victim, "example.com.", 48, t0)).collect();
        use Verdict::*;
        assert_eq!(
            verdicts,
            [Answer, Answer, Answer, Answer, Answer, Drop, Slip, Drop, Slip]
        );
        // Another address of the same /24 shares the account; another question does not.
        let neighbour: IpAddr = "192.0.2.77".parse().unwrap();
        assert_eq!(a.decide(neighbour, "EXAMPLE.com.", 48, t0), Drop);
        assert_eq!(a.decide(victim, "example.com.", 1, t0), Answer);
        let elsewhere: IpAddr = "192.0.3.66".parse().unwrap();
        assert_eq!(a.decide(elsewhere, "example.com.", 48, t0), Answer);
        // 5/s: one answer every 200 ms.
        assert_eq!(
            a.decide(victim, "example.com.", 48, t0 + Duration::from_millis(210)),
            Answer
        );
        assert_ne!(
            a.decide(victim, "example.com.", 48, t0 + Duration::from_millis(220)),
            Answer
        );
    }

    #[test]
    fn slip_zero_never_answers_past_the_rate() {
        let mut a = Accounts::new(RrlPolicy {
            responses_per_second: 1,
            slip: 0,
        });
        let t0 = Instant::now();
        let v: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(a.decide(v, "x.", 16, t0), Verdict::Answer);
        assert!((0..10).all(|_| a.decide(v, "x.", 16, t0) == Verdict::Drop));
        // The same /56.
        let v2: IpAddr = "2001:db8:0:ff::2".parse().unwrap();
        assert_eq!(a.decide(v2, "x.", 16, t0), Verdict::Drop);
    }
}
