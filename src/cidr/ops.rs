//! Pure CIDR computations: each returns the event data the trace records, and teaching notes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use super::events::{Aggregate, Exclude, FamilyCount, Info, Membership, Overlap, OverlapPair, Split};
use super::parse::{addr_to_u128, ParsedPrefix};
use super::span::{self, count_string, low_ones, Family, Span};
use super::special;
use crate::trace::Note;

/// Formats a number as an address of `family`.
pub fn addr_string(family: Family, n: u128) -> String {
    match family {
        Family::V4 => Ipv4Addr::from(n as u32).to_string(),
        Family::V6 => Ipv6Addr::from(n).to_string(),
    }
}

/// The netmask of a prefix length, as a number.
pub fn mask_bits(family: Family, len: u8) -> u128 {
    let width = family.bits();
    low_ones(width) & !low_ones(width - len)
}

/// Is `candidate` (an address, or a whole prefix) inside `network`?
///
/// RFC 4632 §3.1: an address belongs to a prefix when `address AND mask == network`. A prefix
/// is inside another when it is at least as long and its network address passes that test.
pub fn membership(network: &IpNet, candidate: &ParsedPrefix) -> Membership {
    let family = Family::of_net(network);
    let net_num = addr_to_u128(network.network());
    let mask = mask_bits(family, network.prefix_len());
    let cand_addr = candidate.net.network();
    let mut m = Membership {
        network: network.to_string(),
        candidate: if candidate.had_length {
            candidate.net.to_string()
        } else {
            candidate.written.to_string()
        },
        address: cand_addr.to_string(),
        mask: addr_string(family, mask),
        masked: None,
        inside: false,
        reason: String::new(),
        first_differing_bit: None,
    };
    if Family::of_addr(&cand_addr) != family {
        m.reason = format!(
            "{} is {}, the network is {}",
            m.candidate,
            Family::of_addr(&cand_addr).name(),
            family.name()
        );
        return m;
    }
    let cand_num = addr_to_u128(cand_addr);
    let masked = cand_num & mask;
    m.masked = Some(addr_string(family, masked));
    let diff = masked ^ net_num;
    if diff != 0 {
        let width = family.bits();
        let highest = 127 - diff.leading_zeros() as u8; // bit index from the least significant
        m.first_differing_bit = Some(width - 1 - highest);
        m.reason = "address AND mask differs from the network".to_string();
    } else if candidate.net.prefix_len() < network.prefix_len() {
        m.reason = format!(
            "/{} is shorter than /{}: the candidate is larger than the network",
            candidate.net.prefix_len(),
            network.prefix_len()
        );
    } else {
        m.inside = true;
        m.reason = "address AND mask equals the network".to_string();
    }
    m
}

/// Notes for a membership test.
pub fn membership_notes(m: &Membership, candidate: &ParsedPrefix) -> Vec<Note> {
    let mut notes = Vec::new();
    if let IpAddr::V6(v6) = candidate.written {
        if let Some(v4) = v6.to_ipv4_mapped() {
            notes.push(Note::new(
                "cidr.ipv4_mapped",
                format!("{v6} is an IPv4-mapped IPv6 address: the IPv4 address {v4} as seen by an IPv6 socket. It is compared as IPv6; test {v4} to compare it as IPv4."),
                Some("RFC 4291 §2.5.5.2"),
            ));
        }
    }
    if let Some(bit) = m.first_differing_bit {
        notes.push(Note::new(
            "cidr.first_differing_bit",
            format!("The first difference is bit {bit} (counting from 0 at the left), inside the {} network bits, so the address belongs to another network.", m.network.rsplit('/').next().unwrap_or("")),
            Some("RFC 4632 §3.1"),
        ));
    }
    notes
}

/// Everything about one prefix.
pub fn info(input: &str, parsed: &ParsedPrefix) -> (Info, Vec<Note>) {
    let net = parsed.net;
    let family = Family::of_net(&net);
    let len = net.prefix_len();
    let span = Span::of_net(&net);
    let host_bits = family.bits() - len;
    let mask = mask_bits(family, len);
    let (first, last, usable) = match (family, host_bits) {
        (Family::V4, 0) => (span.lo, span.hi, "1".to_string()),
        (Family::V4, 1) => (span.lo, span.hi, "2".to_string()),
        (Family::V4, _) => (span.lo + 1, span.hi - 1, ((1u128 << host_bits) - 2).to_string()),
        (Family::V6, _) => (span.lo, span.hi, span.size_string()),
    };
    let info = Info {
        input: input.to_string(),
        network: net.to_string(),
        family: family.name().to_string(),
        prefix_len: len,
        network_address: addr_string(family, span.lo),
        netmask: addr_string(family, mask),
        wildcard: addr_string(family, low_ones(host_bits)),
        broadcast: (family == Family::V4 && host_bits >= 2).then(|| addr_string(family, span.hi)),
        first_usable: addr_string(family, first),
        last_usable: addr_string(family, last),
        addresses: span.size_string(),
        usable_hosts: usable,
        canonical: parsed.is_canonical(),
        special: special::classify(&net),
    };
    let mut notes = Vec::new();
    if !parsed.is_canonical() {
        notes.push(Note::new(
            "cidr.non_canonical",
            format!(
                "{} has host bits set; the network it names is {} (the address AND the mask).",
                input.trim(),
                net
            ),
            Some("RFC 4632 §3.1"),
        ));
    }
    notes.push(match (family, host_bits) {
        (Family::V4, 0) => Note::new("cidr.host_route", "A /32 is a single address (a host route): nothing to subtract for network or broadcast.", Some("RFC 4632 §3.1")),
        (Family::V4, 1) => Note::new("cidr.rfc3021", "A /31 has no network or broadcast address: both addresses are usable on a point-to-point link.", Some("RFC 3021 §2")),
        (Family::V4, _) => Note::new("cidr.usable_hosts", format!("2^{host_bits} addresses minus the network address (all host bits 0) and the broadcast address (all host bits 1)."), Some("RFC 919, RFC 922")),
        (Family::V6, _) => Note::new("cidr.ipv6_no_broadcast", "IPv6 has no broadcast (multicast replaces it), so every address is counted; the all-zeros one is the Subnet-Router anycast address.", Some("RFC 4291 §2.6.1")),
    });
    (info, notes)
}

/// How to split: into subnets of a given length, or into at least N equal subnets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitBy {
    Prefix(u8),
    Count(u64),
}

/// Why a split is impossible.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error("/{new} is shorter than /{len}: splitting makes longer prefixes")]
    Shorter { new: u8, len: u8 },
    #[error("/{new} is longer than {family} allows ({max})")]
    TooLong { new: u8, family: &'static str, max: u8 },
    #[error("{count} subnets would need /{need}, longer than {family} allows ({max})")]
    CountTooLarge {
        count: u64,
        need: u32,
        family: &'static str,
        max: u8,
    },
    #[error("a split into {0} subnets is empty")]
    ZeroCount(u64),
    #[error("that makes {count} subnets, more than the limit of {limit}")]
    OverLimit { count: String, limit: u64 },
}

/// Cuts `net` into equal subnets. At most `limit` subnets are produced.
pub fn split(net: &IpNet, by: SplitBy, limit: u64) -> Result<(Split, Vec<Note>), SplitError> {
    let family = Family::of_net(net);
    let len = net.prefix_len();
    let max = family.bits();
    let mut notes = Vec::new();
    let new = match by {
        SplitBy::Prefix(p) if p < len => return Err(SplitError::Shorter { new: p, len }),
        SplitBy::Prefix(p) if p > max => {
            return Err(SplitError::TooLong {
                new: p,
                family: family.name(),
                max,
            })
        }
        SplitBy::Prefix(p) => p,
        SplitBy::Count(0) => return Err(SplitError::ZeroCount(0)),
        SplitBy::Count(n) => {
            let extra = 64 - (n - 1).leading_zeros(); // ceil(log2(n))
            let need = u32::from(len) + extra;
            if need > u32::from(max) {
                return Err(SplitError::CountTooLarge {
                    count: n,
                    need,
                    family: family.name(),
                    max,
                });
            }
            if !n.is_power_of_two() {
                notes.push(Note::new(
                    "cidr.split_power_of_two",
                    format!("Equal subnets come in powers of two: {n} is not one, so this is the smallest equal split with at least {n}: {} subnets.", 1u128 << extra),
                    Some("RFC 4632 §3.1"),
                ));
            }
            need as u8
        }
    };
    let bits = new - len;
    let count = count_string(low_ones(bits), 1);
    if bits >= 64 || (1u64 << bits) > limit {
        return Err(SplitError::OverLimit { count, limit });
    }
    let subnets: Vec<String> = net
        .subnets(new)
        .map_err(|_| SplitError::TooLong {
            new,
            family: family.name(),
            max,
        })?
        .map(|s| s.to_string())
        .collect();
    notes.push(Note::new(
        "cidr.split_bits",
        format!("Borrowing {bits} host bit(s) for the subnet number gives 2^{bits} = {count} subnets of 2^{} addresses each.", max - new),
        Some("RFC 950 §2.1"),
    ));
    Ok((
        Split {
            network: net.to_string(),
            new_prefix_len: new,
            count,
            subnets,
        },
        notes,
    ))
}

/// The fewest prefixes covering exactly the union of `nets` (per family).
pub fn aggregate(nets: &[IpNet]) -> Aggregate {
    let (v4, v6) = span::spans_by_family(nets);
    let mut prefixes = Vec::new();
    for s in v4 {
        prefixes.extend(span::span_to_nets(Family::V4, s));
    }
    for s in v6 {
        prefixes.extend(span::span_to_nets(Family::V6, s));
    }
    Aggregate {
        input_count: nets.len() as u64,
        prefixes: prefixes.iter().map(ToString::to_string).collect(),
    }
}

/// Every pair of overlapping prefixes; `entries` are (line number, prefix). At most `limit`
/// pairs are listed; the rest are counted.
///
/// Sweep: sort by start address, larger prefixes first; keep a stack of the prefixes whose range
/// is still open. A prefix overlaps exactly the open prefixes that contain it.
pub fn overlap(entries: &[(u64, IpNet)], limit: usize) -> Overlap {
    let mut items: Vec<(Family, Span, u64, IpNet)> = entries
        .iter()
        .map(|(line, net)| (Family::of_net(net), Span::of_net(net), *line, *net))
        .collect();
    items.sort_by(|a, b| {
        (a.0, a.1.lo, std::cmp::Reverse(a.1.hi), a.2).cmp(&(b.0, b.1.lo, std::cmp::Reverse(b.1.hi), b.2))
    });
    let mut pairs = Vec::new();
    let mut unlisted = 0u64;
    let mut open: Vec<usize> = Vec::new();
    for (i, (family, s, line, net)) in items.iter().enumerate() {
        open.retain(|&o| items[o].0 == *family && items[o].1.hi >= s.lo);
        for &o in &open {
            if pairs.len() < limit {
                let (_, os, oline, onet) = &items[o];
                pairs.push(OverlapPair {
                    outer: onet.to_string(),
                    outer_line: *oline,
                    inner: net.to_string(),
                    inner_line: *line,
                    relation: if os == s { "equal" } else { "contains" }.to_string(),
                });
            } else {
                unlisted += 1;
            }
        }
        open.push(i);
    }
    Overlap {
        input_count: entries.len() as u64,
        pairs,
        unlisted_pairs: unlisted,
    }
}

/// The address space of `from` minus `minus`, as the fewest prefixes.
pub fn exclude(from: &[IpNet], minus: &[IpNet]) -> Exclude {
    let (f4, f6) = span::spans_by_family(from);
    let (m4, m6) = span::spans_by_family(minus);
    let mut prefixes = Vec::new();
    let mut addresses_left = Vec::new();
    for (family, f, m) in [(Family::V4, f4, m4), (Family::V6, f6, m6)] {
        if f.is_empty() {
            continue;
        }
        let left = span::subtract(&f, &m);
        let mut total: u128 = 0;
        let mut overflow = false;
        for s in &left {
            prefixes.extend(span::span_to_nets(family, *s).iter().map(ToString::to_string));
            match total.checked_add(s.hi - s.lo).and_then(|t| t.checked_add(1)) {
                Some(t) => total = t,
                None => overflow = true,
            }
        }
        addresses_left.push(FamilyCount {
            family: family.name().to_string(),
            addresses: if overflow {
                count_string(u128::MAX, 1)
            } else {
                total.to_string()
            },
        });
    }
    Exclude {
        from: from.iter().map(ToString::to_string).collect(),
        minus: minus.iter().map(ToString::to_string).collect(),
        prefixes,
        addresses_left,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cidr::parse::parse_prefix;

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    #[test]
    fn membership_in_and_out() {
        let m = membership(&net("10.0.0.0/8"), &parse_prefix("10.1.2.3").unwrap());
        assert!(m.inside);
        assert_eq!(m.masked.as_deref(), Some("10.0.0.0"));
        let m = membership(&net("10.0.0.0/8"), &parse_prefix("11.1.2.3").unwrap());
        assert!(!m.inside);
        assert_eq!(m.first_differing_bit, Some(7));
        let m = membership(&net("10.0.0.0/8"), &parse_prefix("::1").unwrap());
        assert!(!m.inside && m.masked.is_none());
        let m = membership(&net("10.0.0.0/16"), &parse_prefix("10.0.0.0/8").unwrap());
        assert!(!m.inside, "a larger prefix is not inside a smaller one");
        let m = membership(&net("2001:db8::/32"), &parse_prefix("2001:db9::1").unwrap());
        assert_eq!(m.first_differing_bit, Some(31));
    }

    #[test]
    fn info_host_counts() {
        let get = |s: &str| info(s, &parse_prefix(s).unwrap()).0;
        let i = get("192.168.1.0/24");
        assert_eq!(
            (i.first_usable.as_str(), i.last_usable.as_str(), i.usable_hosts.as_str()),
            ("192.168.1.1", "192.168.1.254", "254")
        );
        assert_eq!(i.broadcast.as_deref(), Some("192.168.1.255"));
        assert_eq!(i.wildcard, "0.0.0.255");
        let i = get("10.0.0.0/31");
        assert_eq!(
            (i.first_usable.as_str(), i.last_usable.as_str(), i.usable_hosts.as_str()),
            ("10.0.0.0", "10.0.0.1", "2")
        );
        let i = get("10.0.0.7/32");
        assert_eq!((i.addresses.as_str(), i.usable_hosts.as_str()), ("1", "1"));
        let i = get("0.0.0.0/0");
        assert_eq!(i.addresses, "4294967296");
        let i = get("::/0");
        assert_eq!(i.addresses, "340282366920938463463374607431768211456");
        assert!(i.broadcast.is_none());
        assert!(!get("10.1.2.3/8").canonical);
    }

    #[test]
    fn split_by_prefix_and_count() {
        let (s, _) = split(&net("10.0.0.0/24"), SplitBy::Prefix(26), 1000).unwrap();
        assert_eq!(
            s.subnets,
            ["10.0.0.0/26", "10.0.0.64/26", "10.0.0.128/26", "10.0.0.192/26"]
        );
        let (s, notes) = split(&net("10.0.0.0/24"), SplitBy::Count(3), 1000).unwrap();
        assert_eq!(s.new_prefix_len, 26);
        assert!(notes.iter().any(|n| n.topic == "cidr.split_power_of_two"));
        assert_eq!(
            split(&net("10.0.0.0/24"), SplitBy::Prefix(16), 10).unwrap_err(),
            SplitError::Shorter { new: 16, len: 24 }
        );
        assert!(matches!(
            split(&net("10.0.0.0/31"), SplitBy::Count(8), 10),
            Err(SplitError::CountTooLarge { need: 34, .. })
        ));
        assert!(matches!(
            split(&net("10.0.0.0/8"), SplitBy::Prefix(32), 65536),
            Err(SplitError::OverLimit { .. })
        ));
        assert!(matches!(
            split(&net("::/0"), SplitBy::Prefix(128), 65536),
            Err(SplitError::OverLimit { .. })
        ));
    }

    #[test]
    fn aggregate_merges_siblings_and_drops_covered() {
        let a = aggregate(&[
            net("10.0.0.0/25"),
            net("10.0.0.128/25"),
            net("10.0.0.5/32"),
            net("2001:db8::/33"),
            net("2001:db8:8000::/33"),
        ]);
        assert_eq!(a.prefixes, ["10.0.0.0/24", "2001:db8::/32"]);
    }

    #[test]
    fn overlap_finds_nesting_and_equality() {
        let o = overlap(
            &[
                (1, net("10.0.0.0/8")),
                (2, net("192.168.0.0/16")),
                (3, net("10.1.0.0/16")),
                (4, net("10.0.0.0/8")),
            ],
            100,
        );
        let got: Vec<(u64, u64, &str)> = o
            .pairs
            .iter()
            .map(|p| (p.outer_line, p.inner_line, p.relation.as_str()))
            .collect();
        assert_eq!(got, [(1, 4, "equal"), (1, 3, "contains"), (4, 3, "contains")]);
    }

    #[test]
    fn exclude_ipv4_and_ipv6() {
        let e = exclude(&[net("10.0.0.0/24")], &[net("10.0.0.64/26")]);
        assert_eq!(e.prefixes, ["10.0.0.0/26", "10.0.0.128/25"]);
        assert_eq!(e.addresses_left[0].addresses, "192");
        let e = exclude(&[net("::/0")], &[net("::1/128")]);
        assert_eq!(e.prefixes.len(), 128);
        assert_eq!(e.prefixes[0], "::/128");
        assert_eq!(e.addresses_left[0].addresses, "340282366920938463463374607431768211455");
        let e = exclude(&[net("0.0.0.0/0")], &[net("::/0")]);
        assert_eq!(e.prefixes, ["0.0.0.0/0"]);
    }
}
