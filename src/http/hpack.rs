//! HPACK, HTTP/2's header compression (RFC 7541), decoded so that every field says how it
//! travelled: as an index into the static table (61 common fields, Appendix A), as an index into
//! the dynamic table (fields this connection sent before), or as a literal, Huffman-coded or not.
//! That is what makes the second request on a connection so much smaller than the first.
//!
//! Huffman-coded strings are decoded with the `hpack` crate's decoder (Appendix B's code).
//!
//! Header blocks come from the network: every length is checked against the bytes left, integers
//! are bounded, and the decoded list and the dynamic table have size limits.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// RFC 7541 Appendix A: the static table, index 1..=61.
pub const STATIC_TABLE: [(&str, &str); 61] = [
    (":authority", ""),
    (":method", "GET"),
    (":method", "POST"),
    (":path", "/"),
    (":path", "/index.html"),
    (":scheme", "http"),
    (":scheme", "https"),
    (":status", "200"),
    (":status", "204"),
    (":status", "206"),
    (":status", "304"),
    (":status", "400"),
    (":status", "404"),
    (":status", "500"),
    ("accept-charset", ""),
    ("accept-encoding", "gzip, deflate"),
    ("accept-language", ""),
    ("accept-ranges", ""),
    ("accept", ""),
    ("access-control-allow-origin", ""),
    ("age", ""),
    ("allow", ""),
    ("authorization", ""),
    ("cache-control", ""),
    ("content-disposition", ""),
    ("content-encoding", ""),
    ("content-language", ""),
    ("content-length", ""),
    ("content-location", ""),
    ("content-range", ""),
    ("content-type", ""),
    ("cookie", ""),
    ("date", ""),
    ("etag", ""),
    ("expect", ""),
    ("expires", ""),
    ("from", ""),
    ("host", ""),
    ("if-match", ""),
    ("if-modified-since", ""),
    ("if-none-match", ""),
    ("if-range", ""),
    ("if-unmodified-since", ""),
    ("last-modified", ""),
    ("link", ""),
    ("location", ""),
    ("max-forwards", ""),
    ("proxy-authenticate", ""),
    ("proxy-authorization", ""),
    ("range", ""),
    ("referer", ""),
    ("refresh", ""),
    ("retry-after", ""),
    ("server", ""),
    ("set-cookie", ""),
    ("strict-transport-security", ""),
    ("transfer-encoding", ""),
    ("user-agent", ""),
    ("vary", ""),
    ("via", ""),
    ("www-authenticate", ""),
];

/// Why a header block could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HpackError {
    #[error("header block ends inside {0}")]
    Truncated(&'static str),
    #[error("integer too large in {0}")]
    IntegerOverflow(&'static str),
    #[error("index {0} is in neither the static nor the dynamic table")]
    BadIndex(usize),
    #[error("invalid Huffman code in a string")]
    BadHuffman,
    #[error("dynamic table size update to {0} is above the allowed {1}")]
    TableSizeTooLarge(usize, usize),
    #[error("decoded header list exceeds {0} octets")]
    ListTooLarge(usize),
}

/// Where a field's name or whole field came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Static,
    Dynamic,
    Literal,
}

/// How one field was represented (RFC 7541 §6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    pub value: String,
    /// `indexed` (one index names name and value, §6.1), `incremental` (literal, added to the
    /// dynamic table, §6.2.1), `without_indexing` (§6.2.2) or `never_indexed` (§6.2.3).
    pub representation: String,
    /// Where the name came from; for `indexed` fields, the whole field.
    pub source: Source,
    /// The table index used, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// Octets this field took in the block.
    pub encoded_len: usize,
    /// Octets as plain text (`name: value`), to compare.
    pub plain_len: usize,
    /// A literal was Huffman-coded (§5.2).
    pub huffman: bool,
}

/// The largest decoded header list accepted (like SETTINGS_MAX_HEADER_LIST_SIZE).
pub const MAX_LIST: usize = 256 * 1024;

/// One side's decoder: its dynamic table persists across the header blocks of a connection.
#[derive(Debug, Clone)]
pub struct Decoder {
    table: VecDeque<(String, String)>,
    size: usize,
    max_size: usize,
    /// The limit the peer announced (SETTINGS_HEADER_TABLE_SIZE); size updates may not exceed it.
    allowed: usize,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new(4096)
    }
}

/// A cursor over HPACK (and QPACK, RFC 9204 §4.1) bytes: prefixed integers and string
/// literals.
pub(super) struct Input<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) at: usize,
}

/// Why the cursor stopped: the bytes ended, an integer overflowed, or a Huffman code was bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cut {
    Truncated(&'static str),
    IntegerOverflow(&'static str),
    BadHuffman,
}

impl From<Cut> for HpackError {
    fn from(e: Cut) -> HpackError {
        match e {
            Cut::Truncated(what) => HpackError::Truncated(what),
            Cut::IntegerOverflow(what) => HpackError::IntegerOverflow(what),
            Cut::BadHuffman => HpackError::BadHuffman,
        }
    }
}

impl Input<'_> {
    pub(super) fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }

    pub(super) fn byte(&mut self, what: &'static str) -> Result<u8, Cut> {
        let b = *self.bytes.get(self.at).ok_or(Cut::Truncated(what))?;
        self.at += 1;
        Ok(b)
    }

    /// An integer with an N-bit prefix (§5.1); `first` is the octet holding the prefix.
    pub(super) fn integer(&mut self, first: u8, prefix_bits: u8, what: &'static str) -> Result<usize, Cut> {
        let max_prefix = (1usize << prefix_bits) - 1;
        let mut value = usize::from(first) & max_prefix;
        if value < max_prefix {
            return Ok(value);
        }
        // Continuation octets carry 7 bits each; four are plenty for any sane length (2^28).
        for shift in (0..28).step_by(7) {
            let b = self.byte(what)?;
            value += usize::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(Cut::IntegerOverflow(what))
    }

    /// A string literal (§5.2): H bit, 7-bit-prefix length, octets (Huffman-coded if H).
    pub(super) fn string(&mut self, what: &'static str) -> Result<(String, bool), Cut> {
        let first = self.byte(what)?;
        self.string_after(first, 7, what)
    }

    /// A string literal whose H bit sits just above an N-bit length prefix in `first` (QPACK's
    /// names share their first octet with the instruction, RFC 9204 §4.1.2).
    pub(super) fn string_after(
        &mut self,
        first: u8,
        prefix_bits: u8,
        what: &'static str,
    ) -> Result<(String, bool), Cut> {
        let huffman = first & (1 << prefix_bits) != 0;
        let len = self.integer(first, prefix_bits, what)?;
        let end = self
            .at
            .checked_add(len)
            .filter(|e| *e <= self.bytes.len())
            .ok_or(Cut::Truncated(what))?;
        let raw = &self.bytes[self.at..end];
        self.at = end;
        let bytes = if huffman {
            huffman_decode(raw).map_err(|_| Cut::BadHuffman)?
        } else {
            raw.to_vec()
        };
        Ok((String::from_utf8_lossy(&bytes).into_owned(), huffman))
    }
}

impl Decoder {
    /// A decoder whose table may grow to `max_size` octets (SETTINGS_HEADER_TABLE_SIZE).
    pub fn new(max_size: usize) -> Decoder {
        Decoder {
            table: VecDeque::new(),
            size: 0,
            max_size,
            allowed: max_size,
        }
    }

    /// The dynamic table, newest first (dynamic index 62 first), with each entry's size.
    pub fn table(&self) -> Vec<(String, String, usize)> {
        self.table
            .iter()
            .map(|(n, v)| (n.clone(), v.clone(), entry_size(n, v)))
            .collect()
    }

    /// The dynamic table's size in octets (§4.1: name + value + 32 per entry).
    pub fn size(&self) -> usize {
        self.size
    }

    fn lookup(&self, index: usize) -> Result<(String, String, Source), HpackError> {
        if let Some((n, v)) = index.checked_sub(1).and_then(|i| STATIC_TABLE.get(i)) {
            return Ok((n.to_string(), v.to_string(), Source::Static));
        }
        index
            .checked_sub(STATIC_TABLE.len() + 1)
            .and_then(|i| self.table.get(i))
            .map(|(n, v)| (n.clone(), v.clone(), Source::Dynamic))
            .ok_or(HpackError::BadIndex(index))
    }

    fn insert(&mut self, name: &str, value: &str) {
        let size = entry_size(name, value);
        self.evict_to(self.max_size.saturating_sub(size));
        // An entry larger than the whole table empties it and is not added (§4.4).
        if size <= self.max_size {
            self.table.push_front((name.to_string(), value.to_string()));
            self.size += size;
        }
    }

    fn evict_to(&mut self, limit: usize) {
        while self.size > limit {
            let Some((n, v)) = self.table.pop_back() else { break };
            self.size -= entry_size(&n, &v);
        }
    }

    /// Decodes one header block, updating the dynamic table.
    pub fn decode(&mut self, block: &[u8]) -> Result<Vec<Field>, HpackError> {
        let mut input = Input { bytes: block, at: 0 };
        let mut fields = Vec::new();
        let mut total = 0usize;
        while input.at < block.len() {
            let start = input.at;
            let first = input.byte("a field")?;
            let field = if first & 0x80 != 0 {
                // §6.1 Indexed Header Field: one index names the whole field.
                let index = input.integer(first, 7, "an index")?;
                let (name, value, source) = self.lookup(index)?;
                Field::new(name, value, "indexed", source, Some(index), false)
            } else if first & 0xe0 == 0x20 {
                // §6.3 Dynamic Table Size Update.
                let size = input.integer(first, 5, "a table size update")?;
                if size > self.allowed {
                    return Err(HpackError::TableSizeTooLarge(size, self.allowed));
                }
                self.max_size = size;
                self.evict_to(size);
                continue;
            } else {
                let (prefix, representation) = match first {
                    f if f & 0xc0 == 0x40 => (6, "incremental"),
                    f if f & 0xf0 == 0x10 => (4, "never_indexed"),
                    _ => (4, "without_indexing"),
                };
                let name_index = input.integer(first, prefix, "a name index")?;
                let (name, source, name_huffman) = if name_index == 0 {
                    let (n, h) = input.string("a field name")?;
                    (n, Source::Literal, h)
                } else {
                    let (n, _, s) = self.lookup(name_index)?;
                    (n, s, false)
                };
                let (value, value_huffman) = input.string("a field value")?;
                if representation == "incremental" {
                    self.insert(&name, &value);
                }
                let index = (name_index > 0).then_some(name_index);
                Field::new(
                    name,
                    value,
                    representation,
                    source,
                    index,
                    name_huffman || value_huffman,
                )
            };
            total += field.plain_len;
            if total > MAX_LIST {
                return Err(HpackError::ListTooLarge(MAX_LIST));
            }
            fields.push(Field {
                encoded_len: input.at - start,
                ..field
            });
        }
        Ok(fields)
    }
}

impl Field {
    fn new(
        name: String,
        value: String,
        representation: &str,
        source: Source,
        index: Option<usize>,
        huffman: bool,
    ) -> Field {
        Field {
            plain_len: name.len() + 2 + value.len(),
            name,
            value,
            representation: representation.to_string(),
            source,
            index,
            encoded_len: 0,
            huffman,
        }
    }
}

/// Decodes a Huffman-coded string (RFC 7541 §5.2, Appendix B; QPACK uses the same code).
pub fn huffman_decode(raw: &[u8]) -> Result<Vec<u8>, HpackError> {
    hpack::huffman::HuffmanDecoder::new()
        .decode(raw)
        .map_err(|_| HpackError::BadHuffman)
}

/// An entry's size in the dynamic table: name + value + 32 octets of overhead (§4.1).
fn entry_size(name: &str, value: &str) -> usize {
    name.len() + value.len() + 32
}
