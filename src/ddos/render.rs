//! The text view of `netlab ddos syn`: the setup, the SYN queue and the counters every half
//! second with the client's attempts, and each run's tally.

use std::fmt::Write as _;

use super::events::{DdosEvent, RunSummary};
use crate::style::{self, RenderOpts};
use crate::trace::Note;

pub fn event(out: &mut String, e: &DdosEvent, notes: &[Note], opts: &RenderOpts) {
    let p = &opts.palette;
    match e {
        DdosEvent::Setup(s) => {
            let _ = writeln!(
                out,
                "{}SYN flood{} at {} (backlog {}) from {}, in {}: at most {} SYNs at {}/s, {:.1} s",
                p.bold,
                p.reset,
                s.target,
                s.backlog,
                s.spoofed_sources,
                s.network,
                s.max_packets,
                s.packets_per_s,
                s.max_seconds
            );
        }
        // Every fifth sample: twice a second.
        DdosEvent::Sample(s) if s.t_ms / 100 % 5 == 0 => {
            let _ = writeln!(
                out,
                "  {:>6.1} s  SYN_RECV {:>5}  queue-full drops {:>6}  cookies sent {:>6} recv {:>4}",
                s.t_ms as f64 / 1e3,
                s.syn_recv,
                s.counters.get("TCPReqQFullDrop"),
                s.counters.get("SyncookiesSent"),
                s.counters.get("SyncookiesRecv"),
            );
        }
        DdosEvent::Sample(_) | DdosEvent::Probe(_) => {}
        DdosEvent::Cookie(c) => {
            let _ = writeln!(
                out,
                "  {}SYN cookies read{}: one source address and port, one SYN per MSS (msstab {:?})",
                p.bold, p.reset, c.msstab
            );
            let _ = writeln!(
                out,
                "    {:>5}  {:>10}  {:>10}  {:>4}  {:>5}",
                "MSS", "ISN", "ISN-seq", "step", "index"
            );
            for k in &c.probes {
                let _ = writeln!(
                    out,
                    "    {:>5}  0x{:08x}  0x{:08x}  {:>4}  {:>5}",
                    k.mss, k.isn, k.cookie, k.step, k.expected_index
                );
            }
        }
        DdosEvent::Run(r) => run(out, r, opts),
    }
    style::notes(out, notes, opts, "  ");
}

fn run(out: &mut String, r: &RunSummary, opts: &RenderOpts) {
    let p = &opts.palette;
    let client = match r.median_connect_ms {
        Some(ms) => format!("median connect {ms:.2} ms"),
        None => "no connect finished".into(),
    };
    let _ = writeln!(
        out,
        "{}tcp_syncookies={} ({}){}: {} SYNs in {:.1} s; SYN queue peak {}; ListenDrops {}, TCPReqQFullDrop {}, SyncookiesSent {}, SyncookiesRecv {}; the client during the flood: {} of {} connected, {}  (tcp_max_syn_backlog {}, tcp_synack_retries {})",
        p.bold,
        r.cookies.sysctl(),
        r.cookies.name(),
        p.reset,
        r.sent,
        (r.flood_to_ms - r.flood_from_ms) as f64 / 1e3,
        r.peak_syn_recv,
        r.counters.get("ListenDrops"),
        r.counters.get("TCPReqQFullDrop"),
        r.counters.get("SyncookiesSent"),
        r.counters.get("SyncookiesRecv"),
        r.connected_during_flood,
        r.probes_during_flood,
        client,
        r.max_syn_backlog,
        r.synack_retries,
    );
}
