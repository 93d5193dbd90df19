//! From parsed arguments to output: validates options, runs the engine, hands its result to
//! [`output`], the one place that writes results (as text, or as JSON with `--json`, chosen
//! once here as an [`output::Printer`]). Besides `main.rs`, only this module writes to the
//! terminal; one module per command family.

mod anycast;
mod capture;
mod cidr;
mod ddos;
mod dns;
mod docs;
mod edge;
mod habits;
mod http;
mod lab;
mod network;
mod output;
mod pcap;
mod picture;
mod ratelimit;
mod render;
mod sandbox;
mod tcp;
mod tls;
mod waiting;

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufRead, Read, Write};
use std::path::Path;

use clap::Parser;

use crate::cli::{CidrCommand, Cli, Command};
use crate::error::{Error, Result, EXIT_USAGE};
use crate::net::Place;
use crate::render::{style, RenderOpts};
use output::Printer;
pub use render::read_trace;

/// What the process was given besides its arguments.
pub struct Io<'a> {
    pub stdin: &'a mut dyn BufRead,
    pub stdout: &'a mut dyn Write,
    pub stderr: &'a mut dyn Write,
    pub stdout_is_terminal: bool,
    /// The terminal's width in columns, when stdout is a terminal that reports one.
    pub terminal_width: Option<usize>,
    /// The value of `NO_COLOR`, if set.
    pub no_color: Option<String>,
}

/// Runs netlab with `args` (program name first) and returns the exit code.
pub fn run(args: impl IntoIterator<Item = impl Into<OsString> + Clone>, io: &mut Io) -> i32 {
    // dig's, openssl's, tshark's and curl's spellings become netlab's first (or one line saying
    // what netlab does instead).
    let args = match habits::rewrite(args.into_iter().map(Into::into).collect()) {
        Ok(args) => args,
        Err(e) => {
            let _ = writeln!(io.stderr, "{}", e.one_line());
            return e.exit_code();
        }
    };
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return clap_error(&e, io),
    };
    match dispatch(&cli, io) {
        Ok(code) => code,
        Err(Error::Io { source, .. }) if source.kind() == io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            let _ = writeln!(io.stderr, "{}", e.one_line());
            e.exit_code()
        }
    }
}

/// Help and version go to stdout as clap writes them; every real usage error becomes one line.
fn clap_error(e: &clap::Error, io: &mut Io) -> i32 {
    use clap::error::ErrorKind;
    let rendered = e.render().to_string();
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = write!(io.stdout, "{rendered}");
            0
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = write!(io.stderr, "{rendered}");
            EXIT_USAGE
        }
        _ => {
            // The first paragraph is the message; clap lists missing arguments on indented lines.
            let first: Vec<&str> = rendered
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            let first = first.join(" ");
            let first = first.trim_start_matches("error: ");
            let tip = rendered
                .lines()
                .find_map(|l| l.trim().strip_prefix("tip: ").map(str::to_string));
            let command: Vec<&str> = rendered
                .lines()
                .find_map(|l| l.strip_prefix("Usage: "))
                .map(|u| {
                    u.split_whitespace()
                        .take_while(|w| !w.starts_with(['[', '<', '-']))
                        .collect()
                })
                .unwrap_or_else(|| vec!["netlab"]);
            let hint = tip.unwrap_or_else(|| format!("see '{} --help'", command.join(" ")));
            let _ = writeln!(io.stderr, "{}", Error::usage("usage", first, hint).one_line());
            EXIT_USAGE
        }
    }
}

fn dispatch(cli: &Cli, io: &mut Io) -> Result<i32> {
    // --svg: refused before anything runs for a command that draws nothing, or a missing folder.
    let picture = picture::prepare(cli)?;
    let drawing = picture.is_some();
    // Behind --link without root: become root of a user namespace of netlab's own now, while
    // the process still has one thread (the kernel refuses unshare(CLONE_NEWUSER) to a
    // multi-threaded process; runtimes and namespace helpers start threads later). Where the
    // system allows no user namespace, this is the one-line error saying what is needed.
    if cli.global.link.is_some() {
        crate::net::ns::enter_user_namespace()?;
    }
    let opts = RenderOpts {
        notes: !cli.global.no_notes,
        palette: style::decide(cli.global.color, io.stdout_is_terminal, io.no_color.as_deref()),
        width: io.terminal_width.unwrap_or(style::DEFAULT_WIDTH),
    };
    // Where the command runs, read once from the flags and the environment.
    let offline_env = std::env::var("NETLAB_OFFLINE").ok();
    let place = Place {
        link_pcap: cli.global.link_pcap.clone(),
        ..Place::new(cli.global.sandbox, cli.global.offline, offline_env.as_deref()).with_link(cli.global.link.clone())
    };
    let printer = Printer::new(cli.global.json, opts).with_picture(picture);
    let offline_only = "it works on its input alone and never touches the network";
    let cmd = match &cli.command {
        Command::Cidr(CidrCommand::Match(a)) => {
            network::refuse_sandbox(&place, "cidr match", offline_only)?;
            return cidr::run_match(a, &printer, io);
        }
        Command::Cidr(cmd) => {
            network::refuse_sandbox(&place, "cidr", offline_only)?;
            cmd
        }
        Command::Lab(cmd) => {
            network::refuse_sandbox(
                &place,
                "lab",
                "labs run against the sandbox already (--internet to leave it)",
            )?;
            return lab::run_lab(cmd, &place, &printer, io);
        }
        Command::Dns(a) => return dns::run_dns(a, &place, &printer, io),
        Command::Tls(a) => return tls::run_tls(a, &place, &printer, io),
        Command::Http(a) => return http::run_http(a, &place, &printer, io),
        Command::Pcap(a) => {
            network::refuse_sandbox(&place, "pcap", "it reads a capture file and never touches the network")?;
            return pcap::run_pcap(a, &printer, io);
        }
        Command::Capture(a) => {
            network::refuse_sandbox(
                &place,
                "capture",
                "it captures on this machine's interfaces; the sandbox runs inside other commands",
            )?;
            return capture::run_capture(a, &printer, io);
        }
        Command::Tcp(a) => return tcp::run_tcp(a, &place, &printer, io),
        Command::Ddos(c) => {
            network::refuse_sandbox(&place, "ddos", "it builds its own private network")?;
            return ddos::run_ddos(c, &printer, io);
        }
        Command::Anycast(a) => {
            network::refuse_sandbox(&place, "anycast", "it builds its own internet of namespaces")?;
            return anycast::run_anycast(a, &printer, io);
        }
        Command::Ratelimit(a) => {
            network::refuse_sandbox(&place, "ratelimit", offline_only)?;
            return ratelimit::run_ratelimit(a, &printer, io);
        }
        Command::Render(a) => {
            network::refuse_sandbox(&place, "render", "it reads a saved trace and never touches the network")?;
            return render::run_render(a, drawing, &printer, io);
        }
        Command::Edge(a) => {
            network::refuse_sandbox(&place, "edge", "it serves on loopback in front of a loopback origin")?;
            return edge::run_edge(a, &printer, io);
        }
        Command::Completions(a) => return docs::run_completions(a, io),
        Command::Man(a) => return docs::run_man(a, io),
        Command::Sandbox(crate::cli::SandboxCommand::Up(a)) => {
            if place.link.is_none() {
                network::refuse_sandbox(&place, "sandbox up", "it is the sandbox")?;
            }
            return sandbox::run_sandbox_up(a, &place, &printer, io);
        }
    };
    if let CidrCommand::Aggregate(a) | CidrCommand::Overlap(a) = cmd {
        if a.file.as_deref().is_none_or(|f| f == Path::new("-")) {
            waiting::reading_stdin_hint("prefixes, one per line,", &mut *io.stderr);
        }
    }
    let trace = cidr::cidr_trace(cmd, io.stdin)?;
    printer.document(io.stdout, &trace)?;
    Ok(trace.outcome.exit_code())
}

/// Opens `path` for reading, or standard input for `-`.
fn open(path: &Path) -> Result<Box<dyn Read>> {
    if path == Path::new("-") {
        return Ok(Box::new(io::stdin()));
    }
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        return Err(Error::usage(
            path.display().to_string(),
            "is a directory",
            "give a file",
        ));
    }
    Ok(Box::new(file))
}

/// `--insecure` is said on stderr too, so it is seen even when stdout goes to a file or to jq.
fn warn_insecure(io: &mut Io) {
    let _ = writeln!(
        io.stderr,
        "netlab: warning: --insecure: a failed certificate check will not stop this connection"
    );
}

/// The async runtime the network commands run on: two workers, like the machine.
fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::io("tokio runtime", e))
}

/// A file the user named (`-o`, `--keylog`, `--qlog`) goes in a folder that exists; with
/// `--create-dirs` the missing folders are made, 0700, as curl's `--create-dirs` does.
/// Refused otherwise, before anything runs, so nothing is lost at the end.
pub(crate) fn folder_ready(path: &std::path::Path, flag: &str, create_dirs: bool) -> Result<()> {
    let dir = crate::fsutil::folder_of(path);
    if dir.is_dir() {
        return Ok(());
    }
    if create_dirs {
        return crate::fsutil::create_private_dir(dir).map_err(|e| Error::io(dir, e));
    }
    Err(Error::usage(
        format!("{flag} {}", path.display()),
        format!("the folder {} does not exist", dir.display()),
        "create it first, or add --create-dirs",
    ))
}
