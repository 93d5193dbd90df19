//! Private networks for the sandbox: network namespaces that netlab creates and owns, TUN
//! devices in them, and the I/O shell that moves IP packets between the devices through a
//! [`Shaper`] (the link model), so the kernel's real TCP and quinn's QUIC see delay and loss.
//!
//! ```text
//!   client namespace                                     servers namespace
//!   100.64.0.2, fd00:6e6c::2                              192.0.2.0/24, 198.51.100.0/24,
//!   routes to the sandbox ranges                          203.0.113.0/24, 2001:db8::/32 (AnyIP)
//!        nl-c ──read──► Forwarder: Shaper decides ──write──► nl-s            Up
//!        nl-c ◄─write── (delay, loss, reorder)   ◄─read──── nl-s            Down
//! ```
//!
//! - [`namespace`]: an anonymous network namespace held by a file descriptor; run code or
//!   commands inside it.
//! - [`tun`]: a TUN device (raw IP packets, no link header) opened inside a namespace.
//! - [`topology`]: the two namespaces of the sandbox, their devices, addresses and routes.
//! - [`forward`]: the two threads that read packets from one device, ask the shaper, and write
//!   them to the other at their departure time; `pending` is the queue they wait in and
//!   [`record`] the log they leave.
//! - [`pcap`]: `--link-pcap`, what each of the two devices saw, as two pcap files.
//! - [`ip`]: the few facts the shell reads from an IP header (does the packet carry data?).
//! - [`privilege`]: can netlab create namespaces here, and the unprivileged way in.
//! - [`tool`]: the kernel's tools (`ip`, `nft`, `xdp-filter`, BIRD) run inside a namespace.
//! - [`raw`]: raw IPv4 sockets (`netlab ddos`'s spoofed SYNs), which can only be opened inside
//!   a [`Namespace`].
//!
//! Nothing here can reach another host: the namespaces hold only `lo` and netlab's own TUN
//! devices, and they disappear with the last file descriptor (the process's end, even after
//! `kill -9`), because they are never given a name under `/run/netns`.

pub mod forward;
mod ifctl;
pub mod ip;
pub mod namespace;
pub mod pcap;
mod pending;
pub mod privilege;
pub mod raw;
pub mod record;
pub mod tool;
pub mod topology;
pub mod tun;

use std::io;

use crate::error::Error;

pub use forward::{Forwarder, Pass, Shaper};
pub use namespace::Namespace;
pub use pcap::LinkPcap;
pub use privilege::{enter_user_namespace, entered_user_namespace, require_privileges};
pub use record::{ForwardLog, PacketRecord, RecordVerdict};
pub use topology::Topology;

/// A failed system call as netlab's one-line error, e.g.
/// `netlab: setns(CLONE_NEWNET): Operation not permitted (os error 1) (run as root, ...)`.
///
/// `call` names the call and its argument; the hint follows from the error number.
pub(crate) fn sys_error(call: impl Into<String>, source: io::Error) -> Error {
    let hint = match source.raw_os_error() {
        Some(libc::EPERM) | Some(libc::EACCES) => {
            "network namespaces and TUN devices need root, or CAP_SYS_ADMIN and CAP_NET_ADMIN"
        }
        Some(libc::ENOENT) | Some(libc::ENODEV) => "the kernel needs network namespaces and TUN (CONFIG_TUN)",
        Some(libc::EMFILE) | Some(libc::ENFILE) => "too many open files: raise ulimit -n",
        _ => "a system call netlab needs for its private networks failed",
    };
    Error::Io {
        path: call.into().into(),
        source,
        hint: hint.into(),
    }
}

/// [`sys_error`] for the error the last system call left in `errno`.
pub(crate) fn last_sys_error(call: impl Into<String>) -> Error {
    sys_error(call, io::Error::last_os_error())
}
