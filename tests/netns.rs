//! The sandbox's private network through the real kernel: the client's and the servers'
//! namespaces, their TUN devices, and netlab's forwarder between them with a shaper chosen by
//! each test. The kernel's own TCP and UDP run over it.
//!
//! Namespaces and TUN devices need root; CI runs as root, so there a missing privilege is a
//! failure, and elsewhere each test says it skips. The tests run one at a time: they measure
//! times and look for the forwarder's threads.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::{Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use netlab::link::{Direction, DropReason, Offer, Verdict};
use netlab::net::ns::topology::{CLIENT_V4, CLIENT_V6};
use netlab::net::ns::{ip, ForwardLog, Forwarder, Namespace, PacketRecord, Pass, RecordVerdict, Shaper, Topology};

/// Every packet leaves the given time after it arrived, both ways.
struct Delay(Duration);

impl Shaper for Delay {
    fn offer(&mut self, _dir: Direction, now: Duration, _offer: Offer) -> Verdict {
        Verdict::Forward { depart: now + self.0 }
    }
}

/// Nothing gets through.
struct DropAll;

impl Shaper for DropAll {
    fn offer(&mut self, _dir: Direction, _now: Duration, _offer: Offer) -> Verdict {
        Verdict::Drop(DropReason::Chosen)
    }
}

static SERIAL: Mutex<()> = Mutex::new(());

/// The test's turn, or None (after saying so) when not root outside CI.
fn root_turn(test: &str) -> Option<MutexGuard<'static, ()>> {
    // SAFETY: geteuid(2) cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run as root for network namespaces"
        );
        eprintln!("not root: skipping {test} (network namespaces and TUN devices need root)");
        return None;
    }
    Some(SERIAL.lock().unwrap_or_else(|e| e.into_inner()))
}

/// The two namespaces with `shaper` forwarding between them.
fn link(shaper: impl Shaper + 'static, log_limit: usize) -> (Namespace, Namespace, Forwarder) {
    let Topology {
        client,
        servers,
        client_tun,
        server_tun,
        ..
    } = Topology::create(None).expect("topology");
    let forwarder = Forwarder::start(client_tun, server_tun, shaper, log_limit, None).expect("forwarder");
    (client, servers, forwarder)
}

/// A TCP echo server on `addr` inside `servers`: `connections` connections, one after the
/// other, each echoed until the client closes; returns the peers it saw.
fn echo_server(servers: &Namespace, addr: SocketAddr, connections: usize) -> JoinHandle<Vec<SocketAddr>> {
    let listener = servers
        .run(|| TcpListener::bind(addr))
        .unwrap()
        .expect("bind in servers");
    std::thread::spawn(move || {
        let mut peers = Vec::new();
        for _ in 0..connections {
            let (mut stream, peer) = listener.accept().expect("accept");
            stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            peers.push(peer);
            let mut buf = vec![0u8; 65536];
            loop {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => stream.write_all(&buf[..n]).expect("echo"),
                }
            }
        }
        peers
    })
}

/// A TCP connection made from inside `client`, and how long connect() took.
fn connect(client: &Namespace, addr: SocketAddr, timeout: Duration) -> (std::io::Result<TcpStream>, Duration) {
    client
        .run(|| {
            let start = Instant::now();
            let stream = TcpStream::connect_timeout(&addr, timeout);
            (stream, start.elapsed())
        })
        .unwrap()
}

/// Sends `data` on `stream`, closes its sending side and reads everything back.
fn echo(mut stream: TcpStream, data: &[u8]) -> Vec<u8> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    stream.write_all(data).unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    let mut back = Vec::new();
    stream.read_to_end(&mut back).unwrap();
    back
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

/// TCP connections through a link that delays 25 ms each way: connect() takes one round trip,
/// SYN up and SYN-ACK down, 50 ms. The best of three, so that a busy machine's scheduling
/// cannot make it look slower than the link is.
fn tcp_through_delay(server: SocketAddr, client_addr: IpAddr) {
    let (client, servers, forwarder) = link(Delay(Duration::from_millis(25)), 10_000);
    let accepted = echo_server(&servers, server, 3);
    let mut best = Duration::MAX;
    let data = pattern(64 * 1024);
    for round in 0..3 {
        let (stream, took) = connect(&client, server, Duration::from_secs(2));
        let stream = stream.expect("connect through the link");
        best = best.min(took);
        if round == 2 {
            assert_eq!(echo(stream, &data), data, "the bytes came back as sent");
        }
    }
    let peers = accepted.join().unwrap();
    assert!(
        peers.iter().all(|p| p.ip() == client_addr),
        "the server saw the client's own address: {peers:?}"
    );
    assert!(
        (Duration::from_millis(45)..=Duration::from_millis(55)).contains(&best),
        "connect took {best:?}, expected 50 ms ± 10%"
    );
    let log = forwarder.stop();
    assert!(log.failures.is_empty(), "{:?}", log.failures);
    assert!(log
        .records
        .iter()
        .all(|r| r.verdict == RecordVerdict::Forwarded { after_us: 25_000 }));
}

#[test]
fn tcp_over_ipv4_sees_the_delay_and_echoes() {
    let Some(_turn) = root_turn("tcp_over_ipv4_sees_the_delay_and_echoes") else {
        return;
    };
    tcp_through_delay("192.0.2.80:8080".parse().unwrap(), IpAddr::V4(CLIENT_V4));
}

#[test]
fn tcp_over_ipv6_sees_the_delay_and_echoes() {
    let Some(_turn) = root_turn("tcp_over_ipv6_sees_the_delay_and_echoes") else {
        return;
    };
    tcp_through_delay("[2001:db8::80]:8080".parse().unwrap(), IpAddr::V6(CLIENT_V6));
}

#[test]
fn sockets_made_inside_work_with_tokio_from_outside() {
    let Some(_turn) = root_turn("sockets_made_inside_work_with_tokio_from_outside") else {
        return;
    };
    let (client, servers, forwarder) = link(Pass, 0);
    let addr: SocketAddr = "[2001:db8::443]:443".parse().unwrap();
    let listener = servers
        .run(|| {
            let l = TcpListener::bind(addr)?;
            l.set_nonblocking(true)?;
            Ok::<_, std::io::Error>(l)
        })
        .unwrap()
        .unwrap();
    let socket = client.run(tokio::net::TcpSocket::new_v6).unwrap().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let reply = runtime.block_on(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        let server = tokio::spawn(async move {
            let (mut s, peer) = listener.accept().await.unwrap();
            s.write_all(format!("hello {}", peer.ip()).as_bytes()).await.unwrap();
        });
        let connect = socket.connect(addr);
        let mut stream = tokio::time::timeout(Duration::from_secs(2), connect)
            .await
            .unwrap()
            .unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).await.unwrap();
        server.await.unwrap();
        reply
    });
    assert_eq!(reply, format!("hello {CLIENT_V6}"));
    assert!(forwarder.stop().failures.is_empty());
}

/// A recorded TCP packet's flags and payload length (None for other packets). The length
/// comes from the packet's, since the record keeps only its first 256 bytes.
fn tcp_facts(r: &PacketRecord) -> Option<(u8, usize)> {
    let t = ip::transport(&r.bytes)?;
    if t.protocol != ip::TCP {
        return None;
    }
    let header = usize::from(r.bytes.get(t.start + 12)? >> 4) * 4;
    Some((*r.bytes.get(t.start + 13)?, r.len.checked_sub(t.start + header)?))
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;

#[test]
fn a_link_that_drops_everything_times_out_and_logs_the_syns() {
    let Some(_turn) = root_turn("a_link_that_drops_everything_times_out_and_logs_the_syns") else {
        return;
    };
    let (client, servers, forwarder) = link(DropAll, 100);
    let server: SocketAddr = "192.0.2.80:8080".parse().unwrap();
    let _listener = servers.run(|| TcpListener::bind(server)).unwrap().unwrap();
    // Linux retransmits a SYN after 1 s (RFC 6298's initial RTO): 1.5 s sees two.
    let (stream, took) = connect(&client, server, Duration::from_millis(1500));
    let err = stream.expect_err("nothing gets through");
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "{err}");
    assert!(took < Duration::from_secs(2));
    let log = forwarder.stop();
    let syns: Vec<_> = log.records.iter().filter(|r| tcp_facts(r).is_some()).collect();
    assert!(syns.len() >= 2, "the SYN and its retransmission: {syns:?}");
    for r in &syns {
        assert_eq!(r.dir, Direction::Up);
        assert_eq!(r.verdict, RecordVerdict::Dropped(DropReason::Chosen));
        assert_eq!(tcp_facts(r).map(|(flags, _)| flags & (SYN | ACK)), Some(SYN));
        assert!(!r.carries_data);
    }
    assert_eq!(log.down.packets, 0, "the server never saw a SYN, so never answered");
    assert_eq!(log.up.forwarded, 0);
}

#[test]
fn udp_datagrams_cross_both_ways() {
    let Some(_turn) = root_turn("udp_datagrams_cross_both_ways") else {
        return;
    };
    let (client, servers, forwarder) = link(Delay(Duration::from_millis(5)), 3);
    for (server, client_addr) in [
        ("198.51.100.1:53", IpAddr::V4(CLIENT_V4)),
        ("[2001:db8::53]:53", IpAddr::V6(CLIENT_V6)),
    ] {
        let server: SocketAddr = server.parse().unwrap();
        let unspecified: SocketAddr = if server.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" }.parse().unwrap();
        let answering = servers.run(|| UdpSocket::bind(server)).unwrap().unwrap();
        let asking = client.run(|| UdpSocket::bind(unspecified)).unwrap().unwrap();
        for s in [&answering, &asking] {
            s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        }
        asking.send_to(b"query", server).unwrap();
        let mut buf = [0u8; 64];
        let (n, from) = answering.recv_from(&mut buf).expect("the query arrived");
        assert_eq!((&buf[..n], from.ip()), (&b"query"[..], client_addr));
        answering.send_to(b"answer", from).unwrap();
        let (n, from) = asking.recv_from(&mut buf).expect("the answer arrived");
        assert_eq!((&buf[..n], from), (&b"answer"[..], server));
    }
    let log = forwarder.stop();
    assert_eq!((log.up.packets, log.down.packets), (2, 2));
    assert_eq!(log.records.len(), 3, "log_limit");
    assert_eq!(log.omitted, 1);
    assert!(log.records.iter().all(|r| r.carries_data));
}

#[test]
fn the_log_tells_packets_apart() {
    let Some(_turn) = root_turn("the_log_tells_packets_apart") else {
        return;
    };
    let (client, servers, forwarder) = link(Pass, 10_000);
    let server: SocketAddr = "203.0.113.7:7".parse().unwrap();
    let accepted = echo_server(&servers, server, 1);
    let (stream, _) = connect(&client, server, Duration::from_secs(2));
    let data = pattern(1000);
    assert_eq!(echo(stream.unwrap(), &data), data);
    accepted.join().unwrap();
    std::thread::sleep(Duration::from_millis(20)); // the last ACKs
    let log: ForwardLog = forwarder.stop();

    let tcp: Vec<_> = log.records.iter().filter_map(|r| Some((r, tcp_facts(r)?))).collect();
    let (first, (flags, _)) = tcp[0];
    assert_eq!(
        (first.dir, flags, first.len),
        (Direction::Up, SYN, 60),
        "SYN with its options"
    );
    let (second, (flags, _)) = tcp[1];
    assert_eq!((second.dir, flags), (Direction::Down, SYN | ACK));
    let mut bare_acks = 0;
    for (r, (flags, payload)) in &tcp {
        assert_eq!(r.carries_data, *payload > 0, "{r:?}");
        assert_eq!(r.bytes.len(), r.len.min(256));
        assert_eq!(r.verdict, RecordVerdict::Forwarded { after_us: 0 });
        let (src, dst) = (&r.bytes[12..16], &r.bytes[16..20]);
        match r.dir {
            Direction::Up => assert_eq!((src, dst), (&CLIENT_V4.octets()[..], &[203, 0, 113, 7][..])),
            Direction::Down => assert_eq!((src, dst), (&[203, 0, 113, 7][..], &CLIENT_V4.octets()[..])),
        }
        if *flags == ACK && *payload == 0 {
            bare_acks += 1;
            assert_eq!(r.len, 52, "IPv4 20 + TCP 20 + timestamps 12");
        }
    }
    assert!(bare_acks >= 2, "the handshake's last ACK and the data's ACKs");
    let carried = |dir| -> usize { tcp.iter().filter(|(r, _)| r.dir == dir).map(|(_, (_, p))| p).sum() };
    assert_eq!((carried(Direction::Up), carried(Direction::Down)), (1000, 1000));
    assert!(log.records.windows(2).all(|w| w[0].at_us <= w[1].at_us));
    assert_eq!(log.up.packets + log.down.packets, log.records.len() as u64);
    assert_eq!(log.up.forwarded, log.up.packets);
}

/// The interfaces of the namespace this process started in.
fn root_links() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("/sys/class/net")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// This process's threads whose names start with `prefix`.
fn threads_named(prefix: &str) -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with(prefix))
        .count()
}

#[test]
fn nothing_is_left_behind() {
    let Some(_turn) = root_turn("nothing_is_left_behind") else {
        return;
    };
    let before = root_links();
    {
        let (client, servers, forwarder) = link(Delay(Duration::from_millis(5)), 100);
        let inside = client.command("ip").args(["-br", "link"]).output().unwrap();
        let inside = String::from_utf8_lossy(&inside.stdout);
        let names: Vec<&str> = inside.lines().filter_map(|l| l.split_whitespace().next()).collect();
        assert_eq!(names, ["lo", "nl-c"], "nothing in the client's namespace leads outside");
        assert_eq!(root_links(), before, "the devices are in the namespaces, not here");

        let server: SocketAddr = "192.0.2.80:8080".parse().unwrap();
        let accepted = echo_server(&servers, server, 1);
        let (stream, _) = connect(&client, server, Duration::from_secs(2));
        let stream = stream.unwrap();
        assert_eq!(threads_named("nl-link-"), 2);
        // Stopped mid-connection by dropping it: the threads end at once; the kernel's removal
        // of the two devices (an RCU grace period each, side by side) is most of the time.
        let stopping = Instant::now();
        drop(forwarder);
        let took = stopping.elapsed();
        assert!(took < Duration::from_millis(100), "stopping took {took:?}");
        assert_eq!(threads_named("nl-link-"), 0);
        assert_eq!(threads_named("nl-netns-"), 0);
        // The server's side waits out its read timeout on its own thread.
        drop((stream, accepted));
    }
    assert_eq!(root_links(), before);
    let root = std::process::Command::new("ip").args(["-br", "link"]).output().unwrap();
    let root: Vec<String> = String::from_utf8_lossy(&root.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .collect();
    assert_eq!(root.iter().filter(|n| n.starts_with("nl-")).count(), 0, "{root:?}");
}

#[test]
fn a_command_in_a_namespace_dies_with_the_thread_that_spawned_it() {
    let Some(_turn) = root_turn("a_command_in_a_namespace_dies_with_the_thread_that_spawned_it") else {
        return;
    };
    let ns = Namespace::create().unwrap();
    let mut sleeper = std::thread::scope(|s| {
        s.spawn(|| ns.command("sleep").arg("30").spawn().unwrap())
            .join()
            .unwrap()
    });
    // The spawning thread has ended: PR_SET_PDEATHSIG delivers SIGKILL.
    let deadline = Instant::now() + Duration::from_secs(2);
    let status = loop {
        if let Some(status) = sleeper.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the child outlived its parent thread");
        std::thread::sleep(Duration::from_millis(10));
    };
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGKILL));
}
