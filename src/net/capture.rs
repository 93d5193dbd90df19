//! Live frames from an interface, for `netlab capture`, `netlab tcp` and the anycast BGP tap: a
//! packet socket of our own (packet(7): `AF_PACKET`, `SOCK_RAW`, every protocol, bound to the
//! interface), so that the kernel's count of the frames it dropped because the socket's buffer
//! was full (`PACKET_STATISTICS`) can be read and reported; opening names the one fix when the
//! privilege is missing.
//!
//! On loopback every frame passes the socket twice, once going out and once coming in; the
//! copies going out are skipped (by the `sll_pkttype` the kernel gives each frame, as libpcap
//! does), so each frame is seen once.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

use pnet_datalink::NetworkInterface;

use super::socket::set_option;

/// Why a live capture could not start.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("interface '{0}' does not exist (use one of: {1})")]
    NoInterface(String, String),
    #[error("capturing on {0} needs root or CAP_NET_RAW (sudo setcap cap_net_raw+ep $(which netlab))")]
    Permission(String),
    #[error("capturing on {0}: {1}")]
    Other(String, String),
}

/// The largest frame read: a 64 KiB IP packet and its link header.
const FRAME_MAX: usize = 65536 + 64;
/// The socket's receive buffer: room for bursts while the reader decodes.
const RECEIVE_BUFFER: libc::c_int = 4 << 20;

/// What the kernel counted for the socket since the capture began.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KernelStats {
    /// Frames that reached the socket (kept or dropped).
    pub received: u64,
    /// Frames dropped because the socket's buffer was full: the capture did not keep up.
    pub dropped: u64,
}

/// A running capture on one interface.
pub struct Live {
    fd: OwnedFd,
    loopback: bool,
    raw_ip: bool,
    buf: Vec<u8>,
    stats: KernelStats,
}

/// The interface called `name`, or the loopback interface when `name` is None.
fn find(name: Option<&str>) -> Result<NetworkInterface, LiveError> {
    let all = pnet_datalink::interfaces();
    let found = all
        .iter()
        .find(|i| name.map_or(i.is_loopback(), |n| i.name == n))
        .cloned();
    found.ok_or_else(|| {
        let names: Vec<String> = all.into_iter().map(|i| i.name).collect();
        LiveError::NoInterface(name.unwrap_or("loopback").to_string(), names.join(", "))
    })
}

/// Every protocol, in network byte order, as `socket(2)` and `sockaddr_ll` want it.
fn all_protocols() -> u16 {
    (libc::ETH_P_ALL as u16).to_be()
}

impl Live {
    /// Opens a capture on `name` (None: loopback); reads give up after `poll` with no frame.
    pub fn open(name: Option<&str>, poll: Duration) -> Result<Live, LiveError> {
        let interface = find(name)?;
        let other = |what: &str| {
            LiveError::Other(
                interface.name.clone(),
                format!("{what}: {}", std::io::Error::last_os_error()),
            )
        };
        // SAFETY: socket(2) with constant arguments; the result is checked before use.
        let raw = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::c_int::from(all_protocols()),
            )
        };
        if raw < 0 {
            let e = std::io::Error::last_os_error();
            return Err(match e.kind() {
                std::io::ErrorKind::PermissionDenied => LiveError::Permission(interface.name),
                _ => LiveError::Other(interface.name, e.to_string()),
            });
        }
        // SAFETY: `raw` is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: sockaddr_ll is plain data; all-zero is a valid start.
        let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        addr.sll_family = libc::AF_PACKET as u16;
        addr.sll_protocol = all_protocols();
        addr.sll_ifindex = interface.index as i32;
        // SAFETY: binds our descriptor to a sockaddr_ll of the size given.
        let bound = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&addr as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if bound < 0 {
            return Err(other("bind"));
        }
        let timeout = libc::timeval {
            tv_sec: poll.as_secs() as libc::time_t,
            tv_usec: poll.subsec_micros().max(1) as libc::suseconds_t,
        };
        set_option(&fd, libc::SOL_SOCKET, libc::SO_RCVTIMEO, &timeout).map_err(|_| other("SO_RCVTIMEO"))?;
        // A smaller buffer than asked (net.core.rmem_max) still works; drops will say so.
        let _ = set_option(&fd, libc::SOL_SOCKET, libc::SO_RCVBUF, &RECEIVE_BUFFER);
        let mut live = Live {
            fd,
            loopback: interface.is_loopback(),
            // A device without a hardware address (a TUN device, like the emulated link's)
            // hands over bare IP packets, without an Ethernet header.
            raw_ip: !interface.is_loopback() && interface.mac.is_none(),
            buf: vec![0; FRAME_MAX],
            stats: KernelStats::default(),
        };
        // The counters start from the bind: read once to zero them.
        let _ = live.read_stats();
        live.stats = KernelStats::default();
        Ok(live)
    }

    /// True when the frames are bare IP packets (LINKTYPE_RAW), false for Ethernet frames.
    pub fn raw_ip(&self) -> bool {
        self.raw_ip
    }

    /// The next frame, or None when `poll` passed without one.
    pub fn next_frame(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        loop {
            // SAFETY: sockaddr_ll is plain data; the kernel fills it.
            let mut from: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
            let mut len = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
            // SAFETY: receives into our buffer of its length, the sender's address into `from`.
            let n = unsafe {
                libc::recvfrom(
                    self.fd.as_raw_fd(),
                    self.buf.as_mut_ptr().cast(),
                    self.buf.len(),
                    0,
                    (&mut from as *mut libc::sockaddr_ll).cast(),
                    &mut len,
                )
            };
            if n < 0 {
                let e = std::io::Error::last_os_error();
                return match e.kind() {
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => Ok(None),
                    std::io::ErrorKind::Interrupted => continue,
                    _ => Err(e),
                };
            }
            if self.loopback && from.sll_pkttype == libc::PACKET_OUTGOING {
                continue;
            }
            return Ok(Some(self.buf[..n as usize].to_vec()));
        }
    }

    /// What the kernel counted since the capture began: frames received and dropped.
    pub fn kernel_stats(&mut self) -> KernelStats {
        let _ = self.read_stats();
        self.stats
    }

    /// Adds the kernel's counters, which reading resets (packet(7), PACKET_STATISTICS).
    fn read_stats(&mut self) -> std::io::Result<()> {
        // SAFETY: tpacket_stats is plain data; the kernel fills it.
        let mut stats: libc::tpacket_stats = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::tpacket_stats>() as libc::socklen_t;
        // SAFETY: getsockopt(2) into a tpacket_stats of the size given.
        let got = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                (&mut stats as *mut libc::tpacket_stats).cast(),
                &mut len,
            )
        };
        if got < 0 {
            return Err(std::io::Error::last_os_error());
        }
        self.stats.received += u64::from(stats.tp_packets);
        self.stats.dropped += u64::from(stats.tp_drops);
        Ok(())
    }
}
