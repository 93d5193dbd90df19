//! Host lookup on the sandbox: a short walk of its DNS from its own root, for the commands that
//! need an address (tls, http, tcp) and for HTTPS records (RFC 9460).

use std::net::IpAddr;
use std::time::Duration;

use hickory_proto::rr::RecordType;

use super::walk::{walk_records, WalkOptions};
use crate::error::{Error, Result};
use crate::net::lookup::HostLookup;
use crate::net::Network;
use crate::trace::{Failure, FailureKind, Outcome, Phase};

/// Walks the network's own root hints for the name.
pub struct WalkLookup;

impl WalkLookup {
    fn options(host: &str, rtype: RecordType, net: &Network) -> WalkOptions {
        WalkOptions {
            name: host.to_string(),
            rtype,
            roots: net.root_hints().map(<[_]>::to_vec).unwrap_or_default(),
            timeout: Duration::from_secs(2),
            max_queries: 32,
            max_time: Duration::from_secs(5),
            anchors: None,
        }
    }
}

#[async_trait::async_trait]
impl HostLookup for WalkLookup {
    async fn address(&self, host: &str, net: &Network) -> Result<IpAddr> {
        let walked = walk_records(&Self::options(host, RecordType::A, net), net).await?;
        if let Some(ip) = walked.records.iter().find_map(super::wire::address_of) {
            return Ok(ip);
        }
        if walked.result == "failed" {
            // No server of some zone answered usably: a network failure, not a missing name.
            let (kind, detail) = match &walked.trace.outcome {
                Outcome::Failed { failure } => (failure.kind, format!("{}: {}", failure.what, failure.detail)),
                _ => (FailureKind::Other, "the walk found no usable server".to_string()),
            };
            return Err(Error::Failed(Failure::new(
                Phase::Dns,
                kind,
                format!("looking up {host} in the sandbox"),
                detail,
            )));
        }
        Err(Error::usage(
            format!("host '{host}'"),
            "has no address in the sandbox",
            "try www.example.com",
        ))
    }

    async fn https_record(&self, host: &str, net: &Network) -> Option<String> {
        let walked = walk_records(&Self::options(host, RecordType::HTTPS, net), net)
            .await
            .ok()?;
        walked
            .records
            .iter()
            .find(|r| r.record_type() == RecordType::HTTPS)
            .map(|r| format!("{} HTTPS {}", r.name, super::present::rdata(&r.data)))
    }
}
