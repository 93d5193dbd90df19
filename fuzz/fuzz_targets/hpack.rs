//! HPACK (RFC 7541): header blocks decoded in turn by one `http::hpack::Decoder`, so the dynamic
//! table carries over; the input is a table size then pieces (framing.rs): tag 1 is a Huffman
//! string for `huffman_decode`, any other tag a header block.
#![no_main]

mod framing;

use libfuzzer_sys::fuzz_target;
use netlab::http::hpack::{huffman_decode, Decoder};

fuzz_target!(|data: &[u8]| {
    let (size, rest) = framing::size_and_rest(data);
    let mut decoder = Decoder::new(size);
    for (tag, block) in framing::pieces(rest) {
        if tag == 1 {
            let _ = huffman_decode(block);
        } else {
            let _ = decoder.decode(block);
            let _ = decoder.table();
        }
    }
    // The whole input as one block, to a fresh decoder of the usual size.
    let _ = Decoder::new(4096).decode(data);
});
