//! The path every frame takes in `netlab pcap` and `netlab capture`: its layers decoded, its TCP
//! connection followed (relative sequence numbers, and each connection's story for
//! `--streams`), its TLS records reassembled for `--keylog`, the filters applied, the counts
//! kept. What there is to show goes to a sink as [`PacketEvent`]s, one at a time, so memory stays
//! bounded whatever the capture's size; the sink decides whether that becomes text or JSON.
//!
//! ```text
//!  frames ──► decode ──► tracker ──► TLS flows ──► filter ──► sink(frame)
//!                                                    └─ at the end: sink(streams, TLS, summary)
//! ```

use std::net::IpAddr;
use std::time::Duration;

use super::events::{CaptureSummary, FrameSeen, PacketEvent};
use super::layers::{self, Decoded};
use super::quicflows::QuicFlows;
use super::reader::Frame;
use super::streams::Tracker;
use super::tlsflows::{KeyLog, TlsFlows};
use crate::error::Result;
use crate::trace::Outcome;

/// The schema of a packet trace (`netlab pcap`, `netlab capture`, `netlab tcp`).
pub const SCHEMA: &str = "netlab.packet/1";

/// Which frames are shown: `--host`, `--port`, `--proto`. Every frame is decoded and followed
/// whatever the filter says, so a connection's relative numbers and story stay right.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub host: Option<IpAddr>,
    pub port: Option<u16>,
    /// A transport (`tcp`, `udp`, ...) or the start of a layer's name (`dns`, `tls`, `quic`).
    pub proto: Option<String>,
}

impl Filter {
    /// Whether a frame passes every filter given.
    pub fn keeps(&self, d: &Decoded) -> bool {
        self.host.is_none_or(|h| d.src == Some(h) || d.dst == Some(h))
            && self.port.is_none_or(|p| d.sport == Some(p) || d.dport == Some(p))
            && self.proto.as_deref().is_none_or(|p| {
                let p = p.to_ascii_lowercase();
                d.proto == p || d.layers.iter().any(|l| l.name.to_ascii_lowercase().starts_with(&p))
            })
    }
}

/// What to show and how far to go.
#[derive(Debug, Default)]
pub struct Options {
    pub filter: Filter,
    /// `-c`: stop after this many frames shown.
    pub count: Option<u64>,
    /// `--streams`: each TCP connection's story after the frames.
    pub streams: bool,
    /// `--keylog`: decrypt the TLS 1.3 handshakes and the QUIC connections in the capture
    /// with these secrets.
    pub keylog: Option<KeyLog>,
}

/// Frames going through the decoders to a sink, with the state they share.
pub struct Pipeline<S: FnMut(PacketEvent) -> Result<()>> {
    options: Options,
    sink: S,
    tracker: Tracker,
    /// With `--keylog`: the TLS connections being reassembled.
    tls: TlsFlows,
    /// QUIC connections, known from their Initials.
    quic: QuicFlows,
    summary: CaptureSummary,
    /// The first frame's time: every frame's time is counted from it.
    start: Option<Duration>,
}

impl<S: FnMut(PacketEvent) -> Result<()>> Pipeline<S> {
    pub fn new(options: Options, sink: S) -> Self {
        Pipeline {
            options,
            sink,
            tracker: Tracker::default(),
            tls: TlsFlows::default(),
            quic: QuicFlows::default(),
            summary: CaptureSummary::default(),
            start: None,
        }
    }

    /// Decodes one frame and shows it if the filter keeps it; true when `-c` says to stop.
    pub fn take(&mut self, frame: Frame) -> Result<bool> {
        self.summary.frames_read += 1;
        let t0 = *self.start.get_or_insert(frame.ts);
        let at = frame.ts.saturating_sub(t0);
        let mut decoded = match frame.link {
            Ok(link) => layers::decode(link, &frame.data),
            Err(n) => Decoded {
                problem: Some(format!("link type {n} is not one netlab decodes")),
                ..Decoded::default()
            },
        };
        if let Some((claimed, snaplen)) = frame.over_snaplen {
            // Marked whatever the decoders found: the record itself breaks the file's rule.
            decoded.problem = Some(format!(
                "the record claims {claimed} captured octets, over the file's snap length of {snaplen}: its first {snaplen} read, as libpcap reads it"
            ));
        } else if frame.data.len() < frame.orig_len as usize && decoded.problem.is_none() {
            decoded.problem = Some(format!(
                "cut by the snap length: {} of {} octets",
                frame.data.len(),
                frame.orig_len
            ));
        }
        self.quic.see(&mut decoded, &frame.data, self.options.keylog.as_ref());
        if decoded.problem.is_some() {
            self.summary.frames_with_problems += 1;
        }
        let view = self.tracker.see(frame.number, at.as_micros() as u64, &decoded);
        let relative = view.map(|v| v.relative);
        if self.options.keylog.is_some() {
            self.tls.see(at, &decoded, &frame.data, relative);
        }
        if !self.options.filter.keeps(&decoded) {
            return Ok(false);
        }
        self.summary.frames_shown += 1;
        (self.sink)(PacketEvent::Frame(Box::new(FrameSeen {
            number: frame.number,
            time: at.as_secs_f64(),
            length: frame.orig_len,
            captured: frame.data.len(),
            decoded,
            relative,
            window: view.map(|v| v.window),
        })))?;
        Ok(self.options.count.is_some_and(|c| self.summary.frames_shown >= c))
    }

    /// Reading stopped on `error` (a damaged file, a failed interface): the summary says so and
    /// the capture's answer becomes "no".
    pub fn stopped(&mut self, error: String) {
        self.summary.error = Some(error);
    }

    /// A live capture's kernel dropped `frames` that never reached the pipeline.
    pub fn kernel_dropped(&mut self, frames: u64) {
        self.summary.kernel_dropped = Some(frames);
    }

    /// The streams (with `--streams`), the TLS connections (with `--keylog`) and the summary;
    /// then how it ended: `Negative` when reading stopped on an error.
    pub fn finish(mut self) -> Result<Outcome> {
        if self.options.streams {
            for s in self.tracker.finish() {
                (self.sink)(PacketEvent::Stream(Box::new(s)))?;
            }
        }
        if let Some(keylog) = &self.options.keylog {
            for flow in self.tls.finish(keylog) {
                (self.sink)(PacketEvent::Tls(Box::new(flow)))?;
            }
        }
        let outcome = match &self.summary.error {
            Some(reason) => Outcome::Negative { reason: reason.clone() },
            None => Outcome::Ok,
        };
        (self.sink)(PacketEvent::Summary(self.summary))?;
        Ok(outcome)
    }
}

/// Runs every frame of a capture file through the pipeline; a frame that cannot be read ends
/// the run there, said in the summary.
pub fn run<E: std::fmt::Display>(
    frames: impl IntoIterator<Item = std::result::Result<Frame, E>>,
    options: Options,
    sink: impl FnMut(PacketEvent) -> Result<()>,
) -> Result<Outcome> {
    let mut pipeline = Pipeline::new(options, sink);
    for frame in frames {
        match frame {
            Ok(f) => {
                if pipeline.take(f)? {
                    break;
                }
            }
            Err(e) => {
                // The reader's errors name the frame and where it stopped.
                pipeline.stopped(e.to_string());
                break;
            }
        }
    }
    pipeline.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::layers::Link;

    /// A UDP datagram from 192.0.2.1:5353 to 192.0.2.2:53 in a raw IPv4 frame (RFC 791 §3.1,
    /// RFC 768), payload "hi".
    fn udp_frame(number: u64) -> Frame {
        #[rustfmt::skip]
        let data = vec![
            0x45, 0x00, 0x00, 0x1e, // version 4, IHL 5; total length 30
            0x00, 0x00, 0x00, 0x00, // identification, flags, fragment offset
            0x40, 0x11, 0x00, 0x00, // TTL 64, protocol 17 (UDP), checksum (unchecked)
            192, 0, 2, 1,           // source
            192, 0, 2, 2,           // destination
            0x14, 0xe9, 0x00, 0x35, // source port 5353, destination port 53
            0x00, 0x0a, 0x00, 0x00, // length 10, checksum 0 (none)
            b'h', b'i',
        ];
        Frame {
            number,
            ts: Duration::from_millis(1000 + number),
            orig_len: data.len() as u32,
            data,
            over_snaplen: None,
            link: Ok(Link::Raw),
        }
    }

    fn collect(
        frames: Vec<std::result::Result<Frame, std::io::Error>>,
        options: Options,
    ) -> (Vec<PacketEvent>, Outcome) {
        let mut events = Vec::new();
        let outcome = run(frames, options, |e| {
            events.push(e);
            Ok(())
        })
        .unwrap();
        (events, outcome)
    }

    #[test]
    fn frames_then_the_summary_reach_the_sink() {
        let (events, outcome) = collect(vec![Ok(udp_frame(1)), Ok(udp_frame(2))], Options::default());
        assert_eq!(outcome, Outcome::Ok);
        assert!(matches!(&events[0], PacketEvent::Frame(f) if f.number == 1 && f.time == 0.0));
        assert!(matches!(&events[1], PacketEvent::Frame(f) if f.number == 2 && f.time > 0.0));
        let PacketEvent::Summary(s) = &events[2] else {
            panic!("{events:?}")
        };
        assert_eq!((s.frames_read, s.frames_shown, s.error.as_deref()), (2, 2, None));
    }

    #[test]
    fn filters_and_count_choose_what_is_shown() {
        let options = |filter: Filter, count| Options {
            filter,
            count,
            ..Options::default()
        };
        let by_port = Filter {
            port: Some(53),
            ..Filter::default()
        };
        let (events, _) = collect(vec![Ok(udp_frame(1)), Ok(udp_frame(2))], options(by_port, Some(1)));
        assert_eq!(events.len(), 2, "one frame (-c 1), then the summary: {events:?}");
        let by_proto = Filter {
            proto: Some("TCP".into()),
            ..Filter::default()
        };
        let (events, _) = collect(vec![Ok(udp_frame(1))], options(by_proto, None));
        let PacketEvent::Summary(s) = &events[0] else {
            panic!("{events:?}")
        };
        assert_eq!((s.frames_read, s.frames_shown), (1, 0), "read, decoded, not shown");
    }

    #[test]
    fn a_frame_that_cannot_be_read_ends_the_run_as_a_negative_answer() {
        let (events, outcome) = collect(
            vec![
                Ok(udp_frame(1)),
                Err(std::io::Error::other("the file ends inside frame 2")),
            ],
            Options::default(),
        );
        assert_eq!(
            outcome,
            Outcome::Negative {
                reason: "the file ends inside frame 2".into()
            }
        );
        let PacketEvent::Summary(s) = events.last().unwrap() else {
            panic!("{events:?}")
        };
        assert_eq!(s.error.as_deref(), Some("the file ends inside frame 2"));
    }
}
