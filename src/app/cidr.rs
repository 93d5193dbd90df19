//! `netlab cidr`: the trace-producing subcommands, and `match`, which streams.

use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::output::{to_stdout, Lines, Printer, Stream};
use super::{open, Io};
use crate::cidr::matches::{MatchEvent, MatchSummary, MatchedLine};
use crate::cidr::{self, grep, list, ops::SplitBy, rangeset::RangeSet, scan::Found};
use crate::cli::{CidrCommand, ListArgs, MatchArgs};
use crate::error::{Error, Result, EXIT_NEGATIVE};
use crate::trace::Trace;

/// Runs a trace-producing CIDR command.
pub(super) fn cidr_trace(cmd: &CidrCommand, stdin: &mut dyn BufRead) -> Result<Trace> {
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

/// Hands each selected line to the printer's stream.
struct Selected<'s, 'w> {
    stream: &'s mut Stream<'w, Lines>,
    with_source: bool,
    /// `--count`: only the summary.
    count: bool,
}

impl grep::MatchSink for Selected<'_, '_> {
    fn selected(
        &mut self,
        source: Option<&str>,
        line_number: u64,
        line: &[u8],
        address: Option<Found>,
    ) -> io::Result<()> {
        if self.count {
            return Ok(());
        }
        self.stream.item(&MatchEvent::Line(MatchedLine {
            source: source.unwrap_or("-"),
            line_number,
            line,
            address,
            with_source: self.with_source,
        }))
    }
}

pub(super) fn run_match(a: &MatchArgs, printer: &Printer, io: &mut Io) -> Result<i32> {
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
    let matcher = grep::LineMatcher::new(&set, opts).with_threads(match_threads(a.threads));
    let inputs: Vec<PathBuf> = if a.inputs.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        a.inputs.clone()
    };
    if inputs.iter().any(|p| p == Path::new("-")) {
        super::waiting::reading_stdin_hint("lines to match", &mut *io.stderr);
    }
    let _waiting = (!io.stdout_is_terminal).then(|| super::waiting::Waiting::start("matching".to_string(), None));
    let mut stats = grep::MatchStats::default();
    let mut stream = printer.lines(&mut *io.stdout);
    let mut sink = Selected {
        stream: &mut stream,
        with_source: inputs.len() > 1,
        count: a.count,
    };
    search_inputs(&matcher, &inputs, &mut *io.stdin, &mut sink, &mut stats)?;
    stream
        .item(&MatchEvent::Summary(MatchSummary::new(stats, a.count)))
        .and_then(|()| stream.end())
        .map_err(to_stdout)?;
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

/// `-j N`, or the available parallelism (at most 256, as `-j` allows).
fn match_threads(asked: Option<u16>) -> usize {
    match asked {
        Some(n) => usize::from(n),
        None => std::thread::available_parallelism().map_or(1, |n| n.get().min(256)),
    }
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
