//! Text view of a DNS walk: one block per query, indented by sub-walk depth, with what each
//! response means, and the path summary at the end.

use std::fmt::Write as _;

use super::events::{DnsEvent, Meaning, RecordView, Server, Summary};
use crate::render::{self, RenderOpts};
use crate::trace::Note;

/// Appends the text of one DNS event and its notes.
pub fn event(out: &mut String, e: &DnsEvent, notes: &[Note], opts: &RenderOpts) {
    let p = &opts.palette;
    let indent = |depth: u8| "    ".repeat(usize::from(depth));
    let pad = match e {
        DnsEvent::Idn { input, ascii } => {
            let _ = writeln!(out, "{input} -> {ascii} (IDNA)");
            String::new()
        }
        DnsEvent::Query(q) => {
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
        DnsEvent::Response(r) => {
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
        DnsEvent::Ignored {
            depth,
            server: s,
            reason,
            size,
        } => {
            let i = indent(*depth);
            let _ = writeln!(
                out,
                "{i}  {}ignored{} {size} bytes from {}: {reason}",
                p.yellow,
                p.reset,
                server(s)
            );
            i
        }
        DnsEvent::Timeout {
            depth,
            server: s,
            transport,
            timeout_ms,
        } => {
            let i = indent(*depth);
            let _ = writeln!(
                out,
                "{i}  {}timeout{}: no answer from {} over {transport} in {timeout_ms} ms",
                p.red,
                p.reset,
                server(s)
            );
            i
        }
        DnsEvent::Unreachable {
            depth,
            server: s,
            transport,
            error,
        } => {
            let i = indent(*depth);
            let _ = writeln!(
                out,
                "{i}  {}unreachable{}: {} over {transport}: {error}",
                p.red,
                p.reset,
                server(s)
            );
            i
        }
        DnsEvent::SubWalk { depth, ns, for_zone } => {
            let i = indent(*depth);
            let _ = writeln!(
                out,
                "{i}{}sub-walk:{} address of {ns} (name server of {for_zone}, no glue)",
                p.cyan, p.reset
            );
            i
        }
        DnsEvent::Cname { depth, from, to, hop } => {
            let i = indent(*depth);
            let _ = writeln!(
                out,
                "{i}{}CNAME {hop}:{} {from} is an alias of {to}; following it",
                p.cyan, p.reset
            );
            i
        }
        DnsEvent::Dnssec {
            depth,
            zone,
            check,
            status,
            detail,
        } => {
            let i = indent(*depth);
            let colour = match status {
                crate::dns::dnssec::Status::Secure => p.green,
                crate::dns::dnssec::Status::Insecure => p.yellow,
                crate::dns::dnssec::Status::Bogus => p.red,
            };
            let _ = writeln!(out, "{i}  {colour}DNSSEC {status}{}: {zone} {check}: {detail}", p.reset);
            i
        }
        DnsEvent::Stub(x) => {
            let _ = writeln!(
                out,
                "{}{} {}?{}  ->  {} (recursive resolver, RD=1, over {})",
                p.bold,
                x.qname,
                x.qtype,
                p.reset,
                server(&x.server),
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
            "  ".to_string()
        }
        DnsEvent::Summary(s) => {
            summary(out, s, opts);
            String::new()
        }
    };
    render::notes(out, notes, opts, &format!("{pad}     "));
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

fn record(r: &RecordView) -> String {
    format!("{}  {}  {}  {}", r.name, r.ttl, r.rtype, r.data)
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
