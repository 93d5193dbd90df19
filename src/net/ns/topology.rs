//! The sandbox's two-namespace network: the client in one namespace, every server in the other,
//! and a TUN device in each, which the [`Forwarder`](super::Forwarder) joins.
//!
//! ```text
//!  client namespace                                   servers namespace
//!  lo 127.0.0.1                                       lo 127.0.0.1
//!                                                        + local 192.0.2.0/24, 198.51.100.0/24,
//!                                                          203.0.113.0/24, 2001:db8::/32 (AnyIP)
//!  nl-c 100.64.0.2, fd00:6e6c::2  ◄── Forwarder ──►   nl-s 100.64.0.1, fd00:6e6c::1
//!  routes: the four sandbox ranges dev nl-c           routes: 100.64.0.2, fd00:6e6c::2 dev nl-s
//!          (no default route)                                 (no default route)
//! ```
//!
//! **AnyIP**: `ip route add local 192.0.2.0/24 dev lo` makes every address of the range local
//! to the servers' namespace without assigning each one, so any sandbox server binds its own
//! address (192.0.2.80:443, 198.51.100.1:53, ...) and packets the client sends to it are
//! delivered. IPv4 binds to such addresses directly; IPv6 needs `net.ipv6.ip_nonlocal_bind=1`,
//! which is set in the servers' namespace only.
//!
//! **The client's addresses** lie outside the sandbox's documentation ranges (RFC 5737,
//! RFC 3849) so a ladder never confuses client and server: `100.64.0.2` is from the shared
//! address space of RFC 6598 (carrier-grade NAT), the kind of address a real client has
//! behind a provider's NAT, and which no documentation range or private LAN (RFC 1918) uses;
//! `fd00:6e6c::2` is a unique local address (RFC 4193; `6e6c` is "nl" in ASCII, where a real
//! site would pick 40 random bits). IPv6 addresses are added `nodad`: duplicate address
//! detection would otherwise hold them "tentative" for a second, and no other host can hold
//! them on a point-to-point link.

use std::io::Write;
use std::os::fd::OwnedFd;
use std::process::Stdio;

use crate::error::Error;

use super::namespace::Namespace;
use super::{sys_error, tun};

/// The client's TUN device, in the client's namespace.
pub const CLIENT_TUN: &str = "nl-c";
/// The servers' TUN device, in the servers' namespace.
pub const SERVER_TUN: &str = "nl-s";
/// The client's addresses (on nl-c).
pub const CLIENT_V4: std::net::Ipv4Addr = std::net::Ipv4Addr::new(100, 64, 0, 2);
pub const CLIENT_V6: std::net::Ipv6Addr = std::net::Ipv6Addr::new(0xfd00, 0x6e6c, 0, 0, 0, 0, 0, 2);
/// The servers' end of the link (on nl-s): the source of what the servers send to the client
/// from an unbound socket.
pub const SERVERS_V4: std::net::Ipv4Addr = std::net::Ipv4Addr::new(100, 64, 0, 1);
pub const SERVERS_V6: std::net::Ipv6Addr = std::net::Ipv6Addr::new(0xfd00, 0x6e6c, 0, 0, 0, 0, 0, 1);
/// The sandbox's server ranges (RFC 5737's three TEST-NETs and RFC 3849's documentation
/// prefix), all local to the servers' namespace.
pub const SANDBOX_RANGES: [&str; 4] = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"];

/// The TUN MTU when none is asked for: the largest a TUN device takes. The kernel's TCP then
/// sends segments of up to 64 KiB, and each costs the forwarder one read and one write, where
/// the same bytes in 1500-octet packets cost 44 of each (and as many trips through the
/// kernel's TCP). Measured with `cargo bench --bench link` on two shared vCPUs, a pass-through
/// link carries 6-9 Gbit/s at 65535 (loopback: 8-11), 3-4.4 at 9000 and 0.6-1.7 at 1500.
/// Ask for 1500 where packet counts matter, as with loss: 1% of 64 KiB segments is not 1%
/// of an Ethernet path's packets.
pub const DEFAULT_MTU: u32 = tun::MAX_MTU;

/// The two namespaces and their devices, addressed and routed. Pass the devices to
/// [`Forwarder::start`](super::Forwarder::start) (they move; the namespaces stay here).
#[derive(Debug)]
pub struct Topology {
    pub client: Namespace,
    pub servers: Namespace,
    pub client_tun: OwnedFd,
    pub server_tun: OwnedFd,
    pub mtu: u32,
}

impl Topology {
    /// Creates the namespaces, the devices with MTU `mtu` (None: [`DEFAULT_MTU`]), their
    /// addresses and routes. Needs the privileges [`super::require_privileges`] checks.
    pub fn create(mtu: Option<u32>) -> Result<Topology, Error> {
        let mtu = mtu.unwrap_or(DEFAULT_MTU);
        let client = Namespace::create()?;
        let servers = Namespace::create()?;
        for ns in [&client, &servers] {
            // There is no router to solicit: keep the link (and its log) quiet. "default" is
            // what devices created afterwards start with.
            sysctl(ns, "net/ipv6/conf/default/router_solicitations", "0")?;
        }
        let client_tun = tun::open(&client, CLIENT_TUN, mtu)?;
        let server_tun = tun::open(&servers, SERVER_TUN, mtu)?;

        let mut client_setup = vec![
            format!("address add {CLIENT_V4}/32 dev {CLIENT_TUN}"),
            format!("address add {CLIENT_V6}/128 dev {CLIENT_TUN} nodad"),
        ];
        for range in SANDBOX_RANGES {
            let src = if range.contains(':') {
                CLIENT_V6.to_string()
            } else {
                CLIENT_V4.to_string()
            };
            client_setup.push(format!("route add {range} dev {CLIENT_TUN} src {src}"));
        }
        ip_batch(&client, "client", &client_setup)?;

        let mut servers_setup = vec![
            format!("address add {SERVERS_V4}/32 dev {SERVER_TUN}"),
            format!("address add {SERVERS_V6}/128 dev {SERVER_TUN} nodad"),
            format!("route add {CLIENT_V4}/32 dev {SERVER_TUN} src {SERVERS_V4}"),
            format!("route add {CLIENT_V6}/128 dev {SERVER_TUN} src {SERVERS_V6}"),
        ];
        servers_setup.extend(
            SANDBOX_RANGES
                .iter()
                .map(|range| format!("route add local {range} dev lo")),
        );
        ip_batch(&servers, "servers", &servers_setup)?;
        sysctl(&servers, "net/ipv6/ip_nonlocal_bind", "1")?;

        Ok(Topology {
            client,
            servers,
            client_tun,
            server_tun,
            mtu,
        })
    }
}

/// Runs `ip -batch -` in `ns` with `lines` as its commands; the first failing line ends it.
pub(crate) fn ip_batch(ns: &Namespace, which: &str, lines: &[String]) -> Result<(), Error> {
    let what = format!("ip -batch - (in the {which} namespace)");
    let mut child = ns
        .command("ip")
        .args(["-batch", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::Io {
                path: "ip".into(),
                source: e,
                hint: "install iproute2 (apt-get install iproute2)".into(),
            },
            _ => sys_error(what.clone(), e),
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(lines.join("\n").as_bytes())
            .map_err(|e| sys_error(what.clone(), e))?;
    }
    let output = child.wait_with_output().map_err(|e| sys_error(what.clone(), e))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let why = stderr
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("failed")
        .trim()
        .to_string();
    Err(Error::Io {
        path: what.into(),
        source: std::io::Error::other(format!("{why} ({})", output.status)),
        hint: "iproute2 refused netlab's set-up of its own namespace".into(),
    })
}

/// Writes `value` to `/proc/sys/<key>` as seen from inside `ns` (network sysctls are per
/// namespace, chosen by the writing thread's namespace).
fn sysctl(ns: &Namespace, key: &str, value: &str) -> Result<(), Error> {
    let path = format!("/proc/sys/{key}");
    ns.run(|| std::fs::write(&path, value))?
        .map_err(|e| sys_error(format!("write {path}"), e))
}
