//! Where netlab's packets may go. Every socket netlab opens asks [`Network::route`] first: the
//! sandbox's address book turns a virtual address (documentation ranges, RFC 5737/3849) into the
//! loopback socket that plays it, and the offline guard refuses anything that is not loopback
//! before a packet is sent.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use crate::error::Error;

/// Virtual address of a sandbox server -> the loopback socket that serves it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressBook {
    entries: HashMap<SocketAddr, SocketAddr>,
}

impl AddressBook {
    pub fn insert(&mut self, virtual_addr: SocketAddr, real: SocketAddr) {
        self.entries.insert(virtual_addr, real);
    }

    pub fn get(&self, virtual_addr: &SocketAddr) -> Option<SocketAddr> {
        self.entries.get(virtual_addr).copied()
    }

    /// Every entry, sorted by virtual address.
    pub fn entries(&self) -> Vec<(SocketAddr, SocketAddr)> {
        let mut v: Vec<_> = self.entries.iter().map(|(a, b)| (*a, *b)).collect();
        v.sort();
        v
    }
}

/// The rules for one command's sockets.
#[derive(Debug, Clone, Default)]
pub struct Network {
    /// Refuse every destination that is not loopback (`--offline`, `NETLAB_OFFLINE=1`).
    pub offline: bool,
    /// The sandbox's address book, when running against the sandbox.
    pub book: Option<AddressBook>,
}

/// Where a packet for a destination actually goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// The address the protocol talks about (in a referral, in the trace).
    pub target: SocketAddr,
    /// The socket address the packet is sent to (the same, or a sandbox loopback socket).
    pub via: SocketAddr,
}

impl Network {
    /// Reads the offline guard from `NETLAB_OFFLINE` (any value but empty or `0` turns it on).
    pub fn offline_from_env(flag: bool, env: Option<&str>) -> bool {
        flag || env.is_some_and(|v| !v.is_empty() && v != "0")
    }

    /// Decides where a packet for `target` goes, or refuses it.
    pub fn route(&self, target: SocketAddr) -> Result<Route, Error> {
        if let Some(via) = self.book.as_ref().and_then(|b| b.get(&target)) {
            return Ok(Route { target, via });
        }
        if self.book.is_some() && !is_loopback(target.ip()) {
            return Err(Error::usage(
                format!("refusing to contact {target}"),
                "it is not part of the sandbox",
                "the sandbox only reaches its own servers; drop --sandbox to use the internet",
            ));
        }
        if self.offline && !is_loopback(target.ip()) {
            return Err(Error::usage(
                format!("refusing to contact {target}"),
                "offline mode",
                "use --sandbox or a loopback --root/@server",
            ));
        }
        Ok(Route { target, via: target })
    }
}

/// 127.0.0.0/8, ::1, or an IPv4-mapped loopback address.
pub fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn offline_refuses_all_but_loopback() {
        let net = Network {
            offline: true,
            book: None,
        };
        let err = net.route(sa("198.41.0.4:53")).unwrap_err();
        assert_eq!(
            err.one_line(),
            "netlab: refusing to contact 198.41.0.4:53: offline mode (use --sandbox or a loopback --root/@server)"
        );
        assert!(net.route(sa("[2001:503:ba3e::2:30]:53")).is_err());
        assert!(
            net.route(sa("10.0.0.1:53")).is_err(),
            "private addresses are not loopback"
        );
        assert_eq!(net.route(sa("127.0.0.2:5353")).unwrap().via, sa("127.0.0.2:5353"));
        assert!(net.route(sa("[::1]:53")).is_ok());
        assert!(net.route(sa("[::ffff:127.0.0.1]:53")).is_ok());
    }

    #[test]
    fn sandbox_routes_virtual_addresses_and_refuses_others() {
        let mut book = AddressBook::default();
        book.insert(sa("198.51.100.1:53"), sa("127.0.0.1:40123"));
        let net = Network {
            offline: false,
            book: Some(book),
        };
        assert_eq!(
            net.route(sa("198.51.100.1:53")).unwrap(),
            Route {
                target: sa("198.51.100.1:53"),
                via: sa("127.0.0.1:40123")
            }
        );
        assert!(
            net.route(sa("8.8.8.8:53")).is_err(),
            "the sandbox never leaks to the internet"
        );
    }

    #[test]
    fn env_values() {
        assert!(Network::offline_from_env(false, Some("1")));
        assert!(!Network::offline_from_env(false, Some("0")));
        assert!(!Network::offline_from_env(false, Some("")));
        assert!(Network::offline_from_env(true, None));
    }
}
