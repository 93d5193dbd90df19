//! Is an address inside a CIDR block?
//!
//! A block such as `192.168.0.0/16` is a network address and a prefix length: the first 16
//! bits are the network, the rest are the hosts. An address is inside when its first 16 bits
//! equal the network's, that is when `(address AND mask) == (network AND mask)`, the mask being
//! 16 one-bits followed by zeros (RFC 4632 §3.1 for IPv4; RFC 4291 §2.3 for IPv6's 128 bits).
//!
//! Write `contains`; `cargo test` runs the same checks `netlab lab check 07-rate-limiting
//! --exercise cidr-contains` runs. The standard library is all you need (`std::net`).

/// Why a block or an address could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CidrError {
    /// The block is not `ADDRESS/LENGTH` with a length the family allows (0..=32 for IPv4,
    /// 0..=128 for IPv6): `10.0.0.0`, `10.0.0.0/33`, `10.0.0.0/x`.
    BadBlock(String),
    /// The candidate is not an IPv4 or IPv6 address.
    BadAddress(String),
}

/// Whether `addr` is inside `block` (`"10.0.0.0/8"`, `"2001:db8::/32"`).
///
/// - Host bits set in the block are ignored, as routers and `ipnet` do: `10.1.2.3/8` is
///   the block `10.0.0.0/8`.
/// - `/0` holds every address of its family; `/32` (IPv4) and `/128` (IPv6) hold one.
/// - An address of the other family is never inside (`::ffff:10.0.0.1` is not in
///   `10.0.0.0/8`: it is an IPv6 address).
/// - Anything that does not parse is an error, never a panic.
pub fn contains(block: &str, addr: &str) -> Result<bool, CidrError> {
    let _ = (block, addr);
    todo!("parse the block and the address, build the mask, compare")
}
