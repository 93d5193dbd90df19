//! The sandbox's web host against slow clients (slowloris): connections that never start TLS,
//! and TLS connections that never finish their request head, are each closed within the
//! sandbox's 5 s timeouts, and real requests are answered at once meanwhile.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The slow connections of each kind.
const SLOW: usize = 20;

#[test]
fn slow_clients_are_timed_out_without_starving_the_others() {
    let home = tempfile::tempdir().unwrap();
    let (mut up, directory) = common::sandbox_up(&[], 60, home.path());
    let web = directory["tls_hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["names"].as_array().unwrap().iter().any(|n| n == "www.example.com"))
        .unwrap()["socket"]
        .as_str()
        .unwrap()
        .to_string();
    let ca = directory["ca"].as_str().unwrap().to_string();
    let port = web.rsplit(':').next().unwrap().to_string();
    let opened = Instant::now();
    // Connections that never say a word: no ClientHello.
    let mut silent: Vec<TcpStream> = (0..SLOW).map(|_| TcpStream::connect(&web).unwrap()).collect();
    // TLS connections that send half a request head and then nothing.
    let mut halves: Vec<std::process::Child> = (0..SLOW)
        .map(|_| {
            let mut c = Command::new("openssl")
                .args(["s_client", "-quiet", "-connect", &web, "-servername", "www.example.com"])
                .args(["-CAfile", &ca])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            c.stdin
                .as_mut()
                .unwrap()
                .write_all(b"GET / HTTP/1.1\r\nHost: www.example.com\r\n")
                .unwrap();
            c
        })
        .collect();
    // Meanwhile real clients are answered, each well within a second.
    for _ in 0..10 {
        let began = Instant::now();
        let out = Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "--max-time",
                "3",
                "--cacert",
                &ca,
            ])
            .args(["--resolve", &format!("www.example.com:{port}:127.0.0.1")])
            .arg(format!("https://www.example.com:{port}/"))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "200");
        assert!(began.elapsed() < Duration::from_secs(1), "{:?}", began.elapsed());
    }
    // Then the sandbox closes every slow one: the silent after the TLS handshake's 5 s, the
    // half-heads after the request head's 5 s.
    for s in &mut silent {
        s.set_read_timeout(Some(Duration::from_secs(12))).unwrap();
        let mut buf = [0u8; 16];
        let n = s.read(&mut buf).unwrap_or(usize::MAX);
        assert_eq!(n, 0, "the silent connection was closed");
    }
    for c in &mut halves {
        let deadline = Instant::now() + Duration::from_secs(15);
        while c.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "a half-sent request was never timed out");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let took = opened.elapsed();
    assert!(took >= Duration::from_secs(4), "closed before the timeout: {took:?}");
    assert!(took < Duration::from_secs(20), "{took:?}");
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(up.id() as i32, libc::SIGINT) };
    assert!(up.wait().unwrap().success());
}
