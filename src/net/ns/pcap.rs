//! `--link-pcap`: the link seen from both of its ends, as two pcap files that tcpdump, tshark
//! and Wireshark read, written while the packets pass.
//!
//! ```text
//!   PREFIX.client.pcap                                   PREFIX.servers.pcap
//!   what the client's device nl-c saw                    what the servers' device nl-s saw
//!   Up   as it entered the link   ──── link ────►        Up   as it was delivered (later by the delay)
//!   Down as it was delivered      ◄─── link ─────        Down as it entered the link
//! ```
//!
//! So one packet is in both files, and the difference of its two timestamps is what the link
//! did to it (delay, jitter, time in the rate limiter's queue). A packet the link drops is only
//! in the file of the side that sent it: a server's segment lost on the way down is in
//! `servers.pcap` and missing from `client.pcap`, which is how a retransmission looks to each
//! end. Packets are whole (snap length 65535, the largest IP packet) and start with their IP
//! header: link type `LINKTYPE_RAW` (101), IPv4 and IPv6 told apart by the version nibble.
//! Timestamps are the wall clock, in microseconds, taken as a packet is filed (a monotonic
//! clock from the wall-clock time at the start, so each file is in time order even when two
//! threads write to it).
//!
//! Each file is written to a temporary file beside it (0600: captures hold cookies and keys)
//! through a buffer, and renamed into place by [`LinkPcap::finish`]; memory stays at the
//! buffer's size however long the link runs. A write error ends that file's capture (the
//! link goes on) and is reported by `finish`.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::{DataLink, Endianness, TsResolution};

use crate::error::{Error, Result};
use crate::fsutil;
use crate::link::Direction;

/// The largest IP packet, so no packet is cut.
const SNAPLEN: u32 = 65535;
/// Bytes buffered per file before a write(2).
const BUFFER: usize = 256 * 1024;

/// Which end of the link a packet is seen at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The client's device: Up packets arriving, Down packets delivered.
    Client,
    /// The servers' device: Down packets arriving, Up packets delivered.
    Servers,
}

impl Side {
    /// The end a packet going `dir` comes from.
    pub fn sending(dir: Direction) -> Side {
        match dir {
            Direction::Up => Side::Client,
            Direction::Down => Side::Servers,
        }
    }

    /// The end a packet going `dir` is delivered to.
    pub fn receiving(dir: Direction) -> Side {
        match dir {
            Direction::Up => Side::Servers,
            Direction::Down => Side::Client,
        }
    }
}

/// The two capture files being written.
#[derive(Debug)]
pub struct LinkPcap {
    client: SideFile,
    servers: SideFile,
    /// The wall clock (since the Unix epoch) at `start`.
    epoch: Duration,
    start: Instant,
}

#[derive(Debug)]
struct SideFile {
    path: PathBuf,
    tmp: PathBuf,
    state: Mutex<State>,
}

#[derive(Debug)]
enum State {
    Open(PcapWriter<BufWriter<File>>),
    /// A write failed; the capture of this side stopped there.
    Failed(std::io::Error),
    /// Renamed into place (or given up after a failure).
    Done,
}

impl LinkPcap {
    /// The two files `--link-pcap PREFIX` writes: `PREFIX.client.pcap` and
    /// `PREFIX.servers.pcap` (a `.pcap` at the end of PREFIX is not repeated: `out.pcap` gives
    /// `out.client.pcap`).
    pub fn paths(prefix: &Path) -> [PathBuf; 2] {
        let text = prefix.as_os_str().to_string_lossy();
        let stem = text.strip_suffix(".pcap").unwrap_or(&text);
        [
            PathBuf::from(format!("{stem}.client.pcap")),
            PathBuf::from(format!("{stem}.servers.pcap")),
        ]
    }

    /// Starts both files (as temporary files beside them, with their pcap headers).
    pub fn create(prefix: &Path) -> Result<LinkPcap> {
        let [client, servers] = LinkPcap::paths(prefix);
        let client = SideFile::create(client)?;
        // On failure here `client` is dropped, which removes its temporary file.
        let servers = SideFile::create(servers)?;
        Ok(LinkPcap {
            client,
            servers,
            epoch: SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default(),
            start: Instant::now(),
        })
    }

    /// Adds `packet`, seen at `side` now.
    pub fn record(&self, side: Side, packet: &[u8]) {
        let file = match side {
            Side::Client => &self.client,
            Side::Servers => &self.servers,
        };
        let mut state = file.state.lock().unwrap_or_else(PoisonError::into_inner);
        if let State::Open(writer) = &mut *state {
            // Under the lock: the other thread cannot file a later packet first.
            let at = self.epoch + self.start.elapsed();
            let orig_len = u32::try_from(packet.len()).unwrap_or(u32::MAX);
            if let Err(e) = writer.write_packet(&PcapPacket::new(at, orig_len, packet)) {
                *state = State::Failed(std::io::Error::other(e));
            }
        }
    }

    /// Flushes both files and renames them into place; the paths written. Call it once the
    /// forwarder has stopped; a second call does nothing.
    pub fn finish(&self) -> Result<Vec<PathBuf>> {
        let client = self.client.finish();
        let servers = self.servers.finish();
        Ok(client?.into_iter().chain(servers?).collect())
    }
}

impl SideFile {
    fn create(path: PathBuf) -> Result<SideFile> {
        let (file, tmp) = fsutil::create_temp_beside(&path).map_err(|e| Error::io(&path, e))?;
        let header = PcapHeader {
            snaplen: SNAPLEN,
            datalink: DataLink::RAW,
            ts_resolution: TsResolution::MicroSecond,
            endianness: Endianness::native(),
            ..PcapHeader::default()
        };
        let side = SideFile {
            path,
            tmp,
            state: Mutex::new(State::Done),
        };
        let writer = PcapWriter::with_header(BufWriter::with_capacity(BUFFER, file), header)
            .map_err(|e| Error::io(&side.path, std::io::Error::other(e)))?;
        *side.state.lock().unwrap_or_else(PoisonError::into_inner) = State::Open(writer);
        Ok(side)
    }

    /// The file renamed into place (Some(path)), nothing if already done, or the error that
    /// stopped it (its temporary file removed).
    fn finish(&self) -> Result<Option<PathBuf>> {
        let state = std::mem::replace(
            &mut *self.state.lock().unwrap_or_else(PoisonError::into_inner),
            State::Done,
        );
        let written = match state {
            State::Done => return Ok(None),
            State::Failed(e) => Err(e),
            State::Open(writer) => writer.into_writer().into_inner().map_err(|e| e.into_error()),
        };
        let file = written.map_err(|e| {
            let _ = std::fs::remove_file(&self.tmp);
            Error::io(&self.path, e)
        })?;
        fsutil::commit(file, &self.tmp, &self.path).map_err(|e| Error::io(&self.path, e))?;
        Ok(Some(self.path.clone()))
    }
}

impl Drop for SideFile {
    /// A capture never finished (the command failed before the link started) leaves no
    /// temporary file behind.
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        if !matches!(state, State::Done) {
            *state = State::Done;
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_files_are_named_after_the_prefix() {
        let names = |p: &str| LinkPcap::paths(Path::new(p)).map(|p| p.display().to_string());
        assert_eq!(names("out"), ["out.client.pcap", "out.servers.pcap"]);
        assert_eq!(
            names("/tmp/run.pcap"),
            ["/tmp/run.client.pcap", "/tmp/run.servers.pcap"]
        );
    }

    #[test]
    fn each_side_gets_its_packets_whole_and_the_files_appear_at_finish() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("link");
        let pcap = LinkPcap::create(&prefix).unwrap();
        let [client, servers] = LinkPcap::paths(&prefix);
        assert!(!client.exists(), "written beside, renamed at the end");
        let big = vec![0x45u8; 9000];
        let before = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap();
        pcap.record(Side::Client, &big);
        std::thread::sleep(Duration::from_millis(5));
        pcap.record(Side::Servers, &big[..40]);
        pcap.record(Side::Servers, &big[..60]);
        assert_eq!(pcap.finish().unwrap(), [client.clone(), servers.clone()]);
        assert_eq!(pcap.finish().unwrap(), Vec::<PathBuf>::new());
        for path in [&client, &servers] {
            assert_eq!(std::fs::metadata(path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let read = |path: &Path| {
            let mut reader = pcap_file::pcap::PcapReader::new(File::open(path).unwrap()).unwrap();
            assert_eq!(reader.header().datalink, DataLink::RAW);
            let mut packets = Vec::new();
            while let Some(p) = reader.next_packet() {
                let p = p.unwrap();
                packets.push((p.timestamp, p.orig_len, p.data.len()));
            }
            packets
        };
        let (client, servers) = (read(&client), read(&servers));
        let sizes = |side: &[(Duration, u32, usize)]| side.iter().map(|p| (p.1, p.2)).collect::<Vec<_>>();
        assert_eq!(sizes(&client), [(9000, 9000)]);
        assert_eq!(sizes(&servers), [(40, 40), (60, 60)]);
        let (first, second, third) = (client[0].0, servers[0].0, servers[1].0);
        assert!(before.saturating_sub(Duration::from_millis(1)) <= first, "wall clock");
        assert!(
            second - first >= Duration::from_millis(5) && third >= second,
            "{first:?} {second:?} {third:?}"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no temporary files left"
        );
    }

    #[test]
    fn an_unfinished_capture_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let pcap = LinkPcap::create(&dir.path().join("gone")).unwrap();
        pcap.record(Side::Client, &[0x45; 20]);
        drop(pcap);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_folder_that_does_not_exist_is_an_error_naming_the_file() {
        let err = LinkPcap::create(Path::new("/nonexistent-netlab-dir/x")).unwrap_err();
        assert!(
            err.to_string().starts_with("/nonexistent-netlab-dir/x.client.pcap: "),
            "{err}"
        );
    }
}
