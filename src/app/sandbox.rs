//! `netlab sandbox up`: starts the servers, writes the files real clients need beside the
//! progress file, prints the sandbox's directory once (the address book and how to use it with
//! dig, curl and openssl; with `--json` the same as a `netlab.sandbox/1` value on one line, so a
//! script reads one line and need not wait for the end of a process that runs until stopped),
//! and waits.

use super::output::{to_stdout, Printer};
use super::Io;
use crate::error::{Error, Result};
use crate::sandbox::directory::Directory;

pub(super) fn run_sandbox_up(a: &crate::cli::SandboxUpArgs, printer: &Printer, io: &mut Io) -> Result<i32> {
    let progress = crate::lab::progress::default_path(|k| std::env::var(k).ok())?;
    let dir = progress
        .parent()
        .ok_or_else(|| Error::usage(progress.display().to_string(), "has no folder", "set NETLAB_HOME"))?;
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let addressing = if a.bind_127 {
            crate::sandbox::Addressing::Bind127
        } else {
            crate::sandbox::Addressing::Loopback
        };
        let sandbox = crate::sandbox::Sandbox::start_with(addressing).await?;
        let directory = Directory::publish(&sandbox, a.bind_127, dir)?;
        let mut out = printer.lines(&mut *io.stdout);
        out.item(&directory).and_then(|()| out.end()).map_err(to_stdout)?;
        match a.duration {
            Some(secs) => tokio::time::sleep(std::time::Duration::from_secs(secs)).await,
            None => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
        drop(sandbox);
        Ok(0)
    })
}
