//! Special-purpose address blocks: the IANA IPv4 and IPv6 Special-Purpose Address Registries
//! (RFC 6890), plus multicast, which has registries of its own (RFC 5771, RFC 4291 §2.7).

use ipnet::IpNet;

use super::events::SpecialMatch;
use super::span::{Family, Span};

/// One special-purpose block: prefix, name, defining document.
struct Block {
    prefix: &'static str,
    name: &'static str,
    reference: &'static str,
}

const BLOCKS: &[Block] = &[
    Block {
        prefix: "0.0.0.0/8",
        name: "\"this network\" (source only)",
        reference: "RFC 791 §3.2, RFC 1122 §3.2.1.3",
    },
    Block {
        prefix: "10.0.0.0/8",
        name: "private-use",
        reference: "RFC 1918",
    },
    Block {
        prefix: "100.64.0.0/10",
        name: "shared address space (carrier-grade NAT)",
        reference: "RFC 6598",
    },
    Block {
        prefix: "127.0.0.0/8",
        name: "loopback",
        reference: "RFC 1122 §3.2.1.3",
    },
    Block {
        prefix: "169.254.0.0/16",
        name: "link-local",
        reference: "RFC 3927",
    },
    Block {
        prefix: "172.16.0.0/12",
        name: "private-use",
        reference: "RFC 1918",
    },
    Block {
        prefix: "192.0.0.0/24",
        name: "IETF protocol assignments",
        reference: "RFC 6890 §2.1",
    },
    Block {
        prefix: "192.0.2.0/24",
        name: "documentation (TEST-NET-1)",
        reference: "RFC 5737",
    },
    Block {
        prefix: "192.31.196.0/24",
        name: "AS112-v4",
        reference: "RFC 7535",
    },
    Block {
        prefix: "192.52.193.0/24",
        name: "AMT",
        reference: "RFC 7450",
    },
    Block {
        prefix: "192.88.99.0/24",
        name: "deprecated 6to4 relay anycast",
        reference: "RFC 7526",
    },
    Block {
        prefix: "192.168.0.0/16",
        name: "private-use",
        reference: "RFC 1918",
    },
    Block {
        prefix: "192.175.48.0/24",
        name: "direct delegation AS112 service",
        reference: "RFC 7534",
    },
    Block {
        prefix: "198.18.0.0/15",
        name: "benchmarking",
        reference: "RFC 2544",
    },
    Block {
        prefix: "198.51.100.0/24",
        name: "documentation (TEST-NET-2)",
        reference: "RFC 5737",
    },
    Block {
        prefix: "203.0.113.0/24",
        name: "documentation (TEST-NET-3)",
        reference: "RFC 5737",
    },
    Block {
        prefix: "224.0.0.0/4",
        name: "multicast",
        reference: "RFC 5771",
    },
    Block {
        prefix: "240.0.0.0/4",
        name: "reserved (former class E)",
        reference: "RFC 1112 §4",
    },
    Block {
        prefix: "255.255.255.255/32",
        name: "limited broadcast",
        reference: "RFC 919, RFC 8190",
    },
    Block {
        prefix: "::/128",
        name: "unspecified address",
        reference: "RFC 4291 §2.5.2",
    },
    Block {
        prefix: "::1/128",
        name: "loopback",
        reference: "RFC 4291 §2.5.3",
    },
    Block {
        prefix: "::ffff:0:0/96",
        name: "IPv4-mapped addresses",
        reference: "RFC 4291 §2.5.5.2",
    },
    Block {
        prefix: "64:ff9b::/96",
        name: "IPv4/IPv6 translation (well-known prefix)",
        reference: "RFC 6052",
    },
    Block {
        prefix: "64:ff9b:1::/48",
        name: "local-use IPv4/IPv6 translation",
        reference: "RFC 8215",
    },
    Block {
        prefix: "100::/64",
        name: "discard-only",
        reference: "RFC 6666",
    },
    Block {
        prefix: "2001::/23",
        name: "IETF protocol assignments",
        reference: "RFC 2928",
    },
    Block {
        prefix: "2001::/32",
        name: "Teredo",
        reference: "RFC 4380",
    },
    Block {
        prefix: "2001:2::/48",
        name: "benchmarking",
        reference: "RFC 5180",
    },
    Block {
        prefix: "2001:db8::/32",
        name: "documentation",
        reference: "RFC 3849",
    },
    Block {
        prefix: "2002::/16",
        name: "6to4",
        reference: "RFC 3056",
    },
    Block {
        prefix: "3fff::/20",
        name: "documentation",
        reference: "RFC 9637",
    },
    Block {
        prefix: "fc00::/7",
        name: "unique local (ULA)",
        reference: "RFC 4193",
    },
    Block {
        prefix: "fe80::/10",
        name: "link-local unicast",
        reference: "RFC 4291 §2.5.6",
    },
    Block {
        prefix: "ff00::/8",
        name: "multicast",
        reference: "RFC 4291 §2.7",
    },
];

/// The special-purpose blocks that contain `net` (relation `inside`) or that `net` contains
/// (relation `contains`), most general first.
pub fn classify(net: &IpNet) -> Vec<SpecialMatch> {
    let family = Family::of_net(net);
    let span = Span::of_net(net);
    let mut out = Vec::new();
    for block in BLOCKS {
        let Ok(b) = block.prefix.parse::<IpNet>() else {
            continue;
        };
        if Family::of_net(&b) != family {
            continue;
        }
        let bs = Span::of_net(&b);
        let relation = if bs.lo <= span.lo && span.hi <= bs.hi {
            "inside"
        } else if span.lo <= bs.lo && bs.hi <= span.hi {
            "contains"
        } else {
            continue;
        };
        out.push(SpecialMatch {
            block: block.prefix.to_string(),
            name: block.name.to_string(),
            reference: block.reference.to_string(),
            relation: relation.to_string(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(p: &str) -> Vec<(String, String)> {
        classify(&p.parse().unwrap())
            .into_iter()
            .map(|m| (m.block, m.relation))
            .collect()
    }

    #[test]
    fn every_block_parses() {
        for b in BLOCKS {
            let net: IpNet = b.prefix.parse().unwrap();
            assert_eq!(net, net.trunc(), "{} must be canonical", b.prefix);
        }
    }

    #[test]
    fn private_cgnat_ula_doc_mapped() {
        assert_eq!(names("10.20.0.0/16"), [("10.0.0.0/8".into(), "inside".into())]);
        assert_eq!(names("100.100.0.1/32")[0].0, "100.64.0.0/10");
        assert_eq!(names("fd12:3456::/48")[0].0, "fc00::/7");
        // 2001::/23 ends at 2001:1ff:ffff:...; the documentation block lies outside it.
        assert_eq!(names("2001:db8:1::/48"), [("2001:db8::/32".into(), "inside".into())]);
        assert_eq!(names("2001:1::/32"), [("2001::/23".into(), "inside".into())]);
        assert_eq!(names("::ffff:10.0.0.1/128")[0].0, "::ffff:0:0/96");
        assert!(names("8.8.8.0/24").is_empty());
    }

    #[test]
    fn a_large_prefix_contains_blocks() {
        let got = names("192.0.0.0/8");
        assert!(got.contains(&("192.168.0.0/16".into(), "contains".into())));
        assert!(got.contains(&("192.0.2.0/24".into(), "contains".into())));
    }
}
