//! Is an address inside a CIDR block? (netlab's reference solution)

use std::net::IpAddr;

/// Why a block or an address could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CidrError {
    /// The block is not `ADDRESS/LENGTH` with a length the family allows.
    BadBlock(String),
    /// The candidate is not an IPv4 or IPv6 address.
    BadAddress(String),
}

/// Whether `addr` is inside `block`: `(addr AND mask) == (network AND mask)`.
pub fn contains(block: &str, addr: &str) -> Result<bool, CidrError> {
    let bad_block = || CidrError::BadBlock(block.to_string());
    let (network, length) = block.split_once('/').ok_or_else(bad_block)?;
    let network: IpAddr = network.parse().map_err(|_| bad_block())?;
    if length.is_empty() || length.len() > 3 || !length.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_block());
    }
    let length: u32 = length.parse().map_err(|_| bad_block())?;
    let addr: IpAddr = addr.parse().map_err(|_| CidrError::BadAddress(addr.to_string()))?;
    match (network, addr) {
        (IpAddr::V4(n), IpAddr::V4(a)) if length <= 32 => {
            // A shift by the full width overflows: /0's mask is all zeros, written out.
            let mask = u32::MAX.checked_shl(32 - length).unwrap_or(0);
            Ok(u32::from(n) & mask == u32::from(a) & mask)
        }
        (IpAddr::V6(n), IpAddr::V6(a)) if length <= 128 => {
            let mask = u128::MAX.checked_shl(128 - length).unwrap_or(0);
            Ok(u128::from(n) & mask == u128::from(a) & mask)
        }
        (IpAddr::V4(_), _) if length > 32 => Err(bad_block()),
        (IpAddr::V6(_), _) if length > 128 => Err(bad_block()),
        _ => Ok(false),
    }
}
