//! Finding IP addresses in free text, the way grepcidr 2.0 does, so `netlab cidr match` prints
//! the same lines on ordinary logs.
//!
//! The rules (grepcidr 2.0's `scan_with_hints`, with glibc's `inet_pton` as the parser):
//! - Walk the line byte by byte. A *hint* is a place where an address may start:
//!   IPv4: a digit followed by a `.` within the next three bytes;
//!   IPv6: `::` followed by a hex digit, or one to four hex digits followed by `:`.
//! - At a hint, the *field* runs as far as letters, digits and `.` go (IPv6 also `:`). The field
//!   is an address when the whole of it parses as one: IPv4 as exactly four decimal numbers
//!   0-255 without leading zeros (`inet_pton`), IPv6 as RFC 4291 §2.2 text with at most one
//!   `::` and an optional dotted IPv4 tail. Either way the scan then resumes after the field.
//! - So `1.2.3.4:80`, `[2001:db8::1]:443`, `ip=10.0.0.1,` and `x10.0.0.1` contain addresses, while
//!   `1.2.3.4.` (a full stop after it), `1.2.3.4a`, `01.2.3.4` and `1.2.3.4.5` do not.
//! - Only families that have patterns are looked for: with IPv4 patterns alone,
//!   `::ffff:10.1.2.3` is scanned as text and `10.1.2.3` inside it is found as IPv4; with IPv6
//!   patterns it is one IPv4-mapped IPv6 address.
//!
//! The speed comes from not visiting most bytes: every hint needs a `.` or `:` within four
//! bytes, so the scan jumps to the next such byte and looks only just before it.

/// An address found in text, as a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    V4(u32),
    V6(u128),
}

const DIGIT: u8 = 1;
const HEX: u8 = 2;
const FIELD4: u8 = 4; // letters, digits, '.'
const FIELD6: u8 = 8; // letters, digits, '.', ':'

/// Byte classes, indexed by byte.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let mut k = 0;
        if c.is_ascii_digit() {
            k |= DIGIT;
        }
        if c.is_ascii_hexdigit() {
            k |= HEX;
        }
        if c.is_ascii_alphanumeric() || c == b'.' {
            k |= FIELD4 | FIELD6;
        }
        if c == b':' {
            k |= FIELD6;
        }
        t[b] = k;
        b += 1;
    }
    t
};

const NOT_HEX: u8 = 0xff;

/// The value of each hex digit byte, [`NOT_HEX`] for every other byte.
static HEX_VALUE: [u8; 256] = {
    let mut t = [NOT_HEX; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => NOT_HEX,
        };
        b += 1;
    }
    t
};

#[inline(always)]
fn class(line: &[u8], i: usize) -> u8 {
    match line.get(i) {
        Some(&b) => CLASS[b as usize],
        None => 0,
    }
}

#[inline(always)]
fn byte(line: &[u8], i: usize) -> u8 {
    line.get(i).copied().unwrap_or(0)
}

/// Which families to look for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scanner {
    pub v4: bool,
    pub v6: bool,
}

impl Scanner {
    /// Calls `on_found` for each address in `line`, in order, until it returns true.
    /// Returns whether it did.
    ///
    /// Equivalent to visiting every position as grepcidr does (see `reference_scan` in the
    /// tests), but it only looks where a hint can be: let `q` be the next `.` or `:` at or after
    /// the scan position `p`. No position before `q - 4` can hint (its window holds neither).
    /// - `q` is a `.`: no IPv6 hint can fire before `q` (it needs a `:` after a run of hex
    ///   digits, and there is none before `q`), so the hint is the first digit in `q-3..q`.
    /// - `q` is a `:`: let `s` start the run of (at most four) hex digits just before `q`. No
    ///   position before `s` can hint; at `s` the IPv4 hint fires if a `.` follows within three
    ///   bytes (only possible just after `q`), and otherwise the IPv6 hint does. With no hex
    ///   run, only `::` followed by a hex digit at `q` itself hints.
    #[inline]
    pub fn scan(&self, line: &[u8], mut on_found: impl FnMut(Found) -> bool) -> bool {
        if !self.v4 && !self.v6 {
            return false;
        }
        let mut p = 0;
        while p < line.len() {
            let Some(q) = next_trigger(line, p, self.v4, self.v6) else {
                return false;
            };
            let hint = if line[q] == b'.' {
                (q.saturating_sub(3).max(p)..q)
                    .find(|&r| line[r].is_ascii_digit())
                    .map(|r| (r, true))
            } else {
                let mut s = q;
                while s > p && q - s < 4 && line[s - 1].is_ascii_hexdigit() {
                    s -= 1;
                }
                if s < q {
                    Some((s, self.v4 && ipv4_hint(line, s)))
                } else {
                    ipv6_hint(line, q).then_some((q, false))
                }
            };
            let Some((r, is_v4)) = hint else {
                p = q + 1;
                continue;
            };
            let (len, found) = if is_v4 {
                let len = field_len(line, r, FIELD4);
                (len, parse_ipv4(&line[r..r + len]).map(Found::V4))
            } else {
                let len = field_len(line, r, FIELD6);
                (len, parse_ipv6(&line[r..r + len]).map(Found::V6))
            };
            if let Some(f) = found {
                if on_found(f) {
                    return true;
                }
            }
            p = r + len;
        }
        false
    }

    /// The first address in `line`, if any.
    pub fn first(&self, line: &[u8]) -> Option<Found> {
        let mut found = None;
        self.scan(line, |f| {
            found = Some(f);
            true
        });
        found
    }
}

/// Eight copies of a byte.
const fn splat(b: u8) -> u64 {
    u64::from_le_bytes([b; 8])
}

/// The high bit of each byte of `w` that equals `b`; the lowest set bit is exact (the classic
/// "has zero byte" test, whose borrows only disturb bytes above the first match).
#[inline(always)]
fn bytes_equal(w: u64, b: u8) -> u64 {
    let x = w ^ splat(b);
    x.wrapping_sub(splat(0x01)) & !x & splat(0x80)
}

/// The position of the next `.` (when `v4`) or `:` (when `v6`) at or after `from`. Looks at
/// eight bytes at a time: triggers are a dozen bytes apart in a log line, too close for a
/// vectorised search to pay for its set-up.
#[inline(always)]
fn next_trigger(line: &[u8], from: usize, v4: bool, v6: bool) -> Option<usize> {
    let dot = if v4 { b'.' } else { b':' };
    let colon = if v6 { b':' } else { b'.' };
    let mut i = from;
    while let Some(chunk) = line.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().ok()?);
        let hits = bytes_equal(w, dot) | bytes_equal(w, colon);
        if hits != 0 {
            return Some(i + (hits.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    line[i.min(line.len())..]
        .iter()
        .position(|&b| b == dot || b == colon)
        .map(|k| i + k)
}

/// A digit with a `.` one to three bytes later.
#[inline(always)]
fn ipv4_hint(line: &[u8], p: usize) -> bool {
    class(line, p) & DIGIT != 0 && (byte(line, p + 1) == b'.' || byte(line, p + 2) == b'.' || byte(line, p + 3) == b'.')
}

/// `::` and a hex digit, or one to four hex digits and a `:`.
#[inline(always)]
fn ipv6_hint(line: &[u8], p: usize) -> bool {
    if byte(line, p) == b':' {
        return byte(line, p + 1) == b':' && class(line, p + 2) & HEX != 0;
    }
    for k in 0..4 {
        if class(line, p + k) & HEX == 0 {
            return false;
        }
        if byte(line, p + k + 1) == b':' {
            return true;
        }
    }
    false
}

/// How far the field starting at `p` runs: bytes of class `kind` ([`FIELD4`] or [`FIELD6`]).
/// Eight bytes at a time, without a branch per byte (the field's end is where the byte loop
/// mispredicted).
#[inline(always)]
fn field_len(line: &[u8], p: usize, kind: u8) -> usize {
    let colon = kind == FIELD6;
    let mut i = p;
    while let Some(chunk) = line.get(i..i + 8) {
        let w = u64::from_le_bytes([
            chunk[0], chunk[1], chunk[2], chunk[3], chunk[4], chunk[5], chunk[6], chunk[7],
        ]);
        let stop = not_field(w, colon);
        if stop != 0 {
            return i - p + (stop.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i - p
        + line[i..]
            .iter()
            .position(|&b| CLASS[b as usize] & kind == 0)
            .unwrap_or(line.len() - i)
}

/// The high bit of each byte of `w` that is not a field byte: not an ASCII letter, digit or
/// `.` (nor `:` when `colon`). Each byte is tested on its low seven bits, so no carry crosses
/// into the next byte; bytes 0x80 and above are never field bytes.
#[inline(always)]
fn not_field(w: u64, colon: bool) -> u64 {
    const HIGH: u64 = splat(0x80);
    let x = w & !HIGH;
    // x in lo..=hi: x + (0x80 - lo) has the high bit, x + (0x7f - hi) has not.
    let digit_hi = if colon { b':' } else { b'9' };
    let digit = (x + splat(0x80 - b'0')) & !(x + splat(0x7f - digit_hi));
    let lower = x | splat(0x20);
    let letter = (lower + splat(0x80 - b'a')) & !(lower + splat(0x7f - b'z'));
    let dot = !((x ^ splat(b'.')) + splat(0x7f));
    let field = (digit | letter | dot) & !w & HIGH;
    !field & HIGH
}

/// Dotted-quad IPv4, strictly: four decimal numbers 0-255, no leading zeros, nothing else
/// (glibc `inet_pton(AF_INET)`; RFC 6943 §3.1.1 on why looser forms are dangerous).
pub fn parse_ipv4(s: &[u8]) -> Option<u32> {
    if s.len() > 15 {
        return None;
    }
    let mut value: u32 = 0;
    let mut octet: u32 = 0;
    let mut digits = 0;
    let mut octets = 0;
    for &c in s {
        if c.is_ascii_digit() {
            if digits > 0 && octet == 0 {
                return None; // leading zero
            }
            octet = octet * 10 + u32::from(c - b'0');
            if octet > 255 {
                return None;
            }
            if digits == 0 {
                octets += 1;
                if octets > 4 {
                    return None;
                }
            }
            digits += 1;
        } else if c == b'.' && digits > 0 {
            if octets == 4 {
                return None;
            }
            value = (value << 8) | octet;
            octet = 0;
            digits = 0;
        } else {
            return None;
        }
    }
    if octets < 4 || digits == 0 {
        return None;
    }
    Some((value << 8) | octet)
}

/// IPv6 text form (RFC 4291 §2.2), strictly as glibc `inet_pton(AF_INET6)` reads it: groups of
/// one to four hex digits, at most one `::` (which must stand for at least one group), and an
/// optional dotted IPv4 tail in the last 32 bits.
pub fn parse_ipv6(s: &[u8]) -> Option<u128> {
    if s.is_empty() || s.len() > 45 {
        return None;
    }
    // Without `::` an address is eight groups, or six and an IPv4 tail: at least 15 bytes
    // (0:0:0:0:0:0:0:0). A log's times (2026:06:12:34) end here.
    if s.len() < 15 && !s.windows(2).any(|w| w == b"::") {
        return None;
    }
    let mut groups = [0u16; 8];
    let mut n = 0usize; // groups written
    let mut gap: Option<usize> = None; // where '::' stands
    let mut i = 0;
    if s[0] == b':' {
        if s.get(1) != Some(&b':') {
            return None;
        }
        i = 1;
    }
    let mut token_start = i;
    let mut val: u32 = 0;
    let mut digits = 0;
    while i < s.len() {
        let c = s[i];
        i += 1;
        let d = HEX_VALUE[c as usize];
        if d != NOT_HEX {
            if digits == 4 {
                return None;
            }
            val = (val << 4) | u32::from(d);
            digits += 1;
            continue;
        }
        if c == b':' {
            token_start = i;
            if digits == 0 {
                if gap.is_some() {
                    return None;
                }
                gap = Some(n);
                continue;
            }
            if i == s.len() || n == 8 {
                return None;
            }
            groups[n] = val as u16;
            n += 1;
            val = 0;
            digits = 0;
            continue;
        }
        if c == b'.' && n + 2 <= 8 {
            let v4 = parse_ipv4(&s[token_start..])?;
            groups[n] = (v4 >> 16) as u16;
            groups[n + 1] = v4 as u16;
            n += 2;
            digits = 0;
            break;
        }
        return None;
    }
    if digits > 0 {
        if n == 8 {
            return None;
        }
        groups[n] = val as u16;
        n += 1;
    }
    let mut out = [0u16; 8];
    match gap {
        Some(at) => {
            if n == 8 {
                return None;
            }
            let tail = n - at;
            out[..at].copy_from_slice(&groups[..at]);
            out[8 - tail..].copy_from_slice(&groups[at..n]);
        }
        None if n == 8 => out = groups,
        None => return None,
    }
    Some(out.iter().fold(0u128, |acc, &g| (acc << 16) | u128::from(g)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn all(scanner: Scanner, line: &str) -> Vec<String> {
        let mut out = Vec::new();
        scanner.scan(line.as_bytes(), |f| {
            out.push(match f {
                Found::V4(a) => Ipv4Addr::from(a).to_string(),
                Found::V6(a) => Ipv6Addr::from(a).to_string(),
            });
            false
        });
        out
    }

    /// grepcidr 2.0's `scan_with_hints`, position by position: the oracle for [`Scanner::scan`].
    fn reference_scan(scanner: Scanner, line: &[u8]) -> Vec<Found> {
        let mut out = Vec::new();
        let mut p = 0;
        while p < line.len() {
            if scanner.v4 && ipv4_hint(line, p) {
                let len = field_len(line, p, FIELD4);
                out.extend(parse_ipv4(&line[p..p + len]).map(Found::V4));
                p += len;
                continue;
            }
            if scanner.v6 && ipv6_hint(line, p) {
                let len = field_len(line, p, FIELD6);
                out.extend(parse_ipv6(&line[p..p + len]).map(Found::V6));
                p += len;
                continue;
            }
            p += 1;
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn field_len_equals_the_byte_loop(line in proptest::collection::vec(proptest::num::u8::ANY, 0..40), from in 0usize..40) {
            let p = from.min(line.len());
            for kind in [FIELD4, FIELD6] {
                let want = line[p..].iter().position(|&b| CLASS[b as usize] & kind == 0).unwrap_or(line.len() - p);
                proptest::prop_assert_eq!(field_len(&line, p, kind), want, "kind {}", kind);
            }
        }

        #[test]
        fn fast_scan_equals_reference(line in "[0-9a-fA-Fxz.: /\\[\\]-]{0,60}", v4 in proptest::bool::ANY, v6 in proptest::bool::ANY) {
            let scanner = Scanner { v4, v6 };
            let mut fast = Vec::new();
            scanner.scan(line.as_bytes(), |f| { fast.push(f); false });
            proptest::prop_assert_eq!(fast, reference_scan(scanner, line.as_bytes()));
        }

        #[test]
        fn fast_scan_equals_reference_on_address_like_text(parts in proptest::collection::vec("(1?[0-9]{1,2}|2[0-5][0-9]|[0-9a-f]{1,4}|::?|\\.|x|/| )", 0..30)) {
            let line = parts.concat();
            for (v4, v6) in [(true, true), (true, false), (false, true)] {
                let scanner = Scanner { v4, v6 };
                let mut fast = Vec::new();
                scanner.scan(line.as_bytes(), |f| { fast.push(f); false });
                proptest::prop_assert_eq!(fast, reference_scan(scanner, line.as_bytes()), "line {:?} v4 {} v6 {}", line, v4, v6);
            }
        }
    }

    const BOTH: Scanner = Scanner { v4: true, v6: true };
    const V4: Scanner = Scanner { v4: true, v6: false };

    #[test]
    fn finds_what_grepcidr_finds() {
        let cases: &[(&str, &[&str])] = &[
            ("1.2.3.4:80", &["1.2.3.4"]),
            ("[2001:db8::1]:443", &["2001:db8::1"]),
            ("ip=10.0.0.1, peer 192.168.1.20", &["10.0.0.1", "192.168.1.20"]),
            ("x10.0.0.1 end", &["10.0.0.1"]),
            ("sentence ends with 10.0.0.1.", &[]),
            ("1.2.3.4a 01.2.3.4 1.2.3.4.5 256.1.1.1", &[]),
            ("10/Oct/2000:13:55:36 -0700", &[]),
            ("::ffff:10.1.2.3", &["::ffff:10.1.2.3"]),
            ("fe80::1%eth0", &["fe80::1"]),
            ("a::b::c 1:2:3:4:5:6:7:8:9", &[]),
            ("1:2:3:4:5:6:7::8", &[]),
            ("::", &[]),
            ("gw ::1 up", &["::1"]),
        ];
        for (line, want) in cases {
            assert_eq!(all(BOTH, line), *want, "line {line:?}");
        }
    }

    #[test]
    fn only_families_with_patterns_are_scanned() {
        assert_eq!(all(V4, "::ffff:10.1.2.3"), ["10.1.2.3"]);
        assert_eq!(all(Scanner { v4: false, v6: true }, "10.1.2.3 ::1"), ["::1"]);
    }

    #[test]
    fn next_trigger_finds_the_first_at_every_offset() {
        let line = b"abcdefgh.ijklmnopqrstuvwx:yz.";
        for from in 0..=line.len() {
            let want = line[from..]
                .iter()
                .position(|&b| b == b'.' || b == b':')
                .map(|k| from + k);
            assert_eq!(next_trigger(line, from, true, true), want, "from {from}");
            let want4 = line[from..].iter().position(|&b| b == b'.').map(|k| from + k);
            assert_eq!(next_trigger(line, from, true, false), want4, "from {from}");
            let want6 = line[from..].iter().position(|&b| b == b':').map(|k| from + k);
            assert_eq!(next_trigger(line, from, false, true), want6, "from {from}");
        }
        // Bytes 0x80 and above, and a match above another, must not confuse the bit trick.
        assert_eq!(next_trigger(b"\xff\x01..", 0, true, false), Some(2));
        assert_eq!(
            next_trigger(b"\x2f\x2d\x00\x01\x2e\x3a\x00\x00\x00", 0, true, true),
            Some(4)
        );
    }

    #[test]
    fn ipv4_parser_is_strict() {
        assert_eq!(parse_ipv4(b"0.0.0.0"), Some(0));
        assert_eq!(parse_ipv4(b"255.255.255.255"), Some(u32::MAX));
        for bad in [
            "1.2.3",
            "1.2.3.4.",
            ".1.2.3",
            "1..2.3",
            "1.2.3.04",
            "1.2.3.256",
            "1.2.3.4 ",
            "",
        ] {
            assert_eq!(parse_ipv4(bad.as_bytes()), None, "{bad:?}");
        }
    }

    #[test]
    fn ipv6_parser_agrees_with_std_on_valid_forms() {
        for ok in [
            "::",
            "::1",
            "1::",
            "2001:db8::1",
            "1:2:3:4:5:6:7:8",
            "::ffff:1.2.3.4",
            "64:ff9b::192.0.2.33",
            "1:2:3:4:5:6:1.2.3.4",
            "ABCD::ef",
        ] {
            let want = u128::from(ok.parse::<Ipv6Addr>().unwrap());
            let got = if ok == "::" { Some(0) } else { parse_ipv6(ok.as_bytes()) };
            assert_eq!(got, Some(want), "{ok}");
        }
        for bad in [
            ":1",
            "1:",
            "1:::2",
            "12345::",
            "1:2:3:4:5:6:7:8:9",
            "::1.2.3",
            "1:2:3:4:5:6:7:1.2.3.4",
            "g::",
        ] {
            assert_eq!(parse_ipv6(bad.as_bytes()), None, "{bad:?}");
        }
    }
}
