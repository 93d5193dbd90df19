//! Snapshots of the text renderer on fixed traces, one or more per command family, so that a
//! change to a renderer shows in review as a change to `tests/snapshots/`.
//!
//! The traces are recorded once from the sandbox by `tests/fixtures/record.sh` (the list is
//! `tests/fixtures/traces/MANIFEST`) and normalised (`tests/common/normalise.rs`): they are fixed
//! data, so a snapshot changes only when a renderer (or the trace's shape) does. `netlab pcap -v`,
//! whose every-layer view the plain renderer does not draw, is snapshotted from the binary: its
//! inputs, the captures in `captures/`, are fixed files too.

mod common;
#[path = "common/normalise.rs"]
mod normalise;

use std::path::{Path, PathBuf};

use netlab::render::{text, RenderOpts};
use netlab::trace::{Event, Trace};
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn traces_dir() -> PathBuf {
    root().join("tests/fixtures/traces")
}

/// MANIFEST's lines: a fixture's name and the arguments that recorded it.
fn manifest() -> Vec<(String, Vec<String>)> {
    let text = std::fs::read_to_string(traces_dir().join("MANIFEST")).unwrap();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut words = l.split_whitespace().map(str::to_string);
            let name = words.next().unwrap();
            (name, words.collect())
        })
        .collect()
}

fn fixture_path(name: &str) -> PathBuf {
    traces_dir().join(format!("{name}.json"))
}

fn fixture_value(name: &str) -> Value {
    let path = fixture_path(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (record it with tests/fixtures/record.sh {name})",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixture(name: &str) -> Trace {
    trace_from(fixture_value(name))
        .unwrap_or_else(|e| panic!("{name}.json is not a netlab trace (any more?): {e}; re-record it"))
}

/// A trace from its JSON, event by event. Not `serde_json::from_value::<Trace>`: the events
/// tls.record, tls.message, http.frame and packet.tcp_info have an `at_us` of their own beside the
/// event's, so `--json` prints that key twice, which serde refuses ("duplicate field `at_us`") and
/// a JSON value keeps once. Here each event's kind is read from the event's object (the last
/// `at_us`, its own), and so is the event's `at_us`, which no renderer reads.
fn trace_from(v: Value) -> Result<Trace, String> {
    let events = v["events"].as_array().ok_or("no events")?;
    let events = events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let why = |what: &str| format!("event {i} ({}): {what}", e["type"]);
            Ok(Event {
                at_us: e["at_us"].as_u64().ok_or_else(|| why("no at_us"))?,
                kind: serde_json::from_value(e.clone()).map_err(|err| why(&err.to_string()))?,
                notes: match e.get("notes") {
                    Some(n) => serde_json::from_value(n.clone()).map_err(|err| why(&err.to_string()))?,
                    None => Vec::new(),
                },
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Trace {
        schema: v["schema"].as_str().ok_or("no schema")?.to_string(),
        command: v["command"].as_str().ok_or("no command")?.to_string(),
        events,
        outcome: serde_json::from_value(v["outcome"].clone()).map_err(|e| format!("outcome: {e}"))?,
    })
}

#[test]
fn every_fixture_renders_as_its_snapshot() {
    common::check_each(manifest(), |name, _args| {
        let rendered = text(&fixture(name), &RenderOpts::plain());
        insta::assert_snapshot!(format!("render@{name}"), rendered);
    });
}

/// Each fixture is in its normal form, so a re-recording shows only real changes. With
/// NETLAB_NORMALISE_FIXTURES=1 (record.sh sets it) this rewrites them in that form instead.
#[test]
fn fixtures_are_normalised() {
    let rewrite = std::env::var("NETLAB_NORMALISE_FIXTURES").is_ok_and(|v| v == "1");
    common::check_each(manifest(), |name, _args| {
        let recorded = fixture_value(name);
        let mut normal = recorded.clone();
        normalise::normalise(&mut normal);
        if rewrite {
            // Through Trace, so the fields come in the order `--json` prints them.
            let trace = trace_from(normal).unwrap();
            let mut out = serde_json::to_string_pretty(&trace).unwrap();
            out.push('\n');
            std::fs::write(fixture_path(name), out).unwrap();
        } else {
            assert!(
                recorded == normal,
                "{name}.json is not normalised: run tests/fixtures/record.sh {name}"
            );
        }
    });
}

#[test]
fn manifest_and_fixture_files_agree() {
    let listed: Vec<String> = manifest().into_iter().map(|(name, _)| name).collect();
    let mut on_disk: Vec<String> = std::fs::read_dir(traces_dir())
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".json").map(str::to_string)
        })
        .collect();
    on_disk.sort();
    let mut sorted = listed.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), listed.len(), "a name is listed twice in MANIFEST");
    assert_eq!(
        sorted, on_disk,
        "MANIFEST and the .json files in tests/fixtures/traces differ"
    );
}

/// `netlab pcap` streams its output and never builds a Trace: its text must still be what the
/// renderer makes of its `--json` trace, or the pcap snapshots above would not show what it prints.
#[test]
fn pcap_prints_what_the_renderer_makes_of_its_trace() {
    let pcaps: Vec<_> = manifest().into_iter().filter(|(_, args)| args[0] == "pcap").collect();
    assert!(!pcaps.is_empty());
    common::check_each(pcaps, |name, args| {
        let out = common::netlab().current_dir(root()).args(args).output().unwrap();
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let printed = String::from_utf8(out.stdout).unwrap();
        assert!(
            printed == text(&fixture(name), &RenderOpts::plain()),
            "{name}: netlab pcap prints other text than the renderer makes of the fixture"
        );
    });
}

/// `netlab pcap -v` (every layer, QUIC Initial decryption step by step) of every capture.
#[test]
fn every_capture_verbose_as_its_snapshot() {
    let mut captures: Vec<(String, PathBuf)> = std::fs::read_dir(root().join("captures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    captures.sort();
    assert!(!captures.is_empty());
    common::check_each(captures, |name, path| {
        let relative = path.strip_prefix(root()).unwrap();
        let out = common::netlab()
            .current_dir(root())
            .args(["pcap", "-v"])
            .arg(relative)
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        insta::assert_snapshot!(format!("pcap-verbose@{name}"), String::from_utf8(out.stdout).unwrap());
    });
}
