//! The TCP experiment behind `netlab tcp HOST:PORT`: connects while capturing on loopback (as
//! root), sends a stream while reading TCP_INFO, closes first, and looks for the socket in
//! TIME_WAIT. A plain blocking socket, so TCP_INFO can be read between writes.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::events::{FrameSeen, PacketEvent, TcpClosed, TcpConnect};
use super::layers::{self, Link};
use super::streams::Tracker;
use super::tcpinfo;
use crate::error::{Error, Result};
use crate::net::capture::{KernelStats, Live};
use crate::net::Network;
use crate::trace::{Failure, Note, Phase, Trace, TraceBuilder};

/// Write size, and how often TCP_INFO is read.
const CHUNK: usize = 64 * 1024;
/// Most frames a capture keeps.
const MAX_FRAMES: usize = 20_000;

/// One experiment: where to connect, how much to send, how long to wait at most.
#[derive(Debug, Clone)]
pub struct TcpOptions {
    pub address: SocketAddr,
    /// Bytes to send before closing.
    pub send: u64,
    pub timeout: Duration,
    /// Congestion control to set on the socket (default: the system's).
    pub cc: Option<super::congestion::CongestionControl>,
}

/// Connects, transfers, closes; the trace of it.
pub fn run(o: &TcpOptions, net: &Network) -> Result<Trace> {
    let (target, send, timeout) = (o.address, o.send, o.timeout);
    let route = net.route(target)?;

    let capture = start_capture(route.via(), net.link().is_some());
    let started = Instant::now();
    let mut trace = TraceBuilder::new("packet", "tcp");
    let mut stream = match crate::net::socket::tcp_connect_blocking(&route, timeout) {
        Ok(stream) => stream,
        Err(e) => {
            // What the capture saw of the attempt: the SYN and the answer (or none).
            if let Ok(capture) = capture {
                std::thread::sleep(Duration::from_millis(20));
                let port = route.via().port();
                let refused = Note::new("tcp.refused", "The SYN was answered with RST: no socket listens on that port, and a TCP with no connection for a segment answers it with a reset at once, so connect() fails in one round trip (a firewall that drops the SYN makes it time out instead).", Some("RFC 9293 §3.10.7.1"));
                push_frames(&mut trace, capture, Some(refused), |d| {
                    d.sport == Some(port) || d.dport == Some(port)
                });
            }
            let failure = Failure::io(Phase::Connect, format!("TCP connect to {target}"), &e);
            return Ok(trace.finish(failure.outcome()));
        }
    };
    let connect_us = started.elapsed().as_micros() as u64;
    if let Some(cc) = &o.cc {
        cc.apply(stream.as_raw_fd())?;
    }
    let local = stream.local_addr().map_err(|e| Error::io("socket", e))?;
    trace.push(
        PacketEvent::Connect(TcpConnect {
            local: local.to_string(),
            remote: target.to_string(),
            via: (route.via() != target).then(|| route.via().to_string()),
            connect_us,
            capture: capture.as_ref().err().map(ToString::to_string),
        }),
        vec![Note::new("tcp.handshake", "connect() returns when the SYN-ACK arrives: the three-way handshake costs the client one round trip before it may send.", Some("RFC 9293 §3.5"))],
    );
    let fd = stream.as_raw_fd();
    let sample = |sent: u64| tcpinfo::sample(fd, sent, started.elapsed().as_micros() as u64);
    let mut last_cwnd = None;
    if let Ok(s) = sample(0) {
        last_cwnd = Some(s.cwnd);
        let note = slow_start_note(&s.algorithm);
        trace.push(PacketEvent::TcpInfo(s), vec![note]);
    }
    let _ = stream.set_write_timeout(Some(timeout));
    let chunk = vec![0x6e_u8; CHUNK];
    let mut sent = 0u64;
    while sent < send {
        let n = (send - sent).min(CHUNK as u64) as usize;
        if let Err(e) = stream.write_all(&chunk[..n]) {
            let failure = Failure::io(Phase::Request, format!("sending to {target}"), &e);
            return Ok(trace.finish(failure.outcome()));
        }
        sent += n as u64;
        // Loopback is faster than a capture socket drains: pace the writes so no frame is lost
        // (behind the link, the link itself sets the pace).
        if capture.as_ref().is_ok_and(|c| c.link == Link::Ethernet) {
            std::thread::sleep(Duration::from_millis(1));
        }
        // Shown when the window changes, and at the end.
        if let Ok(s) = sample(sent) {
            if Some(s.cwnd) != last_cwnd || sent >= send {
                last_cwnd = Some(s.cwnd);
                trace.push(PacketEvent::TcpInfo(s), Vec::new());
            }
        }
    }
    // Close first: our FIN, then wait for the peer's (read returns 0), so this side ends in TIME_WAIT.
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let _ = stream.set_read_timeout(Some(timeout));
    let mut sink = [0u8; 4096];
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
    drop(stream);
    std::thread::sleep(Duration::from_millis(50));
    if let Ok(capture) = capture {
        push_frames(&mut trace, capture, None, |d| {
            d.sport == Some(local.port()) || d.dport == Some(local.port())
        });
    }
    // Last, so labs find it at /events/-1 with or without a capture.
    trace.push(
        PacketEvent::Closed(TcpClosed {
            sent_bytes: sent,
            state_after_close: tcpinfo::socket_state(local, route.via()),
        }),
        vec![Note::new("tcp.time_wait", "The side that closes first waits in TIME_WAIT for 2*MSL (60 s on Linux) so late segments of this connection cannot be taken for a new one's; a server that closes first keeps thousands of these.", Some("RFC 9293 §3.6.1"))],
    );
    Ok(trace.finish(crate::trace::Outcome::Ok))
}

/// Stops `capture` and adds the TCP frames `mine` keeps, then each connection's story; the
/// first reset among them carries `on_reset`.
fn push_frames(
    trace: &mut TraceBuilder,
    capture: Capture,
    mut on_reset: Option<Note>,
    mine: impl Fn(&layers::Decoded) -> bool,
) {
    let capture_link = capture.link;
    let (frames, kernel) = capture.stop();
    let mut missed = (kernel.dropped > 0).then(|| {
        Note::new(
            "tcp.capture-drops",
            format!("The kernel dropped {} frame(s) before the capture could read them (its packet socket's buffer was full; PACKET_STATISTICS): the segments and the story below miss them, though the connection itself did not.", kernel.dropped),
            Some("packet(7)"),
        )
    });
    let mut tracker = Tracker::default();
    let t0 = frames.first().map(|(t, _)| *t).unwrap_or_default();
    for (i, (ts, data)) in frames.iter().enumerate() {
        let decoded = layers::decode(capture_link, data);
        let Some(tcp) = decoded.tcp.filter(|_| mine(&decoded)) else {
            continue;
        };
        // RST is bit 2 of the flags (RFC 9293 §3.1).
        let notes = if tcp.flags & 0x04 != 0 {
            on_reset.take().into_iter().collect()
        } else {
            Vec::new()
        };
        let at = ts.saturating_sub(t0);
        let view = tracker.see(i as u64 + 1, at.as_micros() as u64, &decoded);
        trace.push(
            PacketEvent::Frame(Box::new(FrameSeen {
                number: i as u64 + 1,
                time: at.as_secs_f64(),
                length: data.len() as u32,
                captured: data.len(),
                decoded,
                relative: view.map(|v| v.relative),
                window: view.map(|v| v.window),
            })),
            notes,
        );
    }
    for s in tracker.finish() {
        trace.push(PacketEvent::Stream(Box::new(s)), missed.take().into_iter().collect());
    }
}

/// One captured frame: when (since the Unix epoch), and its bytes.
type Captured = (Duration, Vec<u8>);

/// A capture (on loopback, or on the client's side of the emulated link) running in a thread
/// until stopped.
struct Capture {
    /// What the frames start with.
    link: Link,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<(Vec<Captured>, KernelStats)>,
}

impl Capture {
    /// The frames captured, and what the kernel counted (frames it dropped are not among them).
    fn stop(self) -> (Vec<Captured>, KernelStats) {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// How the window grows at the start, for the algorithm TCP_INFO names: loss-based algorithms
/// slow-start as RFC 5681 says; BBR does not grow towards an ssthresh but probes for bandwidth.
fn slow_start_note(algorithm: &str) -> Note {
    if algorithm == "bbr" {
        Note::new(
            "tcp.slow_start",
            "A new connection starts with a window of 10 segments (RFC 6928). BBR does not slow-start to a loss or to ssthresh: its Startup phase sends at 2/ln 2 (about 2.89) times the delivery rate it has measured, so the rate roughly doubles every round trip, until the measured bandwidth stops growing; then it drains the queue it built.",
            Some("RFC 6928; draft-ietf-ccwg-bbr §4.3.1"),
        )
    } else {
        Note::new(
            "tcp.slow_start",
            "A new connection starts with a window of 10 segments (RFC 6928) and, in slow start, grows it by one segment for every segment acknowledged: about doubling every round trip, until a loss or ssthresh; after that CUBIC (RFC 9438) or Reno (RFC 5681) grow it far more slowly.",
            Some("RFC 5681 §3.1"),
        )
    }
}

/// Why the experiment runs without a capture.
#[derive(Debug, thiserror::Error)]
enum NoCapture {
    #[error("netlab captures on loopback only; use tcpdump or netlab capture for other interfaces")]
    NotLoopback,
    #[error(transparent)]
    Live(crate::net::capture::LiveError),
}

/// Starts capturing on `lo` when the connection goes over loopback and we may; otherwise why not.
/// Starts capturing where the connection's packets pass: loopback, or behind `--link` the
/// client's TUN device (this thread is in the client's namespace, where it is the only one).
fn start_capture(via: SocketAddr, on_link: bool) -> std::result::Result<Capture, NoCapture> {
    let interface = if on_link {
        Some(crate::net::ns::topology::CLIENT_TUN)
    } else if via.ip().is_loopback() {
        None
    } else {
        return Err(NoCapture::NotLoopback);
    };
    let mut live = Live::open(interface, Duration::from_millis(20)).map_err(NoCapture::Live)?;
    let link = if live.raw_ip() { Link::Raw } else { Link::Ethernet };
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let thread = std::thread::spawn(move || {
        let mut frames: Vec<Captured> = Vec::new();
        while !flag.load(Ordering::Relaxed) && frames.len() < MAX_FRAMES {
            if let Ok(Some(data)) = live.next_frame() {
                let ts = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
                frames.push((ts, data));
            }
        }
        (frames, live.kernel_stats())
    });
    Ok(Capture { link, stop, thread })
}
