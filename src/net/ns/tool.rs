//! The tools netlab runs inside a namespace of its own: `ip`, `nft`, `xdp-filter`, `bird`. Their
//! failures become one line naming the tool, its first complaint, and the package to install.

use std::io::Write;
use std::process::{Child, Stdio};

use crate::error::Error;
use crate::net::ns::Namespace;

/// A tool netlab runs, and the Debian package that has it.
#[derive(Debug, Clone, Copy)]
pub struct Tool {
    pub program: &'static str,
    pub package: &'static str,
}

pub const NFT: Tool = Tool {
    program: "nft",
    package: "nftables",
};
pub const XDP_FILTER: Tool = Tool {
    program: "xdp-filter",
    package: "xdp-tools",
};
pub const UNSHARE: Tool = Tool {
    program: "unshare",
    package: "util-linux",
};
pub const IP: Tool = Tool {
    program: "ip",
    package: "iproute2",
};
pub const BIRD: Tool = Tool {
    program: "bird",
    package: "bird2",
};

impl Tool {
    /// Whether the program is on `PATH`.
    pub fn installed(self) -> bool {
        std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(self.program).is_file()))
    }

    /// The error for a missing program.
    pub fn missing(self) -> Error {
        Error::Io {
            path: self.program.into(),
            source: std::io::ErrorKind::NotFound.into(),
            hint: format!("install {} (apt-get install {})", self.package, self.package),
        }
    }

    /// Starts `program args` inside `ns`, its standard streams piped.
    pub fn spawn(self, ns: &Namespace, args: &[&str]) -> Result<Child, Error> {
        ns.command(self.program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => self.missing(),
                _ => crate::net::ns::sys_error(self.program, e),
            })
    }

    /// Runs `program args` inside `ns` with `input` on its standard input; its standard output.
    pub fn run(self, ns: &Namespace, args: &[&str], input: &str) -> Result<String, Error> {
        let mut child = self.spawn(ns, args)?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(input.as_bytes())
                .map_err(|e| crate::net::ns::sys_error(self.program, e))?;
        }
        self.finish(child)
    }

    /// Waits for a started tool: its standard output, or its first complaint as the error.
    pub fn finish(self, child: Child) -> Result<String, Error> {
        let output = child
            .wait_with_output()
            .map_err(|e| crate::net::ns::sys_error(self.program, e))?;
        if output.status.success() {
            return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
        }
        let why = first_complaint(&String::from_utf8_lossy(&output.stderr));
        Err(Error::Io {
            path: format!("{} {}", self.program, "(in netlab's namespace)").into(),
            source: std::io::Error::other(why),
            hint: format!("the kernel or {} refused it", self.package),
        })
    }
}

/// The first non-empty line a tool wrote to its standard error, or "failed".
pub fn first_complaint(stderr: &str) -> String {
    stderr
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("failed")
        .to_string()
}
