//! The SYN flood, run for real inside a private network namespace.
//!
//! A TCP listener keeps each half-open connection (a SYN answered with a SYN-ACK, the ACK not
//! yet back) in its SYN queue. A flood of SYNs from addresses that never answer fills the queue;
//! then the kernel drops new SYNs, a real client's among them, which it resends only after 1 s,
//! 3 s, ... (RFC 6298 §2, the initial RTO). SYN cookies (RFC 4987 §3.6) answer a SYN without
//! queuing anything: the server's initial sequence number encodes what it needs, and the
//! client's ACK brings it back.
//!
//! ```text
//!   netlab's namespace (lo only)
//!   raw socket ── SYN from 203.0.113.x ──► 198.51.100.80:80 (listen backlog N)
//!                                          SYN-ACK ──► 203.0.113.0/24 via lo: nobody, dropped
//!   client ──── connect() every 250 ms ──► 198.51.100.80:80
//!   sampler ─── /proc/thread-self/net/{tcp,netstat} every 100 ms
//! ```
//!
//! Replies to the spoofed range are routed out `lo` to no address of the namespace, so they are
//! dropped without a RST or an ICMP error that would free the queue entry (a blackhole route
//! would make the kernel drop the request instead, `IpOutNoRoutes`).

use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use super::cookie::{self, CookieSeen};
use super::counters;
use super::events::{Cookies, Probe, RunSummary, Sample};
use super::syn_packet;
use crate::error::Error;
use crate::net::ns::raw::RawSender;
use crate::net::ns::{topology::ip_batch, Namespace};

/// The listener under attack.
pub const TARGET: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 80);
pub const PORT: u16 = 80;
/// The range the flood's SYNs claim to come from (TEST-NET-3, RFC 5737).
pub const SPOOFED: &str = "203.0.113.0/24";

/// Quiet time before the flood (the client's baseline) and after it.
const LEAD: Duration = Duration::from_millis(500);
const TAIL: Duration = Duration::from_millis(1000);
const SAMPLE_EVERY: Duration = Duration::from_millis(100);
const PROBE_EVERY: Duration = Duration::from_millis(250);
/// A connect that takes longer has lost its SYN: the next try would be 1 s later.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(900);

/// One run's bounds and settings.
#[derive(Debug, Clone, Copy)]
pub struct RunSpec {
    pub cookies: Cookies,
    pub backlog: u32,
    pub max_syn_backlog: Option<u32>,
    pub packets: u32,
    pub pps: u32,
}

/// What one run recorded.
#[derive(Debug)]
pub struct Recorded {
    pub samples: Vec<Sample>,
    pub probes: Vec<Probe>,
    /// With cookies on: the probe SYNs that differ only in their MSS, and their cookies.
    pub cookies_seen: Vec<CookieSeen>,
    pub summary: RunSummary,
}

/// Builds a fresh namespace, floods its listener as `spec` says, and records what happened.
pub fn run(spec: RunSpec) -> Result<Recorded, Error> {
    let ns = Namespace::create()?;
    ip_batch(
        &ns,
        "ddos",
        &[
            format!("addr add {TARGET}/32 dev lo"),
            format!("route add {SPOOFED} dev lo"),
        ],
    )?;
    let sender = RawSender::open(&ns)?;
    ns.run(|| inside(spec, &sender))?
}

fn sysctl(name: &str) -> Option<u32> {
    std::fs::read_to_string(format!("/proc/sys/net/ipv4/{name}"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The experiment, on a thread inside the namespace (the threads it starts are inside too).
fn inside(spec: RunSpec, sender: &RawSender) -> Result<Recorded, Error> {
    let cookies = spec.cookies;
    std::fs::write("/proc/sys/net/ipv4/tcp_syncookies", cookies.sysctl().to_string())
        .map_err(|e| Error::io("/proc/sys/net/ipv4/tcp_syncookies", e))?;
    if let Some(n) = spec.max_syn_backlog {
        std::fs::write("/proc/sys/net/ipv4/tcp_max_syn_backlog", n.to_string())
            .map_err(|e| Error::io("/proc/sys/net/ipv4/tcp_max_syn_backlog", e))?;
    }
    let target = SocketAddr::from((TARGET, PORT));
    let listener = TcpListener::bind(target).map_err(|e| Error::io("listener 198.51.100.80:80", e))?;
    // listen() again sets the backlog std chose (128) to ours.
    // SAFETY: listen(2) on a socket this function owns.
    if unsafe { libc::listen(listener.as_raw_fd(), spec.backlog as libc::c_int) } != 0 {
        return Err(Error::io("listen()", std::io::Error::last_os_error()));
    }
    listener.set_nonblocking(true).map_err(|e| Error::io("listener", e))?;
    let start = Instant::now();
    let base = counters::counters_now();
    let stop = AtomicBool::new(false);
    let flooding = AtomicBool::new(false);
    let samples = Mutex::new(Vec::new());
    let probes = Mutex::new(Vec::new());
    let (sent, flood_from, flood_to, cookies_seen) = thread::scope(|s| {
        // The server: accepts and closes, as fast as connections complete.
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => drop(conn),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(2)),
                    Err(_) => thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                let sample = Sample {
                    cookies,
                    t_ms: ms(start.elapsed()),
                    syn_recv: counters::syn_recv_now(PORT),
                    counters: counters::counters_now().since(&base),
                };
                samples.lock().unwrap_or_else(|p| p.into_inner()).push(sample);
                thread::sleep(SAMPLE_EVERY);
            }
        });
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                let at = start.elapsed();
                let during_flood = flooding.load(Ordering::Relaxed);
                let began = Instant::now();
                let connected = TcpStream::connect_timeout(&target, PROBE_TIMEOUT).is_ok();
                let took = began.elapsed();
                probes.lock().unwrap_or_else(|p| p.into_inner()).push(Probe {
                    cookies,
                    t_ms: ms(at),
                    connected,
                    connect_ms: took.as_secs_f64() * 1e3,
                    during_flood,
                });
                thread::sleep(PROBE_EVERY.saturating_sub(took));
            }
        });
        thread::sleep(LEAD);
        let flood_from = start.elapsed();
        flooding.store(true, Ordering::Relaxed);
        let sent = flood(sender, spec);
        flooding.store(false, Ordering::Relaxed);
        let flood_to = start.elapsed();
        // The queue is still full: SYN-ACKs to the spoofed range are resent for seconds.
        let cookies_seen = match cookies {
            Cookies::Off => Vec::new(),
            Cookies::On | Cookies::Always => cookie::probe(sender),
        };
        thread::sleep(TAIL);
        stop.store(true, Ordering::Relaxed);
        (sent, flood_from, flood_to, cookies_seen)
    });
    let end = counters::counters_now();
    let samples = samples.into_inner().unwrap_or_else(|p| p.into_inner());
    let probes: Vec<Probe> = probes.into_inner().unwrap_or_else(|p| p.into_inner());
    let during: Vec<&Probe> = probes.iter().filter(|p| p.during_flood).collect();
    let mut times: Vec<f64> = during.iter().filter(|p| p.connected).map(|p| p.connect_ms).collect();
    times.sort_by(f64::total_cmp);
    let summary = RunSummary {
        cookies,
        max_syn_backlog: sysctl("tcp_max_syn_backlog").unwrap_or(0),
        synack_retries: sysctl("tcp_synack_retries").unwrap_or(0),
        sent,
        flood_from_ms: ms(flood_from),
        flood_to_ms: ms(flood_to),
        peak_syn_recv: samples.iter().map(|s| s.syn_recv).max().unwrap_or(0),
        counters: end.since(&base),
        probes_during_flood: during.len() as u32,
        connected_during_flood: times.len() as u32,
        median_connect_ms: times.get(times.len() / 2).copied(),
    };
    Ok(Recorded {
        samples,
        probes,
        cookies_seen,
        summary,
    })
}

/// Sends `spec.packets` SYNs at `spec.pps`, each from the next address and port of the spoofed
/// range; how many went out.
fn flood(sender: &RawSender, spec: RunSpec) -> u32 {
    let start = Instant::now();
    let mut sent = 0;
    for i in 0..spec.packets {
        let due = Duration::from_secs_f64(f64::from(i) / f64::from(spec.pps));
        if let Some(wait) = due.checked_sub(start.elapsed()) {
            thread::sleep(wait);
        }
        let src = Ipv4Addr::new(203, 0, 113, 1 + (i % 254) as u8);
        let sport = 1024 + ((i / 254).wrapping_mul(7919) % 60_000) as u16;
        let seq = i.wrapping_mul(2_654_435_761);
        let packet = syn_packet::build(src, sport, TARGET, PORT, seq, 1460);
        if sender.send(&packet, TARGET).is_ok() {
            sent += 1;
        }
    }
    sent
}
