//! Interface settings through the classic `ioctl`s on a socket (netdevice(7)): bring an
//! interface up, set its MTU. Both act on the network namespace of the calling thread, so call
//! them inside [`super::Namespace::run`].

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use crate::error::Error;

use super::last_sys_error;

/// `struct ifreq` with `name` filled in (at most `IFNAMSIZ - 1` bytes, NUL-terminated).
pub(crate) fn ifreq(name: &str) -> Result<libc::ifreq, Error> {
    if name.is_empty() || name.len() >= libc::IFNAMSIZ || name.bytes().any(|b| b == 0 || b == b'/') {
        return Err(Error::usage(
            format!("interface name {name:?}"),
            format!("must be 1-{} bytes without NUL or '/'", libc::IFNAMSIZ - 1),
            "choose a shorter name",
        ));
    }
    // SAFETY: ifreq is plain old data (a name and a union of integers and addresses); all zeroes
    // is a valid value of it.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(name.bytes()) {
        *dst = src as libc::c_char;
    }
    Ok(req)
}

/// A datagram socket in the calling thread's namespace: the handle the interface ioctls need.
fn control_socket() -> Result<OwnedFd, Error> {
    // SAFETY: socket(2) with constant arguments; the result is checked before use.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(last_sys_error("socket(AF_INET, SOCK_DGRAM)"));
    }
    // SAFETY: fd is a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `ioctl(socket, request, &mut req)`, its failure named after `what`.
fn ioctl(socket: &OwnedFd, request: libc::Ioctl, req: &mut libc::ifreq, what: &str) -> Result<(), Error> {
    // SAFETY: every request used here reads or writes one `struct ifreq`, which `req` is.
    if unsafe { libc::ioctl(socket.as_raw_fd(), request, req as *mut libc::ifreq) } < 0 {
        return Err(last_sys_error(what));
    }
    Ok(())
}

/// Sets the `IFF_UP` flag of interface `name` (what `ip link set NAME up` does).
pub(crate) fn set_up(name: &str) -> Result<(), Error> {
    let socket = control_socket()?;
    let mut req = ifreq(name)?;
    ioctl(
        &socket,
        libc::SIOCGIFFLAGS as libc::Ioctl,
        &mut req,
        &format!("SIOCGIFFLAGS({name})"),
    )?;
    // SAFETY: SIOCGIFFLAGS filled in the flags member of the union.
    unsafe { req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short };
    ioctl(
        &socket,
        libc::SIOCSIFFLAGS as libc::Ioctl,
        &mut req,
        &format!("SIOCSIFFLAGS({name}, up)"),
    )
}

/// Sets the MTU of interface `name` (what `ip link set NAME mtu MTU` does).
pub(crate) fn set_mtu(name: &str, mtu: u32) -> Result<(), Error> {
    let socket = control_socket()?;
    let mut req = ifreq(name)?;
    req.ifr_ifru.ifru_mtu = mtu as libc::c_int;
    ioctl(
        &socket,
        libc::SIOCSIFMTU as libc::Ioctl,
        &mut req,
        &format!("SIOCSIFMTU({name}, {mtu})"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_fit_ifnamsiz() {
        assert!(ifreq("nl-c").is_ok());
        assert!(ifreq("fifteen-chars-x").is_ok());
        assert!(ifreq("sixteen-chars-xx").is_err());
        assert!(ifreq("").is_err());
        assert!(ifreq("a/b").is_err());
    }
}
