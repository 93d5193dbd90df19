//! The sandbox's discard service (RFC 863) on TCP port 9 of www.example.com's addresses: it
//! reads and throws away whatever arrives, so `netlab tcp` can send a stream and watch TCP's
//! congestion window grow. It closes when the client does.

use std::net::SocketAddr;

use tokio::io::AsyncReadExt;

use crate::error::{Error, Result};

/// The port, as RFC 863 assigns it.
pub const PORT: u16 = 9;

/// A running discard server.
pub struct RunningDiscard {
    pub local: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RunningDiscard {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the service on `bind`.
pub async fn start(bind: SocketAddr) -> Result<RunningDiscard> {
    let listener = crate::net::socket::tcp_listener(bind)
        .await
        .map_err(|e| Error::io(bind.to_string(), e))?;
    let local = listener.local_addr().map_err(|e| Error::io("sandbox discard", e))?;
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 1 << 16];
                while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
            });
        }
    });
    Ok(RunningDiscard { local, task })
}
