//! One flood, dropped at three depths: in the application, in nftables, in XDP.
//!
//! Every layer a packet crosses before it is dropped costs CPU time, and under a flood that
//! cost, times millions of packets per second, is the attack. So an edge drops what it can as
//! early as it can (RFC 4732 §3, "Defending against DoS"):
//!
//! - **app**: nothing in the kernel filters; each datagram crosses the driver, the IP stack,
//!   the UDP socket's buffer, a system call and a copy, and then the application itself decides
//!   (a per-source token bucket) and discards it.
//! - **nftables**: the same per-source limit, in netfilter at `prerouting` ([`super::nft`]).
//! - **xdp**: an eBPF program on the interface drops the flood's port before the IP stack sees
//!   it ([`super::xdp`]).
//!
//! ```text
//!   flood namespace                                    edge namespace
//!   raw socket, 203.0.113.1-254 ──► nl-flood ══ veth ══ nl-edge ──► [XDP] ──► IP stack
//!   (198.51.100.1)                                     (198.51.100.80)   [nftables prerouting]
//!                                                                     ──► UDP :9 socket ──► app
//! ```
//!
//! A veth pair carries each packet from one namespace to the other on the sending CPU: the
//! receiving side runs in the sender's softirq, so how fast one thread can send is also how
//! cheaply the other side drops. The sender is the same at every depth; the difference in its
//! rate and in the machine's CPU time per packet is the cost of the layers the packet crossed.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::events::{CpuUse, Depth, FilterRun};
use super::veth::{Pair, EDGE_IF};
use super::{counters, cpu, nft, udp_packet, xdp};
use crate::error::Error;
use crate::net::ns::raw::RawSender;
use crate::net::ns::tool::{IP, NFT};
use crate::net::ns::Namespace;
use crate::ratelimit::algorithms::{Algorithm, Policy};

/// The service under attack: UDP port 9, discard (RFC 863), on the edge's address.
pub const TARGET: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 80);
pub const PORT: u16 = 9;
/// Where the datagram that resolves ARP goes: echo (RFC 862), closed here.
const WARM_PORT: u16 = 7;
/// The flood's end of the link.
const FLOOD_ADDR: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
/// The range the flood's datagrams claim to come from (TEST-NET-3, RFC 5737), one source per
/// address from .1 to .254.
pub const SPOOFED: &str = "203.0.113.0/24";
pub const SOURCES: u32 = 254;
/// Datagrams per sendmmsg(2).
const BATCH: usize = 64;
/// The application's receive buffer: large, so that a slow read shows as the app's time and
/// not only as drops at the socket.
const RCVBUF: libc::c_int = 8 << 20;
/// The app has drained the socket once nothing arrived for this long after the flood.
const DRAINED: Duration = Duration::from_millis(100);

/// One run's bounds and policy.
#[derive(Debug, Clone, Copy)]
pub struct RunSpec {
    pub depth: Depth,
    pub packets: u64,
    pub max_seconds: f64,
    /// The per-source policy of the app and nftables: datagrams per second, and the burst.
    pub per_source: u32,
    pub burst: u32,
}

/// The filter installed at a depth, kept until the run's counters are read.
enum Installed {
    App,
    Nft,
    Xdp(xdp::Attached),
}

/// Builds a fresh link, installs the depth's filter, floods, and measures.
pub fn run(spec: RunSpec) -> Result<FilterRun, Error> {
    let link = Pair::create(&format!("{FLOOD_ADDR}/24"), &format!("{TARGET}/24"), &[], &[])?;
    let (installed, rule) = install(&link.edge, spec)?;
    let socket = link.edge.run(bind_app)??;
    let sender = RawSender::open(&link.flood)?;
    // One datagram first, so that ARP has resolved the edge before the clock starts; to another
    // port (echo, where nothing listens), so that no layer counts it.
    let warm = udp_packet::build(Ipv4Addr::new(203, 0, 113, 255), 1, TARGET, WARM_PORT);
    let _ = sender.send(&warm, TARGET);
    thread::sleep(Duration::from_millis(50));
    let rcvbuf_before = link.edge.run(counters::udp_rcvbuf_errors_now)?;
    let rx_before = interface_rx(&link.edge)?;
    let machine_before = cpu::machine_now();
    let done = AtomicBool::new(false);
    let limiter = Limiter::new(spec.per_source, spec.burst);
    let (sent, send_time, sender_cpu, app) = thread::scope(|s| {
        let app = s.spawn(|| serve(&socket, limiter, &done));
        let (sent, send_time, sender_cpu) = flood(&sender, spec);
        done.store(true, Ordering::Relaxed);
        let app = app.join().unwrap_or_default();
        (sent, send_time, sender_cpu, app)
    });
    let machine = cpu::machine_now().since(&machine_before);
    let rx = interface_rx(&link.edge)?.saturating_sub(rx_before);
    let socket_drops = link
        .edge
        .run(counters::udp_rcvbuf_errors_now)?
        .saturating_sub(rcvbuf_before);
    let (dropped_here, xdp_mode) = match installed {
        Installed::App => (app.dropped, None),
        Installed::Nft => {
            let json = NFT.run(&link.edge, &["-j", "list", "table", "ip", nft::TABLE], "")?;
            let counts = nft::parse_counters(&json).ok_or_else(|| Error::Io {
                path: "nft -j list table".into(),
                source: std::io::Error::other("no counters in its output"),
                hint: "check the nftables version (1.0 prints JSON with -j)".into(),
            })?;
            (counts.dropped, None)
        }
        Installed::Xdp(attached) => {
            let mode = attached.mode;
            let counts = attached.finish()?;
            (counts.dropped, Some(mode.name().to_string()))
        }
    };
    let seconds = send_time.as_secs_f64().max(1e-9);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    Ok(FilterRun {
        depth: spec.depth,
        rule,
        xdp_mode,
        sent,
        send_ms: ms(send_time),
        sent_pps: sent as f64 / seconds,
        at_interface: rx,
        dropped_here,
        dropped_pps: dropped_here as f64 / seconds,
        socket_drops,
        app_received: app.received,
        app_served: app.served,
        app_dropped: app.dropped,
        cpu: CpuUse {
            machine_ms: ms(machine.busy),
            user_ms: ms(machine.user),
            system_ms: ms(machine.system),
            softirq_ms: ms(machine.softirq),
            sender_ms: ms(sender_cpu),
            app_ms: ms(app.cpu),
            ns_per_packet: if sent == 0 {
                0.0
            } else {
                machine.busy.as_secs_f64() * 1e9 / sent as f64
            },
        },
    })
}

/// Sets up the depth's filter in the edge's namespace; the rule as a learner would write it.
fn install(edge: &Namespace, spec: RunSpec) -> Result<(Installed, String), Error> {
    Ok(match spec.depth {
        Depth::App => (
            Installed::App,
            format!(
                "in the application, after recvmmsg(): at most {}/s per source address, burst {}",
                spec.per_source, spec.burst
            ),
        ),
        Depth::Nftables => {
            let rules = nft::ruleset(PORT, spec.per_source, spec.burst);
            NFT.run(edge, &["-f", "-"], &rules)?;
            (Installed::Nft, rules)
        }
        Depth::Xdp => {
            let attached = xdp::Attached::attach(edge, EDGE_IF, PORT)?;
            let rule = attached.commands.join("\n");
            (Installed::Xdp(attached), rule)
        }
    })
}

/// The app's socket, in the edge's namespace: bound to the discard port, its receive buffer
/// raised past `net.core.rmem_max` where the privileges allow (SO_RCVBUFFORCE), and a read
/// timeout so it notices the end of the flood.
fn bind_app() -> Result<UdpSocket, Error> {
    let socket = UdpSocket::bind(SocketAddr::from((TARGET, PORT))).map_err(|e| Error::io("udp 198.51.100.80:9", e))?;
    for option in [libc::SO_RCVBUFFORCE, libc::SO_RCVBUF] {
        // SAFETY: setsockopt(2) on a socket this function owns, with an int option value.
        let ok = unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                libc::SOL_SOCKET,
                option,
                (&RCVBUF as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        } == 0;
        if ok {
            break;
        }
    }
    socket
        .set_read_timeout(Some(Duration::from_millis(20)))
        .map_err(|e| Error::io("udp 198.51.100.80:9", e))?;
    Ok(socket)
}

/// How many datagrams the interface has received (`ip -j -s link`'s rx packets).
fn interface_rx(edge: &Namespace) -> Result<u64, Error> {
    let json = IP.run(edge, &["-j", "-s", "link", "show", "dev", EDGE_IF], "")?;
    Ok(parse_rx_packets(&json).unwrap_or(0))
}

/// The `stats64.rx.packets` of the first link in `ip -j -s link show` output.
fn parse_rx_packets(json: &str) -> Option<u64> {
    let doc: Value = serde_json::from_str(json).ok()?;
    doc.pointer("/0/stats64/rx/packets")?.as_u64()
}

/// Sends up to `spec.packets` datagrams as fast as one thread can, each batch from the next
/// sources, for at most `spec.max_seconds`: how many the kernel took, how long it took, and the
/// sending thread's CPU time.
fn flood(sender: &RawSender, spec: RunSpec) -> (u64, Duration, Duration) {
    let packets: Vec<[u8; udp_packet::LEN]> = (0..SOURCES * 4)
        .map(|i| {
            let src = Ipv4Addr::new(203, 0, 113, 1 + (i % SOURCES) as u8);
            udp_packet::build(src, 1024 + (i / SOURCES * 7919 % 60_000) as u16, TARGET, PORT)
        })
        .collect();
    // The ring read as slices, a batch's worth past its end, so each batch is one window of it.
    let ring: Vec<&[u8]> = (0..packets.len() + BATCH)
        .map(|k| &packets[k % packets.len()][..])
        .collect();
    let deadline = Duration::from_secs_f64(spec.max_seconds);
    let cpu_before = cpu::thread_now();
    let start = Instant::now();
    let mut sent = 0u64;
    let mut next = 0usize;
    while sent < spec.packets && start.elapsed() < deadline {
        let n = BATCH.min((spec.packets - sent) as usize);
        match sender.send_batch(&ring[next..next + n], TARGET) {
            Ok(took) => {
                sent += took as u64;
                next = (next + took) % packets.len();
            }
            // The veth's queue was full (ENOBUFS): a moment for the other side.
            Err(_) => thread::yield_now(),
        }
    }
    (sent, start.elapsed(), cpu::thread_now().saturating_sub(cpu_before))
}

/// The application's tally.
#[derive(Debug, Default)]
struct Served {
    received: u64,
    served: u64,
    dropped: u64,
    cpu: Duration,
}

/// Reads datagrams (up to [`BATCH`] per recvmmsg) and applies the per-source limit, until
/// the flood is over and the socket has been quiet for [`DRAINED`].
fn serve(socket: &UdpSocket, mut limiter: Limiter, done: &AtomicBool) -> Served {
    let cpu_before = cpu::thread_now();
    let mut tally = Served::default();
    let mut quiet_since: Option<Instant> = None;
    let mut bufs = vec![[0u8; 64]; BATCH];
    loop {
        let got = recv_batch(socket, &mut bufs);
        if got.is_empty() {
            if done.load(Ordering::Relaxed) {
                let since = *quiet_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= DRAINED {
                    break;
                }
            }
            continue;
        }
        quiet_since = None;
        let now = Instant::now();
        for source in got {
            tally.received += 1;
            if limiter.admit(source, now) {
                tally.served += 1;
            } else {
                tally.dropped += 1;
            }
        }
    }
    tally.cpu = cpu::thread_now().saturating_sub(cpu_before);
    tally
}

/// One recvmmsg(2): the source address of each datagram it returned (none on timeout).
fn recv_batch(socket: &UdpSocket, bufs: &mut [[u8; 64]]) -> Vec<Ipv4Addr> {
    // SAFETY: every header points at its own buffer and its own sockaddr_in, all of which live
    // until the call returns; recvmmsg writes within the lengths given.
    unsafe {
        let mut addrs: Vec<libc::sockaddr_in> = vec![std::mem::zeroed(); bufs.len()];
        let mut iovecs: Vec<libc::iovec> = bufs
            .iter_mut()
            .map(|b| libc::iovec {
                iov_base: b.as_mut_ptr().cast(),
                iov_len: b.len(),
            })
            .collect();
        let mut headers: Vec<libc::mmsghdr> = iovecs
            .iter_mut()
            .zip(addrs.iter_mut())
            .map(|(iov, addr)| {
                let mut h: libc::mmsghdr = std::mem::zeroed();
                h.msg_hdr.msg_name = (addr as *mut libc::sockaddr_in).cast();
                h.msg_hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
                h.msg_hdr.msg_iov = iov;
                h.msg_hdr.msg_iovlen = 1;
                h
            })
            .collect();
        let n = libc::recvmmsg(
            socket.as_raw_fd(),
            headers.as_mut_ptr(),
            headers.len() as libc::c_uint,
            libc::MSG_WAITFORONE,
            std::ptr::null_mut(),
        );
        if n <= 0 {
            return Vec::new();
        }
        addrs[..n as usize]
            .iter()
            .map(|a| Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)))
            .collect()
    }
}

/// The application's per-source policy: `netlab ratelimit`'s token bucket, one per address,
/// `burst` tokens refilled at `rate` a second, one per datagram: the same policy as the
/// nftables rule's `limit rate R/second burst B packets`.
pub struct Limiter {
    policy: Policy,
    buckets: Box<dyn crate::ratelimit::algorithms::Limiter + Send>,
    started: Instant,
}

/// Most sources the app keeps a bucket for: a flood from more addresses cannot grow its memory
/// past this (the buckets start again, every source with a full one).
const MAX_SOURCES: usize = 65_536;

impl Limiter {
    pub fn new(rate: u32, burst: u32) -> Limiter {
        // B tokens per B/R seconds: a bucket of B, refilled at R a second.
        let burst = burst.max(1);
        let policy = Policy {
            limit: burst,
            window_ns: u64::from(burst) * 1_000_000_000 / u64::from(rate.max(1)),
        };
        Limiter {
            policy,
            buckets: Algorithm::TokenBucket.limiter(policy),
            started: Instant::now(),
        }
    }

    /// Whether a datagram from `source` at `now` is within the policy (and takes its token).
    pub fn admit(&mut self, source: Ipv4Addr, now: Instant) -> bool {
        if self.buckets.keys() >= MAX_SOURCES {
            self.buckets = Algorithm::TokenBucket.limiter(self.policy);
        }
        let now_ns = u64::try_from(now.saturating_duration_since(self.started).as_nanos()).unwrap_or(u64::MAX);
        self.buckets.admit(u64::from(u32::from(source)), now_ns).admitted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limiter_admits_the_burst_then_the_rate_per_source() {
        let mut l = Limiter::new(100, 10);
        let t0 = Instant::now();
        let a = Ipv4Addr::new(203, 0, 113, 1);
        let b = Ipv4Addr::new(203, 0, 113, 2);
        let first: usize = (0..20).filter(|_| l.admit(a, t0)).count();
        assert_eq!(first, 10, "the burst, then nothing at the same instant");
        assert!(l.admit(b, t0), "another source has its own bucket");
        // 100/s: one token every 10 ms.
        assert!(!l.admit(a, t0 + Duration::from_millis(5)));
        assert!(l.admit(a, t0 + Duration::from_millis(15)));
        let later: usize = (0..50).filter(|_| l.admit(a, t0 + Duration::from_secs(10))).count();
        assert_eq!(later, 10, "refill stops at the burst");
    }

    #[test]
    fn rx_packets_from_ip_json() {
        let json = r#"[{"ifindex":2,"ifname":"nl-edge","stats64":{"rx":{"bytes":4600,"packets":100,"errors":0,"dropped":0},"tx":{"packets":1}}}]"#;
        assert_eq!(parse_rx_packets(json), Some(100));
        assert_eq!(parse_rx_packets("[]"), None);
        assert_eq!(parse_rx_packets("garbage"), None);
    }
}
