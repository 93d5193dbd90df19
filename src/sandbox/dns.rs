//! The sandbox's DNS servers: one hickory-server per virtual address, each on a loopback socket
//! (UDP and TCP on the same ephemeral port), serving master files from `labs/sandbox/zones/`.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::dnssec::Nsec3HashAlgorithm;
use hickory_proto::rr::{LowerName, Name};
use hickory_proto::serialize::txt::Parser;
use hickory_server::net::runtime::TokioRuntimeProvider;
use hickory_server::server::RequestHandler;
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneHandler, ZoneType};
use hickory_server::Server;
use tokio::net::{TcpListener, UdpSocket};

use super::dnssec::Keys;
use super::referral::Authoritative;
use super::rrl::{Limited, RrlCounts, RrlPolicy};
use super::world::{zone_text, Behaviour, ServerSpec, NSEC3};
use crate::error::{Error, Result};
use hickory_server::dnssec::NxProofKind;

/// Virtual address -> the address that replaces it in the zones (`sandbox up --bind-127`).
pub type Rewrite = HashMap<String, String>;

/// Loads one zone's master file into a hickory zone handler, replacing addresses per `rewrite`.
/// Signed zones get their DS children's records and are signed with their key.
pub fn load_zone(stem: &str, rewrite: &Rewrite, keys: &Keys) -> Result<(Name, Arc<dyn ZoneHandler>)> {
    let text = zone_text(stem).ok_or_else(|| {
        Error::usage(
            format!("sandbox zone {stem}"),
            "no such master file",
            "see labs/sandbox/zones/",
        )
    })?;
    let source = format!("labs/sandbox/zones/{stem}.zone");
    let mut text = rewrite_addresses(text, rewrite);
    if let Some(ds) = keys.ds_lines.get(stem) {
        text.push('\n');
        text.push_str(ds);
    }
    let (origin, records) = Parser::new(text, None, None)
        .parse()
        .map_err(|e| Error::usage(source.clone(), e.to_string(), "fix the master file"))?;
    let signed = keys.keys.get(stem);
    let nsec = signed.map(|_| proof_kind(stem));
    let mut handler = InMemoryZoneHandler::<TokioRuntimeProvider>::new(
        origin.clone(),
        records,
        ZoneType::Primary,
        AxfrPolicy::Deny,
        nsec,
    )
    .map_err(|e| Error::usage(source.clone(), e, "fix the master file"))?;
    if let Some(key) = signed {
        let sign_error = |e: hickory_proto::dnssec::DnsSecError| {
            Error::usage(source.clone(), format!("signing failed: {e}"), "report this")
        };
        handler
            .add_zone_signing_key_mut(key.signer(&origin)?)
            .map_err(sign_error)?;
        handler.secure_zone_mut().map_err(sign_error)?;
    }
    Ok((origin, super::glue::glue_zone(handler)))
}

/// How a signed zone denies existence: NSEC3 for the zones in [`NSEC3`] (SHA-1, no salt,
/// iterations 0: RFC 9276 §3.1), NSEC for the others.
fn proof_kind(stem: &str) -> NxProofKind {
    match NSEC3.iter().find(|(s, _)| *s == stem) {
        Some((_, opt_out)) => NxProofKind::Nsec3 {
            algorithm: Nsec3HashAlgorithm::SHA1,
            salt: Arc::from(Vec::new()),
            iterations: 0,
            opt_out: *opt_out,
        },
        None => NxProofKind::Nsec,
    }
}

/// Replaces whole address tokens on record lines; other lines are kept as written.
fn rewrite_addresses(text: &str, rewrite: &Rewrite) -> String {
    if rewrite.is_empty() {
        return text.to_string();
    }
    text.lines()
        .map(|line| {
            let tokens: Vec<&str> = line.split_whitespace().collect();
            if tokens.iter().any(|t| rewrite.contains_key(*t)) {
                tokens
                    .iter()
                    .map(|t| rewrite.get(*t).map_or(*t, String::as_str))
                    .collect::<Vec<_>>()
                    .join(" ")
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A running sandbox server.
pub struct Running {
    pub spec: ServerSpec,
    /// The loopback socket that plays `spec.address:53`.
    pub local: SocketAddr,
    _task: tokio::task::JoinHandle<()>,
}

/// Binds a UDP socket and a TCP listener at `addr` (port 0: the same ephemeral port for both).
pub async fn bind_pair_at(addr: SocketAddr) -> Result<(UdpSocket, TcpListener)> {
    if addr.port() == 0 {
        return bind_pair(addr.ip()).await;
    }
    // Ports below 1024 (53 for --bind-127) need privileges: say which.
    let failed = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::PermissionDenied => Error::usage(
            format!("bind {addr}"),
            "ports below 1024 need privileges",
            "run as root, or: sudo setcap cap_net_bind_service+ep $(which netlab)",
        ),
        _ => Error::io(addr.to_string(), e),
    };
    let udp = crate::net::socket::udp_server(addr).await.map_err(failed)?;
    let tcp = crate::net::socket::tcp_listener(addr).await.map_err(failed)?;
    Ok((udp, tcp))
}

/// Binds a UDP socket and a TCP listener on the same ephemeral port of `ip`.
async fn bind_pair(ip: IpAddr) -> Result<(UdpSocket, TcpListener)> {
    let mut last = None;
    for _ in 0..16 {
        let udp = crate::net::socket::udp_server(SocketAddr::new(ip, 0))
            .await
            .map_err(|e| Error::io("sandbox UDP socket", e))?;
        let port = udp.local_addr().map_err(|e| Error::io("sandbox UDP socket", e))?.port();
        match crate::net::socket::tcp_listener(SocketAddr::new(ip, port)).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) => last = Some(e),
        }
    }
    Err(Error::io(
        "sandbox TCP listener",
        last.unwrap_or_else(|| std::io::Error::other("no free port")),
    ))
}

/// The catalog of `spec`'s zones, its referrals sent as real servers send them.
fn authoritative(spec: &ServerSpec, rewrite: &Rewrite, keys: &Keys) -> Result<Authoritative> {
    let mut catalog = Catalog::new();
    for stem in spec.zones {
        let (origin, handler) = load_zone(stem, rewrite, keys)?;
        catalog.upsert(LowerName::from(origin), vec![handler]);
    }
    Ok(Authoritative(catalog))
}

/// Serves `handler` on the socket and the listener until the task is aborted.
fn serve<H: RequestHandler>(handler: H, udp: UdpSocket, tcp: TcpListener) -> tokio::task::JoinHandle<()> {
    let mut server = Server::new(handler);
    server.register_socket(udp);
    server.register_listener(tcp, Duration::from_secs(5), 65_535);
    tokio::spawn(async move {
        let _ = server.block_until_done().await;
    })
}

/// Starts one authoritative server at `bind` with Response Rate Limiting in front of it
/// ([`super::rrl`]; `policy` None: without), counting what the limiter did in `counts`.
pub async fn start_limited(
    spec: ServerSpec,
    bind: SocketAddr,
    keys: &Keys,
    policy: Option<RrlPolicy>,
    counts: Arc<RrlCounts>,
) -> Result<Running> {
    let (udp, tcp) = bind_pair_at(bind).await?;
    let local = udp.local_addr().map_err(|e| Error::io("sandbox socket", e))?;
    let handler = authoritative(&spec, &Rewrite::new(), keys)?;
    let task = match policy {
        Some(policy) => serve(Limited::new(handler, policy, counts), udp, tcp),
        None => serve(handler, udp, tcp),
    };
    Ok(Running {
        spec,
        local,
        _task: task,
    })
}

/// Starts one server on loopback (`bind` overrides the address, e.g. 127.0.53.x for `--bind-127`).
pub async fn start(spec: ServerSpec, bind: Option<SocketAddr>, rewrite: &Rewrite, keys: &Keys) -> Result<Running> {
    let (udp, tcp) = bind_pair_at(bind.unwrap_or(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))).await?;
    let local = udp.local_addr().map_err(|e| Error::io("sandbox socket", e))?;
    let task = match spec.behaviour {
        Behaviour::Serve => serve(authoritative(&spec, rewrite, keys)?, udp, tcp),
        Behaviour::Silent => tokio::spawn(async move {
            // Read and drop every datagram; accept connections and never answer.
            let mut buf = vec![0u8; 65_535];
            let mut held = Vec::new();
            loop {
                tokio::select! {
                    r = udp.recv_from(&mut buf) => if r.is_err() { break },
                    c = tcp.accept() => match c {
                        Ok((stream, _)) if held.len() < 64 => held.push(stream),
                        Ok(_) => {}
                        Err(_) => break,
                    },
                }
            }
        }),
    };
    Ok(Running {
        spec,
        local,
        _task: task,
    })
}

impl Drop for Running {
    fn drop(&mut self) {
        self._task.abort();
    }
}
