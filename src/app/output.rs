//! The one place netlab writes what a command produced, as text or as JSON, chosen once from
//! `--json` (ripgrep's `Printer`, STYLE.md §1).
//!
//! A command produces one of two things:
//!
//! - a **document**, written whole: a [`Trace`] (`netlab.<command>/1`), or a report that is
//!   not a trace (`lab progress`, `lab check`, `lab show`, ...). A [`Document`] is a serde
//!   value with its `schema`, and its text for people.
//! - a **stream** of [`Item`]s, written as they come, for the commands that run on unbounded
//!   input or until stopped: `pcap` and `capture` (packet events), `cidr match` (selected lines,
//!   then a summary), `tls serve` (the listener, then each client), `sandbox up` (its directory,
//!   once, then it waits). In JSON a stream is either
//!   JSON Lines ([`Printer::lines`], one document per line, each with its schema) or one trace
//!   document whose events arrive one by one ([`Printer::trace_stream`]: the same JSON as the
//!   whole [`Trace`] would be, with memory bounded).
//!
//! Every JSON byte comes from serde_json: values by `to_writer`, and the punctuation of a
//! streamed trace by serde_json's own [`CompactFormatter`]. The schemas, event types and
//! outcomes are listed in `docs/json.md`.
//!
//! Besides results, the terminal gets diagnostics on standard error (the one-line error and
//! warnings, from `app/mod.rs`; `cidr match --stats`), the raw body of `http -o -` ([`raw`]), and
//! the interactive session of `lab start`, which is a conversation and not a result.

use std::io::{self, Write};
use std::path::PathBuf;

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter};

use crate::error::{Error, Result};
use crate::render::RenderOpts;
use crate::trace::{Event, EventKind, Outcome, Trace};

/// How results are written, decided once from `--json` (and `--svg`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printer {
    pub format: Format,
    /// `--svg FILE`: where the picture of the trace goes, besides the output.
    picture: Option<PathBuf>,
}

/// Text or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For people: ladders, tables and teaching notes, coloured as the palette says.
    Text(RenderOpts),
    /// `--json`: serde values, each with its `schema`.
    Json,
}

/// A result written whole: a serde value (with its `schema` field), and its text.
pub trait Document: Serialize {
    fn text(&self, opts: &RenderOpts) -> String;

    /// The trace this document shows, if it shows one: what `--svg` draws.
    fn trace(&self) -> Option<&Trace> {
        None
    }
}

/// One item of a stream: a serde value, and its text appended to `out` (bytes: `cidr match`
/// writes lines back as they were read, UTF-8 or not).
pub trait Item: Serialize {
    fn text(&self, opts: &RenderOpts, out: &mut Vec<u8>);
}

/// A stream's buffer is written out when it holds this much (and at the end).
const WRITE_AT: usize = 1 << 16;

impl Printer {
    pub fn new(json: bool, opts: RenderOpts) -> Printer {
        let format = if json { Format::Json } else { Format::Text(opts) };
        Printer { format, picture: None }
    }

    /// The same printer, which also draws the trace of each document to `path` (`--svg`).
    pub fn with_picture(self, path: Option<PathBuf>) -> Printer {
        Printer { picture: path, ..self }
    }

    pub fn is_json(&self) -> bool {
        matches!(self.format, Format::Json)
    }

    /// Writes a whole document: its text, or its JSON pretty-printed and ending in a newline;
    /// then, with `--svg`, the picture of its trace.
    pub fn document(&self, out: &mut dyn Write, doc: &impl Document) -> Result<()> {
        let bytes = match self.format {
            Format::Text(opts) => doc.text(&opts).into_bytes(),
            Format::Json => {
                let mut bytes = serde_json::to_vec_pretty(doc).map_err(|e| to_stdout(e.into()))?;
                bytes.push(b'\n');
                bytes
            }
        };
        out.write_all(&bytes).and_then(|()| out.flush()).map_err(to_stdout)?;
        match (&self.picture, doc.trace()) {
            (Some(path), Some(trace)) => super::picture::write(path, trace),
            _ => Ok(()),
        }
    }

    /// A stream whose JSON is one compact document per line (JSON Lines).
    pub fn lines<'w>(&self, out: &'w mut dyn Write) -> Stream<'w, Lines> {
        Stream::new(self.format, out, Lines)
    }

    /// A stream whose JSON is one trace, `{"schema", "command", "events": [...], "outcome"}`,
    /// written as its events come; [`Stream::end`] gives the outcome.
    pub fn trace_stream<'w>(
        &self,
        out: &'w mut dyn Write,
        schema: &str,
        command: &str,
    ) -> io::Result<Stream<'w, InTrace>> {
        let mut stream = Stream::new(self.format, out, InTrace);
        if stream.format == Format::Json {
            trace_json::open(&mut stream.buf, schema, command)?;
        }
        Ok(stream)
    }
}

/// Items on their way out, buffered, written whenever the buffer fills and at the end.
pub struct Stream<'w, F> {
    format: Format,
    out: &'w mut dyn Write,
    framing: F,
    buf: Vec<u8>,
    first: bool,
}

/// How a stream's items are separated in JSON.
pub trait Framing {
    fn json(&self, buf: &mut Vec<u8>, first: bool, item: &dyn erased::Item) -> io::Result<()>;
}

/// JSON Lines: each item a document of its own, on its own line.
pub struct Lines;

/// The events of one trace document.
pub struct InTrace;

impl Framing for Lines {
    fn json(&self, buf: &mut Vec<u8>, _first: bool, item: &dyn erased::Item) -> io::Result<()> {
        item.to_json(buf)?;
        buf.push(b'\n');
        Ok(())
    }
}

impl Framing for InTrace {
    fn json(&self, buf: &mut Vec<u8>, first: bool, item: &dyn erased::Item) -> io::Result<()> {
        trace_json::element(buf, first, item)
    }
}

impl<'w, F: Framing> Stream<'w, F> {
    fn new(format: Format, out: &'w mut dyn Write, framing: F) -> Self {
        Stream {
            format,
            out,
            framing,
            buf: Vec::with_capacity(WRITE_AT + (WRITE_AT >> 2)),
            first: true,
        }
    }

    /// Adds one item.
    pub fn item(&mut self, item: &impl Item) -> io::Result<()> {
        match &self.format {
            Format::Text(opts) => item.text(opts, &mut self.buf),
            Format::Json => self.framing.json(&mut self.buf, self.first, &erased::Of(item))?,
        }
        self.first = false;
        if self.buf.len() >= WRITE_AT {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Writes out what is buffered now (for a server reporting each client as it comes).
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.out.flush()
    }
}

impl Stream<'_, Lines> {
    /// Writes out the rest.
    pub fn end(mut self) -> io::Result<()> {
        self.flush()
    }
}

impl Stream<'_, InTrace> {
    /// Closes the trace with how it ended, and writes out the rest.
    pub fn end(mut self, outcome: &Outcome) -> io::Result<()> {
        if self.format == Format::Json {
            trace_json::close(&mut self.buf, outcome)?;
        }
        self.flush()
    }
}

/// Serializing an [`Item`] behind `dyn` (serde's `Serialize` is not object safe).
mod erased {
    pub trait Item {
        fn to_json(&self, buf: &mut Vec<u8>) -> serde_json::Result<()>;
    }

    pub struct Of<'a, T>(pub &'a T);

    impl<T: serde::Serialize> Item for Of<'_, T> {
        fn to_json(&self, buf: &mut Vec<u8>) -> serde_json::Result<()> {
            serde_json::to_writer(buf, self.0)
        }
    }
}

/// A trace document written piece by piece. It is the document serde_json makes of a whole
/// [`Trace`] (its fields, in its order: the test below parses one back), with the events
/// written one by one; the values are serialized by `to_writer`, the punctuation between them
/// by serde_json's [`CompactFormatter`].
mod trace_json {
    use super::*;

    /// `"name":`, after a `,` unless it is the object's first key.
    fn key(w: &mut Vec<u8>, first: bool, name: &str) -> io::Result<()> {
        CompactFormatter.begin_object_key(w, first)?;
        serde_json::to_writer(&mut *w, name)?;
        CompactFormatter.end_object_key(w)?;
        CompactFormatter.begin_object_value(w)
    }

    fn field(w: &mut Vec<u8>, first: bool, name: &str, value: &impl Serialize) -> io::Result<()> {
        key(w, first, name)?;
        serde_json::to_writer(&mut *w, value)?;
        CompactFormatter.end_object_value(w)
    }

    /// The trace's head, up to the opening of its `events` array.
    pub fn open(w: &mut Vec<u8>, schema: &str, command: &str) -> io::Result<()> {
        CompactFormatter.begin_object(w)?;
        field(w, true, "schema", &schema)?;
        field(w, false, "command", &command)?;
        key(w, false, "events")?;
        CompactFormatter.begin_array(w)
    }

    /// One event of the array.
    pub fn element(w: &mut Vec<u8>, first: bool, item: &dyn erased::Item) -> io::Result<()> {
        CompactFormatter.begin_array_value(w, first)?;
        item.to_json(w)?;
        CompactFormatter.end_array_value(w)
    }

    /// The end of the array, the outcome, the end of the trace, a newline.
    pub fn close(w: &mut Vec<u8>, outcome: &Outcome) -> io::Result<()> {
        CompactFormatter.end_array(w)?;
        CompactFormatter.end_object_value(w)?;
        field(w, false, "outcome", outcome)?;
        CompactFormatter.end_object(w)?;
        w.push(b'\n');
        Ok(())
    }
}

/// A write to standard output (or standard error) that failed, as netlab's error.
pub fn to_stdout(e: io::Error) -> Error {
    Error::io("-", e)
}

/// Writes bytes as they are: a response body for `http -o -`.
pub fn raw(out: &mut dyn Write, bytes: &[u8]) -> Result<()> {
    out.write_all(bytes).and_then(|()| out.flush()).map_err(to_stdout)
}

impl Document for Trace {
    fn text(&self, opts: &RenderOpts) -> String {
        crate::render::text(self, opts)
    }

    fn trace(&self) -> Option<&Trace> {
        Some(self)
    }
}

/// A packet event as `pcap` and `capture` show it: in JSON the event it is in a
/// `netlab.packet/1` trace (`at_us` 0: a frame carries its own `time`), as text with or
/// without every layer's fields (`-v`).
#[derive(Serialize)]
#[serde(transparent)]
pub struct PacketItem {
    event: Event,
    #[serde(skip)]
    verbose: bool,
}

impl PacketItem {
    pub fn new(event: crate::packet::events::PacketEvent, verbose: bool) -> Self {
        PacketItem {
            event: Event {
                at_us: 0,
                kind: EventKind::Packet(event),
                notes: Vec::new(),
            },
            verbose,
        }
    }
}

impl Item for PacketItem {
    fn text(&self, opts: &RenderOpts, out: &mut Vec<u8>) {
        let EventKind::Packet(e) = &self.event.kind else {
            return;
        };
        let mut text = String::new();
        crate::packet::render::event(&mut text, e, &self.event.notes, opts, self.verbose);
        out.extend_from_slice(text.as_bytes());
    }
}

impl Item for crate::cidr::matches::MatchEvent<'_> {
    fn text(&self, _opts: &RenderOpts, out: &mut Vec<u8>) {
        crate::cidr::matches::MatchEvent::text(self, out);
    }
}

impl Item for crate::tls::serve::ServeEvent {
    fn text(&self, opts: &RenderOpts, out: &mut Vec<u8>) {
        out.extend_from_slice(crate::tls::serve::ServeEvent::text(self, opts).as_bytes());
    }
}

impl Document for crate::lab::progress::ProgressReport<'_> {
    fn text(&self, _opts: &RenderOpts) -> String {
        crate::lab::progress::ProgressReport::text(self)
    }
}

impl Document for crate::lab::CheckReport {
    fn text(&self, opts: &RenderOpts) -> String {
        crate::lab::CheckReport::text(self, &opts.palette)
    }
}

impl Document for crate::lab::exercise::project::Started {
    fn text(&self, _opts: &RenderOpts) -> String {
        crate::lab::exercise::project::Started::text(self)
    }
}

impl Document for crate::lab::exercise::report::ExerciseCheck {
    fn text(&self, opts: &RenderOpts) -> String {
        crate::lab::exercise::report::ExerciseCheck::text(self, &opts.palette)
    }
}

impl Document for crate::lab::standing::LabStanding {
    fn text(&self, _opts: &RenderOpts) -> String {
        crate::lab::standing::LabStanding::text(self)
    }
}

impl Document for crate::lab::HintReport {
    fn text(&self, _opts: &RenderOpts) -> String {
        crate::lab::HintReport::text(self)
    }
}

impl Document for crate::lab::ResetReport {
    fn text(&self, _opts: &RenderOpts) -> String {
        crate::lab::ResetReport::text(self)
    }
}

impl Document for crate::lab::catalog::LabView {
    /// The write-up, and the commands that draw its steps' pictures.
    fn text(&self, opts: &RenderOpts) -> String {
        crate::lab::markdown::render(&self.readme, &opts.palette) + &super::picture::lab_lines(self)
    }
}

/// A trace as one line of a stream (`anycast up`: the trace, then the internet runs on).
impl Item for Trace {
    fn text(&self, opts: &RenderOpts, out: &mut Vec<u8>) {
        out.extend_from_slice(crate::render::text(self, opts).as_bytes());
    }
}

impl Item for crate::sandbox::directory::Directory {
    fn text(&self, _opts: &RenderOpts, out: &mut Vec<u8>) {
        out.extend_from_slice(crate::sandbox::directory::Directory::text(self).as_bytes());
    }
}

impl Item for crate::link::events::LinkLog {
    fn text(&self, opts: &RenderOpts, out: &mut Vec<u8>) {
        let mut text = String::new();
        for e in &self.events {
            crate::link::render::event(&mut text, e, opts);
        }
        out.extend_from_slice(text.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::events::{CaptureSummary, PacketEvent};

    fn summary(frames: u64) -> PacketEvent {
        PacketEvent::Summary(CaptureSummary {
            frames_read: frames,
            frames_shown: frames,
            ..CaptureSummary::default()
        })
    }

    /// Streams `events` as a trace and returns what was written.
    fn streamed(printer: Printer, events: Vec<PacketEvent>, outcome: &Outcome) -> Vec<u8> {
        let mut out = Vec::new();
        let mut stream = printer.trace_stream(&mut out, "netlab.packet/1", "pcap").unwrap();
        for e in events {
            stream.item(&PacketItem::new(e, false)).unwrap();
        }
        stream.end(outcome).unwrap();
        out
    }

    #[test]
    fn a_streamed_trace_is_the_trace_serde_makes() {
        let outcome = Outcome::Negative {
            reason: "frame 3: cut".into(),
        };
        let out = streamed(
            Printer::new(true, RenderOpts::plain()),
            vec![summary(1), summary(2)],
            &outcome,
        );
        assert_eq!(out.last(), Some(&b'\n'));
        let whole = Trace {
            schema: "netlab.packet/1".into(),
            command: "pcap".into(),
            events: [summary(1), summary(2)]
                .into_iter()
                .map(|e| Event {
                    at_us: 0,
                    kind: EventKind::Packet(e),
                    notes: Vec::new(),
                })
                .collect(),
            outcome,
        };
        assert_eq!(
            String::from_utf8(out.clone()).unwrap().trim_end(),
            serde_json::to_string(&whole).unwrap(),
            "byte for byte"
        );
        let back: Trace = serde_json::from_slice(&out).unwrap();
        assert_eq!(back, whole);
        let empty = streamed(Printer::new(true, RenderOpts::plain()), vec![], &Outcome::Ok);
        let back: Trace = serde_json::from_slice(&empty).unwrap();
        assert!(back.events.is_empty());
    }

    #[test]
    fn a_streamed_trace_as_text_is_its_events_alone() {
        let text = streamed(Printer::new(false, RenderOpts::plain()), vec![summary(2)], &Outcome::Ok);
        let mut expected = String::new();
        crate::packet::render::event(&mut expected, &summary(2), &[], &RenderOpts::plain(), false);
        assert_eq!(String::from_utf8(text).unwrap(), expected);
    }

    #[test]
    fn lines_are_one_document_each() {
        use crate::cidr::matches::{MatchEvent, MatchSummary};
        let mut out = Vec::new();
        let mut stream = Printer::new(true, RenderOpts::plain()).lines(&mut out);
        for n in [1, 2] {
            let stats = crate::cidr::grep::MatchStats {
                lines: n,
                ..Default::default()
            };
            stream
                .item(&MatchEvent::Summary(MatchSummary::new(stats, false)))
                .unwrap();
        }
        stream.end().unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1]["stats"]["lines"], 2);
        assert_eq!(lines[1]["schema"], crate::cidr::matches::SCHEMA);
    }

    #[test]
    fn a_document_is_pretty_json_or_its_text() {
        let trace = Trace {
            schema: "netlab.cidr/1".into(),
            command: "cidr info".into(),
            events: Vec::new(),
            outcome: Outcome::Ok,
        };
        let mut out = Vec::new();
        Printer::new(true, RenderOpts::plain())
            .document(&mut out, &trace)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.ends_with("}\n") && text.contains("\n  \"schema\": \"netlab.cidr/1\""),
            "{text}"
        );
        let mut out = Vec::new();
        Printer::new(false, RenderOpts::plain())
            .document(&mut out, &trace)
            .unwrap();
        assert_eq!(out, crate::render::text(&trace, &RenderOpts::plain()).into_bytes());
    }
}
