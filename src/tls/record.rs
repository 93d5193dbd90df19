//! The TLS record layer (RFC 8446 §5.1): every byte on a TLS connection travels in records.
//!
//! ```text
//! struct {
//!     ContentType type;                 // 1 octet: 20 ccs, 21 alert, 22 handshake, 23 application_data
//!     ProtocolVersion legacy_record_version;  // 2 octets, 0x0303 (0x0301 allowed in a first ClientHello)
//!     uint16 length;                    // at most 2^14 (+256 when encrypted)
//!     opaque fragment[TLSPlaintext.length];
//! } TLSPlaintext;
//! ```
//!
//! Parsing checks the header's length once; nothing after that can panic.

use std::fmt;

/// Largest fragment a record may carry: 2^14 octets plus 256 of AEAD expansion (RFC 8446 §5.2).
pub const MAX_FRAGMENT: usize = (1 << 14) + 256;
/// Size of the record header.
pub const HEADER_LEN: usize = 5;

/// The record's content type; unknown values are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentType {
    ChangeCipherSpec,
    Alert,
    Handshake,
    ApplicationData,
    Unknown(u8),
}

impl From<u8> for ContentType {
    fn from(b: u8) -> Self {
        match b {
            20 => ContentType::ChangeCipherSpec,
            21 => ContentType::Alert,
            22 => ContentType::Handshake,
            23 => ContentType::ApplicationData,
            other => ContentType::Unknown(other),
        }
    }
}

impl fmt::Display for ContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContentType::ChangeCipherSpec => f.write_str("change_cipher_spec"),
            ContentType::Alert => f.write_str("alert"),
            ContentType::Handshake => f.write_str("handshake"),
            ContentType::ApplicationData => f.write_str("application_data"),
            ContentType::Unknown(n) => write!(f, "unknown({n})"),
        }
    }
}

/// One record: header fields and the fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    pub content_type: ContentType,
    pub version: u16,
    pub fragment: &'a [u8],
    /// The 5 header octets: the AEAD's additional data for an encrypted record.
    pub header: [u8; HEADER_LEN],
}

/// Why bytes are not a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("record length {0} is over the limit of {MAX_FRAGMENT} (2^14 + 256)")]
    TooLong(usize),
    #[error("record version {0:#06x} is not a TLS version (0x0300-0x0304)")]
    BadVersion(u16),
}

/// Parses the record at the start of `bytes`. `Ok(None)`: more bytes are needed. On success,
/// also returns how many bytes the record took.
pub fn parse(bytes: &[u8]) -> Result<Option<(Record<'_>, usize)>, RecordError> {
    if bytes.len() < HEADER_LEN {
        return Ok(None);
    }
    let version = u16::from_be_bytes([bytes[1], bytes[2]]);
    if !(0x0300..=0x0304).contains(&version) {
        return Err(RecordError::BadVersion(version));
    }
    let length = usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
    if length > MAX_FRAGMENT {
        return Err(RecordError::TooLong(length));
    }
    let Some(fragment) = bytes.get(HEADER_LEN..HEADER_LEN + length) else {
        return Ok(None);
    };
    let mut header = [0u8; HEADER_LEN];
    header.copy_from_slice(&bytes[..HEADER_LEN]);
    Ok(Some((
        Record {
            content_type: ContentType::from(bytes[0]),
            version,
            fragment,
            header,
        },
        HEADER_LEN + length,
    )))
}

/// Splits a byte stream into records; the rest (an incomplete record) is left for later.
pub fn parse_all(bytes: &[u8]) -> Result<(Vec<Record<'_>>, &[u8]), RecordError> {
    let mut records = Vec::new();
    let mut rest = bytes;
    while let Some((record, used)) = parse(rest)? {
        records.push(record);
        rest = &rest[used..];
    }
    Ok((records, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_and_partial_input() {
        let bytes = [22, 3, 1, 0, 2, 0xaa, 0xbb, 23, 3, 3, 0, 5, 1];
        let (records, rest) = parse_all(&bytes).unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].content_type, ContentType::Handshake);
        assert_eq!(records[0].version, 0x0301);
        assert_eq!(records[0].fragment, [0xaa, 0xbb]);
        assert_eq!(rest, [23, 3, 3, 0, 5, 1], "an incomplete record waits");
        assert_eq!(parse(&[22, 3, 3]).unwrap(), None);
    }

    #[test]
    fn named_errors() {
        assert_eq!(
            parse(&[22, 3, 3, 0x48, 0x01]).unwrap_err(),
            RecordError::TooLong(0x4801)
        );
        assert_eq!(
            parse(&[22, 0x47, 0x45, 0, 1, 0]).unwrap_err().to_string(),
            "record version 0x4745 is not a TLS version (0x0300-0x0304)"
        );
        assert_eq!(ContentType::from(99).to_string(), "unknown(99)");
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_parse_or_fail_cleanly(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = parse_all(&bytes);
        }
    }
}
