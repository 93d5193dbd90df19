//! TLS 1.2's keys and record protection, written out because seeing them is the point. TLS 1.2
//! has no key schedule of stages as TLS 1.3 has: one master secret (which the NSS key log gives
//! as its `CLIENT_RANDOM` line) makes everything, through one pseudorandom function.
//!
//! ```text
//! PRF(secret, label, seed) = P_hash(secret, label + seed)                      RFC 5246 §5
//! P_hash(secret, seed)     = HMAC(secret, A(1) + seed) + HMAC(secret, A(2) + seed) + ...
//!        A(0) = seed, A(i) = HMAC(secret, A(i-1))
//!
//! key_block = PRF(master_secret, "key expansion", server_random + client_random)   §6.3
//!           = client_write_MAC_key | server_write_MAC_key      (none for AEAD suites)
//!             client_write_key     | server_write_key
//!             client_write_IV      | server_write_IV
//!
//! verify_data = PRF(master_secret, "client finished" | "server finished",
//!                   Hash(handshake_messages))[0..12]                           §7.4.9
//! ```
//!
//! The hash is the suite's: SHA-384 for the `_SHA384` suites, SHA-256 for the others (§5).
//! AES-GCM takes a 4-octet implicit salt as its IV and sends the other 8 octets of each
//! record's nonce in the clear before the ciphertext (RFC 5288 §3); ChaCha20-Poly1305 takes a
//! 12-octet IV and XORs the sequence number into it, sending no nonce at all (RFC 7905 §2).

use ring::{aead, hmac};

use super::keys::Hash;

/// How a suite's AEAD gets its per-record nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceStyle {
    /// AES-GCM (RFC 5288 §3): salt(4) from the key block + nonce_explicit(8) sent in the record.
    ExplicitGcm,
    /// ChaCha20-Poly1305 (RFC 7905 §2): IV(12) XOR the left-padded sequence number.
    XorSequence,
}

/// Octets of the explicit nonce an AES-GCM record carries before its ciphertext.
pub const EXPLICIT_NONCE: usize = 8;
/// Octets of the AEAD tag at the end of every protected record (all three AEADs).
pub const TAG: usize = 16;
/// The most PRF output anyone asks for here (a key block is at most 2 * 32 + 2 * 12 = 88).
pub const MAX_PRF: usize = 1024;
/// The length of Finished.verify_data in TLS 1.2 (RFC 5246 §7.4.9).
pub const VERIFY_DATA: usize = 12;

/// A TLS 1.2 AEAD cipher suite: its PRF hash, AEAD and nonce style. The key exchange
/// (ECDHE_ECDSA, ECDHE_RSA, DHE_RSA, RSA) does not matter once the master secret is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suite12 {
    pub id: u16,
    pub hash: Hash,
    aead: &'static aead::Algorithm,
    pub nonce: NonceStyle,
}

impl Suite12 {
    /// The suites this module can open: AES-128/256-GCM (RFC 5288, RFC 5289) and
    /// ChaCha20-Poly1305 (RFC 7905), with any key exchange.
    pub fn from_id(id: u16) -> Option<Suite12> {
        let (hash, aead, nonce) = match id {
            // TLS_RSA_, TLS_DHE_RSA_, TLS_ECDHE_ECDSA_, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
            0x009c | 0x009e | 0xc02b | 0xc02f => (Hash::Sha256, &aead::AES_128_GCM, NonceStyle::ExplicitGcm),
            // ..._WITH_AES_256_GCM_SHA384
            0x009d | 0x009f | 0xc02c | 0xc030 => (Hash::Sha384, &aead::AES_256_GCM, NonceStyle::ExplicitGcm),
            // TLS_ECDHE_RSA_, TLS_ECDHE_ECDSA_, TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256
            0xcca8..=0xccaa => (Hash::Sha256, &aead::CHACHA20_POLY1305, NonceStyle::XorSequence),
            _ => return None,
        };
        Some(Suite12 { id, hash, aead, nonce })
    }

    pub fn key_len(&self) -> usize {
        self.aead.key_len()
    }

    /// The IV's length in the key block: the GCM salt, or ChaCha20's whole nonce.
    pub fn iv_len(&self) -> usize {
        match self.nonce {
            NonceStyle::ExplicitGcm => 4,
            NonceStyle::XorSequence => 12,
        }
    }
}

/// P_hash(secret, seed) cut to `len` octets (RFC 5246 §5); `len` is capped at [`MAX_PRF`].
pub fn p_hash(hash: Hash, secret: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let len = len.min(MAX_PRF);
    let key = hmac::Key::new(hash.hmac(), secret);
    let mut out = Vec::with_capacity(len + hash.output_len());
    let mut a = hmac::sign(&key, seed); // A(1)
    while out.len() < len {
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(a.as_ref());
        ctx.update(seed);
        out.extend_from_slice(ctx.sign().as_ref());
        a = hmac::sign(&key, a.as_ref());
    }
    out.truncate(len);
    out
}

/// PRF(secret, label, seed) = P_hash(secret, label + seed) (RFC 5246 §5).
pub fn prf(hash: Hash, secret: &[u8], label: &str, seed: &[u8], len: usize) -> Vec<u8> {
    let mut full = Vec::with_capacity(label.len() + seed.len());
    full.extend_from_slice(label.as_bytes());
    full.extend_from_slice(seed);
    p_hash(hash, secret, &full, len)
}

/// One side's write key and IV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteKeys {
    pub key: Vec<u8>,
    pub iv: Vec<u8>,
}

/// Both sides' keys, cut from the key block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBlock {
    pub client: WriteKeys,
    pub server: WriteKeys,
}

impl KeyBlock {
    /// key_block = PRF(master_secret, "key expansion", server_random + client_random), cut in
    /// order: client key, server key, client IV, server IV (RFC 5246 §6.3; AEAD suites have no
    /// MAC keys).
    pub fn derive(suite: &Suite12, master: &[u8], client_random: &[u8], server_random: &[u8]) -> KeyBlock {
        let (k, i) = (suite.key_len(), suite.iv_len());
        let seed = [server_random, client_random].concat();
        let block = prf(suite.hash, master, "key expansion", &seed, 2 * k + 2 * i);
        let cut = |from: usize, n: usize| block.get(from..from + n).unwrap_or_default().to_vec();
        KeyBlock {
            client: WriteKeys {
                key: cut(0, k),
                iv: cut(2 * k, i),
            },
            server: WriteKeys {
                key: cut(k, k),
                iv: cut(2 * k + i, i),
            },
        }
    }
}

/// Why a TLS 1.2 record did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("the record is {0} octets, too short for its nonce and tag")]
    TooShort(usize),
    #[error("the record is {0} octets, longer than any record may be")]
    TooLong(usize),
    #[error("the record failed authentication (wrong key, wrong sequence number, or altered bytes)")]
    Authentication,
    #[error("the key block does not fit the suite")]
    BadKey,
}

/// The per-record nonce (RFC 5288 §3, RFC 7905 §2) and where the ciphertext starts.
fn nonce(suite: &Suite12, keys: &WriteKeys, sequence: u64, fragment: &[u8]) -> Result<([u8; 12], usize), OpenError> {
    let mut n = [0u8; 12];
    match suite.nonce {
        NonceStyle::ExplicitGcm => {
            let (salt, explicit) = (keys.iv.get(..4), fragment.get(..EXPLICIT_NONCE));
            let (Some(salt), Some(explicit)) = (salt, explicit) else {
                return Err(OpenError::BadKey);
            };
            n[..4].copy_from_slice(salt);
            n[4..].copy_from_slice(explicit);
            Ok((n, EXPLICIT_NONCE))
        }
        NonceStyle::XorSequence => {
            n.copy_from_slice(keys.iv.get(..12).ok_or(OpenError::BadKey)?);
            for (b, s) in n[4..].iter_mut().zip(sequence.to_be_bytes()) {
                *b ^= s;
            }
            Ok((n, 0))
        }
    }
}

/// The additional data: seq_num(8) + type(1) + version(2) + the plaintext's length(2)
/// (RFC 5246 §6.2.3.3).
pub fn additional_data(sequence: u64, header: &[u8; 5], plain_len: u16) -> [u8; 13] {
    let mut aad = [0u8; 13];
    aad[..8].copy_from_slice(&sequence.to_be_bytes());
    aad[8..11].copy_from_slice(&header[..3]);
    aad[11..].copy_from_slice(&plain_len.to_be_bytes());
    aad
}

/// Opens one protected record (`fragment` as it follows the 5-octet `header`) with the
/// sender's keys and the record's sequence number since that sender's ChangeCipherSpec.
/// Returns the plaintext; its content type is the header's (TLS 1.2 hides no inner type).
pub fn open_record(
    suite: &Suite12,
    keys: &WriteKeys,
    sequence: u64,
    header: &[u8; 5],
    fragment: &[u8],
) -> Result<Vec<u8>, OpenError> {
    let explicit = match suite.nonce {
        NonceStyle::ExplicitGcm => EXPLICIT_NONCE,
        NonceStyle::XorSequence => 0,
    };
    let plain_len = fragment
        .len()
        .checked_sub(explicit + TAG)
        .ok_or(OpenError::TooShort(fragment.len()))?;
    let plain_len = u16::try_from(plain_len).map_err(|_| OpenError::TooLong(fragment.len()))?;
    let (n, start) = nonce(suite, keys, sequence, fragment)?;
    let key = aead::LessSafeKey::new(aead::UnboundKey::new(suite.aead, &keys.key).map_err(|_| OpenError::BadKey)?);
    let mut buf = fragment.get(start..).unwrap_or_default().to_vec();
    let plain = key
        .open_in_place(
            aead::Nonce::assume_unique_for_key(n),
            aead::Aad::from(additional_data(sequence, header, plain_len)),
            &mut buf,
        )
        .map_err(|_| OpenError::Authentication)?;
    Ok(plain.to_vec())
}

/// Who sent a Finished: its PRF label says (RFC 5246 §7.4.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    Client,
    Server,
}

impl Sender {
    /// `client` or `server`, as the trace says it.
    pub fn name(self) -> &'static str {
        match self {
            Sender::Client => "client",
            Sender::Server => "server",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sender::Client => "client finished",
            Sender::Server => "server finished",
        }
    }
}

/// Finished.verify_data = PRF(master_secret, finished_label, Hash(handshake_messages))[0..12],
/// the hash being the PRF's (RFC 5246 §7.4.9). `transcript` is every handshake message before
/// this Finished, both directions in the order of the handshake, headers included.
pub fn finished_verify_data(hash: Hash, master: &[u8], sender: Sender, transcript: &[u8]) -> Vec<u8> {
    prf(hash, master, sender.label(), &hash.digest(transcript), VERIFY_DATA)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    /// Cross-checked with OpenSSL 3.0's TLS1-PRF: `openssl kdf -keylen 100 -kdfopt digest:SHA256
    /// -kdfopt hexsecret:9bbe436ba940f017b17652849a71db35 -kdfopt hexseed:<"test label" in
    /// hex>a0ba9f936cda311827a6f796ffd5198c TLS1-PRF` (the label is part of the seed).
    #[test]
    fn prf_sha256_matches_openssl() {
        let out = prf(
            Hash::Sha256,
            &unhex("9bbe436ba940f017b17652849a71db35"),
            "test label",
            &unhex("a0ba9f936cda311827a6f796ffd5198c"),
            100,
        );
        assert_eq!(
            hex::encode(&out),
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66"
        );
    }

    /// The same with SHA-384 (`-kdfopt digest:SHA384`, secret b80b733d..., seed cd665cf6...).
    #[test]
    fn prf_sha384_matches_openssl() {
        let out = prf(
            Hash::Sha384,
            &unhex("b80b733d6ceefcdc71566ea48e5567df"),
            "test label",
            &unhex("cd665cf6a8447dd6ff8b27555edb7465"),
            148,
        );
        assert_eq!(
            hex::encode(&out),
            "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d9184259b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee691c8f3a26854308d5eaa3be85e0990703d73e56f"
        );
    }

    fn master() -> Vec<u8> {
        (0u8..48).collect()
    }

    /// The key blocks below are OpenSSL's PRF output for "key expansion" with server random
    /// 5e*32 then client random c1*32 (the seed's order, RFC 5246 §6.3), cut as §6.3 lays out.
    #[test]
    fn key_block_is_cut_in_rfc_order() {
        let aes128 = Suite12::from_id(0xc02b).unwrap();
        let kb = KeyBlock::derive(&aes128, &master(), &[0xc1; 32], &[0x5e; 32]);
        let block = "cceb3e14d846a21dde9a42cbcbed13a667078ba0dab8d1732a3cb4899a742466234f54ef0f9b87b1";
        assert_eq!(hex::encode(&kb.client.key), block[..32]);
        assert_eq!(hex::encode(&kb.server.key), block[32..64]);
        assert_eq!(hex::encode(&kb.client.iv), block[64..72]);
        assert_eq!(hex::encode(&kb.server.iv), block[72..80]);
        let chacha = Suite12::from_id(0xcca9).unwrap();
        let kb = KeyBlock::derive(&chacha, &master(), &[0xc1; 32], &[0x5e; 32]);
        let block = "cceb3e14d846a21dde9a42cbcbed13a667078ba0dab8d1732a3cb4899a742466234f54ef0f9b87b11b1ccae6ffacd12acf8a784b60a5d36b819d5bd840985f3128e699cf88370e8ba55f5462605891ade359c7caec46be58";
        assert_eq!(hex::encode(&kb.client.key), block[..64]);
        assert_eq!(hex::encode(&kb.server.key), block[64..128]);
        assert_eq!(hex::encode(&kb.client.iv), block[128..152]);
        assert_eq!(hex::encode(&kb.server.iv), block[152..176]);
        let aes256 = Suite12::from_id(0xc030).unwrap();
        let kb = KeyBlock::derive(&aes256, &master(), &[0xc1; 32], &[0x5e; 32]);
        assert_eq!(
            hex::encode(&kb.server.iv),
            "23b57bae",
            "SHA-384 PRF, 72 octets (OpenSSL: ...0ece64b5578890a4f9ee23b57bae): 2 * 32 of keys, then the two salts"
        );
    }

    /// OpenSSL: `-keylen 12 -kdfopt digest:SHA256 -kdfopt hexsecret:ab*48 -kdfopt
    /// hexseed:<"client finished">cd*32`: the seed is the transcript's hash, so the transcript
    /// here is chosen through its hash.
    #[test]
    fn finished_is_the_prf_of_the_transcript_hash() {
        let got = prf(
            Hash::Sha256,
            &[0xab; 48],
            Sender::Client.label(),
            &[0xcd; 32],
            VERIFY_DATA,
        );
        assert_eq!(hex::encode(&got), "d3ae72079e7f1022ec33ad11");
        let transcript = b"any handshake messages";
        let digest = Hash::Sha256.digest(transcript);
        assert_eq!(
            finished_verify_data(Hash::Sha256, &[0xab; 48], Sender::Server, transcript),
            prf(Hash::Sha256, &[0xab; 48], "server finished", &digest, 12)
        );
        assert_ne!(
            finished_verify_data(Hash::Sha256, &[0xab; 48], Sender::Client, transcript),
            finished_verify_data(Hash::Sha256, &[0xab; 48], Sender::Server, transcript)
        );
    }

    /// Seals a record as a TLS 1.2 sender does, with ring directly: the header, the fragment.
    fn seal(suite: &Suite12, keys: &WriteKeys, seq: u64, content_type: u8, plain: &[u8]) -> ([u8; 5], Vec<u8>) {
        let mut n = [0u8; 12];
        let explicit = seq.to_be_bytes(); // rustls and OpenSSL send the sequence number
        let mut fragment = Vec::new();
        if suite.nonce == NonceStyle::ExplicitGcm {
            n[..4].copy_from_slice(&keys.iv);
            n[4..].copy_from_slice(&explicit);
            fragment.extend_from_slice(&explicit);
        } else {
            n.copy_from_slice(&keys.iv);
            for (b, s) in n[4..].iter_mut().zip(seq.to_be_bytes()) {
                *b ^= s;
            }
        }
        let len = (fragment.len() + plain.len() + TAG) as u16;
        let l = len.to_be_bytes();
        let header = [content_type, 3, 3, l[0], l[1]];
        let key = aead::LessSafeKey::new(aead::UnboundKey::new(suite.aead, &keys.key).unwrap());
        let mut body = plain.to_vec();
        key.seal_in_place_append_tag(
            aead::Nonce::assume_unique_for_key(n),
            aead::Aad::from(additional_data(seq, &header, plain.len() as u16)),
            &mut body,
        )
        .unwrap();
        fragment.extend_from_slice(&body);
        (header, fragment)
    }

    #[test]
    fn records_sealed_by_ring_open_for_every_suite() {
        for id in [0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca8, 0xcca9, 0x009c, 0x009f, 0xccaa] {
            let suite = Suite12::from_id(id).unwrap();
            let kb = KeyBlock::derive(&suite, &master(), &[1; 32], &[2; 32]);
            let (header, fragment) = seal(&suite, &kb.client, 3, 23, b"GET / HTTP/1.1\r\n\r\n");
            assert_eq!(
                open_record(&suite, &kb.client, 3, &header, &fragment).as_deref(),
                Ok(&b"GET / HTTP/1.1\r\n\r\n"[..]),
                "{id:#06x}"
            );
            // The other side's key, or another sequence number, does not open it.
            assert_eq!(
                open_record(&suite, &kb.server, 3, &header, &fragment),
                Err(OpenError::Authentication)
            );
            assert_eq!(
                open_record(&suite, &kb.client, 4, &header, &fragment),
                Err(OpenError::Authentication)
            );
            // The content type is authenticated through the additional data.
            let mut alert = header;
            alert[0] = 21;
            assert_eq!(
                open_record(&suite, &kb.client, 3, &alert, &fragment),
                Err(OpenError::Authentication)
            );
        }
    }

    #[test]
    fn a_tampered_tag_or_body_is_rejected() {
        let suite = Suite12::from_id(0xc02f).unwrap();
        let kb = KeyBlock::derive(&suite, &master(), &[1; 32], &[2; 32]);
        let (header, fragment) = seal(
            &suite,
            &kb.server,
            0,
            22,
            &[20, 0, 0, 12, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9],
        );
        for i in [0, EXPLICIT_NONCE, fragment.len() - 1] {
            let mut bad = fragment.clone();
            bad[i] ^= 1;
            assert_eq!(
                open_record(&suite, &kb.server, 0, &header, &bad),
                Err(OpenError::Authentication),
                "octet {i} flipped"
            );
        }
    }

    #[test]
    fn wrong_lengths_are_errors_not_panics() {
        for id in [0xc02b, 0xcca9] {
            let suite = Suite12::from_id(id).unwrap();
            let kb = KeyBlock::derive(&suite, &master(), &[1; 32], &[2; 32]);
            let header = [23, 3, 3, 0, 0];
            for len in [0, 1, 8, 15, 23] {
                let r = open_record(&suite, &kb.client, 0, &header, &vec![0; len]);
                assert!(r.is_err(), "{id:#06x} {len}");
            }
            let big = vec![0u8; 70_000];
            assert_eq!(
                open_record(&suite, &kb.client, 0, &header, &big),
                Err(OpenError::TooLong(70_000)),
                "a length that no record can have"
            );
            // Keys of the wrong size (a key log line for another suite) are refused.
            let short = WriteKeys {
                key: vec![0; 3],
                iv: vec![0; 2],
            };
            assert!(open_record(&suite, &short, 0, &header, &[0; 40]).is_err());
        }
        assert_eq!(Suite12::from_id(0x1301), None, "a TLS 1.3 suite is not one of these");
        assert_eq!(p_hash(Hash::Sha256, b"k", b"s", usize::MAX).len(), MAX_PRF);
    }

    proptest::proptest! {
        /// Any record, any keys: an error or a plaintext shorter than the record, never a panic.
        #[test]
        fn any_record_opens_or_fails_cleanly(
            id in proptest::sample::select(vec![0xc02bu16, 0xc030, 0xcca9]),
            key in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
            iv in proptest::collection::vec(proptest::num::u8::ANY, 0..16),
            seq in proptest::num::u64::ANY,
            fragment in proptest::collection::vec(proptest::num::u8::ANY, 0..80),
        ) {
            let suite = Suite12::from_id(id).unwrap();
            if let Ok(plain) = open_record(&suite, &WriteKeys { key, iv }, seq, &[23, 3, 3, 0, 0], &fragment) {
                proptest::prop_assert!(plain.len() + TAG <= fragment.len());
            }
        }
    }
}
