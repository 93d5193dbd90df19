//! Reads pcap and pcapng files frame by frame with pcap-file, streaming: memory stays bounded
//! whatever the file's size. The format is told by the file's magic number.

use std::io::{BufRead, BufReader, Read};
use std::time::Duration;

use pcap_file::pcapng::{Block, PcapNgReader};

use super::layers::Link;
use super::savefile::{Savefile, SavefileError};

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
    /// The captured length a pcap record claimed when it was more than the file's snapshot
    /// length (`data` then holds the first snapshot-length octets, as libpcap reads it).
    pub over_snaplen: Option<(u32, u32)>,
    /// None: a link type netlab does not decode (the number is kept for the message).
    pub link: Result<Link, u32>,
}

/// A capture file being read.
pub enum Capture<R: Read> {
    Pcap(Savefile<BufReader<R>>, Result<Link, u32>),
    PcapNg(PcapNgReader<BufReader<R>>, u64),
}

/// Why a capture could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("not a pcap or pcapng file: it starts with {0}")]
    Magic(String),
    #[error("the file is empty")]
    Empty,
    #[error("{0}")]
    Pcap(#[from] SavefileError),
    #[error("{0}")]
    PcapNg(#[from] pcap_file::PcapError),
    /// A pcapng block that could not be read, after `frame - 1` frames.
    #[error("{}", pcapng_problem(*.frame, .source))]
    PcapNgAt {
        frame: u64,
        #[source]
        source: pcap_file::PcapError,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// pcap-file's error in words that name the frame.
fn pcapng_problem(frame: u64, e: &pcap_file::PcapError) -> String {
    let decoded = super::savefile::decoded_before(frame);
    match e {
        pcap_file::PcapError::IncompleteBuffer | pcap_file::PcapError::IoError(_) => {
            format!("the file ends inside the block of frame {frame}; {decoded}")
        }
        other => format!("the block of frame {frame} is damaged ({other}); {decoded}"),
    }
}

fn linktype(n: u32) -> Result<Link, u32> {
    Link::from_linktype(n).ok_or(n)
}

/// A file's first octets, in hex and, where printable, as text: `68 65 6c 6c ("hell")`.
fn first_octets(head: &[u8]) -> String {
    let first = &head[..head.len().min(4)];
    let hex: Vec<String> = first.iter().map(|b| format!("{b:02x}")).collect();
    let text: String = first.iter().map(|&b| b as char).collect();
    if first.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        format!("{} (\"{text}\")", hex.join(" "))
    } else {
        hex.join(" ")
    }
}

/// Opens a capture, telling pcap from pcapng by the magic number.
pub fn open<R: Read>(r: R) -> Result<Capture<R>, CaptureError> {
    let mut buffered = BufReader::with_capacity(1 << 16, r);
    let head = buffered.fill_buf()?;
    let magic: [u8; 4] = match head.get(..4) {
        Some(m) => m.try_into().expect("4"),
        None if head.is_empty() => return Err(CaptureError::Empty),
        None => return Err(CaptureError::Magic(first_octets(head))),
    };
    match magic {
        [0x0a, 0x0d, 0x0d, 0x0a] => Ok(Capture::PcapNg(PcapNgReader::new(buffered)?, 0)),
        [0xa1, 0xb2, 0xc3, 0xd4] | [0xd4, 0xc3, 0xb2, 0xa1] | [0xa1, 0xb2, 0x3c, 0x4d] | [0x4d, 0x3c, 0xb2, 0xa1] => {
            let reader = Savefile::open(buffered)?;
            let link = linktype(reader.header.linktype);
            Ok(Capture::Pcap(reader, link))
        }
        _ => Err(CaptureError::Magic(first_octets(head))),
    }
}

impl<R: Read> Iterator for Capture<R> {
    type Item = Result<Frame, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Capture::Pcap(reader, link) => {
                let record = match reader.next_record()? {
                    Ok(r) => r,
                    Err(e) => return Some(Err(e.into())),
                };
                let snaplen = reader.header.snaplen;
                Some(Ok(Frame {
                    number: reader.frames(),
                    ts: record.ts,
                    orig_len: record.orig_len,
                    data: record.data,
                    over_snaplen: record.over_snaplen.map(|claimed| (claimed, snaplen)),
                    link: *link,
                }))
            }
            Capture::PcapNg(reader, n) => loop {
                let block = match reader.next_block()? {
                    Ok(b) => b,
                    Err(source) => return Some(Err(CaptureError::PcapNgAt { frame: *n + 1, source })),
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
                    over_snaplen: None,
                    link,
                }));
            },
        }
    }
}
