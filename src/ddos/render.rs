//! The text view of `netlab ddos`. `syn`: the setup, the SYN queue and the counters every half
//! second with the client's attempts, and each run's tally. `filter`: the setup, then one row
//! per depth, side by side, and each depth's rule.

use std::fmt::Write as _;

use super::events::{
    DdosEvent, FilterRun, FilterSetup, ReflectSetup, Reflection, RunSummary, UserTally, WebRun, WebSetup,
};
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
        DdosEvent::FilterSetup(s) => filter_setup(out, s, opts),
        DdosEvent::Filter(r) => filter_row(out, r),
        DdosEvent::ReflectSetup(s) => reflect_setup(out, s, opts),
        DdosEvent::Reflection(r) => reflection_row(out, r),
        DdosEvent::WebSetup(s) => web_setup(out, s, opts),
        DdosEvent::Web(r) => web_row(out, r),
        DdosEvent::ReflectSummary(s) => {
            let _ = writeln!(
                out,
                "  RRL: {} answered, {} slipped (TC=1), {} dropped; BCP 38: {} forged queries dropped at the attacker's network",
                s.rrl_answered, s.rrl_slipped, s.rrl_dropped, s.bcp38_dropped
            );
        }
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

fn filter_setup(out: &mut String, s: &FilterSetup, opts: &RenderOpts) {
    let p = &opts.palette;
    let _ = writeln!(
        out,
        "{}UDP flood{} at {} from {} ({} sources, {}-byte datagrams), in {}: at most {} datagrams and {:.0} s per depth; per-source limit {}/s, burst {}",
        p.bold,
        p.reset,
        s.target,
        s.spoofed_sources,
        s.sources,
        s.packet_bytes,
        s.network,
        s.max_packets,
        s.max_seconds,
        s.per_source_limit,
        s.burst
    );
    let _ = writeln!(
        out,
        "  {:<10} {:>9} {:>9} {:>10} {:>10} {:>9} {:>9} {:>9} {:>8} {:>8} {:>8}",
        "depth",
        "sent",
        "kpps",
        "at iface",
        "dropped",
        "sock-drop",
        "app read",
        "served",
        "ns/pkt",
        "softirq",
        "app cpu"
    );
}

fn filter_row(out: &mut String, r: &FilterRun) {
    let depth = match &r.xdp_mode {
        Some(mode) => format!("{} {mode}", r.depth.name()),
        None => r.depth.name().to_string(),
    };
    let _ = writeln!(
        out,
        "  {:<10} {:>9} {:>9.0} {:>10} {:>10} {:>9} {:>9} {:>9} {:>8.0} {:>6.0}ms {:>6.0}ms",
        depth,
        r.sent,
        r.sent_pps / 1e3,
        r.at_interface,
        r.dropped_here,
        r.socket_drops,
        r.app_received,
        r.app_served,
        r.cpu.ns_per_packet,
        r.cpu.softirq_ms,
        r.cpu.app_ms
    );
    for line in r.rule.lines().filter(|l| !l.trim().is_empty()) {
        let _ = writeln!(out, "      {}", line.trim_end());
    }
}

fn reflect_setup(out: &mut String, s: &ReflectSetup, opts: &RenderOpts) {
    let p = &opts.palette;
    let _ = writeln!(
        out,
        "{}DNS reflection{} at victim {} via {} and {}, in {}: {} forged queries per question at {}/s (EDNS {} DO), RRL {}/s slip {}, {:.1} s of sending",
        p.bold,
        p.reset,
        s.victim,
        s.reflector,
        s.reflector_rrl,
        s.network,
        s.queries,
        s.queries_per_s,
        s.edns_size,
        s.rrl_responses_per_second,
        s.rrl_slip,
        s.max_seconds
    );
    let _ = writeln!(
        out,
        "  {:<6} {:<7} {:<17} {:>7} {:>5} {:>9} {:>7} {:>5} {:>10} {:>8} {:>8}",
        "phase", "qtype", "qname", "queries", "left", "bytes", "answers", "TC", "bytes", "largest", "factor"
    );
}

fn reflection_row(out: &mut String, r: &Reflection) {
    let _ = writeln!(
        out,
        "  {:<6} {:<7} {:<17} {:>7} {:>5} {:>9} {:>7} {:>5} {:>10} {:>8} {:>7.1}x",
        r.phase.name(),
        r.qtype,
        r.qname,
        r.queries,
        r.left,
        r.query_bytes,
        r.answers,
        r.truncated,
        r.answer_bytes,
        r.largest_answer,
        r.factor
    );
}

fn web_setup(out: &mut String, s: &WebSetup, opts: &RenderOpts) {
    let p = &opts.palette;
    let _ = writeln!(
        out,
        "{}HTTP flood{} of GET {} (no-store) through netlab edge, on {}: {} bots from 127.0.66.1 at {}/s each, a user at {}, a user behind the first bot's address ({}); {:.1} s and at most {} bot requests per phase; limit phase: {}/s per address",
        p.bold,
        p.reset,
        s.target,
        s.network,
        s.bots,
        s.rate_per_bot,
        s.user,
        s.nat_user,
        s.seconds,
        s.max_requests,
        s.per_client_limit
    );
    let _ = writeln!(
        out,
        "  {:<9} {:>7} {:>7} {:>6} {:>6} {:>6} {:>6} {:>7}   {:<26} {:<26}",
        "defence",
        "bot req",
        "req/s",
        "200",
        "429",
        "403",
        "failed",
        "origin",
        "user: ok/tries, median",
        "NAT user: ok/tries, 429"
    );
}

fn user(t: &UserTally) -> String {
    let median = t.median_ms.map_or("-".to_string(), |m| format!("{m:.1} ms"));
    format!("{}/{}, {median}", t.ok, t.attempts)
}

fn web_row(out: &mut String, r: &WebRun) {
    let _ = writeln!(
        out,
        "  {:<9} {:>7} {:>7.0} {:>6} {:>6} {:>6} {:>6} {:>7}   {:<26} {:<26}",
        r.mitigation.name(),
        r.bot_requests,
        r.bot_rps,
        r.bot_ok,
        r.bot_limited,
        r.bot_challenged,
        r.bot_failed,
        r.origin_requests,
        user(&r.user),
        format!("{}/{}, {}", r.nat_user.ok, r.nat_user.attempts, r.nat_user.limited)
    );
}
