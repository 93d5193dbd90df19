//! The sandbox's address book: which loopback socket plays each virtual address.

use std::collections::HashMap;
use std::net::SocketAddr;

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
