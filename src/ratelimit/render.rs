//! The text view of `netlab ratelimit`: what was replayed, a table of the algorithms (admitted,
//! false admits and rejects against the exact log, state per key, decisions per second), the
//! floor beside them, and the distributed replay's over-admission.

use std::fmt::Write as _;

use super::events::RatelimitEvent;
use crate::style::{self, RenderOpts};
use crate::trace::Note;

fn millions(per_s: u64) -> String {
    format!("{:.1} M/s", per_s as f64 / 1e6)
}

fn window(ns: u64) -> String {
    match ns {
        n if n % 1_000_000_000 == 0 => format!("{} s", n / 1_000_000_000),
        n => format!("{} ms", n / 1_000_000),
    }
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "0%".into()
    } else {
        format!("{:.2}%", part as f64 * 100.0 / whole as f64)
    }
}

pub fn event(out: &mut String, e: &RatelimitEvent, notes: &[Note], opts: &RenderOpts) {
    let p = &opts.palette;
    match e {
        RatelimitEvent::Replay(r) => {
            let _ = writeln!(
                out,
                "{}replay{}: {} requests from {} keys over {:.1} s ({}), limit {} per {}",
                p.bold,
                p.reset,
                r.requests,
                r.keys,
                r.span_ns as f64 / 1e9,
                r.source,
                r.limit,
                window(r.window_ns)
            );
            let _ = writeln!(
                out,
                "  {:<15} {:>10} {:>10} {:>13} {:>13} {:>10} {:>12}",
                "algorithm", "admitted", "limited", "false admits", "false rejects", "B/key", "decisions"
            );
        }
        RatelimitEvent::Algorithm(a) => {
            let total = a.admitted + a.limited;
            let _ = writeln!(
                out,
                "  {:<15} {:>10} {:>10} {:>6} {:>6} {:>6} {:>6} {:>10} {:>12}",
                a.algorithm.name(),
                a.admitted,
                a.limited,
                a.false_admits,
                percent(a.false_admits, total),
                a.false_rejects,
                percent(a.false_rejects, total),
                a.bytes_per_key,
                millions(a.decisions_per_s)
            );
        }
        RatelimitEvent::Floor(f) => {
            let _ = writeln!(
                out,
                "  {:<15} {:>10} {:>10} {:>13} {:>13} {:>10} {:>12}   (std HashMap, counting only: the floor)",
                "count-only",
                f.admitted,
                "",
                "",
                "",
                "",
                millions(f.decisions_per_s)
            );
        }
        RatelimitEvent::Distributed(d) => {
            let _ = writeln!(
                out,
                "{}distributed{}: {} nodes sharing counters {} ms late admitted {} (one exact counter: {}): {} over, {}; each node alone with {} per window admitted {}",
                p.bold,
                p.reset,
                d.nodes,
                d.delay_ns / 1_000_000,
                d.admitted,
                d.exact_admitted,
                d.over_admitted,
                percent(d.over_admitted, d.exact_admitted),
                d.local_limit,
                d.local_admitted
            );
        }
    }
    style::notes(out, notes, opts, "  ");
}
