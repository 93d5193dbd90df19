//! The classic pcap savefile (pcap-savefile(5), draft-ietf-opsawg-pcap), read record by record
//! the way libpcap reads it, so that files tcpdump and Wireshark open are opened here too.
//!
//! The file starts with a 24-octet header: the magic number (which tells the byte order and
//! whether timestamps are micro- or nanoseconds), the version, the snapshot length (the most
//! any record captured) and the link type. Then each record: a 16-octet header (seconds,
//! fractions, captured length, original length) and the captured octets.
//!
//! A record that claims more captured octets than the snapshot length is not refused: libpcap
//! reads the first snapshot-length octets, skips the rest and goes on (such files come from
//! tools that wrote a wrong snapshot length); only a length past its own maximum (256 KiB) is
//! damage. Such a record is marked ([`Record::over_snaplen`]).

use std::io::Read;
use std::time::Duration;

/// libpcap's largest record (MAXIMUM_SNAPLEN): a larger captured length is damage.
pub const MAX_RECORD: u32 = 262_144;

/// What the file header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    big_endian: bool,
    nanoseconds: bool,
    /// The snapshot length, as libpcap uses it: the header's value, or [`MAX_RECORD`] when that
    /// is 0 or larger.
    pub snaplen: u32,
    /// The link type (its low 28 bits; the top bits may carry the FCS length).
    pub linktype: u32,
}

/// One record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub ts: Duration,
    pub orig_len: u32,
    pub data: Vec<u8>,
    /// The captured length the record claimed, when it was more than the snapshot length (the
    /// data then holds the first snapshot-length octets).
    pub over_snaplen: Option<u32>,
}

/// Why the file could not be read on.
#[derive(Debug, thiserror::Error)]
pub enum SavefileError {
    #[error("the file ends inside its 24-octet header ({0} octets)")]
    ShortHeader(usize),
    #[error("not a pcap file (magic number {0:08x})")]
    Magic(u32),
    #[error("the file ends inside frame {frame}'s record header (at byte offset {offset}); {}", decoded_before(*frame))]
    CutHeader { frame: u64, offset: u64 },
    #[error("the file ends inside frame {frame} (at byte offset {offset}, {missing} of its {len} captured octets missing); {}", decoded_before(*frame))]
    CutData {
        frame: u64,
        offset: u64,
        len: u32,
        missing: u32,
    },
    #[error("frame {frame} (at byte offset {offset}) claims {len} captured octets, more than the {MAX_RECORD} any pcap record may hold: the file is damaged from there")]
    Bogus { frame: u64, offset: u64, len: u32 },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// What was read before `frame`: `frames 1-17 decoded`.
pub fn decoded_before(frame: u64) -> String {
    match frame {
        0 | 1 => "no frame decoded".into(),
        2 => "frame 1 decoded".into(),
        n => format!("frames 1-{} decoded", n - 1),
    }
}

/// A savefile being read.
pub struct Savefile<R> {
    r: R,
    pub header: Header,
    /// Records read so far.
    frames: u64,
    /// Octets read so far.
    offset: u64,
}

impl<R: Read> Savefile<R> {
    /// Reads the file header.
    pub fn open(mut r: R) -> Result<Savefile<R>, SavefileError> {
        let mut h = [0u8; 24];
        let got = read_full(&mut r, &mut h)?;
        if got < 24 {
            return Err(SavefileError::ShortHeader(got));
        }
        let magic = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
        let (big_endian, nanoseconds) = match magic {
            0xa1b2_c3d4 => (false, false),
            0xa1b2_3c4d => (false, true),
            0xd4c3_b2a1 => (true, false),
            0x4d3c_b2a1 => (true, true),
            other => return Err(SavefileError::Magic(other)),
        };
        let word = |at: usize| {
            let b = [h[at], h[at + 1], h[at + 2], h[at + 3]];
            if big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        let snaplen = match word(16) {
            0 => MAX_RECORD,
            n => n.min(MAX_RECORD),
        };
        Ok(Savefile {
            r,
            header: Header {
                big_endian,
                nanoseconds,
                snaplen,
                linktype: word(20) & 0x0fff_ffff,
            },
            frames: 0,
            offset: 24,
        })
    }

    /// How many records were read.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// The next record; `None` at the end of the file.
    pub fn next_record(&mut self) -> Option<Result<Record, SavefileError>> {
        let frame = self.frames + 1;
        let at = self.offset;
        let mut h = [0u8; 16];
        let got = match read_full(&mut self.r, &mut h) {
            Ok(n) => n,
            Err(e) => return Some(Err(e.into())),
        };
        match got {
            0 => return None,
            16 => {}
            _ => return Some(Err(SavefileError::CutHeader { frame, offset: at })),
        }
        let word = |i: usize| {
            let b = [h[i], h[i + 1], h[i + 2], h[i + 3]];
            if self.header.big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        let (secs, fraction, caplen, orig_len) = (word(0), word(4), word(8), word(12));
        if caplen > MAX_RECORD {
            return Some(Err(SavefileError::Bogus {
                frame,
                offset: at,
                len: caplen,
            }));
        }
        let kept = caplen.min(self.header.snaplen);
        let mut data = vec![0u8; kept as usize];
        let got = match read_full(&mut self.r, &mut data) {
            Ok(n) => n,
            Err(e) => return Some(Err(e.into())),
        };
        // The octets past the snapshot length are skipped, as libpcap does.
        let skipped = match std::io::copy(&mut (&mut self.r).take(u64::from(caplen - kept)), &mut std::io::sink()) {
            Ok(n) => n,
            Err(e) => return Some(Err(e.into())),
        };
        let read = got as u64 + skipped;
        if read < u64::from(caplen) {
            return Some(Err(SavefileError::CutData {
                frame,
                offset: at,
                len: caplen,
                missing: caplen - read as u32,
            }));
        }
        self.frames = frame;
        self.offset = at + 16 + u64::from(caplen);
        let nanos = if self.header.nanoseconds {
            u64::from(fraction)
        } else {
            u64::from(fraction) * 1000
        };
        Some(Ok(Record {
            ts: Duration::from_secs(u64::from(secs)) + Duration::from_nanos(nanos),
            orig_len,
            data,
            over_snaplen: (caplen > kept).then_some(caplen),
        }))
    }
}

/// Reads until `buf` is full or the input ends; how many octets were read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian microsecond savefile with `snaplen` and link type 101 (raw IP).
    fn file(snaplen: u32, records: &[(u32, u32, &[u8])]) -> Vec<u8> {
        let mut f = Vec::new();
        f.extend(0xa1b2_c3d4u32.to_le_bytes());
        f.extend(2u16.to_le_bytes());
        f.extend(4u16.to_le_bytes());
        f.extend([0u8; 8]);
        f.extend(snaplen.to_le_bytes());
        f.extend(101u32.to_le_bytes());
        for (caplen, orig, data) in records {
            f.extend(1u32.to_le_bytes());
            f.extend(500u32.to_le_bytes());
            f.extend(caplen.to_le_bytes());
            f.extend(orig.to_le_bytes());
            f.extend_from_slice(data);
        }
        f
    }

    #[test]
    fn a_record_over_the_snap_length_keeps_its_first_snaplen_octets_as_libpcap_does() {
        let bytes = file(4, &[(6, 6, b"abcdef"), (2, 2, b"gh")]);
        let mut s = Savefile::open(&bytes[..]).unwrap();
        assert_eq!((s.header.snaplen, s.header.linktype), (4, 101));
        let first = s.next_record().unwrap().unwrap();
        assert_eq!(first.data, b"abcd");
        assert_eq!(first.over_snaplen, Some(6));
        assert_eq!(first.ts, Duration::from_micros(1_000_500));
        // The skipped octets do not derail the next record.
        let second = s.next_record().unwrap().unwrap();
        assert_eq!((second.data.as_slice(), second.over_snaplen), (&b"gh"[..], None));
        assert!(s.next_record().is_none());
    }

    #[test]
    fn a_file_cut_inside_a_record_names_the_frame_and_the_offset() {
        let mut bytes = file(100, &[(2, 2, b"ab"), (10, 10, b"0123456789")]);
        bytes.truncate(bytes.len() - 3);
        let mut s = Savefile::open(&bytes[..]).unwrap();
        assert!(s.next_record().unwrap().is_ok());
        let e = s.next_record().unwrap().unwrap_err().to_string();
        assert_eq!(
            e,
            "the file ends inside frame 2 (at byte offset 42, 3 of its 10 captured octets missing); frame 1 decoded"
        );
        let two = file(100, &[(2, 2, b"ab"), (2, 2, b"cd")]);
        let mut s = Savefile::open(&two[..24 + 18 + 5]).unwrap();
        s.next_record().unwrap().unwrap();
        assert!(matches!(
            s.next_record(),
            Some(Err(SavefileError::CutHeader { frame: 2, offset: 42 }))
        ));
    }

    #[test]
    fn damage_and_foreign_files_are_named() {
        let bytes = file(100, &[(300_000, 300_000, b"")]);
        let mut s = Savefile::open(&bytes[..]).unwrap();
        assert!(matches!(
            s.next_record(),
            Some(Err(SavefileError::Bogus {
                frame: 1,
                len: 300_000,
                ..
            }))
        ));
        assert!(matches!(
            Savefile::open(&b"GIF89a..."[..]),
            Err(SavefileError::ShortHeader(9))
        ));
        assert!(matches!(Savefile::open(&[0u8; 24][..]), Err(SavefileError::Magic(0))));
    }

    #[test]
    fn big_endian_nanosecond_files_are_read() {
        let mut f = Vec::new();
        f.extend(0xa1b2_3c4du32.to_be_bytes());
        f.extend([0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0]);
        f.extend(65535u32.to_be_bytes());
        f.extend(1u32.to_be_bytes());
        f.extend(2u32.to_be_bytes());
        f.extend(7u32.to_be_bytes());
        f.extend(1u32.to_be_bytes());
        f.extend(1u32.to_be_bytes());
        f.push(0xff);
        let mut s = Savefile::open(&f[..]).unwrap();
        assert_eq!(s.header.linktype, 1);
        let r = s.next_record().unwrap().unwrap();
        assert_eq!((r.ts, r.data), (Duration::new(2, 7), vec![0xff]));
    }
}
