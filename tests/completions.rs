//! `netlab completions` and `netlab man`: generated from the clap definitions, they name every
//! command and flag there is, and the shells (and man) accept what is generated.

mod common;
use common::netlab;
use std::process::Command;

fn stdout_of(args: &[&str]) -> String {
    let out = netlab().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "netlab {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const COMMANDS: &[&str] = &[
    "cidr",
    "dns",
    "tls",
    "http",
    "pcap",
    "capture",
    "tcp",
    "edge",
    "sandbox",
    "lab",
    "completions",
    "man",
];

#[test]
fn bash_completion_loads_and_completes_commands_and_flags() {
    let script = stdout_of(&["completions", "bash"]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("netlab.bash");
    std::fs::write(&path, &script).unwrap();
    // Load the script in a real bash and ask it to complete `netlab ` and `netlab http --h`.
    let probe = format!(
        r#"source {p}
complete -p netlab
COMP_WORDS=(netlab ""); COMP_CWORD=1; COMP_LINE="netlab "; COMP_POINT=${{#COMP_LINE}}
_netlab netlab "" netlab; echo "top: ${{COMPREPLY[*]}}"
COMP_WORDS=(netlab http --h); COMP_CWORD=2; COMP_LINE="netlab http --h"; COMP_POINT=${{#COMP_LINE}}
_netlab netlab --h http; echo "http: ${{COMPREPLY[*]}}""#,
        p = path.display()
    );
    let out = Command::new("bash").args(["--norc", "-c", &probe]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "bash refused the script: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("-F _netlab netlab"), "{text}");
    let top = text.lines().find(|l| l.starts_with("top: ")).unwrap();
    for c in COMMANDS {
        assert!(top.split_whitespace().any(|w| w == *c), "{c} not offered: {top}");
    }
    let http = text.lines().find(|l| l.starts_with("http: ")).unwrap();
    for flag in ["--h2", "--h3", "--header", "--head"] {
        assert!(http.split_whitespace().any(|w| w == flag), "{flag} not offered: {http}");
    }
}

#[test]
fn zsh_and_fish_scripts_name_the_commands() {
    let zsh = stdout_of(&["completions", "zsh"]);
    assert!(zsh.starts_with("#compdef netlab"), "{}", &zsh[..40.min(zsh.len())]);
    let fish = stdout_of(&["completions", "fish"]);
    for c in COMMANDS {
        assert!(zsh.contains(&format!("'{c}:")), "zsh lacks {c}");
        assert!(fish.contains(&format!("-a \"{c}\"")), "fish lacks {c}");
    }
    netlab().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn man_pages_for_netlab_and_each_command() {
    let page = stdout_of(&["man"]);
    assert!(page.contains(".TH netlab 1"), "{}", &page[..80.min(page.len())]);
    for c in COMMANDS {
        assert!(
            page.contains(&format!("netlab\\-{c}(1)")),
            "netlab(1) does not refer to netlab-{c}(1)"
        );
    }
    let dns = stdout_of(&["man", "dns"]);
    assert!(dns.contains(".TH netlab-dns 1"), "{}", &dns[..80.min(dns.len())]);
    assert!(dns.contains("\\-\\-dnssec"), "netlab-dns(1) lacks --dnssec");
    netlab()
        .args(["man", "dnss"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is not a netlab command"));

    let dir = tempfile::tempdir().unwrap();
    let listed = stdout_of(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(listed.lines().count(), COMMANDS.len() + 1);
    for c in COMMANDS {
        let path = dir.path().join(format!("netlab-{c}.1"));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(".ie"), "{} is not roff", path.display());
    }
    // man itself reads the page, when the machine has it.
    if Command::new("man")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        let out = Command::new("man")
            .args(["-l", "-P", "cat"])
            .arg(dir.path().join("netlab-http.1"))
            .env("MANWIDTH", "80")
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&out.stdout).contains("netlab-http"));
    }
}
