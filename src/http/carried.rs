//! What an HTTP/2 connection's bytes were, laid out on its TCP byte stream for the emulated
//! link, which can then say which streams' frames a dropped segment held (`link.packet`'s
//! `carried`). Two layers sit between a TCP octet and an HTTP/2 frame: the TLS records (a
//! 5-octet header, then the encrypted fragment: the plaintext, one octet of inner content
//! type and a 16-octet AEAD tag, RFC 8446 §5.2) and the frames in the records' plaintext, which
//! run on across record boundaries (a 9-octet header, then the payload, RFC 9113 §4.1).

use std::collections::HashMap;

use super::frames::type_name;
use crate::link::carried::{Piece, Span};
use crate::tls::decode::{self, LaidRecord, RecordContent};
use crate::tls::tap::{self, Chunk, Direction};

/// One frame's place in the plaintext.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FrameAt {
    start: u64,
    end: u64,
    piece: Piece,
}

/// Most frames laid out per connection.
const MAX_FRAMES: usize = 1 << 16;

/// The server's side of an HTTP/2 connection laid out on the TCP stream: `cipher` is what
/// crossed the TCP connection, `plain` what the TLS library handed HTTP/2, `secrets` the
/// connection's traffic secrets.
pub fn server_spans(cipher: &[Chunk], plain: &[Chunk], secrets: &HashMap<String, Vec<u8>>) -> Vec<Span> {
    let records = decode::layout(cipher, secrets, Direction::ServerToClient);
    let (plaintext, _) = tap::joined(plain, Direction::ServerToClient, 0);
    lay_out(&records, &frames_at(&plaintext))
}

/// The frames of a plaintext stream, by their 9-octet headers: 24-bit length, type, flags,
/// a reserved bit and the 31-bit stream identifier.
fn frames_at(plain: &[u8]) -> Vec<FrameAt> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while let Some(h) = plain.get(at..at + 9) {
        if out.len() >= MAX_FRAMES {
            break;
        }
        let len = usize::from(h[0]) << 16 | usize::from(h[1]) << 8 | usize::from(h[2]);
        let stream = u32::from_be_bytes([h[5], h[6], h[7], h[8]]) & 0x7fff_ffff;
        let end = at + 9 + len;
        out.push(FrameAt {
            start: at as u64,
            end: end as u64,
            piece: Piece {
                what: format!("HTTP/2 {}", type_name(h[3])),
                stream: (stream != 0).then_some(u64::from(stream)),
            },
        });
        at = end;
    }
    out
}

/// Each frame's octets placed where they sit in the TCP stream, record by record; records
/// that are not application data are spans of their own (`TLS handshake`: tickets after the
/// handshake; `TLS alert`).
fn lay_out(records: &[LaidRecord], frames: &[FrameAt]) -> Vec<Span> {
    let mut spans = Vec::new();
    for r in records {
        let record_start = r.offset as u64;
        match &r.content {
            RecordContent::Application {
                plain_offset,
                plain_len,
                plain_start,
            } => {
                let (p0, p1) = (*plain_offset as u64, (*plain_offset + *plain_len) as u64);
                let fragment = record_start + *plain_start as u64;
                for f in frames.iter().filter(|f| f.start < p1 && p0 < f.end) {
                    spans.push(Span {
                        start: fragment + (f.start.max(p0) - p0),
                        end: fragment + (f.end.min(p1) - p0),
                        what: f.piece.clone(),
                    });
                }
            }
            other => spans.push(Span {
                start: record_start,
                end: record_start + r.len as u64,
                what: Piece {
                    what: match other {
                        RecordContent::Other(t) => format!("TLS {t}"),
                        _ => "TLS record (not decrypted)".into(),
                    },
                    stream: None,
                },
            }),
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::decode::RECORD_HEADER;

    fn piece(what: &str, stream: Option<u64>) -> Piece {
        Piece {
            what: what.into(),
            stream,
        }
    }

    #[test]
    fn frames_are_read_from_their_headers_across_the_whole_plaintext() {
        // SETTINGS (6 octets) on stream 0, then DATA of 3 octets on stream 3.
        let mut plain = vec![0, 0, 6, 4, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6];
        plain.extend([0, 0, 3, 0, 1, 0, 0, 0, 3, b'a', b'b', b'c']);
        let f = frames_at(&plain);
        assert_eq!(f.len(), 2);
        assert_eq!(
            (f[0].start, f[0].end, f[0].piece.clone()),
            (0, 15, piece("HTTP/2 SETTINGS", None))
        );
        assert_eq!(
            (f[1].start, f[1].end, f[1].piece.clone()),
            (15, 27, piece("HTTP/2 DATA", Some(3)))
        );
    }

    #[test]
    fn a_tls12_gcm_records_plaintext_starts_after_its_explicit_nonce() {
        let records = [LaidRecord {
            offset: 0,
            len: 5 + 8 + 20 + 16,
            content: RecordContent::Application {
                plain_offset: 0,
                plain_len: 20,
                plain_start: RECORD_HEADER + 8,
            },
        }];
        let frames = [FrameAt {
            start: 0,
            end: 20,
            piece: piece("HTTP/2 DATA", Some(1)),
        }];
        let spans = lay_out(&records, &frames);
        assert_eq!((spans[0].start, spans[0].end), (13, 33));
    }

    #[test]
    fn a_frame_split_over_two_records_is_placed_in_both() {
        // Record 1 at 0: a ticket (handshake). Record 2 at 100: 20 octets of plaintext.
        // Record 3 at 142 (100 + 5 + 20 + 17): the next 30 octets.
        let records = [
            LaidRecord {
                offset: 0,
                len: 100,
                content: RecordContent::Other("handshake".into()),
            },
            LaidRecord {
                offset: 100,
                len: 42,
                content: RecordContent::Application {
                    plain_offset: 0,
                    plain_len: 20,
                    plain_start: RECORD_HEADER,
                },
            },
            LaidRecord {
                offset: 142,
                len: 52,
                content: RecordContent::Application {
                    plain_offset: 20,
                    plain_len: 30,
                    plain_start: RECORD_HEADER,
                },
            },
        ];
        let frames = [
            FrameAt {
                start: 0,
                end: 10,
                piece: piece("HTTP/2 HEADERS", Some(1)),
            },
            FrameAt {
                start: 10,
                end: 50,
                piece: piece("HTTP/2 DATA", Some(1)),
            },
        ];
        let spans = lay_out(&records, &frames);
        let got: Vec<(u64, u64, &str)> = spans.iter().map(|s| (s.start, s.end, s.what.what.as_str())).collect();
        assert_eq!(
            got,
            [
                (0, 100, "TLS handshake"),
                (105, 115, "HTTP/2 HEADERS"),
                (115, 125, "HTTP/2 DATA"),
                (147, 177, "HTTP/2 DATA"),
            ]
        );
    }
}
