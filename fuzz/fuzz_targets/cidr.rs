//! CIDR and address parsing (`cidr::parse`, `cidr::list`: prefix and ranges files), the
//! log-line scanner and matcher of `cidr match` (`cidr::scan`, `cidr::grep`), and the
//! operations on what parsed (`cidr::ops`, `cidr::special`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use netlab::cidr::grep::{LineMatcher, MatchMode, MatchOptions};
use netlab::cidr::list::{nets, parse_range, read_prefixes, read_ranges};
use netlab::cidr::parse::{parse_addr, parse_prefix};
use netlab::cidr::rangeset::RangeSet;
use netlab::cidr::scan::{parse_ipv4, parse_ipv6, Scanner};
use netlab::cidr::{ops, special};

fuzz_target!(|data: &[u8]| {
    // The scanner reads raw log bytes, whatever their encoding.
    let scanner = Scanner { v4: true, v6: true };
    scanner.scan(data, |_| false);
    let _ = scanner.first(data);
    let _ = parse_ipv4(data);
    let _ = parse_ipv6(data);
    // The bytes as a file of prefixes and of ranges, as `cidr aggregate` and `cidr match` read them.
    if let Ok(entries) = read_prefixes(&mut &data[..], "fuzz") {
        let list = nets(&entries);
        let _ = ops::aggregate(&list);
        let numbered: Vec<_> = entries.iter().map(|(n, p)| (*n, p.net)).collect();
        let _ = ops::overlap(&numbered, 100);
        if let Some((first, rest)) = list.split_first() {
            let _ = ops::exclude(&[*first], rest);
            for (_, p) in entries.iter().take(8) {
                let _ = ops::membership(first, p);
            }
            let by = data.last().copied().unwrap_or(0);
            let _ = ops::split(first, ops::SplitBy::Prefix(by), 64);
            let _ = ops::split(first, ops::SplitBy::Count(u64::from(by)), 64);
        }
    }
    if let Ok(ranges) = read_ranges(&mut &data[..], "fuzz") {
        let set = RangeSet::new(&ranges);
        for mode in [MatchMode::Any, MatchMode::First] {
            let matcher = LineMatcher::new(
                &set,
                MatchOptions {
                    mode,
                    invert: false,
                    include_no_address: false,
                },
            );
            for line in data.split(|b| *b == b'\n').take(64) {
                let _ = matcher.decide(line);
            }
        }
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse_addr(text);
    let _ = parse_range(text);
    if let Ok(p) = parse_prefix(text) {
        let _ = p.is_canonical();
        let _ = ops::info(text, &p);
        let _ = special::classify(&p.net);
    }
});
