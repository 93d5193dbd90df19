//! Address ranges as numbers: the arithmetic behind aggregate, exclude and match.
//!
//! A prefix `N/L` covers the closed range `[N, N + 2^(W-L) - 1]` where W is 32 (IPv4) or
//! 128 (IPv6). Union and subtraction are done on ranges; turning a range back into the fewest
//! prefixes is the greedy split into aligned power-of-two blocks (RFC 4632 §3.1), which ipnet's
//! `Ipv4Subnets`/`Ipv6Subnets` iterators do.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Subnets, Ipv6Subnets};

/// Address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    pub fn of_net(net: &IpNet) -> Family {
        match net {
            IpNet::V4(_) => Family::V4,
            IpNet::V6(_) => Family::V6,
        }
    }

    pub fn of_addr(addr: &IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }

    /// Address width in bits.
    pub fn bits(self) -> u8 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }
}

/// A closed range `[lo, hi]` of addresses of one family, as numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    pub lo: u128,
    pub hi: u128,
}

impl Span {
    /// The range a prefix covers.
    pub fn of_net(net: &IpNet) -> Span {
        let (lo, host_bits) = match net {
            IpNet::V4(n) => (u128::from(u32::from(n.network())), 32 - n.prefix_len()),
            IpNet::V6(n) => (u128::from(n.network()), 128 - n.prefix_len()),
        };
        Span {
            lo,
            hi: lo | low_ones(host_bits),
        }
    }

    /// Number of addresses, as a decimal string (2^128 does not fit a u128).
    pub fn size_string(&self) -> String {
        count_string(self.hi - self.lo, 1)
    }
}

/// A number with the low `n` bits set (n may be 0..=128).
pub fn low_ones(n: u8) -> u128 {
    if n >= 128 {
        u128::MAX
    } else {
        (1u128 << n) - 1
    }
}

/// `a + b` in decimal, exact even past u128::MAX (used for 2^128 = u128::MAX + 1).
pub fn count_string(a: u128, b: u128) -> String {
    match a.checked_add(b) {
        Some(n) => n.to_string(),
        None => {
            // Only u128::MAX + 1 = 2^128 reaches here in practice; add in decimal.
            let overflow = a.wrapping_add(b);
            add_decimal("340282366920938463463374607431768211456", &overflow.to_string())
        }
    }
}

/// Adds two non-negative decimal strings.
fn add_decimal(x: &str, y: &str) -> String {
    let (xs, ys) = (x.as_bytes(), y.as_bytes());
    let mut out = Vec::with_capacity(xs.len().max(ys.len()) + 1);
    let (mut i, mut j, mut carry) = (xs.len(), ys.len(), 0u8);
    while i > 0 || j > 0 || carry > 0 {
        let mut d = carry;
        if i > 0 {
            i -= 1;
            d += xs[i] - b'0';
        }
        if j > 0 {
            j -= 1;
            d += ys[j] - b'0';
        }
        out.push(b'0' + d % 10);
        carry = d / 10;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Sorts and merges ranges; adjacent ranges (`hi + 1 == lo`) are merged too.
pub fn union(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_unstable();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans {
        match out.last_mut() {
            Some(last) if s.lo <= last.hi.saturating_add(1) => last.hi = last.hi.max(s.hi),
            _ => out.push(s),
        }
    }
    out
}

/// `a` minus `b`, both sorted and merged (as [`union`] returns them).
pub fn subtract(a: &[Span], b: &[Span]) -> Vec<Span> {
    let mut out = Vec::new();
    let mut j = 0;
    for &s in a {
        let mut lo = s.lo;
        let mut open = true;
        while j < b.len() && b[j].hi < lo {
            j += 1;
        }
        let mut k = j;
        while k < b.len() && b[k].lo <= s.hi {
            if b[k].lo > lo {
                out.push(Span { lo, hi: b[k].lo - 1 });
            }
            if b[k].hi >= s.hi {
                open = false;
                break;
            }
            lo = b[k].hi + 1;
            k += 1;
        }
        if open {
            out.push(Span { lo, hi: s.hi });
        }
    }
    out
}

/// The fewest prefixes that cover exactly `span`.
pub fn span_to_nets(family: Family, span: Span) -> Vec<IpNet> {
    match family {
        Family::V4 => Ipv4Subnets::new(Ipv4Addr::from(span.lo as u32), Ipv4Addr::from(span.hi as u32), 0)
            .map(IpNet::V4)
            .collect(),
        Family::V6 => Ipv6Subnets::new(Ipv6Addr::from(span.lo), Ipv6Addr::from(span.hi), 0)
            .map(IpNet::V6)
            .collect(),
    }
}

/// Splits prefixes by family into merged ranges: (IPv4 ranges, IPv6 ranges).
pub fn spans_by_family(nets: &[IpNet]) -> (Vec<Span>, Vec<Span>) {
    let (mut v4, mut v6) = (Vec::new(), Vec::new());
    for net in nets {
        match Family::of_net(net) {
            Family::V4 => v4.push(Span::of_net(net)),
            Family::V6 => v6.push(Span::of_net(net)),
        }
    }
    (union(v4), union(v6))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(lo: u128, hi: u128) -> Span {
        Span { lo, hi }
    }

    #[test]
    fn union_merges_overlapping_and_adjacent() {
        assert_eq!(
            union(vec![s(5, 9), s(0, 3), s(4, 4), s(20, 30), s(25, 26)]),
            vec![s(0, 9), s(20, 30)]
        );
        assert_eq!(union(vec![s(0, u128::MAX), s(3, 4)]), vec![s(0, u128::MAX)]);
    }

    #[test]
    fn subtract_cuts_holes_and_edges() {
        let a = vec![s(0, 100), s(200, 300)];
        let b = vec![s(0, 9), s(50, 60), s(95, 210), s(300, 400)];
        assert_eq!(subtract(&a, &b), vec![s(10, 49), s(61, 94), s(211, 299)]);
        assert_eq!(subtract(&a, &[]), a);
        assert_eq!(subtract(&a, &[s(0, u128::MAX)]), vec![]);
    }

    #[test]
    fn two_to_the_128_is_exact() {
        assert_eq!(s(0, u128::MAX).size_string(), "340282366920938463463374607431768211456");
        assert_eq!(s(10, 10).size_string(), "1");
    }

    #[test]
    fn span_to_nets_is_minimal() {
        let nets = span_to_nets(Family::V4, s(1, 6));
        let text: Vec<String> = nets.iter().map(|n| n.to_string()).collect();
        assert_eq!(text, ["0.0.0.1/32", "0.0.0.2/31", "0.0.0.4/31", "0.0.0.6/32"]);
    }
}
