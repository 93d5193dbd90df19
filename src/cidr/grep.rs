//! `netlab cidr match`: stream lines, print those with an address inside the ranges.
//!
//! Memory is bounded whatever the input: lines are read into one fixed buffer of
//! [`MAX_LINE`] bytes; a longer line is skipped and counted, never grown into.

use std::io::{self, Read};

use memchr::{memchr, memrchr};

use super::rangeset::RangeSet;
use super::scan::{Found, Scanner};

/// The longest line `match` looks at; longer lines are skipped and counted as too long.
pub const MAX_LINE: usize = 4 << 20;

/// Which addresses in a line decide whether it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchMode {
    /// Any address in the line (grepcidr 2.0).
    Any,
    /// Only the first address in the line (an access log's client address).
    First,
}

/// How to select lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchOptions {
    pub mode: MatchMode,
    /// Select lines that have an address but none inside (grepcidr `-v`).
    pub invert: bool,
    /// With `invert`, also select lines without any address (grepcidr `-i`).
    pub include_no_address: bool,
}

/// What a match run saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MatchStats {
    pub lines: u64,
    pub selected: u64,
    /// Lines in which no address (of a family being looked for) was found.
    pub without_address: u64,
    /// Lines longer than [`MAX_LINE`], skipped.
    pub too_long: u64,
}

/// Where selected lines go. `line` includes its newline when it had one.
pub trait MatchSink {
    fn selected(&mut self, source: Option<&str>, line_no: u64, line: &[u8], address: Option<Found>) -> io::Result<()>;
}

/// Decides lines; one per `match` run, shared by every input.
#[derive(Debug)]
pub struct LineMatcher<'a> {
    set: &'a RangeSet,
    opts: MatchOptions,
    scanner: Scanner,
    /// Threads deciding lines (at least 1).
    threads: usize,
}

impl<'a> LineMatcher<'a> {
    pub fn new(set: &'a RangeSet, opts: MatchOptions) -> Self {
        let scanner = match opts.mode {
            MatchMode::Any => Scanner {
                v4: set.has_v4(),
                v6: set.has_v6(),
            },
            MatchMode::First => Scanner { v4: true, v6: true },
        };
        LineMatcher {
            set,
            opts,
            scanner,
            threads: 1,
        }
    }

    /// Decides lines in `threads` threads (at least 1; 1 decides them on the caller's thread).
    /// The output order is the input's whatever the number.
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// (selected, an address was seen, the deciding address).
    #[inline]
    pub fn decide(&self, line: &[u8]) -> (bool, bool, Option<Found>) {
        let (seen, hit) = match self.opts.mode {
            MatchMode::Any => {
                let mut seen = false;
                let mut hit = None;
                self.scanner.scan(line, |f| {
                    seen = true;
                    if self.set.contains(f) {
                        hit = Some(f);
                        true
                    } else {
                        false
                    }
                });
                (seen, hit)
            }
            MatchMode::First => match self.scanner.first(line) {
                Some(f) => (true, self.set.contains(f).then_some(f)),
                None => (false, None),
            },
        };
        let selected = if self.opts.invert {
            hit.is_none() && (seen || self.opts.include_no_address)
        } else {
            hit.is_some()
        };
        (selected, seen, hit)
    }

    /// Reads `reader` to the end, handing selected lines to `sink` and counting into `stats`.
    pub fn run(
        &self,
        reader: &mut dyn Read,
        source: Option<&str>,
        sink: &mut dyn MatchSink,
        stats: &mut MatchStats,
    ) -> io::Result<()> {
        let mut buf = vec![0u8; MAX_LINE];
        let (mut start, mut end) = (0usize, 0usize);
        let mut skipping = false; // inside a line longer than the buffer
        let lines_before = stats.lines; // line numbers count from 1 in each input
        loop {
            if end == buf.len() {
                if start > 0 {
                    buf.copy_within(start..end, 0);
                    end -= start;
                    start = 0;
                } else {
                    skipping = true;
                    end = 0;
                }
            }
            let n = match reader.read(&mut buf[end..]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                if skipping {
                    stats.lines += 1;
                    stats.too_long += 1;
                } else if start < end {
                    self.region(&buf[start..end], source, lines_before, sink, stats)?;
                }
                return Ok(());
            }
            let fresh = end;
            end += n;
            let Some(last_newline) = memrchr(b'\n', &buf[fresh..end]).map(|i| fresh + i) else {
                continue;
            };
            if skipping {
                // The over-long line ends at the first newline of what just arrived.
                let first = fresh + memchr(b'\n', &buf[fresh..end]).unwrap_or(0);
                skipping = false;
                stats.lines += 1;
                stats.too_long += 1;
                start = first + 1;
            }
            if start <= last_newline {
                self.region(&buf[start..=last_newline], source, lines_before, sink, stats)?;
            }
            start = last_newline + 1;
        }
    }

    /// Reads a whole input that is already in memory (a mapped file), cut into chunks of about
    /// [`SLICE_CHUNK`] bytes. With one thread they are decided here; with more, that many
    /// workers take chunks in turn and this thread hands their selected lines to `sink` in
    /// input order (a chunk's result is a list of offsets, and only the few decided ahead of the
    /// one due wait to be put in order).
    pub fn run_slice(
        &self,
        data: &[u8],
        source: Option<&str>,
        sink: &mut dyn MatchSink,
        stats: &mut MatchStats,
    ) -> io::Result<()> {
        self.run_chunks(data, SLICE_CHUNK, source, sink, stats)
    }

    /// [`LineMatcher::run_slice`] with chunks of about `chunk` bytes.
    fn run_chunks(
        &self,
        data: &[u8],
        chunk: usize,
        source: Option<&str>,
        sink: &mut dyn MatchSink,
        stats: &mut MatchStats,
    ) -> io::Result<()> {
        let mut chunks = Vec::new();
        let mut start = 0;
        while start < data.len() {
            let want = (start + chunk).min(data.len());
            let end = memchr(b'\n', &data[want..]).map_or(data.len(), |i| want + i + 1);
            chunks.push(start..end);
            start = end;
        }
        let lines_before = stats.lines;
        let workers = self.threads.min(chunks.len());
        if workers <= 1 {
            for range in chunks {
                let block = &data[range];
                emit(block, &self.block(block), source, lines_before, sink, stats)?;
            }
            return Ok(());
        }
        let next = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|scope| {
            let (results, arrivals) = std::sync::mpsc::channel::<(usize, BlockResult)>();
            for _ in 0..workers {
                let (results, next, chunks) = (results.clone(), &next, &chunks);
                scope.spawn(move || loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(range) = chunks.get(k) else { break };
                    if results.send((k, self.block(&data[range.clone()]))).is_err() {
                        break; // the reader stopped (an output error)
                    }
                });
            }
            drop(results);
            let mut waiting = std::collections::BTreeMap::new();
            let mut due = 0;
            for (k, result) in arrivals {
                waiting.insert(k, result);
                while let Some(result) = waiting.remove(&due) {
                    emit(&data[chunks[due].clone()], &result, source, lines_before, sink, stats)?;
                    due += 1;
                }
            }
            Ok(())
        })
    }

    /// Decides every line of `region` (whole lines), in up to `threads` threads when it is
    /// large, and hands the selected ones to `sink` in input order.
    fn region(
        &self,
        region: &[u8],
        source: Option<&str>,
        lines_before: u64,
        sink: &mut dyn MatchSink,
        stats: &mut MatchStats,
    ) -> io::Result<()> {
        let parts = self.threads.min(region.len() / PARALLEL_MIN).max(1);
        let mut blocks = Vec::with_capacity(parts);
        let mut start = 0;
        for k in 1..parts {
            let want = (region.len() * k / parts).max(start);
            if let Some(i) = memchr(b'\n', &region[want..]) {
                blocks.push(&region[start..want + i + 1]);
                start = want + i + 1;
            }
        }
        if start < region.len() {
            blocks.push(&region[start..]);
        }
        let results = if blocks.len() <= 1 {
            blocks.iter().map(|b| self.block(b)).collect::<Vec<_>>()
        } else {
            std::thread::scope(|s| {
                let workers: Vec<_> = blocks[1..].iter().map(|b| s.spawn(move || self.block(b))).collect();
                let mut results = vec![self.block(blocks[0])];
                for worker in workers {
                    results.push(
                        worker
                            .join()
                            .map_err(|_| io::Error::other("match worker thread failed"))?,
                    );
                }
                Ok::<_, io::Error>(results)
            })?
        };
        for (block, result) in blocks.iter().zip(&results) {
            emit(block, result, source, lines_before, sink, stats)?;
        }
        Ok(())
    }

    /// Decides every line of `block`; pure, so blocks can be decided in parallel.
    fn block(&self, block: &[u8]) -> BlockResult {
        let mut result = BlockResult::default();
        let mut start = 0;
        while start < block.len() {
            let end = memchr(b'\n', &block[start..]).map_or(block.len(), |i| start + i + 1);
            let line = &block[start..end];
            let body = line.strip_suffix(b"\n").unwrap_or(line);
            result.lines += 1;
            if line.len() > MAX_LINE {
                result.too_long += 1;
                start = end;
                continue;
            }
            let (selected, seen, hit) = self.decide(body);
            if !seen {
                result.without_address += 1;
            }
            if selected {
                result.selected.push(Selected {
                    start,
                    end,
                    index: result.lines,
                    hit,
                });
            }
            start = end;
        }
        result
    }
}

/// Hands a decided block's selected lines to `sink` and adds up its counts.
fn emit(
    block: &[u8],
    result: &BlockResult,
    source: Option<&str>,
    lines_before: u64,
    sink: &mut dyn MatchSink,
    stats: &mut MatchStats,
) -> io::Result<()> {
    for sel in &result.selected {
        stats.selected += 1;
        sink.selected(
            source,
            stats.lines - lines_before + sel.index,
            &block[sel.start..sel.end],
            sel.hit,
        )?;
    }
    stats.lines += result.lines;
    stats.without_address += result.without_address;
    stats.too_long += result.too_long;
    Ok(())
}

/// How much of an in-memory input a worker decides at a time.
const SLICE_CHUNK: usize = 8 << 20;

/// Each thread deciding a streamed region gets at least this much of it.
const PARALLEL_MIN: usize = 256 << 10;

/// A selected line inside a block: its bytes, its 1-based index in the block, the address.
#[derive(Debug)]
struct Selected {
    start: usize,
    end: usize,
    index: u64,
    hit: Option<Found>,
}

/// What deciding one block found.
#[derive(Debug, Default)]
struct BlockResult {
    selected: Vec<Selected>,
    lines: u64,
    without_address: u64,
    too_long: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cidr::list::parse_range;

    struct Collect(Vec<(u64, String)>);
    impl MatchSink for Collect {
        fn selected(&mut self, _: Option<&str>, n: u64, line: &[u8], _: Option<Found>) -> io::Result<()> {
            self.0.push((n, String::from_utf8_lossy(line).into_owned()));
            Ok(())
        }
    }

    fn run(ranges: &[&str], opts: MatchOptions, input: &[u8]) -> (Vec<(u64, String)>, MatchStats) {
        let entries: Vec<_> = ranges.iter().map(|r| parse_range(r).unwrap()).collect();
        let set = RangeSet::new(&entries);
        let mut sink = Collect(Vec::new());
        let mut stats = MatchStats::default();
        LineMatcher::new(&set, opts)
            .run(&mut &input[..], None, &mut sink, &mut stats)
            .unwrap();
        (sink.0, stats)
    }

    const ANY: MatchOptions = MatchOptions {
        mode: MatchMode::Any,
        invert: false,
        include_no_address: false,
    };

    #[test]
    fn any_first_and_invert() {
        let input = b"1.1.1.1 GET / from 10.0.0.5\n10.0.0.9 GET /\nno address here\n8.8.8.8 x\n";
        let (got, stats) = run(&["10.0.0.0/8"], ANY, input);
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(
            stats,
            MatchStats {
                lines: 4,
                selected: 2,
                without_address: 1,
                too_long: 0
            }
        );
        let (got, _) = run(
            &["10.0.0.0/8"],
            MatchOptions {
                mode: MatchMode::First,
                ..ANY
            },
            input,
        );
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), [2]);
        let (got, _) = run(&["10.0.0.0/8"], MatchOptions { invert: true, ..ANY }, input);
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), [4]);
        let (got, _) = run(
            &["10.0.0.0/8"],
            MatchOptions {
                invert: true,
                include_no_address: true,
                ..ANY
            },
            input,
        );
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), [3, 4]);
    }

    #[test]
    fn in_memory_and_streamed_inputs_agree() {
        let mut input = Vec::new();
        for i in 0..200_000u32 {
            input.extend_from_slice(format!("{}.{}.{}.{} line {i}\n", i % 256, (i / 7) % 256, 3, i % 200).as_bytes());
        }
        input.extend(vec![b'z'; MAX_LINE + 5]);
        input.extend_from_slice(b"\n10.3.3.3 last");
        let entries = [parse_range("10.0.0.0/8").unwrap(), parse_range("200.0.0.0/5").unwrap()];
        let set = RangeSet::new(&entries);
        let matcher = LineMatcher::new(&set, ANY);
        let (mut a, mut b) = (Collect(Vec::new()), Collect(Vec::new()));
        let (mut sa, mut sb) = (MatchStats::default(), MatchStats::default());
        matcher.run(&mut &input[..], None, &mut a, &mut sa).unwrap();
        matcher.run_slice(&input, None, &mut b, &mut sb).unwrap();
        assert_eq!(sa, sb);
        assert_eq!(a.0, b.0);
        assert_eq!(sa.too_long, 1);
        assert!(sa.selected > 5_000, "{}", sa.selected);
    }

    #[test]
    fn any_number_of_threads_keeps_the_input_order() {
        let mut input = Vec::new();
        for i in 0..60_000u32 {
            input.extend_from_slice(format!("{}.{}.{}.{} line {i}\n", i % 256, (i / 3) % 256, 7, i % 100).as_bytes());
        }
        input.extend_from_slice(b"10.9.9.9 last, no newline");
        let entries = [parse_range("10.0.0.0/8").unwrap(), parse_range("200.0.0.0/5").unwrap()];
        let set = RangeSet::new(&entries);
        let one = LineMatcher::new(&set, ANY);
        let (mut want, mut want_stats) = (Collect(Vec::new()), MatchStats::default());
        one.run(&mut &input[..], None, &mut want, &mut want_stats).unwrap();
        assert!(want_stats.selected > 2_000);
        for threads in [1, 2, 3, 8, 256] {
            let matcher = LineMatcher::new(&set, ANY).with_threads(threads);
            // Many small chunks, so workers finish out of order.
            let (mut got, mut stats) = (Collect(Vec::new()), MatchStats::default());
            matcher.run_chunks(&input, 4096, None, &mut got, &mut stats).unwrap();
            assert_eq!((&got.0, stats), (&want.0, want_stats), "{threads} threads, in memory");
            // Streamed: the buffer's regions are cut into one part per thread.
            let (mut got, mut stats) = (Collect(Vec::new()), MatchStats::default());
            matcher.run(&mut &input[..], None, &mut got, &mut stats).unwrap();
            assert_eq!((&got.0, stats), (&want.0, want_stats), "{threads} threads, streamed");
        }
    }

    #[test]
    fn last_line_without_newline_is_kept_as_is() {
        let (got, _) = run(&["10.0.0.0/8"], ANY, b"a\n10.1.1.1");
        assert_eq!(got, [(2, "10.1.1.1".to_string())]);
    }

    #[test]
    fn overlong_lines_are_skipped_and_counted() {
        let mut input = vec![b'x'; MAX_LINE * 2 + 10];
        input.extend_from_slice(b" 10.0.0.1\n10.0.0.2\n");
        input.extend(vec![b'y'; MAX_LINE + 1]);
        let (got, stats) = run(&["10.0.0.0/8"], ANY, &input);
        assert_eq!(got, [(2, "10.0.0.2\n".to_string())]);
        assert_eq!((stats.lines, stats.too_long), (3, 2));
    }
}
