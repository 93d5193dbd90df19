//! BGP-4 (RFC 4271) on TCP port 179, said in one line and as one layer per message.
//!
//! BGP speakers exchange messages over one TCP connection (RFC 4271 §2: "BGP listens on TCP
//! port 179"). Every message starts with the same 19-octet header (§4.1): a 16-octet marker of
//! all ones, a 2-octet length (19 to 4096, the header included) and a 1-octet type: OPEN (1),
//! UPDATE (2), NOTIFICATION (3), KEEPALIVE (4), or ROUTE-REFRESH (5, RFC 2918). TCP is a byte
//! stream, so one segment may carry several messages back to back (an UPDATE and a KEEPALIVE),
//! end inside one, or start inside one; each complete message here becomes one `BGP` layer.
//!
//! The decoder is stateless: it sees one segment, not the OPENs that opened the session. That
//! matters once: whether an AS_PATH carries 2- or 4-octet AS numbers depends on both speakers
//! having announced the 4-octet AS capability (RFC 6793), so `as_path` (in `update`) guesses
//! as Wireshark does. ADD-PATH path identifiers (RFC 7911) are not looked for, for the same reason.
//!
//! This module reads the header and finds the messages in a segment; each message's body is
//! read by its family's module (`open`, `update`, `notification`, `route_refresh`), with
//! `afi` naming address families and `prefix` reading the prefix encoding.

mod afi;
mod notification;
mod open;
mod prefix;
mod route_refresh;
mod update;

use super::layer::Layer;

/// Every message's first 16 octets (RFC 4271 §4.1).
const MARKER: [u8; 16] = [0xff; 16];
/// Marker, length and type.
const HEADER: usize = 19;
/// The largest message RFC 4271 §4.1 allows; RFC 8654 raises it to 65535 between speakers that
/// both announced the extended message capability (6).
const MAX_LENGTH: usize = 4096;
/// At most this many messages are decoded from one segment.
const MAX_MESSAGES: usize = 64;

type Fields = Vec<(&'static str, String)>;

/// The BGP messages in a TCP segment to or from port 179: one `BGP` layer per complete message,
/// and their one-line descriptions joined with "; ".
pub fn decode(payload: &[u8], layers: &mut Vec<Layer>) -> String {
    let mut infos = Vec::new();
    let mut at = 0;
    if !payload.starts_with(&MARKER) {
        // The segment starts inside a message that began in an earlier one.
        at = find_message(payload).unwrap_or(payload.len());
        infos.push(format!("BGP continuation, {at} octets"));
    }
    let mut messages = 0;
    while let Some(rest) = payload.get(at..).filter(|r| !r.is_empty()) {
        if messages == MAX_MESSAGES {
            infos.push(format!(
                "{} more octets (at most {MAX_MESSAGES} messages are decoded a segment)",
                rest.len()
            ));
            break;
        }
        messages += 1;
        let (info, length) = message_at(rest, at, layers);
        infos.push(info);
        match length {
            Some(length) => at += length,
            None => break,
        }
    }
    infos.join("; ")
}

/// The message at the start of `rest` (offset `at` in its segment): its info, and its length
/// when it is all here, so that the next one follows it.
fn message_at(rest: &[u8], at: usize, layers: &mut Vec<Layer>) -> (String, Option<usize>) {
    let (length, kind) = match header(rest) {
        Err(why) => {
            return (
                format!("BGP? {why} at offset {at}, {} octets left undecoded", rest.len()),
                None,
            )
        }
        Ok(None) => {
            return (
                format!("BGP header (first {} of 19 octets in this segment)", rest.len()),
                None,
            )
        }
        Ok(Some(header)) => header,
    };
    let name = type_name(kind);
    let mut fields: Fields = vec![
        ("marker", "16 octets of all ones".into()),
        ("length", length.to_string()),
        ("type", format!("{name} ({kind})")),
    ];
    let Some(body) = rest.get(HEADER..length) else {
        fields.push(("in this segment", format!("{} of {length} octets", rest.len())));
        layers.push(Layer::new("BGP", fields));
        return (
            format!("BGP {name} (first {} of {length} octets in this segment)", rest.len()),
            None,
        );
    };
    let mut info = match message(kind, body, &mut fields) {
        Ok(info) => format!("BGP {info}"),
        Err(why) => {
            fields.push(("malformed", why.clone()));
            format!("BGP {name} malformed: {why}")
        }
    };
    if length > MAX_LENGTH {
        info.push_str(&format!(
            " (length {length} > {MAX_LENGTH}: only with the extended message capability, RFC 8654)"
        ));
    }
    layers.push(Layer::new("BGP", fields));
    (info, Some(length))
}

/// A header's length and type, checked (RFC 4271 §4.1, §6.1); `None` when the segment ends
/// inside it.
fn header(b: &[u8]) -> Result<Option<(usize, u8)>, String> {
    if b.iter().take(16).any(|&o| o != 0xff) {
        return Err("marker not all ones (RFC 4271 §4.1)".into());
    }
    let Some(&[hi, lo, kind]) = b.get(16..HEADER) else {
        return Ok(None);
    };
    let length = usize::from(u16::from_be_bytes([hi, lo]));
    if length < HEADER {
        return Err(format!(
            "length {length} is less than the 19-octet header (RFC 4271 §6.1)"
        ));
    }
    Ok(Some((length, kind)))
}

/// Where the first message starts in a segment that starts inside one: the end of a run of
/// all-ones octets, followed by a plausible length and type.
fn find_message(b: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = b.get(from..)?.windows(16).position(|w| w == MARKER) {
        let run = b.get(from + found..)?.iter().take_while(|&&o| o == 0xff).count();
        let at = from + found + run - 16;
        match b.get(at + 16..at + HEADER) {
            Some(&[hi, lo, kind]) if usize::from(u16::from_be_bytes([hi, lo])) >= HEADER && (1..=5).contains(&kind) => {
                return Some(at)
            }
            None => return Some(at),
            _ => from += found + run,
        }
    }
    None
}

fn type_name(kind: u8) -> String {
    match kind {
        1 => "OPEN".into(),
        2 => "UPDATE".into(),
        3 => "NOTIFICATION".into(),
        4 => "KEEPALIVE".into(),
        5 => "ROUTE-REFRESH".into(),
        n => format!("type {n}"),
    }
}

/// A complete message's body (after the header): its fields, and its info without "BGP ".
fn message(kind: u8, body: &[u8], fields: &mut Fields) -> Result<String, String> {
    match kind {
        1 => open::open(body, fields),
        2 => update::update(body, fields),
        3 => notification::notification(body, fields),
        // A KEEPALIVE is the header alone (RFC 4271 §4.4).
        4 if body.is_empty() => Ok("KEEPALIVE".into()),
        4 => Err(format!(
            "{} octets: a KEEPALIVE is exactly 19 (RFC 4271 §4.4)",
            HEADER + body.len()
        )),
        5 => route_refresh::route_refresh(body, fields),
        n => Ok(format!("type {n}")),
    }
}

/// A cursor over a message's octets: every read is checked, none panics.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (taken, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(taken)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
}

fn big_endian(b: &[u8]) -> u32 {
    b.iter().fold(0, |n, &o| n << 8 | u32::from(o))
}

/// Messages built for the tests of every message family, and how their decoding is looked at.
#[cfg(test)]
mod build {
    use super::*;

    /// A message as RFC 4271 §4.1 frames it: marker, length, type, then `body`.
    pub(super) fn msg(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut m = vec![0xff; 16];
        m.extend(u16::try_from(HEADER + body.len()).unwrap().to_be_bytes());
        m.push(kind);
        m.extend(body);
        m
    }

    /// An UPDATE's body (RFC 4271 §4.3): the withdrawn routes and the attributes, each after its
    /// 2-octet length, then the NLRI.
    pub(super) fn update_body(withdrawn: &[u8], attrs: &[u8], nlri: &[u8]) -> Vec<u8> {
        let mut b = u16::try_from(withdrawn.len()).unwrap().to_be_bytes().to_vec();
        b.extend(withdrawn);
        b.extend(u16::try_from(attrs.len()).unwrap().to_be_bytes());
        b.extend(attrs);
        b.extend(nlri);
        b
    }

    pub(super) fn decoded(segment: &[u8]) -> (String, Vec<Layer>) {
        let mut layers = Vec::new();
        let info = decode(segment, &mut layers);
        (info, layers)
    }

    pub(super) fn field<'a>(layer: &'a Layer, name: &str) -> Vec<&'a str> {
        layer
            .fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// ORIGIN IGP, AS_PATH one AS_SEQUENCE of 64500 in 4 octets, NEXT_HOP 100.64.100.1: each
    /// flags (well-known transitive, 0x40), type code, length, value (RFC 4271 §4.3, §5.1).
    pub(super) const ATTRS: [u8; 20] = [
        0x40, 1, 1, 0, // ORIGIN IGP
        0x40, 2, 6, 2, 1, 0, 0, 0xfb, 0xf4, // AS_PATH AS_SEQUENCE [64500]
        0x40, 3, 4, 100, 64, 100, 1, // NEXT_HOP
    ];
    pub(super) const PREFIX: [u8; 4] = [24, 203, 0, 113];
}

#[cfg(test)]
mod tests {
    use super::build::{decoded, field, msg, update_body, ATTRS, PREFIX};
    use super::update::{attribute, Summary};
    use super::HEADER;

    #[test]
    fn a_keepalive_is_the_header_alone() {
        // RFC 4271 §4.4: 19 octets, nothing after the header.
        let (info, layers) = decoded(&msg(4, &[]));
        assert_eq!(info, "BGP KEEPALIVE");
        assert_eq!(field(&layers[0], "length"), ["19"]);
        assert!(decoded(&msg(4, &[0]))
            .0
            .starts_with("BGP KEEPALIVE malformed: 20 octets"));
    }

    #[test]
    fn messages_back_to_back_are_each_a_layer() {
        let mut segment = msg(2, &update_body(&[], &ATTRS, &PREFIX));
        segment.extend(msg(4, &[]));
        let (info, layers) = decoded(&segment);
        assert_eq!(
            info,
            "BGP UPDATE 203.0.113.0/24 via 100.64.100.1, AS path 64500, origin IGP; BGP KEEPALIVE"
        );
        assert_eq!(layers.len(), 2);
        // At most 64 messages of a segment are decoded.
        let many: Vec<u8> = (0..70).flat_map(|_| msg(4, &[])).collect();
        let (info, layers) = decoded(&many);
        assert_eq!(layers.len(), 64);
        assert!(
            info.ends_with("; 114 more octets (at most 64 messages are decoded a segment)"),
            "{info}"
        );
    }

    #[test]
    fn a_message_cut_by_the_segment_and_one_continued_from_the_last() {
        let update = msg(2, &update_body(&[], &ATTRS, &PREFIX));
        let (info, layers) = decoded(&update[..30]);
        assert_eq!(info, "BGP UPDATE (first 30 of 47 octets in this segment)");
        assert_eq!(field(&layers[0], "in this segment"), ["30 of 47 octets"]);
        assert_eq!(decoded(&update[..10]).0, "BGP continuation, 10 octets");
        assert_eq!(
            decoded(&update[..17]).0,
            "BGP header (first 17 of 19 octets in this segment)"
        );
        // The rest of that UPDATE, then a KEEPALIVE.
        let mut segment = update[30..].to_vec();
        segment.extend(msg(4, &[]));
        let (info, layers) = decoded(&segment);
        assert_eq!(info, "BGP continuation, 17 octets; BGP KEEPALIVE");
        assert_eq!(layers.len(), 1);
    }

    #[test]
    fn bad_headers_and_prefixes_are_said() {
        let mut segment = msg(4, &[]);
        segment.extend([0xff; 15]);
        segment.extend([0xfe, 0, 19, 4]);
        assert_eq!(
            decoded(&segment).0,
            "BGP KEEPALIVE; BGP? marker not all ones (RFC 4271 §4.1) at offset 19, 19 octets left undecoded"
        );
        let mut short = msg(4, &[]);
        short[17] = 18;
        assert!(decoded(&short)
            .0
            .starts_with("BGP? length 18 is less than the 19-octet header"));
        // Longer than 4096 octets (RFC 4271 §4.1), unless RFC 8654's extended messages.
        let (info, _) = decoded(&msg(2, &update_body(&[], &[], &[0; 4982])));
        assert!(
            info.ends_with("(length 5005 > 4096: only with the extended message capability, RFC 8654)"),
            "{info}"
        );
        // A /33 in IPv4 NLRI, a /129 in IPv6, a prefix cut short.
        assert_eq!(
            decoded(&msg(2, &update_body(&[], &ATTRS, &[33, 203, 0, 113, 0, 0]))).0,
            "BGP UPDATE malformed: NLRI: prefix length 33 > 32"
        );
        let attrs = [0x80, 15, 4, 0, 2, 1, 129];
        assert!(decoded(&msg(2, &update_body(&[], &attrs, &[])))
            .0
            .ends_with("prefix length 129 > 128"));
        assert!(decoded(&msg(2, &update_body(&[24, 203], &[], &[])))
            .0
            .contains("a /24 prefix needs 3 octets"));
    }

    #[test]
    fn no_bytes_make_it_panic() {
        let mut good = msg(
            1,
            &[4, 0xfb, 0xf4, 0, 90, 10, 0, 0, 1, 8, 2, 6, 65, 4, 0, 0, 0xfb, 0xf4],
        );
        good.extend(msg(2, &update_body(&PREFIX, &ATTRS, &PREFIX)));
        good.extend(msg(3, &[6, 2, 3, b'b', b'y', b'e']));
        for n in 0..=good.len() {
            decoded(&good[..n]);
            decoded(&good[n..]);
        }
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for round in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 120) as usize;
            let random = (0..len).map(|i| (seed >> (i % 56)) as u8 ^ i as u8);
            // A plausible header before the random octets, so that the bodies get garbage too.
            let mut bytes = vec![0xff; 16];
            bytes.extend(u16::try_from(HEADER + len).unwrap().to_be_bytes());
            bytes.push((round % 6) as u8);
            bytes.extend(random);
            if round % 7 == 0 {
                bytes.drain(..round % 20);
            }
            decoded(&bytes);
            // And every attribute type code over the same octets.
            let mut summary = Summary::default();
            let _ = attribute((round % 256) as u8, &bytes[bytes.len().min(19)..], &mut summary);
        }
    }
}
