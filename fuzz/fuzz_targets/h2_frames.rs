//! HTTP/2 frames (RFC 9113) as `http::frames::parse` reads one direction of a connection, HPACK
//! blocks included: the input as the client's bytes (which must open with the preface) and as
//! the server's.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netlab::http::frames::{parse, Timed};
use netlab::http::hpack::Decoder;
use netlab::tls::tap::Direction;

fuzz_target!(|data: &[u8]| {
    let times = [(0, 0), (data.len() / 2, 1_000)];
    let stream = Timed {
        bytes: data,
        times: &times,
    };
    for direction in [Direction::ClientToServer, Direction::ServerToClient] {
        let _ = parse(&stream, direction, &mut Decoder::new(4096));
    }
});
