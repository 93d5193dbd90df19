//! The running anycast internet: the namespaces and links, a BIRD per router, each PoP's
//! identity responder and web edge, the clients' askers and the BGP capture, built and
//! converged in [`Internet::build`] and torn down, in that order reversed, when dropped.

use std::collections::BTreeMap;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::bird::{self, Daemon, Route, Router};
use super::events::{Candidate, LinkSeen, Reach, Setup, Steered};
use super::identity::{self, Asker, Responder};
use super::tap::Tap;
use super::topology::{self, Topology, CLIENTS, POPS, PREFIX};
use super::web::{self, Edge};
use crate::error::{Error, Result};
use crate::net::ns::tool::BIRD;
use crate::net::ns::Namespace;

/// How long BGP may take to give every client a route.
const CONVERGE_WITHIN: Duration = Duration::from_secs(20);

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

/// Everything that runs, in the order it stops: the capture and the services first, the
/// daemons, then their folder, then the namespaces and links.
pub struct Internet {
    pub tap: Option<Tap>,
    _services: Vec<(Responder, Edge)>,
    pub askers: Vec<(&'static str, Asker)>,
    daemons: Vec<Daemon>,
    dir: Workdir,
    pub topo: Topology,
    pub routers: Vec<Router>,
    /// From the daemons' start until every transit had the prefix from each session and every
    /// client an answer.
    pub converged_ms: f64,
}

impl Internet {
    /// Builds the internet with the routing `policy` and waits, at most [`CONVERGE_WITHIN`],
    /// for BGP to give every client a route.
    pub fn build(policy: &topology::Policy) -> Result<Internet> {
        crate::net::ns::require_privileges()?;
        if !BIRD.installed() {
            return Err(BIRD.missing());
        }
        let topo = Topology::create()?;
        let dir = Workdir::create()?;
        let routers = topology::routers(policy);
        let taps: Vec<(&Namespace, String)> = topology::transit_interfaces()
            .into_iter()
            .map(|(transit, interface)| (topo.ns(transit), interface))
            .collect();
        let tap = Some(Tap::start(&taps)?);
        let started = Instant::now();
        let mut daemons = Vec::new();
        for r in &routers {
            daemons.push(Daemon::start(topo.ns(&r.name), r, &dir.0)?);
        }
        let services = POPS
            .iter()
            .map(|p| Ok((Responder::start(p, topo.ns(p))?, Edge::start(p, topo.ns(p))?)))
            .collect::<Result<Vec<_>>>()?;
        let askers = CLIENTS
            .iter()
            .map(|c| Ok((c.0, Asker::open(topo.ns(&format!("c-{}", c.0)))?)))
            .collect::<Result<_>>()?;
        let mut net = Internet {
            tap,
            _services: services,
            askers,
            daemons,
            dir,
            topo,
            routers,
            converged_ms: 0.0,
        };
        net.converge(started)?;
        Ok(net)
    }

    /// Waits until each transit has heard the prefix on every session (so its choice is
    /// final) and every client gets an answer.
    fn converge(&mut self, started: Instant) -> Result<()> {
        while !self.heard_everywhere() || self.askers.iter().any(|(_, a)| a.ask().is_none()) {
            if let Some(e) = self.daemons.iter_mut().find_map(Daemon::failed) {
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
        self.converged_ms = started.elapsed().as_secs_f64() * 1e3;
        Ok(())
    }

    fn heard_everywhere(&self) -> bool {
        self.routers
            .iter()
            .filter(|r| topology::asn(&r.name) != topology::POP_AS)
            .all(|r| {
                let text = self
                    .daemon(&r.name)
                    .ask(&["show", "route", PREFIX, "all"])
                    .unwrap_or_default();
                bird::parse_routes(&text).len() == r.sessions.len()
            })
    }

    /// The daemon of router `name`.
    pub fn daemon(&self, name: &str) -> &Daemon {
        self.daemons.iter().find(|d| d.name == name).expect("a router's daemon")
    }

    /// The folder holding each router's configuration (`NAME.conf`) and `birdc` socket
    /// (`NAME.ctl`).
    pub fn dir(&self) -> &Path {
        &self.dir.0
    }

    /// The client `name`'s namespace.
    pub fn client(&self, name: &str) -> &Namespace {
        self.topo.ns(&format!("c-{name}"))
    }

    /// The setup event: the topology, its sessions, and how long BGP took.
    pub fn setup(&self) -> Setup {
        Setup {
            network: "seven network namespaces of netlab's own, the routers joined by emulated links (one-way delays of 5 to 80 ms), the clients by veth pairs, routed by BIRD 2".into(),
            prefix: PREFIX.into(),
            address: topology::ANYCAST.to_string(),
            pop_as: topology::POP_AS,
            pops: POPS.iter().map(|p| p.to_string()).collect(),
            sessions: self
                .routers
                .iter()
                .flat_map(|r| {
                    r.sessions.iter().map(move |s| {
                        let prepended = match s.prepend {
                            0 => String::new(),
                            n => format!(", prepending its AS {n} more times"),
                        };
                        let med = s.med.map_or_else(String::new, |m| format!(", sending MED {m}"));
                        format!(
                            "{} (AS{}) hears {} (AS{}) with local-pref {}{prepended}{med}",
                            r.name, r.asn, s.peer, s.peer_as, s.local_pref
                        )
                    })
                })
                .collect(),
            links: topology::links()
                .into_iter()
                .map(|(a, b, delay_ms)| LinkSeen { a, b, delay_ms })
                .collect(),
            converged_ms: self.converged_ms,
        }
    }

    /// Where each client goes now: the PoP that answers it over DNS and HTTP, the routes its
    /// transit holds and why the best won, and where DNS steering would send it instead.
    pub fn reaches(&self, phase: &str) -> Result<Vec<Reach>> {
        self.askers
            .iter()
            .map(|(client, asker)| {
                let transit = CLIENTS.iter().find(|c| c.0 == *client).map_or("", |c| c.1);
                let routes = bird::parse_routes(&self.daemon(transit).ask(&["show", "route", PREFIX, "all"])?);
                let answer = asker.ask();
                let ns = self.client(client);
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
    }

    /// Every PoP's count of RSTs sent so far.
    pub fn resets(&self) -> Result<BTreeMap<String, u64>> {
        POPS.iter()
            .map(|p| Ok((p.to_string(), web::tcp_resets_sent(self.topo.ns(p))?)))
            .collect()
    }
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
