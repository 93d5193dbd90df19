//! HTTP/2 frames (RFC 9113 §4, §6) parsed from the plaintext side of the TLS connection: each
//! frame's type, flags, stream and length, with SETTINGS, WINDOW_UPDATE, RST_STREAM, GOAWAY and
//! PING decoded, and HEADERS decoded with HPACK so each field shows how it was compressed.
//!
//! A pure function over bytes: any input gives frames, and at worst a named error for the rest.

use serde::{Deserialize, Serialize};

use super::hpack::{self, Decoder};
use crate::tls::tap::Direction;

/// The client connection preface (RFC 9113 §3.4), sent before the client's first frame.
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// Frame header: 24-bit length, 8-bit type, 8-bit flags, 1 reserved bit + 31-bit stream id.
const HEADER_LEN: usize = 9;

/// One frame as it crossed the connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameSeen {
    pub direction: Direction,
    /// Microseconds since the fetch started (the event's own `at_us` is the trace's clock).
    pub time_us: u64,
    pub frame_type: String,
    pub flags: Vec<String>,
    pub stream: u64,
    pub length: usize,
    /// Decoded contents (settings, increments, error codes, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    /// A HEADERS frame's fields, each with its HPACK representation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<hpack::Field>,
}

/// Frame type names (RFC 9113 §6, RFC 7838 §4 for ALTSVC, RFC 9218 for PRIORITY_UPDATE).
pub fn type_name(t: u8) -> String {
    match t {
        0 => "DATA",
        1 => "HEADERS",
        2 => "PRIORITY",
        3 => "RST_STREAM",
        4 => "SETTINGS",
        5 => "PUSH_PROMISE",
        6 => "PING",
        7 => "GOAWAY",
        8 => "WINDOW_UPDATE",
        9 => "CONTINUATION",
        10 => "ALTSVC",
        16 => "PRIORITY_UPDATE",
        _ => return format!("UNKNOWN({t})"),
    }
    .to_string()
}

fn setting_name(id: u16) -> String {
    match id {
        1 => "HEADER_TABLE_SIZE",
        2 => "ENABLE_PUSH",
        3 => "MAX_CONCURRENT_STREAMS",
        4 => "INITIAL_WINDOW_SIZE",
        5 => "MAX_FRAME_SIZE",
        6 => "MAX_HEADER_LIST_SIZE",
        8 => "ENABLE_CONNECT_PROTOCOL",
        9 => "NO_RFC7540_PRIORITIES",
        _ => return format!("UNKNOWN({id:#06x})"),
    }
    .to_string()
}

/// Error codes (RFC 9113 §7).
pub fn error_name(code: u32) -> String {
    match code {
        0 => "NO_ERROR",
        1 => "PROTOCOL_ERROR",
        2 => "INTERNAL_ERROR",
        3 => "FLOW_CONTROL_ERROR",
        4 => "SETTINGS_TIMEOUT",
        5 => "STREAM_CLOSED",
        6 => "FRAME_SIZE_ERROR",
        7 => "REFUSED_STREAM",
        8 => "CANCEL",
        9 => "COMPRESSION_ERROR",
        10 => "CONNECT_ERROR",
        11 => "ENHANCE_YOUR_CALM",
        12 => "INADEQUATE_SECURITY",
        13 => "HTTP_1_1_REQUIRED",
        _ => return format!("UNKNOWN({code:#x})"),
    }
    .to_string()
}

fn flag_names(t: u8, flags: u8) -> Vec<String> {
    let known: &[(u8, &str)] = match t {
        0 => &[(0x1, "END_STREAM"), (0x8, "PADDED")],
        1 => &[
            (0x1, "END_STREAM"),
            (0x4, "END_HEADERS"),
            (0x8, "PADDED"),
            (0x20, "PRIORITY"),
        ],
        4 | 6 => &[(0x1, "ACK")],
        5 | 9 => &[(0x4, "END_HEADERS"), (0x8, "PADDED")],
        _ => &[],
    };
    known
        .iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(_, n)| n.to_string())
        .collect()
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// One direction's byte stream, and when each offset arrived.
pub struct Timed<'a> {
    pub bytes: &'a [u8],
    /// (offset where a chunk starts, its time in µs)
    pub times: &'a [(usize, u64)],
}

impl Timed<'_> {
    fn time_at(&self, offset: usize) -> u64 {
        crate::tls::tap::time_at(self.times, offset)
    }
}

/// Frames of one direction. `decoder` is that direction's HPACK state. Returns the frames, and
/// why parsing stopped early, if it did (a truncated last frame is normal when a capture was cut).
pub fn parse(stream: &Timed<'_>, direction: Direction, decoder: &mut Decoder) -> (Vec<FrameSeen>, Option<String>) {
    let mut at = 0usize;
    if direction == Direction::ClientToServer {
        if !stream.bytes.starts_with(PREFACE) {
            return (
                Vec::new(),
                Some("the client did not start with the HTTP/2 connection preface".into()),
            );
        }
        at = PREFACE.len();
    }
    let mut frames = Vec::new();
    // A header block may continue in CONTINUATION frames (§6.10): decode it when it ends.
    let mut block: Vec<u8> = Vec::new();
    let mut block_frame: Option<usize> = None;
    while at < stream.bytes.len() {
        let Some(head) = stream.bytes.get(at..at + HEADER_LEN) else {
            return (
                frames,
                Some(format!(
                    "{} octets left, less than a frame header",
                    stream.bytes.len() - at
                )),
            );
        };
        let length = (usize::from(head[0]) << 16) | (usize::from(head[1]) << 8) | usize::from(head[2]);
        let (t, flags) = (head[3], head[4]);
        let stream_id = be32(&head[5..9]) & 0x7fff_ffff;
        let Some(payload) = stream.bytes.get(at + HEADER_LEN..at + HEADER_LEN + length) else {
            return (
                frames,
                Some(format!("{} frame of {length} octets is cut short", type_name(t))),
            );
        };
        let mut frame = FrameSeen {
            direction,
            time_us: stream.time_at(at),
            frame_type: type_name(t),
            flags: flag_names(t, flags),
            stream: u64::from(stream_id),
            length,
            details: Vec::new(),
            fields: Vec::new(),
        };
        at += HEADER_LEN + length;
        details(t, flags, payload, &mut frame.details);
        if t == 1 || t == 9 {
            if t == 1 {
                block.clear();
                block_frame = Some(frames.len());
            }
            block.extend_from_slice(header_fragment(t, flags, payload));
            if flags & 0x4 != 0 {
                if let Some(i) = block_frame.take() {
                    let target: &mut FrameSeen = if i == frames.len() { &mut frame } else { &mut frames[i] };
                    match decoder.decode(&block) {
                        Ok(fields) => {
                            let plain: usize = fields.iter().map(|f| f.plain_len).sum();
                            target.details.push(format!(
                                "HPACK: {} fields, {} octets encoded for {} octets of text ({:.0}%)",
                                fields.len(),
                                block.len(),
                                plain,
                                100.0 * block.len() as f64 / plain.max(1) as f64
                            ));
                            target.fields = fields;
                        }
                        Err(e) => target.details.push(format!("HPACK error: {e}")),
                    }
                }
            }
        }
        frames.push(frame);
    }
    (frames, None)
}

/// A HEADERS frame's header block fragment: without padding and priority fields (§6.2).
fn header_fragment(t: u8, flags: u8, payload: &[u8]) -> &[u8] {
    let mut p = payload;
    let mut pad = 0usize;
    if t == 1 && flags & 0x8 != 0 {
        pad = usize::from(p.first().copied().unwrap_or(0));
        p = p.get(1..).unwrap_or_default();
    }
    if t == 1 && flags & 0x20 != 0 {
        p = p.get(5..).unwrap_or_default();
    }
    p.get(..p.len().saturating_sub(pad)).unwrap_or_default()
}

fn details(t: u8, flags: u8, p: &[u8], out: &mut Vec<String>) {
    match t {
        0 => out.push(format!("{} octets of body", p.len())),
        3 if p.len() == 4 => out.push(format!("error {}", error_name(be32(p)))),
        4 if flags & 1 != 0 => out.push("acknowledges the peer's settings".into()),
        4 => {
            for s in p.chunks_exact(6) {
                let id = u16::from_be_bytes([s[0], s[1]]);
                out.push(format!("{} = {}", setting_name(id), be32(&s[2..])));
            }
            if p.len() % 6 != 0 {
                out.push(format!("malformed: {} octets is not a multiple of 6", p.len()));
            }
        }
        6 if p.len() == 8 => out.push(format!(
            "opaque data {}{}",
            crate::hex::encode(p),
            if flags & 1 != 0 {
                " (the answer: one round trip measured)"
            } else {
                ""
            }
        )),
        7 if p.len() >= 8 => {
            out.push(format!(
                "last stream {}, error {}",
                be32(&p[..4]) & 0x7fff_ffff,
                error_name(be32(&p[4..8]))
            ));
            if p.len() > 8 {
                out.push(format!("debug data: {}", String::from_utf8_lossy(&p[8..])));
            }
        }
        8 if p.len() == 4 => out.push(format!("window grows by {} octets", be32(p) & 0x7fff_ffff)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(t: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0, (payload.len() >> 8) as u8, payload.len() as u8, t, flags];
        v.extend_from_slice(&stream.to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn settings_headers_split_over_continuation_and_window_update() {
        let mut bytes = PREFACE.to_vec();
        bytes.extend(frame(4, 0, 0, &[0, 4, 0, 0x40, 0, 0, 0, 3, 0, 0, 0, 100]));
        // RFC 7541 C.3.1's block, split between HEADERS and CONTINUATION.
        let block = [
            0x82, 0x86, 0x84, 0x41, 0x0f, b'w', b'w', b'w', b'.', b'e', b'x', b'a', b'm', b'p', b'l', b'e', b'.', b'c',
            b'o', b'm',
        ];
        bytes.extend(frame(1, 0x1, 1, &block[..5]));
        bytes.extend(frame(9, 0x4, 1, &block[5..]));
        bytes.extend(frame(8, 0, 0, &[0, 0x0f, 0, 1]));
        let times = [(0, 7)];
        let (frames, stop) = parse(
            &Timed {
                bytes: &bytes,
                times: &times,
            },
            Direction::ClientToServer,
            &mut Decoder::default(),
        );
        assert_eq!(stop, None);
        let types: Vec<&str> = frames.iter().map(|f| f.frame_type.as_str()).collect();
        assert_eq!(types, ["SETTINGS", "HEADERS", "CONTINUATION", "WINDOW_UPDATE"]);
        assert_eq!(
            frames[0].details,
            ["INITIAL_WINDOW_SIZE = 4194304", "MAX_CONCURRENT_STREAMS = 100"]
        );
        assert_eq!(frames[1].flags, ["END_STREAM"]);
        let names: Vec<&str> = frames[1].fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, [":method", ":scheme", ":path", ":authority"]);
        assert_eq!(frames[1].fields[3].value, "www.example.com");
        assert_eq!(frames[3].details, ["window grows by 983041 octets"]);
        assert!(frames.iter().all(|f| f.time_us == 7));
    }

    #[test]
    fn cut_and_bad_streams_say_why() {
        let times = [(0, 0)];
        let (_, stop) = parse(
            &Timed {
                bytes: b"GET / HTTP/1.1\r\n",
                times: &times,
            },
            Direction::ClientToServer,
            &mut Decoder::default(),
        );
        assert!(stop.unwrap().contains("preface"));
        let mut bytes = frame(0, 0, 1, &[1, 2, 3]);
        bytes.truncate(10);
        let (frames, stop) = parse(
            &Timed {
                bytes: &bytes,
                times: &times,
            },
            Direction::ServerToClient,
            &mut Decoder::default(),
        );
        assert!(frames.is_empty());
        assert_eq!(stop.unwrap(), "DATA frame of 3 octets is cut short");
    }
}
