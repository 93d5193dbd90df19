//! Each PoP's web edge on the anycast address, and a client's long download through it: the
//! experiment that shows why anycast and TCP need care.
//!
//! Every PoP answers HTTP/1.1 on port 80 of 203.0.113.1 and of its own unicast address, and
//! names itself in an `x-served-by` header, as CDNs name the site that served a response. `GET /download` sends [`DOWNLOAD_BYTES`] at a
//! steady pace, long enough for a route to change under it.
//!
//! A TCP connection's state (sequence numbers, windows) lives in one PoP's kernel only. When
//! the client's routers switch to another PoP mid-download, the client's next ACK arrives at a
//! PoP that has a listener on the address but no such connection: its kernel answers the
//! segment with a RST (RFC 9293 §3.10.7.2, an ACK to a LISTEN socket), and the client's
//! download dies with "connection reset by peer". The RST comes from the same address as
//! every other segment, so only the PoPs' own counters ([`tcp_resets_sent`]) tell who sent it.
//! A DNS query over UDP is a single datagram and does not care which PoP answers it; and a
//! download from a PoP's unicast address (where DNS steering sends a client) cannot be handed
//! to another PoP, since no other PoP announces that address.

use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::net::ns::Namespace;

/// HTTP's port, where each PoP's edge listens, on every address of the PoP.
pub const PORT: u16 = 80;
/// What `GET /download` sends: 1 MiB, in [`CHUNK`]s every [`PACE`] (about a second).
pub const DOWNLOAD_BYTES: u64 = 1 << 20;
const CHUNK: usize = 16 * 1024;
const PACE: Duration = Duration::from_millis(15);
/// Connections an edge serves at once; more are closed on accept.
const MAX_CONNECTIONS: usize = 16;
/// The longest request head an edge reads.
const MAX_HEAD: usize = 4096;
/// A download with no byte for this long has stalled.
const STALL: Duration = Duration::from_secs(1);
/// A download gives up after this long, whatever happens.
const DOWNLOAD_WITHIN: Duration = Duration::from_secs(5);

/// One PoP's edge, stopped when dropped (with every connection it was serving).
pub struct Edge {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Edge {
    /// Starts `pop`'s edge inside its namespace, on all of the PoP's addresses (the anycast one
    /// and its own; the namespace has no others).
    pub fn start(pop: &str, ns: &Namespace) -> Result<Edge, Error> {
        let listener = ns
            .run(|| TcpListener::bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, PORT))))?
            .map_err(|e| Error::io(format!("HTTP port {PORT} in {pop}"), e))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::io("edge listener", e))?;
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, pop) = (Arc::clone(&stop), pop.to_string());
        let thread = std::thread::spawn(move || accept_loop(&listener, &pop, &flag));
        Ok(Edge {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Edge {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, pop: &str, stop: &Arc<AtomicBool>) {
    let active = Arc::new(AtomicUsize::new(0));
    let mut serving: Vec<JoinHandle<()>> = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) if active.load(Ordering::Relaxed) < MAX_CONNECTIONS => {
                active.fetch_add(1, Ordering::Relaxed);
                let (stop, active, pop) = (Arc::clone(stop), Arc::clone(&active), pop.to_string());
                serving.push(std::thread::spawn(move || {
                    let _ = serve(stream, &pop, &stop);
                    active.fetch_sub(1, Ordering::Relaxed);
                }));
                serving.retain(|t| !t.is_finished());
            }
            Ok(_) => {}
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    for t in serving {
        let _ = t.join();
    }
}

/// One connection: the request head, then the PoP's name or the paced download.
fn serve(mut stream: TcpStream, pop: &str, stop: &AtomicBool) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(STALL))?;
    stream.set_write_timeout(Some(STALL))?;
    let (head, _) = read_head(&mut stream)?;
    let path = head.split_whitespace().nth(1).unwrap_or("/");
    if path != "/download" {
        let body = format!("{pop}\n");
        let reply = format!(
            "HTTP/1.1 200 OK\r\nx-served-by: {pop}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        return stream.write_all(reply.as_bytes());
    }
    let head = format!(
        "HTTP/1.1 200 OK\r\nx-served-by: {pop}\r\ncontent-type: application/octet-stream\r\ncontent-length: {DOWNLOAD_BYTES}\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes())?;
    let chunk = [0u8; CHUNK];
    let mut sent = 0u64;
    while sent < DOWNLOAD_BYTES && !stop.load(Ordering::Relaxed) {
        let n = (DOWNLOAD_BYTES - sent).min(CHUNK as u64) as usize;
        stream.write_all(&chunk[..n])?;
        sent += n as u64;
        std::thread::sleep(PACE);
    }
    Ok(())
}

/// Reads up to the blank line that ends an HTTP head: the head, and what came after it.
fn read_head(stream: &mut TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = got.split_off(end + 4);
            return Ok((String::from_utf8_lossy(&got).into_owned(), rest));
        }
        if got.len() > MAX_HEAD {
            return Err(std::io::Error::new(ErrorKind::InvalidData, "HTTP head too long"));
        }
        match stream.read(&mut buf)? {
            0 => return Err(ErrorKind::UnexpectedEof.into()),
            n => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// How a download ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// Every byte arrived.
    Complete,
    /// A RST ended it (ECONNRESET).
    Reset,
    /// Nothing arrived for [`STALL`].
    Stalled,
    /// The server closed before the last byte.
    Closed,
    /// It never got going: the error.
    Failed(String),
}

impl End {
    pub fn name(&self) -> String {
        match self {
            End::Complete => "complete".into(),
            End::Reset => "reset".into(),
            End::Stalled => "stalled".into(),
            End::Closed => "closed early".into(),
            End::Failed(e) => format!("failed: {e}"),
        }
    }
}

/// What one download got.
#[derive(Debug, Clone)]
pub struct Download {
    /// The `x-served-by` of the response: the PoP the connection reached.
    pub served_by: Option<String>,
    pub expected: u64,
    pub received: u64,
    pub end: End,
    pub ended: Instant,
}

/// Downloads `/download` from `address`, from inside `ns`; `progress` follows the bytes
/// received, so another thread can wait for the download to be under way.
pub fn download(ns: &Namespace, address: Ipv4Addr, progress: &AtomicU64) -> Download {
    let began = Instant::now();
    let failed = |e: String| Download {
        served_by: None,
        expected: DOWNLOAD_BYTES,
        received: 0,
        end: End::Failed(e),
        ended: Instant::now(),
    };
    let stream = match ns.run(|| TcpStream::connect_timeout(&SocketAddr::from((address, PORT)), STALL)) {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return failed(e.to_string()),
        Err(e) => return failed(e.to_string()),
    };
    match receive(stream, address, progress, began) {
        Ok(d) => d,
        Err(e) => failed(e.to_string()),
    }
}

/// The `x-served-by` of `GET /` to `address` from inside `ns`: the PoP that answered.
pub fn served_by(ns: &Namespace, address: Ipv4Addr) -> Option<String> {
    let mut stream = ns
        .run(|| TcpStream::connect_timeout(&SocketAddr::from((address, PORT)), STALL))
        .ok()?
        .ok()?;
    stream.set_read_timeout(Some(STALL)).ok()?;
    stream
        .write_all(format!("GET / HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n\r\n").as_bytes())
        .ok()?;
    let (head, _) = read_head(&mut stream).ok()?;
    header(&head, "x-served-by")
}

/// A header's value in an HTTP head.
fn header(head: &str, name: &str) -> Option<String> {
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_string())
}

fn receive(
    mut stream: TcpStream,
    address: Ipv4Addr,
    progress: &AtomicU64,
    began: Instant,
) -> std::io::Result<Download> {
    stream.set_read_timeout(Some(STALL))?;
    stream.write_all(format!("GET /download HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n\r\n").as_bytes())?;
    let (head, rest) = read_head(&mut stream)?;
    let served_by = header(&head, "x-served-by");
    let expected = header(&head, "content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(DOWNLOAD_BYTES);
    let mut received = rest.len() as u64;
    progress.store(received, Ordering::Relaxed);
    let mut buf = vec![0u8; 64 * 1024];
    let end = loop {
        if received >= expected {
            break End::Complete;
        }
        if began.elapsed() > DOWNLOAD_WITHIN {
            break End::Stalled;
        }
        match stream.read(&mut buf) {
            Ok(0) => break End::Closed,
            Ok(n) => {
                received += n as u64;
                progress.store(received, Ordering::Relaxed);
            }
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break End::Reset,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break End::Stalled,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => break End::Failed(e.to_string()),
        }
    };
    Ok(Download {
        served_by,
        expected,
        received,
        end,
        ended: Instant::now(),
    })
}

/// How many RSTs the kernel of `ns` has sent: `Tcp: OutRsts` of its `/proc/net/snmp` (read
/// from a thread inside the namespace, whose `/proc/thread-self/net` is the namespace's).
pub fn tcp_resets_sent(ns: &Namespace) -> Result<u64, Error> {
    let text = ns
        .run(|| std::fs::read_to_string("/proc/thread-self/net/snmp"))?
        .map_err(|e| Error::io("/proc/net/snmp", e))?;
    out_rsts(&text).ok_or_else(|| Error::io("/proc/net/snmp", std::io::Error::other("no Tcp OutRsts counter")))
}

/// `OutRsts` from the two `Tcp:` lines of `/proc/net/snmp` (names, then values).
fn out_rsts(snmp: &str) -> Option<u64> {
    crate::ddos::counters::snmp_value(snmp, "Tcp:", "OutRsts")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_rsts_is_read_by_its_column_name() {
        let snmp = "Ip: Forwarding DefaultTTL\nIp: 1 64\nTcp: RtoAlgorithm RtoMin ActiveOpens InErrs OutRsts InCsumErrors\nTcp: 1 200 4 0 17 0\nUdp: InDatagrams\nUdp: 3\n";
        assert_eq!(out_rsts(snmp), Some(17));
        assert_eq!(out_rsts("Tcp: OutRsts\n"), None);
        assert_eq!(out_rsts(""), None);
    }
}
