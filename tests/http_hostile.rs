//! A hostile HTTP/2 server in the test (TLS with a CA made here, ALPN h2): silence, garbage
//! instead of frames, a stream reset mid-body, a body that never ends, an oversized header
//! section. `netlab http` ends each with a named failure, exit status 4 (a network or protocol failure),
//! within its limits.

mod common;
use common::netlab;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::AsyncWriteExt;

#[derive(Clone, Copy, Debug)]
enum Hostile {
    Silence,
    Garbage,
    ResetMidBody,
    EndlessBody,
    HugeHeaders,
}

/// Starts the server on a loopback port; returns the port and the CA file's directory.
fn serve(mode: Hostile) -> (u16, tempfile::TempDir) {
    let pki = netlab::sandbox::pki::Pki::generate().unwrap();
    let cert = pki
        .issue(
            &["localhost"],
            &["127.0.0.1".parse().unwrap()],
            netlab::sandbox::pki::Leaf::Good,
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ca.pem"),
        netlab::sandbox::pki::pem_certificate(&pki.root.cert),
    )
    .unwrap();
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(netlab::sandbox::pki::OneCert(cert)));
    config.alpn_protocols = vec![b"h2".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let _ = tokio::time::timeout(Duration::from_secs(20), async {
                while let Ok((tcp, _)) = listener.accept().await {
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        let Ok(tls) = acceptor.accept(tcp).await else { return };
                        misbehave(mode, tls).await;
                    });
                }
            })
            .await;
        });
    });
    (port, dir)
}

async fn misbehave(mode: Hostile, mut tls: tokio_rustls::server::TlsStream<tokio::net::TcpStream>) {
    match mode {
        Hostile::Silence => tokio::time::sleep(Duration::from_secs(10)).await,
        Hostile::Garbage => {
            let _ = tls
                .write_all(b"HTTP/1.1 200 OK\r\n\r\nthese are not HTTP/2 frames at all")
                .await;
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
        _ => {
            let Ok(mut conn) = h2::server::handshake(tls).await else {
                return;
            };
            let Some(Ok((_, mut respond))) = conn.accept().await else {
                return;
            };
            tokio::spawn(async move { while conn.accept().await.is_some() {} });
            let mut head = http::Response::builder().status(200);
            if let Hostile::HugeHeaders = mode {
                head = head.header("x-huge", "h".repeat(200_000));
            }
            let Ok(mut send) = respond.send_response(head.body(()).unwrap(), false) else {
                return;
            };
            match mode {
                Hostile::ResetMidBody => {
                    let _ = send.send_data(Bytes::from(vec![b'x'; 1000]), false);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    send.send_reset(h2::Reason::INTERNAL_ERROR);
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
                _ => {
                    for _ in 0..400 {
                        if send.send_data(Bytes::from(vec![b'x'; 1024]), false).is_err() {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
        }
    }
}

/// Runs netlab against the hostile server: (exit code, stdout + stderr, seconds taken).
fn fetch(mode: Hostile, extra: &[&str]) -> (i32, String, f64) {
    let (port, dir) = serve(mode);
    let started = Instant::now();
    let out = netlab()
        .timeout(Duration::from_secs(30))
        .args(["http", &format!("https://localhost:{port}/"), "--cacert"])
        .arg(dir.path().join("ca.pem"))
        .args(extra)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text, started.elapsed().as_secs_f64())
}

#[test]
fn a_silent_server_is_cut_at_the_phase_limit() {
    let (code, text, secs) = fetch(Hostile::Silence, &["--timeout", "500"]);
    assert_eq!(code, 4, "{text}");
    assert!(text.contains("no progress in 500 ms"), "{text}");
    assert!(secs < 5.0, "{secs}");
}

#[test]
fn garbage_instead_of_frames_is_named() {
    let (code, text, secs) = fetch(Hostile::Garbage, &["--timeout", "2000"]);
    assert_eq!(code, 4, "{text}");
    assert!(text.contains("failed: HTTP/2"), "{text}");
    assert!(!text.contains("panicked"), "{text}");
    assert!(secs < 5.0, "{secs}");
}

#[test]
fn a_stream_reset_mid_body_is_named() {
    let (code, text, _) = fetch(Hostile::ResetMidBody, &[]);
    assert_eq!(code, 4, "{text}");
    assert!(text.contains("INTERNAL_ERROR") || text.contains("reset"), "{text}");
    assert!(text.contains("RST_STREAM"), "the frame log shows the reset: {text}");
}

#[test]
fn a_body_that_never_ends_is_cut_at_max_time() {
    let (code, text, secs) = fetch(Hostile::EndlessBody, &["--max-time", "1"]);
    assert_eq!(code, 4, "{text}");
    assert!(text.contains("did not finish in 1 s"), "{text}");
    assert!(secs < 6.0, "{secs}");
}

#[test]
fn an_oversized_header_section_is_refused() {
    let (code, text, secs) = fetch(Hostile::HugeHeaders, &["--timeout", "3000"]);
    assert_eq!(code, 4, "{text}");
    assert!(text.contains("failed: HTTP/2 response"), "{text}");
    assert!(!text.contains("hhhhhhhhhh"), "the huge value is not echoed");
    assert!(secs < 6.0, "{secs}");
}
