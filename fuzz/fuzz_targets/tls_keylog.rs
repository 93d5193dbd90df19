//! The TLS decoder with a key log, as `netlab pcap --keylog` runs it: a capture's TCP
//! connections reassembled (`packet::tlsflows`), each decrypted by `tls::decode` with the
//! secrets of its client random, and QUIC connections opened with theirs (`packet::quicflows`).
//! The key log is fixed (the key logs of `captures/` and RFC 8448's, a seed of this target), so mutated captures whose
//! randoms survive still decrypt. Bytes that are not a capture are read as a key log instead.
#![no_main]

use std::io::Cursor;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use netlab::packet::tlsflows::{parse_keylog, KeyLog};
use netlab::packet::{pipeline, reader, render};
use netlab::style::RenderOpts;

const MAX_FRAMES: usize = 2000;

fn keylog() -> &'static KeyLog {
    static LOG: OnceLock<KeyLog> = OnceLock::new();
    LOG.get_or_init(|| {
        let text = [
            include_str!("../../captures/tls13-handshake.keylog"),
            include_str!("../../captures/tls12-handshake.keylog"),
            include_str!("../../captures/tls12-chacha.keylog"),
            include_str!("../../captures/http3-fetch.keylog"),
            include_str!("../corpus/tls_keylog/rfc8448-simple-1rtt.keylog"),
        ]
        .join("\n");
        parse_keylog(&text).expect("the seed key logs read")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(capture) = reader::open(Cursor::new(data)) else {
        if let Ok(text) = std::str::from_utf8(data) {
            let _ = parse_keylog(text);
        }
        return;
    };
    let options = pipeline::Options {
        keylog: Some(keylog().clone()),
        ..pipeline::Options::default()
    };
    let opts = RenderOpts::plain();
    let mut text = String::new();
    let _ = pipeline::run(capture.take(MAX_FRAMES), options, |e| {
        text.clear();
        render::event(&mut text, &e, &[], &opts, true);
        Ok(())
    });
});
