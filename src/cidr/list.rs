//! Reading lists of prefixes and ranges from files or standard input, one per line.
//!
//! `#` starts a comment (to the end of the line); blank lines are skipped. A bad line is an
//! error naming the source, the line number and the bad token.

use std::io::BufRead;

use ipnet::IpNet;

use super::parse::{parse_addr, parse_prefix, ParseError, ParsedPrefix};
use super::span::{Family, Span};
use crate::error::{Error, Result};

/// Maximum length of a list line; a longer one is an error rather than an allocation.
pub const MAX_LIST_LINE: usize = 4096;

/// One entry of a ranges file: a prefix, or a range `FIRST-LAST` of addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeEntry {
    pub family: Family,
    pub span: Span,
}

/// Calls `each` with (line number, content without comment) for every non-blank line.
fn for_each_line(
    reader: &mut dyn BufRead,
    source_name: &str,
    mut each: impl FnMut(u64, &str) -> Result<()>,
) -> Result<()> {
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    loop {
        buf.clear();
        let n = std::io::Read::take(&mut *reader, MAX_LIST_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| Error::io(source_name, e))?;
        if n == 0 {
            return Ok(());
        }
        line_no += 1;
        if buf.len() > MAX_LIST_LINE && !buf.ends_with(b"\n") {
            return Err(input_error(
                source_name,
                line_no,
                format!("line is longer than {MAX_LIST_LINE} bytes"),
                "one prefix per line",
            ));
        }
        let text = String::from_utf8_lossy(&buf);
        let content = text.split('#').next().unwrap_or("").trim();
        if !content.is_empty() {
            each(line_no, content)?;
        }
    }
}

fn input_error(source_name: &str, line: u64, why: String, hint: &str) -> Error {
    Error::Input {
        source_name: source_name.to_string(),
        line,
        why,
        hint: hint.to_string(),
    }
}

fn parse_error(source_name: &str, line: u64, e: &ParseError) -> Error {
    input_error(source_name, line, e.to_string(), e.hint())
}

/// Reads one prefix per line: (line number, parsed prefix).
pub fn read_prefixes(reader: &mut dyn BufRead, source_name: &str) -> Result<Vec<(u64, ParsedPrefix)>> {
    let mut out = Vec::new();
    for_each_line(reader, source_name, |line, content| {
        let p = parse_prefix(content).map_err(|e| parse_error(source_name, line, &e))?;
        out.push((line, p));
        Ok(())
    })?;
    Ok(out)
}

/// Parses one ranges-file entry: `PREFIX`, `ADDRESS` or `FIRST-LAST` (spaces allowed around '-').
pub fn parse_range(text: &str) -> std::result::Result<RangeEntry, ParseError> {
    if let Some((a, b)) = text.split_once('-') {
        let (first, last) = (parse_addr(a)?, parse_addr(b)?);
        let family = Family::of_addr(&first);
        let (lo, hi) = (super::parse::addr_to_u128(first), super::parse::addr_to_u128(last));
        if family != Family::of_addr(&last) || lo > hi {
            return Err(ParseError::NotAnAddress {
                token: text.trim().to_string(),
                detail: ": a range needs FIRST-LAST of one family with FIRST <= LAST".to_string(),
            });
        }
        return Ok(RangeEntry {
            family,
            span: Span { lo, hi },
        });
    }
    let p = parse_prefix(text)?;
    Ok(RangeEntry {
        family: Family::of_net(&p.net),
        span: Span::of_net(&p.net),
    })
}

/// Reads a ranges file: prefixes, addresses and `FIRST-LAST` ranges, one per line.
pub fn read_ranges(reader: &mut dyn BufRead, source_name: &str) -> Result<Vec<RangeEntry>> {
    let mut out = Vec::new();
    for_each_line(reader, source_name, |line, content| {
        out.push(parse_range(content).map_err(|e| parse_error(source_name, line, &e))?);
        Ok(())
    })?;
    Ok(out)
}

/// Canonical networks of parsed entries.
pub fn nets(entries: &[(u64, ParsedPrefix)]) -> Vec<IpNet> {
    entries.iter().map(|(_, p)| p.net).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_blanks_and_line_numbers() {
        let text = "# office\n10.0.0.0/8  # all of it\n\n192.168.1.0/24\n";
        let got = read_prefixes(&mut text.as_bytes(), "list.txt").unwrap();
        assert_eq!(
            got.iter().map(|(l, p)| (*l, p.net.to_string())).collect::<Vec<_>>(),
            [(2, "10.0.0.0/8".to_string()), (4, "192.168.1.0/24".to_string())]
        );
    }

    #[test]
    fn bad_line_names_file_line_and_token() {
        let err = read_prefixes(&mut "10.0.0.0/8\n10.0.0.0/40\n".as_bytes(), "list.txt").unwrap_err();
        assert_eq!(err.one_line(), "netlab: list.txt:2: prefix length 40 is too long for IPv4 (0-32) (IPv4 lengths go up to 32, IPv6 up to 128)");
    }

    #[test]
    fn overlong_line_is_an_error_not_an_allocation() {
        let long = "1".repeat(MAX_LIST_LINE * 4);
        let err = read_prefixes(&mut long.as_bytes(), "-").unwrap_err();
        assert!(err.one_line().contains("longer than 4096 bytes"));
    }

    #[test]
    fn ranges_accept_prefix_address_and_first_last() {
        let text = "10.0.0.0/8\n192.0.2.1\n198.51.100.10 - 198.51.100.20\n2001:db8::-2001:db8::ff\n";
        let got = read_ranges(&mut text.as_bytes(), "r").unwrap();
        assert_eq!(got.len(), 4);
        assert_eq!(got[2].span.hi - got[2].span.lo, 10);
        assert!(read_ranges(&mut "10.0.0.9-10.0.0.1\n".as_bytes(), "r").is_err());
        assert!(read_ranges(&mut "10.0.0.1-::1\n".as_bytes(), "r").is_err());
    }
}
