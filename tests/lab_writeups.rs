//! The labs' write-ups stay true: every `$ netlab ...` block in a lab README prints exactly what
//! netlab prints, and every exercise's expected answer is what its command's trace holds.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn netlab(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_netlab"))
        .current_dir(repo())
        .env("NETLAB_OFFLINE", "1")
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .unwrap()
}

fn lab_readmes() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(repo().join("labs"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path().join("README.md")))
        .filter(|p| p.exists())
        .collect();
    out.sort();
    out
}

/// (line number, command words, expected output) of every console block.
fn console_blocks(path: &Path) -> Vec<(usize, Vec<String>, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() == "```console" {
            let command = lines[i + 1]
                .strip_prefix("$ netlab ")
                .unwrap_or_else(|| panic!("{}:{}: console blocks start with '$ netlab '", path.display(), i + 2));
            let mut j = i + 2;
            let mut expected = String::new();
            while lines[j].trim() != "```" {
                expected.push_str(lines[j]);
                expected.push('\n');
                j += 1;
            }
            blocks.push((
                i + 2,
                command.split_whitespace().map(str::to_string).collect(),
                expected,
            ));
            i = j;
        }
        i += 1;
    }
    blocks
}

#[test]
fn every_console_block_prints_what_netlab_prints() {
    let readmes = lab_readmes();
    assert!(!readmes.is_empty(), "labs/*/README.md must exist");
    let mut checked = 0;
    for readme in readmes {
        for (line, words, expected) in console_blocks(&readme) {
            let args: Vec<&str> = words.iter().map(String::as_str).collect();
            let out = netlab(&args);
            let got = String::from_utf8_lossy(&out.stdout);
            assert_eq!(
                got,
                expected,
                "{}:{line}: output of 'netlab {}' differs (run labs/refresh-outputs.py)",
                readme.display(),
                words.join(" ")
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} console blocks found");
}

/// Reads `trace` (a JSON pointer, or len(POINTER)) from a trace, as text.
fn read_trace(value: &serde_json::Value, trace: &str) -> Option<String> {
    if let Some(pointer) = trace.strip_prefix("len(").and_then(|t| t.strip_suffix(')')) {
        return value.pointer(pointer)?.as_array().map(|a| a.len().to_string());
    }
    Some(match value.pointer(trace)? {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(true) => "yes".to_string(),
        serde_json::Value::Bool(false) => "no".to_string(),
        other => other.to_string(),
    })
}

#[test]
fn every_exercise_answer_is_in_its_commands_trace() {
    let text = std::fs::read_to_string(repo().join("labs/04-cidr/exercises.toml")).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap();
    let exercises = doc["exercise"].as_array().unwrap();
    assert!(exercises.len() >= 10);
    let mut ids = std::collections::HashSet::new();
    for ex in exercises {
        let id = ex["id"].as_str().unwrap();
        assert!(ids.insert(id.to_string()), "duplicate id {id}");
        let answer = ex["answer"].as_str().unwrap();
        assert!(
            ex.get("question")
                .and_then(|q| q.as_str())
                .is_some_and(|q| !q.is_empty()),
            "{id}: question"
        );
        assert!(
            ex.get("explanation").and_then(|q| q.as_str()).is_some(),
            "{id}: explanation"
        );
        let Some(command) = ex.get("command").and_then(|c| c.as_str()) else {
            assert!(ex.get("trace").is_none(), "{id}: a trace path needs a command");
            continue;
        };
        let words: Vec<&str> = command.strip_prefix("netlab ").unwrap().split_whitespace().collect();
        let out = netlab(&words);
        let trace: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{id}: {command}: {e}"));
        let got = read_trace(&trace, ex["trace"].as_str().unwrap());
        assert_eq!(got.as_deref(), Some(answer), "{id}: {command}");
    }
}
