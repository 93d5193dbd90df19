//! The nftables depth: a per-source rate limit in the kernel's netfilter, before the packet
//! reaches a socket. Each source address gets an entry in a dynamic set with its own token
//! bucket (`limit rate over N/second burst B packets`: true once the bucket is empty), the
//! `meter` of older nftables. The rule sits at the `prerouting` hook at priority `raw` (-300),
//! the earliest point of the IP stack, before connection tracking and routing.

use serde_json::Value;

/// The table netlab adds in its own namespace (and nowhere else).
pub const TABLE: &str = "netlab_ddos";

/// The ruleset: datagrams to `port` beyond `per_source`/s (after a burst of `burst`) from any
/// one source are counted and dropped; the rest are counted and accepted.
pub fn ruleset(port: u16, per_source: u32, burst: u32) -> String {
    format!(
        "table ip {TABLE} {{
  set per_source {{ type ipv4_addr; size 65535; flags dynamic; timeout 10s; }}
  chain prerouting {{
    type filter hook prerouting priority raw; policy accept;
    udp dport {port} update @per_source {{ ip saddr limit rate over {per_source}/second burst {burst} packets }} counter drop
    udp dport {port} counter accept
  }}
}}
"
    )
}

/// What the two rules counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NftCounts {
    pub dropped: u64,
    pub accepted: u64,
}

/// The counters of `nft -j list table ip netlab_ddos`: each rule's `counter` expression, added
/// up by the verdict (`drop` or `accept`) that follows it.
pub fn parse_counters(json: &str) -> Option<NftCounts> {
    let doc: Value = serde_json::from_str(json).ok()?;
    let mut counts = NftCounts::default();
    for item in doc.get("nftables")?.as_array()? {
        let Some(expr) = item.pointer("/rule/expr").and_then(Value::as_array) else {
            continue;
        };
        let packets: u64 = expr
            .iter()
            .filter_map(|e| e.pointer("/counter/packets").and_then(Value::as_u64))
            .sum();
        if expr.iter().any(|e| e.get("drop").is_some()) {
            counts.dropped += packets;
        } else if expr.iter().any(|e| e.get("accept").is_some()) {
            counts.accepted += packets;
        }
    }
    Some(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules_name_the_port_rate_and_burst() {
        let r = ruleset(9, 100, 10);
        assert!(
            r.contains(
                "udp dport 9 update @per_source { ip saddr limit rate over 100/second burst 10 packets } counter drop"
            ),
            "{r}"
        );
        assert!(r.contains("priority raw"), "{r}");
    }

    #[test]
    fn counters_are_summed_by_verdict() {
        // Trimmed from `nft -j list table ip netlab_ddos` (nftables 1.0.6).
        let json = r#"{"nftables": [{"metainfo": {"version": "1.0.6"}},
          {"table": {"family": "ip", "name": "netlab_ddos", "handle": 1}},
          {"rule": {"family": "ip", "table": "netlab_ddos", "chain": "prerouting", "handle": 3,
            "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "udp", "field": "dport"}}, "right": 9}},
                     {"set": {"op": "update", "elem": {"payload": {"protocol": "ip", "field": "saddr"}}, "set": "@per_source", "stmt": [{"limit": {"rate": 100, "burst": 10, "per": "second", "inv": true}}]}},
                     {"counter": {"packets": 990, "bytes": 47520}}, {"drop": null}]}},
          {"rule": {"family": "ip", "table": "netlab_ddos", "chain": "prerouting", "handle": 4,
            "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "udp", "field": "dport"}}, "right": 9}},
                     {"counter": {"packets": 10, "bytes": 480}}, {"accept": null}]}}]}"#;
        assert_eq!(
            parse_counters(json),
            Some(NftCounts {
                dropped: 990,
                accepted: 10
            })
        );
        assert_eq!(parse_counters("not json"), None);
        assert_eq!(parse_counters(r#"{"nftables": []}"#), Some(NftCounts::default()));
    }
}
