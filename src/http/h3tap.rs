//! A tap between h3 and quinn: wraps h3-quinn's connection and streams so that the bytes each
//! QUIC stream carries are recorded, then parses them into HTTP/3 frames (RFC 9114 §7): the
//! control streams' SETTINGS, the QPACK encoder and decoder streams, and on each request stream
//! HEADERS (a QPACK field section, RFC 9204) and DATA.
//!
//! What h3 sends is seen as it hands frames to quinn: the frame header (and small frames whole);
//! a larger payload (a HEADERS field section, DATA) only by its length. What it receives is seen
//! in full, up to [`MAX_RECORDED`] octets per connection.

use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Buf;
use h3::quic::{self, ConnectionErrorIncoming, StreamErrorIncoming, StreamId, WriteBuf};

use super::frames::FrameSeen;
use crate::packet::quic::varint;
use crate::tls::tap::Direction;

/// Most octets recorded per connection (a large download is summarised, not kept).
pub const MAX_RECORDED: usize = 1 << 20;

/// Bytes on one stream, one way, at one moment; `hidden` octets followed that were not seen.
#[derive(Debug, Clone)]
struct Piece {
    stream: u64,
    direction: Direction,
    at_us: u64,
    bytes: Vec<u8>,
    hidden: usize,
}

/// What the tap saw, shared by all the connection's streams.
#[derive(Debug, Clone)]
pub struct H3Recording {
    pieces: Arc<Mutex<(Vec<Piece>, usize)>>,
    t0: Instant,
    offset_us: u64,
}

impl H3Recording {
    /// A recording whose times count from `t0`, shifted by `offset_us` (the name lookup).
    pub fn new(t0: Instant, offset_us: u64) -> Self {
        H3Recording {
            pieces: Arc::default(),
            t0,
            offset_us,
        }
    }

    fn push(&self, stream: StreamId, direction: Direction, bytes: &[u8], hidden: usize) {
        let at_us = self.offset_us + self.t0.elapsed().as_micros() as u64;
        if let Ok(mut seen) = self.pieces.lock() {
            let room = MAX_RECORDED.saturating_sub(seen.1);
            seen.1 += bytes.len() + hidden;
            if room > 0 {
                let kept = &bytes[..bytes.len().min(room)];
                seen.0.push(Piece {
                    stream: stream.into_inner(),
                    direction,
                    at_us,
                    bytes: kept.to_vec(),
                    hidden: hidden + bytes.len() - kept.len(),
                });
            }
        }
    }

    /// The HTTP/3 frames seen, in time order, and a note if the recording was cut.
    pub fn frames(&self) -> (Vec<FrameSeen>, Option<String>) {
        let Ok(seen) = self.pieces.lock() else {
            return (Vec::new(), None);
        };
        let (pieces, total) = (&seen.0, seen.1);
        let mut keys: Vec<(u64, Direction)> = pieces.iter().map(|p| (p.stream, p.direction)).collect();
        keys.sort_by_key(|(s, d)| (*s, *d == Direction::ServerToClient));
        keys.dedup();
        let mut frames = Vec::new();
        for (stream, direction) in keys {
            let parts: Vec<&Piece> = pieces
                .iter()
                .filter(|p| p.stream == stream && p.direction == direction)
                .collect();
            frames.extend(parse_stream(stream, direction, &parts));
        }
        frames.sort_by_key(|f| f.time_us);
        let note = (total > MAX_RECORDED).then(|| {
            format!(
                "the HTTP/3 frame log covers the first {} KiB of {} KiB",
                MAX_RECORDED >> 10,
                total >> 10
            )
        });
        (frames, note)
    }
}

/// Reserved ("GREASE") values are 0x1f * N + 0x21 (RFC 9114 §7.2.8, §6.2.3).
fn is_grease(v: u64) -> bool {
    v >= 0x21 && (v - 0x21) % 0x1f == 0
}

fn frame_name(t: u64) -> String {
    match t {
        0x0 => "DATA".into(),
        0x1 => "HEADERS".into(),
        0x3 => "CANCEL_PUSH".into(),
        0x4 => "SETTINGS".into(),
        0x5 => "PUSH_PROMISE".into(),
        0x7 => "GOAWAY".into(),
        0xd => "MAX_PUSH_ID".into(),
        t if is_grease(t) => format!("reserved {t:#x} (GREASE)"),
        t => format!("UNKNOWN({t:#x})"),
    }
}

fn setting_name(id: u64) -> String {
    match id {
        0x1 => "QPACK_MAX_TABLE_CAPACITY".into(),
        0x6 => "MAX_FIELD_SECTION_SIZE".into(),
        0x7 => "QPACK_BLOCKED_STREAMS".into(),
        0x8 => "ENABLE_CONNECT_PROTOCOL".into(),
        0x33 => "H3_DATAGRAM".into(),
        0x2b60_3742 | 0x2b60_3743 => format!("WebTransport draft setting {id:#x}"),
        id if is_grease(id) => format!("reserved {id:#x} (GREASE)"),
        id => format!("UNKNOWN({id:#x})"),
    }
}

/// One stream's bytes, one way, as frames. Unseen payload octets count by length only.
fn parse_stream(stream: u64, direction: Direction, parts: &[&Piece]) -> Vec<FrameSeen> {
    // Joined bytes, with each piece's start offset and time, and where unseen octets sit.
    let mut bytes = Vec::new();
    let mut times = Vec::new();
    let mut hidden = Vec::new();
    for p in parts {
        times.push((bytes.len(), p.at_us));
        bytes.extend_from_slice(&p.bytes);
        if p.hidden > 0 {
            hidden.push((bytes.len(), p.hidden));
        }
    }
    let time_at = |o: usize| crate::tls::tap::time_at(&times, o);
    let mut frames = Vec::new();
    let mut at = 0usize;
    // Unidirectional streams (bit 1 of the id) begin with a stream type (RFC 9114 §6.2).
    if stream & 0x2 != 0 {
        let Some((kind, n)) = varint(&bytes) else { return frames };
        at = n;
        let name = match kind {
            0x0 => "control stream",
            0x1 => "push stream",
            0x2 => "QPACK encoder stream",
            0x3 => "QPACK decoder stream",
            k if is_grease(k) => "reserved stream (GREASE)",
            _ => "unknown stream type",
        };
        let rest: usize = bytes.len() - at + hidden.iter().map(|(_, h)| h).sum::<usize>();
        frames.push(FrameSeen {
            direction,
            time_us: time_at(0),
            frame_type: format!("STREAM TYPE {kind:#x}"),
            flags: Vec::new(),
            stream,
            length: n,
            details: vec![format!("opens the {name}")],
            fields: Vec::new(),
        });
        if kind != 0x0 {
            if rest > 0 {
                frames
                    .last_mut()
                    .expect("pushed")
                    .details
                    .push(format!("then {rest} octets of {name} data"));
            }
            return frames;
        }
    }
    // Frames: type, length, payload (RFC 9114 §7.1).
    for _ in 0..100_000 {
        let Some((t, n1)) = varint(&bytes[at.min(bytes.len())..]) else {
            break;
        };
        let Some((len, n2)) = varint(&bytes[at + n1..]) else {
            break;
        };
        let start = at;
        let payload_at = at + n1 + n2;
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        // Payload octets the tap did not see right after this header.
        let unseen = hidden.iter().find(|(o, _)| *o == payload_at).map_or(0, |(_, h)| *h);
        let seen_len = len.saturating_sub(unseen).min(bytes.len().saturating_sub(payload_at));
        let payload = &bytes[payload_at..payload_at + seen_len];
        let mut details = Vec::new();
        match t {
            0x4 => {
                let mut p = payload;
                while let Some((id, a)) = varint(p) {
                    let Some((v, b)) = varint(&p[a..]) else { break };
                    details.push(format!("{} = {v}", setting_name(id)));
                    p = &p[a + b..];
                }
            }
            0x1 => details.push(format!(
                "QPACK field section, {len} octets{}",
                if payload.first() == Some(&0) && payload.len() >= 2 {
                    " (Required Insert Count 0: static table and literals only, no dynamic table)"
                } else {
                    ""
                }
            )),
            0x0 => details.push(format!("{len} octets of body")),
            0x7 => {
                if let Some((id, _)) = varint(payload) {
                    details.push(format!("no requests above stream {id} will be processed"));
                }
            }
            _ => {}
        }
        frames.push(FrameSeen {
            direction,
            time_us: time_at(start),
            frame_type: frame_name(t),
            flags: Vec::new(),
            stream,
            length: len,
            details,
            fields: Vec::new(),
        });
        at = payload_at + seen_len;
        if seen_len + unseen < len || at >= bytes.len() {
            break;
        }
    }
    frames
}

/// h3-quinn's connection, or its stream opener, tapped.
#[derive(Clone)]
pub struct Tapped<C> {
    inner: C,
    rec: H3Recording,
}

impl<C> Tapped<C> {
    pub fn new(inner: C, rec: H3Recording) -> Self {
        Tapped { inner, rec }
    }
}

/// A stream (bidirectional, send or receive), tapped.
pub struct TapStream<S> {
    inner: S,
    rec: H3Recording,
    /// The stream id, asked once before the first read: h3-quinn cannot answer while a read is
    /// in flight.
    id: Option<StreamId>,
}

fn wrap<S>(rec: &H3Recording) -> impl FnOnce(S) -> TapStream<S> + '_ {
    move |inner| TapStream {
        inner,
        rec: rec.clone(),
        id: None,
    }
}

impl<B: Buf, C: quic::Connection<B>> quic::Connection<B> for Tapped<C> {
    type RecvStream = TapStream<C::RecvStream>;
    type OpenStreams = Tapped<C::OpenStreams>;

    fn poll_accept_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<Self::RecvStream, ConnectionErrorIncoming>> {
        self.inner.poll_accept_recv(cx).map_ok(wrap(&self.rec))
    }

    fn poll_accept_bidi(&mut self, cx: &mut Context<'_>) -> Poll<Result<Self::BidiStream, ConnectionErrorIncoming>> {
        self.inner.poll_accept_bidi(cx).map_ok(wrap(&self.rec))
    }

    fn opener(&self) -> Self::OpenStreams {
        Tapped::new(self.inner.opener(), self.rec.clone())
    }
}

impl<B: Buf, C: quic::OpenStreams<B>> quic::OpenStreams<B> for Tapped<C> {
    type BidiStream = TapStream<C::BidiStream>;
    type SendStream = TapStream<C::SendStream>;

    fn poll_open_bidi(&mut self, cx: &mut Context<'_>) -> Poll<Result<Self::BidiStream, StreamErrorIncoming>> {
        self.inner.poll_open_bidi(cx).map_ok(wrap(&self.rec))
    }

    fn poll_open_send(&mut self, cx: &mut Context<'_>) -> Poll<Result<Self::SendStream, StreamErrorIncoming>> {
        self.inner.poll_open_send(cx).map_ok(wrap(&self.rec))
    }

    fn close(&mut self, code: h3::error::Code, reason: &[u8]) {
        self.inner.close(code, reason)
    }
}

impl<B: Buf, S: quic::SendStream<B>> quic::SendStream<B> for TapStream<S> {
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), StreamErrorIncoming>> {
        self.inner.poll_ready(cx)
    }

    fn send_data<T: Into<WriteBuf<B>>>(&mut self, data: T) -> Result<(), StreamErrorIncoming> {
        let buf: WriteBuf<B> = data.into();
        // The first chunk is the encoded frame header (small frames whole); the rest, a payload
        // h3 passes through, is known by its length.
        let head = buf.chunk();
        self.rec.push(
            self.inner.send_id(),
            Direction::ClientToServer,
            head,
            buf.remaining() - head.len(),
        );
        self.inner.send_data(buf)
    }

    fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), StreamErrorIncoming>> {
        self.inner.poll_finish(cx)
    }

    fn reset(&mut self, reset_code: u64) {
        self.inner.reset(reset_code)
    }

    fn send_id(&self) -> StreamId {
        self.inner.send_id()
    }
}

impl<S: quic::RecvStream> quic::RecvStream for TapStream<S> {
    type Buf = bytes::Bytes;

    fn poll_data(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Self::Buf>, StreamErrorIncoming>> {
        let id = *self.id.get_or_insert_with(|| self.inner.recv_id());
        self.inner.poll_data(cx).map_ok(|data| {
            data.map(|mut d| {
                let bytes = d.copy_to_bytes(d.remaining());
                self.rec.push(id, Direction::ServerToClient, &bytes, 0);
                bytes
            })
        })
    }

    fn stop_sending(&mut self, error_code: u64) {
        self.inner.stop_sending(error_code)
    }

    fn recv_id(&self) -> StreamId {
        self.inner.recv_id()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(stream: u64, direction: Direction, bytes: &[u8], hidden: usize) -> Piece {
        Piece {
            stream,
            direction,
            at_us: 5,
            bytes: bytes.to_vec(),
            hidden,
        }
    }

    #[test]
    fn control_stream_settings_and_request_stream_frames() {
        // Control stream (id 3, server-initiated uni): type 0, SETTINGS {MAX_FIELD_SECTION_SIZE 16384}, a GREASE frame.
        let control = piece(
            3,
            Direction::ServerToClient,
            &[0x00, 0x04, 0x05, 0x06, 0x80, 0x00, 0x40, 0x00, 0x21, 0x00],
            0,
        );
        let (names, details): (Vec<String>, Vec<Vec<String>>) = parse_stream(3, Direction::ServerToClient, &[&control])
            .into_iter()
            .map(|f| (f.frame_type, f.details))
            .unzip();
        assert_eq!(names, ["STREAM TYPE 0x0", "SETTINGS", "reserved 0x21 (GREASE)"]);
        assert_eq!(details[1], ["MAX_FIELD_SECTION_SIZE = 16384"]);
        // Request stream 0: HEADERS header seen, its 20-octet field section not, then DATA.
        let headers = piece(0, Direction::ClientToServer, &[0x01, 0x14], 20);
        let frames = parse_stream(0, Direction::ClientToServer, &[&headers]);
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].details, ["QPACK field section, 20 octets"]);
        let answer = piece(
            0,
            Direction::ServerToClient,
            &[0x01, 0x03, 0x00, 0x00, 0xd9, 0x00, 0x02, b'h', b'i'],
            0,
        );
        let frames = parse_stream(0, Direction::ServerToClient, &[&answer]);
        let types: Vec<&str> = frames.iter().map(|f| f.frame_type.as_str()).collect();
        assert_eq!(types, ["HEADERS", "DATA"]);
        assert!(frames[0].details[0].contains("Required Insert Count 0"));
        assert_eq!(frames[1].length, 2);
    }

    #[test]
    fn cut_streams_and_varints_stay_bounded() {
        assert_eq!(varint(&[0x25]), Some((37, 1)));
        assert_eq!(varint(&[0x7b, 0xbd]), Some((15293, 2)));
        assert_eq!(varint(&[0x9d, 0x7f, 0x3e, 0x7d]), Some((494878333, 4)));
        assert_eq!(
            varint(&[0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c]),
            Some((151288809941952652, 8))
        );
        assert_eq!(varint(&[0x80, 0x01]), None);
        // A frame that claims more than arrived: one frame, then stop.
        let cut = piece(0, Direction::ServerToClient, &[0x00, 0x44, 0x00, 1, 2, 3], 0);
        assert_eq!(parse_stream(0, Direction::ServerToClient, &[&cut]).len(), 1);
        assert!(parse_stream(
            0,
            Direction::ServerToClient,
            &[&piece(0, Direction::ServerToClient, &[], 0)]
        )
        .is_empty());
    }
}
