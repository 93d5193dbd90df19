//! The text view of `netlab anycast`: the topology, each client's PoP and why, and what a
//! withdrawal or a failure moved.

use std::fmt::Write as _;

use super::events::{AnycastEvent, Reach};
use crate::style::{self, RenderOpts};
use crate::trace::Note;

pub fn event(out: &mut String, e: &AnycastEvent, notes: &[Note], opts: &RenderOpts) {
    let p = &opts.palette;
    match e {
        AnycastEvent::Setup(s) => {
            let _ = writeln!(
                out,
                "{}Anycast{} {} ({}) announced by AS{} from {}, in {}; BGP gave every client a route in {:.0} ms",
                p.bold,
                p.reset,
                s.address,
                s.prefix,
                s.pop_as,
                s.pops.join(", "),
                s.network,
                s.converged_ms
            );
            for session in &s.sessions {
                let _ = writeln!(out, "  {session}");
            }
        }
        AnycastEvent::Reach(r) => reach(out, r, opts),
        AnycastEvent::Up(u) => {
            let until = match u.seconds {
                Some(s) => format!("for {s} s"),
                None => "until Ctrl-C".to_string(),
            };
            let _ = writeln!(out, "{}The internet runs {until}.{} Its namespaces:", p.bold, p.reset);
            for (node, path) in &u.namespaces {
                let _ = writeln!(out, "  {node:<6} {path}");
            }
            let _ = writeln!(out, "BIRD's control sockets (birdc -s):");
            for (router, socket) in &u.birdc {
                let _ = writeln!(out, "  {router:<6} {socket}");
            }
            let _ = writeln!(out, "Try:");
            for c in &u.try_commands {
                let _ = writeln!(out, "  {c}");
            }
        }
        AnycastEvent::Change(w) => {
            let what = match w.how.as_str() {
                "failed" => "went dark: every packet on its links dropped (nftables), nothing said",
                _ => "stopped announcing the prefix (birdc disable announced), its sessions up",
            };
            let _ = writeln!(out, "{}{} {}{}: {what}", p.bold, w.pop, w.how, p.reset);
            for m in &w.moves {
                let moved = match (&m.after, m.converged_ms) {
                    (Some(after), Some(ms)) => format!("now {after}, after {ms:.0} ms"),
                    (Some(after), None) => format!("still {after}"),
                    (None, _) => "no answer".to_string(),
                };
                let _ = writeln!(
                    out,
                    "  client {:<5} was {:<4} {moved}; {} identity queries (UDP) unanswered meanwhile",
                    m.client,
                    m.before.as_deref().unwrap_or("-"),
                    m.unanswered
                );
            }
            for d in &w.downloads {
                let how = match d.steering.as_str() {
                    "dns" => format!("DNS-steered {}", d.address),
                    _ => format!("anycast {}", d.address),
                };
                let _ = writeln!(
                    out,
                    "  download {:<5} {how:<26} from {:<4} {}: {} of {} bytes, ended {:.0} ms after the change",
                    d.client,
                    d.served_by.as_deref().unwrap_or("-"),
                    d.end,
                    d.received_bytes,
                    d.expected_bytes,
                    d.ended_ms
                );
            }
            let rsts: Vec<String> = w.resets_sent.iter().map(|(p, n)| format!("{p} {n}")).collect();
            let _ = writeln!(out, "  RSTs sent by each PoP meanwhile: {}", rsts.join(", "));
            if !w.bgp.is_empty() {
                let _ = writeln!(
                    out,
                    "  BGP on the transits' links from the change on (KEEPALIVEs left out):"
                );
            }
            for m in &w.bgp {
                let _ = writeln!(out, "    {:>7.1} ms  {:>3} → {:<3}  {}", m.at_ms, m.from, m.to, m.info);
            }
        }
    }
    style::notes(out, notes, opts, "  ");
}

fn reach(out: &mut String, r: &Reach, opts: &RenderOpts) {
    let p = &opts.palette;
    let answered = match (&r.pop, r.rtt_ms) {
        (Some(pop), Some(ms)) => format!("{}{pop}{} answered id.server ({ms:.2} ms)", p.bold, p.reset),
        _ => "no PoP answered id.server".to_string(),
    };
    let web = match &r.served_by {
        Some(pop) => format!(", x-served-by: {pop}"),
        None => ", no answer over HTTP".to_string(),
    };
    let _ = writeln!(out, "  [{}] client {:<5} {answered}{web}", r.phase, r.client);
    let _ = writeln!(out, "      at transit {}: {}", r.transit, r.reason);
    if let Some(s) = &r.steered {
        let _ = writeln!(
            out,
            "      DNS steering instead: {} A {} (TTL {} s), x-served-by: {}",
            s.name.trim_end_matches('.'),
            s.address,
            s.ttl,
            s.served_by.as_deref().unwrap_or("no answer")
        );
    }
}
