//! QPACK (RFC 9204): one `http::qpack::Decoder` with the capacity of the input's first two
//! octets, then pieces (framing.rs): tag 0 encoder stream instructions (they fill the dynamic
//! table), tag 2 decoder stream instructions, any other tag a field section.
#![no_main]

mod framing;

use libfuzzer_sys::fuzz_target;
use netlab::http::qpack::{decoder_stream, Decoder};

fuzz_target!(|data: &[u8]| {
    let (capacity, rest) = framing::size_and_rest(data);
    let mut decoder = Decoder::new(capacity);
    for (tag, bytes) in framing::pieces(rest) {
        match tag {
            0 => {
                if let Ok(said) = decoder.encoder_stream(bytes) {
                    said.iter().for_each(|i| drop(i.describe()));
                }
            }
            2 => {
                if let Ok(said) = decoder_stream(bytes) {
                    said.iter().for_each(|i| drop(i.describe()));
                }
            }
            _ => {
                let _ = decoder.section(bytes);
            }
        }
        let _ = decoder.table();
    }
    let _ = Decoder::new(4096).section(data);
    let _ = decoder_stream(data);
});
