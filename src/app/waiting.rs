//! Waiting is never silent. After a second without a result, a spinner on standard error says
//! how long it has been (and, for a file being read, how much and how fast) until the work
//! ends; then the line is wiped, so what the command prints is untouched. Only on a terminal:
//! into a pipe or a file, nothing is written. And a command about to read standard input from
//! a terminal says so, instead of seeming to hang.

use std::io::{IsTerminal, Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a wait goes unremarked.
const QUIET_FOR: Duration = Duration::from_secs(1);
const TICK: Duration = Duration::from_millis(100);
const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// A spinner running while it is alive (see the module doc).
pub(super) struct Waiting {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Waiting {
    /// Starts the spinner for `what` (`working`, `reading capture.pcap`); `bytes`, when given,
    /// counts what has been read so far.
    pub(super) fn start(what: String, bytes: Option<Arc<AtomicU64>>) -> Waiting {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::io::stderr().is_terminal().then(|| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || spin(&what, bytes.as_deref(), &stop))
        });
        Waiting { stop, thread }
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn spin(what: &str, bytes: Option<&AtomicU64>, stop: &AtomicBool) {
    let started = Instant::now();
    let mut drawn = false;
    let mut n = 0usize;
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(TICK);
        let elapsed = started.elapsed();
        if elapsed < QUIET_FOR {
            continue;
        }
        let read = bytes.map(|b| b.load(Ordering::Relaxed));
        let text = line(FRAMES[n % FRAMES.len()], what, elapsed, read);
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{text}\x1b[K");
        let _ = err.flush();
        drawn = true;
        n += 1;
    }
    if drawn {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[K");
        let _ = err.flush();
    }
}

/// `⠋ reading big.pcap: 2.1 s, 48.0 MB read (22.9 MB/s)`.
fn line(frame: char, what: &str, elapsed: Duration, read: Option<u64>) -> String {
    let secs = elapsed.as_secs_f64();
    let mut text = format!("{frame} {what}: {secs:.1} s");
    if let Some(b) = read {
        let rate = if secs > 0.0 { b as f64 / secs } else { 0.0 };
        text.push_str(&format!(", {} read ({}/s)", size(b as f64), size(rate)));
    }
    text
}

/// Octets in decimal units, as download tools show them.
fn size(octets: f64) -> String {
    match octets {
        o if o >= 1e9 => format!("{:.1} GB", o / 1e9),
        o if o >= 1e6 => format!("{:.1} MB", o / 1e6),
        o if o >= 1e3 => format!("{:.1} kB", o / 1e3),
        o => format!("{o:.0} B"),
    }
}

/// A reader that counts the octets read through it, for the spinner.
pub(super) struct Counted<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Counted<R> {
    pub(super) fn new(inner: R) -> (Counted<R>, Arc<AtomicU64>) {
        let count = Arc::new(AtomicU64::new(0));
        (
            Counted {
                inner,
                count: Arc::clone(&count),
            },
            count,
        )
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Says, on a terminal, that standard input is about to be read (`what`: what it should hold).
pub(super) fn reading_stdin_hint(what: &str, stderr: &mut dyn Write) {
    if std::io::stdin().is_terminal() {
        let _ = writeln!(
            stderr,
            "netlab: reading {what} from standard input (type them, then Ctrl-D; or give a FILE)"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_says_how_long_and_how_fast() {
        assert_eq!(
            line('⠋', "working", Duration::from_millis(1500), None),
            "⠋ working: 1.5 s"
        );
        assert_eq!(
            line('⠙', "reading big.pcap", Duration::from_secs(2), Some(48_000_000)),
            "⠙ reading big.pcap: 2.0 s, 48.0 MB read (24.0 MB/s)"
        );
        assert_eq!(size(999.0), "999 B");
        assert_eq!(size(1_500.0), "1.5 kB");
        assert_eq!(size(2.5e9), "2.5 GB");
    }

    #[test]
    fn a_counted_reader_counts_what_passes() {
        let (mut r, count) = Counted::new(&b"0123456789"[..]);
        let mut buf = [0u8; 4];
        assert_eq!(r.read(&mut buf).unwrap(), 4);
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).unwrap();
        assert_eq!(count.load(Ordering::Relaxed), 10);
    }

    #[test]
    fn off_a_terminal_no_thread_is_started() {
        // Tests run with standard error captured, never a terminal.
        if !std::io::stderr().is_terminal() {
            assert!(Waiting::start("working".into(), None).thread.is_none());
        }
    }
}
