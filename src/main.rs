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
        no_color: std::env::var("NO_COLOR").ok(),
    };
    let code = netlab::app::run(std::env::args_os(), &mut io);
    std::process::exit(code);
}
