//! The small internet of `netlab anycast`: seven network namespaces of netlab's own, each
//! router running BIRD. Routers are joined by emulated links with the one-way delays of
//! [`LINKS`] (a TUN device at each end and netlab's link model between them, as `--link`
//! does); each client reaches its transit over a veth pair.
//!
//! ```text
//!   client eu 100.64.1.2               client asia 100.64.2.2
//!        │                                   │
//!   transit ta AS64510 ────── 80 ms ────── transit tb AS64520
//!     │ lp 200   │ lp 100          lp 100 │      │ lp 200
//!     │ 5 ms     │ 40 ms            60 ms │      │ 5 ms
//!    fra        iad ──────────────────────┘     sin        PoPs: AS64500, each with
//!                                                          203.0.113.1 on lo and the
//!                                                          anycast prefix 203.0.113.0/24
//! ```
//!
//! Each transit prefers the PoP in its own region (LOCAL_PREF 200, RFC 4271 §5.1.5) to iad,
//! which both reach; routes through the other transit are one AS longer. The delays make the
//! regional PoP the nearest too, so a failover is seen in the round trip.

use std::net::Ipv4Addr;

use super::bird::{Router, Session};
use crate::error::Error;
use crate::link::{self, spec::LinkSpec};
use crate::net::ns::{topology::ip_batch, tun, Forwarder, Namespace};

/// The anycast prefix every PoP originates, and the address each holds on `lo`.
pub const PREFIX: &str = "203.0.113.0/24";
pub const ANYCAST: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 1);
/// Each PoP's own unicast address (TEST-NET-2, RFC 5737), announced by that PoP alone: where
/// DNS steering sends a client, and an address that no other PoP's route can take over.
pub const UNICAST: [(&str, Ipv4Addr); 3] = [
    ("fra", Ipv4Addr::new(198, 51, 100, 1)),
    ("iad", Ipv4Addr::new(198, 51, 100, 2)),
    ("sin", Ipv4Addr::new(198, 51, 100, 3)),
];
/// The PoPs' AS, and their names.
pub const POP_AS: u32 = 64500;
pub const POPS: [&str; 3] = ["fra", "iad", "sin"];
/// The two client networks: (name, its transit, its address, the transit's address, prefix).
pub const CLIENTS: [(&str, &str, &str, &str, &str); 2] = [
    ("eu", "ta", "100.64.1.2", "100.64.1.1", "100.64.1.0/24"),
    ("asia", "tb", "100.64.2.2", "100.64.2.1", "100.64.2.0/24"),
];
/// The router links: (a, b, LOCAL_PREF b gives routes from a, one-way delay in ms). Link i
/// is 100.64.100.4i/30, a on .4i+1, b on .4i+2.
const LINKS: [(&str, &str, u32, u64); 5] = [
    ("fra", "ta", 200, 5),
    ("iad", "ta", 100, 40),
    ("iad", "tb", 100, 60),
    ("sin", "tb", 200, 5),
    ("ta", "tb", 100, 80),
];
/// The emulated links' MTU: Ethernet's.
const LINK_MTU: u32 = 1500;

/// Every node and its namespace, and the emulated links between the routers.
pub struct Topology {
    /// Declared first, so the links stop (and their devices go) before the namespaces.
    links: Vec<Forwarder>,
    pub nodes: Vec<(String, Namespace)>,
}

impl Topology {
    pub fn ns(&self, name: &str) -> &Namespace {
        &self
            .nodes
            .iter()
            .find(|(n, _)| n == name)
            .expect("a node of the topology")
            .1
    }

    /// Creates the namespaces, links and addresses.
    pub fn create() -> Result<Topology, Error> {
        let mut names: Vec<String> = POPS.iter().map(|p| p.to_string()).collect();
        names.extend(["ta", "tb"].map(String::from));
        names.extend(CLIENTS.iter().map(|c| format!("c-{}", c.0)));
        let mut nodes = Vec::new();
        for name in names {
            nodes.push((name, Namespace::create()?));
        }
        let mut t = Topology {
            links: Vec::new(),
            nodes,
        };
        for (i, (a, b, _, delay_ms)) in LINKS.iter().enumerate() {
            let (ip_a, ip_b) = link_addresses(i);
            let link = t.emulated_link(a, b, ip_a, ip_b, *delay_ms)?;
            t.links.push(link);
        }
        for (client, transit, addr, gateway, _) in CLIENTS {
            let node = format!("c-{client}");
            t.veth(&node, transit, &format!("{addr}/24"), &format!("{gateway}/24"))?;
            ip_batch(t.ns(&node), &node, &[format!("route add default via {gateway}")])?;
        }
        for (pop, unicast) in UNICAST {
            ip_batch(
                t.ns(pop),
                pop,
                &[
                    format!("addr add {ANYCAST}/32 dev lo"),
                    format!("addr add {unicast}/32 dev lo"),
                ],
            )?;
        }
        for transit in ["ta", "tb"] {
            t.ns(transit)
                .run(|| std::fs::write("/proc/sys/net/ipv4/ip_forward", "1"))?
                .map_err(|e| Error::io("ip_forward", e))?;
        }
        Ok(t)
    }

    /// An emulated link from `a` (address `ip_a`) to `b` (`ip_b`), a /30: a TUN device at each
    /// end, `nl-A-B` in `a` and `nl-B-A` in `b`, and a forwarder that holds every packet for
    /// `delay_ms` each way.
    fn emulated_link(
        &self,
        a: &str,
        b: &str,
        ip_a: Ipv4Addr,
        ip_b: Ipv4Addr,
        delay_ms: u64,
    ) -> Result<Forwarder, Error> {
        let (if_a, if_b) = (format!("nl-{a}-{b}"), format!("nl-{b}-{a}"));
        let tun_a = tun::open(self.ns(a), &if_a, LINK_MTU)?;
        let tun_b = tun::open(self.ns(b), &if_b, LINK_MTU)?;
        ip_batch(self.ns(a), a, &[format!("addr add {ip_a}/30 dev {if_a}")])?;
        ip_batch(self.ns(b), b, &[format!("addr add {ip_b}/30 dev {if_b}")])?;
        let spec = LinkSpec::parse(&format!("delay={delay_ms}ms"))?;
        Forwarder::start(tun_a, tun_b, link::model::Link::new(&spec), 0, None)
    }

    /// A veth pair from `a` (address `addr_a`) to `b` (`addr_b`), `nl-A-B` and `nl-B-A`.
    fn veth(&self, a: &str, b: &str, addr_a: &str, addr_b: &str) -> Result<(), Error> {
        let (if_a, if_b) = (format!("nl-{a}-{b}"), format!("nl-{b}-{a}"));
        let peer = self.ns(b).proc_path().display().to_string();
        ip_batch(
            self.ns(a),
            a,
            &[
                format!("link add {if_a} type veth peer name {if_b} netns {peer}"),
                format!("addr add {addr_a} dev {if_a}"),
                format!("link set {if_a} up"),
            ],
        )?;
        ip_batch(
            self.ns(b),
            b,
            &[format!("addr add {addr_b} dev {if_b}"), format!("link set {if_b} up")],
        )
    }
}

/// Link `i`'s two addresses.
fn link_addresses(i: usize) -> (Ipv4Addr, Ipv4Addr) {
    let base = 4 * i as u8;
    (
        Ipv4Addr::new(100, 64, 100, base + 1),
        Ipv4Addr::new(100, 64, 100, base + 2),
    )
}

/// The PoP a DNS steering map sends a query from `source` to: the PoP in the region of the
/// client network it comes from (the one its transit prefers, LOCAL_PREF 200), iad otherwise.
pub fn regional_pop(source: Ipv4Addr) -> &'static str {
    let transit = CLIENTS.iter().find_map(|c| {
        let net: ipnet::Ipv4Net = c.4.parse().ok()?;
        net.contains(&source).then_some(c.1)
    });
    LINKS
        .iter()
        .find(|(_, b, pref, _)| Some(*b) == transit && *pref > 100)
        .map_or("iad", |(pop, _, _, _)| *pop)
}

/// A PoP's unicast address.
pub fn unicast(pop: &str) -> Option<Ipv4Addr> {
    UNICAST.iter().find(|(p, _)| *p == pop).map(|(_, a)| *a)
}

/// Every link as (a, b, one-way delay in ms): the routers' emulated links, then each client's
/// veth pair to its transit (no delay).
pub fn links() -> Vec<(String, String, u64)> {
    LINKS
        .iter()
        .map(|(a, b, _, d)| (a.to_string(), b.to_string(), *d))
        .chain(CLIENTS.iter().map(|c| (format!("c-{}", c.0), c.1.to_string(), 0)))
        .collect()
}

/// The router that holds `ip` on one of its links.
pub fn router_at(ip: std::net::IpAddr) -> Option<&'static str> {
    LINKS.iter().enumerate().find_map(|(i, (a, b, _, _))| {
        let (ip_a, ip_b) = link_addresses(i);
        (ip == ip_a).then_some(*a).or((ip == ip_b).then_some(*b))
    })
}

/// The transits' links to their neighbours, as (transit, interface): where BGP is captured.
pub fn transit_interfaces() -> Vec<(&'static str, String)> {
    LINKS
        .iter()
        .filter_map(|(a, b, _, _)| match (*a, *b) {
            (pop, transit @ ("ta" | "tb")) if POPS.contains(&pop) => Some((transit, format!("nl-{transit}-{pop}"))),
            (t1 @ ("ta" | "tb"), t2) => Some((t1, format!("nl-{t1}-{t2}"))),
            _ => None,
        })
        .collect()
}

/// The AS of a router.
pub fn asn(router: &str) -> u32 {
    match router {
        "ta" => 64510,
        "tb" => 64520,
        _ => POP_AS,
    }
}

/// The routing policy an experiment changes.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// A PoP that prepends its AS this many extra times on every session.
    pub prepend: Option<(String, u32)>,
    /// A PoP that sends this MULTI_EXIT_DISC with its routes (RFC 4271 §5.1.4).
    pub med: Option<(String, u32)>,
    /// The transits give every route the same LOCAL_PREF (100), so no region is preferred.
    pub flat: bool,
}

impl Policy {
    fn for_pop(choice: &Option<(String, u32)>, router: &str) -> Option<u32> {
        choice.as_ref().filter(|(pop, _)| pop == router).map(|(_, n)| *n)
    }
}

/// Every router's BIRD configuration, from the links and `policy`.
pub fn routers(policy: &Policy) -> Vec<Router> {
    let ids = [("fra", 1), ("iad", 2), ("sin", 3), ("ta", 10), ("tb", 20)];
    ids.iter()
        .map(|&(name, id)| {
            let mut sessions = Vec::new();
            let export = Export {
                prepend: Policy::for_pop(&policy.prepend, name).unwrap_or(0),
                med: Policy::for_pop(&policy.med, name),
            };
            for (i, &(a, b, pref, _)) in LINKS.iter().enumerate() {
                let (ip_a, ip_b) = link_addresses(i);
                let pref = if policy.flat { 100 } else { pref };
                if name == a {
                    sessions.push(session(b, ip_a, ip_b, 100, export));
                } else if name == b {
                    sessions.push(session(a, ip_b, ip_a, pref, export));
                }
            }
            let originates = match name {
                "ta" | "tb" => CLIENTS
                    .iter()
                    .filter(|c| c.1 == name)
                    .map(|c| c.4.to_string())
                    .collect(),
                _ => vec![PREFIX.to_string()],
            };
            Router {
                name: name.to_string(),
                router_id: format!("10.0.0.{id}"),
                asn: asn(name),
                originates,
                own: unicast(name).map(|a| format!("{a}/32")),
                sessions,
            }
        })
        .collect()
}

/// What a router does to the routes it announces.
#[derive(Debug, Clone, Copy)]
struct Export {
    prepend: u32,
    med: Option<u32>,
}

fn session(peer: &str, local: Ipv4Addr, neighbor: Ipv4Addr, local_pref: u32, export: Export) -> Session {
    Session {
        name: format!("with_{peer}"),
        peer: peer.to_string(),
        local: local.to_string(),
        neighbor: neighbor.to_string(),
        peer_as: asn(peer),
        local_pref,
        prepend: export.prepend,
        med: export.med,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_steering_maps_each_client_network_to_its_regions_pop() {
        assert_eq!(regional_pop(Ipv4Addr::new(100, 64, 1, 2)), "fra");
        assert_eq!(regional_pop(Ipv4Addr::new(100, 64, 2, 2)), "sin");
        assert_eq!(regional_pop(Ipv4Addr::new(192, 0, 2, 1)), "iad");
        assert_eq!(unicast("iad"), Some(Ipv4Addr::new(198, 51, 100, 2)));
    }

    #[test]
    fn each_link_is_a_session_at_both_ends() {
        let all = routers(&Policy {
            prepend: Some(("iad".into(), 2)),
            ..Policy::default()
        });
        let iad = all.iter().find(|r| r.name == "iad").unwrap();
        assert!(iad.sessions.iter().all(|s| s.prepend == 2));
        let sessions: usize = all.iter().map(|r| r.sessions.len()).sum();
        assert_eq!(sessions, 2 * LINKS.len());
        let ta = all.iter().find(|r| r.name == "ta").unwrap();
        let fra = ta.sessions.iter().find(|s| s.peer == "fra").unwrap();
        assert_eq!(
            (fra.local.as_str(), fra.neighbor.as_str(), fra.peer_as, fra.local_pref),
            ("100.64.100.2", "100.64.100.1", 64500, 200)
        );
        let iad = ta.sessions.iter().find(|s| s.peer == "iad").unwrap();
        assert_eq!(iad.local_pref, 100);
        assert_eq!(ta.originates, ["100.64.1.0/24"]);
        assert_eq!(router_at("100.64.100.1".parse().unwrap()), Some("fra"));
        assert_eq!(router_at("100.64.100.18".parse().unwrap()), Some("tb"));
        assert_eq!(router_at("100.64.1.2".parse().unwrap()), None);
        let taps = transit_interfaces();
        assert_eq!(taps.len(), LINKS.len());
        assert!(taps.contains(&("ta", "nl-ta-fra".to_string())) && taps.contains(&("ta", "nl-ta-tb".to_string())));
        let sin = all.iter().find(|r| r.name == "sin").unwrap();
        assert_eq!(sin.originates, [PREFIX]);
        assert_eq!(sin.own.as_deref(), Some("198.51.100.3/32"));
        assert_eq!(ta.own, None);
        assert_eq!(sin.sessions[0].prepend, 0);
        assert_eq!(sin.sessions.len(), 1);
        assert_eq!(sin.sessions[0].med, None);
        let flat = routers(&Policy {
            med: Some(("iad".into(), 50)),
            flat: true,
            ..Policy::default()
        });
        let tb = flat.iter().find(|r| r.name == "tb").unwrap();
        assert!(tb.sessions.iter().all(|s| s.local_pref == 100));
        let iad = flat.iter().find(|r| r.name == "iad").unwrap();
        assert!(iad.sessions.iter().all(|s| s.med == Some(50)));
    }
}
