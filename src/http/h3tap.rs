//! A tap between h3 and quinn: wraps h3-quinn's connection and streams so that the bytes each
//! QUIC stream carries are recorded, then parses them into HTTP/3 frames (RFC 9114 §7): the
//! control streams' SETTINGS, the QPACK encoder and decoder streams, and on each request stream
//! HEADERS (a QPACK field section, RFC 9204) and DATA.
//!
//! What h3 sends is seen as the tap writes it to quinn itself: h3 hands a send stream a frame
//! (`WriteBuf`) whose payload it cannot read without consuming it, so the tap keeps the frame
//! and writes it through h3-quinn's unframed `poll_send`, recording each chunk as it goes. What
//! h3 receives is seen as quinn delivers it. Both count towards [`MAX_RECORDED`] octets per
//! connection; past that, only lengths.

use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Buf;
use h3::quic::{self, ConnectionErrorIncoming, StreamErrorIncoming, StreamId, WriteBuf};

use super::frames::FrameSeen;
use super::qpack::{decoder_stream, Decoder, DecoderInstruction, EncoderInstruction};
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
        self.record(stream.into_inner(), direction, bytes, hidden);
    }

    /// Records `bytes` seen on QUIC stream `stream` one way, then `hidden` octets that were not
    /// kept, as the tap does: the way in for tests and the fuzz targets (`fuzz/`), which have
    /// stream bytes but no QUIC connection.
    pub fn record(&self, stream: u64, direction: Direction, bytes: &[u8], hidden: usize) {
        let at_us = self.offset_us + self.t0.elapsed().as_micros() as u64;
        if let Ok(mut seen) = self.pieces.lock() {
            let room = MAX_RECORDED.saturating_sub(seen.1);
            seen.1 += bytes.len() + hidden;
            if room > 0 {
                let kept = &bytes[..bytes.len().min(room)];
                seen.0.push(Piece {
                    stream,
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
        let parts = |stream: u64, direction: Direction| -> Vec<&Piece> {
            pieces
                .iter()
                .filter(|p| p.stream == stream && p.direction == direction)
                .collect()
        };
        // First the SETTINGS: each side's QPACK decoder works within the dynamic table capacity
        // it announced (RFC 9204 §3.2.3), which the peer's Required Insert Counts depend on.
        let mut first_pass = Vec::new();
        for (stream, direction) in keys.iter().filter(|(s, _)| s & 0x2 != 0) {
            first_pass.extend(parse_stream(
                *stream,
                *direction,
                &parts(*stream, *direction),
                &mut Decoder::new(0),
            ));
        }
        // A direction's field sections are decoded with the receiver's decoder, which that same
        // direction's encoder stream fills; unidirectional streams go first so that it is.
        let mut decoders = [Direction::ClientToServer, Direction::ServerToClient].map(|d| {
            let receiver = if d == Direction::ClientToServer {
                Direction::ServerToClient
            } else {
                Direction::ClientToServer
            };
            (d, Decoder::new(announced_capacity(&first_pass, receiver)))
        });
        keys.sort_by_key(|(s, _)| s & 0x2 == 0);
        let mut frames = Vec::new();
        for (stream, direction) in keys {
            let decoder = &mut decoders
                .iter_mut()
                .find(|(d, _)| *d == direction)
                .expect("both directions")
                .1;
            frames.extend(parse_stream(stream, direction, &parts(stream, direction), decoder));
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

/// The QPACK_MAX_TABLE_CAPACITY a side announced in its SETTINGS (absent: 0, RFC 9204 §5).
fn announced_capacity(frames: &[FrameSeen], direction: Direction) -> usize {
    frames
        .iter()
        .filter(|f| f.direction == direction && f.frame_type == "SETTINGS")
        .flat_map(|f| f.details.iter())
        .find_map(|d| d.strip_prefix("QPACK_MAX_TABLE_CAPACITY = "))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
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

/// One stream's bytes, one way, as frames. Unseen payload octets count by length only. `decoder`
/// is the QPACK decoder of this direction's receiver: encoder stream instructions update it and
/// HEADERS field sections are decoded with it.
fn parse_stream(stream: u64, direction: Direction, parts: &[&Piece], decoder: &mut Decoder) -> Vec<FrameSeen> {
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
            let opened = frames.last_mut().expect("pushed");
            if rest > 0 {
                opened.details.push(format!("then {rest} octets of {name} data"));
            }
            let said = match kind {
                0x2 => decoder
                    .encoder_stream(&bytes[at..])
                    .map(|i| i.iter().map(EncoderInstruction::describe).collect()),
                0x3 => decoder_stream(&bytes[at..]).map(|i| i.iter().map(DecoderInstruction::describe).collect()),
                _ => Ok(Vec::new()),
            };
            match said {
                Ok(lines) => opened.details.extend(lines),
                Err(e) => opened.details.push(format!("QPACK error: {e}")),
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
        let mut fields = Vec::new();
        match t {
            0x4 => {
                let mut p = payload;
                while let Some((id, a)) = varint(p) {
                    let Some((v, b)) = varint(&p[a..]) else { break };
                    details.push(format!("{} = {v}", setting_name(id)));
                    p = &p[a + b..];
                }
            }
            0x1 if seen_len == len => match decoder.section(payload) {
                Ok(section) => {
                    let plain: usize = section.fields.iter().map(|f| f.plain_len).sum();
                    details.push(format!(
                        "QPACK: {} fields, {len} octets encoded for {plain} octets of text ({:.0}%)",
                        section.fields.len(),
                        100.0 * len as f64 / plain.max(1) as f64
                    ));
                    details.push(if section.required_insert_count == 0 {
                        "Required Insert Count 0: static table and literals only, no dynamic table".to_string()
                    } else {
                        format!(
                            "Required Insert Count {}, Base {}",
                            section.required_insert_count, section.base
                        )
                    });
                    fields = section.fields;
                }
                Err(e) => details.push(format!("QPACK error: {e}")),
            },
            0x1 => details.push(format!("QPACK field section, {len} octets (not all recorded)")),
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
            fields,
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
    /// What h3 handed over to send and the tap has not yet written to quinn.
    writing: Option<Box<dyn Buf + Send + Sync>>,
}

fn wrap<S>(rec: &H3Recording) -> impl FnOnce(S) -> TapStream<S> + '_ {
    move |inner| TapStream {
        inner,
        rec: rec.clone(),
        id: None,
        writing: None,
    }
}

/// Send streams are written through h3-quinn's unframed `poll_send` (see [`TapStream`]).
impl<B, C> quic::Connection<B> for Tapped<C>
where
    B: Buf + Send + Sync + 'static,
    C: quic::Connection<B>,
    C::BidiStream: quic::SendStreamUnframed<B>,
    C::SendStream: quic::SendStreamUnframed<B>,
    C::OpenStreams: quic::OpenStreams<B>,
    <C::OpenStreams as quic::OpenStreams<B>>::BidiStream: quic::SendStreamUnframed<B>,
    <C::OpenStreams as quic::OpenStreams<B>>::SendStream: quic::SendStreamUnframed<B>,
{
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

impl<B, C> quic::OpenStreams<B> for Tapped<C>
where
    B: Buf + Send + Sync + 'static,
    C: quic::OpenStreams<B>,
    C::BidiStream: quic::SendStreamUnframed<B>,
    C::SendStream: quic::SendStreamUnframed<B>,
{
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

impl<B, S> quic::SendStream<B> for TapStream<S>
where
    B: Buf + Send + Sync + 'static,
    S: quic::SendStreamUnframed<B>,
{
    /// Writes what h3 handed over to quinn, recording each chunk as quinn takes it.
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), StreamErrorIncoming>> {
        while let Some(data) = self.writing.as_mut() {
            if !data.has_remaining() {
                self.writing = None;
                break;
            }
            let mut chunk: &[u8] = data.chunk();
            let written = std::task::ready!(self.inner.poll_send(cx, &mut chunk))?;
            let sent = &data.chunk()[..written];
            self.rec.push(self.inner.send_id(), Direction::ClientToServer, sent, 0);
            data.advance(written);
        }
        self.inner.poll_ready(cx)
    }

    fn send_data<T: Into<WriteBuf<B>>>(&mut self, data: T) -> Result<(), StreamErrorIncoming> {
        // h3 waits for poll_ready before each frame; if it did not, say so as h3-quinn does.
        if self.writing.as_ref().is_some_and(|w| w.has_remaining()) {
            return Err(StreamErrorIncoming::ConnectionErrorIncoming {
                connection_error: ConnectionErrorIncoming::InternalError(
                    "send_data called while the tapped stream was still writing".into(),
                ),
            });
        }
        self.writing = Some(Box::new(data.into()));
        Ok(())
    }

    fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), StreamErrorIncoming>> {
        std::task::ready!(quic::SendStream::<B>::poll_ready(self, cx))?;
        self.inner.poll_finish(cx)
    }

    fn reset(&mut self, reset_code: u64) {
        self.writing = None;
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
        let (names, details): (Vec<String>, Vec<Vec<String>>) =
            parse_stream(3, Direction::ServerToClient, &[&control], &mut Decoder::new(0))
                .into_iter()
                .map(|f| (f.frame_type, f.details))
                .unzip();
        assert_eq!(names, ["STREAM TYPE 0x0", "SETTINGS", "reserved 0x21 (GREASE)"]);
        assert_eq!(details[1], ["MAX_FIELD_SECTION_SIZE = 16384"]);
        // Request stream 0: HEADERS header seen, its 20-octet field section not.
        let headers = piece(0, Direction::ClientToServer, &[0x01, 0x14], 20);
        let frames = parse_stream(0, Direction::ClientToServer, &[&headers], &mut Decoder::new(0));
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].details, ["QPACK field section, 20 octets (not all recorded)"]);
        let answer = piece(
            0,
            Direction::ServerToClient,
            &[0x01, 0x03, 0x00, 0x00, 0xd9, 0x00, 0x02, b'h', b'i'],
            0,
        );
        let frames = parse_stream(0, Direction::ServerToClient, &[&answer], &mut Decoder::new(0));
        let types: Vec<&str> = frames.iter().map(|f| f.frame_type.as_str()).collect();
        assert_eq!(types, ["HEADERS", "DATA"]);
        // 0xd9: indexed, static table, index 25 (:status 200), one octet for 12 of text.
        assert_eq!(
            frames[0].details,
            [
                "QPACK: 1 fields, 3 octets encoded for 12 octets of text (25%)",
                "Required Insert Count 0: static table and literals only, no dynamic table"
            ]
        );
        let status = &frames[0].fields[0];
        assert_eq!((status.name.as_str(), status.value.as_str()), (":status", "200"));
        assert_eq!(
            (status.representation.as_str(), status.index, status.encoded_len),
            ("indexed", Some(25), 1)
        );
        assert_eq!(frames[1].length, 2);
    }

    #[test]
    fn encoder_stream_fills_the_table_its_direction_decodes_with() {
        // RFC 9204 B.2 on the server's encoder stream (id 7, type 0x2), then its section on stream 0.
        let mut encoder = vec![0x02];
        encoder.extend(
            crate::hex::decode("3fbd01c00f7777772e6578616d706c652e636f6dc10c2f73616d706c652f70617468").unwrap(),
        );
        let mut decoder = Decoder::new(220);
        let opened = parse_stream(
            7,
            Direction::ServerToClient,
            &[&piece(7, Direction::ServerToClient, &encoder, 0)],
            &mut decoder,
        );
        assert_eq!(
            opened[0].details[2..],
            [
                "Set Dynamic Table Capacity = 220",
                "Insert With Name Reference, static index 0 (:authority: www.example.com)",
                "Insert With Name Reference, static index 1 (:path: /sample/path)"
            ]
        );
        let section = piece(0, Direction::ServerToClient, &[0x01, 0x04, 0x03, 0x81, 0x10, 0x11], 0);
        let frames = parse_stream(0, Direction::ServerToClient, &[&section], &mut decoder);
        assert_eq!(frames[0].details[1], "Required Insert Count 2, Base 0");
        let reps: Vec<(&str, Option<usize>)> = frames[0]
            .fields
            .iter()
            .map(|f| (f.representation.as_str(), f.index))
            .collect();
        assert_eq!(reps, [("indexed_post_base", Some(0)), ("indexed_post_base", Some(1))]);
        // Without the encoder stream the same section is blocked, and says so.
        let frames = parse_stream(0, Direction::ServerToClient, &[&section], &mut Decoder::new(220));
        assert!(frames[0].details[0].contains("blocked"), "{:?}", frames[0].details);
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
        assert_eq!(
            parse_stream(0, Direction::ServerToClient, &[&cut], &mut Decoder::new(0)).len(),
            1
        );
        assert!(parse_stream(
            0,
            Direction::ServerToClient,
            &[&piece(0, Direction::ServerToClient, &[], 0)],
            &mut Decoder::new(0)
        )
        .is_empty());
    }
}
