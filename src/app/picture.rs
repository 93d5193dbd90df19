//! `--svg FILE`: the picture of a command's trace, written besides its output.
//!
//! The flag is checked before anything runs: only the commands whose traces have a picture
//! take it ([`crate::render::svg::DRAWN_COMMANDS`], and `netlab render`), and the file's folder
//! must exist (or be made with the command's `--create-dirs`). The printer writes the picture
//! right after the trace ([`super::output::Printer::with_picture`]), so a command draws what
//! it printed, whatever way it printed it.

use std::path::{Path, PathBuf};

use crate::cli::{Cli, Command, TlsArgs};
use crate::error::{Error, Result};
use crate::render::svg;
use crate::trace::Trace;

/// Where `--svg` draws, once checked: `None` without the flag. Refused for a command that
/// draws nothing, and for a missing folder.
pub(super) fn prepare(cli: &Cli) -> Result<Option<PathBuf>> {
    let Some(path) = &cli.global.svg else { return Ok(None) };
    let create_dirs = match &cli.command {
        Command::Dns(_) | Command::Tcp(_) | Command::Render(_) | Command::Ddos(_) => false,
        // `anycast up` prints its trace and runs on: there is no end to draw.
        Command::Anycast(a) if a.mode.is_none() => false,
        Command::Anycast(_) => return Err(refused("anycast up")),
        Command::Tls(TlsArgs {
            action: None,
            create_dirs,
            ..
        }) => *create_dirs,
        Command::Http(a) => a.create_dirs,
        other => return Err(refused(name(other))),
    };
    super::folder_ready(path, "--svg", create_dirs)?;
    Ok(Some(path.clone()))
}

/// The one-line refusal for a command (or a trace's command) that has no picture.
pub(super) fn refused(command: &str) -> Error {
    Error::usage(
        format!("--svg with {command}"),
        format!("{command} draws no picture"),
        format!(
            "pictures are drawn for {}, and by 'netlab render TRACE.json --svg FILE' from their --json traces",
            svg::DRAWN_COMMANDS
        ),
    )
}

fn name(command: &Command) -> &'static str {
    match command {
        Command::Cidr(_) => "cidr",
        Command::Dns(_) => "dns",
        Command::Tls(_) => "tls serve",
        Command::Http(_) => "http",
        Command::Pcap(_) => "pcap",
        Command::Capture(_) => "capture",
        Command::Tcp(_) => "tcp",
        Command::Sandbox(_) => "sandbox",
        Command::Render(_) => "render",
        Command::Ratelimit(_) => "ratelimit",
        Command::Ddos(_) => "ddos",
        Command::Anycast(_) => "anycast",
        Command::Edge(_) => "edge",
        Command::Lab(_) => "lab",
        Command::Completions(_) => "completions",
        Command::Man(_) => "man",
    }
}

/// Draws `trace` into `path` (0644, written to a temporary file and renamed).
pub(super) fn write(path: &Path, trace: &Trace) -> Result<()> {
    let picture = svg::draw(trace).ok_or_else(|| refused(&trace.command))?;
    crate::fsutil::write_atomic_public(path, picture.as_bytes()).map_err(|e| Error::io(path, e))
}

/// What `lab show` adds under a write-up: for each step whose command draws, the command that
/// draws its picture (on the sandbox, as the lab runs it). Empty when no step draws.
pub(super) fn lab_lines(view: &crate::lab::catalog::LabView) -> String {
    let lines: Vec<String> = view
        .steps
        .iter()
        .filter_map(|s| {
            let command = s.command.as_deref()?;
            let first: Vec<&str> = command.split_whitespace().take(2).collect();
            let draws =
                matches!(first.first(), Some(&("dns" | "tls" | "http" | "tcp"))) && first.get(1) != Some(&"serve");
            draws.then(|| format!("  step {}: netlab {command} --sandbox --svg {}.svg\n", s.id, s.id))
        })
        .collect();
    if lines.is_empty() {
        return String::new();
    }
    format!(
        "\nPictures of the steps (a ladder diagram or a chart, for a browser):\n{}",
        lines.concat()
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn lab_show_names_a_picture_for_each_step_that_draws() {
        let catalog = crate::lab::catalog::Catalog::load(None).unwrap();
        let dns = super::lab_lines(&catalog.get("01-dns").unwrap().view());
        assert!(
            dns.contains("  step walk: netlab dns www.example.com --sandbox --svg walk.svg\n"),
            "{dns}"
        );
        assert_eq!(super::lab_lines(&catalog.get("04-cidr").unwrap().view()), "");
    }
}
