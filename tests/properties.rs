//! Property tests through the library: the CIDR operations against their definitions.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use netlab::cidr::{list, ops, parse, rangeset::RangeSet, scan::Found};
use proptest::prelude::*;

fn v4_net() -> impl Strategy<Value = IpNet> {
    (any::<u32>(), 0u8..=32).prop_map(|(a, l)| IpNet::new(IpAddr::V4(Ipv4Addr::from(a)), l).unwrap().trunc())
}

fn v6_net() -> impl Strategy<Value = IpNet> {
    (any::<u128>(), 0u8..=128).prop_map(|(a, l)| IpNet::new(IpAddr::V6(Ipv6Addr::from(a)), l).unwrap().trunc())
}

/// Prefixes clustered in a small space so that they overlap and touch often.
fn clustered_v4() -> impl Strategy<Value = IpNet> {
    (0u32..4096, 20u8..=32).prop_map(|(a, l)| {
        IpNet::new(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | a)), l)
            .unwrap()
            .trunc()
    })
}

fn num(a: IpAddr) -> u128 {
    parse::addr_to_u128(a)
}

fn inside(net: &IpNet, a: IpAddr) -> bool {
    match (net, a) {
        (IpNet::V4(n), IpAddr::V4(x)) => n.contains(&x),
        (IpNet::V6(n), IpAddr::V6(x)) => n.contains(&x),
        _ => false,
    }
}

proptest! {
    /// `contains` agrees with the definition: (ip AND mask) == network.
    #[test]
    fn membership_is_ip_and_mask_equals_network(addr in any::<u32>(), net_addr in any::<u32>(), len in 0u8..=32) {
        let net = IpNet::new(IpAddr::V4(Ipv4Addr::from(net_addr)), len).unwrap().trunc();
        let mask: u32 = if len == 0 { 0 } else { u32::MAX << (32 - len) };
        let cand = parse::parse_prefix(&Ipv4Addr::from(addr).to_string()).unwrap();
        let m = ops::membership(&net, &cand);
        prop_assert_eq!(m.inside, addr & mask == u32::from(Ipv4Addr::from(net_addr)) & mask);
        prop_assert_eq!(m.first_differing_bit.is_none(), m.inside);
    }

    #[test]
    fn membership_ipv6(addr in any::<u128>(), net in v6_net()) {
        let cand = parse::parse_prefix(&Ipv6Addr::from(addr).to_string()).unwrap();
        prop_assert_eq!(ops::membership(&net, &cand).inside, inside(&net, IpAddr::V6(Ipv6Addr::from(addr))));
    }

    /// Aggregation covers exactly the same addresses, with prefixes that do not overlap.
    #[test]
    fn aggregate_preserves_membership(nets in prop::collection::vec(clustered_v4(), 1..20), probes in prop::collection::vec(0u32..8192, 50)) {
        let agg: Vec<IpNet> = ops::aggregate(&nets).prefixes.iter().map(|p| p.parse().unwrap()).collect();
        for p in probes {
            let a = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | p));
            prop_assert_eq!(nets.iter().any(|n| inside(n, a)), agg.iter().any(|n| inside(n, a)), "address {}", a);
        }
        for (i, x) in agg.iter().enumerate() {
            for y in &agg[i + 1..] {
                prop_assert!(!x.contains(y) && !y.contains(x), "{} and {} overlap", x, y);
            }
        }
        prop_assert!(agg.len() <= nets.len());
    }

    /// Exclusion leaves exactly the addresses in `from` and not in `minus`.
    #[test]
    fn exclude_is_set_difference(from in prop::collection::vec(clustered_v4(), 1..6), minus in prop::collection::vec(clustered_v4(), 0..6), probes in prop::collection::vec(0u32..8192, 50)) {
        let left: Vec<IpNet> = ops::exclude(&from, &minus).prefixes.iter().map(|p| p.parse().unwrap()).collect();
        for p in probes {
            let a = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | p));
            let want = from.iter().any(|n| inside(n, a)) && !minus.iter().any(|n| inside(n, a));
            prop_assert_eq!(left.iter().any(|n| inside(n, a)), want, "address {}", a);
        }
    }

    /// The match lookup structure agrees with a linear scan of the ranges.
    #[test]
    fn rangeset_agrees_with_linear_scan(nets4 in prop::collection::vec(v4_net(), 0..30), nets6 in prop::collection::vec(v6_net(), 0..30), probes4 in prop::collection::vec(any::<u32>(), 30), probes6 in prop::collection::vec(any::<u128>(), 30)) {
        let all: Vec<IpNet> = nets4.iter().chain(&nets6).copied().collect();
        let entries: Vec<list::RangeEntry> = all.iter().map(|n| list::parse_range(&n.to_string()).unwrap()).collect();
        let set = RangeSet::new(&entries);
        // Probe random addresses and the edges of every range.
        let mut v4: Vec<u32> = probes4;
        let mut v6: Vec<u128> = probes6;
        for n in &all {
            let (lo, hi) = (num(n.network()), num(n.broadcast()));
            match n {
                IpNet::V4(_) => v4.extend([lo as u32, hi as u32, (lo as u32).wrapping_sub(1), (hi as u32).wrapping_add(1)]),
                IpNet::V6(_) => v6.extend([lo, hi, lo.wrapping_sub(1), hi.wrapping_add(1)]),
            }
        }
        for a in v4 {
            let want = all.iter().any(|n| inside(n, IpAddr::V4(Ipv4Addr::from(a))));
            prop_assert_eq!(set.contains(Found::V4(a)), want, "{}", Ipv4Addr::from(a));
        }
        for a in v6 {
            let want = all.iter().any(|n| inside(n, IpAddr::V6(Ipv6Addr::from(a))));
            prop_assert_eq!(set.contains(Found::V6(a)), want, "{}", Ipv6Addr::from(a));
        }
    }

    /// No input makes the parsers panic; good input round-trips.
    #[test]
    fn parse_prefix_never_panics(s in "\\PC{0,40}") {
        let _ = parse::parse_prefix(&s);
        let _ = list::parse_range(&s);
    }

    #[test]
    fn parse_prefix_round_trips(net in prop_oneof![v4_net(), v6_net()]) {
        prop_assert_eq!(parse::parse_prefix(&net.to_string()).unwrap().net, net);
    }

    /// Splitting partitions the prefix: consecutive, equal-sized, covering it exactly.
    #[test]
    fn split_partitions(net in v4_net(), extra in 0u8..6) {
        prop_assume!(net.prefix_len() + extra <= 32);
        let (s, _) = ops::split(&net, ops::SplitBy::Prefix(net.prefix_len() + extra), 1 << 10).unwrap();
        prop_assert_eq!(s.subnets.len(), 1usize << extra);
        let subs: Vec<IpNet> = s.subnets.iter().map(|p| p.parse().unwrap()).collect();
        prop_assert_eq!(subs[0].network(), net.network());
        prop_assert_eq!(subs.last().unwrap().broadcast(), net.broadcast());
        for w in subs.windows(2) {
            prop_assert_eq!(num(w[0].broadcast()) + 1, num(w[1].network()));
        }
    }
}
