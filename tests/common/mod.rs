//! Helpers shared by the integration tests: the netlab command every test runs, the traces it
//! prints with `--json`, and the events in them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

/// The repository root: where the labs, captures and test data are.
#[allow(dead_code)]
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The netlab binary under test, run from the repository, offline (`NETLAB_OFFLINE=1`: nothing
/// but loopback can be reached), without colour (`NO_COLOR=1`), 100 columns wide for help text,
/// and killed after a minute.
#[allow(dead_code)]
pub fn netlab() -> Command {
    let mut cmd = Command::cargo_bin("netlab").unwrap();
    cmd.env("NETLAB_OFFLINE", "1")
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .current_dir(repo())
        .timeout(Duration::from_secs(60));
    cmd
}

/// [`netlab`] with its lab progress in `home` (`NETLAB_HOME`) and the built-in labs
/// (`NETLAB_LABS` unset).
#[allow(dead_code)]
pub fn netlab_home(home: &Path) -> Command {
    let mut cmd = netlab();
    cmd.env("NETLAB_HOME", home).env_remove("NETLAB_LABS");
    cmd
}

/// Runs `netlab --json ARGS`: the trace it printed, and its exit code. Panics, with the
/// arguments and standard error, when standard output is not JSON.
#[allow(dead_code)]
pub fn trace(args: &[&str]) -> (Value, i32) {
    let out = netlab().arg("--json").args(args).output().unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "netlab --json {}: {e}: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (v, out.status.code().unwrap())
}

/// Starts `netlab --json [global...] sandbox up --for SECONDS` with its files in `home`, and
/// returns the running process and the directory it printed (its first line).
#[allow(dead_code)]
pub fn sandbox_up(global: &[&str], seconds: u32, home: &Path) -> (std::process::Child, Value) {
    use std::io::Read;
    let mut up = std::process::Command::new(env!("CARGO_BIN_EXE_netlab"))
        .args(global)
        .args(["--json", "sandbox", "up", "--for", &seconds.to_string()])
        .env("NETLAB_OFFLINE", "1")
        .env("NETLAB_HOME", home)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Byte by byte, so nothing after the first line is read ahead: the child keeps its stdout
    // for whoever wants what it prints when it stops.
    let stdout = up.stdout.as_mut().unwrap();
    let mut bytes = Vec::new();
    let mut byte = [0u8];
    while stdout.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
        bytes.push(byte[0]);
    }
    let line = String::from_utf8_lossy(&bytes);
    let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    (up, v)
}

/// The trace's events of one type (`"tls.message"`, `"http.frame"`, ...), in order.
#[allow(dead_code)]
pub fn of_type<'a>(v: &'a Value, ty: &str) -> Vec<&'a Value> {
    v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == ty)
        .collect()
}

/// A full TLS 1.3 handshake's messages, in order (RFC 8446 §2).
#[allow(dead_code)]
pub const FULL_HANDSHAKE: [&str; 7] = [
    "ClientHello",
    "ServerHello",
    "EncryptedExtensions",
    "Certificate",
    "CertificateVerify",
    "Finished",
    "Finished",
];

/// Runs `check` on every item, even after one fails (an insta snapshot mismatch panics), then fails
/// naming each item whose check failed: one run shows every changed snapshot.
#[allow(dead_code)]
pub fn check_each<T>(items: impl IntoIterator<Item = (String, T)>, check: impl Fn(&str, T)) {
    let failed: Vec<String> = items
        .into_iter()
        .filter_map(|(name, item)| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&name, item)))
                .err()
                .map(|_| name)
        })
        .collect();
    assert!(failed.is_empty(), "{} failed: {}", failed.len(), failed.join(", "));
}
