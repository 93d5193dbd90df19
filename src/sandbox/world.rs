//! The sandbox's little internet: which name servers exist, at which virtual addresses, serving
//! which zones. Addresses come from the documentation ranges (RFC 5737), so a learner sees
//! realistic referrals and glue; the zones are master files in `labs/sandbox/zones/`.

/// How a sandbox server behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Serves its zones with hickory-server.
    Serve,
    /// Receives and never answers: a dead server.
    Silent,
}

/// One name server of the sandbox.
#[derive(Debug, Clone, Copy)]
pub struct ServerSpec {
    pub name: &'static str,
    pub address: &'static str,
    /// Zone origins it serves (file names in `labs/sandbox/zones/`, without `.zone`).
    pub zones: &'static [&'static str],
    pub behaviour: Behaviour,
}

/// Every server of the sandbox.
pub const SERVERS: &[ServerSpec] = &[
    ServerSpec {
        name: "a.root-servers.test.",
        address: "198.51.100.1",
        zones: &["root"],
        behaviour: Behaviour::Serve,
    },
    ServerSpec {
        name: "b.root-servers.test.",
        address: "198.51.100.2",
        zones: &["root"],
        behaviour: Behaviour::Serve,
    },
    ServerSpec {
        name: "a.gtld-servers.test.",
        address: "198.51.100.10",
        zones: &["com", "net", "org", "test", "in-addr.arpa"],
        behaviour: Behaviour::Serve,
    },
    ServerSpec {
        name: "ns1.example.com.",
        address: "203.0.113.53",
        zones: &["example.com", "2.0.192.in-addr.arpa"],
        behaviour: Behaviour::Serve,
    },
    ServerSpec {
        name: "ns2.example.com.",
        address: "203.0.113.54",
        zones: &["example.com"],
        behaviour: Behaviour::Serve,
    },
    ServerSpec {
        name: "ns1.example.net.",
        address: "203.0.113.60",
        zones: &["example.net"],
        behaviour: Behaviour::Serve,
    },
    ServerSpec {
        name: "ns.example.net.",
        address: "203.0.113.61",
        zones: &["example.org"],
        behaviour: Behaviour::Serve,
    },
    ServerSpec {
        name: "ns1.flaky.test.",
        address: "203.0.113.98",
        zones: &[],
        behaviour: Behaviour::Silent,
    },
    ServerSpec {
        name: "ns2.flaky.test.",
        address: "203.0.113.99",
        zones: &["flaky.test"],
        behaviour: Behaviour::Serve,
    },
    ServerSpec {
        name: "ns1.lame.test.",
        address: "203.0.113.100",
        zones: &[],
        behaviour: Behaviour::Serve,
    },
    ServerSpec {
        name: "ns2.lame.test.",
        address: "203.0.113.101",
        zones: &["lame.test"],
        behaviour: Behaviour::Serve,
    },
    ServerSpec {
        name: "ns.bogus.test.",
        address: "203.0.113.110",
        zones: &["bogus.test"],
        behaviour: Behaviour::Serve,
    },
];

/// DNSSEC-signed zones and their parents: each gets a fresh key at start, its DNSKEY, RRSIGs and
/// NSEC (or, for those in [`NSEC3`], NSEC3) records, and a DS record in its parent. The root's key is the sandbox's trust anchor.
/// Zones not listed (example.org., flaky.test., lame.test., the reverse zones) are unsigned:
/// their parents' NSEC (org.: opt-out NSEC3) records prove there is no DS, so they are Insecure.
pub const SIGNED: &[(&str, Option<&str>)] = &[
    ("root", None),
    ("com", Some("root")),
    ("net", Some("root")),
    ("org", Some("root")),
    ("test", Some("root")),
    ("example.com", Some("com")),
    ("example.net", Some("net")),
    ("bogus.test", Some("test")),
];

/// Signed zones that deny with hashed names, NSEC3 (RFC 5155), as most real TLDs do, rather than
/// NSEC: (file stem, opt-out). Iterations 0 and an empty salt, as RFC 9276 §3.1 recommends.
/// org. opts out (RFC 5155 §6): its unsigned delegation example.org. gets no NSEC3 record of its
/// own, and the proof that it has no DS is the opt-out NSEC3 covering its hash.
pub const NSEC3: &[(&str, bool)] = &[("org", true), ("example.net", false)];

/// Signed zones whose DS in the parent is deliberately wrong: Bogus.
pub const BOGUS_DS: &[&str] = &["bogus.test"];

/// The root servers a walk in the sandbox starts from.
pub const ROOT_HINTS: &[(&str, &str)] = &[
    ("a.root-servers.test.", "198.51.100.1"),
    ("b.root-servers.test.", "198.51.100.2"),
];

/// Master files, built into the binary: (file stem, text).
pub const ZONES: &[(&str, &str)] = &[
    ("root", include_str!("../../labs/sandbox/zones/root.zone")),
    ("com", include_str!("../../labs/sandbox/zones/com.zone")),
    ("net", include_str!("../../labs/sandbox/zones/net.zone")),
    ("org", include_str!("../../labs/sandbox/zones/org.zone")),
    ("test", include_str!("../../labs/sandbox/zones/test.zone")),
    (
        "in-addr.arpa",
        include_str!("../../labs/sandbox/zones/in-addr.arpa.zone"),
    ),
    (
        "2.0.192.in-addr.arpa",
        include_str!("../../labs/sandbox/zones/2.0.192.in-addr.arpa.zone"),
    ),
    ("example.com", include_str!("../../labs/sandbox/zones/example.com.zone")),
    ("example.net", include_str!("../../labs/sandbox/zones/example.net.zone")),
    ("example.org", include_str!("../../labs/sandbox/zones/example.org.zone")),
    ("flaky.test", include_str!("../../labs/sandbox/zones/flaky.test.zone")),
    ("lame.test", include_str!("../../labs/sandbox/zones/lame.test.zone")),
    ("bogus.test", include_str!("../../labs/sandbox/zones/bogus.test.zone")),
];

/// The zone's name, from its file stem (`root` is the root zone).
pub fn zone_name(stem: &str) -> String {
    if stem == "root" {
        ".".to_string()
    } else {
        format!("{stem}.")
    }
}

/// The master file text of a zone.
pub fn zone_text(stem: &str) -> Option<&'static str> {
    ZONES.iter().find(|(s, _)| *s == stem).map(|(_, t)| *t)
}
