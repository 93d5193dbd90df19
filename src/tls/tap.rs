//! A tap on a byte stream: records every read and write with its time, so the handshake can be
//! decoded afterwards exactly as it crossed the wire.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Which way bytes went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    ClientToServer,
    ServerToClient,
}

/// Bytes seen at one moment.
#[derive(Debug, Clone)]
pub struct Chunk {
    pub direction: Direction,
    pub at: Duration,
    pub bytes: Vec<u8>,
}

/// One direction's bytes joined in order, with each chunk's (start offset, time in µs plus
/// `offset_us`).
pub fn joined(chunks: &[Chunk], direction: Direction, offset_us: u64) -> (Vec<u8>, Vec<(usize, u64)>) {
    let mut bytes = Vec::new();
    let mut times = Vec::new();
    for c in chunks.iter().filter(|c| c.direction == direction) {
        times.push((bytes.len(), offset_us + c.at.as_micros() as u64));
        bytes.extend_from_slice(&c.bytes);
    }
    (bytes, times)
}

/// The time of the chunk that holds `offset`, from each chunk's (start offset, time), in order.
pub fn time_at(times: &[(usize, u64)], offset: usize) -> u64 {
    times
        .iter()
        .take_while(|(o, _)| *o <= offset)
        .last()
        .map_or(0, |(_, t)| *t)
}

/// Most bytes a tap keeps in each direction (a handshake is a few kilobytes).
pub const MAX_TAPPED: usize = 1 << 20;

/// What a tap has seen, shared with whoever decodes it.
#[derive(Debug, Clone, Default)]
pub struct Recording(Arc<Mutex<Seen>>);

/// The kept chunks, and how many bytes went each way in all (kept or not).
#[derive(Debug, Default)]
struct Seen {
    chunks: Vec<Chunk>,
    /// Bytes client-to-server, server-to-client.
    totals: [usize; 2],
}

fn slot(direction: Direction) -> usize {
    match direction {
        Direction::ClientToServer => 0,
        Direction::ServerToClient => 1,
    }
}

impl Recording {
    fn push(&self, direction: Direction, at: Duration, bytes: &[u8]) {
        if let Ok(mut seen) = self.0.lock() {
            let total = &mut seen.totals[slot(direction)];
            let room = MAX_TAPPED.saturating_sub(*total);
            *total += bytes.len();
            if room > 0 && !bytes.is_empty() {
                seen.chunks.push(Chunk {
                    direction,
                    at,
                    bytes: bytes[..bytes.len().min(room)].to_vec(),
                });
            }
        }
    }

    pub fn chunks(&self) -> Vec<Chunk> {
        self.0.lock().map(|s| s.chunks.clone()).unwrap_or_default()
    }

    /// Every byte that went `direction`, including those past [`MAX_TAPPED`] that were not kept.
    pub fn total(&self, direction: Direction) -> usize {
        self.0.lock().map(|s| s.totals[slot(direction)]).unwrap_or_default()
    }
}

/// A stream that records what it reads and writes. On the client side writes go
/// client-to-server and reads server-to-client; on the server side the other way round.
#[derive(Debug)]
pub struct Tap<S> {
    inner: S,
    started: Instant,
    recording: Recording,
    reads: Direction,
}

impl<S> Tap<S> {
    /// A tap on the client's side of a connection.
    pub fn new(inner: S, started: Instant, recording: Recording) -> Self {
        Tap {
            inner,
            started,
            recording,
            reads: Direction::ServerToClient,
        }
    }

    /// A tap on the server's side of a connection.
    pub fn server_side(inner: S, started: Instant, recording: Recording) -> Self {
        Tap {
            inner,
            started,
            recording,
            reads: Direction::ClientToServer,
        }
    }

    fn writes(&self) -> Direction {
        match self.reads {
            Direction::ServerToClient => Direction::ClientToServer,
            Direction::ClientToServer => Direction::ServerToClient,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tap<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = result {
            let at = self.started.elapsed();
            self.recording.push(self.reads, at, &buf.filled()[before..]);
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tap<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, data);
        if let Poll::Ready(Ok(n)) = result {
            let at = self.started.elapsed();
            self.recording.push(self.writes(), at, &data[..n]);
        }
        result
    }

    /// Passed on whole: rustls queues a flight as several buffers and, after a fatal error,
    /// makes one last write, so writing only the first would leave its alert unsent.
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = result {
            let at = self.started.elapsed();
            let mut left = n;
            for b in bufs {
                let take = left.min(b.len());
                self.recording.push(self.writes(), at, &b[..take]);
                left -= take;
            }
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
