//! `netlab tls serve`: accepts TLS connections and reports what each client offered — its
//! ClientHello decoded, its JA3 and JA4 fingerprints, post-quantum hybrid groups and Encrypted
//! Client Hello when present — then answers one HTTP/1.1 request with the client's JA4.

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

/// Serves `count` connections (or forever), sending what each client offered on `report`.
pub async fn serve(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
    count: Option<u32>,
    report: mpsc::Sender<ClientSeen>,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let mut served = 0u32;
    while count.is_none_or(|c| served < c) {
        let Ok((stream, peer)) = listener.accept().await else {
            break;
        };
        served += 1;
        let acceptor = acceptor.clone();
        let report = report.clone();
        let task = tokio::spawn(async move {
            let recording = Recording::default();
            let tap = Tap::server_side(stream, Instant::now(), recording.clone());
            let outcome = match tokio::time::timeout(Duration::from_secs(5), acceptor.accept(tap)).await {
                Ok(Ok(mut tls)) => {
                    let ja4 = first_client_hello(&recording)
                        .and_then(|h| super::fingerprint::raw_hello(&h).ok())
                        .map(|r| super::fingerprint::ja4(&r))
                        .unwrap_or_default();
                    let mut buf = [0u8; 4096];
                    if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(2), tls.read(&mut buf)).await {
                        if n > 0 {
                            let body = format!("your JA4 is {ja4}\n");
                            let _ = tls.write_all(format!("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len()).as_bytes()).await;
                        }
                    }
                    let _ = tls.shutdown().await;
                    "handshake completed".to_string()
                }
                Ok(Err(e)) => format!("handshake failed: {e}"),
                Err(_) => "handshake timed out".to_string(),
            };
            if let Some(seen) = first_client_hello(&recording).and_then(|h| describe(peer.to_string(), &h, outcome)) {
                let _ = report.send(seen).await;
            }
        });
        if count.is_some() {
            let _ = task.await;
        }
    }
}
