//! What the kernel knows about a TCP connection (Linux TCP_INFO and TCP_CONGESTION, see tcp(7)),
//! and a socket's state from /proc/net/tcp: enough to watch slow start grow the congestion window
//! and to find the socket in TIME_WAIT after the close.

use std::net::SocketAddr;
use std::os::fd::RawFd;

use serde::{Deserialize, Serialize};

/// One look at a connection's TCP_INFO.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpInfoSample {
    /// Octets the application had written when the sample was taken.
    pub sent_bytes: u64,
    /// Microseconds since the connection started (the event's own `at_us` is the trace's clock).
    pub time_us: u64,
    /// Smoothed RTT and its variation (µs).
    pub rtt_us: u32,
    pub rttvar_us: u32,
    /// Congestion window and slow-start threshold, in segments of `mss` octets.
    pub cwnd: u32,
    pub ssthresh: u32,
    pub mss: u32,
    pub total_retransmits: u32,
    /// The congestion control algorithm (cubic, bbr, reno, ...).
    pub algorithm: String,
}

impl TcpInfoSample {
    /// In slow start while the window is below the threshold (RFC 5681 §3.1).
    pub fn slow_start(&self) -> bool {
        self.cwnd < self.ssthresh
    }

    /// The phase the window's size says: slow start or congestion avoidance for the
    /// loss-based algorithms; none for BBR, which does not grow towards an ssthresh (Linux's
    /// BBR only writes its bandwidth-delay estimate there when Startup ends; its Startup, Drain
    /// and ProbeBW phases are not in TCP_INFO).
    pub fn phase(&self) -> Option<&'static str> {
        match self.algorithm.as_str() {
            "bbr" => None,
            _ if self.slow_start() => Some("slow start"),
            _ => Some("congestion avoidance"),
        }
    }
}

/// Reads TCP_INFO and TCP_CONGESTION from a connected socket.
pub fn sample(fd: RawFd, sent_bytes: u64, at_us: u64) -> std::io::Result<TcpInfoSample> {
    // SAFETY: an all-zero tcp_info is a valid value of this plain C struct.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: `info` and `len` are valid for writes of the sizes given; the kernel writes at most `len`.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut info as *mut libc::tcp_info).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let mut name = [0u8; 16];
    let mut name_len = name.len() as libc::socklen_t;
    // SAFETY: as above, for a 16-octet buffer.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_CONGESTION,
            name.as_mut_ptr().cast(),
            &mut name_len,
        )
    };
    let algorithm = if rc == 0 {
        String::from_utf8_lossy(&name[..(name_len as usize).min(16)])
            .trim_end_matches('\0')
            .to_string()
    } else {
        "unknown".into()
    };
    Ok(TcpInfoSample {
        sent_bytes,
        time_us: at_us,
        rtt_us: info.tcpi_rtt,
        rttvar_us: info.tcpi_rttvar,
        cwnd: info.tcpi_snd_cwnd,
        ssthresh: info.tcpi_snd_ssthresh,
        mss: info.tcpi_snd_mss,
        total_retransmits: info.tcpi_total_retrans,
        algorithm,
    })
}

/// TCP states as /proc/net/tcp numbers them (include/net/tcp_states.h).
fn state_name(n: u8) -> &'static str {
    match n {
        1 => "ESTABLISHED",
        2 => "SYN_SENT",
        3 => "SYN_RECV",
        4 => "FIN_WAIT1",
        5 => "FIN_WAIT2",
        6 => "TIME_WAIT",
        7 => "CLOSE",
        8 => "CLOSE_WAIT",
        9 => "LAST_ACK",
        10 => "LISTEN",
        11 => "CLOSING",
        _ => "UNKNOWN",
    }
}

/// The kernel's state for the socket `local` <-> `remote`, from /proc/net/tcp or tcp6.
pub fn socket_state(local: SocketAddr, remote: SocketAddr) -> Option<String> {
    let table = if local.is_ipv4() {
        "/proc/net/tcp"
    } else {
        "/proc/net/tcp6"
    };
    let text = std::fs::read_to_string(table).ok()?;
    let (l, r) = (proc_addr(local), proc_addr(remote));
    text.lines().skip(1).find_map(|line| {
        let mut f = line.split_whitespace();
        let (_, a, b, st) = (f.next()?, f.next()?, f.next()?, f.next()?);
        (a.eq_ignore_ascii_case(&l) && b.eq_ignore_ascii_case(&r))
            .then(|| state_name(u8::from_str_radix(st, 16).unwrap_or(0)).to_string())
    })
}

/// An address as /proc/net/tcp writes it: the address in host (little-endian) order per 32-bit
/// word, in hex, then the port in hex.
fn proc_addr(a: SocketAddr) -> String {
    let ip = match a.ip() {
        std::net::IpAddr::V4(v4) => format!("{:08X}", u32::from_le_bytes(v4.octets())),
        std::net::IpAddr::V6(v6) => v6
            .octets()
            .chunks(4)
            .map(|w| format!("{:08X}", u32::from_le_bytes([w[0], w[1], w[2], w[3]])))
            .collect(),
    };
    format!("{ip}:{:04X}", a.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_net_tcp_addresses() {
        assert_eq!(proc_addr("127.0.0.1:8080".parse().unwrap()), "0100007F:1F90");
        assert_eq!(
            proc_addr("[::1]:9".parse().unwrap()),
            "00000000000000000000000001000000:0009"
        );
    }
}
