//! QUIC (RFC 9000, RFC 9001): long headers (`packet::quic::parse_long_header`), Initial header
//! unprotection and decryption (`open_initial`, as a client's and as a server's Initial), the
//! frames of a payload and its CRYPTO stream (`onertt::frames`, `quic::crypto_pieces`,
//! `quiccrypto::CryptoStream`), and short and long header unprotection with known keys
//! (`onertt::unprotect`, `unprotect_long`, `open`).
//!
//! Mutated ciphertext never decrypts, so the input is also used as the plaintext of a client
//! Initial that the target seals itself (RFC 9001 §5: AES-128-GCM, then header protection) and
//! hands to `open_initial`: what follows decryption (frames, CRYPTO reassembly, the
//! ClientHello) is fuzzed through the same entry point.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use netlab::packet::onertt::{self, OneRttKeys};
use netlab::packet::quic::{self, initial_keys, open_initial, parse_long_header};
use netlab::packet::quiccrypto::CryptoStream;
use ring::aead::{self, quic as hp};

/// RFC 9001 Appendix A's Destination Connection ID.
const DCID: [u8; 8] = [0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08];

/// Most plaintext sealed: the Length field is written in two octets.
const MAX_SEALED: usize = 16_000;

fn short_keys() -> &'static OneRttKeys {
    static KEYS: OnceLock<OneRttKeys> = OnceLock::new();
    KEYS.get_or_init(|| OneRttKeys::derive(0x1301, &[0x42; 32]).expect("a SHA-256 secret"))
}

/// A client Initial for `DCID` carrying `plain` as packet number `pn` (one octet).
fn seal_initial(plain: &[u8], pn: u8) -> Vec<u8> {
    let mut plain = plain[..plain.len().min(MAX_SEALED)].to_vec();
    // The header protection sample needs 20 octets after the packet number's start.
    plain.resize(plain.len().max(3), 0);
    let keys = initial_keys(&DCID, true);
    let length = 1 + plain.len() + 16;
    let mut packet = vec![0xc0, 0, 0, 0, 1, DCID.len() as u8];
    packet.extend_from_slice(&DCID);
    packet.extend_from_slice(&[0, 0]); // no SCID, no token
    packet.extend_from_slice(&(0x4000 | length as u16).to_be_bytes());
    let pn_offset = packet.len();
    packet.push(pn);
    let key = aead::LessSafeKey::new(aead::UnboundKey::new(&aead::AES_128_GCM, &keys.key).expect("16 octets"));
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(&keys.iv);
    nonce[11] ^= pn;
    let tag = key
        .seal_in_place_separate_tag(
            aead::Nonce::assume_unique_for_key(nonce),
            aead::Aad::from(&packet),
            &mut plain,
        )
        .expect("sealed");
    packet.extend_from_slice(&plain);
    packet.extend_from_slice(tag.as_ref());
    let hp_key = hp::HeaderProtectionKey::new(&hp::AES_128, &keys.hp).expect("16 octets");
    let mask = hp_key
        .new_mask(&packet[pn_offset + 4..pn_offset + 20])
        .expect("a 16-octet sample");
    packet[0] ^= mask[0] & 0x0f;
    packet[pn_offset] ^= mask[1];
    packet
}

fn payload(p: &[u8]) {
    let frames = onertt::frames(p);
    for f in &frames {
        let _ = f.described();
        let _ = f.brief();
    }
    let _ = CryptoStream::default().take(quic::crypto_pieces(p, &frames));
}

fuzz_target!(|data: &[u8]| {
    let _ = quic::varint(data);
    if let Ok(h) = parse_long_header(data) {
        if let Ok(u) = onertt::unprotect_long(data, h.pn_offset, short_keys()) {
            let _ = onertt::open(&data[..h.packet_len], &u, u.truncated_pn, short_keys());
        }
    }
    let _ = open_initial(data, None, true);
    let _ = open_initial(data, None, false);
    let _ = open_initial(data, Some(&DCID), false);
    if let Ok(u) = onertt::unprotect(data, 8, short_keys()) {
        let largest = data
            .get(1..9)
            .map(|b| u64::from_be_bytes(b.try_into().expect("8")) & ((1 << 62) - 1));
        let pn = onertt::decode_packet_number(largest, u.truncated_pn, u.pn_len);
        let _ = onertt::open(data, &u, pn, short_keys());
    }
    payload(data);
    // The input as the plaintext of an Initial, opened through the real entry point.
    let sealed = seal_initial(data, data.first().copied().unwrap_or(0));
    let opened = open_initial(&sealed, None, true).expect("a sealed Initial opens");
    assert_eq!(opened.payload.len(), data.len().min(MAX_SEALED).max(3));
});
