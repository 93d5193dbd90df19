//! Relaying 1xx interim responses (RFC 9110 §15.2): "A proxy MUST forward 1xx responses unless
//! the proxy itself requested the generation of the 1xx response", and a server "MUST NOT send
//! a 1xx response to an HTTP/1.0 client".
//!
//! hyper's client hands each interim response the origin sends to a callback
//! (`hyper::ext::on_informational`), but its server writes no 1xx of the service's (only its
//! own `100 Continue`). So the edge writes them itself, beside hyper, on the client's
//! connection: [`InterimIo`] wraps the connection's stream and, before any byte hyper writes
//! (and whenever hyper flushes), first writes the interim responses queued by [`Relay::send`].
//! They then always precede the final response's head, which hyper writes only once the
//! service has returned it.
//!
//! ```text
//!  origin ── 103 ──► on_informational ──► Relay::send (queue, wake) ──► InterimIo ──► client
//!  origin ── 200 ──► service returns ──► hyper writes the head ──► InterimIo (queue first) ──► client
//! ```
//!
//! One case is unsafe: a pipelined request, read while the previous response is still being
//! written. An interim response queued then could land inside that response's body, so
//! [`Relay::send`] drops it while a response is under way (from the moment the service
//! returns it until its body has ended and hyper has flushed it, [`Relay::track`]).
//! `100 Continue` is hyper's own business (it answers `Expect` itself when the body is read)
//! and `101 Switching Protocols` ends the exchange rather than preceding it: neither is relayed.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::body::ProxyBody;

/// At most this many bytes of interim responses wait to be written; past it, more are dropped
/// (an origin sending 1xx without end).
const MAX_QUEUED: usize = 64 << 10;

#[derive(Debug, Default)]
struct State {
    /// Interim responses to write before hyper's next bytes.
    queue: Vec<u8>,
    /// The connection's task, to wake when something is queued while it waits.
    waker: Option<Waker>,
    /// A response has been returned to hyper and is not yet wholly written.
    responding: bool,
    /// That response's body has ended: once hyper flushes, it is all written.
    ended: bool,
}

/// One client connection's interim-response queue, shared by its stream and its requests.
#[derive(Debug, Clone, Default)]
pub struct Relay {
    state: Arc<Mutex<State>>,
}

impl Relay {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues the interim response `status` with `fields` (hop-by-hop ones already removed) for
    /// the client; `false` when it is not relayed (100, 101, not a 1xx, a response under way,
    /// or the queue full).
    pub fn send(&self, status: u16, fields: &[(String, String)]) -> bool {
        if !(102..200).contains(&status) {
            return false;
        }
        let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status)).into_bytes();
        for (name, value) in fields {
            head.extend_from_slice(name.as_bytes());
            head.extend_from_slice(b": ");
            head.extend(value.chars().map(|c| u8::try_from(c).unwrap_or(b'?')));
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(b"\r\n");
        let mut state = self.lock();
        if state.responding || state.queue.len() + head.len() > MAX_QUEUED {
            return false;
        }
        state.queue.extend_from_slice(&head);
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
        true
    }

    /// Marks `response` as under way until its body has ended and been flushed, so that no
    /// interim response of a later (pipelined) request is written into it.
    pub fn track(&self, response: http::Response<ProxyBody>) -> http::Response<Tracked> {
        {
            let mut state = self.lock();
            state.responding = true;
            state.ended = false;
        }
        let relay = self.clone();
        response.map(|body| Tracked { body, relay })
    }
}

/// The reason phrase of an interim status (RFC 9110 §15.2; RFC 8297 for 103), or none.
fn reason(status: u16) -> &'static str {
    match status {
        102 => "Processing",
        103 => "Early Hints",
        _ => "",
    }
}

/// A response body that tells its connection's [`Relay`] when it has ended.
pub struct Tracked {
    body: ProxyBody,
    relay: Relay,
}

impl Tracked {
    fn end(&self) {
        let mut state = self.relay.lock();
        state.ended = true;
        // hyper flushes after the last bytes: the waker runs that flush's check again.
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
    }
}

impl Body for Tracked {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        if matches!(polled, Poll::Ready(None | Some(Err(_)))) {
            self.end();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        let end = self.body.is_end_stream();
        if end {
            self.end();
        }
        end
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.end();
    }
}

/// A client connection's stream that writes its [`Relay`]'s queued interim responses before
/// anything hyper writes.
pub struct InterimIo<S> {
    stream: S,
    relay: Relay,
}

impl<S: AsyncWrite + Unpin> InterimIo<S> {
    pub fn new(stream: S, relay: Relay) -> InterimIo<S> {
        InterimIo { stream, relay }
    }

    /// Writes what is queued; `Ready(Ok)` once the queue is empty. Also notes, at hyper's
    /// flush, that a response whose body has ended is wholly written.
    fn drain(&mut self, cx: &mut Context<'_>, flushing: bool) -> Poll<io::Result<()>> {
        let mut state = self.relay.lock();
        if flushing && state.ended {
            state.responding = false;
            state.ended = false;
        }
        while !state.queue.is_empty() {
            match Pin::new(&mut self.stream).poll_write(cx, &state.queue) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    state.queue.drain(..n);
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        state.waker = Some(cx.waker().clone());
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for InterimIo<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for InterimIo<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.drain(cx, false) {
            Poll::Ready(Ok(())) => Pin::new(&mut self.stream).poll_write(cx, buf),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.drain(cx, false) {
            Poll::Ready(Ok(())) => Pin::new(&mut self.stream).poll_write_vectored(cx, bufs),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.drain(cx, true) {
            Poll::Ready(Ok(())) => Pin::new(&mut self.stream).poll_flush(cx),
            other => other,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    fn link() -> Vec<(String, String)> {
        vec![("link".to_string(), "</s.css>; rel=preload".to_string())]
    }

    #[tokio::test]
    async fn interim_responses_go_out_before_what_hyper_writes_rfc9110_15_2() {
        let relay = Relay::default();
        let mut io = InterimIo::new(Vec::new(), relay.clone());
        assert!(relay.send(103, &link()));
        assert!(relay.send(102, &[]));
        io.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.unwrap();
        assert_eq!(
            String::from_utf8(io.stream).unwrap(),
            "HTTP/1.1 103 Early Hints\r\nlink: </s.css>; rel=preload\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"
        );
    }

    #[tokio::test]
    async fn a_flush_writes_what_is_queued() {
        let relay = Relay::default();
        let mut io = InterimIo::new(Vec::new(), relay.clone());
        relay.send(103, &link());
        io.flush().await.unwrap();
        assert!(io.stream.starts_with(b"HTTP/1.1 103 Early Hints\r\n"));
    }

    #[test]
    fn continue_switching_and_finals_are_not_relayed() {
        let relay = Relay::default();
        for status in [100, 101, 200, 304, 99] {
            assert!(!relay.send(status, &[]), "{status}");
        }
    }

    /// A pipelined request's interim response is not written into the previous response,
    /// which is under way until its body has ended and hyper has flushed it.
    #[tokio::test]
    async fn nothing_is_relayed_while_a_response_is_under_way() {
        let relay = Relay::default();
        let mut io = InterimIo::new(Vec::new(), relay.clone());
        let response = relay.track(http::Response::new(super::super::body::whole(Bytes::from_static(b"x"))));
        assert!(!relay.send(103, &link()));
        drop(response);
        assert!(!relay.send(103, &link()), "ended, but not yet flushed");
        io.flush().await.unwrap();
        assert!(relay.send(103, &link()));
    }
}
