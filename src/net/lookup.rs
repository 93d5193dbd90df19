//! How a network turns a host name into an address. The internet's is the system resolver
//! (refused behind the offline guard); the sandbox's walks its own DNS (`dns::lookup`).

use std::net::IpAddr;

use super::Network;
use crate::error::{Error, Result};

/// Name to address, and the name's HTTPS record where the lookup can ask for one.
#[async_trait::async_trait]
pub trait HostLookup: Send + Sync {
    async fn address(&self, host: &str, net: &Network) -> Result<IpAddr>;
    async fn https_record(&self, host: &str, net: &Network) -> Option<String>;
}

/// The system's resolver (getaddrinfo), which the offline guard does not allow.
pub struct SystemLookup;

#[async_trait::async_trait]
impl HostLookup for SystemLookup {
    async fn address(&self, host: &str, net: &Network) -> Result<IpAddr> {
        if net.is_offline() {
            return Err(Error::usage(
                format!("resolving {host}"),
                "needs the DNS: offline mode",
                "use --sandbox or give an IP address",
            ));
        }
        tokio::net::lookup_host((host, 443))
            .await
            .map_err(|e| Error::usage(format!("host '{host}'"), e.to_string(), "check the name"))?
            .next()
            .map(|sa| sa.ip())
            .ok_or_else(|| Error::usage(format!("host '{host}'"), "has no address", "check the name"))
    }

    /// The system resolver cannot ask for this type, so off the sandbox it is not looked up.
    async fn https_record(&self, _host: &str, _net: &Network) -> Option<String> {
        None
    }
}
