//! `netlab pcap FILE`: streams a capture through the decoders and the renderer frame by frame,
//! so memory stays bounded whatever the file's size; `--json` streams the same trace shape.

use super::Io;
use crate::cli::{PacketShow, PcapArgs};
use crate::error::{Error, Result};
use crate::packet::events::{CaptureSummary, FrameSeen, PacketEvent};
use crate::packet::layers::{self, Decoded};
use crate::packet::streams::Tracker;
use crate::render::RenderOpts;
use crate::trace::{Event, EventKind};

/// The `--host`, `--port` and `--proto` filters.
fn keeps(a: &PacketShow, d: &Decoded) -> bool {
    {
        a.host.is_none_or(|h| d.src == Some(h) || d.dst == Some(h))
            && a.port.is_none_or(|p| d.sport == Some(p) || d.dport == Some(p))
            && a.proto.as_deref().is_none_or(|p| {
                let p = p.to_ascii_lowercase();
                d.proto == p || d.layers.iter().any(|l| l.name.to_ascii_lowercase().starts_with(&p))
            })
    }
}

/// Writes events as text or as the elements of a JSON `events` array.
struct Sink<'a> {
    out: &'a mut dyn std::io::Write,
    json: bool,
    opts: &'a RenderOpts,
    verbose: bool,
    first: bool,
    buf: String,
}

impl Sink<'_> {
    fn emit(&mut self, e: PacketEvent) -> Result<()> {
        if self.json {
            let event = Event {
                at_us: 0,
                kind: EventKind::Packet(e),
                notes: Vec::new(),
            };
            if !self.first {
                self.buf.push(',');
            }
            self.buf
                .push_str(&serde_json::to_string(&event).map_err(|e| Error::io("-", std::io::Error::other(e)))?);
        } else {
            crate::packet::render::event(&mut self.buf, &e, &[], self.opts, self.verbose);
        }
        self.first = false;
        if self.buf.len() > 1 << 16 {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        self.out.write_all(self.buf.as_bytes()).map_err(|e| Error::io("-", e))?;
        self.buf.clear();
        Ok(())
    }
}

pub(super) fn run_pcap(a: &PcapArgs, json: bool, opts: &RenderOpts, io: &mut Io) -> Result<i32> {
    // Standard input is the one main() holds, not a second handle to it.
    let input: Box<dyn std::io::Read + '_> = if a.file == std::path::Path::new("-") {
        Box::new(&mut *io.stdin)
    } else {
        super::open(&a.file)?
    };
    let capture = crate::packet::reader::open(input).map_err(|e| {
        Error::usage(
            a.file.display().to_string(),
            e.to_string(),
            "give a pcap or pcapng file (tcpdump -w, Wireshark)",
        )
    })?;
    let keylog = match &a.keylog {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
            let log = crate::packet::tlsflows::parse_keylog(&text).map_err(|why| {
                Error::usage(
                    path.display().to_string(),
                    why,
                    "give an NSS key log (SSLKEYLOGFILE format)",
                )
            })?;
            Some(log)
        }
        None => None,
    };
    let mut run = Run::start(&a.show, json, opts, &mut *io.stdout, "pcap");
    run.tls = keylog.map(|k| (k, Default::default()));
    for frame in capture {
        match frame {
            Ok(f) => {
                if run.take(f)? {
                    break;
                }
            }
            Err(e) => {
                run.summary.error = Some(format!("frame {}: {e}", run.summary.frames_read + 1));
                break;
            }
        }
    }
    run.finish()
}

/// Frames going through the decoders to the output, with the state they share.
pub(super) struct Run<'a> {
    show: &'a PacketShow,
    sink: Sink<'a>,
    tracker: Tracker,
    /// With `--keylog`: the key log, and the TLS connections being reassembled.
    pub tls: Option<(crate::packet::tlsflows::KeyLog, crate::packet::tlsflows::TlsFlows)>,
    pub summary: CaptureSummary,
    start: Option<std::time::Duration>,
}

impl<'a> Run<'a> {
    pub fn start(
        show: &'a PacketShow,
        json: bool,
        opts: &'a RenderOpts,
        out: &'a mut dyn std::io::Write,
        command: &str,
    ) -> Self {
        let mut sink = Sink {
            out,
            json,
            opts,
            verbose: show.verbose,
            first: true,
            buf: String::new(),
        };
        if json {
            sink.buf.push_str(&format!(
                "{{\"schema\":\"netlab.packet/1\",\"command\":\"{command}\",\"events\":["
            ));
        }
        Run {
            show,
            sink,
            tracker: Tracker::default(),
            tls: None,
            summary: CaptureSummary::default(),
            start: None,
        }
    }

    /// Decodes and shows one frame; true when `-c` says to stop.
    pub fn take(&mut self, frame: crate::packet::reader::Frame) -> Result<bool> {
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
        if frame.data.len() < frame.orig_len as usize && decoded.problem.is_none() {
            decoded.problem = Some(format!(
                "cut by the snap length: {} of {} octets",
                frame.data.len(),
                frame.orig_len
            ));
        }
        if decoded.problem.is_some() {
            self.summary.frames_with_problems += 1;
        }
        let relative = self.tracker.see(frame.number, at.as_micros() as u64, &decoded);
        if let Some((_, flows)) = self.tls.as_mut() {
            flows.see(at, &decoded, &frame.data, relative);
        }
        if !keeps(self.show, &decoded) {
            return Ok(false);
        }
        self.summary.frames_shown += 1;
        self.sink.emit(PacketEvent::Frame(Box::new(FrameSeen {
            number: frame.number,
            time: at.as_secs_f64(),
            length: frame.orig_len,
            captured: frame.data.len(),
            decoded,
            relative,
        })))?;
        Ok(self.show.count.is_some_and(|c| self.summary.frames_shown >= c))
    }

    /// The streams (with `--streams`), the summary, and the exit status.
    pub fn finish(mut self) -> Result<i32> {
        if self.show.streams {
            for s in self.tracker.finish() {
                self.sink.emit(PacketEvent::Stream(Box::new(s)))?;
            }
        }
        if let Some((keylog, flows)) = &self.tls {
            for flow in flows.finish(keylog) {
                self.sink.emit(PacketEvent::Tls(Box::new(flow)))?;
            }
        }
        let failed = self.summary.error.clone();
        self.sink.emit(PacketEvent::Summary(self.summary))?;
        if self.sink.json {
            let outcome = match &failed {
                Some(reason) => crate::trace::Outcome::Negative { reason: reason.clone() },
                None => crate::trace::Outcome::Ok,
            };
            let outcome = serde_json::to_string(&outcome).map_err(|e| Error::io("-", std::io::Error::other(e)))?;
            self.sink.buf.push_str(&format!("],\"outcome\":{outcome}}}\n"));
        }
        self.sink.flush()?;
        Ok(if failed.is_some() {
            crate::error::EXIT_NEGATIVE
        } else {
            0
        })
    }
}
