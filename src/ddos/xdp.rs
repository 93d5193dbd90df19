//! The XDP depth: Debian's `xdp-filter` (xdp-tools) attaches an eBPF program to the target's
//! interface that decides each packet as the driver hands it over, before the kernel has built
//! the socket buffer the IP stack works on (native mode), or just after (skb, "generic", mode,
//! for drivers without XDP support). Its rules are lookups in eBPF maps: a port, an address, a
//! MAC address; no per-source state, so here it drops the flood's destination port outright.
//!
//! `xdp-filter` keeps its maps pinned in a BPF filesystem at `/sys/fs/bpf`. netlab does not
//! touch the machine's: the tool runs in a private mount namespace (`unshare --mount`) with a
//! BPF filesystem of its own, inside netlab's network namespace, and everything it made goes
//! when the namespaces do.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin};

use crate::error::Error;
use crate::net::ns::tool::{UNSHARE, XDP_FILTER};
use crate::net::ns::Namespace;

/// Which XDP mode the program runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Native,
    Skb,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Native => "native",
            Mode::Skb => "skb",
        }
    }
}

/// What xdp-filter's program counted (`xdp-filter status`, its per-action statistics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct XdpCounts {
    pub dropped: u64,
    pub passed: u64,
}

/// xdp-filter attached to an interface and dropping a port, until [`Attached::finish`].
#[derive(Debug)]
pub struct Attached {
    child: Child,
    stdin: ChildStdin,
    out: BufReader<std::process::ChildStdout>,
    pub mode: Mode,
    /// The commands that set it up, as a learner would type them.
    pub commands: Vec<String>,
}

/// The shell steps, run in the private mount namespace: native mode if the driver has it
/// (veth does), else skb mode; then wait for a line on standard input, print the counters,
/// and detach.
fn script(iface: &str, port: u16) -> String {
    format!(
        "mount -t bpf bpf /sys/fs/bpf
if xdp-filter load --mode native {iface} 2>/dev/null; then echo mode native; else xdp-filter load --mode skb {iface}; echo mode skb; fi
xdp-filter port {port} --mode dst
echo ready
read _ || true
xdp-filter status
xdp-filter unload {iface}
"
    )
}

impl Attached {
    /// Loads xdp-filter on `iface` inside `ns` and has it drop datagrams to `port`.
    pub fn attach(ns: &Namespace, iface: &str, port: u16) -> Result<Attached, Error> {
        if !XDP_FILTER.installed() {
            return Err(XDP_FILTER.missing());
        }
        let script = script(iface, port);
        let mut child = UNSHARE.spawn(ns, &["--mount", "--propagation", "private", "sh", "-ec", &script])?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(failed(child, "xdp-filter's pipes"));
        };
        let mut out = BufReader::new(stdout);
        let mut mode = None;
        let mut line = String::new();
        loop {
            line.clear();
            if out.read_line(&mut line).unwrap_or(0) == 0 {
                return Err(failed(child, "xdp-filter load"));
            }
            match line.trim() {
                "mode native" => mode = Some(Mode::Native),
                "mode skb" => mode = Some(Mode::Skb),
                "ready" => break,
                _ => {}
            }
        }
        let mode = mode.unwrap_or(Mode::Skb);
        Ok(Attached {
            child,
            stdin,
            out,
            mode,
            commands: vec![
                format!("xdp-filter load --mode {} {iface}", mode.name()),
                format!("xdp-filter port {port} --mode dst"),
            ],
        })
    }

    /// Reads the counters and detaches the program.
    pub fn finish(mut self) -> Result<XdpCounts, Error> {
        let _ = self.stdin.write_all(b"\n");
        drop(self.stdin);
        let mut status = String::new();
        let _ = self.out.read_to_string(&mut status);
        let exit = self
            .child
            .wait()
            .map_err(|e| crate::net::ns::sys_error("xdp-filter", e))?;
        if !exit.success() {
            return Err(failed(self.child, "xdp-filter status"));
        }
        parse_status(&status).ok_or_else(|| Error::Io {
            path: "xdp-filter status".into(),
            source: std::io::Error::other("no per-action statistics in its output"),
            hint: "check the xdp-tools version (1.3 prints XDP_DROP and XDP_PASS lines)".into(),
        })
    }
}

/// The error for a step of the script that failed, with the tool's first complaint.
fn failed(mut child: Child, step: &str) -> Error {
    let _ = child.kill();
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    let _ = child.wait();
    let why = crate::net::ns::tool::first_complaint(&stderr);
    Error::Io {
        path: format!("{step} (in netlab's namespace)").into(),
        source: std::io::Error::other(why),
        hint: "XDP needs root, a kernel with BPF, and xdp-tools (apt-get install xdp-tools)".into(),
    }
}

/// The `XDP_DROP` and `XDP_PASS` packet counts of `xdp-filter status`.
pub fn parse_status(text: &str) -> Option<XdpCounts> {
    let count = |action: &str| {
        text.lines().find_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some(action)).then(|| words.next()?.parse::<u64>().ok())?
        })
    };
    Some(XdpCounts {
        dropped: count("XDP_DROP")?,
        passed: count("XDP_PASS")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_action_packet_counts_from_the_status() {
        let text = "CURRENT XDP-FILTER STATUS:\n\nAggregate per-action statistics:\n  XDP_ABORTED                                   0 pkts           0 KiB\n  XDP_DROP                                   1000 pkts          60 KiB\n  XDP_PASS                                      1 pkts           0 KiB\n\nLoaded on interfaces:\n";
        assert_eq!(
            parse_status(text),
            Some(XdpCounts {
                dropped: 1000,
                passed: 1
            })
        );
        assert_eq!(parse_status("Couldn't find stats map.\n"), None);
    }

    #[test]
    fn the_script_tries_native_then_skb_and_waits() {
        let s = script("nl-edge", 9);
        assert!(s.contains("xdp-filter load --mode native nl-edge"), "{s}");
        assert!(s.contains("xdp-filter load --mode skb nl-edge"), "{s}");
        assert!(s.contains("xdp-filter port 9 --mode dst"), "{s}");
        assert!(s.find("read _").unwrap() < s.find("xdp-filter status").unwrap());
    }
}
