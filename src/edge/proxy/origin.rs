//! The edge's side toward the origin: one fresh HTTP/1.1 connection per forwarded request,
//! through [`crate::net::socket`] along a [`Route`] (loopback only), and how a failure there
//! is named.

use std::fmt;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

use crate::net::Route;

/// RFC 9110 §15.6.5: a gateway that did not get a timely answer says 504; netlab's edge waits
/// this long for the origin's response head.
pub const ORIGIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Why the origin gave no response.
#[derive(Debug)]
pub enum OriginError {
    /// No connection could be made (refused, unreachable): 502 Bad Gateway (RFC 9110 §15.6.3).
    Connect(std::io::Error),
    /// No response head within [`ORIGIN_TIMEOUT`]: 504 Gateway Timeout.
    Timeout,
    /// The origin closed the connection (or broke HTTP) before its response was whole.
    Dropped(hyper::Error),
}

impl fmt::Display for OriginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OriginError::Connect(e) => write!(f, "could not connect: {e}"),
            OriginError::Timeout => write!(f, "no response within {} s", ORIGIN_TIMEOUT.as_secs()),
            OriginError::Dropped(e) => write!(f, "the connection ended early: {e}"),
        }
    }
}

/// Sends `request` on a new connection along `route` and returns the response head (its body
/// still arriving), or [`OriginError::Timeout`] when it took longer than `limit`. The
/// connection closes once the body has been read (or dropped).
///
/// 1xx interim responses: hyper's client reads them and hands each to the request's
/// `hyper::ext::on_informational` callback, which the edge sets to relay them
/// ([`super::interim`]).
pub async fn send<B>(route: &Route, request: Request<B>, limit: Duration) -> Result<Response<Incoming>, OriginError>
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let exchange = async {
        let stream = crate::net::socket::tcp_connect(route)
            .await
            .map_err(OriginError::Connect)?;
        let (mut sender, connection) = hyper::client::conn::http1::Builder::new()
            .preserve_header_case(true)
            .handshake(TokioIo::new(stream))
            .await
            .map_err(OriginError::Dropped)?;
        tokio::spawn(async move {
            // Its error, if any, reaches the response or its body.
            let _ = connection.await;
        });
        sender.send_request(request).await.map_err(OriginError::Dropped)
    };
    tokio::time::timeout(limit, exchange)
        .await
        .unwrap_or(Err(OriginError::Timeout))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Empty;
    use tokio::io::AsyncReadExt;

    fn get() -> Request<Empty<bytes::Bytes>> {
        Request::builder()
            .uri("/")
            .header("host", "a.test")
            .body(Empty::new())
            .unwrap()
    }

    /// An origin on loopback that reads a little of each connection, then closes it (`close`)
    /// or holds it open without a word.
    async fn origin(close: bool) -> Route {
        let listener = crate::net::socket::tcp_listener("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((mut stream, _)) = listener.accept().await {
                let _ = stream.read(&mut [0; 1024]).await;
                if !close {
                    held.push(stream);
                }
            }
        });
        crate::net::Network::internet(true).route(address).unwrap()
    }

    #[tokio::test]
    async fn a_silent_origin_times_out() {
        let route = origin(false).await;
        let e = send(&route, get(), Duration::from_millis(200)).await.unwrap_err();
        assert!(matches!(e, OriginError::Timeout), "{e}");
    }

    #[tokio::test]
    async fn an_origin_that_closes_unanswered_dropped_it() {
        let route = origin(true).await;
        let e = send(&route, get(), ORIGIN_TIMEOUT).await.unwrap_err();
        assert!(matches!(e, OriginError::Dropped(_)), "{e}");
    }

    #[tokio::test]
    async fn a_closed_port_is_a_connect_error() {
        let listener = crate::net::socket::tcp_listener("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        let route = crate::net::Network::internet(true).route(address).unwrap();
        let e = send(&route, get(), ORIGIN_TIMEOUT).await.unwrap_err();
        assert!(matches!(e, OriginError::Connect(_)), "{e}");
    }
}
