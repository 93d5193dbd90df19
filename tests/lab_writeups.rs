//! The labs' write-ups stay true: every `$ netlab ...` block in a lab README prints exactly what
//! netlab prints. (Exercises are checked by tests/labs.rs through `netlab lab check`.)

mod common;
use common::{netlab, repo};
use std::path::{Path, PathBuf};

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
            let out = netlab().args(&args).output().unwrap();
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
