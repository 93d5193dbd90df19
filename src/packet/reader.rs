//! Reads pcap and pcapng files frame by frame with pcap-file, streaming: memory stays bounded
//! whatever the file's size. The format is told by the file's magic number.

use std::io::{BufRead, BufReader, Read};
use std::time::Duration;

use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::{Block, PcapNgReader};

use super::layers::Link;

/// One captured frame.
#[derive(Debug, Clone)]
pub struct Frame {
    /// 1 for the first frame of the file.
    pub number: u64,
    /// Capture time (since the Unix epoch).
    pub ts: Duration,
    /// The frame's length on the wire, and what was captured of it (the snap length cuts).
    pub orig_len: u32,
    pub data: Vec<u8>,
    /// None: a link type netlab does not decode (the number is kept for the message).
    pub link: Result<Link, u32>,
}

/// A capture file being read.
pub enum Capture<R: Read> {
    Pcap(PcapReader<BufReader<R>>, Result<Link, u32>, u64),
    PcapNg(PcapNgReader<BufReader<R>>, u64),
}

/// Why a capture could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("not a pcap or pcapng file (it starts with {0}); save captures as pcap or pcapng")]
    Magic(String),
    #[error("the file is empty")]
    Empty,
    #[error("{0}")]
    Pcap(#[from] pcap_file::PcapError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

fn linktype(n: u32) -> Result<Link, u32> {
    Link::from_linktype(n).ok_or(n)
}

/// Opens a capture, telling pcap from pcapng by the magic number.
pub fn open<R: Read>(r: R) -> Result<Capture<R>, CaptureError> {
    let mut buffered = BufReader::with_capacity(1 << 16, r);
    let head = buffered.fill_buf()?;
    let magic: [u8; 4] = match head.get(..4) {
        Some(m) => m.try_into().expect("4"),
        None if head.is_empty() => return Err(CaptureError::Empty),
        None => return Err(CaptureError::Magic(format!("{head:02x?}"))),
    };
    match magic {
        [0x0a, 0x0d, 0x0d, 0x0a] => Ok(Capture::PcapNg(PcapNgReader::new(buffered)?, 0)),
        [0xa1, 0xb2, 0xc3, 0xd4] | [0xd4, 0xc3, 0xb2, 0xa1] | [0xa1, 0xb2, 0x3c, 0x4d] | [0x4d, 0x3c, 0xb2, 0xa1] => {
            let reader = PcapReader::new(buffered)?;
            let link = linktype(reader.header().datalink.into());
            Ok(Capture::Pcap(reader, link, 0))
        }
        other => Err(CaptureError::Magic(format!("{other:02x?}"))),
    }
}

impl<R: Read> Iterator for Capture<R> {
    type Item = Result<Frame, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Capture::Pcap(reader, link, n) => {
                let packet = match reader.next_packet()? {
                    Ok(p) => p,
                    Err(e) => return Some(Err(e.into())),
                };
                *n += 1;
                Some(Ok(Frame {
                    number: *n,
                    ts: packet.timestamp,
                    orig_len: packet.orig_len,
                    data: packet.data.into_owned(),
                    link: *link,
                }))
            }
            Capture::PcapNg(reader, n) => loop {
                let block = match reader.next_block()? {
                    Ok(b) => b,
                    Err(e) => return Some(Err(e.into())),
                };
                let (ts, orig_len, data, interface) = match block {
                    Block::EnhancedPacket(p) => (p.timestamp, p.original_len, p.data.into_owned(), p.interface_id),
                    Block::SimplePacket(p) => (Duration::ZERO, p.original_len, p.data.into_owned(), 0),
                    _ => continue,
                };
                let link = reader
                    .interfaces()
                    .get(interface as usize)
                    .map_or(Err(u32::MAX), |i| linktype(i.linktype.into()));
                *n += 1;
                return Some(Ok(Frame {
                    number: *n,
                    ts,
                    orig_len,
                    data,
                    link,
                }));
            },
        }
    }
}
