//! The `netlab` binary: parse, run, exit. Everything else lives in the library.
//!
//! Start no thread before `app::run`: behind `--link` without root it unshares a user
//! namespace first, which the kernel allows only to a single-threaded process.

use std::io::{self, IsTerminal};

fn main() {
    let stdin = io::stdin();
    let mut stdin = stdin.lock();
    let stdout = io::stdout();
    let stdout_is_terminal = stdout.is_terminal();
    let mut stdout = stdout.lock();
    let mut stderr = io::stderr();
    let mut io = netlab::app::Io {
        stdin: &mut stdin,
        stdout: &mut stdout,
        stderr: &mut stderr,
        stdout_is_terminal,
        terminal_width: stdout_is_terminal.then(terminal_width).flatten(),
        no_color: std::env::var("NO_COLOR").ok(),
    };
    let code = netlab::app::run(std::env::args_os(), &mut io);
    std::process::exit(code);
}

/// The width of the terminal on stdout, as the kernel reports it (TIOCGWINSZ), or `COLUMNS`.
fn terminal_width() -> Option<usize> {
    let mut size = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one `winsize` into the struct it is given, which lives here.
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    match (ok, size.ws_col) {
        (true, cols) if cols > 0 => Some(usize::from(cols)),
        _ => std::env::var("COLUMNS").ok()?.parse().ok().filter(|c| *c > 0),
    }
}
