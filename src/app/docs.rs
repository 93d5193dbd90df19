//! `netlab completions SHELL` and `netlab man [COMMAND]`: shell completions and man pages,
//! generated from the same clap definitions as `--help` (clap_complete, clap_mangen), so they
//! can never name a flag that does not exist.

use clap::CommandFactory;

use super::output::to_stdout;
use super::Io;
use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::error::{Error, Result};

/// Prints the completion script for one shell.
pub(super) fn run_completions(a: &CompletionsArgs, io: &mut Io) -> Result<i32> {
    let mut cmd = Cli::command();
    clap_complete::generate(a.shell, &mut cmd, "netlab", &mut *io.stdout);
    io.stdout.flush().map_err(to_stdout)?;
    Ok(0)
}

/// Prints one man page (`netlab`, or `netlab-COMMAND`), or writes every page into `--dir`.
pub(super) fn run_man(a: &ManArgs, io: &mut Io) -> Result<i32> {
    let cmd = Cli::command();
    if let Some(dir) = &a.dir {
        if !dir.is_dir() {
            return Err(Error::usage(
                format!("--dir {}", dir.display()),
                "is not a folder that exists",
                "create it first (man pages go in DIR/man1 by convention)",
            ));
        }
        for (name, page) in pages(&cmd)? {
            let path = dir.join(format!("{name}.1"));
            crate::fsutil::write_atomic_public(&path, &page).map_err(|e| Error::io(&path, e))?;
            writeln!(io.stdout, "{}", path.display()).map_err(to_stdout)?;
        }
        return Ok(0);
    }
    let page = match &a.command {
        None => render(&cmd)?,
        Some(name) => {
            let Some(sub) = cmd.find_subcommand(name) else {
                let names: Vec<&str> = cmd.get_subcommands().map(|c| c.get_name()).collect();
                return Err(Error::usage(
                    format!("man {name}"),
                    "is not a netlab command",
                    format!("use one of {}", names.join(", ")),
                ));
            };
            render(&sub.clone().name(format!("netlab-{name}")))?
        }
    };
    io.stdout.write_all(&page).map_err(to_stdout)?;
    Ok(0)
}

/// `netlab.1` and one `netlab-COMMAND.1` per command.
fn pages(cmd: &clap::Command) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = vec![("netlab".to_string(), render(cmd)?)];
    for sub in cmd.get_subcommands() {
        let name = format!("netlab-{}", sub.get_name());
        out.push((name.clone(), render(&sub.clone().name(name))?));
    }
    Ok(out)
}

fn render(cmd: &clap::Command) -> Result<Vec<u8>> {
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut page)
        .map_err(|e| Error::io("man page", e))?;
    Ok(page)
}
