//! BIRD 2, the routing daemon that does the BGP: its configuration written from the topology,
//! one daemon per router namespace (supervised: `bird -f` as netlab's child, killed with it),
//! and `birdc` to ask it for routes and to disable a session.
//!
//! Every router runs eBGP only (one AS per router, RFC 4271 §1.1): the PoPs originate the
//! anycast prefix, the transits pass it on and originate their clients' networks. Timers are
//! short so the lab converges in a second: keepalive 1 s, hold 3 s (RFC 4271 §4.4, §10).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::error::Error;
use crate::net::ns::Namespace;

/// One eBGP session of a router.
#[derive(Debug, Clone)]
pub struct Session {
    /// The session's name in BIRD (`to_ta`), and the peer's name.
    pub name: String,
    pub peer: String,
    pub local: String,
    pub neighbor: String,
    pub peer_as: u32,
    /// LOCAL_PREF given to routes learned here (RFC 4271 §5.1.5); BIRD's default is 100.
    pub local_pref: u32,
    /// How many extra times the router puts its own AS on the paths it announces here
    /// (AS-path prepending: a longer path, to be chosen less).
    pub prepend: u32,
    /// The MULTI_EXIT_DISC it sends with its routes: which of several links to the same
    /// neighbouring AS it would rather be reached by (lower is preferred, RFC 4271 §5.1.4).
    pub med: Option<u32>,
}

/// One router's configuration.
#[derive(Debug, Clone)]
pub struct Router {
    pub name: String,
    pub router_id: String,
    pub asn: u32,
    /// Prefixes it originates (the static protocol `announced`; for a PoP, the anycast prefix).
    pub originates: Vec<String>,
    /// A PoP's own unicast /32, originated by a static protocol of its own (`own`), so that
    /// withdrawing the anycast prefix leaves it announced.
    pub own: Option<String>,
    pub sessions: Vec<Session>,
}

/// The BIRD configuration for `r`.
pub fn config(r: &Router) -> String {
    let mut c = String::new();
    let _ = writeln!(c, "# netlab anycast: {} (AS{})", r.name, r.asn);
    let _ = writeln!(c, "router id {};", r.router_id);
    let _ = writeln!(c, "protocol device {{ scan time 10; }}");
    // BGP's best routes go into the namespace's kernel table, where packets follow them.
    let _ = writeln!(
        c,
        "protocol kernel {{ ipv4 {{ import none; export where source = RTS_BGP; }}; learn off; }}"
    );
    if !r.originates.is_empty() {
        let _ = writeln!(c, "protocol static announced {{");
        let _ = writeln!(c, "  ipv4;");
        for p in &r.originates {
            let _ = writeln!(c, "  route {p} unreachable;");
        }
        let _ = writeln!(c, "}}");
    }
    if let Some(own) = &r.own {
        let _ = writeln!(c, "protocol static own {{ ipv4; route {own} unreachable; }}");
    }
    for s in &r.sessions {
        let _ = writeln!(c, "protocol bgp {} {{", s.name);
        let _ = writeln!(c, "  description \"{}\";", s.peer);
        let _ = writeln!(c, "  local {} as {};", s.local, r.asn);
        let _ = writeln!(c, "  neighbor {} as {};", s.neighbor, s.peer_as);
        let _ = writeln!(
            c,
            "  hold time 3; keepalive time 1; connect delay time 1; connect retry time 1; error wait time 1, 3;"
        );
        let prepends = format!("bgp_path.prepend({}); ", r.asn).repeat(s.prepend as usize);
        let med = s.med.map_or_else(String::new, |m| format!("bgp_med = {m}; "));
        let _ = writeln!(
            c,
            "  ipv4 {{ import filter {{ bgp_local_pref = {}; accept; }}; export filter {{ if source ~ [RTS_STATIC, RTS_BGP] then {{ {prepends}{med}accept; }} reject; }}; }};",
            s.local_pref
        );
        let _ = writeln!(c, "}}");
    }
    c
}

/// A BIRD daemon running inside a namespace, and the socket `birdc` talks to.
pub struct Daemon {
    pub name: String,
    child: Child,
    socket: PathBuf,
    /// What it wrote to its standard error.
    log: PathBuf,
}

impl Daemon {
    /// Writes `r`'s configuration into `dir` and starts `bird -f` inside `ns`.
    pub fn start(ns: &Namespace, r: &Router, dir: &Path) -> Result<Daemon, Error> {
        let conf = dir.join(format!("{}.conf", r.name));
        std::fs::write(&conf, config(r)).map_err(|e| Error::io(&conf, e))?;
        let socket = dir.join(format!("{}.ctl", r.name));
        let log = dir.join(format!("{}.log", r.name));
        let log_file = std::fs::File::create(&log).map_err(|e| Error::io(&log, e))?;
        let child = ns
            .command("bird")
            .arg("-f")
            .arg("-c")
            .arg(&conf)
            .arg("-s")
            .arg(&socket)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .map_err(|e| launch_error(e, "bird"))?;
        Ok(Daemon {
            name: r.name.clone(),
            child,
            socket,
            log,
        })
    }

    /// If the daemon has exited: the error, with the first line it wrote.
    pub fn failed(&mut self) -> Option<Error> {
        let status = self.child.try_wait().ok()??;
        let said = std::fs::read_to_string(&self.log).unwrap_or_default();
        Some(Error::Io {
            path: format!("bird ({})", self.name).into(),
            source: std::io::Error::other(format!(
                "exited ({status}): {}",
                crate::net::ns::tool::first_complaint(&said)
            )),
            hint: "check BIRD 2's version (bird --version: 2.0 or later)".into(),
        })
    }

    /// `birdc -s SOCKET COMMAND...`: what BIRD answered.
    pub fn ask(&self, command: &[&str]) -> Result<String, Error> {
        let out = Command::new("birdc")
            .arg("-s")
            .arg(&self.socket)
            .args(command)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| launch_error(e, "birdc"))?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The error for `program` (bird or birdc) that could not be started.
fn launch_error(e: std::io::Error, program: &str) -> Error {
    match e.kind() {
        std::io::ErrorKind::NotFound => Error::Io {
            path: program.into(),
            source: e,
            hint: "install BIRD 2 (apt-get install bird2)".into(),
        },
        _ => Error::io(program, e),
    }
}

/// One route to a prefix, as `birdc show route PREFIX all` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The session it was learned on (`from_fra`), and whether BIRD chose it.
    pub protocol: String,
    pub best: bool,
    pub as_path: Vec<u32>,
    pub local_pref: u32,
    pub med: Option<u32>,
}

/// The routes of `birdc show route PREFIX all` output: each starts with a line holding
/// `unicast [PROTOCOL ...]` (a `*` after the bracket marks the best) and has attribute lines
/// `BGP.as_path: 64510 64500`, `BGP.local_pref: 100`, `BGP.med: 10` below it.
pub fn parse_routes(text: &str) -> Vec<Route> {
    let mut routes: Vec<Route> = Vec::new();
    for line in text.lines() {
        if let Some(at) = line.find("unicast [") {
            let rest = &line[at + "unicast [".len()..];
            let protocol = rest
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_end_matches(']')
                .to_string();
            let best = rest
                .split(']')
                .nth(1)
                .is_some_and(|after| after.trim_start().starts_with('*'));
            routes.push(Route {
                protocol,
                best,
                as_path: Vec::new(),
                local_pref: 100,
                med: None,
            });
            continue;
        }
        let Some(route) = routes.last_mut() else { continue };
        let line = line.trim();
        if let Some(path) = line.strip_prefix("BGP.as_path:") {
            route.as_path = path.split_whitespace().filter_map(|a| a.parse().ok()).collect();
        } else if let Some(lp) = line.strip_prefix("BGP.local_pref:") {
            route.local_pref = lp.trim().parse().unwrap_or(100);
        } else if let Some(med) = line.strip_prefix("BGP.med:") {
            route.med = med.trim().parse().ok();
        }
    }
    routes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_their_attributes_from_birdc() {
        let text = "BIRD 2.0.12 ready.\nTable master4:\n203.0.113.0/24       unicast [from_fra 15:26:34.051] * (100) [AS64500i]\n\tvia 100.64.100.1 on nl-ta-fra\n\tType: BGP univ\n\tBGP.origin: IGP\n\tBGP.as_path: 64500\n\tBGP.next_hop: 100.64.100.1\n\tBGP.local_pref: 200\n                     unicast [from_tb 15:26:35.001] (100) [AS64500i]\n\tvia 100.64.100.18 on nl-ta-tb\n\tBGP.as_path: 64520 64500\n\tBGP.local_pref: 100\n\tBGP.med: 10\n";
        let routes = parse_routes(text);
        assert_eq!(routes.len(), 2);
        assert_eq!(
            routes[0],
            Route {
                protocol: "from_fra".into(),
                best: true,
                as_path: vec![64500],
                local_pref: 200,
                med: None
            }
        );
        assert!(!routes[1].best);
        assert_eq!(routes[1].as_path, [64520, 64500]);
        assert_eq!(routes[1].med, Some(10));
        assert!(parse_routes("Network not found\n").is_empty());
    }

    #[test]
    fn the_configuration_names_the_sessions_and_policy() {
        let r = Router {
            name: "ta".into(),
            router_id: "10.0.0.10".into(),
            asn: 64510,
            originates: vec!["100.64.1.0/24".into()],
            own: Some("198.51.100.9/32".into()),
            sessions: vec![Session {
                name: "from_fra".into(),
                peer: "fra".into(),
                local: "100.64.100.2".into(),
                neighbor: "100.64.100.1".into(),
                peer_as: 64500,
                local_pref: 200,
                prepend: 2,
                med: Some(7),
            }],
        };
        let c = config(&r);
        assert!(
            c.contains("then { bgp_path.prepend(64510); bgp_path.prepend(64510); bgp_med = 7; accept; }"),
            "{c}"
        );
        assert!(c.contains("router id 10.0.0.10;"), "{c}");
        assert!(c.contains("route 100.64.1.0/24 unreachable;"), "{c}");
        assert!(
            c.contains("protocol static own { ipv4; route 198.51.100.9/32 unreachable; }"),
            "{c}"
        );
        assert!(c.contains("local 100.64.100.2 as 64510;"), "{c}");
        assert!(c.contains("neighbor 100.64.100.1 as 64500;"), "{c}");
        assert!(c.contains("bgp_local_pref = 200;"), "{c}");
    }
}
