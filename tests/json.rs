//! `--json` on every command: each writes valid JSON with its schema, or refuses the flag with a
//! one-line usage error (exit 2), and docs/json.md lists every schema and event type the source
//! has (and none it does not).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// netlab offline, with its files in `home`.
fn netlab(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("netlab").unwrap();
    cmd.env("NETLAB_OFFLINE", "1")
        .env("NETLAB_HOME", home)
        .env("NO_COLOR", "1")
        .env_remove("NETLAB_LABS")
        .current_dir(repo())
        .timeout(std::time::Duration::from_secs(60));
    cmd
}

/// `netlab --json ARGS`: the exit code and standard output parsed as one JSON document.
fn json(home: &Path, args: &[&str]) -> (i32, Value) {
    let out = netlab(home).arg("--json").args(args).output().unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: {e}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), v)
}

/// `netlab --json ARGS` whose standard output is JSON Lines.
fn json_lines(home: &Path, args: &[&str]) -> (i32, Vec<Value>) {
    let out = netlab(home).arg("--json").args(args).output().unwrap();
    let lines = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{args:?}: {e}: {l}")))
        .collect();
    (out.status.code().unwrap(), lines)
}

#[test]
fn every_trace_command_writes_its_schema() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    for (args, schema, command) in [
        (&["cidr", "info", "10.0.0.0/8"][..], "netlab.cidr/1", "cidr info"),
        (&["dns", "www.example.com", "--sandbox"], "netlab.dns/1", "dns walk"),
        (&["tls", "www.example.com", "--sandbox"], "netlab.tls/1", "tls"),
        (
            &["http", "https://www.example.com/", "--sandbox"],
            "netlab.http/1",
            "http",
        ),
        (
            &["tcp", "www.example.com:9", "--sandbox", "--send", "1000"],
            "netlab.packet/1",
            "tcp",
        ),
        (&["pcap", "captures/dns-walk.pcap"], "netlab.packet/1", "pcap"),
    ] {
        let (code, v) = json(home, args);
        assert_eq!(code, 0, "{args:?}: {v}");
        assert_eq!(
            (v["schema"].as_str(), v["command"].as_str()),
            (Some(schema), Some(command)),
            "{args:?}"
        );
        assert_eq!(v["outcome"]["status"], "ok", "{args:?}");
        assert!(!v["events"].as_array().unwrap().is_empty(), "{args:?}");
    }
}

#[test]
fn dns_short_with_json_writes_the_whole_trace() {
    let home = tempfile::tempdir().unwrap();
    let (code, v) = json(home.path(), &["dns", "www.example.com", "--sandbox", "--short"]);
    assert_eq!(code, 0);
    assert_eq!(v["schema"], "netlab.dns/1");
    assert!(v["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["type"] == "dns.summary"));
    // Without --json, the answers alone.
    let out = netlab(home.path())
        .args(["dns", "www.example.com", "--sandbox", "--short"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "cdn.example.net.\n192.0.2.80\n");
}

#[test]
fn http_body_to_stdout_puts_the_json_trace_on_stderr() {
    let home = tempfile::tempdir().unwrap();
    let out = netlab(home.path())
        .args([
            "--json",
            "http",
            "https://www.example.com/bytes/300",
            "--sandbox",
            "-o",
            "-",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.stdout.len(), 300, "the body, and only the body, on stdout");
    let v: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(v["schema"], "netlab.http/1");
}

#[test]
fn streams_write_their_schema() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("a.log");
    std::fs::write(&log, "10.0.0.1 in\n192.0.2.1 out\n").unwrap();
    let (code, lines) = json_lines(
        home.path(),
        &["cidr", "match", "-e", "10.0.0.0/8", log.to_str().unwrap()],
    );
    assert_eq!(code, 0);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["type"], "cidr.match.line");
    assert_eq!(lines[1]["schema"], "netlab.cidr.match/1");
    // A capture file: one trace whose events were streamed, the frames first.
    let types = |args: &[&str]| -> Vec<String> {
        let (code, v) = json(home.path(), args);
        assert_eq!(code, 0);
        let events = v["events"].as_array().unwrap();
        events.iter().map(|e| e["type"].as_str().unwrap().to_string()).collect()
    };
    let all = types(&["pcap", "captures/tcp-handshake.pcap", "--streams"]);
    assert_eq!(all[all.len() - 2..], ["packet.stream", "packet.summary"], "{all:?}");
    assert!(all[..all.len() - 2].iter().all(|t| t == "packet.frame"), "{all:?}");
    let two = types(&["pcap", "captures/tcp-handshake.pcap", "-c", "2"]);
    assert_eq!(two, ["packet.frame", "packet.frame", "packet.summary"], "-c 2");
}

#[test]
fn a_damaged_capture_is_a_negative_outcome_in_json_too() {
    let home = tempfile::tempdir().unwrap();
    let pcap = std::fs::read(repo().join("captures/dns-walk.pcap")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.pcap");
    // The global header (24 octets), the first record whole, then half of a record header.
    let first = 24 + 16 + u32::from_le_bytes(pcap[24 + 8..24 + 12].try_into().unwrap()) as usize;
    std::fs::write(&cut, &pcap[..first + 8]).unwrap();
    let (code, v) = json(home.path(), &["pcap", cut.to_str().unwrap()]);
    // The trace is whole; the command's one-line error (on stderr) makes the exit 2, bad input.
    assert_eq!(code, 2, "{v}");
    assert_eq!(v["outcome"]["status"], "negative");
    assert_eq!(
        v["outcome"]["reason"],
        "the file ends inside frame 2's record header (at byte offset 126); frame 1 decoded"
    );
    let summary = v["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(summary["frames_read"], 1);
    assert_eq!(summary["error"], v["outcome"]["reason"]);
}

#[test]
fn capture_writes_a_packet_trace() {
    let home = tempfile::tempdir().unwrap();
    let out = netlab(home.path())
        .args(["--json", "capture", "-i", "lo", "--for", "0.5"])
        .output()
        .unwrap();
    if out.status.code() == Some(2) {
        // Not root: the one-line error that names the fix.
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains("needs root or CAP_NET_RAW") && err.lines().count() == 1,
            "{err}"
        );
        assert!(std::env::var_os("CI").is_none(), "CI runs as root");
        return;
    }
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["schema"].as_str(), v["command"].as_str()),
        (Some("netlab.packet/1"), Some("capture"))
    );
    assert_eq!(
        v["events"].as_array().unwrap().last().unwrap()["type"],
        "packet.summary"
    );
}

#[test]
fn lab_commands_write_their_reports() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    for args in [&["lab", "list"][..], &["lab", "progress"]] {
        let (code, v) = json(home, args);
        assert_eq!(code, 0);
        assert_eq!(v["schema"], "netlab.lab.progress/1");
        assert_eq!(v["progress"]["schema"], "netlab.progress/1");
        let cidr = v["labs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == "04-cidr")
            .unwrap();
        assert_eq!((cidr["questions"].as_u64(), cidr["done"].as_u64()), (Some(17), Some(0)));
    }
    let (code, v) = json(home, &["lab", "progress", "04-cidr"]);
    assert_eq!(code, 0);
    assert_eq!(v["schema"], "netlab.lab.standing/1");
    assert_eq!(v["resume_at"]["step"], 1);
    assert_eq!(v["steps"][0]["questions"][0]["standing"], "open");
    let (code, v) = json(home, &["lab", "show", "04-cidr"]);
    assert_eq!(code, 0);
    assert_eq!(v["schema"], "netlab.lab/1");
    assert!(v["readme"].as_str().unwrap().starts_with("# Lab 04"), "{}", v["readme"]);
    let first = &v["steps"][0];
    assert_eq!(first["questions"][0]["kind"], "yesno");
    assert!(
        !v.to_string().contains("\"check\"") && first["questions"][0].get("hints").is_none(),
        "no answers or hints in lab show"
    );
    let (code, v) = json(home, &["lab", "hint", "04-cidr"]);
    assert_eq!(code, 0);
    assert_eq!(v["schema"], "netlab.lab.hint/1");
    assert!(v["hint"].as_str().is_some_and(|h| !h.is_empty()), "{v}");
    let answers = repo().join("tests/labs/04-cidr.answers.toml");
    let (code, v) = json(
        home,
        &["lab", "check", "04-cidr", "--answers", answers.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["schema"], "netlab.lab.check/1");
    assert_eq!(v["right"], v["total"]);
    let (code, v) = json(home, &["lab", "reset", "04-cidr"]);
    assert_eq!(code, 0);
    assert_eq!(
        (v["schema"].as_str(), v["had_progress"].as_bool()),
        (Some("netlab.lab.reset/1"), Some(true))
    );
}

#[test]
fn lab_start_refuses_json_in_one_line() {
    let home = tempfile::tempdir().unwrap();
    let out = netlab(home.path())
        .args(["--json", "lab", "start", "04-cidr"])
        .write_stdin("yes\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("netlab: --json: lab start is a conversation"), "{err}");
    assert!(
        !home.path().join("progress.json").exists(),
        "refused before anything was done"
    );
}

#[test]
fn sandbox_up_writes_its_directory_once_and_it_works() {
    let home = tempfile::tempdir().unwrap();
    let (mut up, v) = common::sandbox_up(&[], 30, home.path());
    assert_eq!(v["schema"], "netlab.sandbox/1");
    assert_eq!(v["name_servers"][0]["virtual_address"], "198.51.100.1:53");
    for file in ["ca", "client_cert", "client_key"] {
        assert!(Path::new(v[file].as_str().unwrap()).exists(), "{file}: {v}");
    }
    let www = v["tls_hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["names"].as_array().unwrap().iter().any(|n| n == "www.example.com"))
        .unwrap();
    let socket = www["socket"].as_str().unwrap().to_string();
    // The directory is enough to reach a host: its socket, its name, the CA.
    let (code, trace) = json(
        home.path(),
        &[
            "tls",
            &socket,
            "--sni",
            "www.example.com",
            "--cacert",
            v["ca"].as_str().unwrap(),
        ],
    );
    let _ = up.kill();
    let _ = up.wait();
    assert_eq!(code, 0, "{trace}");
    assert_eq!(trace["outcome"]["status"], "ok");
}

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push((path.clone(), std::fs::read_to_string(&path).unwrap()));
        }
    }
}

/// Every `netlab.NAME/N` written in `text`.
fn schemas_in(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in text.match_indices("netlab.") {
        let rest = &text[at + "netlab.".len()..];
        let name_len = rest
            .find(|c: char| !(c.is_ascii_lowercase() || c == '.' || c == '_'))
            .unwrap_or(rest.len());
        let (name, rest) = rest.split_at(name_len);
        let Some(rest) = rest.strip_prefix('/') else { continue };
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if !name.is_empty() && !name.ends_with('.') && digits > 0 {
            found.insert(format!("netlab.{name}/{}", &rest[..digits]));
        }
    }
    found
}

/// The schemas of the source: those spelled out, and those `TraceBuilder::new(DOMAIN, ..)`
/// makes (`netlab.DOMAIN/1`), with DOMAIN a literal or a `const` of the same file.
fn source_schemas() -> BTreeSet<String> {
    let mut files = Vec::new();
    sources(&repo().join("src"), &mut files);
    let mut found = BTreeSet::new();
    for (_, text) in &files {
        found.extend(schemas_in(text));
        for (at, _) in text.match_indices("TraceBuilder::new(") {
            let arg = &text[at + "TraceBuilder::new(".len()..];
            let domain = if let Some(quoted) = arg.strip_prefix('"') {
                quoted[..quoted.find('"').unwrap()].to_string()
            } else {
                let ident = &arg[..arg.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap()];
                let decl = format!("const {ident}: &str = \"");
                let value = &text[text.find(&decl).unwrap_or_else(|| panic!("const {ident}")) + decl.len()..];
                value[..value.find('"').unwrap()].to_string()
            };
            found.insert(format!("netlab.{domain}/1"));
        }
    }
    found
}

/// Every event type the source tags events with: `#[serde(rename = "domain.name")]`.
fn source_event_types() -> BTreeSet<String> {
    let mut files = Vec::new();
    sources(&repo().join("src"), &mut files);
    let mut found = BTreeSet::new();
    for (_, text) in &files {
        for (at, _) in text.match_indices("rename = \"") {
            let value = &text[at + "rename = \"".len()..];
            let value = &value[..value.find('"').unwrap()];
            let (domain, name) = value.split_once('.').unwrap_or(("", ""));
            let lower = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == '.');
            if lower(domain) && lower(name) {
                found.insert(value.to_string());
            }
        }
    }
    found
}

#[test]
fn docs_json_lists_every_schema_and_event_type() {
    let docs = std::fs::read_to_string(repo().join("docs/json.md")).unwrap();
    let schemas = source_schemas();
    for expected in [
        "netlab.cidr/1",
        "netlab.cidr.match/1",
        "netlab.dns/1",
        "netlab.tls/1",
        "netlab.tls.serve/1",
        "netlab.http/1",
        "netlab.packet/1",
        "netlab.sandbox/1",
        "netlab.lab/1",
        "netlab.lab.progress/1",
        "netlab.lab.check/1",
        "netlab.progress/1",
    ] {
        assert!(schemas.contains(expected), "the scan finds {expected}: {schemas:?}");
    }
    for schema in &schemas {
        assert!(
            docs.contains(&format!("`{schema}`")),
            "docs/json.md does not list {schema}"
        );
    }
    for schema in schemas_in(&docs) {
        assert!(
            schemas.contains(&schema),
            "docs/json.md lists {schema}, which the source does not have"
        );
    }
    let types = source_event_types();
    assert!(
        types.contains("packet.frame") && types.contains("tls.listening"),
        "{types:?}"
    );
    for ty in &types {
        assert!(
            docs.contains(&format!("`{ty}`")),
            "docs/json.md does not list the event type {ty}"
        );
    }
}

#[test]
fn no_json_is_built_by_hand() {
    let mut files = Vec::new();
    sources(&repo().join("src"), &mut files);
    for (path, text) in &files {
        for (n, line) in text.lines().enumerate() {
            let hand_built = line.contains("json!(")
                || (line.contains("format!") && (line.contains("\\\"schema") || line.contains("{{\\\"")));
            assert!(!hand_built, "{}:{}: JSON built by hand: {line}", path.display(), n + 1);
        }
    }
}
