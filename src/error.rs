//! Typed errors, and the one-line message every one of them becomes.
//!
//! The CLI prints `netlab: <what failed>: <why> (<what to do>)` and exits with
//! [`Error::exit_code`]. Library code returns these values; only `main.rs` prints them.

use std::path::PathBuf;

/// Exit code for a command that ran fine but whose answer is "no" (grep-like): an address
/// outside the network, no line matched.
pub const EXIT_NEGATIVE: i32 = 1;
/// Exit code for usage errors and bad input.
pub const EXIT_USAGE: i32 = 2;
/// Exit code for failures of the environment: files that cannot be read or written.
pub const EXIT_IO: i32 = 3;
/// Exit code for a network or protocol failure: a refused connection, a timeout, a TLS alert,
/// a malformed reply ([`crate::trace::Failure`]).
pub const EXIT_FAILED: i32 = 4;

/// Everything that can go wrong in netlab, each variant naming what was expected and what arrived.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A command-line argument that does not parse or does not make sense.
    #[error("{what}: {why} ({hint})")]
    Usage { what: String, why: String, hint: String },
    /// A token in an input file (or on standard input) that does not parse.
    #[error("{source_name}:{line}: {why} ({hint})")]
    Input {
        source_name: String,
        line: u64,
        why: String,
        hint: String,
    },
    /// Several problems found at once (every error in a lab file, say); one line each.
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Many(Vec<Error>),
    /// The network or a peer failed before the command had a trace to show (the failure, with
    /// its phase; engines that have a trace record it there instead).
    #[error("{0}")]
    Failed(crate::trace::Failure),
    /// A file or stream that could not be read or written.
    #[error("{}: {source} ({hint})", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
        hint: String,
    },
}

impl Error {
    /// A usage error: `what` is the offending token or flag, `why` what is wrong with it (text,
    /// or a typed error such as [`crate::dns::wire::NameError`]), `hint` what to do instead.
    pub fn usage(what: impl Into<String>, why: impl std::fmt::Display, hint: impl Into<String>) -> Self {
        Error::Usage {
            what: what.into(),
            why: why.to_string(),
            hint: hint.into(),
        }
    }

    /// An I/O error on `path` (use `-` for standard input or output).
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let hint = match source.kind() {
            std::io::ErrorKind::NotFound => "check the path",
            std::io::ErrorKind::PermissionDenied => "check the file's permissions",
            _ => "check the file and the disk",
        };
        Error::Io {
            path: path.into(),
            source,
            hint: hint.into(),
        }
    }

    /// The process exit code this error maps to.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage { .. } | Error::Input { .. } => EXIT_USAGE,
            Error::Io { .. } => EXIT_IO,
            Error::Failed(_) => EXIT_FAILED,
            Error::Many(errors) => errors.iter().map(Error::exit_code).max().unwrap_or(EXIT_USAGE),
        }
    }

    /// The line the CLI prints for this error (one line for each of [`Error::Many`]).
    pub fn one_line(&self) -> String {
        match self {
            Error::Many(errors) => errors.iter().map(Error::one_line).collect::<Vec<_>>().join("\n"),
            Error::Failed(f) => format!("netlab: {f} ({})", f.kind.hint()).replace(['\n', '\r'], " "),
            _ => format!("netlab: {self}").replace(['\n', '\r'], " "),
        }
    }
}

/// Result with netlab's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_error_is_one_line_with_hint() {
        let e = Error::usage("cidr 10.0.0.0/33", "prefix length 33 is longer than 32", "use 0-32");
        assert_eq!(
            e.one_line(),
            "netlab: cidr 10.0.0.0/33: prefix length 33 is longer than 32 (use 0-32)"
        );
        assert_eq!(e.exit_code(), EXIT_USAGE);
    }

    #[test]
    fn io_error_names_path_and_maps_to_exit_3() {
        let e = Error::io("/nope", std::io::Error::from(std::io::ErrorKind::NotFound));
        assert!(e.one_line().starts_with("netlab: /nope: "));
        assert!(e.one_line().ends_with("(check the path)"));
        assert_eq!(e.exit_code(), EXIT_IO);
    }
}
