//! One change to a PoP, measured: the downloads started before it, the change itself (a
//! withdrawal by UPDATE, or a silent failure), each client followed until it reaches another
//! PoP, the RSTs each PoP sent, and the BGP messages that carried the news.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::events::{BgpSeen, Download, Move, PopChange, Reach};
use super::identity::Asker;
use super::internet::Internet;
use super::tap::{self, Frame};
use super::{topology, web};
use crate::error::Result;
use crate::net::ns::tool::NFT;
use crate::net::ns::Namespace;

/// How long a client may take to reach another PoP after a change (a failure waits for the
/// hold timer, 3 s).
const MOVE_WITHIN: Duration = Duration::from_secs(10);
/// How often a client sends an identity query while a move is timed: the measurement's grain.
const POLL: Duration = Duration::from_millis(5);
/// A download is under way once this much has arrived; the route changes then.
const UNDER_WAY: u64 = 64 * 1024;
/// How long the downloads may take to get under way.
const START_WITHIN: Duration = Duration::from_secs(2);

/// What happens to a PoP after the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// It stops announcing the prefix and says so: an UPDATE withdrawing it, sessions up.
    Withdraw,
    /// It goes dark: every packet on its links dropped, nothing said, so its neighbours learn
    /// of it only when their hold timers expire.
    Fail,
}

impl Change {
    /// How the trace names it: `withdrawn`, `failed`.
    pub fn name(self) -> &'static str {
        match self {
            Change::Withdraw => "withdrawn",
            Change::Fail => "failed",
        }
    }

    /// The phase after it, as the reach events name it.
    pub fn phase(self, pop: &str) -> String {
        match self {
            Change::Withdraw => format!("after withdrawing {pop}"),
            Change::Fail => format!("after {pop} failed"),
        }
    }
}

/// Makes `change` to `pop` with downloads under way and clients asking, and measures it; the
/// clients' reaches after it; and every BGP frame captured over the whole run.
pub fn measure(
    net: &mut Internet,
    change: Change,
    pop: &str,
    before: &[Reach],
) -> Result<(PopChange, Vec<Reach>, Vec<Frame>)> {
    let resets_before = net.resets()?;
    // Two downloads per client: from the anycast address, and from the address DNS steering
    // gave it (its regional PoP's own).
    let sources: Vec<(&str, &str, std::net::Ipv4Addr)> = before
        .iter()
        .flat_map(|r| {
            let steered = r.steered.as_ref().and_then(|s| s.address.parse().ok());
            [Some(("anycast", topology::ANYCAST)), steered.map(|a| ("dns", a))]
                .into_iter()
                .flatten()
                .map(move |(how, a)| (r.client.as_str(), how, a))
        })
        .collect();
    let progress: Vec<AtomicU64> = sources.iter().map(|_| AtomicU64::new(0)).collect();
    let shared: &Internet = net;
    let (t0, moves, fetched) = std::thread::scope(|scope| -> Result<_> {
        let downloads: Vec<_> = sources
            .iter()
            .zip(&progress)
            .map(|((client, _, address), got)| {
                let ns = shared.client(client);
                scope.spawn(move || web::download(ns, *address, got))
            })
            .collect();
        let waiting = Instant::now();
        while progress.iter().any(|p| p.load(Ordering::Relaxed) < UNDER_WAY) && waiting.elapsed() < START_WITHIN {
            std::thread::sleep(Duration::from_millis(5));
        }
        // The clock starts as the PoP's BIRD is told to stop announcing, or as it goes dark.
        let t0 = Instant::now();
        match change {
            Change::Withdraw => drop(shared.daemon(pop).ask(&["disable", "announced"])?),
            Change::Fail => go_dark(shared.topo.ns(pop))?,
        }
        let moves = follow_moves(pop, before, &shared.askers, t0);
        let fetched: Vec<web::Download> = downloads
            .into_iter()
            .map(|d| d.join().expect("a download thread"))
            .collect();
        Ok((t0, moves, fetched))
    })?;
    let after = net.reaches(&change.phase(pop))?;
    let frames = net.tap.take().map(tap::Tap::finish).unwrap_or_default();
    let mut moves = moves;
    for m in &mut moves {
        if m.after.is_none() {
            m.after = after.iter().find(|r| r.client == m.client).and_then(|r| r.pop.clone());
        }
    }
    let resets_sent: BTreeMap<String, u64> = net
        .resets()?
        .into_iter()
        .map(|(p, n)| {
            let was = resets_before.get(&p).copied().unwrap_or(0);
            (p, n.saturating_sub(was))
        })
        .collect();
    let downloads: Vec<Download> = sources
        .iter()
        .zip(fetched)
        .map(|((client, how, address), d)| Download {
            client: client.to_string(),
            steering: how.to_string(),
            address: address.to_string(),
            served_by: d.served_by,
            expected_bytes: d.expected,
            received_bytes: d.received,
            end: d.end.name(),
            ended_ms: signed_ms(t0, d.ended),
        })
        .collect();
    let seen = PopChange {
        pop: pop.to_string(),
        how: change.name().to_string(),
        moves,
        downloads,
        resets_sent,
        bgp: routing_after(t0, &frames),
    };
    Ok((seen, after, frames))
}

/// Each client's move away from `pop`: every [`POLL`] each client that was on `pop` sends an
/// identity query without waiting, and the first answer from another PoP dates the move by
/// when its query was sent (so a far PoP's round trip is not counted as routing time). The
/// queries sent before it that no PoP answered are the move's `unanswered`. At most
/// [`MOVE_WITHIN`].
fn follow_moves(pop: &str, before: &[Reach], askers: &[(&str, Asker)], t0: Instant) -> Vec<Move> {
    let mut moves: Vec<Move> = before
        .iter()
        .map(|r| Move {
            client: r.client.clone(),
            before: r.pop.clone(),
            after: None,
            converged_ms: None,
            unanswered: 0,
        })
        .collect();
    // Per client: each query's ID, when it was sent, and whether it was answered.
    let mut sent: Vec<Vec<(u16, Instant, bool)>> = moves.iter().map(|_| Vec::new()).collect();
    let following = |m: &Move| m.after.is_none() && m.before.as_deref() == Some(pop);
    while t0.elapsed() < MOVE_WITHIN && moves.iter().any(following) {
        let round = Instant::now();
        for ((m, (_, asker)), queries) in moves.iter_mut().zip(askers).zip(&mut sent) {
            if !following(m) {
                continue;
            }
            if let Some(id) = asker.probe() {
                queries.push((id, Instant::now(), false));
            }
            for (id, answered_by) in asker.answers(Duration::ZERO) {
                let Some(at) = queries.iter().position(|q| q.0 == id) else {
                    continue;
                };
                queries[at].2 = true;
                if answered_by != pop && m.after.is_none() {
                    m.after = Some(answered_by);
                    m.converged_ms = Some(signed_ms(t0, queries[at].1).max(0.0));
                    m.unanswered = queries[..at].iter().filter(|q| !q.2).count() as u32;
                }
            }
        }
        if let Some(rest) = POLL.checked_sub(round.elapsed()) {
            std::thread::sleep(rest);
        }
    }
    moves
}

/// The BGP messages captured from `t0` on, KEEPALIVEs left out, with who sent them to whom.
fn routing_after(t0: Instant, frames: &[Frame]) -> Vec<BgpSeen> {
    let name = |ip: Option<std::net::IpAddr>| {
        ip.and_then(topology::router_at)
            .map_or_else(|| ip.map(|a| a.to_string()).unwrap_or_default(), str::to_string)
    };
    tap::messages(frames)
        .filter(|f| f.at >= t0)
        .filter(|f| !f.decoded.info.split("; ").all(|m| m == "BGP KEEPALIVE"))
        .map(|f| BgpSeen {
            at_ms: signed_ms(t0, f.at),
            from: name(f.decoded.src),
            to: name(f.decoded.dst),
            info: f.decoded.info.clone(),
        })
        .collect()
}

/// Drops every packet on a PoP's links, both ways, from inside its namespace, so that it
/// neither answers nor says goodbye: what a power cut or a cut fibre looks like to its
/// neighbours. The rules go with the namespace.
fn go_dark(ns: &Namespace) -> Result<()> {
    let rules = "table inet netlab_dark {\n  chain input { type filter hook input priority -300; policy accept; iifname \"nl-*\" drop; }\n  chain output { type filter hook output priority -300; policy accept; oifname \"nl-*\" drop; }\n}\n";
    NFT.run(ns, &["-f", "-"], rules).map(drop)
}

/// `at - t0` in ms, negative when `at` came first.
fn signed_ms(t0: Instant, at: Instant) -> f64 {
    match at.checked_duration_since(t0) {
        Some(d) => d.as_secs_f64() * 1e3,
        None => -(t0.duration_since(at).as_secs_f64() * 1e3),
    }
}
