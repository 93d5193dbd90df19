//! QPACK, HTTP/3's field compression (RFC 9204), decoded so that every field says how it
//! travelled, as HPACK's do: an index into the static table (99 entries, Appendix A), an index
//! into the dynamic table (relative to the section's Base, or after it: "post-base"), or a
//! literal, Huffman-coded or not.
//!
//! QPACK differs from HPACK because QUIC streams arrive in any order: the dynamic table is
//! changed only by instructions on the *encoder stream* (§4.3), a field section names the
//! table state it needs (its Required Insert Count, §4.5.1) and counts indices from its Base;
//! the peer's *decoder stream* acknowledges sections and inserts (§4.4). A section whose
//! Required Insert Count is ahead of the inserts seen is *blocked* (§2.1.2).
//!
//! Pure code over untrusted bytes: every length is checked, integers are bounded, the dynamic
//! table never exceeds the capacity this side announced (SETTINGS_QPACK_MAX_TABLE_CAPACITY),
//! and any input gives a result or a named [`QpackError`].

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::hpack::{Cut, Field, Input, Source, MAX_LIST};

/// RFC 9204 Appendix A: the static table, index 0..=98.
pub const STATIC_TABLE: [(&str, &str); 99] = [
    (":authority", ""),
    (":path", "/"),
    ("age", "0"),
    ("content-disposition", ""),
    ("content-length", "0"),
    ("cookie", ""),
    ("date", ""),
    ("etag", ""),
    ("if-modified-since", ""),
    ("if-none-match", ""),
    ("last-modified", ""),
    ("link", ""),
    ("location", ""),
    ("referer", ""),
    ("set-cookie", ""),
    (":method", "CONNECT"),
    (":method", "DELETE"),
    (":method", "GET"),
    (":method", "HEAD"),
    (":method", "OPTIONS"),
    (":method", "POST"),
    (":method", "PUT"),
    (":scheme", "http"),
    (":scheme", "https"),
    (":status", "103"),
    (":status", "200"),
    (":status", "304"),
    (":status", "404"),
    (":status", "503"),
    ("accept", "*/*"),
    ("accept", "application/dns-message"),
    ("accept-encoding", "gzip, deflate, br"),
    ("accept-ranges", "bytes"),
    ("access-control-allow-headers", "cache-control"),
    ("access-control-allow-headers", "content-type"),
    ("access-control-allow-origin", "*"),
    ("cache-control", "max-age=0"),
    ("cache-control", "max-age=2592000"),
    ("cache-control", "max-age=604800"),
    ("cache-control", "no-cache"),
    ("cache-control", "no-store"),
    ("cache-control", "public, max-age=31536000"),
    ("content-encoding", "br"),
    ("content-encoding", "gzip"),
    ("content-type", "application/dns-message"),
    ("content-type", "application/javascript"),
    ("content-type", "application/json"),
    ("content-type", "application/x-www-form-urlencoded"),
    ("content-type", "image/gif"),
    ("content-type", "image/jpeg"),
    ("content-type", "image/png"),
    ("content-type", "text/css"),
    ("content-type", "text/html; charset=utf-8"),
    ("content-type", "text/plain"),
    ("content-type", "text/plain;charset=utf-8"),
    ("range", "bytes=0-"),
    ("strict-transport-security", "max-age=31536000"),
    ("strict-transport-security", "max-age=31536000; includesubdomains"),
    (
        "strict-transport-security",
        "max-age=31536000; includesubdomains; preload",
    ),
    ("vary", "accept-encoding"),
    ("vary", "origin"),
    ("x-content-type-options", "nosniff"),
    ("x-xss-protection", "1; mode=block"),
    (":status", "100"),
    (":status", "204"),
    (":status", "206"),
    (":status", "302"),
    (":status", "400"),
    (":status", "403"),
    (":status", "421"),
    (":status", "425"),
    (":status", "500"),
    ("accept-language", ""),
    ("access-control-allow-credentials", "FALSE"),
    ("access-control-allow-credentials", "TRUE"),
    ("access-control-allow-headers", "*"),
    ("access-control-allow-methods", "get"),
    ("access-control-allow-methods", "get, post, options"),
    ("access-control-allow-methods", "options"),
    ("access-control-expose-headers", "content-length"),
    ("access-control-request-headers", "content-type"),
    ("access-control-request-method", "get"),
    ("access-control-request-method", "post"),
    ("alt-svc", "clear"),
    ("authorization", ""),
    (
        "content-security-policy",
        "script-src 'none'; object-src 'none'; base-uri 'none'",
    ),
    ("early-data", "1"),
    ("expect-ct", ""),
    ("forwarded", ""),
    ("if-range", ""),
    ("origin", ""),
    ("purpose", "prefetch"),
    ("server", ""),
    ("timing-allow-origin", "*"),
    ("upgrade-insecure-requests", "1"),
    ("user-agent", ""),
    ("x-forwarded-for", ""),
    ("x-frame-options", "deny"),
    ("x-frame-options", "sameorigin"),
];

/// Why QPACK bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QpackError {
    #[error("QPACK bytes end inside {0}")]
    Truncated(&'static str),
    #[error("integer too large in {0}")]
    IntegerOverflow(&'static str),
    #[error("static table index {0} is beyond the 99 entries of RFC 9204 Appendix A")]
    BadStaticIndex(usize),
    #[error("dynamic table entry {0} (absolute) is not in the table")]
    BadDynamicIndex(usize),
    #[error("invalid Huffman code in a string")]
    BadHuffman,
    #[error("Required Insert Count encoded as {0} is impossible (RFC 9204 §4.5.1.1)")]
    BadInsertCount(usize),
    #[error("Base would be negative (Required Insert Count {0}, Delta Base {1})")]
    BadBase(usize, usize),
    #[error("the section needs {0} inserts but only {1} were seen: it is blocked (RFC 9204 §2.1.2)")]
    Blocked(usize, usize),
    #[error("the section references entry {0}, at or above its Required Insert Count {1}")]
    BeyondInsertCount(usize, usize),
    #[error("table capacity {0} is above the announced maximum {1}")]
    CapacityTooLarge(usize, usize),
    #[error("an entry of {0} octets does not fit in a table of capacity {1}")]
    EntryTooLarge(usize, usize),
    #[error("decoded field section exceeds {0} octets")]
    SectionTooLarge(usize),
}

/// A decoded field section (§4.5): its prefix and its field lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// How many dynamic table inserts the section depends on (0: static table and literals only).
    pub required_insert_count: usize,
    /// The absolute index that relative indices count down from and post-base ones up from.
    pub base: usize,
    pub fields: Vec<Field>,
}

/// One instruction on the encoder stream (§4.3): it changes the peer decoder's dynamic table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "instruction", rename_all = "snake_case")]
pub enum EncoderInstruction {
    /// §4.3.1 Set Dynamic Table Capacity.
    SetCapacity { capacity: usize },
    /// §4.3.2 Insert with Name Reference; a dynamic reference is relative to the insert count.
    InsertWithNameReference {
        source: Source,
        index: usize,
        name: String,
        value: String,
    },
    /// §4.3.3 Insert with Literal Name.
    InsertWithLiteralName { name: String, value: String },
    /// §4.3.4 Duplicate an existing entry (relative index).
    Duplicate { index: usize, name: String, value: String },
}

/// One instruction on the decoder stream (§4.4): news for the peer's encoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "instruction", rename_all = "snake_case")]
pub enum DecoderInstruction {
    /// §4.4.1 Section Acknowledgment: the section on this stream was decoded.
    SectionAcknowledgment { stream: u64 },
    /// §4.4.2 Stream Cancellation: the stream was reset before its section was decoded.
    StreamCancellation { stream: u64 },
    /// §4.4.3 Insert Count Increment: this many more inserts were received.
    InsertCountIncrement { increment: usize },
}

impl EncoderInstruction {
    /// One line in the RFC's words.
    pub fn describe(&self) -> String {
        match self {
            EncoderInstruction::SetCapacity { capacity } => format!("Set Dynamic Table Capacity = {capacity}"),
            EncoderInstruction::InsertWithNameReference {
                source,
                index,
                name,
                value,
            } => format!(
                "Insert With Name Reference, {} {index} ({name}: {value})",
                if *source == Source::Static {
                    "static index"
                } else {
                    "relative index"
                }
            ),
            EncoderInstruction::InsertWithLiteralName { name, value } => {
                format!("Insert With Literal Name ({name}: {value})")
            }
            EncoderInstruction::Duplicate { index, name, value } => {
                format!("Duplicate, relative index {index} ({name}: {value})")
            }
        }
    }
}

impl DecoderInstruction {
    /// One line in the RFC's words.
    pub fn describe(&self) -> String {
        match self {
            DecoderInstruction::SectionAcknowledgment { stream } => format!("Section Acknowledgment (stream {stream})"),
            DecoderInstruction::StreamCancellation { stream } => format!("Stream Cancellation (stream {stream})"),
            DecoderInstruction::InsertCountIncrement { increment } => format!("Insert Count Increment ({increment})"),
        }
    }
}

/// QPACK's integers and strings are HPACK's (RFC 9204 §4.1.1-4.1.2): the same reader, its
/// errors in QPACK's words.
impl From<Cut> for QpackError {
    fn from(e: Cut) -> QpackError {
        match e {
            Cut::Truncated(what) => QpackError::Truncated(what),
            Cut::IntegerOverflow(what) => QpackError::IntegerOverflow(what),
            Cut::BadHuffman => QpackError::BadHuffman,
        }
    }
}

/// One side's QPACK decoder: the dynamic table the peer's encoder stream builds.
#[derive(Debug, Clone)]
pub struct Decoder {
    /// Entries oldest first; the oldest has absolute index `inserted - table.len()`.
    table: VecDeque<(String, String)>,
    /// Inserts so far (the Insert Count, §3.2.4).
    inserted: usize,
    size: usize,
    capacity: usize,
    /// The capacity this side announced (SETTINGS_QPACK_MAX_TABLE_CAPACITY, §3.2.3).
    max_capacity: usize,
}

impl Decoder {
    /// A decoder that announced `max_capacity` octets of dynamic table; the table starts at 0.
    pub fn new(max_capacity: usize) -> Decoder {
        Decoder {
            table: VecDeque::new(),
            inserted: 0,
            size: 0,
            capacity: 0,
            max_capacity,
        }
    }

    /// The dynamic table, oldest first, as (absolute index, name, value).
    pub fn table(&self) -> Vec<(usize, String, String)> {
        let first = self.inserted - self.table.len();
        self.table
            .iter()
            .enumerate()
            .map(|(i, (n, v))| (first + i, n.clone(), v.clone()))
            .collect()
    }

    /// The dynamic table's size in octets (§3.2.1: name + value + 32 per entry).
    pub fn size(&self) -> usize {
        self.size
    }

    /// Inserts received so far.
    pub fn insert_count(&self) -> usize {
        self.inserted
    }

    fn dynamic(&self, absolute: usize) -> Result<(String, String), QpackError> {
        absolute
            .checked_sub(self.inserted - self.table.len())
            .and_then(|i| self.table.get(i))
            .cloned()
            .ok_or(QpackError::BadDynamicIndex(absolute))
    }

    fn insert(&mut self, name: String, value: String) -> Result<(), QpackError> {
        let size = entry_size(&name, &value);
        if size > self.capacity {
            return Err(QpackError::EntryTooLarge(size, self.capacity));
        }
        self.evict_to(self.capacity - size);
        self.table.push_back((name, value));
        self.size += size;
        self.inserted += 1;
        Ok(())
    }

    fn evict_to(&mut self, limit: usize) {
        while self.size > limit {
            let Some((n, v)) = self.table.pop_front() else { break };
            self.size -= entry_size(&n, &v);
        }
    }

    /// Applies the bytes of an encoder stream (after its stream type), returning what they said.
    /// Instructions before an error stay applied.
    pub fn encoder_stream(&mut self, bytes: &[u8]) -> Result<Vec<EncoderInstruction>, QpackError> {
        let mut input = Input { bytes, at: 0 };
        let mut said = Vec::new();
        while !input.done() {
            let first = input.byte("an encoder instruction")?;
            let instruction = if first & 0x80 != 0 {
                let static_table = first & 0x40 != 0;
                let index = input.integer(first, 6, "a name index")?;
                let name = if static_table {
                    static_entry(index)?.0.to_string()
                } else {
                    let absolute = self.relative(index)?;
                    self.dynamic(absolute)?.0
                };
                let (value, _) = input.string("a value")?;
                self.insert(name.clone(), value.clone())?;
                let source = if static_table { Source::Static } else { Source::Dynamic };
                EncoderInstruction::InsertWithNameReference {
                    source,
                    index,
                    name,
                    value,
                }
            } else if first & 0x40 != 0 {
                let (name, _) = input.string_after(first, 5, "a name")?;
                let (value, _) = input.string("a value")?;
                self.insert(name.clone(), value.clone())?;
                EncoderInstruction::InsertWithLiteralName { name, value }
            } else if first & 0x20 != 0 {
                let capacity = input.integer(first, 5, "a capacity")?;
                if capacity > self.max_capacity {
                    return Err(QpackError::CapacityTooLarge(capacity, self.max_capacity));
                }
                self.capacity = capacity;
                self.evict_to(capacity);
                EncoderInstruction::SetCapacity { capacity }
            } else {
                let index = input.integer(first, 5, "a duplicate index")?;
                let (name, value) = self.dynamic(self.relative(index)?)?;
                self.insert(name.clone(), value.clone())?;
                EncoderInstruction::Duplicate { index, name, value }
            };
            said.push(instruction);
        }
        Ok(said)
    }

    /// An encoder-stream relative index as an absolute one (§3.2.5: Insert Count - index - 1).
    fn relative(&self, index: usize) -> Result<usize, QpackError> {
        self.inserted
            .checked_sub(index + 1)
            .ok_or(QpackError::BadDynamicIndex(index))
    }

    /// The Required Insert Count from its encoded form (§4.5.1.1).
    fn required_insert_count(&self, encoded: usize) -> Result<usize, QpackError> {
        if encoded == 0 {
            return Ok(0);
        }
        let max_entries = self.max_capacity / 32;
        let full_range = 2 * max_entries;
        if encoded > full_range {
            return Err(QpackError::BadInsertCount(encoded));
        }
        let max_value = self.inserted + max_entries;
        let max_wrapped = (max_value / full_range) * full_range;
        let mut count = max_wrapped + encoded - 1;
        if count > max_value {
            if count <= full_range {
                return Err(QpackError::BadInsertCount(encoded));
            }
            count -= full_range;
        }
        if count == 0 {
            return Err(QpackError::BadInsertCount(encoded));
        }
        Ok(count)
    }

    /// Decodes one field section (a HEADERS frame's payload).
    pub fn section(&self, block: &[u8]) -> Result<Section, QpackError> {
        let mut input = Input { bytes: block, at: 0 };
        let first = input.byte("the Required Insert Count")?;
        let encoded = input.integer(first, 8, "the Required Insert Count")?;
        let ric = self.required_insert_count(encoded)?;
        let first = input.byte("the Base")?;
        let delta = input.integer(first, 7, "the Delta Base")?;
        let base = if first & 0x80 == 0 {
            ric + delta
        } else {
            ric.checked_sub(delta + 1).ok_or(QpackError::BadBase(ric, delta))?
        };
        if ric > self.inserted {
            return Err(QpackError::Blocked(ric, self.inserted));
        }
        // A dynamic reference must fall below the Required Insert Count (§2.2.3).
        let dynamic = |absolute: usize| -> Result<(String, String), QpackError> {
            if absolute >= ric {
                return Err(QpackError::BeyondInsertCount(absolute, ric));
            }
            self.dynamic(absolute)
        };
        let relative = |index: usize| base.checked_sub(index + 1).ok_or(QpackError::BadDynamicIndex(index));
        let post_base = |index: usize| base.checked_add(index).ok_or(QpackError::BadDynamicIndex(index));
        let mut fields = Vec::new();
        let mut total = 0usize;
        while !input.done() {
            let start = input.at;
            let first = input.byte("a field line")?;
            let field = if first & 0x80 != 0 {
                // §4.5.2 Indexed Field Line: T picks the static table, else relative to Base.
                let index = input.integer(first, 6, "an index")?;
                if first & 0x40 != 0 {
                    let (n, v) = static_entry(index)?;
                    line(n.into(), v.into(), "indexed", Source::Static, index, false)
                } else {
                    let absolute = relative(index)?;
                    let (n, v) = dynamic(absolute)?;
                    line(n, v, "indexed", Source::Dynamic, absolute, false)
                }
            } else if first & 0xf0 == 0x10 {
                // §4.5.3 Indexed Field Line with Post-Base Index.
                let index = input.integer(first, 4, "a post-base index")?;
                let absolute = post_base(index)?;
                let (n, v) = dynamic(absolute)?;
                line(n, v, "indexed_post_base", Source::Dynamic, absolute, false)
            } else if first & 0xc0 == 0x40 {
                // §4.5.4 Literal Field Line with Name Reference (N: never index, T: static).
                let index = input.integer(first, 4, "a name index")?;
                let (name, source, index) = if first & 0x10 != 0 {
                    (static_entry(index)?.0.to_string(), Source::Static, index)
                } else {
                    let absolute = relative(index)?;
                    (dynamic(absolute)?.0, Source::Dynamic, absolute)
                };
                let (value, huffman) = input.string("a field value")?;
                let kind = never(first & 0x20 != 0, "literal_with_name_reference");
                line(name, value, &kind, source, index, huffman)
            } else if first & 0xf0 == 0 {
                // §4.5.5 Literal Field Line with Post-Base Name Reference (N in bit 3).
                let index = input.integer(first, 3, "a post-base name index")?;
                let absolute = post_base(index)?;
                let name = dynamic(absolute)?.0;
                let (value, huffman) = input.string("a field value")?;
                let kind = never(first & 0x08 != 0, "literal_with_post_base_name_reference");
                line(name, value, &kind, Source::Dynamic, absolute, huffman)
            } else {
                // §4.5.6 Literal Field Line with Literal Name: 001 N H, 3-bit name length.
                let (name, name_huffman) = input.string_after(first, 3, "a field name")?;
                let (value, value_huffman) = input.string("a field value")?;
                let kind = never(first & 0x10 != 0, "literal_with_literal_name");
                Field {
                    index: None,
                    ..line(name, value, &kind, Source::Literal, 0, name_huffman || value_huffman)
                }
            };
            total += field.plain_len;
            if total > MAX_LIST {
                return Err(QpackError::SectionTooLarge(MAX_LIST));
            }
            fields.push(Field {
                encoded_len: input.at - start,
                ..field
            });
        }
        Ok(Section {
            required_insert_count: ric,
            base,
            fields,
        })
    }
}

/// Decodes the bytes of a decoder stream (after its stream type).
pub fn decoder_stream(bytes: &[u8]) -> Result<Vec<DecoderInstruction>, QpackError> {
    let mut input = Input { bytes, at: 0 };
    let mut said = Vec::new();
    while !input.done() {
        let first = input.byte("a decoder instruction")?;
        said.push(if first & 0x80 != 0 {
            let stream = input.integer(first, 7, "a stream id")? as u64;
            DecoderInstruction::SectionAcknowledgment { stream }
        } else if first & 0x40 != 0 {
            let stream = input.integer(first, 6, "a stream id")? as u64;
            DecoderInstruction::StreamCancellation { stream }
        } else {
            let increment = input.integer(first, 6, "an increment")?;
            DecoderInstruction::InsertCountIncrement { increment }
        });
    }
    Ok(said)
}

fn static_entry(index: usize) -> Result<(&'static str, &'static str), QpackError> {
    STATIC_TABLE
        .get(index)
        .copied()
        .ok_or(QpackError::BadStaticIndex(index))
}

/// A literal's representation name, `_never_indexed` when its N bit asks intermediaries not to
/// put it in a dynamic table (§4.5.4, like HPACK's never-indexed literals).
fn never(n: bool, kind: &str) -> String {
    if n {
        format!("{kind}_never_indexed")
    } else {
        kind.to_string()
    }
}

fn line(name: String, value: String, representation: &str, source: Source, index: usize, huffman: bool) -> Field {
    Field {
        plain_len: name.len() + 2 + value.len(),
        name,
        value,
        representation: representation.to_string(),
        source,
        index: Some(index),
        encoded_len: 0,
        huffman,
    }
}

/// An entry's size in the dynamic table: name + value + 32 octets (§3.2.1).
fn entry_size(name: &str, value: &str) -> usize {
    name.len() + value.len() + 32
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn literal_names_huffman_and_never_indexed() {
        // 001 N=0 H=0 011 = 0x23: literal name "foo", value 0x03 "bar"; then 01 N=1 T=1 0101 =
        // 0x75: literal with static name reference 5 (cookie), never indexed, value Huffman-coded
        // "www.example.com" (the code of RFC 7541 C.4.1, which QPACK shares).
        let mut block = vec![0x00, 0x00, 0x23, b'f', b'o', b'o', 0x03, b'b', b'a', b'r', 0x75, 0x8c];
        block.extend([0xf1, 0xe3, 0xc2, 0xe5, 0xf2, 0x3a, 0x6b, 0xa0, 0xab, 0x90, 0xf4, 0xff]);
        let section = Decoder::new(0).section(&block).unwrap();
        assert_eq!((section.required_insert_count, section.base), (0, 0));
        let f = &section.fields;
        assert_eq!((f[0].name.as_str(), f[0].value.as_str()), ("foo", "bar"));
        assert_eq!(f[0].representation, "literal_with_literal_name");
        assert_eq!((f[0].source, f[0].index, f[0].encoded_len), (Source::Literal, None, 8));
        assert_eq!((f[1].name.as_str(), f[1].value.as_str()), ("cookie", "www.example.com"));
        assert_eq!(f[1].representation, "literal_with_name_reference_never_indexed");
        assert!(f[1].huffman && !f[0].huffman);
        assert_eq!((f[1].encoded_len, f[1].plain_len), (14, 23));
    }

    #[test]
    fn bad_sections_name_what_is_wrong() {
        let d = Decoder::new(0);
        assert_eq!(d.section(&[]), Err(QpackError::Truncated("the Required Insert Count")));
        assert_eq!(d.section(&[0, 0, 0xff, 0x24]), Err(QpackError::BadStaticIndex(99)));
        assert_eq!(d.section(&[0x01, 0x00]), Err(QpackError::BadInsertCount(1)));
        assert_eq!(d.section(&[0, 0, 0x80]), Err(QpackError::BadDynamicIndex(0)));
        assert_eq!(d.section(&[0, 0x80]), Err(QpackError::BadBase(0, 0)));
        let mut d = Decoder::new(100);
        assert_eq!(
            d.encoder_stream(&[0x3f, 0x46]),
            Err(QpackError::CapacityTooLarge(101, 100))
        );
        // In a table of capacity 40, an entry of 4 + 5 + 32 = 41 octets cannot be inserted.
        d.encoder_stream(&[0x3f, 0x09]).unwrap();
        assert_eq!(
            d.encoder_stream(&[0x44, b'n', b'a', b'm', b'e', 0x05, b'v', b'a', b'l', b'u', b'e']),
            Err(QpackError::EntryTooLarge(41, 40))
        );
    }

    proptest! {
        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut d = Decoder::new(4096);
            let _ = d.encoder_stream(&[0x3f, 0xe1, 0x1f]);
            let _ = d.encoder_stream(&bytes);
            let _ = d.section(&bytes);
            let _ = decoder_stream(&bytes);
            prop_assert!(d.size() <= 4096);
        }
    }
}
