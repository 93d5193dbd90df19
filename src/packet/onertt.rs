//! QUIC packets opened with a traffic secret the TLS library handed over (or, for Initial
//! packets, the keys anyone derives from the client's first DCID): what a packet carried, frame
//! by frame. Named for 1-RTT packets (RFC 9000 §17.3.1), the commonest; long-header packets
//! (Initial, 0-RTT, Handshake, §17.2) are opened the same way with their own space's secret.
//!
//! A short header is one flags octet, the Destination Connection ID (its length is not in the
//! packet: the receiver chose it) and a 1-4 octet packet number. Two protections cover it
//! (RFC 9001 §5): header protection masks the low flag bits and the packet number with a mask
//! computed from a 16-octet sample of the ciphertext, and the AEAD encrypts the payload with a
//! nonce made of the IV and the full packet number. A long header is masked the same way, its
//! low four flag bits instead of five (§5.4.1). The packet number on the wire is truncated,
//! so the receiver rebuilds it from the largest one it has seen in the same packet-number space
//! (RFC 9000 §12.3, §17.1, Appendix A.3).
//! After a key update (RFC 9001 §6) the Key Phase bit flips and the payload is protected with
//! the next secret's keys, which these keys do not open.
//!
//! Pure functions over bytes: any input gives a result or a named error.

use ring::aead::{self, quic as hp};
use serde::{Deserialize, Serialize};

use super::quic::{varint, QuicError};
use crate::tls::keys::{expand_label, Suite};

/// One direction's packet-protection keys, derived from its traffic secret: a 1-RTT secret
/// (`*_TRAFFIC_SECRET_0`), a Handshake one (`*_HANDSHAKE_TRAFFIC_SECRET`) or an Initial one.
pub struct OneRttKeys {
    packet: aead::LessSafeKey,
    iv: [u8; 12],
    header: hp::HeaderProtectionKey,
}

impl OneRttKeys {
    /// "quic key", "quic iv" and "quic hp" from `secret` under `suite` (RFC 9001 §5.1); `None`
    /// when the secret has the wrong length for the suite's keys.
    pub fn derive(suite_id: u16, secret: &[u8]) -> Option<OneRttKeys> {
        let suite = Suite::from_id(suite_id)?;
        if secret.len() != suite.hash.output_len() {
            return None;
        }
        let hp_key = expand_label(suite.hash, secret, "quic hp", &[], suite.key_len());
        let key = expand_label(suite.hash, secret, "quic key", &[], suite.key_len());
        let iv = expand_label(suite.hash, secret, "quic iv", &[], 12);
        Some(OneRttKeys {
            packet: aead::LessSafeKey::new(aead::UnboundKey::new(suite.aead(), &key).ok()?),
            iv: iv.try_into().ok()?,
            header: hp::HeaderProtectionKey::new(suite.header_protection(), &hp_key).ok()?,
        })
    }
}

/// A header with its protection removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmasked {
    /// The Key Phase bit (short headers): which generation of keys protects the payload.
    pub key_phase: bool,
    /// The packet number as sent (its low `8 * pn_len` bits).
    pub truncated_pn: u64,
    pub pn_len: usize,
    /// The header as the AEAD authenticates it: flags and packet number unmasked.
    pub unmasked: Vec<u8>,
}

/// Removes header protection from a 1-RTT packet whose DCID is `dcid_len` octets. Needs only
/// the header and the 16-octet sample that starts 4 octets after the packet number's start.
pub fn unprotect(packet: &[u8], dcid_len: usize, keys: &OneRttKeys) -> Result<Unmasked, QuicError> {
    let first = *packet.first().ok_or(QuicError::Truncated("first octet"))?;
    if first & 0x80 != 0 {
        return Err(QuicError::NotShort);
    }
    // Short headers mask the low five bits: reserved, Key Phase, packet number length.
    unmask(packet, 1 + dcid_len, 0x1f, keys)
}

/// Removes header protection from a long-header packet (Initial, 0-RTT, Handshake) whose
/// packet number starts at `pn_offset` (after the Length field, RFC 9000 §17.2).
pub fn unprotect_long(packet: &[u8], pn_offset: usize, keys: &OneRttKeys) -> Result<Unmasked, QuicError> {
    let first = *packet.first().ok_or(QuicError::Truncated("first octet"))?;
    if first & 0x80 == 0 {
        return Err(QuicError::NotLong);
    }
    // Long headers mask the low four bits: reserved and packet number length.
    unmask(packet, pn_offset, 0x0f, keys)
}

/// The header protection of RFC 9001 §5.4.1, undone: `flag_bits` of the first octet and the
/// packet number are XORed with the mask of the sample.
fn unmask(packet: &[u8], pn_offset: usize, flag_bits: u8, keys: &OneRttKeys) -> Result<Unmasked, QuicError> {
    let sample = packet
        .get(pn_offset + 4..pn_offset + 20)
        .ok_or(QuicError::Truncated("header protection sample"))?;
    let mask = keys.header.new_mask(sample).map_err(|_| QuicError::Decrypt)?;
    let flags = packet[0] ^ (mask[0] & flag_bits);
    let pn_len = usize::from(flags & 0x03) + 1;
    let mut unmasked = packet
        .get(..pn_offset + pn_len)
        .ok_or(QuicError::Truncated("packet number"))?
        .to_vec();
    unmasked[0] = flags;
    let mut truncated_pn = 0u64;
    for i in 0..pn_len {
        unmasked[pn_offset + i] ^= mask[1 + i];
        truncated_pn = (truncated_pn << 8) | u64::from(unmasked[pn_offset + i]);
    }
    Ok(Unmasked {
        key_phase: flag_bits == 0x1f && flags & 0x04 != 0,
        truncated_pn,
        pn_len,
        unmasked,
    })
}

/// The full packet number nearest to the one expected after `largest` (RFC 9000 Appendix A.3).
pub fn decode_packet_number(largest: Option<u64>, truncated: u64, pn_len: usize) -> u64 {
    let expected = largest.map_or(0, |l| l + 1);
    let bits = 8 * pn_len as u32;
    let window = 1u64 << bits;
    let half = window / 2;
    let candidate = (expected & !(window - 1)) | truncated;
    if candidate + half <= expected && candidate < (1u64 << 62) - window {
        candidate + window
    } else if candidate > expected + half && candidate >= window {
        candidate - window
    } else {
        candidate
    }
}

/// Decrypts the payload of `packet` (whose header `header` describes) as packet number `pn`;
/// the payload runs to the end of `packet` (for a long header, cut it at its Length first).
pub fn open(packet: &[u8], header: &Unmasked, pn: u64, keys: &OneRttKeys) -> Result<Vec<u8>, QuicError> {
    let start = header.unmasked.len();
    if packet.len() < start + 16 {
        return Err(QuicError::Truncated("payload"));
    }
    let mut nonce = keys.iv;
    for (b, p) in nonce[4..].iter_mut().zip(pn.to_be_bytes()) {
        *b ^= p;
    }
    let mut payload = packet[start..].to_vec();
    let plain = keys
        .packet
        .open_in_place(
            aead::Nonce::assume_unique_for_key(nonce),
            aead::Aad::from(&header.unmasked),
            &mut payload,
        )
        .map_err(|_| QuicError::Decrypt)?
        .len();
    payload.truncate(plain);
    Ok(payload)
}

/// One frame of a decrypted payload (RFC 9000 §19).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    /// Its name: `STREAM`, `ACK`, `CRYPTO`, `PADDING`, ...
    pub name: String,
    /// The stream it concerns (STREAM, RESET_STREAM, STOP_SENDING, MAX_STREAM_DATA, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<u64>,
    /// STREAM and CRYPTO: where its data sits in the stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// STREAM and CRYPTO: how many octets of data it carried; PADDING: its length.
    pub len: u64,
    /// STREAM: the sender's last octet on this stream.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fin: bool,
    /// ACK: the packet numbers acknowledged, as `[smallest, largest]` ranges, highest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acked: Vec<[u64; 2]>,
    /// STREAM and CRYPTO: where the data sits in the payload (start, length).
    #[serde(skip)]
    pub data: Option<(usize, usize)>,
}

impl Frame {
    /// The frame as tshark's packet tree names it: `STREAM id=0 fin=1 off=0 len=38
    /// dir=Bidirectional origin=Client-initiated`, `CRYPTO off=0 len=90`, `PADDING Length: 3`;
    /// ACK with the ranges acknowledged.
    pub fn described(&self) -> String {
        match self.name.as_str() {
            "STREAM" => {
                let id = self.stream.unwrap_or(0);
                // The stream ID's two low bits: who opened it, and whether both sides send (§2.1).
                format!(
                    "STREAM id={id} fin={} off={} len={} dir={} origin={}",
                    u8::from(self.fin),
                    self.offset.unwrap_or(0),
                    self.len,
                    if id & 0x2 == 0 {
                        "Bidirectional"
                    } else {
                        "Unidirectional"
                    },
                    if id & 0x1 == 0 {
                        "Client-initiated"
                    } else {
                        "Server-initiated"
                    },
                )
            }
            "CRYPTO" => format!("CRYPTO off={} len={}", self.offset.unwrap_or(0), self.len),
            "PADDING" => format!("PADDING Length: {}", self.len),
            "ACK" => format!("ACK {}", ranges(&self.acked)),
            _ => match self.stream {
                Some(id) => format!("{} id={id}", self.name),
                None => self.name.clone(),
            },
        }
    }

    /// The frame in a one-line summary: `STREAM(4) off=0 len=38 fin`, `CRYPTO off=0 len=90`,
    /// `ACK 0-3`, `STOP_SENDING(4)`, or its name.
    pub fn brief(&self) -> String {
        match self.name.as_str() {
            "STREAM" => format!(
                "STREAM({}) off={} len={}{}",
                self.stream.unwrap_or(0),
                self.offset.unwrap_or(0),
                self.len,
                if self.fin { " fin" } else { "" }
            ),
            "CRYPTO" => self.described(),
            "ACK" => format!("ACK {}", ranges(&self.acked)),
            _ => match self.stream {
                Some(id) => format!("{}({id})", self.name),
                None => self.name.clone(),
            },
        }
    }
}

/// ACK ranges as `9-12,5-7` (a single packet as `3`).
fn ranges(acked: &[[u64; 2]]) -> String {
    acked
        .iter()
        .map(|[lo, hi]| if lo == hi { lo.to_string() } else { format!("{lo}-{hi}") })
        .collect::<Vec<_>>()
        .join(",")
}

/// Most frames read from one packet (a packet of PADDING octets is one frame).
const MAX_FRAMES: usize = 256;

/// The frames of a decrypted 1-RTT payload, in order. Stops at the end, at a frame type it
/// does not know (named), or at a frame that runs past the payload (named as truncated).
pub fn frames(p: &[u8]) -> Vec<Frame> {
    let mut out = Vec::new();
    let mut r = Fields { p, at: 0 };
    while r.at < p.len() && out.len() < MAX_FRAMES {
        let Some(t) = r.varint() else { break };
        match read_frame(t, &mut r) {
            Some(frame) => out.push(frame),
            None => {
                out.push(Frame::named(format!("frame type {t:#x} (not decoded)")));
                break;
            }
        }
    }
    out
}

/// A cursor over a payload's fields.
struct Fields<'p> {
    p: &'p [u8],
    at: usize,
}

impl Fields<'_> {
    fn varint(&mut self) -> Option<u64> {
        let (v, n) = varint(self.p.get(self.at..)?)?;
        self.at += n;
        Some(v)
    }

    /// `n` varints, dropped.
    fn skip_varints(&mut self, n: u64) -> Option<()> {
        for _ in 0..n {
            self.varint()?;
        }
        Some(())
    }

    /// `len` octets, dropped.
    fn skip(&mut self, len: u64) -> Option<()> {
        let end = self.at.checked_add(usize::try_from(len).ok()?)?;
        (end <= self.p.len()).then(|| self.at = end)
    }
}

impl Frame {
    fn named(name: impl Into<String>) -> Frame {
        Frame {
            name: name.into(),
            stream: None,
            offset: None,
            len: 0,
            fin: false,
            acked: Vec::new(),
            data: None,
        }
    }

    fn on_stream(name: &str, stream: u64) -> Frame {
        Frame {
            stream: Some(stream),
            ..Frame::named(name)
        }
    }
}

/// The frame of type `t` whose fields follow; `None` for an unknown type or a frame cut short.
fn read_frame(t: u64, r: &mut Fields<'_>) -> Option<Frame> {
    Some(match t {
        0x00 => {
            let run = r.p[r.at..].iter().take_while(|b| **b == 0).count();
            r.at += run;
            Frame {
                len: run as u64 + 1,
                ..Frame::named("PADDING")
            }
        }
        0x01 => Frame::named("PING"),
        0x02 | 0x03 => {
            // Largest Acknowledged, ACK Delay, ACK Range Count, First ACK Range, the ranges
            // (Gap and ACK Range Length each), and with type 0x03 three ECN counts (§19.3).
            let largest = r.varint()?;
            let _delay = r.varint()?;
            let count = r.varint()?;
            let first = r.varint()?;
            let mut smallest = largest.checked_sub(first)?;
            let mut acked = vec![[smallest, largest]];
            // Each range takes at least two octets, so the payload bounds the loop.
            for _ in 0..count {
                let gap = r.varint()?;
                let len = r.varint()?;
                // §19.3.1: the next range ends gap + 2 below the previous range's smallest.
                let hi = smallest.checked_sub(gap)?.checked_sub(2)?;
                smallest = hi.checked_sub(len)?;
                acked.push([smallest, hi]);
            }
            if t == 0x03 {
                r.skip_varints(3)?;
            }
            Frame {
                acked,
                ..Frame::named("ACK")
            }
        }
        0x04 => {
            let f = Frame::on_stream("RESET_STREAM", r.varint()?);
            r.skip_varints(2)?;
            f
        }
        0x05 => {
            let f = Frame::on_stream("STOP_SENDING", r.varint()?);
            r.skip_varints(1)?;
            f
        }
        0x06 => {
            let offset = r.varint()?;
            let len = r.varint()?;
            let at = r.at;
            r.skip(len)?;
            Frame {
                offset: Some(offset),
                len,
                data: Some((at, r.at - at)),
                ..Frame::named("CRYPTO")
            }
        }
        0x07 => {
            let len = r.varint()?;
            r.skip(len)?;
            Frame::named("NEW_TOKEN")
        }
        0x08..=0x0f => {
            // STREAM: the type's low bits say which fields are present (OFF 0x04, LEN 0x02,
            // FIN 0x01); without LEN the data runs to the end of the packet (§19.8).
            let stream = r.varint()?;
            let offset = if t & 0x04 != 0 { r.varint()? } else { 0 };
            let len = if t & 0x02 != 0 {
                r.varint()?
            } else {
                (r.p.len() - r.at) as u64
            };
            let at = r.at;
            r.skip(len)?;
            Frame {
                offset: Some(offset),
                len,
                fin: t & 0x01 != 0,
                data: Some((at, r.at - at)),
                ..Frame::on_stream("STREAM", stream)
            }
        }
        0x10 => {
            r.varint()?;
            Frame::named("MAX_DATA")
        }
        0x11 => {
            let f = Frame::on_stream("MAX_STREAM_DATA", r.varint()?);
            r.varint()?;
            f
        }
        0x12 | 0x13 => {
            r.varint()?;
            Frame::named("MAX_STREAMS")
        }
        0x14 => {
            r.varint()?;
            Frame::named("DATA_BLOCKED")
        }
        0x15 => {
            let f = Frame::on_stream("STREAM_DATA_BLOCKED", r.varint()?);
            r.varint()?;
            f
        }
        0x16 | 0x17 => {
            r.varint()?;
            Frame::named("STREAMS_BLOCKED")
        }
        0x18 => {
            // Sequence Number, Retire Prior To, a length-prefixed connection ID, a 16-octet
            // stateless reset token.
            r.skip_varints(2)?;
            let len = u64::from(*r.p.get(r.at)?);
            r.skip(1 + len + 16)?;
            Frame::named("NEW_CONNECTION_ID")
        }
        0x19 => {
            r.varint()?;
            Frame::named("RETIRE_CONNECTION_ID")
        }
        0x1a | 0x1b => {
            r.skip(8)?;
            Frame::named(if t == 0x1a { "PATH_CHALLENGE" } else { "PATH_RESPONSE" })
        }
        0x1c | 0x1d => {
            // Error Code, (0x1c only) Frame Type, Reason Phrase Length, the phrase.
            r.skip_varints(if t == 0x1c { 2 } else { 1 })?;
            let len = r.varint()?;
            r.skip(len)?;
            Frame::named("CONNECTION_CLOSE")
        }
        0x1e => Frame::named("HANDSHAKE_DONE"),
        // The ACK frequency extension (draft-ietf-quic-ack-frequency, which quinn speaks):
        // "acknowledge this packet at once", no fields; quinn sends it with its path MTU probes.
        0x1f => Frame::named("IMMEDIATE_ACK"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_numbers_are_rebuilt_as_rfc_9000_appendix_a3_shows() {
        // The RFC's example: largest 0xa82f30ea, a 2-octet 0x9b32 is 0xa82f9b32.
        assert_eq!(decode_packet_number(Some(0xa82f30ea), 0x9b32, 2), 0xa82f9b32);
        assert_eq!(decode_packet_number(None, 0, 1), 0);
        // One octet wraps past 255 when the expected number is near the window's top.
        assert_eq!(decode_packet_number(Some(254), 0x01, 1), 257);
        // An older packet just below the expected one stays below it.
        assert_eq!(decode_packet_number(Some(300), 0x2a, 1), 298);
    }

    /// RFC 9001 Appendix A.5: the ChaCha20-Poly1305 short-header packet, opened.
    #[test]
    fn the_rfc_9001_chacha20_example_opens() {
        let secret = crate::hex::decode("9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b").unwrap();
        let packet = crate::hex::decode("4cfe4189655e5cd55c41f69080575d7999c25a5bfb").unwrap();
        let keys = OneRttKeys::derive(0x1303, &secret).unwrap();
        let header = unprotect(&packet, 0, &keys).unwrap();
        assert_eq!(crate::hex::encode(&header.unmasked), "4200bff4");
        assert_eq!((header.pn_len, header.truncated_pn), (3, 0xbff4));
        let pn = decode_packet_number(Some(654_360_563), header.truncated_pn, header.pn_len);
        assert_eq!(pn, 654_360_564);
        let payload = open(&packet, &header, pn, &keys).unwrap();
        assert_eq!(payload, [0x01]);
        assert_eq!(frames(&payload), [Frame::named("PING")]);
        // The wrong packet number fails authentication, as it must.
        assert_eq!(open(&packet, &header, pn + 1, &keys), Err(QuicError::Decrypt));
    }

    #[test]
    fn stream_frames_name_their_stream_offset_and_length() {
        // STREAM with OFF|LEN|FIN on stream 4 at offset 1000 with 3 octets, then ACK, PADDING x3.
        let payload = [
            0x0f, 0x04, 0x43, 0xe8, 0x03, b'a', b'b', b'c', 0x02, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ];
        let f = frames(&payload);
        assert_eq!(
            f[0],
            Frame {
                name: "STREAM".into(),
                stream: Some(4),
                offset: Some(1000),
                len: 3,
                fin: true,
                acked: Vec::new(),
                data: Some((5, 3)),
            }
        );
        assert_eq!(
            f[0].described(),
            "STREAM id=4 fin=1 off=1000 len=3 dir=Bidirectional origin=Client-initiated"
        );
        assert_eq!(f[0].brief(), "STREAM(4) off=1000 len=3 fin");
        assert_eq!(f[1].name, "ACK");
        assert_eq!(f[1].acked, [[5, 5]]);
        assert_eq!((f[2].name.as_str(), f[2].len), ("PADDING", 3));
        assert_eq!(f.len(), 3);
    }

    #[test]
    fn ack_ranges_are_counted_down_from_the_largest_as_rfc_9000_section_19_3_1_says() {
        // Largest 20, delay 0, 2 more ranges, first range 2 (18-20); gap 1, length 3: the next
        // range ends at 18 - 1 - 2 = 15 (16 and 17 missing) and starts at 12; gap 0, length 0:
        // it ends at 12 - 0 - 2 = 10 (11 missing), just 10.
        let payload = [0x02, 20, 0, 2, 2, 1, 3, 0, 0];
        let f = &frames(&payload)[0];
        assert_eq!(f.acked, [[18, 20], [12, 15], [10, 10]]);
        assert_eq!(f.described(), "ACK 18-20,12-15,10");
        // A range below packet number 0 is not an ACK netlab can read.
        let below_zero = [0x02, 1, 0, 0, 5];
        assert_eq!(frames(&below_zero)[0].name, "frame type 0x2 (not decoded)");
    }

    #[test]
    fn other_frames_are_named_as_tshark_names_them() {
        // HANDSHAKE_DONE, PING, NEW_CONNECTION_ID (seq 1, retire 0, 2-octet CID, 16-octet
        // token), MAX_STREAM_DATA on stream 8.
        let mut payload = vec![0x1e, 0x01, 0x18, 1, 0, 2, 0xab, 0xcd];
        payload.extend([0x77; 16]);
        payload.extend([0x11, 8, 0x40, 0x64]);
        let names: Vec<String> = frames(&payload).iter().map(Frame::described).collect();
        assert_eq!(
            names,
            ["HANDSHAKE_DONE", "PING", "NEW_CONNECTION_ID", "MAX_STREAM_DATA id=8"]
        );
    }

    #[test]
    fn a_frame_cut_short_or_unknown_is_named_and_ends_the_list() {
        // STREAM claiming 200 octets of a 3-octet rest.
        let cut = [0x0a, 0x00, 0x40, 0xc8, 1, 2, 3];
        assert_eq!(frames(&cut)[0].name, "frame type 0xa (not decoded)");
        let unknown = [0x01, 0x3f, 0x01];
        let f = frames(&unknown);
        assert_eq!(f.len(), 2);
        assert_eq!(f[1].name, "frame type 0x3f (not decoded)");
    }
}
