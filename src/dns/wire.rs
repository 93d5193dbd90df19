//! DNS messages on the wire, through hickory-proto: building queries, and deciding whether a
//! response is believable before anything in it is used (RFC 5452: match the ID, the question
//! and the source). Conversion into netlab's own serde types happens here and nowhere else.

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

use super::events::{RecordView, Validity};

/// Longest name in presentation form (RFC 1035 §2.3.4: 255 octets on the wire).
pub const MAX_NAME: usize = 253;
/// Longest label (RFC 1035 §2.3.4).
pub const MAX_LABEL: usize = 63;
/// At most this many records of a section are kept in the trace; the rest are counted.
pub const MAX_LISTED_RECORDS: usize = 64;

/// The question of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub name: Name,
    pub rtype: RecordType,
}

/// Why a name typed by a person is not a domain name (RFC 1035 §2.3.4 limits).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("the name is empty")]
    Empty,
    /// Two dots in a row, or a leading dot.
    #[error("'{name}' has an empty label (two dots in a row, or a leading dot)")]
    EmptyLabel { name: String },
    /// A label as typed is longer than [`MAX_LABEL`].
    #[error("the label '{label}' is {len} octets long; the limit is {MAX_LABEL}")]
    LongLabel { label: String, len: usize },
    /// A label is longer than [`MAX_LABEL`] once converted to punycode.
    #[error("a label of '{name}' is {len} octets long; the limit is {MAX_LABEL}")]
    LongAsciiLabel { name: String, len: usize },
    /// The whole name is longer than [`MAX_NAME`].
    #[error("'{name}' is {len} characters long; the limit is {MAX_NAME}")]
    Long { name: String, len: usize },
    /// hickory's IDNA conversion refused it.
    #[error("'{name}' is not a valid name: {why}")]
    Invalid { name: String, why: String },
}

/// Reads a name typed by a person; internationalised labels become punycode (RFC 5891).
/// Returns the name and, when it changed, the ASCII form.
pub fn parse_name(input: &str) -> Result<(Name, Option<String>), NameError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(NameError::Empty);
    }
    let body = trimmed.strip_suffix('.').unwrap_or(trimmed);
    if !body.is_empty() {
        for label in body.split('.') {
            if label.is_empty() {
                return Err(NameError::EmptyLabel { name: trimmed.into() });
            }
            if label.is_ascii() && label.len() > MAX_LABEL {
                return Err(NameError::LongLabel {
                    label: label.into(),
                    len: label.len(),
                });
            }
        }
    }
    if body.is_ascii() && body.len() > MAX_NAME {
        return Err(NameError::Long {
            name: trimmed.into(),
            len: body.len(),
        });
    }
    let name = Name::from_utf8(trimmed).map_err(|e| NameError::Invalid {
        name: trimmed.into(),
        why: e.to_string(),
    })?;
    let ascii = name.to_ascii();
    for label in ascii.trim_end_matches('.').split('.') {
        if label.len() > MAX_LABEL {
            return Err(NameError::LongAsciiLabel {
                name: trimmed.into(),
                len: label.len(),
            });
        }
    }
    if ascii.trim_end_matches('.').len() > MAX_NAME {
        return Err(NameError::Long {
            name: trimmed.into(),
            len: ascii.len(),
        });
    }
    let mut name = name;
    name.set_fqdn(true);
    let converted = (!trimmed.is_ascii()).then(|| name.to_ascii());
    Ok((name, converted))
}

/// A record type name that is neither a known mnemonic nor `TYPEnn` (RFC 3597 §5).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a record type (A, AAAA, CNAME, NS, MX, TXT, SOA, CAA, SRV, PTR, HTTPS, SVCB, DS, DNSKEY, ...)")]
pub struct UnknownType(pub String);

/// Reads a record type name (`A`, `aaaa`, `HTTPS`, `TYPE65`).
pub fn read_type(input: &str) -> Result<RecordType, UnknownType> {
    let upper = input.trim().to_ascii_uppercase();
    if let Some(n) = upper.strip_prefix("TYPE").and_then(|n| n.parse::<u16>().ok()) {
        return Ok(RecordType::from(n));
    }
    upper.parse::<RecordType>().map_err(|_| UnknownType(input.into()))
}

/// The reverse-lookup name of an address (RFC 1035 §3.5, RFC 3596 §2.5).
pub fn reverse_name(ip: std::net::IpAddr) -> Name {
    Name::from(ip)
}

/// Encodes a query. `edns` is the UDP payload size to offer, or none for plain DNS.
pub fn build_query(id: u16, q: &Question, recursion_desired: bool, edns: Option<u16>, dnssec_ok: bool) -> Vec<u8> {
    let mut m = Message::new(id, MessageType::Query, OpCode::Query);
    m.metadata.recursion_desired = recursion_desired;
    let mut query = Query::query(q.name.clone(), q.rtype);
    query.set_query_class(DNSClass::IN);
    m.add_query(query);
    if let Some(size) = edns {
        let mut e = Edns::new();
        e.set_max_payload(size);
        e.set_dnssec_ok(dnssec_ok);
        m.set_edns(e);
    }
    m.to_vec().unwrap_or_default()
}

/// Encodes a stub query to a recursive resolver: RD=1, EDNS with netlab's payload size. With
/// `dnssec`, DO=1 (RFC 3225: send the DNSSEC records) and AD=1 (RFC 6840 §5.7: say whether you
/// validated), as `dig +dnssec` asks.
pub fn build_stub_query(id: u16, q: &Question, dnssec: bool) -> Message {
    let mut m = Message::new(id, MessageType::Query, OpCode::Query);
    m.metadata.recursion_desired = true;
    m.metadata.authentic_data = dnssec;
    let mut query = Query::query(q.name.clone(), q.rtype);
    query.set_query_class(DNSClass::IN);
    m.add_query(query);
    let mut e = Edns::new();
    e.set_max_payload(super::walk::EDNS_BUFFER);
    e.set_dnssec_ok(dnssec);
    m.set_edns(e);
    m
}

/// Why a response is not believed as the answer to a query (RFC 5452 §4.1: the ID and the
/// question must match; RFC 1035 §4.1.1: QR=1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unbelieved {
    /// The bytes do not decode as a DNS message.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// QR=0: a query, not a response.
    #[error("not a response (QR=0)")]
    NotResponse,
    #[error("ID {got:#06x} does not match the query's {want:#06x}")]
    Id { got: u16, want: u16 },
    #[error("question type {got} is not {want}")]
    QuestionType { got: RecordType, want: RecordType },
    #[error("question {got} does not match {want}")]
    Question { got: String, want: String },
    /// Not exactly one question (and not an error response without one).
    #[error("{0} questions instead of one")]
    QuestionCount(usize),
}

/// Decodes `bytes` and checks that it answers query `id` for `q`; the error is why it is not
/// believed.
pub fn check_response(bytes: &[u8], id: u16, q: &Question) -> Result<Message, Unbelieved> {
    let m = Message::from_vec(bytes).map_err(|e| Unbelieved::Malformed(e.to_string()))?;
    if m.metadata.message_type != MessageType::Response {
        return Err(Unbelieved::NotResponse);
    }
    if m.metadata.id != id {
        return Err(Unbelieved::Id {
            got: m.metadata.id,
            want: id,
        });
    }
    match m.queries.as_slice() {
        [query] if query.name().eq_case(&q.name) || query.name() == &q.name => {
            if query.query_type() != q.rtype {
                return Err(Unbelieved::QuestionType {
                    got: query.query_type(),
                    want: q.rtype,
                });
            }
            Ok(m)
        }
        [query] => Err(Unbelieved::Question {
            got: query.name().to_string(),
            want: q.name.to_string(),
        }),
        _ if m.metadata.response_code != hickory_proto::op::ResponseCode::NoError && m.queries.is_empty() => Ok(m),
        other => Err(Unbelieved::QuestionCount(other.len())),
    }
}

/// A record in presentation form.
pub fn record_view(r: &Record) -> RecordView {
    let validity = match &r.data {
        RData::DNSSEC(hickory_proto::dnssec::rdata::DNSSECRData::RRSIG(s)) => Some(Validity {
            inception: s.input().sig_inception.get(),
            expiration: s.input().sig_expiration.get(),
            seen: super::dnssec::now(),
        }),
        _ => None,
    };
    RecordView {
        name: r.name.to_string(),
        ttl: r.ttl,
        rtype: r.record_type().to_string(),
        data: super::present::rdata(&r.data),
        strings: super::present::txt_strings(&r.data),
        validity,
    }
}

/// Up to [`MAX_LISTED_RECORDS`] of `records`, and how many were left out.
pub fn views(records: &[Record]) -> (Vec<RecordView>, u64) {
    let listed = records.iter().take(MAX_LISTED_RECORDS).map(record_view).collect();
    (listed, records.len().saturating_sub(MAX_LISTED_RECORDS) as u64)
}

/// The header flags that are set, by their RFC 1035 / RFC 4035 names.
pub fn flags(m: &Message) -> Vec<String> {
    let h = &m.metadata;
    [
        ("AA", h.authoritative),
        ("TC", h.truncation),
        ("RD", h.recursion_desired),
        ("RA", h.recursion_available),
        ("AD", h.authentic_data),
        ("CD", h.checking_disabled),
    ]
    .iter()
    .filter(|(_, on)| *on)
    .map(|(n, _)| n.to_string())
    .collect()
}

/// The response code's mnemonic (RFC 1035 §4.1.1, RFC 6895 §2.3): NOERROR, NXDOMAIN, ...
pub fn rcode(m: &Message) -> String {
    rcode_name(u16::from(m.metadata.response_code))
}

/// The mnemonic of a response code number.
pub fn rcode_name(code: u16) -> String {
    match code {
        0 => "NOERROR".into(),
        1 => "FORMERR".into(),
        2 => "SERVFAIL".into(),
        3 => "NXDOMAIN".into(),
        4 => "NOTIMP".into(),
        5 => "REFUSED".into(),
        6 => "YXDOMAIN".into(),
        7 => "YXRRSET".into(),
        8 => "NXRRSET".into(),
        9 => "NOTAUTH".into(),
        10 => "NOTZONE".into(),
        16 => "BADVERS".into(),
        n => format!("RCODE{n}"),
    }
}

/// The EDE options' payloads (RFC 8914 §2: a two-octet INFO-CODE, then EXTRA-TEXT).
fn extended_error_options(m: &Message) -> Vec<(u16, &[u8])> {
    let Some(edns) = &m.edns else { return Vec::new() };
    edns.options()
        .get_all(hickory_proto::rr::rdata::opt::EdnsCode::Unknown(15))
        .into_iter()
        .filter_map(|o| match o {
            hickory_proto::rr::rdata::opt::EdnsOption::Unknown(_, data) if data.len() >= 2 => {
                Some((u16::from_be_bytes([data[0], data[1]]), &data[2..]))
            }
            _ => None,
        })
        .collect()
}

/// Extended DNS Errors (RFC 8914, EDNS option 15): "INFO-CODE (name): text".
pub fn extended_errors(m: &Message) -> Vec<String> {
    extended_error_options(m)
        .into_iter()
        .map(|(code, text)| format!("{code} ({}): {}", ede_name(code), String::from_utf8_lossy(text)))
        .collect()
}

/// The Extended DNS Errors' info-codes alone.
pub fn extended_error_codes(m: &Message) -> Vec<u16> {
    extended_error_options(m).into_iter().map(|(code, _)| code).collect()
}

/// RFC 8914 §4 info-code names.
fn ede_name(code: u16) -> &'static str {
    match code {
        0 => "Other Error",
        1 => "Unsupported DNSKEY Algorithm",
        2 => "Unsupported DS Digest Type",
        3 => "Stale Answer",
        4 => "Forged Answer",
        5 => "DNSSEC Indeterminate",
        6 => "DNSSEC Bogus",
        7 => "Signature Expired",
        8 => "Signature Not Yet Valid",
        9 => "DNSKEY Missing",
        10 => "RRSIGs Missing",
        11 => "No Zone Key Bit Set",
        12 => "NSEC Missing",
        13 => "Cached Error",
        14 => "Not Ready",
        15 => "Blocked",
        16 => "Censored",
        17 => "Filtered",
        18 => "Prohibited",
        19 => "Stale NXDOMAIN Answer",
        20 => "Not Authoritative",
        21 => "Not Supported",
        22 => "No Reachable Authority",
        23 => "Network Error",
        24 => "Invalid Data",
        _ => "unassigned",
    }
}

/// The address in an A or AAAA record.
pub fn address_of(r: &Record) -> Option<std::net::IpAddr> {
    match &r.data {
        RData::A(a) => Some(std::net::IpAddr::V4(a.0)),
        RData::AAAA(a) => Some(std::net::IpAddr::V6(a.0)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_with_clear_errors() {
        assert_eq!(parse_name("www.example.com").unwrap().0.to_string(), "www.example.com.");
        assert_eq!(
            parse_name("bücher.example").unwrap().1.as_deref(),
            Some("xn--bcher-kva.example.")
        );
        assert!(parse_name("a..b").unwrap_err().to_string().contains("empty label"));
        assert!(parse_name(&format!("{}.com", "a".repeat(64)))
            .unwrap_err()
            .to_string()
            .contains("the limit is 63"));
        let long = vec!["abcdefghij"; 26].join(".");
        assert!(parse_name(&long).unwrap_err().to_string().contains("the limit is 253"));
        assert!(parse_name("").is_err());
    }

    #[test]
    fn types() {
        assert_eq!(read_type("aaaa").unwrap(), RecordType::AAAA);
        assert_eq!(read_type("HTTPS").unwrap(), RecordType::HTTPS);
        assert_eq!(read_type("TYPE65").unwrap(), RecordType::HTTPS);
        assert!(read_type("BOGUS")
            .unwrap_err()
            .to_string()
            .contains("not a record type"));
    }

    #[test]
    fn responses_must_match_id_and_question() {
        let q = Question {
            name: Name::from_ascii("example.com.").unwrap(),
            rtype: RecordType::A,
        };
        let mut m = Message::new(7, MessageType::Response, OpCode::Query);
        m.add_query(Query::query(q.name.clone(), RecordType::A));
        let ok = m.to_vec().unwrap();
        assert!(check_response(&ok, 7, &q).is_ok());
        assert!(check_response(&ok, 8, &q)
            .unwrap_err()
            .to_string()
            .contains("does not match the query's"));
        let other = Question {
            name: Name::from_ascii("example.net.").unwrap(),
            rtype: RecordType::A,
        };
        assert!(check_response(&ok, 7, &other)
            .unwrap_err()
            .to_string()
            .contains("question example.com."));
        assert!(check_response(b"\x00\x07garbage", 7, &q)
            .unwrap_err()
            .to_string()
            .starts_with("malformed"));
        let query_bytes = build_query(7, &q, false, Some(1232), false);
        assert!(check_response(&query_bytes, 7, &q)
            .unwrap_err()
            .to_string()
            .contains("QR=0"));
    }
}
