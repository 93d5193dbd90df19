//! `netlab edge` against a tiny origin written here with std::net on 127.0.0.1: methods, targets,
//! fields and bodies pass through; hop-by-hop fields are removed and Via added both ways;
//! `Expect: 100-continue` works; 1xx interim responses are relayed; an origin that drops the
//! connection has the client's dropped too; a refused origin is 502; only loopback is
//! accepted; `--for` stops it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use assert_cmd::prelude::*;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(15);

/// A request as the origin read it.
struct Seen {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Reads one request head and body (Content-Length or chunked) from `reader`.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Seen> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut words = line.split_whitespace();
    let (method, target) = (words.next()?.to_string(), words.next()?.to_string());
    let headers = read_fields(reader)?;
    let field = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let mut body = Vec::new();
    if field("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(n) = field("content-length").and_then(|v| v.trim().parse::<usize>().ok()) {
        body.resize(n, 0);
        reader.read_exact(&mut body).ok()?;
    }
    Some(Seen {
        method,
        target,
        headers,
        body,
    })
}

fn read_fields(reader: &mut impl BufRead) -> Option<Vec<(String, String)>> {
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            return Some(headers);
        }
        let (n, v) = line.split_once(':')?;
        headers.push((n.trim().to_string(), v.trim().to_string()));
    }
}

/// An origin on 127.0.0.1 that answers each connection's one request with `answer`.
fn origin(answer: fn(&Seen, &mut TcpStream)) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut stream = stream;
                if let Some(seen) = read_request(&mut reader) {
                    answer(&seen, &mut stream);
                }
            });
        }
    });
    address
}

/// Echoes what it saw as JSON, with hop-by-hop fields of its own in the response.
fn echo(seen: &Seen, stream: &mut TcpStream) {
    let body = json!({
        "method": seen.method,
        "target": seen.target,
        "headers": seen.headers,
        "body": String::from_utf8_lossy(&seen.body),
    })
    .to_string();
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: X-Hop-Resp\r\nX-Hop-Resp: 1\r\nKeep-Alive: timeout=5\r\nX-End: kept\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    if seen.method != "HEAD" {
        let _ = stream.write_all(body.as_bytes());
    }
}

/// A running `netlab --json edge`, killed when dropped.
struct Edge {
    child: Child,
    address: SocketAddr,
    lines: mpsc::Receiver<Value>,
}

impl Edge {
    fn start(origin: &str) -> Edge {
        Edge::start_with(origin, &[])
    }

    /// With more of `netlab edge`'s flags.
    fn start_with(origin: &str, more: &[&str]) -> Edge {
        let mut child = Command::cargo_bin("netlab")
            .unwrap()
            .env("NETLAB_OFFLINE", "1")
            .args([
                "--json",
                "edge",
                "--listen",
                "127.0.0.1:0",
                "--origin",
                origin,
                "--for",
                "60",
            ])
            .args(more)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout: ChildStdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(serde_json::from_str::<Value>(&line).unwrap()).is_err() {
                    break;
                }
            }
        });
        let listening = lines.recv_timeout(WAIT).expect("the edge says where it listens");
        assert_eq!(listening["type"], "edge.listening", "{listening}");
        assert_eq!(listening["schema"], "netlab.edge/1");
        let address = listening["address"].as_str().unwrap().parse().unwrap();
        Edge { child, address, lines }
    }

    /// The next request the edge reported.
    fn logged(&self) -> Value {
        self.lines.recv_timeout(WAIT).expect("a line per request")
    }

    /// Sends `raw` on a new connection and reads until the edge closes it.
    fn exchange(&self, raw: &[u8]) -> Vec<u8> {
        exchange(self.address, raw)
    }
}

impl Drop for Edge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `raw` to `address` on a new connection and reads until it is closed.
fn exchange(address: SocketAddr, raw: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    stream.write_all(raw).unwrap();
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    out
}

/// A response read off the wire.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn parse(raw: &[u8]) -> Option<Answer> {
        let mut reader = BufReader::new(raw);
        let mut status = String::new();
        reader.read_line(&mut status).ok()?;
        let status = status.split_whitespace().nth(1)?.parse().ok()?;
        let headers = read_fields(&mut reader)?;
        let mut body = Vec::new();
        reader.read_to_end(&mut body).ok()?;
        Some(Answer { status, headers, body })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[test]
fn methods_targets_fields_and_bodies_pass_through() {
    let edge = Edge::start(&format!("http://{}", origin(echo)));
    for (method, body) in [
        ("GET", ""),
        ("HEAD", ""),
        ("POST", "a=1&b=2"),
        ("PUT", "the new text\n"),
        ("PATCH", "{\"op\":\"x\"}"),
        ("DELETE", "why"),
        ("OPTIONS", ""),
    ] {
        let request = format!(
            "{method} /echo/path?q=1&r=%20x HTTP/1.1\r\nHost: shop.example.test:8080\r\nX-Custom: Value  One\r\nConnection: close, X-Drop-Me\r\nX-Drop-Me: secret\r\nKeep-Alive: timeout=9\r\nProxy-Connection: keep-alive\r\nUpgrade: h2c\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let answer = Answer::parse(&edge.exchange(request.as_bytes())).expect("a response");
        assert_eq!(answer.status, 200, "{method}");
        // The response: the origin's own hop-by-hop fields removed, ours added.
        assert_eq!(answer.header("X-End"), Some("kept"), "{method}");
        assert_eq!(answer.header("X-Hop-Resp"), None, "{method}");
        assert_eq!(answer.header("Keep-Alive"), None, "{method}");
        assert!(!answer
            .header("Connection")
            .unwrap_or("")
            .to_ascii_lowercase()
            .contains("x-hop-resp"));
        assert_eq!(answer.header("Via"), Some("1.1 netlab"), "{method}");
        let logged = edge.logged();
        assert_eq!(
            (
                logged["method"].as_str(),
                logged["target"].as_str(),
                logged["status"].as_u64()
            ),
            (Some(method), Some("/echo/path?q=1&r=%20x"), Some(200))
        );
        assert_eq!(logged["origin"], "answered");
        if method == "HEAD" {
            assert!(answer.body.is_empty(), "HEAD has no body");
            assert!(
                answer.header("Content-Length").is_some_and(|n| n != "0"),
                "HEAD keeps the length"
            );
            continue;
        }
        // What the origin saw.
        let seen: Value = serde_json::from_slice(&answer.body).expect("the echo");
        assert_eq!(seen["method"], method);
        assert_eq!(seen["target"], "/echo/path?q=1&r=%20x");
        assert_eq!(seen["body"], body, "{method}");
        let headers: Vec<(String, String)> = serde_json::from_value(seen["headers"].clone()).unwrap();
        let field = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(field("Host"), Some("shop.example.test:8080"), "Host unchanged");
        assert_eq!(field("X-Custom"), Some("Value  One"));
        assert_eq!(field("Via"), Some("1.1 netlab"));
        for hop in ["X-Drop-Me", "Keep-Alive", "Proxy-Connection", "Upgrade"] {
            assert_eq!(field(hop), None, "{method}: {hop} is hop-by-hop");
        }
        assert!(!field("Connection")
            .unwrap_or("")
            .to_ascii_lowercase()
            .contains("x-drop-me"));
    }
}

#[test]
fn a_chunked_upload_arrives_whole() {
    let edge = Edge::start(&format!("http://{}", origin(echo)));
    let raw = edge.exchange(
        b"POST /up HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    );
    let answer = Answer::parse(&raw).expect("a response");
    let seen: Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(seen["body"], "hello world");
}

#[test]
fn expect_100_continue_is_answered_and_passed_on() {
    let edge = Edge::start(&format!("http://{}", origin(echo)));
    let mut stream = TcpStream::connect(edge.address).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    stream
        .write_all(b"PUT /big HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n")
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    assert!(
        status.starts_with("HTTP/1.1 100"),
        "the interim answer before the body: {status:?}"
    );
    assert_eq!(read_fields(&mut reader), Some(vec![]));
    stream.write_all(b"hello there").unwrap();
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).unwrap();
    let answer = Answer::parse(&rest).expect("the final response");
    assert_eq!(answer.status, 200);
    let seen: Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(seen["body"], "hello there");
    let headers: Vec<(String, String)> = serde_json::from_value(seen["headers"].clone()).unwrap();
    assert!(headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("expect") && v == "100-continue"));
}

/// Declares 1000 bytes, sends a few, and closes.
fn cut_short(_: &Seen, stream: &mut TcpStream) {
    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial");
}

/// Reads the request and closes without a word.
fn silent_close(_: &Seen, _: &mut TcpStream) {}

/// Declares 9 MiB (over the edge's buffering cap), sends 1 MiB, and closes.
fn cut_short_big(_: &Seen, stream: &mut TcpStream) {
    let _ = stream.write_all(format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", 9 << 20).as_bytes());
    let _ = stream.write_all(&vec![b'x'; 1 << 20]);
}

#[test]
fn an_origin_that_drops_the_connection_has_the_clients_dropped() {
    let get = b"GET /x HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n";
    for answer in [cut_short, silent_close] {
        let edge = Edge::start(&format!("http://{}", origin(answer)));
        let raw = edge.exchange(get);
        assert!(
            raw.is_empty(),
            "the connection closes with no response made up: {:?}",
            String::from_utf8_lossy(&raw)
        );
        let logged = edge.logged();
        assert_eq!(logged["status"], Value::Null);
        assert_eq!(logged["origin"], "dropped");
    }
    // Too big to buffer: the head has gone out already, and the body ends short.
    let edge = Edge::start(&format!("http://{}", origin(cut_short_big)));
    let answer = Answer::parse(&edge.exchange(get)).expect("the head");
    assert_eq!(answer.status, 200);
    let declared: usize = answer.header("Content-Length").unwrap().parse().unwrap();
    assert!(answer.body.len() < declared, "never a partial body passed off as whole");
    assert_eq!(edge.logged()["origin"], "streamed");
}

/// A response that must be revalidated (`max-age=0, must-revalidate`), or, for a request with
/// `X-Drop`, a closed connection without a word.
fn must_revalidate_then_drop(seen: &Seen, stream: &mut TcpStream) {
    if !seen.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("x-drop")) {
        let _ = stream.write_all(
            b"HTTP/1.1 200 OK\r\nCache-Control: max-age=0, must-revalidate\r\nETag: \"1\"\r\nContent-Length: 2\r\n\r\nok",
        );
    }
}

/// RFC 9111 §5.2.2.2: a cache holding a stale `must-revalidate` response that cannot reach the
/// origin "MUST generate an error response rather than reuse the stale response", 504 by
/// default: a dropped origin connection then gets the client a 504, not a dropped one.
#[test]
fn a_dropped_revalidation_of_must_revalidate_is_504_rfc9111_5_2_2_2() {
    let edge = Edge::start(&format!("http://{}", origin(must_revalidate_then_drop)));
    let first = Answer::parse(&edge.exchange(b"GET /m HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n")).unwrap();
    assert_eq!((first.status, first.body.as_slice()), (200, &b"ok"[..]));
    assert!(first.header("Cache-Status").unwrap().contains("; stored"));
    let raw = edge.exchange(b"GET /m HTTP/1.1\r\nHost: a.test\r\nX-Drop: 1\r\nConnection: close\r\n\r\n");
    let second = Answer::parse(&raw).expect("an error response, not a closed connection");
    assert_eq!(second.status, 504);
    assert!(!String::from_utf8_lossy(&second.body).contains("ok"));
    edge.logged();
    assert_eq!(edge.logged()["origin"], "dropped");
}

/// Sends 103 Early Hints and 102 Processing, then a response fresh for a minute.
fn early_hints(_: &Seen, stream: &mut TcpStream) {
    let _ = stream.write_all(
        b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload; as=style\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n",
    );
    thread::sleep(Duration::from_millis(50));
    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 5\r\n\r\nfinal");
}

/// RFC 9110 §15.2: "A proxy MUST forward 1xx responses", before the final response, and not
/// to an HTTP/1.0 client; the final response alone is stored (RFC 9111 §3), so a hit has none.
#[test]
fn interim_responses_are_relayed_and_not_cached_rfc9110_15_2() {
    let edge = Edge::start(&format!("http://{}", origin(early_hints)));
    let raw = edge.exchange(b"GET /h HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
    let text = String::from_utf8_lossy(&raw).into_owned();
    assert!(
        text.starts_with("HTTP/1.1 103 Early Hints\r\nlink: </s.css>; rel=preload; as=style\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\n"),
        "{text}"
    );
    assert!(text.ends_with("final"), "{text}");
    edge.logged();
    let raw = edge.exchange(b"GET /h HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
    let hit = Answer::parse(&raw).unwrap();
    assert_eq!((hit.status, hit.body.as_slice()), (200, &b"final"[..]));
    assert!(hit.header("Cache-Status").unwrap().contains("hit"));
    edge.logged();
    let raw = edge.exchange(b"GET /h10 HTTP/1.0\r\nHost: a.test\r\n\r\n");
    assert!(
        String::from_utf8_lossy(&raw).starts_with("HTTP/1.0 200 OK\r\n"),
        "no 1xx to HTTP/1.0"
    );
}

#[test]
fn a_refused_origin_is_502_naming_it() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let edge = Edge::start(&url);
    let answer = Answer::parse(&edge.exchange(b"GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n")).unwrap();
    assert_eq!(answer.status, 502);
    assert!(answer.header("Content-Type").unwrap().starts_with("text/plain"));
    let text = String::from_utf8(answer.body).unwrap();
    assert!(text.contains(&url), "{text}");
    assert_eq!(edge.logged()["origin"], "refused");
}

#[test]
fn only_loopback_is_accepted() {
    for args in [
        ["--listen", "0.0.0.0:8080", "--origin", "http://127.0.0.1:8000"],
        ["--listen", "127.0.0.1:0", "--origin", "http://192.0.2.1:80"],
        ["--listen", "127.0.0.1:0", "--origin", "https://127.0.0.1:8443"],
    ] {
        let out = assert_cmd::Command::cargo_bin("netlab")
            .unwrap()
            .env("NETLAB_OFFLINE", "1")
            .arg("edge")
            .args(args)
            .timeout(WAIT)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains("loopback") || stderr.contains("http://"), "{stderr}");
    }
    // The sandbox means nothing to it: refused rather than ignored.
    assert_cmd::Command::cargo_bin("netlab")
        .unwrap()
        .env("NETLAB_OFFLINE", "1")
        .args([
            "--sandbox",
            "edge",
            "--listen",
            "127.0.0.1:0",
            "--origin",
            "http://127.0.0.1:9",
        ])
        .timeout(WAIT)
        .assert()
        .code(2);
}

#[test]
fn for_stops_it() {
    let started = std::time::Instant::now();
    let out = assert_cmd::Command::cargo_bin("netlab")
        .unwrap()
        .env("NETLAB_OFFLINE", "1")
        .args([
            "edge",
            "--listen",
            "127.0.0.1:0",
            "--origin",
            "http://127.0.0.1:9",
            "--for",
            "1",
        ])
        .timeout(WAIT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .starts_with("netlab edge: listening on 127.0.0.1:"));
}

/// When each request reached the slow origin, and when its answer was ready.
static SLOW_LOG: std::sync::Mutex<Vec<(String, std::time::Instant, std::time::Instant)>> =
    std::sync::Mutex::new(Vec::new());

/// Echoes after 400 ms, logging when it started and when its answer was ready.
fn slow_echo(seen: &Seen, stream: &mut TcpStream) {
    let start = std::time::Instant::now();
    thread::sleep(Duration::from_millis(400));
    SLOW_LOG
        .lock()
        .unwrap()
        .push((seen.target.clone(), start, std::time::Instant::now()));
    echo(seen, stream);
}

#[test]
fn concurrent_misses_for_one_url_wait_for_the_first() {
    let edge = Edge::start(&format!("http://{}", origin(slow_echo)));
    let address = edge.address;
    let fetch = |target: &'static str| {
        thread::spawn(move || {
            let request = format!("GET {target} HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
            Answer::parse(&exchange(address, request.as_bytes())).map(|a| a.status)
        })
    };
    let same: Vec<_> = (0..3).map(|_| fetch("/same")).collect();
    for t in same {
        assert_eq!(t.join().unwrap(), Some(200));
    }
    let others = [fetch("/one"), fetch("/two")];
    for t in others {
        assert_eq!(t.join().unwrap(), Some(200));
    }
    let log = SLOW_LOG.lock().unwrap().clone();
    let of = |target: &str| {
        let mut v: Vec<_> = log
            .iter()
            .filter(|(t, _, _)| t == target)
            .map(|(_, s, e)| (*s, *e))
            .collect();
        v.sort();
        v
    };
    let same = of("/same");
    let (_, first_ready) = same[0];
    assert!(
        same[1..].iter().all(|(start, _)| *start >= first_ready),
        "the other misses reached the origin only after the first was answered"
    );
    // Different URLs are not held back by each other.
    let (one, two) = (of("/one")[0], of("/two")[0]);
    assert!(one.0 < two.1 && two.0 < one.1, "two URLs are fetched at once");
}

static SLOW_CACHEABLE_ANSWERED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Answers after 400 ms with a response fresh for a minute.
fn slow_cacheable(_: &Seen, stream: &mut TcpStream) {
    SLOW_CACHEABLE_ANSWERED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    thread::sleep(Duration::from_millis(400));
    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 4\r\n\r\nslow");
}

/// RFC 9211 §2.6: the misses that waited for the first one's fetch are answered with its
/// stored response and say `collapsed` beside why they were to go forward; the origin is
/// asked once.
#[test]
fn collapsed_misses_say_collapsed_in_cache_status_rfc9211_2_6() {
    let edge = Edge::start(&format!("http://{}", origin(slow_cacheable)));
    let address = edge.address;
    let waiting: Vec<_> = (0..3)
        .map(|_| {
            thread::spawn(move || {
                let raw = exchange(address, b"GET /c HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
                Answer::parse(&raw).expect("a response")
            })
        })
        .collect();
    let mut said: Vec<String> = waiting
        .into_iter()
        .map(|t| {
            let answer = t.join().unwrap();
            assert_eq!((answer.status, answer.body.as_slice()), (200, &b"slow"[..]));
            answer.header("Cache-Status").unwrap().to_string()
        })
        .collect();
    said.sort();
    assert_eq!(SLOW_CACHEABLE_ANSWERED.load(std::sync::atomic::Ordering::SeqCst), 1);
    // ttl is 60 less the response delay (§4.2.3), a second when the 400 ms crossed one.
    let leader = &said[0];
    assert!(
        leader.starts_with("netlab; fwd=uri-miss; fwd-status=200; ttl=")
            && leader.ends_with("; stored; detail=max-age"),
        "{leader}"
    );
    for follower in &said[1..] {
        assert!(
            follower.starts_with("netlab; fwd=uri-miss; ttl=") && follower.ends_with("; collapsed; detail=max-age"),
            "{follower}"
        );
    }
    let logged: Vec<Value> = (0..3).map(|_| edge.logged()).collect();
    assert_eq!(logged.iter().filter(|l| l["origin"] == "collapsed").count(), 2);
}

#[test]
fn sigterm_stops_it() {
    let mut edge = Edge::start("http://127.0.0.1:9");
    let pid = libc::pid_t::try_from(edge.child.id()).unwrap();
    // SAFETY: kill(2) on the child this test started, by its id.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let deadline = std::time::Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = edge.child.try_wait().unwrap() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "still running after SIGTERM");
        thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(
        status.code(),
        Some(0),
        "stopped by the signal it caught, not killed by it"
    );
}

/// How many requests the counting origin has answered.
static ANSWERED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Answers with how many requests it has seen, cacheable for a minute, except under /no-store.
fn counting(seen: &Seen, stream: &mut TcpStream) {
    let n = ANSWERED.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
    let policy = if seen.target.starts_with("/no-store") {
        "no-store"
    } else {
        "max-age=60"
    };
    let body = n.to_string();
    let head = format!(
        "HTTP/1.1 200 OK\r\nCache-Control: {policy}\r\nETag: \"v{n}\"\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    if seen.method != "HEAD" {
        let _ = stream.write_all(body.as_bytes());
    }
}

/// The cache behind the proxy: a fresh response is served without asking the origin again
/// (RFC 9111 §4), with Age and a Cache-Status hit (RFC 9211); no-store is never served from
/// the cache (§3); a POST's success invalidates the stored GET (§4.4).
#[test]
fn the_edge_serves_fresh_responses_from_its_cache() {
    let edge = Edge::start(&format!("http://{}", origin(counting)));
    let get = |target: &str| {
        let raw =
            edge.exchange(format!("GET {target} HTTP/1.1\r\nHost: cdn.test\r\nConnection: close\r\n\r\n").as_bytes());
        let answer = Answer::parse(&raw).expect("a response");
        let _ = edge.logged();
        answer
    };
    let first = get("/cached");
    assert_eq!(first.status, 200);
    let miss = first
        .header("cache-status")
        .expect("Cache-Status on every response")
        .to_string();
    assert!(miss.contains("fwd=uri-miss") && miss.contains("stored"), "{miss}");
    let second = get("/cached");
    assert_eq!(second.body, first.body, "the stored body, not the origin's next answer");
    let hit = second.header("cache-status").unwrap();
    assert!(hit.contains("hit"), "{hit}");
    assert!(
        second.header("age").is_some_and(|a| a.parse::<u64>().is_ok()),
        "Age on a stored response"
    );

    let a = get("/no-store");
    let b = get("/no-store");
    assert_ne!(a.body, b.body, "no-store: the origin answers each time");

    let raw =
        edge.exchange(b"POST /cached HTTP/1.1\r\nHost: cdn.test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    assert_eq!(Answer::parse(&raw).unwrap().status, 200);
    let _ = edge.logged();
    let after = get("/cached");
    assert_ne!(after.body, first.body, "the POST's 200 invalidated the stored GET");
}

static SWR_ANSWERED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Fresh for a second, then usable stale for a minute while it is revalidated.
fn stale_while_revalidate(_: &Seen, stream: &mut TcpStream) {
    let n = SWR_ANSWERED.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
    let body = n.to_string();
    let head = format!(
        "HTTP/1.1 200 OK\r\nCache-Control: max-age=1, stale-while-revalidate=60\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
}

/// stale-while-revalidate (RFC 5861 §3): once stale, the stored response is served at once and
/// revalidated in the background, so the next request gets the origin's new answer.
#[test]
fn a_stale_while_revalidate_hit_is_refreshed_in_the_background() {
    let edge = Edge::start(&format!("http://{}", origin(stale_while_revalidate)));
    let get = || {
        let raw = edge.exchange(b"GET /swr HTTP/1.1\r\nHost: cdn.test\r\nConnection: close\r\n\r\n");
        let _ = edge.logged();
        String::from_utf8_lossy(&Answer::parse(&raw).unwrap().body).into_owned()
    };
    assert_eq!(get(), "1");
    thread::sleep(Duration::from_millis(2100));
    assert_eq!(get(), "1", "stale, served without waiting for the origin");
    let mut refreshed = String::new();
    for _ in 0..20 {
        thread::sleep(Duration::from_millis(100));
        refreshed = get();
        if refreshed == "2" {
            break;
        }
    }
    assert_eq!(
        refreshed, "2",
        "the background revalidation stored the origin's new answer"
    );
}

/// `--limit 2/10s`: a client's third request within ten seconds is refused at the edge with 429
/// and Retry-After (RFC 6585 §4), without reaching the origin; every response says what is left
/// in the RateLimit fields.
#[test]
fn the_edge_limits_each_client_with_429_and_ratelimit_fields() {
    let edge = Edge::start_with(
        &format!("http://{}", origin(echo)),
        &["--limit", "2/10s", "--algorithm", "sliding-log"],
    );
    let get = || {
        let raw = edge.exchange(b"GET /api HTTP/1.1\r\nHost: cdn.test\r\nConnection: close\r\n\r\n");
        let logged = edge.logged();
        (Answer::parse(&raw).unwrap(), logged)
    };
    let (first, _) = get();
    assert_eq!(first.status, 200);
    assert_eq!(first.header("ratelimit-policy"), Some("\"edge\";q=2;w=10"));
    assert!(
        first
            .header("ratelimit")
            .is_some_and(|v| v.starts_with("\"edge\";r=1;")),
        "{:?}",
        first.header("ratelimit")
    );
    let (second, _) = get();
    assert_eq!(second.status, 200);
    let (third, logged) = get();
    assert_eq!(third.status, 429);
    let wait: u64 = third.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=10).contains(&wait), "{wait}");
    assert!(third.header("ratelimit").is_some_and(|v| v.contains("r=0")));
    assert_eq!(logged["origin"], "not_asked", "{logged}");
    netlab_edge_refuses(&["--limit", "0/1s"]);
    netlab_edge_refuses(&["--limit", "5/1s", "--algorithm", "leaky-bucket"]);
}

fn netlab_edge_refuses(more: &[&str]) {
    let out = Command::cargo_bin("netlab")
        .unwrap()
        .env("NETLAB_OFFLINE", "1")
        .args([
            "edge",
            "--listen",
            "127.0.0.1:0",
            "--origin",
            "http://127.0.0.1:9",
            "--for",
            "1",
        ])
        .args(more)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{more:?}");
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
}

/// `--purge`: a PURGE removes the stored response (the next GET goes to the origin); without
/// the flag, PURGE is a method like any other and reaches the origin.
#[test]
fn purge_removes_a_stored_response_when_asked_for() {
    let edge = Edge::start_with(&format!("http://{}", origin(counting)), &["--purge"]);
    let send = |method: &str| {
        let raw = edge
            .exchange(format!("{method} /purged HTTP/1.1\r\nHost: cdn.test\r\nConnection: close\r\n\r\n").as_bytes());
        let _ = edge.logged();
        Answer::parse(&raw).unwrap()
    };
    let first = send("GET");
    assert_eq!(send("GET").body, first.body, "stored");
    let purged = send("PURGE");
    assert_eq!(purged.status, 200);
    assert!(String::from_utf8_lossy(&purged.body).contains("purged 1 stored response(s)"));
    assert_ne!(send("GET").body, first.body, "asked the origin again");

    let passing = Edge::start(&format!("http://{}", origin(echo)));
    let raw = passing.exchange(b"PURGE /x HTTP/1.1\r\nHost: cdn.test\r\nConnection: close\r\n\r\n");
    let answer = Answer::parse(&raw).unwrap();
    assert!(
        String::from_utf8_lossy(&answer.body).contains("\"method\":\"PURGE\""),
        "the origin saw it"
    );
}
