//! Client fingerprints from a ClientHello: JA3 (Salesforce, 2017) and JA4's TLS-client part
//! (FoxIO; only JA4 itself — JA4S, JA4H, JA4X and the other variants carry a licence that forbids
//! commercial use). They summarise what a client offers, so curl, openssl and each browser can
//! be told apart.

use md5::{Digest, Md5};

use super::handshake::{is_grease, HandshakeError, Reader};
use crate::hex;

/// The raw values a fingerprint is made of, in the order the client sent them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawHello {
    pub legacy_version: u16,
    pub ciphers: Vec<u16>,
    pub extensions: Vec<u16>,
    pub groups: Vec<u16>,
    pub point_formats: Vec<u8>,
    pub signature_algorithms: Vec<u16>,
    pub versions: Vec<u16>,
    pub alpn: Vec<String>,
    pub has_sni: bool,
}

/// Reads the raw values from a ClientHello message (with its 4-octet header).
pub fn raw_hello(message: &[u8]) -> Result<RawHello, HandshakeError> {
    let mut m = Reader::new(message);
    let _type = m.u8("msg_type")?;
    let len = m.u24("length")?;
    let mut r = Reader::new(m.take(len, "handshake body")?);
    let mut h = RawHello {
        legacy_version: r.u16("legacy_version")?,
        ..RawHello::default()
    };
    r.take(32, "random")?;
    r.vec8("legacy_session_id")?;
    let mut suites = Reader::new(r.vec16("cipher_suites")?);
    while suites.left() > 0 {
        h.ciphers.push(suites.u16("cipher_suite")?);
    }
    r.vec8("legacy_compression_methods")?;
    if r.left() == 0 {
        return Ok(h);
    }
    let mut exts = Reader::new(r.vec16("extensions")?);
    while exts.left() > 0 {
        let t = exts.u16("extension_type")?;
        let mut d = Reader::new(exts.vec16("extension_data")?);
        h.extensions.push(t);
        match t {
            0 => h.has_sni = true,
            10 => {
                let mut l = Reader::new(d.vec16("supported_groups")?);
                while l.left() > 0 {
                    h.groups.push(l.u16("group")?);
                }
            }
            11 => h.point_formats = d.vec8("ec_point_formats")?.to_vec(),
            13 => {
                let mut l = Reader::new(d.vec16("signature_algorithms")?);
                while l.left() > 0 {
                    h.signature_algorithms.push(l.u16("signature_scheme")?);
                }
            }
            16 => {
                let mut l = Reader::new(d.vec16("ALPN list")?);
                while l.left() > 0 {
                    h.alpn
                        .push(String::from_utf8_lossy(l.vec8("ALPN protocol")?).into_owned());
                }
            }
            43 => {
                let mut l = Reader::new(d.vec8("supported_versions")?);
                while l.left() > 0 {
                    h.versions.push(l.u16("version")?);
                }
            }
            _ => {}
        }
    }
    Ok(h)
}

fn dashed<T: ToString>(values: impl Iterator<Item = T>) -> String {
    values.map(|v| v.to_string()).collect::<Vec<_>>().join("-")
}

/// The JA3 string: version, ciphers, extensions, groups and point formats in decimal, in the
/// client's order, GREASE left out.
pub fn ja3_string(h: &RawHello) -> String {
    let keep = |v: &&u16| !is_grease(**v);
    format!(
        "{},{},{},{},{}",
        h.legacy_version,
        dashed(h.ciphers.iter().filter(keep)),
        dashed(h.extensions.iter().filter(keep)),
        dashed(h.groups.iter().filter(keep)),
        dashed(h.point_formats.iter())
    )
}

/// JA3: the MD5 of the JA3 string, in hex.
pub fn ja3(h: &RawHello) -> String {
    hex::encode(&Md5::digest(ja3_string(h).as_bytes()))
}

fn sha256_12(text: &str) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    hex::encode(&d.as_ref()[..6])
}

/// JA4 (TLS client): `t13d1516h2_<ciphers>_<extensions and signature algorithms>`:
/// protocol, highest version, SNI or not, counts of ciphers and extensions, first ALPN's first
/// and last characters; then truncated SHA-256 of the sorted cipher list, and of the sorted
/// extension list (without SNI and ALPN) with the signature algorithms in order.
pub fn ja4(h: &RawHello) -> String {
    let ciphers: Vec<u16> = h.ciphers.iter().copied().filter(|c| !is_grease(*c)).collect();
    let exts: Vec<u16> = h.extensions.iter().copied().filter(|e| !is_grease(*e)).collect();
    let top = h
        .versions
        .iter()
        .copied()
        .filter(|v| !is_grease(*v))
        .max()
        .unwrap_or(h.legacy_version);
    let version = match top {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        _ => "00",
    };
    let alpn = match h.alpn.first().map(|a| a.as_bytes()) {
        Some([only]) => format!("{}{}", *only as char, *only as char),
        Some([first, .., last]) => format!("{}{}", *first as char, *last as char),
        _ => "00".to_string(),
    };
    let a = format!(
        "t{version}{}{:02}{:02}{alpn}",
        if h.has_sni { 'd' } else { 'i' },
        ciphers.len().min(99),
        exts.len().min(99)
    );
    let hex4 = |v: &u16| format!("{v:04x}");
    let mut sorted_ciphers: Vec<String> = ciphers.iter().map(hex4).collect();
    sorted_ciphers.sort();
    let b = if sorted_ciphers.is_empty() {
        "000000000000".to_string()
    } else {
        sha256_12(&sorted_ciphers.join(","))
    };
    let mut sorted_exts: Vec<String> = exts
        .iter()
        .filter(|e| **e != 0x0000 && **e != 0x0010)
        .map(hex4)
        .collect();
    sorted_exts.sort();
    let sigs: Vec<String> = h.signature_algorithms.iter().map(hex4).collect();
    let c_input = if sigs.is_empty() {
        sorted_exts.join(",")
    } else {
        format!("{}_{}", sorted_exts.join(","), sigs.join(","))
    };
    let c = if sorted_exts.is_empty() {
        "000000000000".to_string()
    } else {
        sha256_12(&c_input)
    };
    format!("{a}_{b}_{c}")
}
