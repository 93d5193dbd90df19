//! The sandbox: a small internet on loopback (DESIGN.md §3). Every server has a virtual address
//! from the documentation ranges and really listens on a loopback socket; the address book in
//! [`crate::net::Network`] connects the two, and nothing ever leaves the machine.

pub mod dns;
pub mod glue;
pub mod world;

use std::net::{IpAddr, SocketAddr};

use crate::dns::hints::Hint;
use crate::error::Result;
use crate::net::{AddressBook, Network};

/// A running sandbox.
pub struct Sandbox {
    pub servers: Vec<dns::Running>,
    pub book: AddressBook,
}

impl Sandbox {
    /// Starts every server on ephemeral loopback ports.
    pub async fn start() -> Result<Sandbox> {
        let mut servers = Vec::new();
        let mut book = AddressBook::default();
        for spec in world::SERVERS {
            let running = dns::start(*spec, None).await?;
            let ip: IpAddr = spec.address.parse().expect("world addresses are valid");
            book.insert(SocketAddr::new(ip, 53), running.local);
            servers.push(running);
        }
        Ok(Sandbox { servers, book })
    }

    /// The network a command uses against this sandbox.
    pub fn network(&self) -> Network {
        Network {
            offline: true,
            book: Some(self.book.clone()),
        }
    }

    /// The sandbox's root hints.
    pub fn root_hints() -> Vec<Hint> {
        world::ROOT_HINTS
            .iter()
            .map(|(name, ip)| Hint {
                name: name.to_string(),
                addr: SocketAddr::new(ip.parse().expect("valid"), 53),
            })
            .collect()
    }
}
