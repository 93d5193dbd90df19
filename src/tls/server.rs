//! `netlab tls serve`: accepts TLS connections and reports what each client offered — its
//! ClientHello decoded, its JA3 and JA4 fingerprints, post-quantum hybrid groups and Encrypted
//! Client Hello when present — then answers one request with the client's JA4, in HTTP/1.1 or,
//! when the client's ALPN offer leaves only `h2`, in HTTP/2 (RFC 9113).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::handshake::{self, decode_hello, Hello};
use super::record::{self, ContentType};
use super::tap::{Direction, Recording, Tap};

/// What one client offered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientSeen {
    pub peer: String,
    pub ja3: String,
    pub ja3_string: String,
    pub ja4: String,
    /// Things worth pointing out: post-quantum key exchange, ECH, GREASE.
    pub remarks: Vec<String>,
    pub hello: Hello,
    /// `handshake completed`, or why it failed.
    pub outcome: String,
}

/// The first ClientHello in the bytes a client sent.
fn first_client_hello(recording: &Recording) -> Option<Vec<u8>> {
    let bytes: Vec<u8> = recording
        .chunks()
        .into_iter()
        .filter(|c| c.direction == Direction::ClientToServer)
        .flat_map(|c| c.bytes)
        .collect();
    let (records, _) = record::parse_all(&bytes).ok()?;
    let handshake: Vec<u8> = records
        .iter()
        .take_while(|r| r.content_type == ContentType::Handshake)
        .flat_map(|r| r.fragment.iter().copied())
        .collect();
    let (messages, _) = handshake::split(&handshake).ok()?;
    messages.into_iter().find(|(t, _)| *t == 1).map(|(_, m)| m.to_vec())
}

/// Describes a client from its ClientHello.
fn describe(peer: String, hello_bytes: &[u8], outcome: String) -> Option<ClientSeen> {
    let hello = decode_hello(hello_bytes).ok()?;
    let raw = super::fingerprint::raw_hello(hello_bytes).ok()?;
    let mut remarks = Vec::new();
    if raw.groups.contains(&0x11ec) {
        remarks.push("offers X25519MLKEM768: a post-quantum hybrid key exchange (ML-KEM with X25519)".to_string());
    }
    if raw.extensions.contains(&0xfe0d) {
        remarks.push("sends encrypted_client_hello: the real server name travels encrypted".to_string());
    }
    if raw
        .ciphers
        .iter()
        .chain(&raw.extensions)
        .any(|v| handshake::is_grease(*v))
    {
        remarks.push("uses GREASE values (RFC 8701), as browsers do".to_string());
    }
    Some(ClientSeen {
        peer,
        ja3: super::fingerprint::ja3(&raw),
        ja3_string: super::fingerprint::ja3_string(&raw),
        ja4: super::fingerprint::ja4(&raw),
        remarks,
        hello,
        outcome,
    })
}

/// The ALPN protocols the server speaks, in its order of preference (RFC 7301 §3.2: the
/// server picks): HTTP/1.1 first, so a client offering both gets the simplest answer.
pub const ALPN: [&[u8]; 2] = [b"http/1.1", b"h2"];

/// The answer to the client's request: its JA4, as text.
fn body(ja4: &str) -> String {
    format!("your JA4 is {ja4}\n")
}

/// Reads one HTTP/1.1 request (or its first 4 KiB) and answers it.
async fn answer_h1<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(tls: &mut S, ja4: &str) {
    let mut buf = [0u8; 4096];
    if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(2), tls.read(&mut buf)).await {
        if n > 0 {
            let body = body(ja4);
            let _ = tls.write_all(format!("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len()).as_bytes()).await;
        }
    }
    let _ = tls.shutdown().await;
}

/// HTTP/2: answers the first request on the connection, then says GOAWAY.
async fn answer_h2<S>(tls: S, ja4: &str)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let Ok(Ok(mut conn)) = tokio::time::timeout(Duration::from_secs(2), h2::server::handshake(tls)).await else {
        return;
    };
    let exchange = async {
        if let Some(Ok((_request, mut respond))) = conn.accept().await {
            let response = http::Response::builder()
                .status(200)
                .header("content-type", "text/plain")
                .body(())
                .unwrap_or_default();
            if let Ok(mut send) = respond.send_response(response, false) {
                let _ = send.send_data(bytes::Bytes::from(body(ja4)), true);
            }
        }
        conn.graceful_shutdown();
        // Drive the connection until the client has the answer and the GOAWAY.
        while let Some(Ok(_)) = conn.accept().await {}
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), exchange).await;
}

/// What a failed handshake means, in words when the reason is the ALPN offer: the client
/// offered protocols but none this server speaks, so it sent no_application_protocol
/// (RFC 7301 §3.2).
fn failure(error: &std::io::Error, hello: Option<&Hello>) -> String {
    let offered: Vec<&str> = hello
        .and_then(|h| h.extensions.iter().find(|x| x.ext_type.value == 16))
        .map(|x| x.decoded.iter().map(String::as_str).collect())
        .unwrap_or_default();
    if !offered.is_empty() && !offered.iter().any(|p| ALPN.contains(&p.as_bytes())) {
        return format!(
            "handshake failed: the client offered ALPN {} only, and this server speaks http/1.1 and h2, so it refused the handshake with a no_application_protocol alert (RFC 7301 §3.2)",
            offered.join(", ")
        );
    }
    format!("handshake failed: {error}")
}

/// Serves until `count` handshakes have completed (or forever), sending what each client
/// offered on `report`. A failed handshake is reported but not counted, so a client that does
/// not trust the certificate yet can try again; a connection that never sends a ClientHello
/// (a port probe) is neither.
pub async fn serve(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
    count: Option<u32>,
    report: mpsc::Sender<ClientSeen>,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let mut completed = 0u32;
    while count.is_none_or(|c| completed < c) {
        let Ok((stream, peer)) = listener.accept().await else {
            break;
        };
        let acceptor = acceptor.clone();
        let report = report.clone();
        let task = tokio::spawn(async move {
            let recording = Recording::default();
            let tap = Tap::server_side(stream, Instant::now(), recording.clone());
            let result = tokio::time::timeout(Duration::from_secs(5), acceptor.accept(tap)).await;
            let hello = first_client_hello(&recording);
            let decoded = hello.as_deref().and_then(|h| decode_hello(h).ok());
            let (done, outcome) = match result {
                Ok(Ok(mut tls)) => {
                    let ja4 = hello
                        .as_deref()
                        .and_then(|h| super::fingerprint::raw_hello(h).ok())
                        .map(|r| super::fingerprint::ja4(&r))
                        .unwrap_or_default();
                    let alpn = tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
                    if alpn.as_deref() == Some(b"h2") {
                        answer_h2(tls, &ja4).await;
                    } else {
                        answer_h1(&mut tls, &ja4).await;
                    }
                    (true, "handshake completed".to_string())
                }
                Ok(Err(e)) => (false, failure(&e, decoded.as_ref())),
                Err(_) => (false, "handshake timed out".to_string()),
            };
            match hello.and_then(|h| describe(peer.to_string(), &h, outcome)) {
                Some(seen) => {
                    let _ = report.send(seen).await;
                    done
                }
                None => false,
            }
        });
        if count.is_some() && task.await.unwrap_or(false) {
            completed += 1;
        }
    }
}
