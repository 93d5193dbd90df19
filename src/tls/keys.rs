//! The TLS 1.3 key schedule (RFC 8446 §7.1) and record protection (§5.2), written out step by
//! step because seeing them is the point: HKDF (RFC 5869) from HMAC, HKDF-Expand-Label,
//! Derive-Secret, traffic keys, the per-record nonce, AEAD decryption and Finished.
//!
//! ```text
//!              0
//!              |
//!    PSK ->  HKDF-Extract = Early Secret
//!              |
//!        Derive-Secret(., "derived", "")
//!              |
//! (EC)DHE -> HKDF-Extract = Handshake Secret
//!              +--> Derive-Secret(., "c hs traffic", ClientHello...ServerHello)
//!              +--> Derive-Secret(., "s hs traffic", ClientHello...ServerHello)
//!        Derive-Secret(., "derived", "")
//!              |
//!     0 -> HKDF-Extract = Master Secret
//!              +--> Derive-Secret(., "c ap traffic", ClientHello...server Finished)
//!              +--> Derive-Secret(., "s ap traffic", ClientHello...server Finished)
//! ```

use ring::{aead, digest, hmac};

/// The hash of a cipher suite: SHA-256, or SHA-384 for TLS_AES_256_GCM_SHA384.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Sha256,
    Sha384,
}

impl Hash {
    pub fn output_len(self) -> usize {
        match self {
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
        }
    }

    /// The HMAC over this hash (HKDF's here, TLS 1.2's PRF in [`super::tls12`]).
    pub fn hmac(self) -> hmac::Algorithm {
        match self {
            Hash::Sha256 => hmac::HMAC_SHA256,
            Hash::Sha384 => hmac::HMAC_SHA384,
        }
    }

    /// The transcript hash of concatenated handshake messages.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        let alg = match self {
            Hash::Sha256 => &digest::SHA256,
            Hash::Sha384 => &digest::SHA384,
        };
        digest::digest(alg, data).as_ref().to_vec()
    }
}

/// The AEAD and hash of a TLS 1.3 cipher suite (RFC 8446 §B.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suite {
    pub id: u16,
    pub hash: Hash,
    aead: &'static aead::Algorithm,
}

impl Suite {
    pub fn from_id(id: u16) -> Option<Suite> {
        Some(match id {
            0x1301 => Suite {
                id,
                hash: Hash::Sha256,
                aead: &aead::AES_128_GCM,
            },
            0x1302 => Suite {
                id,
                hash: Hash::Sha384,
                aead: &aead::AES_256_GCM,
            },
            0x1303 => Suite {
                id,
                hash: Hash::Sha256,
                aead: &aead::CHACHA20_POLY1305,
            },
            _ => return None,
        })
    }

    pub fn key_len(&self) -> usize {
        self.aead.key_len()
    }

    /// The record protection algorithm (also QUIC's packet protection, RFC 9001 §5.3).
    pub fn aead(&self) -> &'static aead::Algorithm {
        self.aead
    }

    /// QUIC's header protection for this suite (RFC 9001 §5.4.3-5.4.4): AES in ECB mode for the
    /// AES-GCM suites, raw ChaCha20 for ChaCha20-Poly1305.
    pub fn header_protection(&self) -> &'static aead::quic::Algorithm {
        match self.id {
            0x1302 => &aead::quic::AES_256,
            0x1303 => &aead::quic::CHACHA20,
            _ => &aead::quic::AES_128,
        }
    }
}

fn hmac_sign(hash: Hash, key: &[u8], data: &[&[u8]]) -> Vec<u8> {
    let key = hmac::Key::new(hash.hmac(), key);
    let mut ctx = hmac::Context::with_key(&key);
    for d in data {
        ctx.update(d);
    }
    ctx.sign().as_ref().to_vec()
}

/// HKDF-Extract(salt, IKM) = HMAC-Hash(salt, IKM) (RFC 5869 §2.2). An empty salt means HashLen zeros.
pub fn hkdf_extract(hash: Hash, salt: &[u8], ikm: &[u8]) -> Vec<u8> {
    let zeros = vec![0u8; hash.output_len()];
    hmac_sign(hash, if salt.is_empty() { &zeros } else { salt }, &[ikm])
}

/// HKDF-Expand(PRK, info, L): T(1) = HMAC(PRK, info | 0x01), T(n) = HMAC(PRK, T(n-1) | info | n)
/// (RFC 5869 §2.3). `len` is at most 255 * HashLen.
pub fn hkdf_expand(hash: Hash, prk: &[u8], info: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut t: Vec<u8> = Vec::new();
    let mut counter = 1u8;
    while out.len() < len && counter != 0 {
        t = hmac_sign(hash, prk, &[&t, info, &[counter]]);
        out.extend_from_slice(&t);
        counter = counter.wrapping_add(1);
    }
    out.truncate(len);
    out
}

/// The HkdfLabel structure: uint16 length, opaque label<7..255> = "tls13 " + Label,
/// opaque context<0..255> (RFC 8446 §7.1).
pub fn hkdf_label(label: &str, context: &[u8], len: usize) -> Vec<u8> {
    let full = format!("tls13 {label}");
    let mut out = Vec::with_capacity(4 + full.len() + context.len());
    out.extend_from_slice(&(len as u16).to_be_bytes());
    out.push(full.len() as u8);
    out.extend_from_slice(full.as_bytes());
    out.push(context.len() as u8);
    out.extend_from_slice(context);
    out
}

/// HKDF-Expand-Label(Secret, Label, Context, Length).
pub fn expand_label(hash: Hash, secret: &[u8], label: &str, context: &[u8], len: usize) -> Vec<u8> {
    hkdf_expand(hash, secret, &hkdf_label(label, context, len), len)
}

/// Derive-Secret(Secret, Label, Messages) = HKDF-Expand-Label(Secret, Label, Hash(Messages), HashLen).
pub fn derive_secret(hash: Hash, secret: &[u8], label: &str, transcript_hash: &[u8]) -> Vec<u8> {
    expand_label(hash, secret, label, transcript_hash, hash.output_len())
}

/// The write key and IV of a traffic secret (RFC 8446 §7.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficKeys {
    pub key: Vec<u8>,
    pub iv: Vec<u8>,
}

impl TrafficKeys {
    pub fn derive(suite: &Suite, secret: &[u8]) -> TrafficKeys {
        TrafficKeys {
            key: expand_label(suite.hash, secret, "key", b"", suite.key_len()),
            iv: expand_label(suite.hash, secret, "iv", b"", 12),
        }
    }

    /// The per-record nonce: the IV XOR the 64-bit sequence number, left-padded (RFC 8446 §5.3).
    pub fn nonce(&self, sequence: u64) -> [u8; 12] {
        let mut n = [0u8; 12];
        n.copy_from_slice(&self.iv);
        for (b, s) in n[4..].iter_mut().zip(sequence.to_be_bytes()) {
            *b ^= s;
        }
        n
    }
}

/// Why a record did not decrypt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    #[error("the record failed authentication (wrong key, wrong sequence number, or altered bytes)")]
    Authentication,
    #[error("the decrypted record is all padding: no content type")]
    NoContentType,
}

/// Decrypts one TLSCiphertext: AEAD-Open(key, nonce, additional_data = record header, fragment),
/// then strips the zero padding and the inner content type (RFC 8446 §5.2, §5.4).
/// Returns (content type, content).
pub fn decrypt_record(
    suite: &Suite,
    keys: &TrafficKeys,
    sequence: u64,
    header: &[u8; 5],
    fragment: &[u8],
) -> Result<(u8, Vec<u8>), DecryptError> {
    let key =
        aead::LessSafeKey::new(aead::UnboundKey::new(suite.aead, &keys.key).map_err(|_| DecryptError::Authentication)?);
    let mut buf = fragment.to_vec();
    let plain = key
        .open_in_place(
            aead::Nonce::assume_unique_for_key(keys.nonce(sequence)),
            aead::Aad::from(header),
            &mut buf,
        )
        .map_err(|_| DecryptError::Authentication)?;
    let end = plain.iter().rposition(|&b| b != 0).ok_or(DecryptError::NoContentType)?;
    Ok((plain[end], plain[..end].to_vec()))
}

/// Finished.verify_data = HMAC(finished_key, Transcript-Hash(...)), finished_key =
/// HKDF-Expand-Label(BaseKey, "finished", "", HashLen) (RFC 8446 §4.4.4).
pub fn finished_verify_data(hash: Hash, base_key: &[u8], transcript_hash: &[u8]) -> Vec<u8> {
    let finished_key = expand_label(hash, base_key, "finished", b"", hash.output_len());
    hmac_sign(hash, &finished_key, &[transcript_hash])
}

/// The whole schedule of a (non-PSK) handshake, from the (EC)DHE shared secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub early_secret: Vec<u8>,
    pub handshake_secret: Vec<u8>,
    pub client_handshake_traffic_secret: Vec<u8>,
    pub server_handshake_traffic_secret: Vec<u8>,
    pub master_secret: Vec<u8>,
}

impl Schedule {
    /// `hello_hash` is Transcript-Hash(ClientHello..ServerHello).
    pub fn new(hash: Hash, shared_secret: &[u8], hello_hash: &[u8]) -> Schedule {
        let zeros = vec![0u8; hash.output_len()];
        let early_secret = hkdf_extract(hash, &zeros, &zeros);
        let empty_hash = hash.digest(b"");
        let derived = derive_secret(hash, &early_secret, "derived", &empty_hash);
        let handshake_secret = hkdf_extract(hash, &derived, shared_secret);
        let client_handshake_traffic_secret = derive_secret(hash, &handshake_secret, "c hs traffic", hello_hash);
        let server_handshake_traffic_secret = derive_secret(hash, &handshake_secret, "s hs traffic", hello_hash);
        let derived = derive_secret(hash, &handshake_secret, "derived", &empty_hash);
        let master_secret = hkdf_extract(hash, &derived, &zeros);
        Schedule {
            early_secret,
            handshake_secret,
            client_handshake_traffic_secret,
            server_handshake_traffic_secret,
            master_secret,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex;

    /// RFC 5869 Appendix A.1, test case 1 (SHA-256).
    #[test]
    fn hkdf_rfc5869_case_1() {
        let ikm = [0x0bu8; 22];
        let salt: Vec<u8> = (0x00..=0x0c).collect();
        let info: Vec<u8> = (0xf0..=0xf9).collect();
        let prk = hkdf_extract(Hash::Sha256, &salt, &ikm);
        assert_eq!(
            hex::encode(&prk),
            "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5"
        );
        let okm = hkdf_expand(Hash::Sha256, &prk, &info, 42);
        assert_eq!(
            hex::encode(&okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        );
    }

    #[test]
    fn nonce_xors_the_sequence_number() {
        let k = TrafficKeys {
            key: vec![],
            iv: vec![0xff; 12],
        };
        assert_eq!(k.nonce(1)[11], 0xfe);
        assert_eq!(k.nonce(0x0100)[10], 0xfe);
        assert_eq!(k.nonce(0)[..4], [0xff; 4]);
    }
}
