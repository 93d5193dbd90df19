//! Live frames from an interface through pnet's datalink channel, for `netlab capture` and
//! `netlab tcp`: opening the channel (with the one fix named when the privilege is missing), and
//! reading frames with loopback's doubled copies dropped.

use std::time::Duration;

use pnet_datalink::{Channel, DataLinkReceiver, NetworkInterface};

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

/// A running capture on one interface.
pub struct Live {
    rx: Box<dyn DataLinkReceiver>,
    loopback: bool,
    raw_ip: bool,
    previous: Option<Vec<u8>>,
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

impl Live {
    /// Opens a capture on `name` (None: loopback); reads give up after `poll` with no frame.
    pub fn open(name: Option<&str>, poll: Duration) -> Result<Live, LiveError> {
        let interface = find(name)?;
        let config = pnet_datalink::Config {
            read_timeout: Some(poll),
            // Loopback frames are up to 64 KiB plus the link header.
            read_buffer_size: 1 << 17,
            ..Default::default()
        };
        match pnet_datalink::channel(&interface, config) {
            Ok(Channel::Ethernet(_, rx)) => Ok(Live {
                rx,
                loopback: interface.is_loopback(),
                // A device without a hardware address (a TUN device, like the emulated link's)
                // hands over bare IP packets, without an Ethernet header.
                raw_ip: !interface.is_loopback() && interface.mac.is_none(),
                previous: None,
            }),
            Ok(_) => Err(LiveError::Other(interface.name, "not an Ethernet-like channel".into())),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Err(LiveError::Permission(interface.name)),
            Err(e) => Err(LiveError::Other(interface.name, e.to_string())),
        }
    }

    /// True when the frames are bare IP packets (LINKTYPE_RAW), false for Ethernet frames.
    pub fn raw_ip(&self) -> bool {
        self.raw_ip
    }

    /// The next frame, or None when `poll` passed without one.
    pub fn next_frame(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        loop {
            let data = match self.rx.next() {
                Ok(d) => d.to_vec(),
                Err(e) if matches!(e.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock) => {
                    return Ok(None)
                }
                Err(e) => return Err(e),
            };
            // On loopback the kernel hands every frame over twice, as sent and as received;
            // keep one (libpcap does the same).
            if self.loopback && self.previous.as_deref() == Some(data.as_slice()) {
                self.previous = None;
                continue;
            }
            self.previous = self.loopback.then(|| data.clone());
            return Ok(Some(data));
        }
    }
}
