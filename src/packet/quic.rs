//! QUIC long headers (RFC 9000 §17.2) and Initial packet protection (RFC 9001 §5), explained
//! step by step. Initial packets are encrypted, but with keys anyone can derive from the
//! client's Destination Connection ID and a salt published in the RFC: they protect against
//! tampering and off-path injection, not against reading. netlab derives the keys, removes the
//! header protection, decrypts the payload and finds the TLS ClientHello in the CRYPTO frames.
//!
//! Pure functions over bytes: any input gives a result or a named error.

use ring::aead::{self, quic as hp};
use serde::{Deserialize, Serialize};

use super::onertt::{frames, Frame};
use super::quiccrypto::CryptoStream;
use crate::hex;
use crate::tls::handshake::{decode_hello, Hello};
use crate::tls::keys::{expand_label, hkdf_extract, Hash};

/// RFC 9001 §5.2: the QUIC version 1 initial salt.
pub const INITIAL_SALT_V1: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f,
    0x0a,
];

/// Why a QUIC packet could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuicError {
    #[error("not a QUIC long header (first bit is 0: a short header, or not QUIC)")]
    NotLong,
    #[error("not a QUIC short header (first bit is 1: a long header)")]
    NotShort,
    #[error("QUIC packet ends inside the {0}")]
    Truncated(&'static str),
    #[error("connection ID of {0} octets is over the 20 allowed (RFC 9000 §17.2)")]
    CidTooLong(usize),
    #[error("version {0:#010x} is not QUIC version 1: its Initial keys are unknown")]
    Version(u32),
    #[error("not an Initial packet")]
    NotInitial,
    #[error("the payload does not decrypt with the Initial keys of this DCID (not a client Initial, or corrupted)")]
    Decrypt,
}

/// A long header's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LongHeader {
    pub version: u32,
    /// `Initial`, `0-RTT`, `Handshake`, `Retry`, or `Version Negotiation`.
    pub packet_type: String,
    pub dcid: String,
    pub scid: String,
    /// Initial only: the token's length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_len: Option<u64>,
    /// The Length field: packet number and payload, in octets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
    /// Where the (protected) packet number starts.
    #[serde(skip)]
    pub pn_offset: usize,
    /// The whole packet's size in the datagram (several may be coalesced, §12.2).
    #[serde(skip)]
    pub packet_len: usize,
}

/// A QUIC variable-length integer (RFC 9000 §16) and its length.
pub fn varint(b: &[u8]) -> Option<(u64, usize)> {
    let first = *b.first()?;
    let len = 1usize << (first >> 6);
    let bytes = b.get(..len)?;
    let mut v = u64::from(first & 0x3f);
    for x in &bytes[1..] {
        v = (v << 8) | u64::from(*x);
    }
    Some((v, len))
}

/// Parses a long header (RFC 9000 §17.2).
pub fn parse_long_header(b: &[u8]) -> Result<LongHeader, QuicError> {
    let first = *b.first().ok_or(QuicError::Truncated("first octet"))?;
    if first & 0x80 == 0 {
        return Err(QuicError::NotLong);
    }
    let version = u32::from_be_bytes(
        b.get(1..5)
            .ok_or(QuicError::Truncated("version"))?
            .try_into()
            .expect("4"),
    );
    let mut at = 5;
    let mut cid = |what: &'static str| -> Result<Vec<u8>, QuicError> {
        let len = usize::from(*b.get(at).ok_or(QuicError::Truncated(what))?);
        if len > 20 && version != 0 {
            return Err(QuicError::CidTooLong(len));
        }
        let id = b.get(at + 1..at + 1 + len).ok_or(QuicError::Truncated(what))?.to_vec();
        at += 1 + len;
        Ok(id)
    };
    let dcid = cid("destination connection ID")?;
    let scid = cid("source connection ID")?;
    let mut h = LongHeader {
        version,
        packet_type: String::new(),
        dcid: hex::encode(&dcid),
        scid: hex::encode(&scid),
        token_len: None,
        length: None,
        pn_offset: 0,
        packet_len: b.len(),
    };
    if version == 0 {
        h.packet_type = "Version Negotiation".into();
        return Ok(h);
    }
    h.packet_type = match (first >> 4) & 0x3 {
        0 => "Initial",
        1 => "0-RTT",
        2 => "Handshake",
        _ => "Retry",
    }
    .into();
    if h.packet_type == "Retry" {
        return Ok(h);
    }
    if h.packet_type == "Initial" {
        let (token_len, n) = varint(b.get(at..).unwrap_or_default()).ok_or(QuicError::Truncated("token length"))?;
        at += n;
        at = at
            .checked_add(usize::try_from(token_len).unwrap_or(usize::MAX))
            .filter(|e| *e <= b.len())
            .ok_or(QuicError::Truncated("token"))?;
        h.token_len = Some(token_len);
    }
    let (length, n) = varint(b.get(at..).unwrap_or_default()).ok_or(QuicError::Truncated("length"))?;
    at += n;
    h.length = Some(length);
    h.pn_offset = at;
    h.packet_len = at
        .saturating_add(usize::try_from(length).unwrap_or(usize::MAX))
        .min(b.len());
    Ok(h)
}

/// The Initial secrets and keys of one side (RFC 9001 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialKeys {
    pub initial_secret: Vec<u8>,
    pub secret: Vec<u8>,
    pub key: Vec<u8>,
    pub iv: Vec<u8>,
    pub hp: Vec<u8>,
}

/// initial_secret = HKDF-Extract(initial_salt, DCID); the client's (or server's) secret is
/// HKDF-Expand-Label(initial_secret, "client in" / "server in"), and from it "quic key",
/// "quic iv" and "quic hp" (AES-128-GCM and AES header protection, SHA-256).
pub fn initial_keys(dcid: &[u8], client: bool) -> InitialKeys {
    let initial_secret = hkdf_extract(Hash::Sha256, &INITIAL_SALT_V1, dcid);
    let secret = expand_label(
        Hash::Sha256,
        &initial_secret,
        if client { "client in" } else { "server in" },
        &[],
        32,
    );
    InitialKeys {
        key: expand_label(Hash::Sha256, &secret, "quic key", &[], 16),
        iv: expand_label(Hash::Sha256, &secret, "quic iv", &[], 12),
        hp: expand_label(Hash::Sha256, &secret, "quic hp", &[], 16),
        initial_secret,
        secret,
    }
}

/// A decrypted Initial packet, with the steps that got there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenedInitial {
    /// Each step of the unprotection, in words, with its values.
    pub steps: Vec<String>,
    pub packet_number: u64,
    /// The frames of the payload, in order (a PADDING run is one frame).
    pub frames: Vec<Frame>,
    /// The TLS message in the CRYPTO frames, when it is a ClientHello that starts at offset 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_hello: Option<Hello>,
    /// The TLS message in the CRYPTO frames, when it is a ServerHello (or HelloRetryRequest)
    /// that starts at offset 0: a server's Initial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_hello: Option<Hello>,
    /// The plaintext payload (not serialized).
    #[serde(skip)]
    pub payload: Vec<u8>,
}

/// Removes header protection and decrypts an Initial packet with keys from its own DCID (a
/// client's Initial; a server's Initial uses the client's original DCID, given as `dcid_for_keys`).
pub fn open_initial(packet: &[u8], dcid_for_keys: Option<&[u8]>, client: bool) -> Result<OpenedInitial, QuicError> {
    let h = parse_long_header(packet)?;
    if h.version != 1 {
        return Err(QuicError::Version(h.version));
    }
    if h.packet_type != "Initial" {
        return Err(QuicError::NotInitial);
    }
    // `dcid` is this decoder's own hex, so it always decodes.
    let own_dcid = crate::hex::decode(&h.dcid).unwrap_or_default();
    let dcid = dcid_for_keys.unwrap_or(&own_dcid);
    let keys = initial_keys(dcid, client);
    let mut steps = vec![
        format!(
            "DCID {} (chosen by the client; both sides derive the Initial keys from it)",
            hex::encode(dcid)
        ),
        format!(
            "initial_salt {} (RFC 9001 §5.2, QUIC version 1)",
            hex::encode(&INITIAL_SALT_V1)
        ),
        format!(
            "initial_secret = HKDF-Extract(salt, DCID) = {}",
            hex::encode(&keys.initial_secret)
        ),
        format!(
            "{}_initial_secret = HKDF-Expand-Label(initial_secret, \"{} in\", \"\", 32) = {}",
            if client { "client" } else { "server" },
            if client { "client" } else { "server" },
            hex::encode(&keys.secret)
        ),
        format!(
            "key = {} (\"quic key\"), iv = {} (\"quic iv\"), hp = {} (\"quic hp\")",
            hex::encode(&keys.key),
            hex::encode(&keys.iv),
            hex::encode(&keys.hp)
        ),
    ];
    // Header protection (RFC 9001 §5.4): the sample is 16 octets starting 4 after the packet
    // number's start, whatever the packet number's real length.
    let sample = packet
        .get(h.pn_offset + 4..h.pn_offset + 20)
        .ok_or(QuicError::Truncated("header protection sample"))?;
    let hp_key = hp::HeaderProtectionKey::new(&hp::AES_128, &keys.hp).map_err(|_| QuicError::Decrypt)?;
    let mask = hp_key.new_mask(sample).map_err(|_| QuicError::Decrypt)?;
    let first = packet[0] ^ (mask[0] & 0x0f);
    let pn_len = usize::from(first & 0x03) + 1;
    let pn_bytes = packet
        .get(h.pn_offset..h.pn_offset + pn_len)
        .ok_or(QuicError::Truncated("packet number"))?;
    let mut pn = 0u64;
    for (i, b) in pn_bytes.iter().enumerate() {
        pn = (pn << 8) | u64::from(b ^ mask[1 + i]);
    }
    steps.push(format!(
        "sample {} -> mask = AES-ECB(hp, sample)[..5] = {}",
        hex::encode(sample),
        hex::encode(&mask)
    ));
    steps.push(format!(
        "first octet {:02x} -> {first:02x} (low 4 bits unmasked): packet number length {pn_len}; packet number {} -> {pn}",
        packet[0],
        hex::encode(pn_bytes)
    ));
    // AEAD (RFC 9001 §5.3): nonce = iv XOR packet number; the unprotected header is the AAD.
    let payload_start = h.pn_offset + pn_len;
    let end = h.packet_len;
    if end <= payload_start + 16 {
        return Err(QuicError::Truncated("payload"));
    }
    let mut aad = packet[..payload_start].to_vec();
    aad[0] = first;
    for i in 0..pn_len {
        aad[h.pn_offset + i] ^= mask[1 + i];
    }
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(&keys.iv);
    for (i, b) in pn.to_be_bytes().iter().enumerate() {
        nonce[4 + i] ^= b;
    }
    let key =
        aead::LessSafeKey::new(aead::UnboundKey::new(&aead::AES_128_GCM, &keys.key).map_err(|_| QuicError::Decrypt)?);
    let mut payload = packet[payload_start..end].to_vec();
    let plain_len = key
        .open_in_place(
            aead::Nonce::assume_unique_for_key(nonce),
            aead::Aad::from(&aad),
            &mut payload,
        )
        .map_err(|_| QuicError::Decrypt)?
        .len();
    payload.truncate(plain_len);
    steps.push(format!(
        "AES-128-GCM open: nonce = iv XOR packet number = {}, AAD = the {}-octet unprotected header: {} octets of plaintext",
        hex::encode(&nonce),
        aad.len(),
        plain_len
    ));
    let frames = frames(&payload);
    let messages = CryptoStream::default().take(crypto_pieces(&payload, &frames));
    let hello = messages
        .first()
        .filter(|m| matches!(m[0], 1 | 2))
        .and_then(|m| decode_hello(m).ok());
    let (client_hello, server_hello) = match hello {
        Some(h) if h.kind == "ClientHello" => (Some(h), None),
        other => (None, other),
    };
    if let Some(ch) = &client_hello {
        let sni = ch
            .extensions
            .iter()
            .find(|e| e.ext_type.name == "server_name")
            .and_then(|e| e.decoded.first().cloned())
            .unwrap_or_else(|| "(none)".into());
        steps.push(format!("CRYPTO data at offset 0 is a TLS ClientHello: SNI {sni}, readable by anyone on the path (Initial protection gives no confidentiality)"));
    }
    if let Some(sh) = &server_hello {
        let suite = sh.cipher_suites.first().map(|s| s.name.clone()).unwrap_or_default();
        steps.push(format!("CRYPTO data at offset 0 is the TLS {}: cipher suite {suite}, readable by anyone on the path; what follows is in Handshake packets, under keys only the two ends have", sh.kind));
    }
    Ok(OpenedInitial {
        steps,
        packet_number: pn,
        frames,
        client_hello,
        server_hello,
        payload,
    })
}

/// The CRYPTO data of a decrypted payload, as (offset, octets) pieces (RFC 9000 §19.6).
pub fn crypto_pieces<'p>(payload: &'p [u8], frames: &[Frame]) -> Vec<(u64, &'p [u8])> {
    frames
        .iter()
        .filter(|f| f.name == "CRYPTO")
        .filter_map(|f| {
            let (at, len) = f.data?;
            Some((f.offset?, payload.get(at..at + len)?))
        })
        .collect()
}
