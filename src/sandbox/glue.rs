//! Glue for referrals. hickory-server answers a query below a zone cut with the delegation's NS
//! records but no addresses for them; real authoritative servers add the glue A/AAAA records
//! they hold (RFC 1034 §4.3.2 step 3b, RFC 9471), and a referral without them forces a
//! resolver into extra lookups. This wrapper adds them, and changes nothing else.

use std::sync::Arc;

use hickory_proto::rr::{LowerName, RecordType, RrKey};
use hickory_server::net::runtime::TokioRuntimeProvider;
use hickory_server::server::{Request, RequestInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{
    AuthLookup, AxfrPolicy, LookupControlFlow, LookupError, LookupOptions, LookupRecords, ZoneHandler, ZoneType,
};

/// An in-memory zone whose referrals carry glue.
pub struct GlueZone {
    pub inner: InMemoryZoneHandler<TokioRuntimeProvider>,
}

impl GlueZone {
    /// Adds the address records of the NS targets this zone holds to a referral.
    async fn with_glue(
        &self,
        result: LookupControlFlow<AuthLookup>,
        rtype: RecordType,
        options: LookupOptions,
    ) -> LookupControlFlow<AuthLookup> {
        let wrap = |r: Result<AuthLookup, LookupError>, cont: bool| {
            if cont {
                LookupControlFlow::Continue(r)
            } else {
                LookupControlFlow::Break(r)
            }
        };
        let (result, cont) = match result {
            LookupControlFlow::Continue(r) => (r, true),
            LookupControlFlow::Break(r) => (r, false),
            LookupControlFlow::Skip => return LookupControlFlow::Skip,
        };
        let Ok(AuthLookup::Records { answers, additionals }) = result else {
            return wrap(result, cont);
        };
        // A referral (NS records below the apex, for a query of another type), or the NS set
        // itself (an NS query, as dig +trace sends first): both need the servers' addresses.
        // With DO=1 the set comes with its RRSIGs; judge it by the records they sign.
        let ns_only = {
            let mut records = answers
                .iter()
                .filter(|r| r.record_type() != RecordType::RRSIG)
                .peekable();
            records.peek().is_some() && records.all(|r| r.record_type() == RecordType::NS)
        };
        let is_referral = ns_only
            && rtype != RecordType::NS
            && answers
                .iter()
                .next()
                .is_some_and(|r| LowerName::from(&r.name) != *self.inner.origin());
        if !(is_referral || (ns_only && rtype == RecordType::NS)) {
            return wrap(Ok(AuthLookup::Records { answers, additionals }), cont);
        }
        let targets: Vec<LowerName> = answers
            .iter()
            .filter_map(|r| {
                if let hickory_proto::rr::RData::NS(ns) = &r.data {
                    Some(LowerName::from(&ns.0))
                } else {
                    None
                }
            })
            .collect();
        let zone = self.inner.records().await;
        let glue: Vec<_> = targets
            .iter()
            .flat_map(|t| [RecordType::A, RecordType::AAAA].map(|ty| zone.get(&RrKey::new(t.clone(), ty)).cloned()))
            .flatten()
            .collect();
        let additionals = (!glue.is_empty()).then(|| LookupRecords::many(options, glue));
        wrap(Ok(AuthLookup::Records { answers, additionals }), cont)
    }
}

#[async_trait::async_trait]
impl ZoneHandler for GlueZone {
    fn zone_type(&self) -> ZoneType {
        self.inner.zone_type()
    }

    fn axfr_policy(&self) -> AxfrPolicy {
        self.inner.axfr_policy()
    }

    fn origin(&self) -> &LowerName {
        self.inner.origin()
    }

    async fn lookup(
        &self,
        name: &LowerName,
        rtype: RecordType,
        request_info: Option<&RequestInfo<'_>>,
        options: LookupOptions,
    ) -> LookupControlFlow<AuthLookup> {
        let result = self.inner.lookup(name, rtype, request_info, options).await;
        self.with_glue(result, rtype, options).await
    }

    async fn search(
        &self,
        request: &Request,
        options: LookupOptions,
    ) -> (
        LookupControlFlow<AuthLookup>,
        Option<hickory_proto::rr::TSigResponseContext>,
    ) {
        let info = match request.request_info() {
            Ok(info) => info,
            Err(e) => return (LookupControlFlow::Break(Err(e)), None),
        };
        let rtype = info.query.query_type();
        let (result, tsig) = self.inner.search(request, options).await;
        (self.with_glue(result, rtype, options).await, tsig)
    }

    async fn nsec3_records(
        &self,
        info: hickory_server::zone_handler::Nsec3QueryInfo<'_>,
        options: LookupOptions,
    ) -> LookupControlFlow<AuthLookup> {
        self.inner.nsec3_records(info, options).await
    }

    fn nx_proof_kind(&self) -> Option<&hickory_server::dnssec::NxProofKind> {
        self.inner.nx_proof_kind()
    }

    fn can_validate_dnssec(&self) -> bool {
        self.inner.can_validate_dnssec()
    }

    async fn nsec_records(&self, name: &LowerName, options: LookupOptions) -> LookupControlFlow<AuthLookup> {
        self.inner.nsec_records(name, options).await
    }
}

/// Wraps a zone handler for the catalog.
pub fn glue_zone(inner: InMemoryZoneHandler<TokioRuntimeProvider>) -> Arc<dyn ZoneHandler> {
    Arc::new(GlueZone { inner })
}
