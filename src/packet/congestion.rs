//! Congestion control the learner can choose (`--cc`): the kernel's TCP algorithms by their
//! Linux names (TCP_CONGESTION, tcp(7)), and for QUIC the controller of the same family that
//! quinn implements, so `http --compare --cc cubic` puts CUBIC on both sides.

use std::os::fd::RawFd;
use std::sync::Arc;

use crate::error::{Error, Result};

/// A congestion control algorithm by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CongestionControl(String);

impl CongestionControl {
    /// Any name the kernel may offer (`tcp_available_congestion_control`); checked when set.
    pub fn parse(name: &str) -> Result<CongestionControl> {
        let name = name.trim().to_ascii_lowercase();
        if name.is_empty() || name.len() >= 16 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(Error::usage(
                format!("--cc '{name}'"),
                "is not a congestion control name",
                "use cubic, reno or bbr",
            ));
        }
        Ok(CongestionControl(name))
    }

    pub fn name(&self) -> &str {
        &self.0
    }

    /// Checks that the kernel offers it now (`tcp_available_congestion_control`), so a typo is a
    /// usage error before anything connects.
    pub fn check_offered(&self) -> Result<()> {
        let available = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_available_congestion_control")
            .map_err(|e| Error::io("/proc/sys/net/ipv4/tcp_available_congestion_control", e))?;
        if available.split_whitespace().any(|a| a == self.0) {
            return Ok(());
        }
        Err(Error::usage(
            format!("--cc {}", self.0),
            "this kernel does not offer it",
            format!(
                "use one of: {} (modprobe tcp_{} adds it, if it exists)",
                available.split_whitespace().collect::<Vec<_>>().join(", "),
                self.0
            ),
        ))
    }

    /// Sets it on a TCP socket (before data flows, so slow start runs under it).
    pub fn apply(&self, fd: RawFd) -> Result<()> {
        // SAFETY: the name's bytes are valid for reads of their length; the kernel copies them.
        let rc = unsafe {
            libc::setsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_CONGESTION,
                self.0.as_ptr().cast(),
                self.0.len() as libc::socklen_t,
            )
        };
        if rc == 0 {
            return Ok(());
        }
        let available = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_available_congestion_control")
            .map(|s| s.trim().replace(' ', ", "))
            .unwrap_or_else(|_| "cubic, reno".into());
        Err(Error::usage(
            format!("--cc {}", self.0),
            format!("this kernel does not offer it ({})", std::io::Error::last_os_error()),
            format!("use one of: {available} (modprobe tcp_NAME adds others)"),
        ))
    }

    /// quinn's controller of the same family: CUBIC, NewReno for reno, or BBR.
    pub fn quic_factory(&self) -> Result<Arc<dyn quinn::congestion::ControllerFactory + Send + Sync>> {
        Ok(match self.0.as_str() {
            "cubic" => Arc::new(quinn::congestion::CubicConfig::default()),
            "reno" | "newreno" => Arc::new(quinn::congestion::NewRenoConfig::default()),
            "bbr" => Arc::new(quinn::congestion::BbrConfig::default()),
            other => {
                return Err(Error::usage(
                    format!("--cc {other}"),
                    "QUIC (quinn) has no controller of that name",
                    "use cubic, reno or bbr with --h3 or --compare",
                ))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_quic_has_its_three() {
        assert_eq!(CongestionControl::parse(" CUBIC ").unwrap().name(), "cubic");
        assert!(CongestionControl::parse("bad name").is_err());
        assert!(CongestionControl::parse("").is_err());
        for ok in ["cubic", "reno", "bbr"] {
            assert!(CongestionControl::parse(ok).unwrap().quic_factory().is_ok());
        }
        assert!(CongestionControl::parse("vegas").unwrap().quic_factory().is_err());
    }
}
