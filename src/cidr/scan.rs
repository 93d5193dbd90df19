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
//! bytes, so the scan jumps (memchr) to the next such byte and looks only just before it.

use memchr::{memchr, memchr2};


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
const DOT: u8 = 16;
const COLON: u8 = 32;
const TRIGGER_BOTH: u8 = DOT | COLON;

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
            k |= FIELD6 | COLON;
        }
        if c == b'.' {
            k |= DOT;
        }
        t[b] = k;
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
    #[inline]
    pub fn scan(&self, line: &[u8], mut on_found: impl FnMut(Found) -> bool) -> bool {
        let triggers = if self.v4 { DOT } else { 0 } | if self.v6 { COLON } else { 0 };
        if triggers == 0 {
            return false;
        }
        let mut p = 0;
        while p < line.len() {
            let rest = &line[p..];
            let next = match triggers {
                TRIGGER_BOTH => memchr2(b'.', b':', rest),
                DOT => memchr(b'.', rest),
                _ => memchr(b':', rest),
            };
            let Some(offset) = next else { return false };
            let q = p + offset;
            let mut r = p.max(q.saturating_sub(4));
            p = q + 1;
            while r <= q {
                if self.v4 && ipv4_hint(line, r) {
                    let len = field_len(line, r, FIELD4);
                    if let Some(a) = parse_ipv4(&line[r..r + len]) {
                        if on_found(Found::V4(a)) {
                            return true;
                        }
                    }
                    p = r + len;
                    break;
                }
                if self.v6 && ipv6_hint(line, r) {
                    let len = field_len(line, r, FIELD6);
                    if let Some(a) = parse_ipv6(&line[r..r + len]) {
                        if on_found(Found::V6(a)) {
                            return true;
                        }
                    }
                    p = r + len;
                    break;
                }
                r += 1;
            }
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

/// A digit with a `.` one to three bytes later.
#[inline(always)]
fn ipv4_hint(line: &[u8], p: usize) -> bool {
    class(line, p) & DIGIT != 0
        && (byte(line, p + 1) == b'.' || byte(line, p + 2) == b'.' || byte(line, p + 3) == b'.')
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

#[inline(always)]
fn field_len(line: &[u8], p: usize, kind: u8) -> usize {
    line[p..]
        .iter()
        .position(|&b| CLASS[b as usize] & kind == 0)
        .unwrap_or(line.len() - p)
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
        if let Some(d) = (c as char).to_digit(16) {
            if digits == 4 {
                return None;
            }
            val = (val << 4) | d;
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
    fn ipv4_parser_is_strict() {
        assert_eq!(parse_ipv4(b"0.0.0.0"), Some(0));
        assert_eq!(parse_ipv4(b"255.255.255.255"), Some(u32::MAX));
        for bad in ["1.2.3", "1.2.3.4.", ".1.2.3", "1..2.3", "1.2.3.04", "1.2.3.256", "1.2.3.4 ", ""] {
            assert_eq!(parse_ipv4(bad.as_bytes()), None, "{bad:?}");
        }
    }

    #[test]
    fn ipv6_parser_agrees_with_std_on_valid_forms() {
        for ok in ["::", "::1", "1::", "2001:db8::1", "1:2:3:4:5:6:7:8", "::ffff:1.2.3.4", "64:ff9b::192.0.2.33", "1:2:3:4:5:6:1.2.3.4", "ABCD::ef"] {
            let want = u128::from(ok.parse::<Ipv6Addr>().unwrap());
            let got = if ok == "::" { Some(0) } else { parse_ipv6(ok.as_bytes()) };
            assert_eq!(got, Some(want), "{ok}");
        }
        for bad in [":1", "1:", "1:::2", "12345::", "1:2:3:4:5:6:7:8:9", "::1.2.3", "1:2:3:4:5:6:7:1.2.3.4", "g::"] {
            assert_eq!(parse_ipv6(bad.as_bytes()), None, "{bad:?}");
        }
    }
}
