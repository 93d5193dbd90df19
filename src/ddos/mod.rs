//! `netlab ddos`: attacks and their mitigations run for real, inside a private network that
//! netlab creates and owns, bounded in packets and seconds. This first part is the SYN flood
//! with and without SYN cookies ([`syn`]); the kernel's own counters tell the story, and the
//! cookies themselves are read off the wire ([`cookie`]).
//!
//! Nothing here can reach another machine: the raw socket is opened inside a fresh network
//! namespace whose only interface is `lo` ([`crate::net::ns::raw`]), and the only target is
//! the listener inside it ([`check_target`] refuses any other before a packet is built).

pub mod cookie;
pub mod counters;
pub mod events;
pub mod render;
pub mod syn;
pub mod syn_packet;

use std::net::SocketAddr;

use events::{Cookies, DdosEvent, Setup};

use crate::error::{Error, Result};
use crate::trace::{Note, Outcome, Trace, TraceBuilder};

/// Most SYNs one run may send, and the fastest rate.
pub const MAX_PACKETS: u32 = 20_000;
pub const MAX_PPS: u32 = 20_000;
/// Longest flood one run may last.
pub const MAX_SECONDS: f64 = 10.0;

/// What `netlab ddos syn` was asked.
#[derive(Debug, Clone)]
pub struct SynOptions {
    /// One run per setting, in order.
    pub cookies: Vec<Cookies>,
    pub backlog: u32,
    /// `tcp_max_syn_backlog` to set in the namespace, if not its default.
    pub max_syn_backlog: Option<u32>,
    pub packets: u32,
    pub pps: u32,
}

/// Refuses any target but the listener inside netlab's namespace, before anything is built.
pub fn check_target(target: &str) -> Result<()> {
    let ours = SocketAddr::from((syn::TARGET, syn::PORT));
    match target.parse::<SocketAddr>() {
        Ok(addr) if addr == ours => Ok(()),
        _ => Err(Error::usage(
            format!("--target {target}"),
            "is not the listener inside netlab's private network; floods go nowhere else",
            format!("leave --target out (it is {ours}, inside a namespace netlab creates and removes)"),
        )),
    }
}

/// Runs the flood once per cookie setting, each in a fresh namespace.
pub fn syn_flood(opts: &SynOptions) -> Result<Trace> {
    let seconds = f64::from(opts.packets) / f64::from(opts.pps);
    if seconds > MAX_SECONDS {
        return Err(Error::usage(
            format!("--packets {} at --pps {}", opts.packets, opts.pps),
            format!("would flood for {seconds:.1} s"),
            format!("keep --packets / --pps at most {MAX_SECONDS} s"),
        ));
    }
    crate::net::ns::require_privileges()?;
    let mut b = TraceBuilder::new("ddos", "ddos syn");
    b.push(
        DdosEvent::Setup(Setup {
            network: "a network namespace of netlab's own, lo its only interface".into(),
            target: format!("{}:{}", syn::TARGET, syn::PORT),
            spoofed_sources: syn::SPOOFED.into(),
            backlog: opts.backlog,
            max_packets: opts.packets,
            packets_per_s: opts.pps,
            max_seconds: seconds,
        }),
        vec![Note::new(
            "ddos.syn-flood",
            "Each SYN from a spoofed address makes the listener keep a half-open connection (SYN_RECV) and resend its SYN-ACK to an address that never answers; the SYN queue holds backlog + 1 of them (without cookies, no more than three quarters of tcp_max_syn_backlog, plus one).",
            Some("RFC 4987 §2, §3"),
        )],
    );
    for &cookies in &opts.cookies {
        let recorded = syn::run(syn::RunSpec {
            cookies,
            backlog: opts.backlog,
            max_syn_backlog: opts.max_syn_backlog,
            packets: opts.packets,
            pps: opts.pps,
        })?;
        for s in recorded.samples {
            b.push(DdosEvent::Sample(s), Vec::new());
        }
        for p in recorded.probes {
            b.push(DdosEvent::Probe(p), Vec::new());
        }
        if !recorded.cookies_seen.is_empty() {
            let notes = cookie_notes(&recorded.cookies_seen);
            b.push(
                DdosEvent::Cookie(events::CookieProbe {
                    cookies,
                    msstab: cookie::MSSTAB.to_vec(),
                    probes: recorded.cookies_seen,
                }),
                notes,
            );
        }
        let notes = run_notes(&recorded.summary);
        b.push(DdosEvent::Run(recorded.summary), notes);
    }
    Ok(b.finish(Outcome::Ok))
}

/// What the cookies show, when they show it: each step equal to its MSS index.
fn cookie_notes(seen: &[cookie::CookieSeen]) -> Vec<Note> {
    let Some(first) = seen.first() else {
        return Vec::new();
    };
    let agree = seen
        .iter()
        .all(|c| c.step == c.expected_index.wrapping_sub(first.expected_index) & 0x00FF_FFFF);
    let text = if agree {
        "One source address and port, one minute, six MSS values: the SYN-ACKs' sequence numbers, less each SYN's own, differ only by the index of the MSS in msstab (536, 1300, 1440, 1460): the cookie keeps 2 bits of MSS, not the MSS itself, and no state at all. The rest is a keyed hash of the addresses and ports and a minute counter, which the ACK must match."
    } else {
        "The cookies' steps are not the MSS indexes here: the hash plus the index carried past 2^24, or the minute counter ticked between the SYNs; run it again."
    };
    vec![Note::new(
        "ddos.cookie-mss",
        text,
        Some("RFC 4987 §3.6; Linux net/ipv4/syncookies.c"),
    )]
}

/// What a run's figures mean, true of what they show.
fn run_notes(r: &events::RunSummary) -> Vec<Note> {
    let mut notes = Vec::new();
    let full_drops = r.counters.get("TCPReqQFullDrop");
    let early_drops = r.counters.get("ListenDrops").saturating_sub(full_drops);
    if r.cookies == Cookies::Off && early_drops > 0 && r.peak_syn_recv < u64::from(r.max_syn_backlog) {
        notes.push(Note::new(
            "ddos.max-syn-backlog",
            format!(
                "{early_drops} SYNs were dropped before the queue reached its backlog: without cookies Linux also refuses a SYN once the queue holds more than tcp_max_syn_backlog - tcp_max_syn_backlog/4 ({} of {}), counted in ListenDrops but not TCPReqQFullDrop.",
                r.max_syn_backlog - r.max_syn_backlog / 4,
                r.max_syn_backlog
            ),
            Some("Linux net/ipv4/tcp_input.c, tcp_conn_request"),
        ));
    }
    let cookies_sent = r.counters.get("SyncookiesSent");
    if full_drops > 0 {
        notes.push(Note::new(
            "ddos.queue-full",
            format!(
                "Without cookies the full SYN queue dropped {full_drops} SYNs (TCPReqQFullDrop), and a real client's SYN with them: it resends only after its retransmission timeout, 1 s, so its connect fails or takes a second or more."
            ),
            Some("RFC 4987 §3.1; RFC 6298 §2"),
        ));
    }
    if cookies_sent > 0 {
        notes.push(Note::new(
            "ddos.cookies",
            format!(
                "With the queue full the kernel answered {cookies_sent} SYNs with a SYN cookie (SyncookiesSent) and kept nothing: the SYN-ACK's sequence number encodes a time counter, the MSS (an index into a table of 4) and a hash of the addresses and ports; a client's ACK brings it back ({} accepted, SyncookiesRecv).",
                r.counters.get("SyncookiesRecv")
            ),
            Some("RFC 4987 §3.6"),
        ));
    }
    notes
}
