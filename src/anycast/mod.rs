//! `netlab anycast`: one address announced by BGP from three points of presence, and which one
//! each client reaches, on a small internet of network namespaces that netlab builds, routes
//! with BIRD 2, and tears down when the command ends.
//!
//! - [`topology`]: the namespaces, links and addresses, and each router's BGP sessions.
//! - [`bird`]: BIRD's configuration, the daemons, and `birdc`'s routes.
//! - [`identity`]: the service on the anycast address that says which PoP answered.
//!
//! Anycast is unicast routing with one twist: several places announce the same prefix, and
//! every router picks one of them by the ordinary BGP decision process (RFC 4271 §9.1; RFC
//! 4786 §2). Which PoP a client reaches is decided by its network's routers, not by the
//! client, and changes when an announcement goes away.

pub mod bird;
pub mod events;
pub mod identity;
pub mod render;
pub mod topology;

use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bird::{Daemon, Route};
use events::{AnycastEvent, Candidate, Move, Reach, Setup, Withdraw};
use identity::{Asker, Services};
use topology::{Topology, CLIENTS, POPS, PREFIX};

use crate::error::{Error, Result};
use crate::net::ns::tool::BIRD;
use crate::trace::{Note, Outcome, Trace, TraceBuilder};

/// How long BGP may take to give every client a route.
const CONVERGE_WITHIN: Duration = Duration::from_secs(20);
/// How long a client may take to reach another PoP after a withdrawal.
const MOVE_WITHIN: Duration = Duration::from_secs(10);
/// How long a client waits for each answer while a move is timed: the measurement's grain.
const POLL: Duration = Duration::from_millis(5);

/// What `netlab anycast` was asked.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Disable this PoP's BGP sessions after the baseline.
    pub withdraw: Option<String>,
    /// This PoP prepends its AS this many extra times.
    pub prepend: Option<(String, u32)>,
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
    for pop in opts.withdraw.iter().chain(opts.prepend.iter().map(|p| &p.0)) {
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
    let started = Instant::now();
    let mut daemons = Vec::new();
    for r in &routers {
        daemons.push(Daemon::start(topo.ns(&r.name), r, &dir.0)?);
    }
    let pops: Vec<(&str, &crate::net::ns::Namespace)> = POPS.iter().map(|p| (*p, topo.ns(p))).collect();
    let _services = Services::start(&pops)?;
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
            network: "seven network namespaces of netlab's own, joined by veth pairs, routed by BIRD 2".into(),
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
                Ok(Reach {
                    phase: phase.to_string(),
                    client: client.to_string(),
                    pop: answer.as_ref().map(|a| a.0.clone()),
                    rtt_ms: answer.map(|a| a.1),
                    transit: transit.to_string(),
                    reason: reason(&routes),
                    candidates: routes.iter().map(candidate).collect(),
                })
            })
            .collect()
    };
    let before = reaches("baseline")?;
    for r in &before {
        b.push(AnycastEvent::Reach(r.clone()), Vec::new());
    }
    if let Some(pop) = &opts.withdraw {
        let router = routers.iter().find(|r| &r.name == pop).expect("a PoP's router");
        // The clock starts as the first session goes down.
        let t0 = Instant::now();
        for s in &router.sessions {
            daemon(pop).ask(&["disable", &s.name])?;
        }
        let mut moves: Vec<Move> = before
            .iter()
            .map(|r| Move {
                client: r.client.clone(),
                before: r.pop.clone(),
                after: None,
                converged_ms: None,
            })
            .collect();
        while t0.elapsed() < MOVE_WITHIN
            && moves
                .iter()
                .any(|m| m.before.as_deref() == Some(pop) && m.after.is_none())
        {
            for (m, (_, asker)) in moves.iter_mut().zip(&askers) {
                if m.after.is_some() || m.before.as_deref() != Some(pop) {
                    continue;
                }
                if let Some((now, _)) = asker.ask_within(POLL).filter(|(now, _)| now != pop) {
                    m.after = Some(now);
                    m.converged_ms = Some(t0.elapsed().as_secs_f64() * 1e3);
                }
            }
        }
        let after = reaches(&format!("after withdrawing {pop}"))?;
        for m in &mut moves {
            if m.after.is_none() {
                m.after = after.iter().find(|r| r.client == m.client).and_then(|r| r.pop.clone());
            }
        }
        let notes = withdraw_notes(pop, &moves);
        b.push(
            AnycastEvent::Withdraw(Withdraw {
                pop: pop.clone(),
                moves,
            }),
            notes,
        );
        for r in after {
            b.push(AnycastEvent::Reach(r), Vec::new());
        }
    }
    drop(daemons);
    Ok(b.finish(Outcome::Ok))
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

fn withdraw_notes(pop: &str, moves: &[Move]) -> Vec<Note> {
    let moved: Vec<String> = moves
        .iter()
        .filter_map(|m| {
            Some(format!(
                "{} moved from {} to {} in {:.0} ms",
                m.client,
                m.before.as_deref()?,
                m.after.as_deref()?,
                m.converged_ms?
            ))
        })
        .collect();
    let text = if moved.is_empty() {
        format!("No client was reaching {pop}, so its withdrawal moved none: anycast fails over only the clients whose routers had chosen the PoP that went.")
    } else {
        format!(
            "Disabling {pop}'s BGP sessions sent a NOTIFICATION (Cease) and its neighbours withdrew its routes at once: {}. A PoP that dies without closing its sessions is noticed only when the hold timer (3 s here, 90 s by default) expires.",
            moved.join("; ")
        )
    };
    vec![Note::new(
        "anycast.withdraw",
        text,
        Some("RFC 4271 §6.7, §9.1.3; RFC 4786 §4.4"),
    )]
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
