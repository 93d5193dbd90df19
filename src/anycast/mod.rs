//! `netlab anycast`: one address announced by BGP from three points of presence, and which one
//! each client reaches, on a small internet of network namespaces that netlab builds, routes
//! with BIRD 2, and tears down when the command ends (`netlab anycast up` keeps it running for
//! the learner's own tools until Ctrl-C).
//!
//! - [`topology`]: the namespaces, links and addresses, and each router's BGP sessions.
//! - [`bird`]: BIRD's configuration, the daemons, and `birdc`'s routes.
//! - [`internet`]: all of it running, converged, and asked where each client goes.
//! - [`identity`]: the DNS identity query (`id.server.` CH TXT) each PoP answers with its name,
//!   and DNS steering's answer for `www.cdn.example`.
//! - [`web`]: each PoP's web edge (an `x-served-by` header) and the download across a route
//!   change.
//! - [`change`]: a withdrawal or a failure, measured.
//! - [`notes`]: what a change taught, said from what its trace shows.
//! - [`tap`]: the BGP conversation captured on the transits' links.
//!
//! Anycast is unicast routing with one twist: several places announce the same prefix, and
//! every router picks one of them by the ordinary BGP decision process (RFC 4271 §9.1; RFC
//! 4786 §2). Which PoP a client reaches is decided by its network's routers, not by the
//! client, and changes when an announcement goes away.

pub mod bird;
pub mod change;
pub mod events;
pub mod identity;
pub mod internet;
pub mod notes;
pub mod render;
pub mod tap;
pub mod topology;
pub mod web;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use change::Change;
use events::{AnycastEvent, Up};
use internet::Internet;
use topology::{CLIENTS, POPS, PREFIX};

use crate::error::{Error, Result};
use crate::trace::{Note, Outcome, Trace, TraceBuilder};

/// What `netlab anycast` was asked.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// After the baseline, this PoP is withdrawn or fails.
    pub change: Option<(Change, String)>,
    /// Prepending, MED and local preference.
    pub policy: topology::Policy,
    /// Write the BGP segments captured on the transits' links here.
    pub pcap: Option<PathBuf>,
}

impl Options {
    /// Refuses a PoP the topology does not have.
    fn check(&self) -> Result<()> {
        for pop in self
            .change
            .iter()
            .map(|c| &c.1)
            .chain(self.policy.prepend.iter().map(|p| &p.0))
            .chain(self.policy.med.iter().map(|p| &p.0))
        {
            if !POPS.contains(&pop.as_str()) {
                return Err(Error::usage(
                    pop.to_string(),
                    "is not a PoP of the topology",
                    format!("name one of {}", POPS.join(", ")),
                ));
            }
        }
        Ok(())
    }
}

/// Builds the internet, waits for BGP, and records where each client goes, before and after
/// the change asked for.
pub fn run(opts: &Options) -> Result<Trace> {
    opts.check()?;
    let mut net = Internet::build(&opts.policy)?;
    let mut b = TraceBuilder::new("anycast", "anycast");
    b.push(AnycastEvent::Setup(net.setup()), setup_notes(opts));
    let before = net.reaches("baseline")?;
    for r in &before {
        b.push(AnycastEvent::Reach(r.clone()), Vec::new());
    }
    let frames = match &opts.change {
        Some((change, pop)) => {
            let (seen, after, frames) = change::measure(&mut net, *change, pop, &before)?;
            let notes = notes::change(&seen, &after);
            b.push(AnycastEvent::Change(seen), notes);
            for r in after {
                b.push(AnycastEvent::Reach(r), Vec::new());
            }
            frames
        }
        None => net.tap.take().map(tap::Tap::finish).unwrap_or_default(),
    };
    drop(net);
    if let Some(path) = &opts.pcap {
        tap::write_pcap(path, &frames)?;
    }
    Ok(b.finish(Outcome::Ok))
}

/// `netlab anycast up`: builds the internet and its baseline, hands the trace (with how to
/// reach into each namespace) to `show`, keeps everything running until `wait` returns, then
/// tears it down.
pub fn up(
    opts: &Options,
    seconds: Option<u64>,
    show: impl FnOnce(&Trace) -> Result<()>,
    wait: impl FnOnce(),
) -> Result<()> {
    opts.check()?;
    let net = Internet::build(&opts.policy)?;
    let mut b = TraceBuilder::new("anycast", "anycast up");
    b.push(AnycastEvent::Setup(net.setup()), setup_notes(opts));
    for r in net.reaches("baseline")? {
        b.push(AnycastEvent::Reach(r), Vec::new());
    }
    b.push(AnycastEvent::Up(entrances(&net, seconds)), vec![Note::new(
        "anycast.up",
        "The namespaces exist only while this command runs: each path is a descriptor netlab holds, which nsenter --net= enters. birdc talks to each router's BIRD through its socket; disable announced on a PoP withdraws the prefix by hand, enable announced brings it back.",
        Some("RFC 4786 §4.4"),
    )]);
    show(&b.finish(Outcome::Ok))?;
    wait();
    Ok(())
}

/// How to reach into the running internet: each namespace, each BIRD socket, and commands to
/// paste.
fn entrances(net: &Internet, seconds: Option<u64>) -> Up {
    let namespaces: BTreeMap<String, String> = net
        .topo
        .nodes
        .iter()
        .map(|(name, ns)| (name.clone(), ns.proc_path().display().to_string()))
        .collect();
    let birdc: BTreeMap<String, String> = net
        .routers
        .iter()
        .map(|r| {
            (
                r.name.clone(),
                net.dir().join(format!("{}.ctl", r.name)).display().to_string(),
            )
        })
        .collect();
    let enter = |node: &str| format!("nsenter --net={}", namespaces.get(node).map_or("?", String::as_str));
    let (eu, asia) = (format!("c-{}", CLIENTS[0].0), format!("c-{}", CLIENTS[1].0));
    let ctl = |router: &str| birdc.get(router).map_or("?", String::as_str).to_string();
    let anycast = topology::ANYCAST;
    let try_commands = vec![
        format!("{} dig @{anycast} id.server CH TXT +short", enter(&eu)),
        format!("{} curl -sI http://{anycast}/", enter(&asia)),
        format!("{} dig @{anycast} www.cdn.example +short", enter(&asia)),
        format!("birdc -s {} show route {PREFIX} all", ctl("ta")),
        format!("birdc -s {} disable announced", ctl("fra")),
        format!("{} tcpdump -ni nl-ta-fra port 179", enter("ta")),
    ];
    Up {
        namespaces,
        birdc,
        try_commands,
        seconds,
    }
}

fn setup_notes(opts: &Options) -> Vec<Note> {
    let mut notes = vec![Note::new(
        "anycast.what",
        "Three PoPs announce the same prefix from the same AS; each router keeps every path it hears and picks one by the BGP decision process, so each client reaches whichever PoP its own network's routers prefer, and no client chooses.",
        Some("RFC 4786 §2; RFC 4271 §9.1"),
    )];
    if let Some((pop, n)) = &opts.policy.prepend {
        notes.push(Note::new(
            "anycast.prepend",
            format!("{pop} prepends its AS {n} more times: its paths look {n} ASes longer to its neighbours. Prepending moves traffic only where the AS path's length decides; a neighbour's local preference is compared first and outranks it."),
            Some("RFC 4271 §9.1.2.2"),
        ));
    }
    if opts.policy.flat {
        notes.push(Note::new(
            "anycast.flat",
            "The transits give every route LOCAL_PREF 100: no region is preferred, so between two PoPs equally far in ASes the later steps decide, MED among routes from the same neighbouring AS, then as a last resort the lowest BGP identifier, a tiebreak that knows nothing of distance.",
            Some("RFC 4271 §9.1.2.2"),
        ));
    }
    if let Some((pop, m)) = &opts.policy.med {
        notes.push(Note::new(
            "anycast.med",
            format!("{pop} sends MED {m} with its routes, the others none (0). A neighbour compares MEDs only between routes from the same neighbouring AS, here all three PoPs' AS64500, and only after local preference and the AS path's length: MED is the PoPs' request for which entrance to use, which the neighbour's own policy outranks."),
            Some("RFC 4271 §5.1.4, §9.1.2.2 c"),
        ));
    }
    notes
}
