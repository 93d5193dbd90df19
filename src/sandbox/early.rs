//! How zero-rtt.example.com serves HTTP/1.1 over TLS: a request that arrives as 0-RTT early
//! data is answered at once, in the server's first flight right after its Finished ("0.5-RTT
//! data", RFC 8446 §2.3 and Appendix E.1), before the client's Finished has come back. That is
//! the round trip 0-RTT saves: the answer reaches the client one round trip after its
//! ClientHello, as from a CDN that accepts early data for safe requests (RFC 8470).
//!
//! tokio-rustls finishes the whole handshake before it hands a server the stream, which would
//! hold the answer back that round trip, so this host drives rustls's `ServerConnection` itself:
//! read from TCP, let rustls process, write what it has to send, and read the request from the
//! early data (or, without 0-RTT, from the application data after the handshake). One request,
//! then close_notify and close.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::http_tcp::{answer_h1, h1_response_head, head_complete, HEAD_TIMEOUT, MAX_HEAD};

/// Longest the whole exchange may take (a /delay/MS answer, a big /bytes/N body).
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(30);

/// A connection between rustls and its TCP socket.
struct Driven {
    tcp: TcpStream,
    tls: rustls::ServerConnection,
    buf: Vec<u8>,
}

impl Driven {
    /// Sends everything rustls has to send.
    async fn flush(&mut self) -> std::io::Result<()> {
        while self.tls.wants_write() {
            let mut out = Vec::new();
            self.tls.write_tls(&mut out)?;
            self.tcp.write_all(&out).await?;
        }
        Ok(())
    }

    /// Reads what the client sent and lets rustls process it (answering with an alert if it is
    /// not TLS). `Ok(false)`: the client closed.
    async fn receive(&mut self) -> std::io::Result<bool> {
        let n = self.tcp.read(&mut self.buf).await?;
        if n == 0 {
            return Ok(false);
        }
        let mut input = &self.buf[..n];
        while !input.is_empty() {
            self.tls.read_tls(&mut input)?;
            if let Err(e) = self.tls.process_new_packets() {
                let _ = self.flush().await;
                return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e));
            }
        }
        Ok(true)
    }

    /// Moves the request's bytes that have arrived (early data, or application data once the
    /// handshake is done) into `head`.
    fn take_request(&mut self, head: &mut Vec<u8>) {
        if let Some(mut early) = self.tls.early_data() {
            let _ = early.read_to_end(head);
        }
        if !self.tls.is_handshaking() {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = self.tls.reader().read(&mut chunk) {
                if n == 0 {
                    break;
                }
                head.extend_from_slice(&chunk[..n]);
            }
        }
    }

    /// Hands `data` to rustls and sends it, receiving (the client's Finished) whenever rustls
    /// holds back what it may not send yet.
    async fn send(&mut self, mut data: &[u8]) -> std::io::Result<()> {
        while !data.is_empty() {
            let n = self.tls.writer().write(data)?;
            data = &data[n..];
            self.flush().await?;
            if n == 0 && !self.receive().await? {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        }
        Ok(())
    }
}

/// Serves one TCP connection: the handshake, one HTTP/1.1 request, its answer, close.
pub async fn serve(tcp: TcpStream, config: Arc<rustls::ServerConfig>) {
    let Ok(tls) = rustls::ServerConnection::new(config) else {
        return;
    };
    let mut c = Driven {
        tcp,
        tls,
        buf: vec![0; 16 * 1024],
    };
    let _ = tokio::time::timeout(EXCHANGE_TIMEOUT, exchange(&mut c)).await;
    c.tls.send_close_notify();
    let _ = c.flush().await;
    let _ = c.tcp.shutdown().await;
}

async fn exchange(c: &mut Driven) -> std::io::Result<()> {
    let mut head = Vec::new();
    let read_head = async {
        loop {
            c.flush().await?;
            c.take_request(&mut head);
            if head_complete(&head) || head.len() >= MAX_HEAD {
                return Ok::<_, std::io::Error>(true);
            }
            if !c.receive().await? {
                return Ok(false);
            }
        }
    };
    if !matches!(tokio::time::timeout(HEAD_TIMEOUT, read_head).await, Ok(Ok(true))) {
        return Ok(());
    }
    let (a, with_body) = answer_h1(&head);
    tokio::time::sleep(a.delay).await;
    c.send(h1_response_head(&a).as_bytes()).await?;
    if with_body {
        for chunk in a.body.chunks() {
            c.send(&chunk).await?;
        }
    }
    // Closing before the client's Finished is read would reset the connection under the answer:
    // finish the handshake first.
    while c.tls.is_handshaking() {
        if !c.receive().await? {
            break;
        }
        c.flush().await?;
    }
    Ok(())
}
