//! Text view of a DNS walk: one block per query, indented by sub-walk depth, with what each
//! response means, and the path summary at the end.

use std::fmt::Write as _;

use super::dnssec::Status;
use super::events::{
    DnsEvent, Meaning, Nsec3Step, Nsec3Use, QuerySent, RecordView, ResponseSeen, Server, StubExchange, Summary,
    Validity,
};
use crate::style::{self, Palette, RenderOpts};
use crate::trace::Note;

/// Appends the text of one DNS event and its notes, the notes under the event's indentation.
pub fn event(out: &mut String, e: &DnsEvent, notes: &[Note], opts: &RenderOpts) {
    let p = &opts.palette;
    let pad = match e {
        DnsEvent::Idn { input, ascii } => idn(out, input, ascii),
        DnsEvent::Query(q) => query(out, q, p),
        DnsEvent::Response(r) => response(out, r, p),
        DnsEvent::Ignored {
            depth,
            server: s,
            reason,
            size,
        } => ignored(out, *depth, s, reason, *size, p),
        DnsEvent::Timeout {
            depth,
            server: s,
            transport,
            timeout_ms,
        } => timeout(out, *depth, s, transport, *timeout_ms, p),
        DnsEvent::Unreachable {
            depth,
            server: s,
            transport,
            error,
        } => unreachable(out, *depth, s, transport, error, p),
        DnsEvent::SubWalk { depth, ns, for_zone } => sub_walk(out, *depth, ns, for_zone, p),
        DnsEvent::Cname { depth, from, to, hop } => cname(out, *depth, from, to, *hop, p),
        DnsEvent::Dnssec {
            depth,
            zone,
            check,
            status,
            detail,
        } => dnssec(out, *depth, zone, check, *status, detail, p),
        DnsEvent::Nsec3 {
            depth,
            zone,
            name,
            rtype,
            proof,
            steps,
        } => nsec3(out, *depth, zone, name, rtype, proof, steps),
        DnsEvent::Stub(x) => stub(out, x, p),
        DnsEvent::Summary(s) => {
            summary(out, s, opts);
            String::new()
        }
    };
    style::notes(out, notes, opts, &format!("{pad}     "));
}

/// The indentation of an event at sub-walk `depth`: four spaces a level.
fn indent(depth: u8) -> String {
    "    ".repeat(usize::from(depth))
}

/// `dns.idn`: the name as typed and the punycode sent. Each of these functions appends its
/// event's lines and returns the indentation its notes go under.
fn idn(out: &mut String, input: &str, ascii: &str) -> String {
    let _ = writeln!(out, "{input} -> {ascii} (IDNA)");
    String::new()
}

/// `dns.query`: the question, the server, and how it was asked.
fn query(out: &mut String, q: &QuerySent, p: &Palette) -> String {
    let i = indent(q.depth);
    let edns = q.edns_buffer.map_or("no EDNS".to_string(), |b| {
        format!("EDNS {b}{}", if q.dnssec_ok { " DO" } else { "" })
    });
    let port = if q.source_port == 0 {
        String::new()
    } else {
        format!(" from port {}", q.source_port)
    };
    let _ = writeln!(
        out,
        "{i}{}{} {}?{}  ->  {}  [{} zone {}, id {:#06x}{port}, {edns}, {} bytes]",
        p.bold,
        q.qname,
        q.qtype,
        p.reset,
        server(&q.server),
        q.transport,
        q.zone,
        q.id,
        q.size
    );
    i
}

/// `dns.response`: the header, what it means (coloured), and for a final reply its records.
fn response(out: &mut String, r: &ResponseSeen, p: &Palette) -> String {
    let i = indent(r.depth);
    let flags = if r.flags.is_empty() {
        "-".to_string()
    } else {
        r.flags.join(" ")
    };
    let what = meaning(&r.meaning);
    let colour = match r.meaning {
        Meaning::Answer | Meaning::Cname { .. } => p.green,
        Meaning::Referral { .. } => p.cyan,
        Meaning::Unusable { .. } => p.red,
        _ => p.yellow,
    };
    let _ = writeln!(
        out,
        "{i}  <- {} flags {flags}, {} bytes, {:.1} ms: {colour}{what}{}",
        r.rcode,
        r.size,
        r.rtt_us as f64 / 1000.0,
        p.reset
    );
    if matches!(
        r.meaning,
        Meaning::Answer | Meaning::Cname { .. } | Meaning::Nxdomain { .. } | Meaning::Nodata { .. }
    ) {
        for rec in r.answers.iter().chain(if r.answers.is_empty() {
            r.authority.iter()
        } else {
            [].iter()
        }) {
            let _ = writeln!(out, "{i}       {}", record(rec));
        }
    }
    if r.unlisted_records > 0 {
        let _ = writeln!(out, "{i}       ... {} more records not listed", r.unlisted_records);
    }
    for ede in &r.extended_errors {
        let _ = writeln!(out, "{i}       extended error {ede}");
    }
    i
}

/// `dns.ignored`: a packet not believed, and why.
fn ignored(out: &mut String, depth: u8, s: &Server, reason: &str, size: usize, p: &Palette) -> String {
    let i = indent(depth);
    let _ = writeln!(
        out,
        "{i}  {}ignored{} {size} bytes from {}: {reason}",
        p.yellow,
        p.reset,
        server(s)
    );
    i
}

/// `dns.timeout`: no answer from this server in time.
fn timeout(out: &mut String, depth: u8, s: &Server, transport: &str, timeout_ms: u64, p: &Palette) -> String {
    let i = indent(depth);
    let _ = writeln!(
        out,
        "{i}  {}timeout{}: no answer from {} over {transport} in {timeout_ms} ms",
        p.red,
        p.reset,
        server(s)
    );
    i
}

/// `dns.unreachable`: the server could not be reached at all.
fn unreachable(out: &mut String, depth: u8, s: &Server, transport: &str, error: &str, p: &Palette) -> String {
    let i = indent(depth);
    let _ = writeln!(
        out,
        "{i}  {}unreachable{}: {} over {transport}: {error}",
        p.red,
        p.reset,
        server(s)
    );
    i
}

/// `dns.subwalk`: a glueless name server's address looked up in a walk of its own.
fn sub_walk(out: &mut String, depth: u8, ns: &str, for_zone: &str, p: &Palette) -> String {
    let i = indent(depth);
    let _ = writeln!(
        out,
        "{i}{}sub-walk:{} address of {ns} (name server of {for_zone}, no glue)",
        p.cyan, p.reset
    );
    i
}

/// `dns.cname`: an alias followed.
fn cname(out: &mut String, depth: u8, from: &str, to: &str, hop: u8, p: &Palette) -> String {
    let i = indent(depth);
    let _ = writeln!(
        out,
        "{i}{}CNAME {hop}:{} {from} is an alias of {to}; following it",
        p.cyan, p.reset
    );
    i
}

/// `dns.dnssec`: one finding of the chain of trust: which check, on which zone, and its verdict.
/// `dns.nsec3`: the proof's kind, then one line per name: its hash, and the NSEC3 (owner hash,
/// next hash) that matches or covers it.
fn nsec3(out: &mut String, depth: u8, zone: &str, name: &str, rtype: &str, proof: &str, steps: &[Nsec3Step]) -> String {
    let i = indent(depth);
    let _ = writeln!(out, "{i}  NSEC3 proof ({proof}) of {name} {rtype} in {zone}:");
    for s in steps {
        let owner = s.nsec3.split('.').next().unwrap_or(&s.nsec3);
        let how = match s.relation {
            Nsec3Use::Matches => format!("matches NSEC3 {owner} [{}]", s.types.join(" ")),
            Nsec3Use::Covers => format!("covered by NSEC3 {owner} -> {}", s.next_hash),
        };
        let opt_out = if s.opt_out { " (opt-out)" } else { "" };
        let _ = writeln!(out, "{i}    {} {} = {}: {how}{opt_out}", s.role, s.name, s.hash);
    }
    i
}

fn dnssec(out: &mut String, depth: u8, zone: &str, check: &str, status: Status, detail: &str, p: &Palette) -> String {
    let i = indent(depth);
    let colour = match status {
        Status::Secure => p.green,
        Status::Insecure => p.yellow,
        Status::Bogus => p.red,
    };
    let _ = writeln!(out, "{i}  {colour}DNSSEC {status}{}: {zone} {check}: {detail}", p.reset);
    i
}

/// `dns.stub`: one question to a recursive resolver, and its answer or why there was none.
fn stub(out: &mut String, x: &StubExchange, p: &Palette) -> String {
    let _ = writeln!(
        out,
        "{}{} {}?{}  ->  {} (recursive resolver, RD=1{}, over {})",
        p.bold,
        x.qname,
        x.qtype,
        p.reset,
        server(&x.server),
        if x.dnssec_ok { " AD=1 DO=1" } else { "" },
        x.transport
    );
    let flags = if x.flags.is_empty() {
        "-".to_string()
    } else {
        x.flags.join(" ")
    };
    match &x.error {
        Some(e) => {
            let _ = writeln!(
                out,
                "  <- {}no answer{} after {:.1} ms: {e}",
                p.red,
                p.reset,
                x.rtt_us as f64 / 1000.0
            );
        }
        None => {
            let _ = writeln!(
                out,
                "  <- {} flags {flags}, {:.1} ms",
                x.rcode,
                x.rtt_us as f64 / 1000.0
            );
        }
    }
    for rec in &x.answers {
        let _ = writeln!(out, "       {}", record(rec));
    }
    for ede in &x.extended_errors {
        let _ = writeln!(out, "       extended error {ede}");
    }
    "  ".to_string()
}

fn server(s: &Server) -> String {
    let name = if s.name == s.address {
        String::new()
    } else {
        format!("{} ", s.name)
    };
    match &s.via {
        Some(via) => format!("{name}{} via {via}", s.address),
        None => format!("{name}{}", s.address),
    }
}

/// A record as a zone file line (name, TTL, type, data); an RRSIG also says how long it is
/// valid, counted from when it arrived.
fn record(r: &RecordView) -> String {
    let line = format!("{}  {}  {}  {}", r.name, r.ttl, r.rtype, r.data);
    match &r.validity {
        Some(v) => format!("{line}  ({})", lifetime(v)),
        None => line,
    }
}

/// An RRSIG's validity period in words, as it stood when the record arrived (RFC 4034 §3.1.5:
/// a signature is used only between its inception and its expiration).
fn lifetime(v: &Validity) -> String {
    if v.seen < v.inception {
        format!(
            "not valid yet: its inception is {}",
            duration(v.inception - v.seen, "in")
        )
    } else if v.seen > v.expiration {
        format!("expired {}", duration(v.seen - v.expiration, "ago"))
    } else {
        format!("expires {}", duration(v.expiration - v.seen, "in"))
    }
}

/// `in 7 days`, `2 hours ago`: the largest unit that fits twice, else the next one down.
fn duration(secs: u32, way: &str) -> String {
    let (n, unit) = match secs {
        s if s >= 2 * 86_400 => (s / 86_400, "day"),
        s if s >= 2 * 3600 => (s / 3600, "hour"),
        s if s >= 2 * 60 => (s / 60, "minute"),
        s => (s, "second"),
    };
    let plural = if n == 1 { "" } else { "s" };
    if way == "ago" {
        format!("{n} {unit}{plural} ago")
    } else {
        format!("{way} {n} {unit}{plural}")
    }
}

fn meaning(m: &Meaning) -> String {
    match m {
        Meaning::Referral { zone, ns, glue } => {
            let glue = if glue.is_empty() {
                "no glue".to_string()
            } else {
                format!("glue {}", glue.join(", "))
            };
            format!("referral to {zone} served by {} ({glue})", ns.join(" "))
        }
        Meaning::Answer => "answer".to_string(),
        Meaning::Cname { target } => format!("alias (CNAME) to {target}"),
        Meaning::Nxdomain { negative_ttl, .. } => format!(
            "NXDOMAIN, the name does not exist{}",
            negative_ttl.map_or(String::new(), |t| format!(" (cache it {t} s)"))
        ),
        Meaning::Nodata { negative_ttl, .. } => format!(
            "NODATA, the name exists but has no such records{}",
            negative_ttl.map_or(String::new(), |t| format!(" (cache it {t} s)"))
        ),
        Meaning::Truncated => "truncated (TC), retrying over TCP".to_string(),
        Meaning::NoEdns => "FORMERR to EDNS, retrying without EDNS".to_string(),
        Meaning::Unusable { why } => format!("not usable: {why}"),
    }
}

fn summary(out: &mut String, s: &Summary, opts: &RenderOpts) {
    let p = &opts.palette;
    let path = if s.path.is_empty() {
        "-".to_string()
    } else {
        s.path.join(" -> ")
    };
    let cnames = if s.cnames == 1 {
        "1 CNAME".to_string()
    } else {
        format!("{} CNAMEs", s.cnames)
    };
    let _ = writeln!(
        out,
        "\n{};; {path} : {} referrals, {cnames}, {} queries, {} ms{}",
        p.bold, s.referrals, s.queries, s.elapsed_ms, p.reset
    );
    match (s.dnssec, &s.dnssec_failure) {
        (Some(status), Some(why)) => {
            let _ = writeln!(out, "{};; DNSSEC: {status}: {why}{}", p.red, p.reset);
        }
        (Some(status), None) => {
            let _ = writeln!(out, ";; DNSSEC: {status}");
        }
        (None, _) => {}
    }
    match s.result.as_str() {
        "answer" if s.dnssec == Some(Status::Bogus) => {
            let _ = writeln!(
                out,
                "{};; BOGUS: these records failed DNSSEC validation: do not trust them. A validating resolver answers SERVFAIL instead (RFC 4035 §5.5).{}",
                p.red, p.reset
            );
            for r in &s.answers {
                let _ = writeln!(out, "{}BOGUS{}  {}", p.red, p.reset, record(r));
            }
        }
        "answer" => {
            for r in &s.answers {
                let _ = writeln!(out, "{}", record(r));
            }
        }
        "failed" => {
            let _ = writeln!(
                out,
                "{}failed:{} {}",
                p.red,
                p.reset,
                s.error.as_deref().unwrap_or("unknown")
            );
        }
        kind => {
            let _ = writeln!(
                out,
                "{}: {} {} has no records{}",
                kind.to_uppercase(),
                s.qname,
                s.qtype,
                if kind == "nxdomain" {
                    " (the name does not exist)"
                } else {
                    " of this type"
                }
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rrsig(inception: u32, expiration: u32, seen: u32) -> RecordView {
        RecordView {
            name: "example.com.".into(),
            ttl: 3600,
            rtype: "RRSIG".into(),
            data: "TXT 15 2 3600 20261209001537 20261202001537 2829 example.com. c2ln".into(),
            strings: None,
            validity: Some(Validity {
                inception,
                expiration,
                seen,
            }),
        }
    }

    #[test]
    fn rrsig_validity_is_said_in_words() {
        let day = 86_400;
        assert!(record(&rrsig(0, 10 * day, 3 * day)).ends_with("example.com. c2ln  (expires in 7 days)"));
        assert!(record(&rrsig(0, 10 * day, 12 * day)).ends_with("(expired 2 days ago)"));
        assert!(record(&rrsig(0, 10 * day, 10 * day - 3600)).ends_with("(expires in 60 minutes)"));
        assert!(record(&rrsig(5 * 3600, day, 0)).ends_with("(not valid yet: its inception is in 5 hours)"));
    }
}
