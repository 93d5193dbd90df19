//! Reflection and amplification: DNS queries with a forged source, answered to the victim.
//!
//! UDP has no handshake, so a server cannot tell who really sent a query; it answers the
//! source address written in the packet. An attacker writes its victim's address there and
//! picks questions with large answers: every byte it sends comes back as many bytes at the
//! victim, from servers the victim cannot block without cutting itself off (RFC 5358 §1,
//! RFC 4732 §3.3). The ratio is the amplification factor.
//!
//! ```text
//!   flood namespace                              edge namespace
//!   raw socket: src 192.0.2.66:44444 ──► veth ──► ns1.example.com 203.0.113.53:53 (no RRL)
//!   (100.64.0.2, its own address)                ns2.example.com 203.0.113.54:53 (RRL)
//!                                                      │ answers
//!                                                      ▼
//!                                                victim 192.0.2.66:44444 (counts the bytes)
//! ```
//!
//! Three phases: the plain server; the same zone behind Response Rate Limiting
//! ([`crate::sandbox::rrl`]); and BCP 38 (RFC 2827) at the attacker's own network, an
//! nftables rule in the flood namespace that drops what leaves with a source address that is
//! not the network's own, so the forged queries never reach a server at all.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use hickory_proto::rr::{Name, RecordType};

use super::events::{Phase, Reflection};
use super::udp_packet;
use super::veth::{Pair, FLOOD_IF};
use crate::dns::wire::{build_query, Question};
use crate::error::Error;
use crate::net::ns::raw::RawSender;
use crate::net::ns::tool::NFT;
use crate::net::ns::Namespace;
use crate::sandbox::dnssec::Keys;
use crate::sandbox::rrl::{RrlCounts, RrlPolicy};
use crate::sandbox::world::SERVERS;

/// The reflector without RRL (ns1.example.com) and the one with it (ns2.example.com).
pub const SERVER: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 53);
pub const SERVER_RRL: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 54);
/// The victim whose address the queries forge.
pub const VICTIM: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 66);
pub const VICTIM_PORT: u16 = 44_444;
/// The attacker's own address, the only source BCP 38 lets out of its network.
pub const ATTACKER: Ipv4Addr = Ipv4Addr::new(100, 64, 0, 2);
const EDGE_ADDR: Ipv4Addr = Ipv4Addr::new(100, 64, 0, 1);
/// The UDP payload size the queries offer (EDNS, RFC 6891 §6.2.5): the attacker asks for as
/// much as the server will send in one datagram.
pub const EDNS_SIZE: u16 = 4096;
/// The nftables table of the BCP 38 phase, in the flood namespace.
const BCP38_TABLE: &str = "netlab_bcp38";
/// The victim has had every answer once nothing arrived for this long.
const QUIET: Duration = Duration::from_millis(300);

/// The questions asked, each for its answer's size: a single address, a large TXT set, the
/// zone's keys with their signatures (DO=1), and ANY.
pub const QUESTIONS: [(&str, RecordType); 4] = [
    ("example.com.", RecordType::A),
    ("big.example.com.", RecordType::TXT),
    ("example.com.", RecordType::DNSKEY),
    ("example.com.", RecordType::ANY),
];

/// Bounds and the RRL policy.
#[derive(Debug, Clone, Copy)]
pub struct RunSpec {
    pub queries: u32,
    pub qps: u32,
    pub rrl: RrlPolicy,
}

/// Everything the run measured.
pub struct Recorded {
    pub rows: Vec<Reflection>,
    /// What the limiter counted: answered, slipped, dropped.
    pub rrl: (u64, u64, u64),
    /// What the BCP 38 rule dropped.
    pub bcp38_dropped: u64,
}

/// Builds the network, starts both servers, and runs the three phases.
pub fn run(spec: RunSpec) -> Result<Recorded, Error> {
    let pair = Pair::create(
        &format!("{ATTACKER}/24"),
        &format!("{EDGE_ADDR}/24"),
        &[format!("route add 203.0.113.0/24 via {EDGE_ADDR}")],
        &[
            format!("addr add {SERVER}/32 dev lo"),
            format!("addr add {SERVER_RRL}/32 dev lo"),
            format!("addr add {VICTIM}/32 dev lo"),
        ],
    )?;
    let counts = Arc::new(RrlCounts::default());
    let runtime = pair.edge.runtime("nl-reflector", 1)?;
    let keys = Keys::generate()?;
    let ns1 = spec_named("ns1.example.com.")?;
    let ns2 = spec_named("ns2.example.com.")?;
    let servers = {
        let counts = Arc::clone(&counts);
        let handle = runtime.handle().clone();
        pair.edge.run(move || {
            crate::net::socket::serving_in_netlab_namespace();
            handle.block_on(async {
                let plain = crate::sandbox::dns::start_limited(
                    ns1,
                    SocketAddr::from((SERVER, 53)),
                    &keys,
                    None,
                    Arc::new(RrlCounts::default()),
                )
                .await?;
                let limited = crate::sandbox::dns::start_limited(
                    ns2,
                    SocketAddr::from((SERVER_RRL, 53)),
                    &keys,
                    Some(spec.rrl),
                    counts,
                )
                .await?;
                Ok::<_, Error>((plain, limited))
            })
        })??
    };
    let victim = pair
        .edge
        .run(|| UdpSocket::bind(SocketAddrV4::new(VICTIM, VICTIM_PORT)))?
        .map_err(|e| Error::io("victim 192.0.2.66:44444", e))?;
    victim
        .set_read_timeout(Some(Duration::from_millis(50)))
        .map_err(|e| Error::io("victim socket", e))?;
    let sender = RawSender::open(&pair.flood)?;
    let mut rows = Vec::new();
    for phase in [Phase::Plain, Phase::Rrl] {
        for (q, question) in QUESTIONS.iter().enumerate() {
            rows.push(reflect(&sender, &victim, phase, q, *question, spec)?);
        }
    }
    let rrl = counts.get();
    bcp38(&pair.flood)?;
    let (name, rtype) = QUESTIONS[2];
    rows.push(reflect(&sender, &victim, Phase::Bcp38, 2, (name, rtype), spec)?);
    let bcp38_dropped = bcp38_count(&pair.flood)?;
    drop(servers);
    drop(runtime);
    Ok(Recorded {
        rows,
        rrl,
        bcp38_dropped,
    })
}

/// The sandbox's spec of the server called `name`.
fn spec_named(name: &str) -> Result<crate::sandbox::world::ServerSpec, Error> {
    SERVERS
        .iter()
        .find(|s| s.name == name)
        .cloned()
        .ok_or_else(|| Error::usage(name.to_string(), "is not a sandbox server", "report this"))
}

/// Installs BCP 38 at the attacker's network: only its own source address may leave.
fn bcp38(flood: &Namespace) -> Result<(), Error> {
    let rules = format!(
        "table ip {BCP38_TABLE} {{
  chain egress {{
    type filter hook output priority 0; policy accept;
    oifname \"{FLOOD_IF}\" ip saddr != {ATTACKER} counter drop
  }}
}}
"
    );
    NFT.run(flood, &["-f", "-"], &rules).map(|_| ())
}

fn bcp38_count(flood: &Namespace) -> Result<u64, Error> {
    let json = NFT.run(flood, &["-j", "list", "table", "ip", BCP38_TABLE], "")?;
    Ok(super::nft::parse_counters(&json).map_or(0, |c| c.dropped))
}

/// One phase's queries for one question, paced at `spec.qps`, and what reached the victim.
fn reflect(
    sender: &RawSender,
    victim: &UdpSocket,
    phase: Phase,
    q: usize,
    (name, rtype): (&str, RecordType),
    spec: RunSpec,
) -> Result<Reflection, Error> {
    let server = match phase {
        Phase::Rrl => SERVER_RRL,
        Phase::Plain | Phase::Bcp38 => SERVER,
    };
    let question = Question {
        name: Name::from_ascii(name).map_err(|e| Error::usage(name.to_string(), e, "report this"))?,
        rtype,
    };
    let tag = query_tag(phase, q);
    let start = Instant::now();
    let mut query_bytes = 0u64;
    let mut sent = 0u32;
    let done = AtomicBool::new(false);
    let answers = thread::scope(|s| {
        let reader = s.spawn(|| collect(victim, tag, &done));
        for i in 0..spec.queries {
            let due = Duration::from_secs_f64(f64::from(i) / f64::from(spec.qps));
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                thread::sleep(wait);
            }
            let id = tag | (i as u16 & 0x01FF);
            let dns = build_query(id, &question, false, Some(EDNS_SIZE), true);
            let packet = udp_packet::datagram(VICTIM, VICTIM_PORT, server, 53, &dns);
            // Refused here (EPERM) when BCP 38's rule drops it on the way out.
            if sender.send(&packet, server).is_ok() {
                sent += 1;
                query_bytes += packet.len() as u64;
            }
        }
        done.store(true, Ordering::Relaxed);
        reader.join().unwrap_or_default()
    });
    let answer_bytes: u64 = answers.iter().map(|a| a.bytes).sum();
    let truncated = answers.iter().filter(|a| a.truncated).count() as u32;
    let full: Vec<&Answer> = answers.iter().filter(|a| !a.truncated).collect();
    Ok(Reflection {
        phase,
        server: format!("{server}:53"),
        qname: name.to_string(),
        qtype: rtype.to_string(),
        queries: spec.queries,
        left: sent,
        query_bytes,
        answers: answers.len() as u32,
        truncated,
        answer_bytes,
        largest_answer: full.iter().map(|a| a.bytes).max().unwrap_or(0),
        factor: if query_bytes == 0 {
            0.0
        } else {
            answer_bytes as f64 / query_bytes as f64
        },
    })
}

/// The high bits of a query's ID: which phase and question it belongs to (the low 9 bits
/// count the queries), so the victim can tell late answers of an earlier batch apart.
fn query_tag(phase: Phase, q: usize) -> u16 {
    let p = match phase {
        Phase::Plain => 1,
        Phase::Rrl => 2,
        Phase::Bcp38 => 3,
    };
    (p << 12) | ((q as u16 & 0x7) << 9)
}

/// One answer the victim received.
#[derive(Debug, Default, Clone, Copy)]
struct Answer {
    /// Its size as an IPv4 packet (the UDP payload + 28 bytes of headers).
    bytes: u64,
    truncated: bool,
}

/// Answers at the victim with IDs of `tag`, until `done` and then [`QUIET`] without one.
fn collect(victim: &UdpSocket, tag: u16, done: &AtomicBool) -> Vec<Answer> {
    let mut answers = Vec::new();
    let mut buf = vec![0u8; 65_535];
    let mut quiet_since: Option<Instant> = None;
    // At most one answer per query, and a hard stop: nothing here runs unbounded.
    let give_up = Instant::now() + Duration::from_secs(30);
    while Instant::now() < give_up && answers.len() < 4096 {
        match victim.recv(&mut buf) {
            Ok(n) if n >= 12 => {
                quiet_since = None;
                let id = u16::from_be_bytes([buf[0], buf[1]]);
                if id & 0xFE00 == tag {
                    answers.push(Answer {
                        bytes: n as u64 + 28,
                        truncated: buf[2] & 0x02 != 0,
                    });
                }
            }
            _ => {
                if done.load(Ordering::Relaxed) {
                    let since = *quiet_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= QUIET {
                        break;
                    }
                }
            }
        }
    }
    answers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_batch_has_its_own_id_bits() {
        let tags: Vec<u16> = [Phase::Plain, Phase::Rrl, Phase::Bcp38]
            .iter()
            .flat_map(|&p| (0..QUESTIONS.len()).map(move |q| query_tag(p, q)))
            .collect();
        let mut unique = tags.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), tags.len(), "{tags:?}");
        assert!(tags.iter().all(|t| t & 0x01FF == 0), "the low bits count queries");
    }
}
