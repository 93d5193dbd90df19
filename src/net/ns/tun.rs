//! TUN devices: network interfaces whose other end is a file descriptor. Every IP packet the
//! kernel routes out of the interface can be `read` from the descriptor, and every packet
//! `write`n to it arrives on the interface as if received from a wire (Documentation/networking/
//! tuntap.rst). With `IFF_NO_PI` each read or write is exactly one IP packet, starting with its
//! version nibble; there is no link header.
//!
//! The device lives as long as its descriptor (it is not made persistent with `TUNSETPERSIST`),
//! in the namespace whose thread opened `/dev/net/tun`.

use std::fs::OpenOptions;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;

use crate::error::Error;

use super::namespace::Namespace;
use super::{ifctl, last_sys_error, sys_error};

/// The clone device every TUN and TAP interface is made from.
const CLONE_DEVICE: &str = "/dev/net/tun";

/// The largest MTU a TUN device takes: an IPv4 total length is a 16-bit field.
pub const MAX_MTU: u32 = 65535;

/// The smallest MTU netlab accepts: below 1280 octets the kernel turns IPv6 off on the device
/// (RFC 8200 §5: "every link in the Internet have an MTU of 1280 octets or greater").
pub const MIN_MTU: u32 = 1280;

/// Opens TUN device `name` in `ns` with the given MTU, up, and returns its descriptor
/// (non-blocking, close-on-exec). Closing the descriptor removes the device.
pub fn open(ns: &Namespace, name: &str, mtu: u32) -> Result<OwnedFd, Error> {
    if !(MIN_MTU..=MAX_MTU).contains(&mtu) {
        return Err(Error::usage(
            format!("mtu {mtu}"),
            format!("must be {MIN_MTU}-{MAX_MTU}: IPv6 needs links of 1280 octets or more (RFC 8200 §5)"),
            "choose an MTU from 1280 to 65535",
        ));
    }
    ns.run(|| {
        // Built on this thread: `ifreq` holds a pointer member, so it may not cross threads.
        let mut req = ifctl::ifreq(name)?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(CLONE_DEVICE)
            .map_err(|e| match e.kind() {
                // Root of a user namespace, but the device node is the system's: its mode decides.
                std::io::ErrorKind::PermissionDenied => Error::Io {
                    path: CLONE_DEVICE.into(),
                    source: e,
                    hint: format!(
                        "run as root (sudo), or let users open TUN devices: chmod 0666 {CLONE_DEVICE} (udev's default)"
                    ),
                },
                _ => sys_error(format!("open({CLONE_DEVICE})"), e),
            })?;
        req.ifr_ifru.ifru_flags = (libc::IFF_TUN | libc::IFF_NO_PI) as libc::c_short;
        // SAFETY: TUNSETIFF reads (and writes back the chosen name into) one `struct ifreq`.
        if unsafe { libc::ioctl(file.as_raw_fd(), libc::TUNSETIFF, &mut req as *mut libc::ifreq) } < 0 {
            return Err(last_sys_error(format!("TUNSETIFF({name})")));
        }
        ifctl::set_mtu(name, mtu)?;
        ifctl::set_up(name)?;
        Ok(OwnedFd::from(file))
    })?
}
