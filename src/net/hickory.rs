//! hickory-resolver opens its own sockets (stub mode: UDP, TCP, DNS over TLS and HTTPS). This
//! runtime provider puts each of them behind the network's guard: a socket to a server the
//! network does not route to is refused before it is made, and a routed one goes where the
//! route says.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use hickory_resolver::net::runtime::{RuntimeProvider, TokioRuntimeProvider};

use super::Network;

/// hickory's tokio runtime, with every socket asking [`Network::route`] first.
#[derive(Clone)]
pub struct GuardedRuntime {
    inner: TokioRuntimeProvider,
    net: Network,
}

impl GuardedRuntime {
    pub fn new(net: &Network) -> Self {
        GuardedRuntime {
            inner: TokioRuntimeProvider::default(),
            net: net.clone(),
        }
    }

    /// Where a socket for `server` really goes, or why it may not be opened.
    fn via(&self, server: SocketAddr) -> io::Result<SocketAddr> {
        self.net
            .route(server)
            .map(|route| route.via())
            .map_err(|e| io::Error::new(io::ErrorKind::PermissionDenied, e.to_string()))
    }
}

type Pending<T> = Pin<Box<dyn Send + Future<Output = io::Result<T>>>>;

impl RuntimeProvider for GuardedRuntime {
    type Handle = <TokioRuntimeProvider as RuntimeProvider>::Handle;
    type Timer = <TokioRuntimeProvider as RuntimeProvider>::Timer;
    type Udp = <TokioRuntimeProvider as RuntimeProvider>::Udp;
    type Tcp = <TokioRuntimeProvider as RuntimeProvider>::Tcp;

    fn create_handle(&self) -> Self::Handle {
        self.inner.create_handle()
    }

    fn connect_tcp(
        &self,
        server_addr: SocketAddr,
        bind_addr: Option<SocketAddr>,
        timeout: Option<Duration>,
    ) -> Pending<Self::Tcp> {
        match self.via(server_addr) {
            Ok(via) => self.inner.connect_tcp(via, bind_addr, timeout),
            Err(e) => Box::pin(async move { Err(e) }),
        }
    }

    fn bind_udp(&self, local_addr: SocketAddr, server_addr: SocketAddr) -> Pending<Self::Udp> {
        match self.via(server_addr) {
            Ok(via) => self.inner.bind_udp(local_addr, via),
            Err(e) => Box::pin(async move { Err(e) }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hickory_sockets_ask_the_guard_first() {
        let runtime = GuardedRuntime::new(&Network::internet(true));
        let any: SocketAddr = "0.0.0.0:0".parse().unwrap();
        let refused = runtime.bind_udp(any, "198.41.0.4:53".parse().unwrap()).await;
        assert_eq!(refused.err().map(|e| e.kind()), Some(io::ErrorKind::PermissionDenied));
        let tcp = runtime.connect_tcp("198.41.0.4:53".parse().unwrap(), None, None).await;
        assert_eq!(tcp.err().map(|e| e.kind()), Some(io::ErrorKind::PermissionDenied));
        assert!(runtime.bind_udp(any, "127.0.0.1:53".parse().unwrap()).await.is_ok());
    }
}
