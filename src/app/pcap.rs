//! `netlab pcap FILE`: opens the capture (and the key log of `--keylog`) and streams its frames
//! through [`crate::packet::pipeline`] to the printer, frame by frame, so memory stays bounded
//! whatever the file's size; `--json` streams one `netlab.packet/1` trace.

use super::output::{to_stdout, PacketItem, Printer};
use super::Io;
use crate::cli::{PacketShow, PcapArgs};
use crate::error::{Error, Result};
use crate::packet::pipeline::{self, Filter, Options};
use crate::trace::Outcome;

/// The pipeline's options from `--host`, `--port`, `--proto`, `-c` and `--streams`.
pub(super) fn pipeline_options(show: &PacketShow) -> Options {
    Options {
        filter: Filter {
            host: show.host,
            port: show.port,
            proto: show.proto.clone(),
        },
        count: show.count,
        streams: show.streams,
        keylog: None,
    }
}

pub(super) fn run_pcap(a: &PcapArgs, printer: &Printer, io: &mut Io) -> Result<i32> {
    // Standard input is the one main() holds, not a second handle to it.
    let input: Box<dyn std::io::Read + '_> = if a.file == std::path::Path::new("-") {
        Box::new(&mut *io.stdin)
    } else {
        super::open(&a.file)?
    };
    // Into a file or a pipe, a long read shows its progress on the terminal's standard error.
    let (input, read_so_far) = super::waiting::Counted::new(input);
    let _waiting = (!io.stdout_is_terminal)
        .then(|| super::waiting::Waiting::start(format!("reading {}", a.file.display()), Some(read_so_far)));
    let capture = crate::packet::reader::open(input).map_err(|e| {
        Error::usage(
            a.file.display().to_string(),
            e.to_string(),
            "give a pcap or pcapng file: tcpdump -w, or Wireshark's File > Save As",
        )
    })?;
    let mut options = pipeline_options(&a.show);
    if let Some(path) = &a.keylog {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let text = String::from_utf8(bytes).map_err(|_| {
            Error::usage(
                path.display().to_string(),
                "is binary, not a key log",
                "give an NSS key log, the SSLKEYLOGFILE format: text lines of a label, a client random and a secret",
            )
        })?;
        let log = crate::packet::tlsflows::parse_keylog(&text).map_err(|why| {
            Error::usage(
                path.display().to_string(),
                why,
                "give an NSS key log (SSLKEYLOGFILE format)",
            )
        })?;
        options.keylog = Some(log);
    }
    let verbose = a.show.verbose;
    let mut stream = printer
        .trace_stream(&mut *io.stdout, pipeline::SCHEMA, "pcap")
        .map_err(to_stdout)?;
    let outcome = pipeline::run(capture, options, |e| {
        stream.item(&PacketItem::new(e, verbose)).map_err(to_stdout)
    })?;
    stream.end(&outcome).map_err(to_stdout)?;
    stopped_reading(
        &outcome,
        &a.file.display().to_string(),
        "the frames before it are shown",
    )
}

/// How a capture's reading ended: its exit code, or, when reading stopped on damage (a file
/// cut short, a failed interface), the one-line error on standard error, after the frames
/// decoded before it were printed.
pub(super) fn stopped_reading(outcome: &Outcome, what: &str, hint: &str) -> Result<i32> {
    match outcome {
        Outcome::Negative { reason } => Err(Error::usage(what, reason, hint)),
        other => Ok(other.exit_code()),
    }
}
