//! Sending one DNS query and waiting for a believable answer, over UDP (RFC 1035 §4.2.1) or TCP
//! with its two-octet length prefix (RFC 1035 §4.2.2, RFC 7766). Every wait has a deadline and
//! every loop a bound; packets that do not match are recorded and ignored, never believed.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hickory_proto::op::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

use super::wire::{check_response, Question, Unbelieved};
use crate::net::Route;

/// Most packets ignored while waiting for one answer before the attempt gives up.
pub const MAX_IGNORED: usize = 32;

/// How one attempt ended.
#[derive(Debug)]
pub enum Outcome {
    Response { message: Box<Message>, size: usize },
    Timeout,
    Unreachable(String),
}

/// Why a packet that arrived while waiting was not believed (RFC 5452 §4.1: it must come from
/// the address asked, and match the query's ID and question).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Ignored {
    /// A UDP datagram from another address than the server's.
    #[error("from {from}, not {expected}")]
    WrongSource { from: SocketAddr, expected: SocketAddr },
    #[error(transparent)]
    Unbelieved(#[from] Unbelieved),
}

/// One attempt: its outcome, what was ignored on the way, and the round-trip time.
#[derive(Debug)]
pub struct Attempt {
    pub outcome: Outcome,
    /// (why, size) of each packet not believed.
    pub ignored: Vec<(Ignored, usize)>,
    pub rtt: Duration,
}

/// A UDP socket bound for one query: the OS picks a random source port (RFC 5452 §9.2).
pub struct UdpQuery {
    socket: UdpSocket,
    pub source_port: u16,
}

impl UdpQuery {
    pub async fn open(route: &Route) -> std::io::Result<UdpQuery> {
        let socket = crate::net::socket::udp_for(route).await?;
        let source_port = socket.local_addr()?.port();
        Ok(UdpQuery { socket, source_port })
    }

    /// Sends `query` and waits up to `timeout` for a response from `route.via()` that matches.
    pub async fn exchange(self, route: &Route, query: &[u8], id: u16, q: &Question, timeout: Duration) -> Attempt {
        let start = Instant::now();
        let mut ignored = Vec::new();
        if let Err(e) = self.socket.send_to(query, route.via()).await {
            return Attempt {
                outcome: Outcome::Unreachable(e.to_string()),
                ignored,
                rtt: start.elapsed(),
            };
        }
        let deadline = tokio::time::Instant::now() + timeout;
        let mut buf = vec![0u8; 65_535];
        while ignored.len() < MAX_IGNORED {
            let received = tokio::time::timeout_at(deadline, self.socket.recv_from(&mut buf)).await;
            let (n, from) = match received {
                Err(_) => break,
                Ok(Err(e)) => {
                    return Attempt {
                        outcome: Outcome::Unreachable(e.to_string()),
                        ignored,
                        rtt: start.elapsed(),
                    }
                }
                Ok(Ok(got)) => got,
            };
            if from != route.via() {
                ignored.push((
                    Ignored::WrongSource {
                        from,
                        expected: route.via(),
                    },
                    n,
                ));
                continue;
            }
            match check_response(&buf[..n], id, q) {
                Ok(message) => {
                    return Attempt {
                        outcome: Outcome::Response {
                            message: Box::new(message),
                            size: n,
                        },
                        ignored,
                        rtt: start.elapsed(),
                    }
                }
                Err(why) => ignored.push((why.into(), n)),
            }
        }
        Attempt {
            outcome: Outcome::Timeout,
            ignored,
            rtt: start.elapsed(),
        }
    }
}

/// A TCP connection for one query.
pub struct TcpQuery {
    stream: TcpStream,
    pub source_port: u16,
}

impl TcpQuery {
    pub async fn connect(route: &Route, timeout: Duration) -> std::io::Result<TcpQuery> {
        let stream = tokio::time::timeout(timeout, crate::net::socket::tcp_connect(route))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"))??;
        let source_port = stream.local_addr()?.port();
        Ok(TcpQuery { stream, source_port })
    }

    /// Sends `query` with its length prefix and reads length-prefixed messages until one
    /// matches, within `timeout`.
    pub async fn exchange(mut self, query: &[u8], id: u16, q: &Question, timeout: Duration) -> Attempt {
        let start = Instant::now();
        let mut ignored = Vec::new();
        let outcome = tokio::time::timeout(timeout, async {
            let mut framed = Vec::with_capacity(query.len() + 2);
            framed.extend_from_slice(&(query.len() as u16).to_be_bytes());
            framed.extend_from_slice(query);
            self.stream.write_all(&framed).await?;
            while ignored.len() < MAX_IGNORED {
                let len = self.stream.read_u16().await? as usize;
                let mut body = vec![0u8; len];
                self.stream.read_exact(&mut body).await?;
                match check_response(&body, id, q) {
                    Ok(message) => {
                        return Ok::<_, std::io::Error>(Outcome::Response {
                            message: Box::new(message),
                            size: len,
                        })
                    }
                    Err(why) => ignored.push((why.into(), len)),
                }
            }
            Ok(Outcome::Timeout)
        })
        .await;
        let outcome = match outcome {
            Err(_) => Outcome::Timeout,
            Ok(Err(e)) => Outcome::Unreachable(e.to_string()),
            Ok(Ok(o)) => o,
        };
        Attempt {
            outcome,
            ignored,
            rtt: start.elapsed(),
        }
    }
}
