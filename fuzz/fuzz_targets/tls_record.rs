//! TLS records and handshake messages: the record layer (`tls::record`), handshake message
//! framing and hello decoding (`tls::handshake`), the fingerprints (`tls::fingerprint`), the
//! certificate fields netlab reads (`tls::cert`) and the HTTP/1.x head of application data
//! (`tls::plaintext`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use netlab::tls::{cert, fingerprint, handshake, plaintext, record};

fn messages(bytes: &[u8]) {
    let Ok((messages, _rest)) = handshake::split(bytes) else {
        return;
    };
    for (t, m) in messages {
        let _ = handshake::message_name(t);
        let _ = handshake::decode_hello(m);
        if let Ok(raw) = fingerprint::raw_hello(m) {
            let _ = fingerprint::ja3(&raw);
            let _ = fingerprint::ja4(&raw);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // The bytes as a record stream, its handshake records' fragments joined as messages.
    if let Ok((records, _rest)) = record::parse_all(data) {
        let mut joined = Vec::new();
        for r in &records {
            if r.content_type == record::ContentType::Handshake {
                joined.extend_from_slice(r.fragment);
            }
            let _ = plaintext::http_head(r.fragment);
        }
        messages(&joined);
    }
    // The bytes as handshake messages, as one hello, and as one extension of each side.
    messages(data);
    let _ = handshake::decode_hello(data);
    if data.len() >= 2 {
        let t = u16::from_be_bytes([data[0], data[1]]);
        let _ = handshake::decode_extension(t, &data[2..], true);
        let _ = handshake::decode_extension(t, &data[2..], false);
    }
    let _ = cert::describe(data);
    let _ = cert::facts(data);
    let _ = cert::signature_algorithm_from_der(data);
    let _ = plaintext::http_head(data);
});
