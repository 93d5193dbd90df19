//! From parsed arguments to output: validates options, runs the engine, renders, writes.
//! This and `main.rs` are the only places that write to the terminal.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use clap::Parser;

use crate::cidr::{self, grep, list, ops::SplitBy, rangeset::RangeSet, scan::Found};
use crate::cli::{CidrCommand, Cli, Command, LabCommand, ListArgs, MatchArgs};
use crate::error::{Error, Result, EXIT_NEGATIVE, EXIT_USAGE};
use crate::lab::{
    self,
    catalog::Catalog,
    check::{CommandRunner, Ran},
};
use crate::render::{self, style, RenderOpts};
use crate::trace::Trace;

/// What the process was given besides its arguments.
pub struct Io<'a> {
    pub stdin: &'a mut dyn BufRead,
    pub stdout: &'a mut dyn Write,
    pub stderr: &'a mut dyn Write,
    pub stdout_is_terminal: bool,
    /// The value of `NO_COLOR`, if set.
    pub no_color: Option<String>,
}

/// Runs netlab with `args` (program name first) and returns the exit code.
pub fn run(args: impl IntoIterator<Item = impl Into<OsString> + Clone>, io: &mut Io) -> i32 {
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
    let opts = RenderOpts {
        notes: !cli.global.no_notes,
        palette: style::decide(cli.global.color, io.stdout_is_terminal, io.no_color.as_deref()),
    };
    let cmd = match &cli.command {
        Command::Cidr(CidrCommand::Match(a)) => return run_match(a, cli.global.json, io),
        Command::Cidr(cmd) => cmd,
        Command::Lab(cmd) => return run_lab(cmd, cli.global.json, &opts, io),
        Command::Dns(a) => return run_dns(a, &cli.global, &opts, io),
        Command::Sandbox(crate::cli::SandboxCommand::Up(a)) => return run_sandbox_up(a, io),
    };
    let trace = cidr_trace(cmd, io.stdin)?;
    write_trace(&trace, cli.global.json, &opts, io)?;
    Ok(trace.outcome.exit_code())
}

/// Runs a trace-producing CIDR command.
fn cidr_trace(cmd: &CidrCommand, stdin: &mut dyn BufRead) -> Result<Trace> {
    Ok(match cmd {
        CidrCommand::Contains(a) => cidr::contains(&a.network, &a.addresses)?,
        CidrCommand::Info(a) => cidr::info(&a.prefixes)?,
        CidrCommand::Split(a) => {
            let by = match (a.prefix, a.count) {
                (Some(p), _) => SplitBy::Prefix(p),
                (None, Some(n)) => SplitBy::Count(n),
                (None, None) => {
                    return Err(Error::usage(
                        "split",
                        "needs --prefix or --count",
                        "see 'netlab cidr split --help'",
                    ))
                }
            };
            cidr::split(&a.network, by, a.max)?
        }
        CidrCommand::Aggregate(a) => cidr::aggregate(&read_list(a, stdin)?),
        CidrCommand::Overlap(a) => cidr::overlap(&read_list(a, stdin)?),
        CidrCommand::Exclude(a) => cidr::exclude(&a.from, &a.minus)?,
        CidrCommand::Match(_) => {
            return Err(Error::usage(
                "cidr match",
                "streams lines and makes no trace",
                "use another command in a lab step",
            ))
        }
    })
}

fn write_trace(trace: &Trace, json: bool, opts: &RenderOpts, io: &mut Io) -> Result<()> {
    let text = if json {
        render::json(trace)
    } else {
        render::text(trace, opts)
    };
    io.stdout
        .write_all(text.as_bytes())
        .and_then(|()| io.stdout.flush())
        .map_err(|e| Error::io("-", e))
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

fn read_list(a: &ListArgs, stdin: &mut dyn BufRead) -> Result<Vec<(u64, cidr::parse::ParsedPrefix)>> {
    match &a.file {
        None => list::read_prefixes(stdin, "-"),
        Some(p) if p == Path::new("-") => list::read_prefixes(stdin, "-"),
        Some(p) => {
            let mut r = BufReader::new(open(p)?);
            list::read_prefixes(&mut r, &p.display().to_string())
        }
    }
}

/// Loads every range from `-f` files and `-e` patterns.
fn load_ranges(a: &MatchArgs) -> Result<RangeSet> {
    let mut entries = Vec::new();
    for path in &a.range_files {
        let mut r = BufReader::new(open(path)?);
        entries.extend(list::read_ranges(&mut r, &path.display().to_string())?);
    }
    for pattern in &a.patterns {
        for token in pattern.split([',', ' ', '\t']).filter(|t| !t.is_empty()) {
            let entry = list::parse_range(token)
                .map_err(|e| Error::usage(format!("pattern '{token}'"), e.to_string(), e.hint()))?;
            entries.push(entry);
        }
    }
    if entries.is_empty() {
        return Err(Error::usage(
            "match",
            "no ranges were given",
            "put prefixes in the -f file or after -e",
        ));
    }
    Ok(RangeSet::new(&entries))
}

/// Writes selected lines as they are, prefixed by the file name when there are several files.
struct TextSink<'a> {
    out: io::BufWriter<&'a mut dyn Write>,
    with_names: bool,
    count_only: bool,
}

impl grep::MatchSink for TextSink<'_> {
    fn selected(&mut self, source: Option<&str>, _: u64, line: &[u8], _: Option<Found>) -> io::Result<()> {
        if self.count_only {
            return Ok(());
        }
        if self.with_names {
            self.out.write_all(source.unwrap_or("(standard input)").as_bytes())?;
            self.out.write_all(b":")?;
        }
        self.out.write_all(line)
    }
}

/// Writes one JSON object per selected line (JSON Lines), then a summary object.
struct JsonSink<'a> {
    out: io::BufWriter<&'a mut dyn Write>,
    count_only: bool,
}

impl grep::MatchSink for JsonSink<'_> {
    fn selected(&mut self, source: Option<&str>, line_no: u64, line: &[u8], address: Option<Found>) -> io::Result<()> {
        if self.count_only {
            return Ok(());
        }
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let address = address.map(|a| match a {
            Found::V4(v) => std::net::Ipv4Addr::from(v).to_string(),
            Found::V6(v) => std::net::Ipv6Addr::from(v).to_string(),
        });
        let record = serde_json::json!({
            "type": "cidr.match.line",
            "source": source.unwrap_or("-"),
            "line_number": line_no,
            "line": String::from_utf8_lossy(body),
            "address": address,
        });
        serde_json::to_writer(&mut self.out, &record)?;
        self.out.write_all(b"\n")
    }
}

fn run_match(a: &MatchArgs, json: bool, io: &mut Io) -> Result<i32> {
    let set = load_ranges(a)?;
    let opts = grep::MatchOptions {
        mode: if a.first {
            grep::MatchMode::First
        } else {
            grep::MatchMode::Any
        },
        invert: a.invert,
        include_no_address: a.include_no_address,
    };
    let matcher = grep::LineMatcher::new(&set, opts);
    let inputs: Vec<PathBuf> = if a.inputs.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        a.inputs.clone()
    };
    let with_names = inputs.len() > 1;
    let mut stats = grep::MatchStats::default();
    let out_err = |e| Error::io("-", e);
    if json {
        let mut sink = JsonSink {
            out: io::BufWriter::with_capacity(1 << 18, &mut *io.stdout),
            count_only: a.count,
        };
        search_inputs(&matcher, &inputs, &mut *io.stdin, &mut sink, &mut stats)?;
        let summary = serde_json::json!({
            "type": "cidr.match.summary",
            "schema": "netlab.cidr.match/1",
            "stats": stats,
        });
        sink.out
            .write_all(format!("{summary}\n").as_bytes())
            .and_then(|()| sink.out.flush())
            .map_err(out_err)?;
    } else {
        let mut sink = TextSink {
            out: io::BufWriter::with_capacity(1 << 18, &mut *io.stdout),
            with_names,
            count_only: a.count,
        };
        search_inputs(&matcher, &inputs, &mut *io.stdin, &mut sink, &mut stats)?;
        if a.count {
            sink.out
                .write_all(format!("{}\n", stats.selected).as_bytes())
                .map_err(out_err)?;
        }
        sink.out.flush().map_err(out_err)?;
    }
    if a.stats {
        let _ = writeln!(
            io.stderr,
            "netlab: stats: {} lines read, {} matched, {} without an address, {} too long (over {} bytes, skipped)",
            stats.lines,
            stats.selected,
            stats.without_address,
            stats.too_long,
            grep::MAX_LINE
        );
    }
    Ok(if stats.selected > 0 { 0 } else { EXIT_NEGATIVE })
}

/// Runs the matcher over every input in order ('-' is standard input).
fn search_inputs(
    matcher: &grep::LineMatcher,
    inputs: &[PathBuf],
    stdin: &mut dyn BufRead,
    sink: &mut dyn grep::MatchSink,
    stats: &mut grep::MatchStats,
) -> Result<()> {
    for path in inputs {
        let name = path.display().to_string();
        let result = if path == Path::new("-") {
            matcher.run(stdin, None, sink, stats)
        } else if let Some(map) = cidr::mapped::map_regular_file(path) {
            matcher.run_slice(&map, Some(&name), sink, stats)
        } else {
            matcher.run(&mut open(path)?, Some(&name), sink, stats)
        };
        result.map_err(|e| Error::io(path, e))?;
    }
    Ok(())
}

/// Runs netlab commands in-process for the lab engine.
/// Runs netlab commands in-process for the lab engine: against the sandbox unless `internet`.
struct InProcess {
    internet: bool,
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
        let trace = match &cli.command {
            Command::Cidr(cmd) => cidr_trace(cmd, &mut input)?,
            Command::Dns(a) => {
                let offline = crate::net::Network::offline_from_env(
                    cli.global.offline,
                    std::env::var("NETLAB_OFFLINE").ok().as_deref(),
                );
                dns_trace(a, !self.internet, offline)?
            }
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

fn out(io: &mut Io, text: &str) -> Result<()> {
    io.stdout
        .write_all(text.as_bytes())
        .and_then(|()| io.stdout.flush())
        .map_err(|e| Error::io("-", e))
}

fn run_lab(cmd: &LabCommand, json: bool, opts: &RenderOpts, io: &mut Io) -> Result<i32> {
    let catalog = catalog()?;
    let path = progress_path()?;
    match cmd {
        LabCommand::List | LabCommand::Progress => {
            let progress = lab::progress::load(&path)?;
            if json {
                out(
                    io,
                    &format!(
                        "{}\n",
                        serde_json::json!({"schema": "netlab.lab.progress/1", "progress": progress})
                    ),
                )?;
            } else {
                out(io, &lab::list(&catalog, &progress))?;
            }
        }
        LabCommand::Show(a) => {
            let l = catalog.get(&a.id)?;
            let text = lab::markdown::render(&l.readme, &opts.palette);
            if io.stdout_is_terminal && text.lines().count() > 40 && page(&text).is_ok() {
                return Ok(0);
            }
            out(io, &text)?;
        }
        LabCommand::Start(crate::cli::LabStartArgs { id, internet }) => {
            let a = crate::cli::LabId { id: id.clone() };
            let l = catalog.get(&a.id)?;
            let mut console = lab::runner::Console {
                input: io.stdin,
                out: io.stdout,
                palette: opts.palette,
                progress_path: &path,
            };
            lab::runner::start(l, &InProcess { internet: *internet }, &mut console)?;
        }
        LabCommand::Check(a) => {
            let l = catalog.get(&a.id)?;
            let text = std::fs::read_to_string(&a.answers).map_err(|e| Error::io(&a.answers, e))?;
            let answers = lab::read_answers(l, &a.answers.display().to_string(), &text)?;
            let graded = lab::grade_all(l, &answers, &InProcess { internet: a.internet })?;
            let all_right = graded.iter().all(|g| g.verdict == "right");
            if json {
                out(
                    io,
                    &format!(
                        "{}\n",
                        serde_json::json!({"schema": "netlab.lab.check/1", "lab": l.lab.id, "results": graded})
                    ),
                )?;
            } else {
                out(io, &lab::render_grades(l, &graded, &opts.palette))?;
            }
            return Ok(if all_right { 0 } else { EXIT_NEGATIVE });
        }
        LabCommand::Hint(a) => {
            let l = catalog.get(&a.id)?;
            let mut progress = lab::progress::load(&path)?;
            let state = progress.labs.entry(l.lab.id.clone()).or_default();
            let current = l
                .lab
                .steps
                .iter()
                .flat_map(|s| &s.questions)
                .find(|q| !state.answers.get(&q.id).is_some_and(|r| r.done()));
            let Some(q) = current else {
                out(io, &format!("Every question of {} is done.\n", l.lab.id))?;
                return Ok(0);
            };
            let hint = lab::runner::next_hint(state, q);
            lab::progress::save(&path, &progress)?;
            out(io, &format!("{}: {}\nhint: {hint}\n", q.id, q.prompt))?;
        }
        LabCommand::Reset(a) => {
            let l = catalog.get(&a.id)?;
            let mut progress = lab::progress::load(&path)?;
            let had = progress.labs.remove(&l.lab.id).is_some();
            lab::progress::save(&path, &progress)?;
            out(
                io,
                &format!("{} {}.\n", l.lab.id, if had { "reset" } else { "had no progress" }),
            )?;
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

/// `netlab dns`: validates the arguments, starts the sandbox if asked, walks (or asks a
/// resolver), renders.
fn run_dns(a: &crate::cli::DnsArgs, global: &crate::cli::GlobalOpts, opts: &RenderOpts, io: &mut Io) -> Result<i32> {
    let offline =
        crate::net::Network::offline_from_env(global.offline, std::env::var("NETLAB_OFFLINE").ok().as_deref());
    let trace = dns_trace(a, global.sandbox, offline)?;
    if a.short && !global.json {
        let lines: Vec<String> = trace
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                crate::trace::EventKind::Dns(crate::dns::events::DnsEvent::Summary(s)) if s.result == "answer" => {
                    Some(crate::dns::walk::short_answers(&s.answers))
                }
                crate::trace::EventKind::Dns(crate::dns::events::DnsEvent::Stub(x)) => {
                    Some(crate::dns::walk::short_answers(&x.answers))
                }
                _ => None,
            })
            .flatten()
            .collect();
        out(io, &lines.iter().map(|l| format!("{l}\n")).collect::<String>())?;
    } else {
        write_trace(&trace, global.json, opts, io)?;
    }
    Ok(trace.outcome.exit_code())
}

/// Turns `netlab dns` arguments into walk options.
fn dns_options(a: &crate::cli::DnsArgs, words: &[String]) -> Result<crate::dns::walk::WalkOptions> {
    use crate::dns::{hints, wire};
    let bad = |what: &str, why: String, hint: &str| Error::usage(what.to_string(), why, hint.to_string());
    let (name, type_word) = match (&a.reverse, words) {
        (Some(ip), words) => {
            let ip: std::net::IpAddr = ip.parse().map_err(|_| {
                bad(
                    "-x",
                    format!("'{ip}' is not an IP address"),
                    "write an address such as 192.0.2.10",
                )
            })?;
            if words.len() > 1 || words.first().is_some_and(|w| wire::parse_type(w).is_err()) {
                return Err(bad(
                    "dns -x",
                    "takes an address and no name".into(),
                    "write netlab dns -x IP",
                ));
            }
            (
                wire::reverse_name(ip).to_string(),
                Some(words.first().cloned().unwrap_or_else(|| "PTR".into())),
            )
        }
        (None, []) => return Err(bad("dns", "needs a name".into(), "write netlab dns NAME [TYPE]")),
        (None, [name]) => (name.clone(), None),
        (None, [name, t]) => (name.clone(), Some(t.clone())),
        (None, _) => {
            return Err(bad(
                "dns",
                "takes a name and a type".into(),
                "write netlab dns NAME [TYPE]",
            ))
        }
    };
    let rtype = match type_word {
        Some(t) => wire::parse_type(&t).map_err(|why| bad(&format!("type '{t}'"), why, "see 'netlab dns --help'"))?,
        None => hickory_proto::rr::RecordType::A,
    };
    let roots = if !a.root.is_empty() {
        a.root
            .iter()
            .map(|r| hints::parse_root_arg(r).map_err(|why| bad("--root", why, "write --root 127.0.0.1:5300")))
            .collect::<Result<Vec<_>>>()?
    } else if let Some(path) = &a.root_hints {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        hints::parse_root_hints(&text, &path.display().to_string())
            .map_err(|why| bad("--root-hints", why, "use the named.root format"))?
    } else {
        hints::parse_root_hints(hints::IANA_ROOT_HINTS, "named.root")
            .map_err(|why| bad("root hints", why, "report this"))?
    };
    if a.timeout == 0 || a.max_queries == 0 || a.max_time == 0 {
        return Err(bad(
            "dns",
            "--timeout, --max-queries and --max-time must be above 0".into(),
            "raise them",
        ));
    }
    Ok(crate::dns::walk::WalkOptions {
        name,
        rtype,
        roots,
        timeout: std::time::Duration::from_millis(a.timeout),
        max_queries: a.max_queries,
        max_time: std::time::Duration::from_millis(a.max_time),
        anchors: None,
    })
}

/// `netlab sandbox up`: starts the servers, prints the address book and how to use it, waits.
fn run_sandbox_up(a: &crate::cli::SandboxUpArgs, io: &mut Io) -> Result<i32> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::io("tokio runtime", e))?;
    runtime.block_on(async {
        let sandbox = crate::sandbox::Sandbox::start_with(a.bind_127).await?;
        let mut text = String::from("netlab sandbox: name servers (virtual address -> the socket that serves it)\n");
        for s in &sandbox.servers {
            text.push_str(&format!("  {:<24} {:<15} -> {}\n", s.spec.name, s.spec.address, s.local));
        }
        let root = &sandbox.servers[0];
        if a.bind_127 {
            text.push_str(&format!(
                "\nThe zones' addresses are rewritten to the 127.0.53.x ones, so real tools can walk it:\n  netlab dns www.example.com --root {ip}\n  dig @{ip} +norecurse www.example.com     (then follow each referral by hand)\n  dig +trace @{ip} www.example.com\ndig +trace looks up every name server's address with the system resolver, not from glue;\nfor it, add these lines to /etc/hosts while the sandbox runs:\n{hosts}",
                ip = root.local.ip(),
                hosts = sandbox.servers.iter().map(|s| format!("  {} {}\n", s.local.ip(), s.spec.name.trim_end_matches('.'))).collect::<String>()
            ));
        } else {
            text.push_str(&format!(
                "\nAsk one server directly (the zones name the virtual addresses, so follow referrals by hand):\n  dig @127.0.0.1 -p {} +norecurse www.example.com\nFor dig +trace, run 'netlab sandbox up --bind-127' as root. 'netlab dns NAME --sandbox' walks it in-process.\n",
                root.local.port()
            ));
        }
        text.push_str("Zones: labs/sandbox/zones/. Press Ctrl-C to stop.\n");
        out(io, &text)?;
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

/// Runs `netlab dns` (a walk, or a stub query) and returns its trace.
fn dns_trace(a: &crate::cli::DnsArgs, sandboxed: bool, offline: bool) -> Result<Trace> {
    let (words, at_server): (Vec<String>, Vec<String>) = a.words.iter().cloned().partition(|w| !w.starts_with('@'));
    let resolver = match (at_server.as_slice(), &a.resolver, a.system) {
        ([], None, false) => None,
        ([at], None, false) => Some(Some(at.trim_start_matches('@').to_string())),
        ([], Some(r), false) => Some(Some(r.clone())),
        ([], None, true) => Some(None),
        _ => {
            return Err(Error::usage(
                "dns",
                "give one resolver: @IP, --resolver IP or --system",
                "see 'netlab dns --help'",
            ))
        }
    };
    let walk = dns_options(a, &words)?;
    let default_port = if a.tls {
        853
    } else if a.https {
        443
    } else {
        53
    };
    let stub = match resolver {
        None => None,
        Some(choice) => Some(crate::dns::stub::StubOptions {
            name: walk.name.clone(),
            rtype: walk.rtype,
            resolver: match choice {
                None => crate::dns::stub::ResolverChoice::System,
                Some(addr) => {
                    let mut target = crate::dns::hints::parse_root_arg(&addr)
                        .map_err(|why| Error::usage("resolver", why, "write @127.0.0.1 or --resolver 127.0.0.1:5353"))?
                        .addr;
                    if addr.parse::<std::net::SocketAddr>().is_err() {
                        target.set_port(default_port);
                    }
                    crate::dns::stub::ResolverChoice::Address(target)
                }
            },
            transport: crate::dns::stub::Transport::Plain,
            extra_roots: Vec::new(),
            timeout: walk.timeout,
        }),
    };
    if stub.is_none() && (a.tls || a.https) {
        return Err(Error::usage(
            "--tls/--https",
            "encrypt a stub query to a resolver",
            "add @IP, --resolver IP or --system",
        ));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::io("tokio runtime", e))?;
    let trace = runtime.block_on(async {
        let sandbox = if sandboxed {
            Some(crate::sandbox::Sandbox::start().await?)
        } else {
            None
        };
        let net = match &sandbox {
            Some(s) => s.network(),
            None => crate::net::Network { offline, book: None },
        };
        if let Some(stub) = &stub {
            let mut stub = stub.clone();
            if sandbox.is_some() && matches!(stub.resolver, crate::dns::stub::ResolverChoice::System) {
                // In the sandbox, "the system's resolver" is the sandbox's own.
                let addr = std::net::SocketAddr::new(crate::sandbox::resolver::ADDRESS.parse().expect("valid"), default_port);
                stub.resolver = crate::dns::stub::ResolverChoice::Address(addr);
            }
            if a.tls || a.https {
                let sandbox_resolver = matches!(&stub.resolver, crate::dns::stub::ResolverChoice::Address(t) if sandbox.is_some() && t.ip().to_string() == crate::sandbox::resolver::ADDRESS);
                let name = match (&a.tls_name, &stub.resolver) {
                    (Some(n), _) => n.clone(),
                    (None, _) if sandbox_resolver => crate::sandbox::resolver::NAME.trim_end_matches('.').to_string(),
                    (None, crate::dns::stub::ResolverChoice::Address(t)) => t.ip().to_string(),
                    (None, crate::dns::stub::ResolverChoice::System) => {
                        return Err(Error::usage("--system with --tls/--https", "the system's resolvers have no certificate name", "give --tls-name NAME"));
                    }
                };
                stub.transport = if a.tls { crate::dns::stub::Transport::Tls { name } } else { crate::dns::stub::Transport::Https { name } };
                if let Some(s) = &sandbox {
                    stub.extra_roots = vec![s.ca_cert.clone()];
                }
            }
            return crate::dns::stub::stub(&stub, &net).await;
        }
        let mut walk = walk;
        if sandbox.is_some() && a.root.is_empty() && a.root_hints.is_none() {
            walk.roots = crate::sandbox::Sandbox::root_hints();
        }
        if a.dnssec {
            walk.anchors = Some(match &sandbox {
                Some(s) => crate::dns::dnssec::Anchors::root_key(&s.trust_anchor),
                None => crate::dns::dnssec::Anchors::iana(),
            });
        }
        crate::dns::walk::walk(&walk, &net).await
    })?;
    Ok(trace)
}
