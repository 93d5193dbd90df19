//! `netlab ddos`: attacks and their mitigations run for real, inside a private network that
//! netlab creates and owns, bounded in packets and seconds.
//!
//! - [`syn`]: the SYN flood with and without SYN cookies; the kernel's own counters tell the
//!   story, and the cookies themselves are read off the wire ([`cookie`]).
//! - [`reflect`]: DNS reflection and amplification, forged queries answered to a victim,
//!   without and with Response Rate Limiting, then stopped by BCP 38.
//! - [`http_flood`]: a layer 7 flood at the edge, without a defence, behind a per-address rate
//!   limit, behind a cookie challenge, and what each costs two real users.
//! - [`filter`]: a UDP flood dropped at three depths, the application, nftables ([`nft`]) and
//!   XDP ([`xdp`]), with the packets each handled and the CPU time each cost ([`cpu`]).
//!
//! Nothing here can reach another machine: the raw socket is opened inside a fresh network
//! namespace whose only interfaces are `lo` and netlab's own veth ([`crate::net::ns::raw`]),
//! and the only targets are the services inside ([`check_target`] and
//! [`check_filter_target`] refuse any other before a packet is built).

pub mod cookie;
pub mod counters;
pub mod cpu;
pub mod events;
pub mod filter;
pub mod http_flood;
pub mod ipv4;
pub mod nft;
pub mod reflect;
pub mod render;
pub mod syn;
pub mod syn_packet;
pub mod udp_packet;
pub mod veth;
pub mod xdp;

use std::net::SocketAddr;

use events::{
    Cookies, DdosEvent, Depth, FilterRun, FilterSetup, Mitigation, Phase, ReflectSetup, ReflectSummary, Reflection,
    Setup, WebRun, WebSetup,
};

use crate::error::{Error, Result};
use crate::net::ns::tool;
use crate::trace::{Note, Outcome, Trace, TraceBuilder};

/// Most SYNs one run may send, and the fastest rate.
pub const MAX_PACKETS: u32 = 20_000;
pub const MAX_PPS: u32 = 20_000;
/// Longest flood one run may last.
pub const MAX_SECONDS: f64 = 10.0;

/// Most datagrams one `ddos filter` run (one depth) may send.
pub const MAX_FILTER_PACKETS: u64 = 2_000_000;

/// What `netlab ddos filter` was asked.
#[derive(Debug, Clone)]
pub struct FilterOptions {
    /// One run per depth, in order.
    pub depths: Vec<Depth>,
    pub packets: u64,
    pub per_source: u32,
    pub burst: u32,
}

/// What `netlab ddos reflect` was asked.
#[derive(Debug, Clone, Copy)]
pub struct ReflectOptions {
    pub queries: u32,
    pub qps: u32,
    pub rrl: crate::sandbox::rrl::RrlPolicy,
}

/// Most forged queries per question and phase (the query ID keeps 9 bits to count them).
pub const MAX_REFLECT_QUERIES: u32 = 500;

/// Refuses any victim but the one inside netlab's namespaces, before anything is built.
pub fn check_victim(victim: &str) -> Result<()> {
    check_ours(
        "--victim",
        victim,
        SocketAddr::from((reflect::VICTIM, reflect::VICTIM_PORT)),
        "victim",
    )
}

/// Forges queries to the sandbox's reflectors in three phases: plain, RRL, BCP 38.
pub fn reflect_flood(opts: &ReflectOptions) -> Result<Trace> {
    let batches = (2 * reflect::QUESTIONS.len() + 1) as f64;
    let seconds = batches * f64::from(opts.queries) / f64::from(opts.qps);
    if seconds > MAX_SECONDS {
        return Err(Error::usage(
            format!("--queries {} at --qps {}", opts.queries, opts.qps),
            format!("would send for {seconds:.1} s ({batches} batches)"),
            format!("keep {batches} x --queries / --qps at most {MAX_SECONDS} s"),
        ));
    }
    crate::net::ns::require_privileges()?;
    if !tool::NFT.installed() {
        return Err(tool::NFT.missing());
    }
    let mut b = TraceBuilder::new("ddos", "ddos reflect");
    b.push(
        DdosEvent::ReflectSetup(ReflectSetup {
            network: "two network namespaces of netlab's own, joined by a veth pair".into(),
            victim: format!("{}:{}", reflect::VICTIM, reflect::VICTIM_PORT),
            reflector: format!("{}:53 (ns1.example.com)", reflect::SERVER),
            reflector_rrl: format!("{}:53 (ns2.example.com)", reflect::SERVER_RRL),
            edns_size: reflect::EDNS_SIZE,
            queries: opts.queries,
            queries_per_s: opts.qps,
            rrl_responses_per_second: opts.rrl.responses_per_second,
            rrl_slip: opts.rrl.slip,
            max_seconds: seconds,
        }),
        vec![Note::new(
            "ddos.reflection",
            "UDP has no handshake: a server answers the source address written in the query. A query that forges its victim's address sends the answer there, from a server the victim cannot simply block; a question with a large answer multiplies the attacker's bytes.",
            Some("RFC 5358 §1; RFC 4732 §3.3"),
        )],
    );
    let recorded = reflect::run(reflect::RunSpec {
        queries: opts.queries,
        qps: opts.qps,
        rrl: opts.rrl,
    })?;
    let plain: Vec<&Reflection> = recorded.rows.iter().filter(|r| r.phase == Phase::Plain).collect();
    let limited: Vec<&Reflection> = recorded.rows.iter().filter(|r| r.phase == Phase::Rrl).collect();
    // The comparisons sit on each phase's last row, once its figures are all there.
    let last_of = |phase: Phase| recorded.rows.iter().rposition(|r| r.phase == phase);
    let (last_plain, last_rrl) = (last_of(Phase::Plain), last_of(Phase::Rrl));
    for (i, row) in recorded.rows.iter().enumerate() {
        let mut notes = Vec::new();
        if Some(i) == last_plain {
            notes.extend(amplification_notes(&plain));
        }
        if Some(i) == last_rrl {
            notes.extend(rrl_notes(&plain, &limited, opts.rrl));
        }
        if row.phase == Phase::Bcp38 {
            notes.push(Note::new(
                "ddos.bcp38",
                format!(
                    "With BCP 38 at the attacker's own network (an nftables rule letting out only its address, {}), {} forged queries were dropped before they left and the victim received {} answers: a network that filters its customers' source addresses cannot be the origin of a reflection attack.",
                    reflect::ATTACKER, recorded.bcp38_dropped, row.answers
                ),
                Some("RFC 2827 §3; RFC 3704"),
            ));
        }
        b.push(DdosEvent::Reflection(row.clone()), notes);
    }
    let (answered, slipped, dropped) = recorded.rrl;
    b.push(
        DdosEvent::ReflectSummary(ReflectSummary {
            rrl_answered: answered,
            rrl_slipped: slipped,
            rrl_dropped: dropped,
            bcp38_dropped: recorded.bcp38_dropped,
        }),
        Vec::new(),
    );
    Ok(b.finish(Outcome::Ok))
}

/// The factors side by side, the largest named.
fn amplification_notes(plain: &[&Reflection]) -> Vec<Note> {
    let Some(best) = plain.iter().max_by(|a, b| a.factor.total_cmp(&b.factor)) else {
        return Vec::new();
    };
    let factors: Vec<String> = plain
        .iter()
        .map(|r| format!("{} {} x{:.1}", r.qtype, r.qname, r.factor))
        .collect();
    let per_query = if best.queries == 0 {
        0
    } else {
        best.query_bytes / u64::from(best.queries)
    };
    let mut notes = Vec::new();
    let largest = |t: &str| plain.iter().find(|r| r.qtype == t).map(|r| r.largest_answer);
    if let (Some(any), Some(a)) = (largest("ANY"), largest("A")) {
        if any <= a {
            notes.push(Note::new(
                "ddos.any",
                format!("ANY, long the amplifier of choice, came back no larger than A ({any} bytes): this server answers ANY with one RRset, as RFC 8482 §4.1 allows, so it amplifies no more than any other small answer."),
                Some("RFC 8482 §4.1"),
            ));
        }
    }
    notes.insert(0, Note::new(
        "ddos.amplification",
        format!(
            "Bytes at the victim per byte the attacker sent: {}. The largest, {} {}: a {per_query}-byte query brought back up to {} bytes; the query offered a {}-byte EDNS buffer and set DO, so the server sent everything, signatures included, in one datagram.",
            factors.join(", "),
            best.qtype,
            best.qname,
            best.largest_answer,
            reflect::EDNS_SIZE
        ),
        Some("RFC 6891 §6.2.5; RFC 4732 §3.3"),
    ));
    notes
}

/// What RRL changed, said as the figures show it.
fn rrl_notes(plain: &[&Reflection], limited: &[&Reflection], policy: crate::sandbox::rrl::RrlPolicy) -> Vec<Note> {
    let sum = |rows: &[&Reflection], f: fn(&Reflection) -> u64| rows.iter().map(|r| f(r)).sum::<u64>();
    let (qb, ab) = (sum(plain, |r| r.query_bytes), sum(plain, |r| r.answer_bytes));
    let (lqb, lab) = (sum(limited, |r| r.query_bytes), sum(limited, |r| r.answer_bytes));
    let full = sum(limited, |r| u64::from(r.answers - r.truncated));
    let truncated = sum(limited, |r| u64::from(r.truncated));
    let queries = sum(limited, |r| u64::from(r.left));
    let factor = |a: u64, q: u64| if q == 0 { 0.0 } else { a as f64 / q as f64 };
    vec![Note::new(
        "ddos.rrl",
        format!(
            "With Response Rate Limiting ({} answers/s per client /24 and question, slip {}), {queries} forged queries brought the victim {full} full answers and {truncated} truncated ones (TC=1, no records); the overall factor fell from x{:.1} to x{:.1}. A real client that gets a truncated answer retries over TCP, which a forged source cannot complete.",
            policy.responses_per_second,
            policy.slip,
            factor(ab, qb),
            factor(lab, lqb)
        ),
        Some("RFC 7766 §5; BIND 9 ARM, rate-limit"),
    )]
}

/// What `netlab ddos http` was asked.
#[derive(Debug, Clone)]
pub struct WebOptions {
    pub phases: Vec<Mitigation>,
    pub bots: u32,
    pub rate: u32,
    pub seconds: f64,
    pub per_client: u32,
}

/// Most bot requests per phase.
pub const MAX_WEB_REQUESTS: u64 = 20_000;

/// Floods an edge on loopback once per mitigation.
pub fn web_flood(opts: &WebOptions) -> Result<Trace> {
    let requests = (f64::from(opts.bots) * f64::from(opts.rate) * opts.seconds).ceil() as u64;
    if requests > MAX_WEB_REQUESTS {
        return Err(Error::usage(
            format!(
                "--bots {} at --rate {} for --seconds {}",
                opts.bots, opts.rate, opts.seconds
            ),
            format!("would send {requests} requests per phase"),
            format!("keep bots x rate x seconds at most {MAX_WEB_REQUESTS}"),
        ));
    }
    let mut b = TraceBuilder::new("ddos", "ddos http");
    b.push(
        DdosEvent::WebSetup(WebSetup {
            network: "loopback: each client its own address in 127.0.0.0/8".into(),
            target: http_flood::TARGET.into(),
            bots: opts.bots,
            user: http_flood::USER.to_string(),
            nat_user: http_flood::NAT_USER.to_string(),
            per_client_limit: opts.per_client,
            rate_per_bot: opts.rate,
            seconds: opts.seconds,
            max_requests: requests,
            phases: opts.phases.clone(),
        }),
        vec![Note::new(
            "ddos.l7",
            "A layer 7 flood sends valid requests over real connections, so no packet filter can tell them from a user's; it aims at what is expensive behind the edge, here an uncacheable API answer (Cache-Control: no-store), which no cache absorbs.",
            Some("RFC 4732 §3.1; RFC 9111 §5.2.2.5"),
        )],
    );
    let specs: Vec<http_flood::RunSpec> = opts
        .phases
        .iter()
        .map(|&mitigation| http_flood::RunSpec {
            mitigation,
            bots: opts.bots,
            rate: opts.rate,
            seconds: opts.seconds,
            per_client: opts.per_client,
        })
        .collect();
    for run in http_flood::run(&specs)? {
        let notes = web_notes(&run, opts.per_client);
        b.push(DdosEvent::Web(run), notes);
    }
    Ok(b.finish(Outcome::Ok))
}

/// What a phase's figures mean, said as they show it.
fn web_notes(r: &WebRun, per_client: u32) -> Vec<Note> {
    let mut notes = Vec::new();
    match r.mitigation {
        Mitigation::None => notes.push(Note::new(
            "ddos.l7-none",
            format!(
                "Without a defence the origin answered {} requests in {:.1} s, every bot request ({} of {}) among them: the edge passed on all it was asked.",
                r.origin_requests, r.seconds, r.bot_ok, r.bot_requests
            ),
            Some("RFC 4732 §3.1"),
        )),
        Mitigation::Limit => {
            notes.push(Note::new(
                "ddos.l7-limit",
                format!(
                    "A limit of {per_client} requests/s per address refused {} of the bots' {} requests with 429 and let {} through; the origin answered {} in all.",
                    r.bot_limited, r.bot_requests, r.bot_ok, r.origin_requests
                ),
                Some("RFC 6585 §4"),
            ));
            if r.nat_user.limited > 0 {
                notes.push(Note::new(
                    "ddos.false-positive",
                    format!(
                        "The user behind the first bot's address (a carrier-grade NAT puts thousands of people behind one) was refused {} of {} requests: a per-address limit cannot tell a bot from the people who share its address. The other user got {} of {}.",
                        r.nat_user.limited, r.nat_user.attempts, r.user.ok, r.user.attempts
                    ),
                    Some("RFC 6888 §1; RFC 6269 §7"),
                ));
            }
        }
        Mitigation::Challenge => {
            let extra = match (r.user.first_ms, r.user.median_ms) {
                (Some(first), Some(median)) => format!(
                    "; its first answer took {first:.1} ms with the challenge, the median {median:.1} ms"
                ),
                _ => String::new(),
            };
            notes.push(Note::new(
                "ddos.l7-challenge",
                format!(
                    "The challenge answered all {} of the bots' requests that came without the cookie with a 403 ({} of {}), so none reached the origin ({} requests in all, the users'). The user kept the cookie and paid one more round trip, once{extra}. The NAT user passed too ({} of {}): the token is per address, and the bot simply never used it; a bot that keeps cookies would pass, which is why a challenge is paired with a limit, and why real challenges prove a browser or a person.",
                    r.bot_challenged, r.bot_challenged, r.bot_requests, r.origin_requests, r.nat_user.ok, r.nat_user.attempts
                ),
                Some("RFC 6265 §4.1"),
            ));
        }
    }
    notes
}

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

/// Refuses `given` for `flag` unless it is `ours`, the one `what` inside netlab's namespaces,
/// before anything is built.
fn check_ours(flag: &str, given: &str, ours: SocketAddr, what: &str) -> Result<()> {
    match given.parse::<SocketAddr>() {
        Ok(addr) if addr == ours => Ok(()),
        _ => Err(Error::usage(
            format!("{flag} {given}"),
            format!("is not the {what} inside netlab's private network; floods go nowhere else"),
            format!("leave {flag} out (it is {ours}, inside namespaces netlab creates and removes)"),
        )),
    }
}

/// Refuses any target but the listener inside netlab's namespace, before anything is built.
pub fn check_target(target: &str) -> Result<()> {
    check_ours(
        "--target",
        target,
        SocketAddr::from((syn::TARGET, syn::PORT)),
        "listener",
    )
}

/// Refuses any target but the discard service inside netlab's namespaces.
pub fn check_filter_target(target: &str) -> Result<()> {
    check_ours(
        "--target",
        target,
        SocketAddr::from((filter::TARGET, filter::PORT)),
        "service",
    )
}

/// Floods the discard service once per depth, each in a fresh pair of namespaces.
pub fn filter_flood(opts: &FilterOptions) -> Result<Trace> {
    crate::net::ns::require_privileges()?;
    for depth in &opts.depths {
        let tool = match depth {
            Depth::App => None,
            Depth::Nftables => Some(tool::NFT),
            Depth::Xdp => Some(tool::XDP_FILTER),
        };
        if let Some(tool) = tool.filter(|t| !t.installed()) {
            return Err(Error::usage(
                format!("--depth {}", depth.name()),
                format!("needs {}, which is not installed", tool.program),
                format!(
                    "apt-get install {}, or leave {} out of --depth",
                    tool.package,
                    depth.name()
                ),
            ));
        }
    }
    let mut b = TraceBuilder::new("ddos", "ddos filter");
    b.push(
        DdosEvent::FilterSetup(FilterSetup {
            network: "two network namespaces of netlab's own, joined by a veth pair".into(),
            target: format!("{}:{}/udp", filter::TARGET, filter::PORT),
            spoofed_sources: filter::SPOOFED.into(),
            sources: filter::SOURCES,
            per_source_limit: opts.per_source,
            burst: opts.burst,
            packet_bytes: udp_packet::LEN as u32,
            max_packets: opts.packets,
            max_seconds: MAX_SECONDS,
            depths: opts.depths.clone(),
        }),
        vec![Note::new(
            "ddos.volumetric",
            "A volumetric flood is paid for per packet: every layer a datagram crosses before it is dropped costs CPU time, so an edge drops what it can as early as it can, in the driver (XDP) before the IP stack (nftables) before the application.",
            Some("RFC 4732 §3"),
        )],
    );
    let mut runs = Vec::new();
    for &depth in &opts.depths {
        let run = filter::run(filter::RunSpec {
            depth,
            packets: opts.packets,
            max_seconds: MAX_SECONDS,
            per_source: opts.per_source,
            burst: opts.burst,
        })?;
        let mut notes = filter_run_notes(&run);
        runs.push(run.clone());
        if runs.len() == opts.depths.len() {
            notes.extend(depth_notes(&runs));
        }
        b.push(DdosEvent::Filter(run), notes);
    }
    Ok(b.finish(Outcome::Ok))
}

/// What one depth's figures mean.
fn filter_run_notes(r: &FilterRun) -> Vec<Note> {
    let mut notes = Vec::new();
    match r.depth {
        Depth::App => notes.push(Note::new(
            "ddos.filter-app",
            format!(
                "The application read {} of {} datagrams, each after the IP stack, the socket buffer, a system call and a copy, and then dropped {} by its own per-source limit; {} never reached it because its socket buffer was full (RcvbufErrors).",
                r.app_received, r.sent, r.app_dropped, r.socket_drops
            ),
            Some("RFC 4732 §3.1"),
        )),
        Depth::Nftables => notes.push(Note::new(
            "ddos.filter-nftables",
            format!(
                "nftables dropped {} of {} datagrams at prerouting, before any socket; {} passed its per-source limit and reached the application. Each of the {} spoofed sources had its own bucket: a per-source limit lets a flood through in proportion to the number of sources it claims, and a spoofing attacker claims as many as it likes, which is why BCP 38 filtering at the attacker's network matters.",
                r.dropped_here,
                r.sent,
                r.app_received,
                filter::SOURCES
            ),
            Some("RFC 2827 §3; nft(8) SETS"),
        )),
        Depth::Xdp => notes.push(Note::new(
            "ddos.filter-xdp",
            format!(
                "XDP ({} mode) dropped {} of {} datagrams on the interface, before the IP stack; {} reached the application. xdp-filter's rule is a lookup of the destination port, without per-source state: it would drop a real client's datagram to port {} too.",
                r.xdp_mode.as_deref().unwrap_or("skb"),
                r.dropped_here,
                r.sent,
                r.app_received,
                filter::PORT
            ),
            Some("xdp-filter(8)"),
        )),
    }
    notes
}

/// The depths side by side, said only as the figures show it.
fn depth_notes(runs: &[FilterRun]) -> Vec<Note> {
    if runs.len() < 2 {
        return Vec::new();
    }
    let figures: Vec<String> = runs
        .iter()
        .map(|r| {
            format!(
                "{} {:.0} ns and {:.0} kpps",
                r.depth.name(),
                r.cpu.ns_per_packet,
                r.sent_pps / 1e3
            )
        })
        .collect();
    let ordered = runs
        .windows(2)
        .all(|w| w[0].cpu.ns_per_packet >= w[1].cpu.ns_per_packet);
    let in_order: Vec<Depth> = runs.iter().map(|r| r.depth).collect();
    let deeper_first = in_order.windows(2).all(|w| w[0] < w[1]);
    let conclusion = if deeper_first && ordered {
        "the earlier the drop, the less each datagram cost and the faster one thread could send."
    } else if deeper_first {
        "this run did not show each earlier depth cheaper: the machine's time includes whatever else ran; run it again on a quiet machine."
    } else {
        "run the depths app, nftables, xdp in that order to compare them."
    };
    vec![Note::new(
        "ddos.filter-depths",
        format!(
            "Machine CPU time per datagram (sending and dropping it) and the sender's rate: {}; {conclusion}",
            figures.join(", ")
        ),
        Some("RFC 4732 §3"),
    )]
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
