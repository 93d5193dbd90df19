//! The capture reader: bytes read as a pcap or pcapng file (`packet::reader::open` over a
//! `Cursor`), every frame through the pipeline of `netlab pcap --streams` (layers, the TCP
//! tracker, QUIC flows) and each event rendered as text, as `netlab pcap -v` prints it.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use netlab::packet::{pipeline, reader, render};
use netlab::style::RenderOpts;

/// Frames read at most: a capture of tiny records could otherwise hold a million.
const MAX_FRAMES: usize = 2000;

fuzz_target!(|data: &[u8]| {
    let Ok(capture) = reader::open(Cursor::new(data)) else {
        return;
    };
    let options = pipeline::Options {
        streams: true,
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
