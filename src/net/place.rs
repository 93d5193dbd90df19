//! Where a command runs, as the global options and the environment say, read once.

use std::path::PathBuf;

use crate::link::spec::LinkSpec;

/// The facts `--sandbox`, `--link`, `--offline` and `NETLAB_OFFLINE` give, decided in one
/// place (`app::dispatch`) before any engine runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Place {
    /// Run against the sandbox (`--sandbox`, or `--link`).
    pub sandbox: bool,
    /// Refuse every destination that is not loopback (`--offline`, `NETLAB_OFFLINE=1`).
    pub offline: bool,
    /// With an emulated link between the client and the sandbox (`--link`).
    pub link: Option<LinkSpec>,
    /// Where the link writes what each end saw (`--link-pcap PREFIX`).
    pub link_pcap: Option<PathBuf>,
}

impl Place {
    /// From the flags and the value of `NETLAB_OFFLINE` (any value but empty or `0` turns the
    /// guard on).
    pub fn new(sandbox: bool, offline_flag: bool, offline_env: Option<&str>) -> Place {
        Place {
            sandbox,
            offline: offline_flag || offline_env.is_some_and(|v| !v.is_empty() && v != "0"),
            link: None,
            link_pcap: None,
        }
    }

    /// The same place behind an emulated link (which means the sandbox).
    pub fn with_link(self, link: Option<LinkSpec>) -> Place {
        Place {
            sandbox: self.sandbox || link.is_some(),
            link,
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_values() {
        assert!(Place::new(false, false, Some("1")).offline);
        assert!(!Place::new(false, false, Some("0")).offline);
        assert!(!Place::new(false, false, Some("")).offline);
        assert!(Place::new(false, true, None).offline);
        assert!(Place::new(true, false, None).sandbox);
    }
}
