//! The prefix encoding of withdrawn routes and NLRI, for the families whose prefixes are decoded.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::Reader;

#[derive(Clone, Copy)]
pub(super) enum Family {
    V4,
    V6,
}

pub(super) fn family(afi: u16, safi: u8) -> Option<Family> {
    match (afi, safi) {
        (1, 1 | 2) => Some(Family::V4),
        (2, 1 | 2) => Some(Family::V6),
        _ => None,
    }
}

/// Prefixes in the encoding of RFC 4271 §4.3 (and RFC 4760 §5 for other families): a length
/// in bits, then just enough octets to hold that many bits.
pub(super) fn prefixes(b: &[u8], family: Family) -> Result<Vec<String>, String> {
    let max = match family {
        Family::V4 => 32,
        Family::V6 => 128,
    };
    let mut r = Reader(b);
    let mut out = Vec::new();
    while let Some(bits) = r.u8() {
        if bits > max {
            return Err(format!("prefix length {bits} > {max}"));
        }
        let n = usize::from(bits).div_ceil(8);
        let octets = r
            .take(n)
            .ok_or(format!("a /{bits} prefix needs {n} octets, the field ends first"))?;
        let mut addr = [0u8; 16];
        addr[..n].copy_from_slice(octets);
        out.push(match family {
            Family::V4 => format!("{}/{bits}", Ipv4Addr::new(addr[0], addr[1], addr[2], addr[3])),
            Family::V6 => format!("{}/{bits}", Ipv6Addr::from(addr)),
        });
    }
    Ok(out)
}
