//! Referrals as real authoritative servers send them. hickory-server's catalog sets AA=1 on
//! every response from a zone it holds, referrals included, and answers an NS query for a
//! delegated child with the child's NS set in the answer section. But a server is an authority
//! only for the names of its own zone (RFC 1034 §4.3.2 step 3b: a referral copies the NS records
//! "into the authority section of the reply"; RFC 1035 §4.1.1: AA "specifies that the
//! responding name server is an authority for the domain name in question section"), and a
//! delegation's NS records belong to the child zone. Root and TLD servers therefore send
//! referrals with AA=0 and the NS set in the authority section. This request handler wraps the
//! catalog and makes every referral look like theirs; other responses pass unchanged.

use std::sync::Arc;

use hickory_proto::op::{Message, Metadata, ResponseCode};
use hickory_proto::rr::{LowerName, Record, RecordType};
use hickory_proto::serialize::binary::{BinDecoder, BinEncoder};
use hickory_server::net::runtime::Time;
use hickory_server::net::NetError;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::{Catalog, MessageResponse, MessageResponseBuilder, Queries};

/// The sandbox's authoritative catalog, with referrals sent as real servers send them.
pub struct Authoritative(pub Catalog);

#[async_trait::async_trait]
impl RequestHandler for Authoritative {
    async fn handle_request<R: ResponseHandler, T: Time>(&self, request: &Request, response_handle: R) -> ResponseInfo {
        // The zone that will answer: the catalog's closest enclosing zone of the name asked.
        let origin = request
            .queries
            .queries()
            .first()
            .and_then(|q| self.0.find(q.name()))
            .and_then(|handlers| handlers.first())
            .map(|h| h.origin().clone());
        let Some(origin) = origin else {
            return self.0.handle_request::<R, T>(request, response_handle).await;
        };
        let handle = ReferralHandle {
            inner: response_handle,
            origin,
            queries: Arc::from(request.queries.as_bytes()),
            count: request.queries.len(),
        };
        self.0.handle_request::<_, T>(request, handle).await
    }
}

/// A response handle that rewrites referrals from `origin`'s zone before the real handle sends
/// them.
#[derive(Clone)]
struct ReferralHandle<R> {
    inner: R,
    origin: LowerName,
    /// The request's question section as it came, to rebuild the response around it.
    queries: Arc<[u8]>,
    count: usize,
}

#[async_trait::async_trait]
impl<R: ResponseHandler> ResponseHandler for ReferralHandle<R> {
    async fn send_response<'a>(
        &mut self,
        response: MessageResponse<
            '_,
            'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
        >,
    ) -> Result<ResponseInfo, NetError> {
        // The response's sections are iterators: emit them to read them (the real handle
        // applies the client's size limit when it encodes the rebuilt response).
        let edns = response.edns();
        let mut bytes = Vec::with_capacity(512);
        response.destructive_emit(&mut BinEncoder::new(&mut bytes))?;
        let mut message = Message::from_vec(&bytes)?;
        as_real_referral(&mut message, &self.origin);
        let queries = Queries::read(&mut BinDecoder::new(&self.queries), self.count)?;
        let rebuilt = MessageResponseBuilder::new(&queries, edns).build(
            message.metadata,
            &message.answers,
            &message.authorities,
            std::iter::empty(),
            &message.additionals,
        );
        self.inner.send_response(rebuilt).await
    }
}

/// Turns a referral from `origin`'s zone into one as RFC 1034 §4.3.2 describes: the child's NS
/// set in the authority section, AA clear. Leaves any other message alone.
fn as_real_referral(message: &mut Message, origin: &LowerName) {
    if !is_referral(&message.metadata, &message.answers, &message.authorities, origin) {
        return;
    }
    let moved = std::mem::take(&mut message.answers);
    message.authorities.splice(0..0, moved);
    message.metadata.authoritative = false;
}

/// Whether a NOERROR response from `origin`'s zone delegates: NS records for a zone strictly
/// below `origin`, no SOA (a negative answer carries one), and no answer except that NS set
/// (which hickory puts in the answer section when the question was NS).
fn is_referral(metadata: &Metadata, answers: &[Record], authorities: &[Record], origin: &LowerName) -> bool {
    let below = |r: &Record| r.record_type() == RecordType::NS && is_below(&LowerName::from(&r.name), origin);
    let signed_ns = |r: &Record| below(r) || r.record_type() == RecordType::RRSIG;
    metadata.response_code == ResponseCode::NoError
        && !authorities.iter().any(|r| r.record_type() == RecordType::SOA)
        && answers.iter().all(signed_ns)
        && answers.iter().chain(authorities).any(below)
}

/// `name` is strictly below `zone`.
fn is_below(name: &LowerName, zone: &LowerName) -> bool {
    zone.zone_of(name) && name != zone
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::MessageType;
    use hickory_proto::rr::rdata::{A, NS, SOA};
    use hickory_proto::rr::{Name, RData};

    fn name(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    fn ns(owner: &str, target: &str) -> Record {
        Record::from_rdata(name(owner), 3600, RData::NS(NS(name(target))))
    }

    fn authoritative() -> Message {
        let mut m = Message::new(1, MessageType::Response, hickory_proto::op::OpCode::Query);
        m.metadata.authoritative = true;
        m
    }

    #[test]
    fn a_referral_from_the_root_loses_aa() {
        let mut m = authoritative();
        m.authorities.push(ns("com.", "a.gtld-servers.test."));
        as_real_referral(&mut m, &LowerName::from(Name::root()));
        assert!(!m.metadata.authoritative);
        assert_eq!(m.authorities.len(), 1);
    }

    #[test]
    fn an_ns_query_for_a_child_gets_its_ns_set_in_the_authority_section() {
        let mut m = authoritative();
        m.answers.push(ns("example.com.", "ns1.example.com."));
        as_real_referral(&mut m, &LowerName::from(name("com.")));
        assert!(!m.metadata.authoritative);
        assert!(m.answers.is_empty());
        assert_eq!(m.authorities[0].name, name("example.com."));
    }

    #[test]
    fn answers_and_the_zones_own_ns_set_stay_authoritative() {
        let apex = LowerName::from(name("example.com."));
        let mut own = authoritative();
        own.answers.push(ns("example.com.", "ns1.example.com."));
        as_real_referral(&mut own, &apex);
        assert!(own.metadata.authoritative && own.answers.len() == 1);

        let mut answer = authoritative();
        let a = Record::from_rdata(name("www.example.com."), 60, RData::A(A::new(192, 0, 2, 10)));
        answer.answers.push(a);
        answer.authorities.push(ns("sub.example.com.", "ns.sub.example.com."));
        as_real_referral(&mut answer, &apex);
        assert!(answer.metadata.authoritative);
    }

    #[test]
    fn a_negative_answer_stays_authoritative() {
        let mut m = authoritative();
        let soa = SOA::new(name("ns1.example.com."), name("h.example.com."), 1, 2, 3, 4, 5);
        m.authorities
            .push(Record::from_rdata(name("example.com."), 60, RData::SOA(soa)));
        m.authorities.push(ns("sub.example.com.", "ns.sub.example.com."));
        as_real_referral(&mut m, &LowerName::from(name("example.com.")));
        assert!(m.metadata.authoritative);
    }
}
