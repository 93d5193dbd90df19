//! `netlab sandbox up`: starts the servers, writes the files real clients need beside the
//! progress file, prints the sandbox's directory once (the address book and how to use it with
//! dig, curl and openssl; with `--json` the same as a `netlab.sandbox/1` value on one line, so a
//! script reads one line and need not wait for the end of a process that runs until stopped),
//! and waits for Ctrl-C, SIGTERM or the end of `--for`, printing meanwhile each request the
//! CDN's edge (cdn.example.net) answers, as `netlab edge` does.
//!
//! With `--link` the servers run behind the emulated link, on their own addresses in a network
//! namespace of their own, and the directory says how to run real tools in the client's
//! namespace (`nsenter --net=/proc/PID/fd/N ...`), so their packets cross the same link. When
//! it stops it prints what the link did (`netlab.link/1`): the packets it dropped and the
//! counts, as after any command behind the link.

use tokio::signal::unix::{signal, Signal, SignalKind};

use super::output::{to_stdout, Printer};
use super::Io;
use crate::edge::proxy::EdgeEvent;
use crate::error::{Error, Result};
use crate::link::events::LinkLog;
use crate::net::Place;
use crate::sandbox::directory::Directory;
use crate::sandbox::linked::Linked;
use tokio::sync::broadcast;

pub(super) fn run_sandbox_up(
    a: &crate::cli::SandboxUpArgs,
    place: &Place,
    printer: &Printer,
    io: &mut Io,
) -> Result<i32> {
    let progress = crate::lab::progress::default_path(|k| std::env::var(k).ok())?;
    let dir = progress
        .parent()
        .ok_or_else(|| Error::usage(progress.display().to_string(), "has no folder", "set NETLAB_HOME"))?;
    let runtime = super::runtime()?;
    // Caught from before the directory is printed, so a script may stop us as soon as it read it.
    let stop = {
        let _context = runtime.enter();
        Stop::install()?
    };
    if let Some(spec) = &place.link {
        if a.bind_127 {
            return Err(Error::usage(
                "sandbox up --bind-127 --link",
                "behind a link the servers have their own addresses already",
                "drop --bind-127",
            ));
        }
        // The servers run on the link's own runtime; this thread only prints and waits.
        let pcap = place
            .link_pcap
            .as_deref()
            .map(crate::net::ns::LinkPcap::create)
            .transpose()?;
        let (linked, network) = Linked::start(spec, pcap)?;
        drop(network);
        announce(&linked.directory(dir)?, printer, io)?;
        let requests = linked.cdn_requests()?;
        runtime.block_on(relay(stop.wait(a.duration), requests, printer, io))?;
        // What crossed the link while it ran (and --link-pcap's files put in place).
        let log = LinkLog::new(linked.finish()?);
        drop(linked);
        let mut out = printer.lines(&mut *io.stdout);
        out.item(&log).and_then(|()| out.end()).map_err(to_stdout)?;
        return Ok(0);
    }
    runtime.block_on(async {
        let addressing = if a.bind_127 {
            crate::sandbox::Addressing::Bind127
        } else {
            crate::sandbox::Addressing::Loopback
        };
        let sandbox = crate::sandbox::Sandbox::start_with(addressing).await?;
        announce(&Directory::publish(&sandbox, a.bind_127, dir)?, printer, io)?;
        relay(stop.wait(a.duration), sandbox.cdn.requests(), printer, io).await?;
        drop(sandbox);
        Ok(0)
    })
}

/// Prints the directory once (one JSON line with `--json`).
fn announce(directory: &Directory, printer: &Printer, io: &mut Io) -> Result<()> {
    let mut out = printer.lines(&mut *io.stdout);
    out.item(directory).and_then(|()| out.end()).map_err(to_stdout)
}

/// Until `stop`, prints each request the CDN's edge answers as it reports it (`edge.request`
/// lines with `--json`, as `netlab edge` prints them): the edge's own account next to what the
/// client saw.
async fn relay(
    stop: impl std::future::Future<Output = ()>,
    mut requests: broadcast::Receiver<EdgeEvent>,
    printer: &Printer,
    io: &mut Io<'_>,
) -> Result<()> {
    let mut out = printer.lines(&mut *io.stdout);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => break,
            request = requests.recv() => match request {
                Ok(event) => out.item(&event).map_err(to_stdout)?,
                // Reports lost to a slow terminal are skipped, not waited for.
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => stop.as_mut().await,
            },
        }
    }
    out.end().map_err(to_stdout)
}

/// Ctrl-C (SIGINT) and SIGTERM, caught: either stops the servers and closes the namespaces
/// before the process ends, instead of the signal's default of ending it on the spot.
pub(super) struct Stop {
    interrupt: Signal,
    terminate: Signal,
}

impl Stop {
    /// Catches both signals from now on (inside a runtime's context).
    pub(super) fn install() -> Result<Stop> {
        let catch = |kind: SignalKind, name: &str| signal(kind).map_err(|e| Error::io(format!("{name} handler"), e));
        Ok(Stop {
            interrupt: catch(SignalKind::interrupt(), "SIGINT")?,
            terminate: catch(SignalKind::terminate(), "SIGTERM")?,
        })
    }

    /// Until `--for` has passed (when given), or either signal came.
    pub(super) async fn wait(mut self, duration: Option<u64>) {
        let timer = async {
            match duration {
                Some(secs) => tokio::time::sleep(std::time::Duration::from_secs(secs)).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = timer => {}
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}
