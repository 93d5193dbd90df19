//! The emulated link's own cost: TCP bulk throughput and round-trip latency through the two
//! namespaces, their TUN devices and the forwarder with a pass-through shaper, against plain
//! loopback in the same run, for the default MTU (65535), jumbo frames (9000) and Ethernet (1500).
//!
//! The MTU 1500 run is repeated with `--link-pcap`'s capture on, for what writing both ends'
//! files costs. Then, through the same forwarder running the link model ([`conditions`]): configured against
//! measured round trips, loss and rate.
//!
//! Run as root with `cargo bench --bench link` (`-- MIB` for another transfer size, default
//! 1024 MiB; `-- throughput` or `-- conditions` for one half). Prints one line per path or
//! link, with the reference (loopback, or the configured value) and the ratio. Traffic stays on
//! loopback and inside netlab's own namespaces.

#[path = "link/conditions.rs"]
mod conditions;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use netlab::net::ns::topology::DEFAULT_MTU;
use netlab::net::ns::{ForwardLog, Forwarder, LinkPcap, Namespace, Pass, Topology};

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
    let args: Vec<String> = std::env::args().skip(1).collect();
    let only =
        |half: &str| !args.iter().any(|a| a == "throughput" || a == "conditions") || args.iter().any(|a| a == half);
    if only("throughput") {
        let mib: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(1024);
        throughput(mib);
    }
    if only("conditions") {
        for link in ["rtt=20ms", "rtt=50ms", "rtt=20ms,jitter=5ms", "rtt=50ms,jitter=5ms"] {
            conditions::round_trips(link);
        }
        for link in ["loss=1%,seed=7", "loss=5%,seed=7", "loss=5%,seed=8"] {
            conditions::loss(link);
        }
        for link in ["rtt=20ms,rate=20mbit", "rtt=50ms,rate=20mbit"] {
            conditions::rate(link);
        }
    }
}

/// The link's own cost, against loopback, for three MTUs, and what `--link-pcap` adds.
fn throughput(mib: usize) {
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
    let mut plain_1500 = None;
    for mtu in [DEFAULT_MTU, 9000, 1500] {
        let (f, log) = through_link(mtu, bytes, None);
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
        if mtu == 1500 {
            plain_1500 = Some(f);
        }
    }
    // --link-pcap's cost: the same MTU 1500 link writing both ends' files (at most 256 MiB
    // transferred, so at most 0.5 GiB of capture on disk, removed after).
    let dir = tempfile::tempdir().expect("a temporary folder");
    let pcap = Arc::new(LinkPcap::create(&dir.path().join("bench")).expect("capture files"));
    let pcap_mib = mib.min(256);
    let (f, _) = through_link(1500, pcap_mib << 20, Some(Arc::clone(&pcap)));
    let files = pcap.finish().expect("capture written");
    let on_disk: u64 = files.iter().map(|p| std::fs::metadata(p).map_or(0, |m| m.len())).sum();
    let plain = plain_1500.expect("the MTU 1500 run");
    println!(
        "link: mtu 1500 with --link-pcap: {pcap_mib} MiB at {:.2} Gbit/s ({:.2}x without); round trip {:.1} µs (+{:.1} over without); connect {:.1} µs; {} MiB of capture written",
        f.gbps,
        f.gbps / plain.gbps,
        f.rtt_us,
        f.rtt_us - plain.rtt_us,
        f.connect_us,
        on_disk >> 20,
    );
}

/// [`measure`] through a pass-through link of `mtu`, capturing into `pcap` if given.
fn through_link(mtu: u32, bytes: usize, pcap: Option<Arc<LinkPcap>>) -> (Figures, ForwardLog) {
    let topology = Topology::create(Some(mtu)).expect("topology");
    let forwarder = Forwarder::start(topology.client_tun, topology.server_tun, Pass, 0, pcap).expect("forwarder");
    let link = Path {
        client: Some(topology.client),
        servers: Some(topology.servers),
        server: "192.0.2.80:0".parse().unwrap(),
    };
    let f = measure(&link, bytes);
    (f, forwarder.stop())
}
