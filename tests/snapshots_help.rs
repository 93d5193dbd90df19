//! Snapshots of `--help` for netlab and every subcommand, taken from clap's own command tree, so
//! a new command gets a snapshot without anyone listing it here.
//!
//! The binary wraps help at the terminal's width (clap's `wrap_help`: the terminal, else
//! $COLUMNS, else 100 columns). Here the width is fixed at 100, whatever the terminal or $COLUMNS
//! says, and the binary is checked to print the same text when it gets 100 columns.

mod common;

use clap::CommandFactory;
use netlab::cli::Cli;

const WIDTH: usize = 100;

/// Every visible command, as (path, its long help), depth first: ("netlab", ...),
/// ("netlab cidr", ...), ("netlab cidr contains", ...), ...
fn every_help() -> Vec<(Vec<String>, String)> {
    every_help_at(WIDTH)
}

fn every_help_at(width: usize) -> Vec<(Vec<String>, String)> {
    let mut root = Cli::command().term_width(width);
    // Propagates the width, the global flags and the "netlab cidr ..." usage names to subcommands.
    root.build();
    let mut out = Vec::new();
    let mut path = vec![root.get_name().to_string()];
    walk(&mut root, &mut path, &mut out);
    out
}

fn walk(cmd: &mut clap::Command, path: &mut Vec<String>, out: &mut Vec<(Vec<String>, String)>) {
    out.push((path.clone(), cmd.render_long_help().to_string()));
    for sub in cmd.get_subcommands_mut() {
        // clap's own `help` subcommand mirrors the tree; it is not one of netlab's.
        if sub.get_name() == "help" || sub.is_hide_set() {
            continue;
        }
        path.push(sub.get_name().to_string());
        walk(sub, path, out);
        path.pop();
    }
}

#[test]
fn every_command_help_as_its_snapshot() {
    let helps = every_help();
    common::check_each(
        helps.into_iter().map(|(path, help)| (path.join("-"), help)),
        |name, help| {
            insta::assert_snapshot!(format!("help@{name}"), help);
        },
    );
}

#[test]
fn the_tree_has_every_command() {
    let paths: Vec<String> = every_help().into_iter().map(|(p, _)| p.join(" ")).collect();
    for expected in [
        "netlab",
        "netlab cidr contains",
        "netlab cidr match",
        "netlab dns",
        "netlab tls serve",
        "netlab http",
        "netlab pcap",
        "netlab capture",
        "netlab tcp",
        "netlab sandbox up",
        "netlab lab reset",
    ] {
        assert!(paths.iter().any(|p| p == expected), "{expected} missing from {paths:?}");
    }
}

/// What the snapshots hold is what `netlab ... --help` prints on a 100-column terminal.
#[test]
fn the_binary_prints_the_snapshotted_help() {
    common::check_each(
        every_help()
            .into_iter()
            .map(|(path, help)| (path.join(" "), (path, help))),
        |name, (path, help)| {
            let out = common::netlab().args(&path[1..]).arg("--help").output().unwrap();
            assert!(
                out.status.success(),
                "{name} --help: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let printed = String::from_utf8(out.stdout).unwrap();
            assert!(
                printed == help,
                "{name} --help prints other text than its snapshot:\n{printed}"
            );
        },
    );
}

/// $COLUMNS does not change the snapshots' text (the binary does follow it).
#[test]
fn the_width_is_fixed_whatever_columns_says() {
    let before = every_help();
    let wide = common::netlab()
        .env("COLUMNS", "200")
        .args(["dns", "--help"])
        .output()
        .unwrap();
    assert_ne!(
        String::from_utf8(wide.stdout).unwrap(),
        before.iter().find(|(p, _)| p.join(" ") == "netlab dns").unwrap().1,
        "the binary should wrap at $COLUMNS when there is no terminal"
    );
    assert!(before
        .iter()
        .all(|(_, help)| help.lines().all(|l| l.chars().count() <= WIDTH)));
}

/// Help is wrapped by clap at the terminal's width, not by hand: at 80 columns no prose line is
/// broken early, a line that the next line's first word would still have fitted on.
#[test]
fn help_prose_is_wrapped_by_clap_not_by_hand() {
    const NARROW: usize = 80;
    for (path, help) in every_help_at(NARROW) {
        let lines: Vec<&str> = help.lines().collect();
        for pair in lines.windows(2) {
            let (line, next) = (pair[0], pair[1]);
            // Prose: lines that start at the margin (examples and option lists are indented).
            let prose = |l: &str| !l.is_empty() && !l.starts_with(' ');
            if !(prose(line) && prose(next)) || line.ends_with(':') {
                continue;
            }
            let first_word = next.split_whitespace().next().unwrap_or("");
            assert!(
                line.chars().count() + 1 + first_word.chars().count() > NARROW,
                "{}: a line broken by hand at 80 columns:\n{line}\n{next}",
                path.join(" ")
            );
        }
    }
}
