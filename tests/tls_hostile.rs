//! A hostile TLS server in the test: garbage, oversized records, unknown record types, and a
//! handshake that never ends. `netlab tls` ends each with a clear failure within its timeout,
//! and never panics.

mod common;
use common::netlab;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug)]
enum Hostile {
    Garbage,
    OversizedRecord,
    UnknownRecordType,
    EndlessHandshake,
    Silence,
}

/// Serves one misbehaviour to every connection for a few seconds.
fn serve(mode: Hostile) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        listener.set_nonblocking(false).unwrap();
        let deadline = Instant::now() + Duration::from_secs(8);
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
                let _ = s.read(&mut buf); // the ClientHello
                match mode {
                    Hostile::Garbage => {
                        let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\nthis is not TLS at all");
                    }
                    Hostile::OversizedRecord => {
                        let _ = s.write_all(&[22, 3, 3, 0x48, 0x01]);
                        let _ = s.write_all(&vec![0u8; 0x4801]);
                    }
                    Hostile::UnknownRecordType => {
                        let _ = s.write_all(&[99, 3, 3, 0, 4, 1, 2, 3, 4]);
                    }
                    Hostile::EndlessHandshake => {
                        // A ServerHello whose length promises far more than ever arrives.
                        let _ = s.write_all(&[22, 3, 3, 0x40, 0x00, 2, 0x00, 0x3f, 0xfc]);
                        for _ in 0..40 {
                            if s.write_all(&[0u8; 8]).is_err() {
                                break;
                            }
                            std::thread::sleep(Duration::from_millis(100));
                        }
                    }
                    Hostile::Silence => std::thread::sleep(Duration::from_secs(4)),
                }
            });
            if Instant::now() > deadline {
                break;
            }
        }
    });
    addr
}

#[test]
fn every_hostile_server_ends_in_a_clear_bounded_failure() {
    for (mode, want) in [
        (Hostile::Garbage, "the handshake failed"),
        (Hostile::OversizedRecord, "the handshake failed"),
        (Hostile::UnknownRecordType, "the handshake failed"),
        (Hostile::EndlessHandshake, "the handshake did not finish in 1500 ms"),
        (Hostile::Silence, "the handshake did not finish in 1500 ms"),
    ] {
        let addr = serve(mode);
        let start = Instant::now();
        let out = netlab()
            .args(["--json", "tls", &addr, "--sni", "hostile.test", "--timeout", "1500"])
            .timeout(Duration::from_secs(15))
            .output()
            .unwrap();
        assert!(
            start.elapsed() < Duration::from_secs(6),
            "{mode:?} took {:?}",
            start.elapsed()
        );
        assert_eq!(
            out.status.code(),
            Some(4),
            "{mode:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["outcome"]["status"], "failed", "{mode:?}");
        assert_eq!(v["outcome"]["failure"]["phase"], "tls", "{mode:?}");
        let kind = if want.contains("did not finish") {
            "timeout"
        } else {
            "malformed"
        };
        assert_eq!(v["outcome"]["failure"]["kind"], kind, "{mode:?}: {}", v["outcome"]);
        let summary = v["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["type"] == "tls.summary")
            .unwrap();
        let err = summary["error"].as_str().unwrap();
        assert!(err.starts_with(want), "{mode:?}: {err}");
    }
}

#[test]
fn a_refused_connect_is_a_failure_with_its_phase_in_the_trace() {
    // Port 1 on loopback: nothing listens there, so the kernel answers the SYN with RST.
    let out = netlab()
        .args(["--json", "tls", "127.0.0.1:1"])
        .timeout(Duration::from_secs(15))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let failure = &v["outcome"]["failure"];
    assert_eq!(v["outcome"]["status"], "failed");
    assert_eq!(failure["phase"], "connect");
    assert_eq!(failure["kind"], "refused");
    assert_eq!(failure["what"], "TCP connect to 127.0.0.1:1");
    let text = netlab()
        .args(["tls", "127.0.0.1:1"])
        .timeout(Duration::from_secs(15))
        .output()
        .unwrap();
    assert_eq!(text.status.code(), Some(4));
    let shown = String::from_utf8_lossy(&text.stdout);
    assert!(
        shown.contains("failed (connect phase): TCP connect to 127.0.0.1:1: connection refused"),
        "{shown}"
    );
}
