//! The text view of `netlab anycast`: the topology, each client's PoP and why, and what a
//! withdrawal moved.

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
        AnycastEvent::Withdraw(w) => {
            let _ = writeln!(
                out,
                "{}withdrew {}{}: its BGP sessions disabled (birdc disable)",
                p.bold, w.pop, p.reset
            );
            for m in &w.moves {
                let moved = match (&m.after, m.converged_ms) {
                    (Some(after), Some(ms)) => format!("now {after}, after {ms:.0} ms"),
                    (Some(after), None) => format!("still {after}"),
                    (None, _) => "no answer".to_string(),
                };
                let _ = writeln!(
                    out,
                    "  client {:<5} was {:<4} {moved}",
                    m.client,
                    m.before.as_deref().unwrap_or("-")
                );
            }
        }
    }
    style::notes(out, notes, opts, "  ");
}

fn reach(out: &mut String, r: &Reach, opts: &RenderOpts) {
    let p = &opts.palette;
    let answered = match (&r.pop, r.rtt_ms) {
        (Some(pop), Some(ms)) => format!("{}{pop}{} answered ({ms:.2} ms)", p.bold, p.reset),
        _ => "no PoP answered".to_string(),
    };
    let _ = writeln!(out, "  [{}] client {:<5} {answered}", r.phase, r.client);
    let _ = writeln!(out, "      at transit {}: {}", r.transit, r.reason);
}
