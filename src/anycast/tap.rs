//! The routing conversation, recorded: every BGP segment (TCP port 179) on the transits' links,
//! captured inside their namespaces while the experiment runs, so the trace can show the UPDATE
//! that withdrew a route, decoded, and `--pcap` can hand the whole capture to tshark. The links
//! are TUN devices, so the frames are bare IP packets (`LINKTYPE_RAW`).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use crate::error::{Error, Result};
use crate::net::capture::Live;
use crate::net::ns::Namespace;
use crate::packet::layers::{decode, Decoded, Link};

/// BGP's TCP port (RFC 4271 §8.2.1).
const BGP_PORT: u16 = 179;
/// Frames kept per link: keepalives every second on a run of seconds stay far below it.
const MAX_FRAMES: usize = 4096;
/// How long a capture read waits before it looks at the stop flag.
const POLL: Duration = Duration::from_millis(20);

/// One captured BGP frame.
#[derive(Debug, Clone)]
pub struct Frame {
    pub at: Instant,
    /// The wall clock when it was captured, for the pcap file.
    pub wall: SystemTime,
    pub data: Vec<u8>,
    pub decoded: Decoded,
}

/// Captures running on some interfaces, each in its own thread.
pub struct Tap {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<Vec<Frame>>>,
}

impl Tap {
    /// Starts a capture on each `(namespace, interface)`.
    pub fn start(links: &[(&Namespace, String)]) -> Result<Tap> {
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        for (ns, interface) in links {
            let name = interface.clone();
            let mut live = ns
                .run(move || Live::open(Some(&name), POLL))?
                .map_err(|e| Error::io(format!("capture on {interface}"), std::io::Error::other(e.to_string())))?;
            if !live.raw_ip() {
                return Err(Error::io(
                    format!("capture on {interface}"),
                    std::io::Error::other("not a TUN device: its frames would not be bare IP packets"),
                ));
            }
            let stop = Arc::clone(&stop);
            threads.push(std::thread::spawn(move || {
                let mut frames = Vec::new();
                while !stop.load(Ordering::Relaxed) && frames.len() < MAX_FRAMES {
                    let Ok(Some(data)) = live.next_frame() else { continue };
                    let decoded = decode(Link::Raw, &data);
                    if decoded.sport == Some(BGP_PORT) || decoded.dport == Some(BGP_PORT) {
                        frames.push(Frame {
                            at: Instant::now(),
                            wall: SystemTime::now(),
                            data,
                            decoded,
                        });
                    }
                }
                frames
            }));
        }
        Ok(Tap { stop, threads })
    }

    /// Stops the captures: every frame, in time order.
    pub fn finish(mut self) -> Vec<Frame> {
        self.stop.store(true, Ordering::Relaxed);
        let mut frames: Vec<Frame> = self
            .threads
            .drain(..)
            .flat_map(|t| t.join().unwrap_or_default())
            .collect();
        frames.sort_by_key(|f| f.at);
        frames
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// The frames that carry BGP messages (not bare ACKs).
pub fn messages(frames: &[Frame]) -> impl Iterator<Item = &Frame> {
    frames
        .iter()
        .filter(|f| f.decoded.tcp.as_ref().is_some_and(|t| t.payload_len > 0))
}

/// Writes `frames` as a pcap file (bare IP packets, `LINKTYPE_RAW`), 0600 and atomically.
pub fn write_pcap(path: &Path, frames: &[Frame]) -> Result<()> {
    use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
    crate::fsutil::write_atomic_with(path, 0o600, |file| {
        let header = PcapHeader {
            datalink: pcap_file::DataLink::RAW,
            ..Default::default()
        };
        let mut w = PcapWriter::with_header(file, header).map_err(std::io::Error::other)?;
        for f in frames {
            let ts = f.wall.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
            w.write_packet(&PcapPacket::new(ts, f.data.len() as u32, &f.data))
                .map_err(std::io::Error::other)?;
        }
        Ok(())
    })
    .map_err(|e| Error::io(path, e))
}
