//! Response bodies on their way through the edge: read whole for the cache up to a cap, or, when
//! bigger, streamed to the client as they arrive (and not stored).

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full};

/// What the edge sends its clients: a whole body, or one streamed from the origin (whose
/// failure midway ends the client's connection too, as hyper does for a body that errs).
pub type ProxyBody = BoxBody<Bytes, hyper::Error>;

/// A body held in memory.
pub fn whole(bytes: Bytes) -> ProxyBody {
    Full::new(bytes).map_err(|never| match never {}).boxed()
}

/// No body.
pub fn empty() -> ProxyBody {
    Empty::new().map_err(|never| match never {}).boxed()
}

/// A body read from the origin, or as much of it as the cap allowed.
pub enum Read<B> {
    /// The whole body, no longer than the cap.
    Whole(Bytes),
    /// Longer than the cap: what was read, then the rest, to be streamed.
    TooBig(Prefixed<B>),
}

/// Reads `body` whole if it is at most `cap` bytes; stops as soon as it is longer. A body that
/// ends in an error (the origin closed the connection early) is that error: a partial body is
/// never taken for a whole one. Trailers are not kept.
pub async fn read_up_to<B>(mut body: B, cap: usize) -> Result<Read<B>, B::Error>
where
    B: Body<Data = Bytes> + Unpin,
{
    let mut buf = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        if buf.len().saturating_add(data.len()) > cap {
            buf.extend_from_slice(&data);
            return Ok(Read::TooBig(Prefixed::new(buf.freeze(), body)));
        }
        buf.extend_from_slice(&data);
    }
    Ok(Read::Whole(buf.freeze()))
}

/// Bytes already read, then the rest of the body they came from.
pub struct Prefixed<B> {
    prefix: Option<Bytes>,
    rest: B,
}

impl<B> Prefixed<B> {
    /// `prefix` (sent first, unless empty), then `rest`.
    pub fn new(prefix: Bytes, rest: B) -> Prefixed<B> {
        Prefixed {
            prefix: (!prefix.is_empty()).then_some(prefix),
            rest,
        }
    }
}

impl<B: Body<Data = Bytes> + Unpin> Body for Prefixed<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        if let Some(prefix) = self.prefix.take() {
            return Poll::Ready(Some(Ok(Frame::data(prefix))));
        }
        Pin::new(&mut self.rest).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.prefix.is_none() && self.rest.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let extra = self.prefix.as_ref().map_or(0, |p| p.len() as u64);
        let rest = self.rest.size_hint();
        let mut hint = SizeHint::new();
        hint.set_lower(rest.lower().saturating_add(extra));
        if let Some(upper) = rest.upper() {
            hint.set_upper(upper.saturating_add(extra));
        }
        hint
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// A body of the given chunks, then optionally an error (an origin that closed early).
    struct Chunks(VecDeque<Result<Frame<Bytes>, &'static str>>);

    impl Body for Chunks {
        type Data = Bytes;
        type Error = &'static str;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            Poll::Ready(self.0.pop_front())
        }
    }

    fn chunks(parts: &[&'static str], fail: bool) -> Chunks {
        let mut frames: VecDeque<Result<Frame<Bytes>, &'static str>> = parts
            .iter()
            .map(|p| Ok(Frame::data(Bytes::from_static(p.as_bytes()))))
            .collect();
        if fail {
            frames.push_back(Err("closed"));
        }
        Chunks(frames)
    }

    #[tokio::test]
    async fn a_short_body_is_read_whole() {
        let Ok(Read::Whole(b)) = read_up_to(chunks(&["ab", "cd"], false), 4).await else {
            panic!("4 bytes fit a cap of 4");
        };
        assert_eq!(&b[..], b"abcd");
    }

    #[tokio::test]
    async fn a_long_body_streams_with_nothing_lost() {
        let Ok(Read::TooBig(rest)) = read_up_to(chunks(&["ab", "cd", "ef"], false), 3).await else {
            panic!("6 bytes do not fit a cap of 3");
        };
        let all = rest.collect().await.unwrap().to_bytes();
        assert_eq!(&all[..], b"abcdef");
    }

    #[tokio::test]
    async fn a_body_cut_short_is_an_error() {
        assert!(read_up_to(chunks(&["ab"], true), 100).await.is_err());
    }
}
