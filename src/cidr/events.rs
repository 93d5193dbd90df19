//! The events a CIDR computation records in its trace. Plain data: addresses and prefixes are
//! kept as text in their canonical spelling, and counts that can exceed 2^53 (IPv6) as decimal
//! strings, so the JSON stays exact for every consumer.

use serde::{Deserialize, Serialize};

/// One CIDR computation's result, tagged `"type": "cidr.<name>"` in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum CidrEvent {
    #[serde(rename = "cidr.membership")]
    Membership(Membership),
    #[serde(rename = "cidr.info")]
    Info(Info),
    #[serde(rename = "cidr.split")]
    Split(Split),
    #[serde(rename = "cidr.aggregate")]
    Aggregate(Aggregate),
    #[serde(rename = "cidr.overlap")]
    Overlap(Overlap),
    #[serde(rename = "cidr.exclude")]
    Exclude(Exclude),
}

/// Is `candidate` inside `network`? The AND of the candidate's address with the network's mask,
/// compared with the network address (RFC 4632 §3.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    /// The network, canonical (`10.0.0.0/8`).
    pub network: String,
    /// The address or prefix tested, as parsed (`10.1.2.3`, or `10.1.0.0/16`).
    pub candidate: String,
    /// The candidate's address (for a prefix: its network address).
    pub address: String,
    /// The network's mask, in the family's notation.
    pub mask: String,
    /// `address AND mask`; `None` when the families differ.
    pub masked: Option<String>,
    /// The verdict.
    pub inside: bool,
    /// Why, in a few words (`"address AND mask equals the network"`, `"different family"`, ...).
    pub reason: String,
    /// The first bit (0 = most significant) where `address AND mask` differs from the network.
    pub first_differing_bit: Option<u8>,
}

/// Everything about one prefix: `netlab cidr info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Info {
    /// As typed.
    pub input: String,
    /// Canonical prefix.
    pub network: String,
    /// `IPv4` or `IPv6`.
    pub family: String,
    pub prefix_len: u8,
    pub network_address: String,
    pub netmask: String,
    /// The host mask (inverse of the netmask), as in ACLs.
    pub wildcard: String,
    /// Directed broadcast address; none for IPv6 (RFC 4291 §2) and IPv4 /31 and /32 (RFC 3021).
    pub broadcast: Option<String>,
    pub first_usable: String,
    pub last_usable: String,
    /// Number of addresses, decimal.
    pub addresses: String,
    /// Number of addresses a host can use, decimal.
    pub usable_hosts: String,
    /// False when the input had host bits set.
    pub canonical: bool,
    /// Special-purpose blocks this prefix is in or contains.
    pub special: Vec<SpecialMatch>,
}

/// A special-purpose block related to a prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialMatch {
    pub block: String,
    pub name: String,
    pub reference: String,
    /// `inside` (the prefix is within the block) or `contains` (the block is within the prefix).
    pub relation: String,
}

/// A prefix cut into equal subnets: `netlab cidr split`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Split {
    pub network: String,
    pub new_prefix_len: u8,
    /// How many subnets, decimal.
    pub count: String,
    pub subnets: Vec<String>,
}

/// The fewest prefixes covering exactly the input: `netlab cidr aggregate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    pub input_count: u64,
    pub prefixes: Vec<String>,
}

/// Input prefixes that overlap: `netlab cidr overlap`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overlap {
    pub input_count: u64,
    pub pairs: Vec<OverlapPair>,
    /// Pairs found beyond the listing limit (counted, not listed).
    pub unlisted_pairs: u64,
}

/// Two overlapping input prefixes. CIDR prefixes either nest or are disjoint, so an overlap
/// is always containment (or equality).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverlapPair {
    /// The larger (containing) prefix and its input line.
    pub outer: String,
    pub outer_line: u64,
    /// The smaller (contained) prefix and its input line.
    pub inner: String,
    pub inner_line: u64,
    /// `equal` or `contains`.
    pub relation: String,
}

/// Address space left after removing prefixes: `netlab cidr exclude`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exclude {
    pub from: Vec<String>,
    pub minus: Vec<String>,
    pub prefixes: Vec<String>,
    /// Addresses left, decimal (IPv4 and IPv6 added together only when one family is present).
    pub addresses_left: Vec<FamilyCount>,
}

/// A count of addresses in one family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FamilyCount {
    pub family: String,
    pub addresses: String,
}
