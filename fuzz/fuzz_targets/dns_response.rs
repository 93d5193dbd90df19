//! DNS responses as netlab believes and reads them: `dns::wire::check_response` against the
//! query they claim to answer (the ID and question taken from the message itself, so the checks
//! after the ID are reached, and against a fixed question), then what is read from a believed
//! one: flags, rcode, Extended DNS Errors, each record in presentation form (`dns::present`),
//! and the NSEC and NSEC3 denial proofs over its authority section with the DNSKEYs it carries
//! (`dns::dnssec`, `dns::nsec3`).
#![no_main]

use hickory_proto::dnssec::rdata::DNSSECRData;
use hickory_proto::op::Message;
use hickory_proto::rr::{Name, RData, RecordType};
use libfuzzer_sys::fuzz_target;
use netlab::dns::wire::{self, Question};
use netlab::dns::{dnssec, nsec3};

/// 2026-01-01: a fixed "now" for signature validity.
const NOW: u32 = 1_767_225_600;

fn read(m: &Message, q: &Question) {
    let _ = wire::flags(m);
    let _ = wire::rcode(m);
    let _ = wire::extended_errors(m);
    let _ = wire::extended_error_codes(m);
    for section in [&m.answers, &m.authorities, &m.additionals] {
        let _ = wire::views(section);
        for r in section.iter() {
            let _ = wire::address_of(r);
        }
    }
    let keys: Vec<_> = m
        .answers
        .iter()
        .chain(&m.authorities)
        .filter_map(|r| match &r.data {
            RData::DNSSEC(DNSSECRData::DNSKEY(k)) => Some(k.clone()),
            _ => None,
        })
        .collect();
    let zone = q.name.base_name();
    let authority = &m.authorities;
    let _ = dnssec::nsec_proves_nodata(authority, &q.name, q.rtype, &keys, NOW);
    let _ = dnssec::nsec_proves_nxdomain(authority, &q.name, &keys, NOW);
    let _ = dnssec::ds_records(authority, &q.name);
    if nsec3::present(authority, &zone) {
        let _ = nsec3::proves_nxdomain(authority, &zone, &q.name, &keys, NOW);
        let _ = nsec3::proves_nodata(authority, &zone, &q.name, q.rtype, &keys, NOW);
        let _ = nsec3::proves_wildcard_answer(authority, &zone, &q.name, &zone, &keys, NOW);
    }
}

fuzz_target!(|data: &[u8]| {
    let fixed = Question {
        name: Name::from_ascii("www.example.com.").expect("a name"),
        rtype: RecordType::A,
    };
    let id = data.get(..2).map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
    let own = Message::from_vec(data).ok().and_then(|m| {
        m.queries.first().map(|q| Question {
            name: q.name().clone(),
            rtype: q.query_type(),
        })
    });
    for q in own.iter().chain([&fixed]) {
        if let Ok(m) = wire::check_response(data, id, q) {
            read(&m, q);
        }
    }
});
