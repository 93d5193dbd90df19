//! Which PoP answered: each PoP runs a tiny UDP service on the anycast address that answers any
//! datagram with its own name, as a real anycast operator answers `id.server` (RFC 4892) or
//! adds a response header naming the site. A client sends to the one address and reads who
//! answered, and how long it took.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::topology::ANYCAST;
use crate::error::Error;
use crate::net::ns::Namespace;

/// The identity service's port.
pub const PORT: u16 = 5300;
/// How long a client waits for the answer.
const WAIT: Duration = Duration::from_millis(200);

/// The identity services, stopped when dropped.
pub struct Services {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Services {
    /// Starts one service per PoP, on the anycast address inside each PoP's namespace.
    pub fn start(pops: &[(&str, &Namespace)]) -> Result<Services, Error> {
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        for (name, ns) in pops {
            let socket = ns
                .run(|| UdpSocket::bind(SocketAddr::from((ANYCAST, PORT))))?
                .map_err(|e| Error::io(format!("identity {ANYCAST}:{PORT} in {name}"), e))?;
            socket
                .set_read_timeout(Some(Duration::from_millis(50)))
                .map_err(|e| Error::io("identity socket", e))?;
            let (stop, name) = (Arc::clone(&stop), name.to_string());
            threads.push(std::thread::spawn(move || {
                let mut buf = [0u8; 64];
                while !stop.load(Ordering::Relaxed) {
                    if let Ok((_, from)) = socket.recv_from(&mut buf) {
                        let _ = socket.send_to(name.as_bytes(), from);
                    }
                }
            }));
        }
        Ok(Services { stop, threads })
    }
}

impl Drop for Services {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// A client's socket, made inside its namespace.
pub struct Asker {
    socket: UdpSocket,
}

impl Asker {
    pub fn open(ns: &Namespace) -> Result<Asker, Error> {
        let socket = ns
            .run(|| UdpSocket::bind("0.0.0.0:0"))?
            .map_err(|e| Error::io("client socket", e))?;
        socket
            .set_read_timeout(Some(WAIT))
            .map_err(|e| Error::io("client socket", e))?;
        Ok(Asker { socket })
    }

    /// Asks the anycast address who it is: the PoP's name and the round trip, or None.
    pub fn ask(&self) -> Option<(String, f64)> {
        self.ask_within(WAIT)
    }

    /// [`Asker::ask`], waiting at most `wait` for the answer (a move is timed to within it).
    pub fn ask_within(&self, wait: Duration) -> Option<(String, f64)> {
        self.socket.set_read_timeout(Some(wait)).ok()?;
        let began = Instant::now();
        self.socket.send_to(b"who", SocketAddr::from((ANYCAST, PORT))).ok()?;
        let mut buf = [0u8; 64];
        let (n, _) = self.socket.recv_from(&mut buf).ok()?;
        let rtt = began.elapsed().as_secs_f64() * 1e3;
        Some((String::from_utf8_lossy(&buf[..n]).into_owned(), rtt))
    }
}
