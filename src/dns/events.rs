//! What a DNS walk records: every query sent, every response (believed or ignored), and what
//! each response means. Plain serde data: hickory's types stop at [`super::wire`].

use serde::{Deserialize, Serialize};

/// One step of a walk, tagged `"type": "dns.<name>"` in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum DnsEvent {
    /// An internationalised name was converted to its ASCII (punycode) form (RFC 5891).
    #[serde(rename = "dns.idn")]
    Idn { input: String, ascii: String },
    #[serde(rename = "dns.query")]
    Query(QuerySent),
    #[serde(rename = "dns.response")]
    Response(ResponseSeen),
    /// A packet that arrived but was not believed (wrong source, ID or question; malformed).
    #[serde(rename = "dns.ignored")]
    Ignored {
        depth: u8,
        server: Server,
        reason: String,
        size: usize,
    },
    /// No believable answer within the per-attempt timeout.
    #[serde(rename = "dns.timeout")]
    Timeout {
        depth: u8,
        server: Server,
        transport: String,
        timeout_ms: u64,
    },
    /// The packet could not be sent or the connection failed.
    #[serde(rename = "dns.unreachable")]
    Unreachable {
        depth: u8,
        server: Server,
        transport: String,
        error: String,
    },
    /// A glueless delegation: the name server's own address must be looked up first.
    #[serde(rename = "dns.subwalk")]
    SubWalk { depth: u8, ns: String, for_zone: String },
    /// A CNAME was followed to its target.
    #[serde(rename = "dns.cname")]
    Cname {
        depth: u8,
        from: String,
        to: String,
        hop: u8,
    },
    /// A DNSSEC finding about one link of the chain of trust: a zone's keys (`dnskey`), the DS
    /// its parent signed (`ds`), or the signatures on an answer (`answer`).
    #[serde(rename = "dns.dnssec")]
    Dnssec {
        depth: u8,
        zone: String,
        check: String,
        status: crate::dns::dnssec::Status,
        detail: String,
    },
    /// The NSEC3 records a denial (or a wildcard answer) was proven with (RFC 5155 §8): each
    /// name checked, its hash, and the NSEC3 that matches or covers it.
    #[serde(rename = "dns.nsec3")]
    Nsec3 {
        depth: u8,
        zone: String,
        /// The name and type the proof is about.
        name: String,
        rtype: String,
        /// `nxdomain`, `nodata`, `opt-out` (no signed delegation, §6) or `wildcard` (the answer
        /// was expanded from a wildcard, §8.8).
        proof: String,
        steps: Vec<Nsec3Step>,
    },
    /// Stub mode: one question to a recursive resolver, and what it said.
    #[serde(rename = "dns.stub")]
    Stub(StubExchange),
    /// The walk's end: the path, the counts and the final answer.
    #[serde(rename = "dns.summary")]
    Summary(Summary),
}

/// How an NSEC3 record relates to a name's hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Nsec3Use {
    /// The record's owner is the hash: the name exists.
    Matches,
    /// The hash falls between the owner and the next hash: no name has it.
    Covers,
}

/// One name of an NSEC3 proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nsec3Step {
    /// `closest encloser`, `next closer`, `wildcard` or `name`.
    pub role: String,
    pub name: String,
    /// Its NSEC3 hash in base32hex (RFC 5155 §5).
    pub hash: String,
    /// The owner of the NSEC3 record used, and that record's next hashed owner name.
    pub nsec3: String,
    pub next_hash: String,
    pub relation: Nsec3Use,
    /// The record's opt-out flag (RFC 5155 §6).
    pub opt_out: bool,
    /// The record's type bitmap: the types at the hashed name.
    pub types: Vec<String>,
}

/// A name server as the walk knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Server {
    /// Its host name (`a.root-servers.net.`), or its address when the name is unknown.
    pub name: String,
    /// The address the DNS talks about (from root hints or glue).
    pub address: String,
    /// The socket the packets really went to, when that differs (the sandbox's loopback socket).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

/// A query as sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuerySent {
    /// Nesting: 0 for the main walk, 1 inside a glueless sub-walk, ...
    pub depth: u8,
    /// The zone this server is believed to serve (`.` for the root).
    pub zone: String,
    pub server: Server,
    /// `udp` or `tcp`.
    pub transport: String,
    pub id: u16,
    pub source_port: u16,
    pub qname: String,
    pub qtype: String,
    /// RD: recursion desired (off in an iterative walk).
    pub recursion_desired: bool,
    /// The EDNS0 UDP payload size offered (RFC 6891), none without EDNS.
    pub edns_buffer: Option<u16>,
    /// DO: DNSSEC records wanted (RFC 3225).
    pub dnssec_ok: bool,
    pub size: usize,
}

/// A DNS record in presentation form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordView {
    pub name: String,
    pub ttl: u32,
    pub rtype: String,
    /// The record data as `dig +short` prints it (RFC 1035 §5.1; RFC 9460 §2.1 for SVCB).
    pub data: String,
    /// TXT: its strings, one element each, as text (RFC 1035 §3.3.14).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strings: Option<Vec<String>>,
    /// RRSIG: its validity period (RFC 4034 §3.1.5), and when netlab saw it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity: Option<Validity>,
}

/// When an RRSIG may be used: from `inception` to `expiration`, seconds since the Unix epoch
/// (RFC 4034 §3.1.5); `seen` is when the record arrived, what "expires in 7 days" counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validity {
    pub inception: u32,
    pub expiration: u32,
    pub seen: u32,
}

/// A believed response and what it means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseSeen {
    pub depth: u8,
    pub server: Server,
    pub transport: String,
    pub id: u16,
    /// Round-trip time in microseconds.
    pub rtt_us: u64,
    pub size: usize,
    /// NOERROR, NXDOMAIN, SERVFAIL, REFUSED, FORMERR, ...
    pub rcode: String,
    /// Header flags that are set: AA, TC, RD, RA, AD, CD.
    pub flags: Vec<String>,
    pub answers: Vec<RecordView>,
    pub authority: Vec<RecordView>,
    pub additional: Vec<RecordView>,
    /// Records beyond the listing bound (a response may carry hundreds).
    #[serde(default)]
    pub unlisted_records: u64,
    /// Extended DNS Errors (RFC 8914): "code: text".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extended_errors: Vec<String>,
    pub meaning: Meaning,
}

/// What a response means for the walk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Meaning {
    /// Go ask these servers: the zone cut, its NS set, and the glue that came with it.
    Referral {
        zone: String,
        ns: Vec<String>,
        glue: Vec<String>,
    },
    /// The records asked for.
    Answer,
    /// The name is an alias; the walk follows it.
    Cname { target: String },
    /// The name does not exist (RCODE 3); cached for the SOA's negative TTL (RFC 2308 §5).
    Nxdomain {
        soa: Option<String>,
        negative_ttl: Option<u32>,
    },
    /// The name exists but has no records of this type (RFC 2308 §2.2).
    Nodata {
        soa: Option<String>,
        negative_ttl: Option<u32>,
    },
    /// TC=1: the answer did not fit in UDP; the same question goes again over TCP (RFC 7766).
    Truncated,
    /// The server did not understand EDNS0 (FORMERR); asked again without it (RFC 6891 §7).
    NoEdns,
    /// Not usable from this server: REFUSED, SERVFAIL, lame, a referral that goes nowhere...
    Unusable { why: String },
}

/// The end of a walk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub qname: String,
    pub qtype: String,
    /// Zones visited in order: `.`, `com.`, `example.com.`.
    pub path: Vec<String>,
    pub referrals: u32,
    pub cnames: u32,
    pub queries: u32,
    pub elapsed_ms: u64,
    /// `answer`, `nxdomain`, `nodata` or `failed`.
    pub result: String,
    pub answers: Vec<RecordView>,
    /// Why it failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// DNSSEC verdict with `--dnssec`: secure, insecure or bogus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dnssec: Option<crate::dns::dnssec::Status>,
    /// The first broken link, when bogus: zone, check and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dnssec_failure: Option<String>,
}

/// A stub query to a recursive resolver and its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StubExchange {
    pub server: Server,
    /// `udp`, `tcp` (UDP came back truncated), `tls` (DNS over TLS) or `https` (DNS over HTTPS).
    pub transport: String,
    pub qname: String,
    pub qtype: String,
    /// The query asked with DO=1 and AD=1 (`--dnssec`, RFC 3225, RFC 6840 §5.7).
    #[serde(default)]
    pub dnssec_ok: bool,
    pub rtt_us: u64,
    pub rcode: String,
    pub flags: Vec<String>,
    pub answers: Vec<RecordView>,
    /// Extended DNS Errors in the response (RFC 8914): "code (name): text".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extended_errors: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
