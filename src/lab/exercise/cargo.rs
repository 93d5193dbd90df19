//! Running `cargo test` on a staged exercise, bounded in time and output, and reading what
//! libtest printed: which tests passed, which failed and with what message, or the compiler's
//! first error when the solution does not build.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Bytes kept of each output stream; the rest is read and dropped.
const KEEP_BYTES: usize = 1 << 20;
/// Lines kept of a failure's message or a compiler error.
const KEEP_LINES: usize = 12;

/// One test's end, as libtest reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub test: String,
    pub passed: bool,
    /// The panic message of a failed test.
    pub message: Option<String>,
}

/// What one `cargo test` run came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The tests that finished.
    pub outcomes: Vec<Outcome>,
    /// The compiler's first error, when the tests never ran because the build failed.
    pub compile_error: Option<String>,
    /// The run was killed at the time limit.
    pub timed_out: bool,
    /// Cargo's exit code (none when killed).
    pub status: Option<i32>,
}

/// Builds and runs the `checks` test of the crate in `dir`, its build in `dir/target`, killed
/// (with every process it started) after `limit`.
pub fn test(dir: &Path, limit: Duration) -> Result<Run> {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&program);
    command
        .args([
            "test",
            "--offline",
            "--color",
            "never",
            "--test",
            "checks",
            "--",
            "--test-threads=2",
        ])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env("RUST_BACKTRACE", "0")
        .env("CARGO_TERM_COLOR", "never")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::usage(
            Path::new(&program).display().to_string(),
            "cargo is not installed (code exercises build with it)",
            "install Rust from https://rustup.rs, then check again",
        ),
        _ => Error::io(Path::new(&program), e),
    })?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let (status, timed_out) = wait(&mut child, limit).map_err(|e| Error::io(Path::new(&program), e))?;
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    let mut run = read(&stdout, &stderr);
    run.timed_out = timed_out;
    run.status = status;
    Ok(run)
}

/// Reads a stream to its end on a thread, keeping the first [`KEEP_BYTES`].
fn drain(stream: Option<impl Read + Send + 'static>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut kept = Vec::new();
        if let Some(mut s) = stream {
            let mut buf = [0u8; 8192];
            while let Ok(n) = s.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let room = KEEP_BYTES.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
        }
        String::from_utf8_lossy(&kept).into_owned()
    })
}

/// Waits for `child` up to `limit`; past it, kills its whole process group (cargo, rustc, the
/// test binary). The exit code, and whether it was killed.
fn wait(child: &mut Child, limit: Duration) -> std::io::Result<(Option<i32>, bool)> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok((status.code(), false));
        }
        if start.elapsed() >= limit {
            kill_group(child);
            let _ = child.wait();
            return Ok((None, true));
        }
        thread::sleep(Duration::from_millis(20));
    }
}

fn kill_group(child: &mut Child) {
    #[cfg(unix)]
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals the process group the child leads
        // (process_group(0) made it); no memory is involved.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
}

/// Reads libtest's report (stdout) and cargo's diagnostics (stderr).
pub fn read(stdout: &str, stderr: &str) -> Run {
    let mut outcomes: Vec<Outcome> = stdout
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("test ")?;
            let (name, result) = rest.rsplit_once(" ... ")?;
            let passed = match result.trim() {
                "ok" => true,
                "FAILED" => false,
                _ => return None,
            };
            Some(Outcome {
                test: name.trim().to_string(),
                passed,
                message: None,
            })
        })
        .collect();
    for o in outcomes.iter_mut().filter(|o| !o.passed) {
        o.message = failure_message(stdout, &o.test);
    }
    let ran = stdout.lines().any(|l| l.starts_with("running "));
    Run {
        outcomes,
        compile_error: if ran { None } else { compiler_error(stderr) },
        timed_out: false,
        status: None,
    }
}

/// The panic message in the `---- NAME stdout ----` section: the lines after `panicked at`.
fn failure_message(stdout: &str, test: &str) -> Option<String> {
    let header = format!("---- {test} stdout ----");
    let section = stdout.split_once(&header)?.1;
    let mut lines = section.lines();
    let mut message = Vec::new();
    for line in lines.by_ref() {
        if line.contains("panicked at") {
            break;
        }
    }
    for line in lines {
        if line.starts_with("note: ") || line.starts_with("---- ") || line.trim() == "stack backtrace:" {
            break;
        }
        if line.trim().is_empty() && !message.is_empty() {
            break;
        }
        if message.len() < KEEP_LINES {
            message.push(line.trim_end());
        }
    }
    let message = message.join("\n").trim().to_string();
    (!message.is_empty()).then_some(message)
}

/// The first `error` diagnostic cargo printed, up to its blank line.
fn compiler_error(stderr: &str) -> Option<String> {
    let start = stderr
        .lines()
        .position(|l| l.starts_with("error[") || l.starts_with("error:"))?;
    let text: Vec<&str> = stderr
        .lines()
        .skip(start)
        .take_while(|l| !l.trim().is_empty())
        .take(KEEP_LINES)
        .collect();
    Some(text.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSED_AND_FAILED: &str = "
running 3 tests
test a_passes ... ok
test b_fails ... FAILED
test c_panics_in_the_solution ... FAILED

failures:

---- b_fails stdout ----

thread 'b_fails' (123) panicked at tests/checks.rs:10:5:
assertion `left == right` failed: alive at ttl - 1 ms
  left: None
 right: Some(\"a\")
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace

---- c_panics_in_the_solution stdout ----

thread 'c_panics_in_the_solution' (124) panicked at src/lib.rs:21:36:
attempt to shift left with overflow


failures:
    b_fails
    c_panics_in_the_solution

test result: FAILED. 1 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s
";

    #[test]
    fn passes_failures_and_their_panic_messages() {
        let run = read(PASSED_AND_FAILED, "");
        let summary: Vec<(&str, bool)> = run.outcomes.iter().map(|o| (o.test.as_str(), o.passed)).collect();
        assert_eq!(
            summary,
            [
                ("a_passes", true),
                ("b_fails", false),
                ("c_panics_in_the_solution", false)
            ]
        );
        assert_eq!(
            run.outcomes[1].message.as_deref(),
            Some("assertion `left == right` failed: alive at ttl - 1 ms\n  left: None\n right: Some(\"a\")")
        );
        assert_eq!(
            run.outcomes[2].message.as_deref(),
            Some("attempt to shift left with overflow")
        );
        assert_eq!(run.compile_error, None);
    }

    #[test]
    fn a_build_that_fails_gives_the_first_compiler_error() {
        let stderr = "   Compiling ttl_cache v0.1.0 (/tmp/x)\nerror[E0425]: cannot find value `x` in this scope\n --> src/lib.rs:3:5\n  |\n3 |     x\n  |     ^ not found in this scope\n\nerror: could not compile `ttl_cache`\n";
        let run = read("", stderr);
        assert!(run.outcomes.is_empty());
        assert_eq!(
            run.compile_error.as_deref(),
            Some("error[E0425]: cannot find value `x` in this scope\n --> src/lib.rs:3:5\n  |\n3 |     x\n  |     ^ not found in this scope")
        );
    }

    #[test]
    fn garbage_output_reads_as_nothing_ran() {
        let run = read("test ... \ntest x ... maybe\n---- x stdout ----", "warning: nothing");
        assert!(run.outcomes.is_empty());
        assert_eq!(run.compile_error, None);
    }
}
