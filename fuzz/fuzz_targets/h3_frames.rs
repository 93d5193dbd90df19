//! HTTP/3 frames (RFC 9114) as the tap parses what it recorded (`http::h3tap::H3Recording`):
//! control streams and their SETTINGS, QPACK encoder and decoder streams, request streams'
//! HEADERS and DATA. The input is pieces (framing.rs): the tag's low bit is the direction
//! (1: server to client), the next seven bits the QUIC stream ID; a piece's first two octets
//! are how many octets after it went unseen (the tap's `hidden`).
#![no_main]

mod framing;

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use netlab::http::h3tap::H3Recording;
use netlab::tls::tap::Direction;

fuzz_target!(|data: &[u8]| {
    let recording = H3Recording::new(Instant::now(), 0);
    for (tag, piece) in framing::pieces(data) {
        let direction = if tag & 1 == 1 {
            Direction::ServerToClient
        } else {
            Direction::ClientToServer
        };
        let (hidden, bytes) = framing::size_and_rest(piece);
        recording.record(u64::from(tag >> 1), direction, bytes, hidden);
    }
    let _ = recording.frames();
});
