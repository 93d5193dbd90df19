//! Configured against measured: the link model behind the real forwarder, between the two
//! namespaces, with the kernel's UDP and TCP on either side. For each figure the configured
//! value is the reference, printed on the same line with the ratio.
//!
//! - Round trips: a UDP ping-pong of 32-byte datagrams, [`PINGS`] samples per link; min, p50 and
//!   p99 against the configured `rtt` (with `jitter=J` each one-way delay is uniform in
//!   delay ± J, so a round trip lies within rtt ± 2J).
//! - Loss: [`DATAGRAMS`] datagrams up, paced so that no socket or device queue overflows; the
//!   datagrams missing at the server against n·p, with the binomial bound n·p ± 2·√(n·p·(1−p)),
//!   and how many of them the model itself dropped.
//! - Rate: a bulk TCP transfer of [`BULK_BYTES`] up a `rate=` link; goodput from connect to the
//!   last byte read, against the rate and against the most TCP can carry on it (the payload of
//!   an MTU-sized segment: 1448 of 1500 bytes with timestamps).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use netlab::link::model::Link;
use netlab::link::spec::LinkSpec;
use netlab::link::{Direction, Offer, Verdict};
use netlab::net::ns::{ForwardLog, Forwarder, Namespace, Shaper, Topology};

/// Round trips sampled per link.
const PINGS: usize = 200;
/// Datagrams sent per loss figure.
const DATAGRAMS: u32 = 20_000;
/// Datagrams sent between two pauses of [`PAUSE`]: far below the TUN device's 500-packet queue.
const BURST: u32 = 50;
const PAUSE: Duration = Duration::from_micros(500);
/// Bytes of the bulk transfer on the rate-limited link (3.4 s at 20 mbit).
const BULK_BYTES: usize = 8 << 20;
/// How long a lost reply or a quiet receiver is waited for.
const PATIENCE: Duration = Duration::from_secs(1);
/// The most any single measurement may take.
const DEADLINE: Duration = Duration::from_secs(30);

/// The model as the forwarder's shaper (the bench owns it alone; no restarts).
struct Model(Link);

impl Shaper for Model {
    fn offer(&mut self, dir: Direction, now: Duration, offer: Offer) -> Verdict {
        self.0.offer(dir, now, offer)
    }
}

/// The two namespaces joined by the forwarder running the model of `spec`.
struct Emulated {
    client: Namespace,
    servers: Namespace,
    forwarder: Forwarder,
    spec: LinkSpec,
}

impl Emulated {
    fn start(text: &str) -> Emulated {
        let spec = LinkSpec::parse(text).expect("a valid --link");
        let mtu = u32::try_from(spec.mtu).expect("MTU fits");
        let topology = Topology::create(Some(mtu)).expect("topology");
        let forwarder = Forwarder::start(
            topology.client_tun,
            topology.server_tun,
            Model(Link::new(&spec)),
            0,
            None,
        )
        .expect("forwarder");
        Emulated {
            client: topology.client,
            servers: topology.servers,
            forwarder,
            spec,
        }
    }

    fn udp(&self, ns: &Namespace, addr: &str) -> UdpSocket {
        let addr: SocketAddr = addr.parse().unwrap();
        let socket = ns
            .run(|| UdpSocket::bind(addr))
            .expect("enter namespace")
            .expect("bind");
        socket.set_read_timeout(Some(PATIENCE)).unwrap();
        socket
    }

    fn stop(self) -> ForwardLog {
        self.forwarder.stop()
    }
}

/// Makes the kernel keep up to 16 MiB of datagrams for `socket` (root may exceed rmem_max).
fn big_receive_buffer(socket: &UdpSocket) {
    let size: libc::c_int = 16 << 20;
    // SAFETY: setsockopt(2) on a live socket with a pointer to a live c_int and its size.
    unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            (&size as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

/// Round trips through `link` (e.g. `rtt=50ms,jitter=5ms`): one line of min/p50/p99 against
/// the configured round trip.
pub fn round_trips(link: &str) {
    let net = Emulated::start(link);
    let server = net.udp(&net.servers, "192.0.2.80:0");
    let addr = server.local_addr().unwrap();
    let echo = std::thread::spawn(move || {
        let mut buf = [0u8; 64];
        let started = Instant::now();
        while started.elapsed() < DEADLINE {
            match server.recv_from(&mut buf) {
                Ok((n, from)) if n > 1 => {
                    let _ = server.send_to(&buf[..n], from);
                }
                // A one-byte datagram says the pinging is over.
                Ok(_) => break,
                Err(_) => {}
            }
        }
    });
    let client = net.udp(&net.client, "100.64.0.2:0");
    client.connect(addr).unwrap();
    let mut times = Vec::with_capacity(PINGS);
    let mut lost = 0;
    let started = Instant::now();
    let mut buf = [0u8; 64];
    for seq in 0..PINGS as u64 {
        if started.elapsed() > DEADLINE {
            break;
        }
        let mut ping = [0u8; 32];
        ping[..8].copy_from_slice(&seq.to_be_bytes());
        let sent = Instant::now();
        client.send(&ping).unwrap();
        // Answers to earlier, timed-out pings are skipped by their sequence number.
        loop {
            match client.recv(&mut buf) {
                Ok(32) if buf[..8] == seq.to_be_bytes() => {
                    times.push(sent.elapsed());
                    break;
                }
                Ok(_) => {}
                Err(_) => {
                    lost += 1;
                    break;
                }
            }
        }
    }
    let _ = client.send(&[0]);
    echo.join().unwrap();
    let spec = net.spec.clone();
    net.stop();
    times.sort();
    let (up, down) = (spec.direction(Direction::Up), spec.direction(Direction::Down));
    let rtt = (up.delay + down.delay).as_secs_f64() * 1e3;
    let spread = (up.jitter + down.jitter).as_secs_f64() * 1e3;
    let (min, p50, p99) = (
        percentile(&times, 0.0),
        percentile(&times, 0.5),
        percentile(&times, 0.99),
    );
    let range = if spread > 0.0 {
        format!(" (± 2·jitter: {:.1}..{:.1})", rtt - spread, rtt + spread)
    } else {
        String::new()
    };
    println!(
        "link: --link {link}: round trip configured {rtt:.1} ms{range}; measured over {} pings: min {min:.2} ms, p50 {p50:.2} ms ({:.3}x), p99 {p99:.2} ms, max {:.2} ms; {lost} unanswered",
        times.len(),
        p50 / rtt,
        percentile(&times, 1.0),
    );
}

/// Loss through `link` (e.g. `loss=1%,seed=7`): [`DATAGRAMS`] datagrams up, the missing ones
/// against the binomial expectation.
pub fn loss(link: &str) {
    let net = Emulated::start(link);
    let server = net.udp(&net.servers, "192.0.2.80:0");
    big_receive_buffer(&server);
    let addr = server.local_addr().unwrap();
    let counter = std::thread::spawn(move || {
        let mut seen = vec![false; DATAGRAMS as usize];
        let mut buf = [0u8; 64];
        let started = Instant::now();
        // Ends on the first quiet second after the sender's last datagram.
        while started.elapsed() < DEADLINE {
            match server.recv(&mut buf) {
                Ok(n) if n >= 4 => {
                    let seq = u32::from_be_bytes(buf[..4].try_into().unwrap());
                    if let Some(s) = seen.get_mut(seq as usize) {
                        *s = true;
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        seen.iter().filter(|s| **s).count() as u64
    });
    let client = net.udp(&net.client, "100.64.0.2:0");
    client.connect(addr).unwrap();
    let started = Instant::now();
    for seq in 0..DATAGRAMS {
        let mut datagram = [0u8; 32];
        datagram[..4].copy_from_slice(&seq.to_be_bytes());
        client.send(&datagram).unwrap();
        if seq % BURST == BURST - 1 {
            std::thread::sleep(PAUSE);
        }
    }
    let sending = started.elapsed();
    let received = counter.join().unwrap();
    let spec = net.spec.clone();
    let log = net.stop();
    let n = f64::from(DATAGRAMS);
    let p = spec.direction(Direction::Up).loss_percent / 100.0;
    let lost = u64::from(DATAGRAMS) - received;
    let expected = n * p;
    let two_sigma = 2.0 * (n * p * (1.0 - p)).sqrt();
    let verdict = if (lost as f64 - expected).abs() <= two_sigma {
        "within"
    } else {
        "OUTSIDE"
    };
    println!(
        "link: --link {link}: loss configured {:.2}%; measured {lost} of {DATAGRAMS} datagrams lost = {:.3}% ({:.3}x), expected {expected:.0} ± {two_sigma:.0} (2σ, binomial): {verdict}; the model dropped {}, other losses {}; sent in {:.2} s",
        p * 100.0,
        lost as f64 / n * 100.0,
        lost as f64 / expected,
        log.up.dropped,
        lost.saturating_sub(log.up.dropped) + log.up.write_errors + log.up.overflowed,
        sending.as_secs_f64(),
    );
}

/// Goodput of one TCP transfer up `link` (e.g. `rtt=20ms,rate=20mbit`).
pub fn rate(link: &str) {
    let net = Emulated::start(link);
    let listener = net
        .servers
        .run(|| TcpListener::bind("192.0.2.80:0"))
        .expect("enter the servers' namespace")
        .expect("bind");
    let addr = listener.local_addr().unwrap();
    let reader = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(DEADLINE)).unwrap();
        let mut buf = vec![0u8; 256 * 1024];
        let mut total = 0;
        while total < BULK_BYTES {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
        }
        total
    });
    let started = Instant::now();
    let mut stream = net
        .client
        .run(|| TcpStream::connect(addr))
        .expect("enter the client's namespace")
        .expect("connect");
    let chunk = vec![0x5au8; 64 * 1024];
    let mut sent = 0;
    while sent < BULK_BYTES {
        let n = chunk.len().min(BULK_BYTES - sent);
        stream.write_all(&chunk[..n]).unwrap();
        sent += n;
    }
    let received = reader.join().unwrap();
    let secs = started.elapsed().as_secs_f64();
    drop(stream);
    let spec = net.spec.clone();
    let log = net.stop();
    assert_eq!(received, BULK_BYTES, "the whole transfer arrived");
    let up = spec.direction(Direction::Up);
    let configured = up.rate.expect("a rate= link") as f64 / 1e6;
    // An MTU-sized segment carries MTU − 20 (IPv4) − 32 (TCP with timestamps) bytes of payload.
    let carried = configured * (spec.mtu as f64 - 52.0) / spec.mtu as f64;
    let mbit = received as f64 * 8.0 / secs / 1e6;
    println!(
        "link: --link {link}: rate configured {configured:.1} Mbit/s (at most {carried:.2} Mbit/s of TCP payload); measured {} MiB in {secs:.2} s = {mbit:.2} Mbit/s goodput ({:.3}x the rate, {:.3}x the payload bound); {} packets up, {} dropped by the full queue",
        BULK_BYTES >> 20,
        mbit / configured,
        mbit / carried,
        log.up.packets,
        log.up.dropped,
    );
}
