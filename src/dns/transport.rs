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
    Response {
        message: Box<Message>,
        size: usize,
    },
    Timeout,
    Unreachable(String),
    /// ICMP port unreachable: the host is there, nothing listens on the port (RFC 1122
    /// §4.1.3.1); the connected socket hears it as ECONNREFUSED.
    PortUnreachable(String),
}

/// Why a packet that arrived while waiting was not believed (RFC 5452 §4.1: it must match the
/// query's ID and question). The source needs no check: the UDP socket is connected, so the
/// kernel delivers only datagrams from the server's address and port.
pub type Ignored = Unbelieved;

/// What an I/O error on a UDP query's socket means: ECONNREFUSED on a connected UDP socket is
/// the ICMP port unreachable the server's host sent back (RFC 1122 §4.1.3.1).
fn udp_failure(e: &std::io::Error, server: SocketAddr) -> Outcome {
    if e.kind() == std::io::ErrorKind::ConnectionRefused {
        Outcome::PortUnreachable(format!(
            "port unreachable (ICMP): nothing listens on UDP port {} of {}",
            server.port(),
            server.ip()
        ))
    } else {
        Outcome::Unreachable(e.to_string())
    }
}

/// One attempt: its outcome, what was ignored on the way, and the round-trip time.
#[derive(Debug)]
pub struct Attempt {
    pub outcome: Outcome,
    /// (why, size) of each packet not believed.
    pub ignored: Vec<(Ignored, usize)>,
    pub rtt: Duration,
}

/// A UDP socket for one query, connected to the server: the OS picks a random source port
/// (RFC 5452 §9.2), and an ICMP port unreachable ends the attempt at once.
pub struct UdpQuery {
    socket: UdpSocket,
    server: SocketAddr,
    pub source_port: u16,
}

impl UdpQuery {
    pub async fn open(route: &Route) -> std::io::Result<UdpQuery> {
        let socket = crate::net::socket::udp_connected(route).await?;
        let source_port = socket.local_addr()?.port();
        Ok(UdpQuery {
            socket,
            server: route.via(),
            source_port,
        })
    }

    /// Sends `query` and waits up to `timeout` for a response that matches.
    pub async fn exchange(self, query: &[u8], id: u16, q: &Question, timeout: Duration) -> Attempt {
        let start = Instant::now();
        let mut ignored = Vec::new();
        if let Err(e) = self.socket.send(query).await {
            return Attempt {
                outcome: udp_failure(&e, self.server),
                ignored,
                rtt: start.elapsed(),
            };
        }
        let deadline = tokio::time::Instant::now() + timeout;
        let mut buf = vec![0u8; 65_535];
        while ignored.len() < MAX_IGNORED {
            let received = tokio::time::timeout_at(deadline, self.socket.recv(&mut buf)).await;
            let n = match received {
                Err(_) => break,
                Ok(Err(e)) => {
                    return Attempt {
                        outcome: udp_failure(&e, self.server),
                        ignored,
                        rtt: start.elapsed(),
                    }
                }
                Ok(Ok(n)) => n,
            };
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
                Err(why) => ignored.push((why, n)),
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
                    Err(why) => ignored.push((why, len)),
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
