//! The emulated link's own cost: TCP bulk throughput and round-trip latency through the two
//! namespaces, their TUN devices and the forwarder with a pass-through shaper, against plain
//! loopback in the same run, for the default MTU (65535), jumbo frames (9000) and Ethernet (1500).
//!
//! Run as root with `cargo bench --bench link` (or `-- MIB` for another transfer size; default
//! 1024 MiB). Prints one line per path and the ratios. Traffic stays on loopback and inside
//! netlab's own namespaces.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use netlab::net::ns::topology::DEFAULT_MTU;
use netlab::net::ns::{Forwarder, Namespace, Pass, Topology};

const CHUNK: usize = 256 * 1024;
const ROUND_TRIPS: usize = 2000;
const CONNECTS: usize = 200;

/// Where a bench's sockets are made: the root namespace's loopback, or the link's two ends.
struct Path {
    client: Option<Namespace>,
    servers: Option<Namespace>,
    server: SocketAddr,
}

impl Path {
    fn in_client<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        match &self.client {
            Some(ns) => ns.run(f).expect("enter the client's namespace"),
            None => f(),
        }
    }

    fn listen(&self) -> TcpListener {
        let bind = || TcpListener::bind(self.server);
        match &self.servers {
            Some(ns) => ns.run(bind).expect("enter the servers' namespace"),
            None => bind(),
        }
        .expect("bind")
    }

    fn connect(&self, addr: SocketAddr) -> TcpStream {
        let stream = self.in_client(|| TcpStream::connect(addr)).expect("connect");
        stream.set_nodelay(true).unwrap();
        stream
    }
}

/// Sends `bytes` from the client to a server that reads them all; Gbit/s from connect to the
/// server's last read.
fn bulk(path: &Path, bytes: usize) -> f64 {
    let listener = path.listen();
    let addr = listener.local_addr().unwrap();
    let reader = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = vec![0u8; CHUNK];
        let mut total = 0;
        while total < bytes {
            match s.read(&mut buf).unwrap() {
                0 => break,
                n => total += n,
            }
        }
        total
    });
    let start = Instant::now();
    let mut stream = path.connect(addr);
    let chunk = vec![0x5au8; CHUNK];
    let mut sent = 0;
    while sent < bytes {
        let n = CHUNK.min(bytes - sent);
        stream.write_all(&chunk[..n]).unwrap();
        sent += n;
    }
    let received = reader.join().unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(received, bytes);
    bytes as f64 * 8.0 / secs / 1e9
}

/// Median round trip of a 1-byte ping-pong on one connection, in µs.
fn round_trip(path: &Path) -> f64 {
    let listener = path.listen();
    let addr = listener.local_addr().unwrap();
    let echo = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_nodelay(true).unwrap();
        let mut b = [0u8; 1];
        while s.read(&mut b).unwrap_or(0) == 1 {
            s.write_all(&b).unwrap();
        }
    });
    let mut stream = path.connect(addr);
    let mut times = Vec::with_capacity(ROUND_TRIPS);
    let mut b = [7u8; 1];
    for _ in 0..ROUND_TRIPS {
        let start = Instant::now();
        stream.write_all(&b).unwrap();
        stream.read_exact(&mut b).unwrap();
        times.push(start.elapsed());
    }
    drop(stream);
    echo.join().unwrap();
    median_us(times)
}

/// Median time of connect() (the three-way handshake's first two legs), in µs.
fn connect_time(path: &Path) -> f64 {
    let listener = path.listen();
    let addr = listener.local_addr().unwrap();
    let acceptor = std::thread::spawn(move || {
        for _ in 0..CONNECTS {
            drop(listener.accept().unwrap());
        }
    });
    let times: Vec<Duration> = path.in_client(|| {
        (0..CONNECTS)
            .map(|_| {
                let start = Instant::now();
                let s = TcpStream::connect(addr).expect("connect");
                let took = start.elapsed();
                drop(s);
                took
            })
            .collect()
    });
    acceptor.join().unwrap();
    median_us(times)
}

fn median_us(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64() * 1e6
}

struct Figures {
    gbps: f64,
    rtt_us: f64,
    connect_us: f64,
}

fn measure(path: &Path, bytes: usize) -> Figures {
    Figures {
        gbps: bulk(path, bytes),
        rtt_us: round_trip(path),
        connect_us: connect_time(path),
    }
}

fn main() {
    // SAFETY: geteuid(2) cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        println!("link: not root, skipping (network namespaces and TUN devices need root)");
        return;
    }
    let mib: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1024);
    let bytes = mib << 20;

    let loopback = Path {
        client: None,
        servers: None,
        server: "127.0.0.1:0".parse().unwrap(),
    };
    let reference = measure(&loopback, bytes);
    println!(
        "link: loopback (reference): {mib} MiB at {:.2} Gbit/s; round trip {:.1} µs; connect {:.1} µs",
        reference.gbps, reference.rtt_us, reference.connect_us
    );
    for mtu in [DEFAULT_MTU, 9000, 1500] {
        let topology = Topology::create(Some(mtu)).expect("topology");
        let forwarder = Forwarder::start(topology.client_tun, topology.server_tun, Pass, 0).expect("forwarder");
        let link = Path {
            client: Some(topology.client),
            servers: Some(topology.servers),
            server: "192.0.2.80:0".parse().unwrap(),
        };
        let f = measure(&link, bytes);
        let log = forwarder.stop();
        println!(
            "link: mtu {mtu}: {mib} MiB at {:.2} Gbit/s ({:.2}x loopback); round trip {:.1} µs (+{:.1}); connect {:.1} µs (+{:.1}); {} packets up, {} down, {} lost",
            f.gbps,
            f.gbps / reference.gbps,
            f.rtt_us,
            f.rtt_us - reference.rtt_us,
            f.connect_us,
            f.connect_us - reference.connect_us,
            log.up.packets,
            log.down.packets,
            log.up.write_errors + log.down.write_errors + log.up.overflowed + log.down.overflowed,
        );
    }
}
