//! The sandbox behind an emulated link: its servers in one network namespace on their own
//! addresses, the command's client in another, and netlab's link model between the two TUN
//! devices (DESIGN.md §3b). Each side runs on threads that live in its namespace: the servers on
//! a runtime of their own, the client on the command's runtime and the calling thread, so every
//! socket either side opens is made where it belongs, and the client's can reach nothing but
//! the link.

use std::sync::{Arc, Mutex};

use super::directory::Directory;
use super::{Addressing, Sandbox};
use crate::error::{Error, Result};
use crate::link::carried::{self, Carriage, Seen};
use crate::link::events::{DirectionCounts, LinkEvent, LinkPacket, LinkSummary, PacketFate};
use crate::link::model::Link;
use crate::link::spec::LinkSpec;
use crate::link::{Direction, Offer, Verdict};
use crate::net::ns::record::{DirectionStats, ForwardLog, RecordVerdict};
use crate::net::ns::{Forwarder, LinkPcap, Namespace, Shaper, Topology};
use crate::net::{Conditions, Network};
use crate::packet::layers::{self, Link as LinkType};

/// Most packets the link logs one by one (the rest are counted).
const LOG_LIMIT: usize = 50_000;
/// Most connections whose contents the link keeps to name its drops by.
const MAX_CARRIAGES: usize = 1024;

/// The link model, shared between the forwarder (which asks it of every packet) and the
/// handle that restarts it.
struct SharedModel(Arc<Mutex<Link>>);

impl Shaper for SharedModel {
    fn offer(&mut self, dir: Direction, now: std::time::Duration, offer: Offer) -> Verdict {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .offer(dir, now, offer)
    }
}

/// What keeps the emulated network alive: the servers' runtime and sandbox, the link, and the
/// namespaces. Dropping it stops the link and the servers; the namespaces go with it.
pub struct Linked {
    spec: LinkSpec,
    model: Arc<Mutex<Link>>,
    forwarder: Mutex<Option<Forwarder>>,
    /// `--link-pcap`'s two files, finished once the forwarder has stopped.
    pcap: Option<Arc<LinkPcap>>,
    sandbox: Mutex<Option<Sandbox>>,
    /// What the client's engines said their connections carried.
    carriages: Mutex<Vec<Carriage>>,
    runtime: Mutex<Option<tokio::runtime::Runtime>>,
    client: Namespace,
    _servers: Arc<Namespace>,
}

impl Linked {
    /// Creates the namespaces and the link, starts the sandbox's servers on their own
    /// addresses, and returns the network the client uses and the handle that stops it all.
    /// With `pcap`, the link writes what each end saw into it.
    pub fn start(spec: &LinkSpec, pcap: Option<LinkPcap>) -> Result<(Arc<Linked>, Network)> {
        crate::net::ns::require_privileges()?;
        let mtu = u32::try_from(spec.mtu).unwrap_or(u32::MAX);
        let Topology {
            client,
            servers,
            client_tun,
            server_tun,
            ..
        } = Topology::create(Some(mtu))?;
        let server_ns = Arc::new(servers);
        // Everything the servers' runtime threads open lives in their namespace.
        let runtime = server_ns.runtime("nl-sandbox", 2)?;
        let handle = runtime.handle().clone();
        let sandbox = server_ns.run(move || {
            crate::net::socket::serving_in_netlab_namespace();
            handle.block_on(Sandbox::start_with(Addressing::Own))
        })??;
        let model = Arc::new(Mutex::new(Link::new(spec)));
        let pcap = pcap.map(Arc::new);
        let forwarder = Forwarder::start(
            client_tun,
            server_tun,
            SharedModel(Arc::clone(&model)),
            LOG_LIMIT,
            pcap.clone(),
        )?;
        let linked = Arc::new(Linked {
            spec: spec.clone(),
            model,
            forwarder: Mutex::new(Some(forwarder)),
            pcap,
            sandbox: Mutex::new(None),
            carriages: Mutex::new(Vec::new()),
            runtime: Mutex::new(Some(runtime)),
            client,
            _servers: server_ns,
        });
        let network = sandbox
            .network_facts(Arc::clone(&linked) as Arc<dyn std::any::Any + Send + Sync>)
            .over_link(Arc::clone(&linked) as Arc<dyn crate::net::LinkControl>);
        if let Ok(mut slot) = linked.sandbox.lock() {
            *slot = Some(sandbox);
        }
        Ok((linked, network))
    }

    /// The client's namespace, which the command's threads enter.
    pub fn client(&self) -> &Namespace {
        &self.client
    }

    /// The directory `sandbox up --link` prints: the servers on their own addresses, and the
    /// way into the client's namespace for real tools (its descriptor's path, and the user
    /// namespace netlab runs in, if it made one). Writes the CA and client files into `dir`.
    pub fn directory(&self, dir: &std::path::Path) -> Result<Directory> {
        self.with_sandbox(|sandbox| {
            let user_ns = crate::net::ns::entered_user_namespace().then(|| {
                // SAFETY: getpid(2) cannot fail.
                std::path::PathBuf::from(format!("/proc/{}/ns/user", unsafe { libc::getpid() }))
            });
            Ok(Directory::publish(sandbox, false, dir)?.behind_link(
                self.spec.to_string(),
                self.client.proc_path(),
                user_ns,
            ))
        })
    }

    /// The reports of the requests the sandbox's CDN answers from now on.
    pub fn cdn_requests(&self) -> Result<tokio::sync::broadcast::Receiver<crate::edge::proxy::EdgeEvent>> {
        self.with_sandbox(|sandbox| Ok(sandbox.cdn.requests()))
    }

    /// Runs `f` on the running sandbox.
    fn with_sandbox<T>(&self, f: impl FnOnce(&Sandbox) -> Result<T>) -> Result<T> {
        let slot = self
            .sandbox
            .lock()
            .map_err(|_| Error::usage("sandbox", "a thread panicked holding its servers", "run it again"))?;
        let sandbox = slot
            .as_ref()
            .ok_or_else(|| Error::usage("sandbox", "its servers have stopped", "run it again"))?;
        f(sandbox)
    }

    /// Stops the link and returns what it recorded, as trace events (empty if already
    /// stopped), once `--link-pcap`'s files are in place.
    pub fn finish(&self) -> Result<Vec<LinkEvent>> {
        let forwarder = self.forwarder.lock().ok().and_then(|mut f| f.take());
        let log = forwarder.map(Forwarder::stop);
        let written = match &self.pcap {
            Some(pcap) => pcap.finish()?,
            None => Vec::new(),
        };
        let carriages = self.carriages.lock().map(|c| c.clone()).unwrap_or_default();
        Ok(log.map_or_else(Vec::new, |log| events(&log, &self.spec, &written, &carriages)))
    }
}

impl Linked {
    fn model(&self) -> std::sync::MutexGuard<'_, Link> {
        self.model.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl crate::net::LinkControl for Linked {
    fn restart(&self, conditions: Conditions) {
        let spec = match conditions {
            Conditions::AsGiven => self.spec.clone(),
            Conditions::Reseeded(offset) => self.spec.reseeded(offset),
            Conditions::LossFree => self.spec.loss_free(),
        };
        *self.model() = Link::new(&spec);
    }

    fn requests_sent(&self) {
        self.model().requests_sent();
    }

    fn exchange_drops(&self) -> u64 {
        self.model().exchange_drops()
    }

    fn round_trip(&self) -> std::time::Duration {
        self.spec.round_trip()
    }

    fn seed(&self) -> u64 {
        self.spec.seed
    }

    fn carried(&self, carriage: Carriage) {
        if let Ok(mut all) = self.carriages.lock() {
            // Bounded like the log: a --runs comparison makes a few hundred connections.
            if all.len() < MAX_CARRIAGES {
                all.push(carriage);
            }
        }
    }
}

impl Drop for Linked {
    fn drop(&mut self) {
        if let Ok(mut f) = self.forwarder.lock() {
            drop(f.take());
        }
        // Dropped without finish(): the capture is still put in place.
        if let Some(pcap) = &self.pcap {
            let _ = pcap.finish();
        }
        if let Ok(mut s) = self.sandbox.lock() {
            drop(s.take());
        }
        // Dropped from inside the command's runtime: let the servers' threads end on their own.
        if let Some(rt) = self.runtime.lock().ok().and_then(|mut r| r.take()) {
            rt.shutdown_background();
        }
    }
}

/// The forwarder's log as trace events: each logged packet decoded, then the counts.
/// Dropped packets of connections in `carriages` are named by what they carried.
pub fn events(
    log: &ForwardLog,
    spec: &LinkSpec,
    pcap_files: &[std::path::PathBuf],
    carriages: &[Carriage],
) -> Vec<LinkEvent> {
    let seen: Vec<Seen<'_>> = log
        .records
        .iter()
        .map(|r| Seen {
            bytes: &r.bytes,
            len: r.len,
            dropped: !matches!(r.verdict, RecordVerdict::Forwarded { .. }),
        })
        .collect();
    let mut carried = carried::name_dropped(&seen, carriages).into_iter();
    let mut out: Vec<LinkEvent> = log
        .records
        .iter()
        .map(|r| {
            let d = layers::decode(LinkType::Raw, &r.bytes);
            let endpoint = |ip: Option<std::net::IpAddr>, port: Option<u16>| match (ip, port) {
                (Some(ip), Some(port)) => std::net::SocketAddr::new(ip, port).to_string(),
                (Some(ip), None) => ip.to_string(),
                _ => "?".into(),
            };
            LinkEvent::Packet(Box::new(LinkPacket {
                arrived_us: r.at_us,
                direction: r.dir,
                len: r.len,
                carries_data: r.carries_data,
                fate: match r.verdict {
                    RecordVerdict::Forwarded { after_us } => PacketFate::Forwarded { after_us },
                    RecordVerdict::Dropped(reason) => PacketFate::Dropped { reason },
                    RecordVerdict::Overflow => PacketFate::Overflow,
                },
                proto: d.proto.clone(),
                src: endpoint(d.src, d.sport),
                dst: endpoint(d.dst, d.dport),
                info: describe(&d),
                carried: carried.next().unwrap_or_default(),
            }))
        })
        .collect();
    let counts = |s: &DirectionStats| DirectionCounts {
        packets: s.packets,
        bytes: s.bytes,
        forwarded: s.forwarded,
        dropped: s.dropped,
        overflowed: s.overflowed,
    };
    out.push(LinkEvent::Summary(Box::new(LinkSummary {
        spec: spec.to_string(),
        up: counts(&log.up),
        down: counts(&log.down),
        omitted: log.omitted,
        failures: log.failures.clone(),
        pcap_files: pcap_files.iter().map(|p| p.display().to_string()).collect(),
    })));
    out
}

/// One line for a packet: TCP's flags, sequence numbers and payload, then what the
/// application decoders saw in it (a DNS question, a TLS record, a QUIC header).
fn describe(d: &layers::Decoded) -> String {
    let tcp = d.tcp.as_ref().map(|t| {
        format!(
            "[{}] seq {} ack {} len {}",
            layers::flag_names(t.flags),
            t.seq,
            t.ack,
            t.payload_len
        )
    });
    [tcp.unwrap_or_default(), d.info.clone()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("  ")
}
