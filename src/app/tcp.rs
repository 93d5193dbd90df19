//! `netlab tcp HOST:PORT`: connects while capturing on loopback (as root), sends a stream while
//! reading TCP_INFO, closes first, and looks for the socket in TIME_WAIT.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::{write_trace, Io};
use crate::cli::{GlobalOpts, TcpArgs};
use crate::error::{Error, Result};
use crate::packet::events::{FrameSeen, PacketEvent, TcpClosed, TcpConnect};
use crate::packet::layers::{self, Link};
use crate::packet::live::Live;
use crate::packet::streams::Tracker;
use crate::packet::tcpinfo;
use crate::render::RenderOpts;
use crate::trace::{Note, Outcome, TraceBuilder};

/// Write size, and how often TCP_INFO is read.
const CHUNK: usize = 64 * 1024;
/// Most frames a capture keeps.
const MAX_FRAMES: usize = 20_000;

pub(super) fn run_tcp(a: &TcpArgs, global: &GlobalOpts, opts: &RenderOpts, io: &mut Io) -> Result<i32> {
    let offline =
        crate::net::Network::offline_from_env(global.offline, std::env::var("NETLAB_OFFLINE").ok().as_deref());
    let trace = tcp_trace(a, global.sandbox, offline)?;
    write_trace(&trace, global.json, opts, io)?;
    Ok(trace.outcome.exit_code())
}

/// Connects, transfers, closes; the trace of it.
pub(super) fn tcp_trace(a: &TcpArgs, sandboxed: bool, offline: bool) -> Result<crate::trace::Trace> {
    let (host, port) = super::tls::split_target(&a.target)?;
    let timeout = Duration::from_millis(a.timeout.max(1));
    let runtime = super::runtime()?;
    // The sandbox runs on the runtime's threads while this thread drives a plain socket.
    let sandbox = runtime.block_on(super::sandbox_if(sandboxed))?;
    let net = match &sandbox {
        Some(s) => s.network(),
        None => crate::net::Network { offline, book: None },
    };
    let ip = match host.parse() {
        Ok(ip) => ip,
        Err(_) => runtime.block_on(super::tls::resolve(&host, sandbox.is_some(), &net, offline))?,
    };
    let target = SocketAddr::new(ip, port);
    let route = net.route(target)?;
    let send = a
        .send
        .unwrap_or(if sandbox.is_some() && port == crate::sandbox::discard::PORT {
            4 << 20
        } else {
            0
        });

    let capture = start_capture(route.via);
    let started = Instant::now();
    let mut stream = TcpStream::connect_timeout(&route.via, timeout)
        .map_err(|e| Error::usage(format!("connect {target}"), e.to_string(), "check the host and port"))?;
    let connect_us = started.elapsed().as_micros() as u64;
    let local = stream.local_addr().map_err(|e| Error::io("socket", e))?;
    let mut trace = TraceBuilder::new("packet", "tcp");
    trace.push(
        PacketEvent::Connect(TcpConnect {
            local: local.to_string(),
            remote: target.to_string(),
            via: (route.via != target).then(|| route.via.to_string()),
            connect_us,
            capture: capture.as_ref().err().cloned(),
        }),
        vec![Note::new("tcp.handshake", "connect() returns when the SYN-ACK arrives: the three-way handshake costs the client one round trip before it may send.", Some("RFC 9293 §3.5"))],
    );
    let fd = stream.as_raw_fd();
    let sample = |sent: u64| tcpinfo::sample(fd, sent, started.elapsed().as_micros() as u64);
    let mut last_cwnd = None;
    if let Ok(s) = sample(0) {
        last_cwnd = Some(s.cwnd);
        trace.push(PacketEvent::TcpInfo(s), vec![Note::new("tcp.slow_start", "A new connection starts with a small congestion window (10 segments, RFC 6928) and doubles it every round trip while ACKs come back: slow start, until loss or ssthresh.", Some("RFC 5681 §3.1"))]);
    }
    let _ = stream.set_write_timeout(Some(timeout));
    let chunk = vec![0x6e_u8; CHUNK];
    let mut sent = 0u64;
    while sent < send {
        let n = (send - sent).min(CHUNK as u64) as usize;
        stream.write_all(&chunk[..n]).map_err(|e| {
            Error::usage(
                format!("sending to {target}"),
                e.to_string(),
                "the peer stopped reading or closed",
            )
        })?;
        sent += n as u64;
        // Loopback is faster than a capture socket drains: pace the writes so no frame is lost.
        if capture.is_ok() {
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
        let frames = capture.stop();
        let mut tracker = Tracker::default();
        let t0 = frames.first().map(|(t, _)| *t).unwrap_or_default();
        for (i, (ts, data)) in frames.iter().enumerate() {
            let decoded = layers::decode(Link::Ethernet, data);
            let ports = [decoded.sport, decoded.dport];
            if !ports.contains(&Some(local.port())) || decoded.tcp.is_none() {
                continue;
            }
            let at = ts.saturating_sub(t0);
            let relative = tracker.see(i as u64 + 1, at.as_micros() as u64, &decoded);
            trace.push(
                PacketEvent::Frame(Box::new(FrameSeen {
                    number: i as u64 + 1,
                    time: at.as_secs_f64(),
                    length: data.len() as u32,
                    captured: data.len(),
                    decoded,
                    relative,
                })),
                Vec::new(),
            );
        }
        for s in tracker.finish() {
            trace.push(PacketEvent::Stream(Box::new(s)), Vec::new());
        }
    }
    // Last, so labs find it at /events/-1 with or without a capture.
    trace.push(
        PacketEvent::Closed(TcpClosed {
            sent_bytes: sent,
            state_after_close: tcpinfo::socket_state(local, route.via),
        }),
        vec![Note::new("tcp.time_wait", "The side that closes first waits in TIME_WAIT for 2*MSL (60 s on Linux) so late segments of this connection cannot be taken for a new one's; a server that closes first keeps thousands of these.", Some("RFC 9293 §3.6.1"))],
    );
    drop(sandbox);
    Ok(trace.finish(Outcome::Ok))
}

/// A loopback capture running in a thread until stopped.
struct Capture {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Vec<(Duration, Vec<u8>)>>,
}

impl Capture {
    fn stop(self) -> Vec<(Duration, Vec<u8>)> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// Starts capturing on `lo` when the connection goes over loopback and we may; otherwise why not.
fn start_capture(via: SocketAddr) -> std::result::Result<Capture, String> {
    if !via.ip().is_loopback() {
        return Err("netlab captures on loopback only; use tcpdump or netlab capture for other interfaces".into());
    }
    let mut live = Live::open(None, Duration::from_millis(20)).map_err(|e| e.to_string())?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let thread = std::thread::spawn(move || {
        let mut frames: Vec<(Duration, Vec<u8>)> = Vec::new();
        while !flag.load(Ordering::Relaxed) && frames.len() < MAX_FRAMES {
            if let Ok(Some(data)) = live.next_frame() {
                let ts = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
                frames.push((ts, data));
            }
        }
        frames
    });
    Ok(Capture { stop, thread })
}
