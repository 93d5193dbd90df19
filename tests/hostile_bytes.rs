//! Hostile bytes through the parsers that read what the network sends: random bytes, and the
//! real captures of `captures/` with a frame mutated (octets overwritten, cut short, grown),
//! must never make netlab panic, loop or allocate without bound. Each property names the
//! parser and runs it as netlab does: the packet layers, the whole capture pipeline with its
//! key log (TCP streams, TLS decryption, QUIC flows), QUIC headers and Initial decryption, TLS
//! records and hellos, HTTP/2 frames with HPACK, and the HTTP/3 tap with QPACK.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use netlab::http::frames::{self, Timed};
use netlab::http::h3tap::H3Recording;
use netlab::http::hpack::Decoder;
use netlab::packet::layers::{decode, Link};
use netlab::packet::pipeline::{self, Options};
use netlab::packet::reader::Frame;
use netlab::tls::tap::Direction;
use proptest::prelude::*;

const CAPTURES: [(&str, Option<&str>); 8] = [
    ("dns-walk.pcap", None),
    ("http2-fetch.pcap", None),
    ("http3-fetch.pcap", Some("http3-fetch.keylog")),
    ("quic-initial.pcap", None),
    ("tcp-handshake.pcap", None),
    ("tls12-chacha.pcap", Some("tls12-chacha.keylog")),
    ("tls12-handshake.pcap", Some("tls12-handshake.keylog")),
    ("tls13-handshake.pcap", Some("tls13-handshake.keylog")),
];
const LINKS: [Link; 5] = [Link::Ethernet, Link::Null, Link::Raw, Link::Sll, Link::Sll2];

fn capture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("captures").join(name)
}

/// Every frame of a capture in `captures/`, as the reader gives them.
fn frames(name: &str) -> Vec<Frame> {
    let file = std::fs::File::open(capture_path(name)).unwrap();
    netlab::packet::reader::open(file)
        .unwrap()
        .map(|f| f.unwrap())
        .collect()
}

/// A frame with `edits` applied: each (position, octet) overwrites one octet (positions wrap
/// around the frame), then the frame is cut to `keep` octets (when shorter) or grown by
/// `extra` octets.
fn mutated(data: &[u8], edits: &[(usize, u8)], keep: usize, extra: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    if !out.is_empty() {
        let len = out.len();
        for (at, octet) in edits {
            out[at % len] = *octet;
        }
    }
    if keep < out.len() {
        out.truncate(keep);
    } else {
        out.extend_from_slice(extra);
    }
    out
}

/// Runs a whole capture, one frame mutated, through the pipeline as `netlab pcap --streams
/// --keylog` does; it must end, with a summary, whatever the frame became.
fn run_pipeline(capture: usize, which: usize, edits: &[(usize, u8)], keep: usize, extra: &[u8]) {
    let (name, keylog) = CAPTURES[capture % CAPTURES.len()];
    let mut all = frames(name);
    let i = which % all.len();
    all[i].data = mutated(&all[i].data, edits, keep, extra);
    all[i].orig_len = all[i].data.len() as u32;
    let keylog = keylog.map(|k| {
        let text = std::fs::read_to_string(capture_path(k)).unwrap();
        netlab::packet::tlsflows::parse_keylog(&text).unwrap()
    });
    let options = Options {
        streams: true,
        keylog,
        ..Options::default()
    };
    let mut summaries = 0;
    let started = Instant::now();
    pipeline::run(all.into_iter().map(Ok::<_, String>), options, |e| {
        summaries += usize::from(matches!(e, netlab::packet::events::PacketEvent::Summary(_)));
        Ok(())
    })
    .unwrap();
    assert_eq!(summaries, 1);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "a mutated frame made the pipeline crawl"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn packet_layers_take_any_bytes(link in 0usize..5, bytes in prop::collection::vec(any::<u8>(), 0..1600)) {
        let d = decode(LINKS[link], &bytes);
        prop_assert!(d.info.len() < 1 << 16);
    }

    #[test]
    fn every_captures_frames_decode_when_mutated(
        capture in 0usize..8,
        which in any::<usize>(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..12),
        keep in any::<usize>(),
        extra in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let (name, _) = CAPTURES[capture];
        let all = frames(name);
        let frame = &all[which % all.len()];
        let link = frame.link.unwrap();
        let _ = decode(link, &mutated(&frame.data, &edits, keep, &extra));
    }

    #[test]
    fn quic_headers_and_initials_take_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..1500), client in any::<bool>()) {
        let _ = netlab::packet::quic::parse_long_header(&bytes);
        let _ = netlab::packet::quic::open_initial(&bytes, None, client);
        let _ = netlab::packet::quic::open_initial(&bytes, Some(&bytes[..bytes.len().min(20)]), client);
    }

    #[test]
    fn tls_records_and_handshakes_take_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..3000)) {
        if let Ok((records, _)) = netlab::tls::record::parse_all(&bytes) {
            for r in records {
                let _ = netlab::tls::handshake::split(r.fragment);
            }
        }
        let _ = netlab::tls::handshake::split(&bytes);
        let _ = netlab::tls::handshake::decode_hello(&bytes);
    }

    #[test]
    fn http2_frames_take_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..4000), preface in any::<bool>()) {
        let mut stream = if preface { b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec() } else { Vec::new() };
        stream.extend_from_slice(&bytes);
        for direction in [Direction::ClientToServer, Direction::ServerToClient] {
            let timed = Timed { bytes: &stream, times: &[(0, 0)] };
            let (seen, _) = frames::parse(&timed, direction, &mut Decoder::default());
            prop_assert!(seen.len() <= stream.len() / 9 + 1);
        }
    }

    #[test]
    fn the_http3_tap_takes_any_stream_bytes(
        pieces in prop::collection::vec((0u64..16, any::<bool>(), prop::collection::vec(any::<u8>(), 0..600), 0usize..100), 0..12),
    ) {
        let rec = H3Recording::new(Instant::now(), 0);
        for (stream, up, bytes, hidden) in &pieces {
            let direction = if *up { Direction::ClientToServer } else { Direction::ServerToClient };
            rec.record(*stream, direction, bytes, *hidden);
        }
        let _ = rec.frames();
    }
}

proptest! {
    // The whole pipeline reads a whole capture per case: fewer cases.
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn the_capture_pipeline_with_its_key_log_survives_a_mutated_frame(
        capture in 0usize..8,
        which in any::<usize>(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..12),
        keep in any::<usize>(),
        extra in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        run_pipeline(capture, which, &edits, keep, &extra);
    }
}

/// The TLS decoder given a connection's real secrets and random bytes for its records: what
/// `--keylog` meets when a capture is damaged after the keys were logged.
#[test]
fn tls_decryption_with_real_secrets_takes_garbage_records() {
    let text = std::fs::read_to_string(capture_path("tls13-handshake.keylog")).unwrap();
    let log = netlab::packet::tlsflows::parse_keylog(&text).unwrap();
    let secrets: HashMap<String, Vec<u8>> = log.values().next().unwrap().clone();
    let mut runner = proptest::test_runner::TestRunner::default();
    runner
        .run(&prop::collection::vec(any::<u8>(), 0..3000), |bytes| {
            let chunks = vec![
                netlab::tls::tap::Chunk {
                    direction: Direction::ClientToServer,
                    at: Duration::ZERO,
                    bytes: bytes.clone(),
                },
                netlab::tls::tap::Chunk {
                    direction: Direction::ServerToClient,
                    at: Duration::from_millis(1),
                    bytes,
                },
            ];
            let _ = netlab::tls::decode::decode(&chunks, &secrets, false);
            Ok(())
        })
        .unwrap();
}
