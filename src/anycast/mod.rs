//! `netlab anycast`: one address announced by BGP from three points of presence, and which one
//! each client reaches, on a small internet of network namespaces that netlab builds, routes
//! with BIRD 2, and tears down when the command ends.
//!
//! - [`topology`]: the namespaces, links and addresses, and each router's BGP sessions.
//! - [`bird`]: BIRD's configuration, the daemons, and `birdc`'s routes.
//! - [`identity`]: the DNS identity query (`id.server.` CH TXT) each PoP answers with its name.
//! - [`notes`]: what a change taught, said from what its trace shows.
//! - [`tap`]: the BGP conversation captured on the transits' links.
//! - [`web`]: each PoP's web edge (an `x-served-by` header) and the download across a route
//!   change.
//!
//! Anycast is unicast routing with one twist: several places announce the same prefix, and
//! every router picks one of them by the ordinary BGP decision process (RFC 4271 §9.1; RFC
//! 4786 §2). Which PoP a client reaches is decided by its network's routers, not by the
//! client, and changes when an announcement goes away.

pub mod bird;
pub mod events;
pub mod identity;
pub mod notes;
pub mod render;
pub mod tap;
pub mod topology;
pub mod web;

use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bird::{Daemon, Route};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use events::{AnycastEvent, BgpSeen, Candidate, Download, Move, PopChange, Reach, Setup, Steered};
use identity::{Asker, Responder};
use tap::Tap;
use topology::{Topology, CLIENTS, POPS, PREFIX};
use web::Edge;

use crate::error::{Error, Result};
use crate::net::ns::tool::{BIRD, NFT};
use crate::trace::{Note, Outcome, Trace, TraceBuilder};

/// How long BGP may take to give every client a route.
const CONVERGE_WITHIN: Duration = Duration::from_secs(20);
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
    fn phase(self, pop: &str) -> String {
        match self {
            Change::Withdraw => format!("after withdrawing {pop}"),
            Change::Fail => format!("after {pop} failed"),
        }
    }
}

/// What `netlab anycast` was asked.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// After the baseline, this PoP is withdrawn or fails.
    pub change: Option<(Change, String)>,
    /// This PoP prepends its AS this many extra times.
    pub prepend: Option<(String, u32)>,
    /// Write the BGP segments captured on the transits' links here.
    pub pcap: Option<PathBuf>,
}

/// A private folder for BIRD's configurations and control sockets, removed when dropped.
struct Workdir(PathBuf);

impl Workdir {
    fn create() -> Result<Workdir> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!("netlab-anycast-{}-{nanos}", std::process::id()));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .map_err(|e| Error::io(&dir, e))?;
        Ok(Workdir(dir))
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Builds the internet, waits for BGP, and records where each client goes.
pub fn run(opts: &Options) -> Result<Trace> {
    for pop in opts
        .change
        .iter()
        .map(|c| &c.1)
        .chain(opts.prepend.iter().map(|p| &p.0))
    {
        if !POPS.contains(&pop.as_str()) {
            return Err(Error::usage(
                pop.to_string(),
                "is not a PoP of the topology",
                format!("name one of {}", POPS.join(", ")),
            ));
        }
    }
    crate::net::ns::require_privileges()?;
    if !BIRD.installed() {
        return Err(BIRD.missing());
    }
    let topo = Topology::create()?;
    let dir = Workdir::create()?;
    let routers = topology::routers(opts.prepend.as_ref().map(|(p, n)| (p.as_str(), *n)));
    let taps: Vec<(&crate::net::ns::Namespace, String)> = topology::transit_interfaces()
        .into_iter()
        .map(|(transit, interface)| (topo.ns(transit), interface))
        .collect();
    let mut tap = Some(Tap::start(&taps)?);
    let started = Instant::now();
    let mut daemons = Vec::new();
    for r in &routers {
        daemons.push(Daemon::start(topo.ns(&r.name), r, &dir.0)?);
    }
    let _services = POPS
        .iter()
        .map(|p| Ok((Responder::start(p, topo.ns(p))?, Edge::start(p, topo.ns(p))?)))
        .collect::<Result<Vec<_>>>()?;
    let askers: Vec<(&str, Asker)> = CLIENTS
        .iter()
        .map(|c| Ok((c.0, Asker::open(topo.ns(&format!("c-{}", c.0)))?)))
        .collect::<Result<_>>()?;
    // Converged: each transit has heard the prefix on every session (so its choice is final),
    // and every client gets an answer.
    let heard_everywhere = |daemons: &[Daemon]| {
        routers
            .iter()
            .filter(|r| topology::asn(&r.name) != topology::POP_AS)
            .all(|r| {
                daemons.iter().find(|d| d.name == r.name).is_some_and(|d| {
                    let text = d.ask(&["show", "route", PREFIX, "all"]).unwrap_or_default();
                    bird::parse_routes(&text).len() == r.sessions.len()
                })
            })
    };
    while !heard_everywhere(&daemons) || askers.iter().any(|(_, a)| a.ask().is_none()) {
        if let Some(e) = daemons.iter_mut().find_map(Daemon::failed) {
            return Err(e);
        }
        if started.elapsed() > CONVERGE_WITHIN {
            return Err(Error::usage(
                "netlab anycast",
                format!("BGP gave the clients no route within {} s", CONVERGE_WITHIN.as_secs()),
                "check that bird runs here (bird --version), then report this",
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let converged_ms = started.elapsed().as_secs_f64() * 1e3;
    let daemon = |name: &str| daemons.iter().find(|d| d.name == name).expect("a router's daemon");
    let mut b = TraceBuilder::new("anycast", "anycast");
    b.push(
        AnycastEvent::Setup(Setup {
            network: "seven network namespaces of netlab's own, the routers joined by emulated links (one-way delays of 5 to 80 ms), the clients by veth pairs, routed by BIRD 2".into(),
            prefix: PREFIX.into(),
            address: topology::ANYCAST.to_string(),
            pop_as: topology::POP_AS,
            pops: POPS.iter().map(|p| p.to_string()).collect(),
            sessions: routers
                .iter()
                .flat_map(|r| {
                    r.sessions.iter().map(move |s| {
                        let prepended = match s.prepend {
                            0 => String::new(),
                            n => format!(", prepending its AS {n} more times"),
                        };
                        format!(
                            "{} (AS{}) hears {} (AS{}) with local-pref {}{prepended}",
                            r.name, r.asn, s.peer, s.peer_as, s.local_pref
                        )
                    })
                })
                .collect(),
            converged_ms,
        }),
        setup_notes(opts),
    );
    let reaches = |phase: &str| -> Result<Vec<Reach>> {
        askers
            .iter()
            .map(|(client, asker)| {
                let transit = CLIENTS.iter().find(|c| c.0 == *client).map_or("", |c| c.1);
                let routes = bird::parse_routes(&daemon(transit).ask(&["show", "route", PREFIX, "all"])?);
                let answer = asker.ask();
                let ns = topo.ns(&format!("c-{client}"));
                let steered = asker.steer().map(|(address, ttl)| Steered {
                    name: identity::STEERED_NAME.to_string(),
                    address: address.to_string(),
                    ttl,
                    served_by: web::served_by(ns, address),
                });
                Ok(Reach {
                    phase: phase.to_string(),
                    client: client.to_string(),
                    pop: answer.as_ref().map(|a| a.0.clone()),
                    rtt_ms: answer.map(|a| a.1),
                    served_by: web::served_by(ns, topology::ANYCAST),
                    steered,
                    transit: transit.to_string(),
                    reason: reason(&routes),
                    candidates: routes.iter().map(candidate).collect(),
                })
            })
            .collect()
    };
    let before = reaches("baseline")?;
    let mut captured = Vec::new();
    for r in &before {
        b.push(AnycastEvent::Reach(r.clone()), Vec::new());
    }
    if let Some((change, pop)) = &opts.change {
        let resets_before = resets(&topo)?;
        // Two downloads per client: from the anycast address, and from the address DNS
        // steering gave it (its regional PoP's own).
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
        let (t0, moves, fetched) = std::thread::scope(|scope| -> Result<_> {
            let downloads: Vec<_> = sources
                .iter()
                .zip(&progress)
                .map(|((client, _, address), got)| {
                    let ns = topo.ns(&format!("c-{client}"));
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
                Change::Withdraw => drop(daemon(pop).ask(&["disable", "announced"])?),
                Change::Fail => go_dark(topo.ns(pop))?,
            }
            let moves = follow_moves(pop, &before, &askers, t0);
            let fetched: Vec<web::Download> = downloads
                .into_iter()
                .map(|d| d.join().expect("a download thread"))
                .collect();
            Ok((t0, moves, fetched))
        })?;
        let after = reaches(&change.phase(pop))?;
        captured = tap.take().map(Tap::finish).unwrap_or_default();
        let mut moves = moves;
        for m in &mut moves {
            if m.after.is_none() {
                m.after = after.iter().find(|r| r.client == m.client).and_then(|r| r.pop.clone());
            }
        }
        let resets_sent: BTreeMap<String, u64> = resets(&topo)?
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
            pop: pop.clone(),
            how: change.name().to_string(),
            moves,
            downloads,
            resets_sent,
            bgp: routing_after(t0, &captured),
        };
        let notes = notes::change(&seen, &after);
        b.push(AnycastEvent::Change(seen), notes);
        for r in after {
            b.push(AnycastEvent::Reach(r), Vec::new());
        }
    }
    drop(daemons);
    if let Some(t) = tap {
        captured = t.finish();
    }
    if let Some(path) = &opts.pcap {
        tap::write_pcap(path, &captured)?;
    }
    Ok(b.finish(Outcome::Ok))
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
fn routing_after(t0: Instant, frames: &[tap::Frame]) -> Vec<BgpSeen> {
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
fn go_dark(ns: &crate::net::ns::Namespace) -> Result<()> {
    let rules = "table inet netlab_dark {\n  chain input { type filter hook input priority -300; policy accept; iifname \"nl-*\" drop; }\n  chain output { type filter hook output priority -300; policy accept; oifname \"nl-*\" drop; }\n}\n";
    NFT.run(ns, &["-f", "-"], rules).map(drop)
}

/// Every PoP's count of RSTs sent so far.
fn resets(topo: &Topology) -> Result<BTreeMap<String, u64>> {
    POPS.iter()
        .map(|p| Ok((p.to_string(), web::tcp_resets_sent(topo.ns(p))?)))
        .collect()
}

/// `at - t0` in ms, negative when `at` came first.
fn signed_ms(t0: Instant, at: Instant) -> f64 {
    match at.checked_duration_since(t0) {
        Some(d) => d.as_secs_f64() * 1e3,
        None => -(t0.duration_since(at).as_secs_f64() * 1e3),
    }
}

fn setup_notes(opts: &Options) -> Vec<Note> {
    let mut notes = vec![Note::new(
        "anycast.what",
        "Three PoPs announce the same prefix from the same AS; each router keeps every path it hears and picks one by the BGP decision process, so each client reaches whichever PoP its own network's routers prefer, and no client chooses.",
        Some("RFC 4786 §2; RFC 4271 §9.1"),
    )];
    if let Some((pop, n)) = &opts.prepend {
        notes.push(Note::new(
            "anycast.prepend",
            format!("{pop} prepends its AS {n} more times: its paths look {n} ASes longer to its neighbours. Prepending moves traffic only where the AS path's length decides; a neighbour's local preference is compared first and outranks it."),
            Some("RFC 4271 §9.1.2.2"),
        ));
    }
    notes
}

fn candidate(r: &Route) -> Candidate {
    Candidate {
        from: r.protocol.trim_start_matches("with_").to_string(),
        as_path: r.as_path.clone(),
        local_pref: r.local_pref,
        med: r.med,
        best: r.best,
    }
}

/// Why the best route beat each other one: the first step of the decision process where they
/// differ (RFC 4271 §9.1.2.2: LOCAL_PREF, then AS_PATH length, then MED, ... then the lowest
/// BGP identifier).
pub fn reason(routes: &[Route]) -> String {
    let Some(best) = routes.iter().find(|r| r.best) else {
        return "no route to the prefix".to_string();
    };
    let name = |r: &Route| r.protocol.trim_start_matches("with_").to_string();
    let path = |r: &Route| r.as_path.iter().map(u32::to_string).collect::<Vec<_>>().join(" ");
    let mut why = format!(
        "via {} (AS path {}, local-pref {})",
        name(best),
        path(best),
        best.local_pref
    );
    for other in routes.iter().filter(|r| !r.best) {
        let step = if other.local_pref != best.local_pref {
            format!("higher local-pref ({} > {})", best.local_pref, other.local_pref)
        } else if other.as_path.len() != best.as_path.len() {
            format!(
                "shorter AS path ({} < {} ASes)",
                best.as_path.len(),
                other.as_path.len()
            )
        } else if other.med != best.med {
            format!("lower MED ({} < {})", best.med.unwrap_or(0), other.med.unwrap_or(0))
        } else {
            "a tie broken by the lowest router ID".to_string()
        };
        why.push_str(&format!("; over {} (AS path {}): {step}", name(other), path(other)));
    }
    why
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(p: &str, best: bool, path: &[u32], lp: u32) -> Route {
        Route {
            protocol: p.into(),
            best,
            as_path: path.to_vec(),
            local_pref: lp,
            med: None,
        }
    }

    #[test]
    fn the_reason_names_the_deciding_step() {
        let routes = [
            route("with_fra", true, &[64500], 200),
            route("with_iad", false, &[64500], 100),
            route("with_tb", false, &[64520, 64500], 200),
        ];
        let r = reason(&routes);
        assert!(r.starts_with("via fra (AS path 64500, local-pref 200)"), "{r}");
        assert!(
            r.contains("over iad (AS path 64500): higher local-pref (200 > 100)"),
            "{r}"
        );
        assert!(
            r.contains("over tb (AS path 64520 64500): shorter AS path (1 < 2 ASes)"),
            "{r}"
        );
        let tie = [route("with_a", true, &[1], 100), route("with_b", false, &[2], 100)];
        assert!(reason(&tie).contains("lowest router ID"));
        assert_eq!(reason(&[]), "no route to the prefix");
    }
}
