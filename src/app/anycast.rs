//! `netlab anycast`: the arguments to the experiment's options, the trace to the printer; with
//! `up`, the trace first, then the internet kept running until Ctrl-C, SIGTERM or `--for`.

use super::output::{to_stdout, Printer};
use super::sandbox::Stop;
use super::Io;
use crate::anycast::{self, Change, Options};
use crate::cli::AnycastArgs;
use crate::error::Result;
use crate::trace::Trace;

pub(super) fn run_anycast(a: &AnycastArgs, printer: &Printer, io: &mut Io) -> Result<i32> {
    if a.mode.is_none() {
        let waiting = super::waiting::Waiting::start("building netlab's anycast internet".to_string(), None);
        let trace = anycast_trace(a)?;
        drop(waiting);
        printer.document(io.stdout, &trace)?;
        return Ok(trace.outcome.exit_code());
    }
    let runtime = super::runtime()?;
    // Caught before the internet is built, so a signal during the build still tears it down.
    let stop = {
        let _context = runtime.enter();
        Stop::install()?
    };
    let waiting = super::waiting::Waiting::start("building netlab's anycast internet".to_string(), None);
    let mut waiting = Some(waiting);
    let stdout = &mut *io.stdout;
    anycast::up(
        &options(a),
        a.duration,
        |trace| {
            drop(waiting.take());
            // One line of JSON with --json: a script reads it and goes on while this runs.
            let mut lines = printer.lines(&mut *stdout);
            lines.item(trace).and_then(|()| lines.end()).map_err(to_stdout)
        },
        || runtime.block_on(stop.wait(a.duration)),
    )?;
    Ok(0)
}

fn options(a: &AnycastArgs) -> Options {
    Options {
        change: match (&a.withdraw, &a.fail) {
            (Some(pop), _) => Some((Change::Withdraw, pop.clone())),
            (None, Some(pop)) => Some((Change::Fail, pop.clone())),
            (None, None) => None,
        },
        policy: crate::anycast::topology::Policy {
            prepend: a.prepend.clone(),
            med: a.med.clone(),
            flat: a.flat,
        },
        pcap: a.pcap.clone(),
    }
}

/// `netlab anycast`'s trace (for the command and for lab steps).
pub(crate) fn anycast_trace(a: &AnycastArgs) -> Result<Trace> {
    anycast::run(&options(a))
}
