//! `netlab lab`: the labs engine's commands, and the in-process runner for step commands.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::Parser;

use super::output::{Format, Printer};
use super::{cidr::cidr_trace, dns::dns_trace, Io};
use crate::cli::{Cli, Command, LabCommand};
use crate::error::{Error, Result, EXIT_NEGATIVE};
use crate::lab::{
    self,
    catalog::Catalog,
    check::{CommandRunner, Ran},
    progress::ProgressReport,
    standing::LabStanding,
};
use crate::net::Place;
use crate::render::{self, RenderOpts};

/// Runs netlab commands in-process for the lab engine: against the sandbox unless `internet`.
struct InProcess {
    internet: bool,
    /// The offline guard of the `netlab lab` command itself.
    offline: bool,
}

impl CommandRunner for InProcess {
    fn run(&self, command: &str, stdin: Option<&str>) -> Result<Ran> {
        let args = std::iter::once("netlab").chain(command.split_whitespace());
        let cli = Cli::try_parse_from(args).map_err(|e| {
            Error::usage(
                format!("lab command '{command}'"),
                e.kind().to_string(),
                "fix the lab's command",
            )
        })?;
        if cli.global.sandbox {
            return Err(Error::usage(
                format!("lab command '{command}'"),
                "labs run against the sandbox already",
                "drop --sandbox from the lab's command",
            ));
        }
        let mut input = stdin.unwrap_or("").as_bytes();
        let place = Place {
            sandbox: !self.internet,
            offline: self.offline || cli.global.offline,
            link: cli.global.link.clone(),
            link_pcap: cli.global.link_pcap.clone(),
        };
        let trace = match &cli.command {
            Command::Cidr(cmd) => cidr_trace(cmd, &mut input)?,
            Command::Tls(a) => super::tls::tls_trace(a, &place)?,
            Command::Http(a) => super::http::http_trace(a, &place)?.0,
            Command::Tcp(a) => super::tcp::tcp_trace(a, &place)?,
            Command::Dns(a) => dns_trace(a, &place)?,
            Command::Ratelimit(a) => super::ratelimit::ratelimit_trace(a, &mut input)?,
            Command::Ddos(crate::cli::DdosCommand::Syn(a)) => super::ddos::ddos_trace(a)?,
            Command::Ddos(crate::cli::DdosCommand::Filter(a)) => super::ddos::filter_trace(a)?,
            Command::Ddos(crate::cli::DdosCommand::Reflect(a)) => super::ddos::reflect_trace(a)?,
            Command::Ddos(crate::cli::DdosCommand::Http(a)) => super::ddos::http_trace(a)?,
            Command::Anycast(a) => super::anycast::anycast_trace(a)?,
            _ => {
                return Err(Error::usage(
                    format!("lab command '{command}'"),
                    "is not a trace-producing command",
                    "fix the lab's command",
                ));
            }
        };
        let text = render::text(&trace, &RenderOpts::plain());
        let trace = serde_json::to_value(&trace).map_err(|e| Error::io("-", io::Error::other(e)))?;
        Ok(Ran { trace, text })
    }

    fn shown(&self, command: &str, stdin: Option<&str>) -> String {
        let reaches_network = ["dns", "tls", "http", "tcp"]
            .iter()
            .any(|c| command.split_whitespace().next() == Some(c));
        let sandbox = if reaches_network && !self.internet {
            " --sandbox"
        } else {
            ""
        };
        match stdin {
            Some(input) => {
                let input = input.strip_suffix('\n').unwrap_or(input);
                format!("netlab {command}{sandbox} <<'EOF'\n{input}\nEOF")
            }
            None => format!("netlab {command}{sandbox}"),
        }
    }
}

/// On a terminal, `lab reset` asks before forgetting answers (`--yes` skips the question).
fn confirm_reset(l: &lab::catalog::LoadedLab, path: &std::path::Path, io: &mut Io) -> Result<bool> {
    let progress = lab::progress::load(path)?;
    let Some(state) = progress.labs.get(&l.lab.id) else {
        return Ok(true);
    };
    write!(
        io.stderr,
        "Forget your {} answer(s) and {} of work in lab {}? [y/N] ",
        state.answers.len(),
        lab::progress::spent(state.seconds),
        l.lab.id
    )
    .map_err(|e| Error::io("-", e))?;
    let mut line = String::new();
    io.stdin.read_line(&mut line).map_err(|e| Error::io("-", e))?;
    Ok(matches!(line.trim().to_lowercase().as_str(), "y" | "yes"))
}

fn progress_path() -> Result<PathBuf> {
    lab::progress::default_path(|k| std::env::var(k).ok())
}

fn catalog() -> Result<Catalog> {
    let dir = std::env::var_os("NETLAB_LABS")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from);
    Catalog::load(dir.as_deref())
}

pub(super) fn run_lab(cmd: &LabCommand, place: &Place, printer: &Printer, io: &mut Io) -> Result<i32> {
    let catalog = catalog()?;
    let path = progress_path()?;
    match cmd {
        LabCommand::Progress(crate::cli::LabProgressArgs { id: Some(id) }) => {
            let progress = lab::progress::load(&path)?;
            let state = progress.labs.get(id).cloned().unwrap_or_default();
            printer.document(io.stdout, &LabStanding::new(catalog.get(id)?, &state))?;
        }
        LabCommand::List | LabCommand::Progress(_) => {
            let progress = lab::progress::load(&path)?;
            printer.document(io.stdout, &ProgressReport::new(&catalog, &progress))?;
        }
        LabCommand::Show(a) => {
            let view = catalog.get(&a.id)?.view();
            // A long write-up goes to the pager on a terminal.
            if let (Format::Text(opts), true) = (printer.format, io.stdout_is_terminal) {
                let text = lab::markdown::render(&view.readme, &opts.palette) + &super::picture::lab_lines(&view);
                if text.lines().count() > 40 && page(&text).is_ok() {
                    return Ok(0);
                }
            }
            printer.document(io.stdout, &view)?;
        }
        LabCommand::Start(crate::cli::LabStartArgs {
            id,
            exercise: Some(name),
            dir,
            ..
        }) => {
            catalog.get(id)?;
            let ex = lab::exercise::find(id, name)?;
            let dir = dir.clone().unwrap_or_else(|| PathBuf::from(name));
            printer.document(io.stdout, &lab::exercise::project::start(&ex, &dir)?)?;
        }
        LabCommand::Start(crate::cli::LabStartArgs { id, internet, .. }) => {
            let Format::Text(opts) = printer.format else {
                return Err(Error::usage(
                    "--json",
                    "lab start is a conversation, not a result to print",
                    format!("run 'netlab lab start {id}' without --json, or grade a file: netlab --json lab check {id} --answers FILE"),
                ));
            };
            let l = catalog.get(id)?;
            let mut console = lab::runner::Console {
                input: io.stdin,
                out: io.stdout,
                palette: opts.palette,
                progress_path: &path,
                clock: None,
            };
            lab::runner::start(
                l,
                &InProcess {
                    internet: *internet,
                    offline: place.offline,
                },
                &mut console,
            )?;
        }
        LabCommand::Check(crate::cli::LabCheckArgs {
            id,
            exercise: Some(name),
            dir,
            timeout,
            ..
        }) => {
            catalog.get(id)?;
            let ex = lab::exercise::find(id, name)?;
            let dir = dir.clone().unwrap_or_else(|| PathBuf::from(name));
            let limit = std::time::Duration::from_secs(*timeout);
            let report = lab::exercise::report::check(&ex, &dir, limit)?;
            printer.document(io.stdout, &report)?;
            return Ok(if report.all_passed() { 0 } else { EXIT_NEGATIVE });
        }
        LabCommand::Check(a) => {
            let l = catalog.get(&a.id)?;
            let Some(path) = &a.answers else {
                return Err(Error::usage(
                    "lab check",
                    "needs --answers FILE or --exercise NAME",
                    format!("grade answers: netlab lab check {} --answers FILE", a.id),
                ));
            };
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
            let answers = lab::read_answers(l, &path.display().to_string(), &text)?;
            let graded = lab::grade_all(
                l,
                &answers,
                &InProcess {
                    internet: a.internet,
                    offline: place.offline,
                },
            )?;
            let report = lab::CheckReport::new(l, graded);
            printer.document(io.stdout, &report)?;
            return Ok(if report.all_right() { 0 } else { EXIT_NEGATIVE });
        }
        LabCommand::Hint(a) => {
            let report = lab::hint(catalog.get(&a.id)?, &path)?;
            printer.document(io.stdout, &report)?;
        }
        LabCommand::Reset(a) => {
            let l = catalog.get(&a.id)?;
            if !a.yes && io.stdout_is_terminal && !confirm_reset(l, &path, io)? {
                writeln!(io.stdout, "{}: nothing was reset.", a.id).map_err(super::output::to_stdout)?;
                return Ok(0);
            }
            let report = lab::reset(l, &path)?;
            printer.document(io.stdout, &report)?;
        }
    }
    Ok(0)
}

/// Shows `text` in `$PAGER` (default `less -R`); an error means the caller prints it instead.
fn page(text: &str) -> io::Result<()> {
    let pager = std::env::var("PAGER")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| "less -R".to_string());
    let mut words = pager.split_whitespace();
    let program = words.next().unwrap_or("less");
    let mut child = std::process::Command::new(program)
        .args(words)
        .stdin(std::process::Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(text.as_bytes());
    }
    child.wait().map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_show_the_command_a_learner_can_copy() {
        let sandboxed = InProcess {
            internet: false,
            offline: false,
        };
        assert_eq!(
            sandboxed.shown("dns www.example.com", None),
            "netlab dns www.example.com --sandbox"
        );
        assert_eq!(
            sandboxed.shown("--link rtt=30ms http https://www.example.com/", None),
            "netlab --link rtt=30ms http https://www.example.com/",
            "--link runs on the sandbox already"
        );
        assert_eq!(
            sandboxed.shown("cidr info 10.0.0.0/8", None),
            "netlab cidr info 10.0.0.0/8"
        );
        let internet = InProcess {
            internet: true,
            offline: false,
        };
        assert_eq!(
            internet.shown("tls www.example.com", None),
            "netlab tls www.example.com"
        );
    }
}
