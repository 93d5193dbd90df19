//! Is an address inside a CIDR block? A deliberately wrong solution, the classic one: the
//! mask is `u32::MAX << (32 - length)`, which overflows for /0 (a shift by the full width),
//! and it never checks the length against the family.

use std::net::IpAddr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CidrError {
    BadBlock(String),
    BadAddress(String),
}

pub fn contains(block: &str, addr: &str) -> Result<bool, CidrError> {
    let bad_block = || CidrError::BadBlock(block.to_string());
    let (network, length) = block.split_once('/').ok_or_else(bad_block)?;
    let network: IpAddr = network.parse().map_err(|_| bad_block())?;
    let length: u32 = length.parse().map_err(|_| bad_block())?;
    let addr: IpAddr = addr.parse().map_err(|_| CidrError::BadAddress(addr.to_string()))?;
    match (network, addr) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let mask = u32::MAX << (32 - length);
            Ok(u32::from(n) & mask == u32::from(a) & mask)
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let mask = u128::MAX << (128 - length);
            Ok(u128::from(n) & mask == u128::from(a) & mask)
        }
        _ => Ok(false),
    }
}
