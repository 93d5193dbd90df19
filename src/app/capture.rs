//! `netlab capture`: live frames from an interface through a packet socket
//! ([`crate::net::capture`]), through the same pipeline as `netlab pcap`
//! ([`crate::packet::pipeline`]) to the printer as they arrive,
//! and with `-w` written to a pcap file (0600) as they go. Capturing needs root or CAP_NET_RAW;
//! without it, one error names the fix.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::output::{to_stdout, PacketItem, Printer};
use super::Io;
use crate::cli::CaptureArgs;
use crate::error::{Error, Result};
use crate::net::capture::{Live, LiveError};
use crate::packet::layers::Link;
use crate::packet::pipeline::{self, Pipeline};
use crate::packet::reader::Frame;

/// How often the capture loop looks at the clock when no frame arrives.
const POLL: Duration = Duration::from_millis(100);

pub(super) fn run_capture(a: &CaptureArgs, printer: &Printer, io: &mut Io) -> Result<i32> {
    let mut live = Live::open(Some(&a.interface), POLL).map_err(|e| match e {
        LiveError::NoInterface(name, names) => Error::usage(
            format!("interface '{name}'"),
            "does not exist",
            format!("use one of: {names}"),
        ),
        LiveError::Permission(name) => Error::usage(
            format!("capturing on {name}"),
            "needs root or CAP_NET_RAW",
            "run it with sudo, or once: sudo setcap cap_net_raw+ep $(which netlab)",
        ),
        other => Error::usage("capture", other.to_string(), "capture on another interface"),
    })?;
    let link = if live.raw_ip() { Link::Raw } else { Link::Ethernet };
    let mut writer = a.write.as_deref().map(|p| open_pcap(p, link)).transpose()?;
    let deadline = a.duration.map(|s| Instant::now() + Duration::from_secs_f64(s.max(0.0)));
    let verbose = a.show.verbose;
    let mut stream = printer
        .trace_stream(&mut *io.stdout, pipeline::SCHEMA, "capture")
        .map_err(to_stdout)?;
    // Each frame is written as it comes: a live capture is watched.
    let mut run = Pipeline::new(super::pcap::pipeline_options(&a.show), |e| {
        stream
            .item(&PacketItem::new(e, verbose))
            .and_then(|()| stream.flush())
            .map_err(to_stdout)
    });
    let mut number = 0u64;
    while deadline.is_none_or(|d| Instant::now() < d) {
        let data = match live.next_frame() {
            Ok(Some(d)) => d,
            Ok(None) => continue,
            Err(e) => {
                run.stopped(format!("reading from {}: {e}", a.interface));
                break;
            }
        };
        let ts = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        if let Some(w) = writer.as_mut() {
            w.write_packet(&pcap_file::pcap::PcapPacket::new(ts, data.len() as u32, &data))
                .map_err(|e| Error::io(a.write.clone().unwrap_or_default(), std::io::Error::other(e)))?;
        }
        number += 1;
        // Linux hands loopback frames over with a zeroed Ethernet header; a TUN device, bare IP.
        let frame = Frame {
            number,
            ts,
            orig_len: data.len() as u32,
            data,
            over_snaplen: None,
            link: Ok(link),
        };
        if run.take(frame)? {
            break;
        }
    }
    run.kernel_dropped(live.kernel_stats().dropped);
    let outcome = run.finish()?;
    stream.end(&outcome).map_err(to_stdout)?;
    super::pcap::stopped_reading(&outcome, &format!("capture on {}", a.interface), "capture again")
}

/// A pcap file for `-w`, created 0600 (captures can hold secrets: cookies, tokens).
fn open_pcap(path: &std::path::Path, link: Link) -> Result<pcap_file::pcap::PcapWriter<std::fs::File>> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    let header = pcap_file::pcap::PcapHeader {
        datalink: match link {
            Link::Raw => pcap_file::DataLink::RAW,
            _ => pcap_file::DataLink::ETHERNET,
        },
        ..Default::default()
    };
    pcap_file::pcap::PcapWriter::with_header(file, header).map_err(|e| Error::io(path, std::io::Error::other(e)))
}
