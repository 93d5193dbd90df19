//! Two fresh namespaces of netlab's own, "flood" and "edge", joined by a veth pair: the
//! private network `ddos filter` and `ddos reflect` run in. A veth pair is a virtual cable:
//! what one end sends, the other receives, on the sending CPU. Neither namespace has any other
//! interface than `lo` and its end, and no route leaves them.

use crate::error::Error;
use crate::net::ns::{topology::ip_batch, Namespace};

/// The edge's end and the flood's.
pub const EDGE_IF: &str = "nl-edge";
pub const FLOOD_IF: &str = "nl-flood";

/// The two namespaces, addressed and up.
pub struct Pair {
    pub flood: Namespace,
    pub edge: Namespace,
}

impl Pair {
    /// Creates the namespaces and the pair, `flood_addr` and `edge_addr` (`ADDR/LEN`) on the
    /// two ends, then `flood_extra` and `edge_extra` (`ip -batch` lines) in each.
    pub fn create(
        flood_addr: &str,
        edge_addr: &str,
        flood_extra: &[String],
        edge_extra: &[String],
    ) -> Result<Pair, Error> {
        let flood = Namespace::create()?;
        let edge = Namespace::create()?;
        // No IPv6 on the link: its router and neighbour solicitations would be counted too.
        for ns in [&flood, &edge] {
            ns.run(|| {
                let _ = std::fs::write("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
                let _ = std::fs::write("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
            })?;
        }
        // `ip` accepts a path for `netns`: the flood namespace's descriptor, held by netlab.
        let peer = flood.proc_path().display().to_string();
        let mut edge_lines = vec![
            format!("link add {EDGE_IF} type veth peer name {FLOOD_IF} netns {peer}"),
            format!("addr add {edge_addr} dev {EDGE_IF}"),
            format!("link set {EDGE_IF} up"),
        ];
        edge_lines.extend_from_slice(edge_extra);
        ip_batch(&edge, "edge", &edge_lines)?;
        let mut flood_lines = vec![
            format!("addr add {flood_addr} dev {FLOOD_IF}"),
            format!("link set {FLOOD_IF} up"),
        ];
        flood_lines.extend_from_slice(flood_extra);
        ip_batch(&flood, "flood", &flood_lines)?;
        // Accept sources the edge has no route back to, and its own addresses as sources (a
        // reflection's victim lives there): reverse-path filtering is what BCP 38 asks of the
        // networks forged packets come *from*, not of their target.
        edge.run(|| {
            for file in ["all", "default", EDGE_IF] {
                let _ = std::fs::write(format!("/proc/sys/net/ipv4/conf/{file}/rp_filter"), "0");
                let _ = std::fs::write(format!("/proc/sys/net/ipv4/conf/{file}/accept_local"), "1");
            }
        })?;
        Ok(Pair { flood, edge })
    }
}
