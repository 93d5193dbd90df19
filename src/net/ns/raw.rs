//! Raw IPv4 sockets, opened only inside one of netlab's own namespaces: what `netlab ddos`
//! writes its hand-built packets with. A raw socket lets a program put any source address on a
//! packet (CAP_NET_RAW, raw(7)); taking a [`Namespace`] means it can only ever be made where
//! the interfaces are `lo` and netlab's own, so no route leads to a real network.

use std::net::Ipv4Addr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use super::{last_sys_error, Namespace};
use crate::error::Error;

/// A socket that sends whole IPv4 packets, header included (`IPPROTO_RAW` implies
/// `IP_HDRINCL`), inside the namespace it was made in.
#[derive(Debug)]
pub struct RawSender {
    fd: OwnedFd,
}

impl RawSender {
    /// Opens the socket inside `ns`.
    pub fn open(ns: &Namespace) -> Result<RawSender, Error> {
        ns.run(|| {
            // SAFETY: socket(2) with constant arguments; the descriptor is owned at once.
            let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, libc::IPPROTO_RAW) };
            if fd < 0 {
                return Err(last_sys_error("socket(AF_INET, SOCK_RAW, IPPROTO_RAW)"));
            }
            // SAFETY: fd was just returned by socket(2) and is owned by nothing else.
            Ok(RawSender {
                fd: unsafe { OwnedFd::from_raw_fd(fd) },
            })
        })?
    }

    /// Sends `packet` (an IPv4 header and what follows) towards `dst`.
    pub fn send(&self, packet: &[u8], dst: Ipv4Addr) -> std::io::Result<()> {
        // SAFETY: sendto reads `packet` and the address within their lengths.
        let addr = sockaddr(dst);
        let sent = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                packet.as_ptr().cast(),
                packet.len(),
                0,
                (&addr as *const libc::sockaddr_in).cast(),
                std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
            )
        };
        if sent < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }

    /// Sends `packets` towards `dst` with one sendmmsg(2): how many the kernel took (it may take
    /// fewer than all, and stops at the first error, which it reports only if it took none).
    pub fn send_batch(&self, packets: &[&[u8]], dst: Ipv4Addr) -> std::io::Result<usize> {
        // SAFETY: as in `send`; each iovec points into a packet that outlives the call, each
        // header names the one address, and sendmmsg reads no more than `packets.len()` headers.
        let mut addr = sockaddr(dst);
        let sent = unsafe {
            let mut iovecs: Vec<libc::iovec> = packets
                .iter()
                .map(|p| libc::iovec {
                    iov_base: p.as_ptr() as *mut libc::c_void,
                    iov_len: p.len(),
                })
                .collect();
            let mut headers: Vec<libc::mmsghdr> = iovecs
                .iter_mut()
                .map(|iov| {
                    let mut h: libc::mmsghdr = std::mem::zeroed();
                    h.msg_hdr.msg_name = (&mut addr as *mut libc::sockaddr_in).cast();
                    h.msg_hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
                    h.msg_hdr.msg_iov = iov;
                    h.msg_hdr.msg_iovlen = 1;
                    h
                })
                .collect();
            libc::sendmmsg(
                self.fd.as_raw_fd(),
                headers.as_mut_ptr(),
                headers.len() as libc::c_uint,
                0,
            )
        };
        if sent < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(sent as usize)
    }
}

/// `dst` as the socket address sendto(2) and sendmmsg(2) take (the port is unused: the
/// header is in the packet).
fn sockaddr(dst: Ipv4Addr) -> libc::sockaddr_in {
    // SAFETY: sockaddr_in is plain data, for which all zeroes is a valid value.
    let mut addr: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    addr.sin_family = libc::AF_INET as libc::sa_family_t;
    addr.sin_addr.s_addr = u32::from(dst).to_be();
    addr
}
