//! What the kernel says about a listener under a SYN flood, read from the calling thread's
//! network namespace (`/proc/thread-self/net/...`: `/proc/net` would be the main thread's).
//!
//! - `/proc/net/netstat`, the `TcpExt` counters (tcp(7), the kernel's `LINUX_MIB_*`):
//!   `ListenDrops` (every SYN or ACK a listener dropped), `TCPReqQFullDrop` (dropped because
//!   the SYN queue was full and cookies were off), `TCPReqQFullDoCookies` (queue full: answered
//!   with a cookie instead), `SyncookiesSent`/`SyncookiesRecv`/`SyncookiesFailed`,
//!   `ListenOverflows` (the *accept* queue full).
//! - `/proc/net/tcp`: each socket's state; `03` is SYN_RECV, a half-open connection waiting in
//!   the listener's SYN queue for the client's ACK.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The `TcpExt` counters a SYN flood moves.
pub const WATCHED: [&str; 7] = [
    "ListenDrops",
    "TCPReqQFullDrop",
    "TCPReqQFullDoCookies",
    "SyncookiesSent",
    "SyncookiesRecv",
    "SyncookiesFailed",
    "ListenOverflows",
];

/// The watched counters, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters(pub BTreeMap<String, u64>);

impl Counters {
    pub fn get(&self, name: &str) -> u64 {
        self.0.get(name).copied().unwrap_or(0)
    }

    /// Each counter's growth since `before`.
    pub fn since(&self, before: &Counters) -> Counters {
        Counters(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), v.saturating_sub(before.get(k))))
                .collect(),
        )
    }
}

/// The watched `TcpExt` counters of a `/proc/net/netstat` text: a header line of names and a
/// line of values, both starting `TcpExt:`.
pub fn parse_netstat(text: &str) -> Counters {
    let mut lines = text.lines().filter(|l| l.starts_with("TcpExt:"));
    let (Some(names), Some(values)) = (lines.next(), lines.next()) else {
        return Counters::default();
    };
    let found: BTreeMap<&str, u64> = names
        .split_whitespace()
        .zip(values.split_whitespace())
        .skip(1)
        .filter_map(|(n, v)| Some((n, v.parse().ok()?)))
        .collect();
    Counters(
        WATCHED
            .iter()
            .map(|n| (n.to_string(), found.get(n).copied().unwrap_or(0)))
            .collect(),
    )
}

/// How many sockets of a `/proc/net/tcp` text are in SYN_RECV on local port `port`.
pub fn syn_recv(text: &str, port: u16) -> u64 {
    let port = format!(":{port:04X}");
    text.lines()
        .skip(1)
        .filter(|l| {
            let mut cols = l.split_whitespace();
            let local = cols.nth(1);
            let state = cols.nth(1);
            local.is_some_and(|a| a.ends_with(&port)) && state == Some("03")
        })
        .count() as u64
}

/// One counter of a `/proc/net/snmp`-style text, where a line of names and a line of values
/// both start with `group` (`Udp:`, `TcpExt:`, ...).
pub fn snmp_value(text: &str, group: &str, name: &str) -> Option<u64> {
    let mut lines = text.lines().filter(|l| l.split_whitespace().next() == Some(group));
    let (names, values) = (lines.next()?, lines.next()?);
    let at = names.split_whitespace().position(|n| n == name)?;
    values.split_whitespace().nth(at)?.parse().ok()
}

/// The calling thread's namespace's `Udp: RcvbufErrors`: datagrams dropped because a
/// socket's receive buffer was full (the application did not read them in time).
pub fn udp_rcvbuf_errors_now() -> u64 {
    snmp_value(
        &std::fs::read_to_string("/proc/thread-self/net/snmp").unwrap_or_default(),
        "Udp:",
        "RcvbufErrors",
    )
    .unwrap_or(0)
}

/// The watched counters of the calling thread's namespace.
pub fn counters_now() -> Counters {
    parse_netstat(&std::fs::read_to_string("/proc/thread-self/net/netstat").unwrap_or_default())
}

/// The SYN_RECV sockets on `port` in the calling thread's namespace.
pub fn syn_recv_now(port: u16) -> u64 {
    syn_recv(
        &std::fs::read_to_string("/proc/thread-self/net/tcp").unwrap_or_default(),
        port,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcpext_counters_by_name() {
        let text = "TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed ListenOverflows ListenDrops TCPReqQFullDoCookies TCPReqQFullDrop\nTcpExt: 1996 5 0 0 1996 1996 0\nIpExt: InNoRoutes\nIpExt: 0\n";
        let c = parse_netstat(text);
        assert_eq!(c.get("SyncookiesSent"), 1996);
        assert_eq!(c.get("SyncookiesRecv"), 5);
        assert_eq!(c.get("TCPReqQFullDrop"), 0);
        assert_eq!(c.0.len(), WATCHED.len());
        let later = parse_netstat(&text.replace("1996 5", "2000 9"));
        assert_eq!(later.since(&c).get("SyncookiesRecv"), 4);
        assert_eq!(parse_netstat("garbage\n").get("ListenDrops"), 0);
    }

    #[test]
    fn one_counter_of_a_group() {
        let text = "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors\nUdp: 120 3 7 0 5\nUdpLite: InDatagrams\nUdpLite: 0\n";
        assert_eq!(snmp_value(text, "Udp:", "RcvbufErrors"), Some(5));
        assert_eq!(snmp_value(text, "Udp:", "NoPorts"), Some(3));
        assert_eq!(snmp_value(text, "UdpLite:", "InDatagrams"), Some(0));
        assert_eq!(snmp_value(text, "Udp:", "Missing"), None);
        assert_eq!(snmp_value("Udp: A\n", "Udp:", "A"), None);
    }

    #[test]
    fn half_open_sockets_on_the_port() {
        let text = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 5064CBC6:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1\n   1: 5064CBC6:0050 0171CBCB:A1B2 03 00000000:00000000 00:00000000 00000000     0        0 0\n   2: 5064CBC6:0050 0271CBCB:A1B3 03 00000000:00000000 00:00000000 00000000     0        0 0\n   3: 5064CBC6:1F90 0271CBCB:A1B3 03 00000000:00000000 00:00000000 00000000     0        0 0\n";
        assert_eq!(syn_recv(text, 80), 2);
        assert_eq!(syn_recv(text, 8080), 1);
        assert_eq!(syn_recv("", 80), 0);
    }
}
