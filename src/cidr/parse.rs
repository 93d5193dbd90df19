//! Parsing CIDR prefixes and addresses typed by a person, with errors that name the bad token.
//!
//! A prefix is written `ADDRESS/LENGTH` (RFC 4632 §3.1), e.g. `10.0.0.0/8` or `2001:db8::/32`.
//! Also accepted: a dotted netmask instead of a length (`10.0.0.0/255.0.0.0`), and a bare address,
//! which stands for a single-address prefix (/32 or /128). Host bits set in the address
//! (`10.1.2.3/8`) are accepted and cleared; the result says so, so the caller can teach it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// A prefix as the user wrote it, after parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedPrefix {
    /// The canonical network: host bits cleared.
    pub net: IpNet,
    /// The address exactly as written before the slash.
    pub written: IpAddr,
    /// Whether a length was written (a bare address is a /32 or /128).
    pub had_length: bool,
}

impl ParsedPrefix {
    /// True when the written address had host bits set (`10.1.2.3/8` rather than `10.0.0.0/8`).
    pub fn is_canonical(&self) -> bool {
        self.net.addr() == self.written
    }
}

/// Why a token is not a prefix or an address. `Display` is the "why" part of a one-line error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("'{0}' is empty")]
    Empty(String),
    #[error("'{token}' is not an IPv4 or IPv6 address{detail}")]
    NotAnAddress { token: String, detail: String },
    #[error("'{token}' has a leading zero in '{octet}', which some tools read as octal")]
    LeadingZero { token: String, octet: String },
    #[error("'{0}' is not a prefix length (a number after the '/')")]
    NotALength(String),
    #[error("prefix length {len} is too long for {family} (0-{max})")]
    LengthTooLong { len: String, family: &'static str, max: u8 },
    #[error("netmask {0} is not contiguous (all ones must come before all zeros)")]
    NonContiguousMask(String),
    #[error("'{0}' carries a zone index (%...), which a prefix cannot have")]
    ZoneIndex(String),
}

impl ParseError {
    /// What the user can do about it: the "(...)" part of a one-line error.
    pub fn hint(&self) -> &'static str {
        match self {
            ParseError::Empty(_) => "write a prefix such as 10.0.0.0/8 or 2001:db8::/32",
            ParseError::NotAnAddress { .. } => {
                "write four numbers 0-255 separated by dots, or an IPv6 address such as 2001:db8::1"
            }
            ParseError::LeadingZero { .. } => "drop the leading zeros",
            ParseError::NotALength(_) => "write the prefix length as a number, e.g. /24",
            ParseError::LengthTooLong { .. } => "IPv4 lengths go up to 32, IPv6 up to 128",
            ParseError::NonContiguousMask(_) => "use a prefix length such as /24 instead",
            ParseError::ZoneIndex(_) => "drop the %zone part",
        }
    }
}

/// Parses an IPv4 or IPv6 address. IPv6 may be written in brackets (`[2001:db8::1]`).
pub fn parse_addr(token: &str) -> Result<IpAddr, ParseError> {
    let t = token.trim();
    if t.is_empty() {
        return Err(ParseError::Empty(token.to_string()));
    }
    let unbracketed = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')).unwrap_or(t);
    if unbracketed.contains('%') {
        return Err(ParseError::ZoneIndex(t.to_string()));
    }
    if let Ok(v6) = unbracketed.parse::<Ipv6Addr>() {
        return Ok(IpAddr::V6(v6));
    }
    if let Ok(v4) = unbracketed.parse::<Ipv4Addr>() {
        return Ok(IpAddr::V4(v4));
    }
    Err(explain_bad_address(t))
}

/// Finds the most helpful reason why `t` is not an address.
fn explain_bad_address(t: &str) -> ParseError {
    let looks_v4 = !t.contains(':') && t.contains('.');
    if looks_v4 {
        let octets: Vec<&str> = t.split('.').collect();
        if octets.len() != 4 {
            return ParseError::NotAnAddress {
                token: t.to_string(),
                detail: format!(": IPv4 has 4 numbers, this has {}", octets.len()),
            };
        }
        for octet in &octets {
            if octet.len() > 1 && octet.starts_with('0') && octet.bytes().all(|b| b.is_ascii_digit()) {
                return ParseError::LeadingZero {
                    token: t.to_string(),
                    octet: octet.to_string(),
                };
            }
            match octet.parse::<u32>() {
                Ok(n) if n > 255 => {
                    return ParseError::NotAnAddress {
                        token: t.to_string(),
                        detail: format!(": {n} is more than 255"),
                    }
                }
                Ok(_) => {}
                Err(_) => {
                    return ParseError::NotAnAddress {
                        token: t.to_string(),
                        detail: format!(": '{octet}' is not a number 0-255"),
                    }
                }
            }
        }
    }
    ParseError::NotAnAddress {
        token: t.to_string(),
        detail: String::new(),
    }
}

/// Parses `ADDRESS/LENGTH`, `ADDRESS/NETMASK` or a bare `ADDRESS`.
pub fn parse_prefix(token: &str) -> Result<ParsedPrefix, ParseError> {
    let t = token.trim();
    if t.is_empty() {
        return Err(ParseError::Empty(token.to_string()));
    }
    let (addr_part, len_part) = match t.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (t, None),
    };
    let written = parse_addr(addr_part)?;
    let max = match written {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    };
    let len = match len_part {
        None => max,
        Some(l) => parse_length(l, written)?,
    };
    let net = match written {
        IpAddr::V4(a) => IpNet::V4(Ipv4Net::new(a, len).expect("length checked").trunc()),
        IpAddr::V6(a) => IpNet::V6(Ipv6Net::new(a, len).expect("length checked").trunc()),
    };
    Ok(ParsedPrefix {
        net,
        written,
        had_length: len_part.is_some(),
    })
}

/// Parses what follows the '/': a decimal length, or (IPv4) a dotted netmask.
fn parse_length(l: &str, written: IpAddr) -> Result<u8, ParseError> {
    let (family, max) = match written {
        IpAddr::V4(_) => ("IPv4", 32u8),
        IpAddr::V6(_) => ("IPv6", 128u8),
    };
    if l.contains('.') && written.is_ipv4() {
        let mask: Ipv4Addr = l.parse().map_err(|_| ParseError::NotALength(l.to_string()))?;
        let bits = u32::from(mask);
        let ones = bits.leading_ones();
        if bits.checked_shl(ones).unwrap_or(0) != 0 {
            return Err(ParseError::NonContiguousMask(l.to_string()));
        }
        return Ok(ones as u8);
    }
    if l.is_empty() || l.len() > 3 || !l.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::NotALength(l.to_string()));
    }
    let n: u16 = l.parse().map_err(|_| ParseError::NotALength(l.to_string()))?;
    if n > u16::from(max) {
        return Err(ParseError::LengthTooLong {
            len: l.to_string(),
            family,
            max,
        });
    }
    Ok(n as u8)
}

/// The address as a number: IPv4 in the low 32 bits.
pub fn addr_to_u128(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_and_non_canonical() {
        let p = parse_prefix("10.1.2.3/8").unwrap();
        assert_eq!(p.net.to_string(), "10.0.0.0/8");
        assert!(!p.is_canonical());
        assert!(parse_prefix("10.0.0.0/8").unwrap().is_canonical());
        assert_eq!(parse_prefix("2001:db8::1/32").unwrap().net.to_string(), "2001:db8::/32");
    }

    #[test]
    fn netmask_and_bare_address() {
        assert_eq!(parse_prefix("192.168.1.0/255.255.255.0").unwrap().net.prefix_len(), 24);
        let bare = parse_prefix("192.0.2.7").unwrap();
        assert_eq!(bare.net.to_string(), "192.0.2.7/32");
        assert!(!bare.had_length);
        assert_eq!(parse_prefix("::1").unwrap().net.prefix_len(), 128);
        assert_eq!(parse_prefix("10.0.0.0/08").unwrap().net.prefix_len(), 8);
    }

    #[test]
    fn errors_name_the_bad_part() {
        let cases = [
            ("10.0.0.0/33", "prefix length 33 is too long for IPv4 (0-32)"),
            ("::/129", "prefix length 129 is too long for IPv6 (0-128)"),
            (
                "10.0.0/8",
                "'10.0.0' is not an IPv4 or IPv6 address: IPv4 has 4 numbers, this has 3",
            ),
            (
                "10.0.0.256/8",
                "'10.0.0.256' is not an IPv4 or IPv6 address: 256 is more than 255",
            ),
            (
                "010.0.0.0/8",
                "'010.0.0.0' has a leading zero in '010', which some tools read as octal",
            ),
            ("10.0.0.0/x", "'x' is not a prefix length (a number after the '/')"),
            ("10.0.0.0/", "'' is not a prefix length (a number after the '/')"),
            ("10.0.0.0/-1", "'-1' is not a prefix length (a number after the '/')"),
            (
                "10.0.0.0/255.0.255.0",
                "netmask 255.0.255.0 is not contiguous (all ones must come before all zeros)",
            ),
            (
                "fe80::1%eth0/64",
                "'fe80::1%eth0' carries a zone index (%...), which a prefix cannot have",
            ),
            ("", "'' is empty"),
            ("hello", "'hello' is not an IPv4 or IPv6 address"),
        ];
        for (input, want) in cases {
            assert_eq!(parse_prefix(input).unwrap_err().to_string(), want, "input {input:?}");
        }
    }

    #[test]
    fn bracketed_ipv6_address() {
        assert_eq!(parse_addr("[2001:db8::1]").unwrap().to_string(), "2001:db8::1");
    }
}
