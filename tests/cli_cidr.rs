//! Every `netlab cidr` subcommand through the real binary: output, exit codes, errors.

mod common;
use common::{netlab, trace};
use predicates::prelude::*;
use std::io::Write;

/// `netlab --json ARGS`: its trace, whatever the exit code.
fn json(args: &[&str]) -> serde_json::Value {
    trace(args).0
}

#[test]
fn contains_shows_the_and_and_exits_grep_like() {
    netlab()
        .args(["cidr", "contains", "10.0.0.0/8", "10.1.2.3"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("10.1.2.3 is inside 10.0.0.0/8"))
        .stdout(predicate::str::contains(
            "AND       00001010.00000000.00000000.00000000  10.0.0.0",
        ))
        .stdout(predicate::str::contains(
            "mask      11111111.00000000.00000000.00000000  255.0.0.0 (/8)",
        ));
    netlab()
        .args(["cidr", "contains", "10.0.0.0/8", "10.1.2.3", "11.0.0.1"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("11.0.0.1 is NOT inside 10.0.0.0/8"))
        .stdout(predicate::str::contains("^ bit 7 differs"));
    netlab()
        .args(["cidr", "contains", "10.0.0.0/8", "10.1.2.300"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::is_match("^netlab: address '10.1.2.300': '10.1.2.300' is not an IPv4 or IPv6 address: 300 is more than 255 \\(.*\\)\n$").unwrap());
}

#[test]
fn contains_ipv6_and_mixed_families() {
    netlab()
        .args(["cidr", "contains", "2001:db8::/32", "2001:db8:ffff::1"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("2001:0db8:0000:0000"));
    netlab()
        .args(["cidr", "contains", "10.0.0.0/8", "::ffff:10.1.2.3"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("is IPv6, the network is IPv4"))
        .stdout(predicate::str::contains("IPv4-mapped"));
    let v = json(&["cidr", "contains", "10.0.0.0/8", "10.255.0.1", "9.0.0.1"]);
    assert_eq!(v["schema"], "netlab.cidr/1");
    assert_eq!(v["events"][0]["type"], "cidr.membership");
    assert_eq!(v["events"][0]["inside"], true);
    assert_eq!(v["events"][1]["inside"], false);
    assert_eq!(v["events"][1]["first_differing_bit"], 6); // 9 = 00001001, 10 = 00001010
    assert_eq!(v["outcome"]["status"], "negative");
}

#[test]
fn info_covers_rfc3021_and_special_blocks() {
    let v = json(&[
        "cidr",
        "info",
        "192.168.1.77/26",
        "10.0.0.0/31",
        "10.0.0.9/32",
        "fd00::/8",
        "100.64.0.0/10",
    ]);
    let e = &v["events"];
    assert_eq!(e[0]["network"], "192.168.1.64/26");
    assert_eq!(e[0]["canonical"], false);
    assert_eq!(e[0]["broadcast"], "192.168.1.127");
    assert_eq!(e[0]["usable_hosts"], "62");
    assert_eq!(e[0]["special"][0]["block"], "192.168.0.0/16");
    assert_eq!(e[1]["usable_hosts"], "2");
    assert_eq!(e[1]["broadcast"], serde_json::Value::Null);
    assert_eq!(e[2]["usable_hosts"], "1");
    assert_eq!(e[3]["broadcast"], serde_json::Value::Null);
    assert_eq!(e[3]["special"][0]["name"], "unique local (ULA)");
    assert_eq!(e[4]["special"][0]["name"], "shared address space (carrier-grade NAT)");
    netlab()
        .args(["cidr", "info", "10.1.2.3/8"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "10.1.2.3/8 -> network 10.0.0.0/8 (host bits cleared)",
        ))
        .stdout(predicate::str::contains("wildcard       0.255.255.255"))
        .stdout(predicate::str::contains("why: 10.1.2.3/8 has host bits set"));
    netlab()
        .args(["--no-notes", "cidr", "info", "10.0.0.0/31"])
        .assert()
        .success()
        .stdout(predicate::str::contains("why:").not());
}

#[test]
fn split_lists_subnets_or_says_why_not() {
    netlab()
        .args(["--no-notes", "cidr", "split", "10.0.0.0/24", "--prefix", "26"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "# 10.0.0.0/24 split into 4 subnets of /26\n10.0.0.0/26\n10.0.0.64/26\n10.0.0.128/26\n10.0.0.192/26\n",
        ));
    assert_eq!(
        json(&["cidr", "split", "2001:db8::/32", "--count", "3"])["events"][0]["new_prefix_len"],
        34
    );
    netlab()
        .args(["cidr", "split", "10.0.0.0/24", "--prefix", "16"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/16 is shorter than /24"));
    netlab()
        .args(["cidr", "split", "10.0.0.0/30", "--count", "8"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("8 subnets would need /33"));
    netlab()
        .args(["cidr", "split", "10.0.0.0/8", "--prefix", "30"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "4194304 subnets, more than the limit of 65536 (raise --max",
        ));
    netlab()
        .args(["cidr", "split", "10.0.0.0/8"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("netlab: usage:"));
}

#[test]
fn aggregate_from_stdin_and_file_with_line_numbers() {
    netlab()
        .args(["cidr", "aggregate"])
        .write_stdin("# lab\n10.0.0.0/25\n\n10.0.0.128/25\n10.0.0.7\n2001:db8::/33\n2001:db8:8000::/33\n")
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "# 5 prefixes in, 2 out\n# why: Two sibling prefixes",
        ))
        .stdout(predicate::str::ends_with("\n10.0.0.0/24\n2001:db8::/32\n"));
    let mut f = tempfile::NamedTempFile::new().unwrap();
    writeln!(f, "10.0.0.0/8\n10.0.0.0/33").unwrap();
    let path = f.path().to_str().unwrap().to_string();
    netlab()
        .args(["cidr", "aggregate", &path])
        .assert()
        .code(2)
        .stderr(format!(
        "netlab: {path}:2: prefix length 33 is too long for IPv4 (0-32) (IPv4 lengths go up to 32, IPv6 up to 128)\n"
    ));
    netlab()
        .args(["cidr", "aggregate", "/nonexistent/list"])
        .assert()
        .code(3)
        .stderr(predicate::str::starts_with("netlab: /nonexistent/list: "));
}

#[test]
fn list_output_pipes_back_into_netlab() {
    let split = netlab()
        .args(["cidr", "split", "10.0.0.0/22", "--count", "4"])
        .output()
        .unwrap();
    assert!(split.status.success());
    netlab()
        .args(["--no-notes", "cidr", "aggregate"])
        .write_stdin(split.stdout)
        .assert()
        .success()
        .stdout("# 4 prefixes in, 1 out\n10.0.0.0/22\n");
}

#[test]
fn overlap_names_lines_and_relation() {
    netlab()
        .args(["cidr", "overlap", "-"])
        .write_stdin("10.0.0.0/8\n192.168.0.0/16\n10.20.0.0/16\n192.168.0.0/16\n")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "10.0.0.0/8 (line 1) contains 10.20.0.0/16 (line 3)",
        ))
        .stdout(predicate::str::contains(
            "192.168.0.0/16 (line 2) equals 192.168.0.0/16 (line 4)",
        ))
        .stdout(predicate::str::contains("# 2 overlapping pairs among 4 prefixes"));
}

#[test]
fn exclude_ipv4_and_ipv6() {
    netlab()
        .args(["cidr", "exclude", "10.0.0.0/24", "--minus", "10.0.0.64/26"])
        .assert()
        .success()
        .stdout(predicate::str::ends_with("10.0.0.0/26\n10.0.0.128/25\n"))
        .stdout(predicate::str::contains("192 IPv4 addresses left in 2 prefixes"));
    let v = json(&["cidr", "exclude", "::/0", "--minus", "::1/128"]);
    assert_eq!(v["events"][0]["prefixes"].as_array().unwrap().len(), 128);
    assert_eq!(
        v["events"][0]["addresses_left"][0]["addresses"],
        "340282366920938463463374607431768211455"
    );
    netlab()
        .args(["cidr", "exclude", "10.0.0.0/8"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--minus"));
}

#[test]
fn match_prints_lines_counts_and_inverts() {
    let mut ranges = tempfile::NamedTempFile::new().unwrap();
    writeln!(ranges, "# office\n10.0.0.0/8\n2001:db8::/32\n192.0.2.10-192.0.2.20").unwrap();
    let r = ranges.path().to_str().unwrap().to_string();
    let log = "10.1.1.1 - GET /\n8.8.8.8 - GET / via 10.9.9.9\n[2001:db8::5]:443 x\nno address\n192.0.2.15 y\n203.0.113.9 z\n";
    netlab()
        .args(["cidr", "match", "-f", &r])
        .write_stdin(log)
        .assert()
        .code(0)
        .stdout("10.1.1.1 - GET /\n8.8.8.8 - GET / via 10.9.9.9\n[2001:db8::5]:443 x\n192.0.2.15 y\n");
    netlab()
        .args(["cidr", "match", "--first", "-f", &r])
        .write_stdin(log)
        .assert()
        .code(0)
        .stdout("10.1.1.1 - GET /\n[2001:db8::5]:443 x\n192.0.2.15 y\n");
    netlab()
        .args(["cidr", "match", "-c", "-f", &r])
        .write_stdin(log)
        .assert()
        .code(0)
        .stdout("4\n");
    netlab()
        .args(["cidr", "match", "-v", "-f", &r])
        .write_stdin(log)
        .assert()
        .code(0)
        .stdout("203.0.113.9 z\n");
    netlab()
        .args(["cidr", "match", "-v", "-i", "-f", &r])
        .write_stdin(log)
        .assert()
        .code(0)
        .stdout("no address\n203.0.113.9 z\n");
    netlab()
        .args(["cidr", "match", "-e", "172.16.0.0/12"])
        .write_stdin(log)
        .assert()
        .code(1)
        .stdout("");
    netlab()
        .args(["cidr", "match", "--stats", "-e", "10.0.0.0/8,192.0.2.0/24"])
        .write_stdin(log)
        .assert()
        .code(0)
        .stderr(
            "netlab: stats: 6 lines read, 3 matched, 2 without an address, 0 too long (over 4194304 bytes, skipped)\n",
        );
}

#[test]
fn match_json_lines_and_file_names() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.log");
    let b = dir.path().join("b.log");
    std::fs::write(&a, "10.0.0.1 a\n").unwrap();
    std::fs::write(&b, "x\n10.0.0.2 b").unwrap();
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    netlab()
        .args(["cidr", "match", "-e", "10.0.0.0/8", a, b])
        .assert()
        .code(0)
        .stdout(format!("{a}:10.0.0.1 a\n{b}:10.0.0.2 b"));
    let out = netlab()
        .args(["--json", "cidr", "match", "-e", "10.0.0.0/8", a, b])
        .output()
        .unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1]["source"], b);
    assert_eq!(lines[1]["line_number"], 2);
    assert_eq!(lines[1]["address"], "10.0.0.2");
    assert_eq!(lines[2]["schema"], "netlab.cidr.match/1");
    assert_eq!(lines[2]["stats"]["lines"], 3);
}

#[test]
fn match_bad_ranges_and_inputs() {
    let mut ranges = tempfile::NamedTempFile::new().unwrap();
    writeln!(ranges, "10.0.0.0/8\n\n10.0.0/8").unwrap();
    let r = ranges.path().to_str().unwrap().to_string();
    netlab()
        .args(["cidr", "match", "-f", &r])
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!("{r}:3: '10.0.0' is not")));
    netlab()
        .args(["cidr", "match", "-e", "10.0.0.0/8", "/nonexistent"])
        .assert()
        .code(3)
        .stderr(predicate::str::starts_with("netlab: /nonexistent:"));
    netlab()
        .args(["cidr", "match", "/tmp"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("netlab: usage:"));
    netlab()
        .args(["cidr", "match", "-e", "nonsense"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("pattern 'nonsense'"));
    // Garbage bytes are lines like any other: no panic, nothing matched.
    netlab()
        .args(["cidr", "match", "-e", "10.0.0.0/8"])
        .write_stdin(vec![0xff, 0x00, b'1', b'0', b'.', 0xfe, b'\n', 0x80])
        .assert()
        .code(1);
}

#[test]
fn usage_errors_are_one_line_with_exit_2() {
    for args in [
        &["cidr"][..],
        &["cidr", "contains", "10.0.0.0/8"],
        &["cidr", "info", "--bogus", "x"],
        &["frobnicate"],
        &["--color", "purple", "cidr", "info", "10.0.0.0/8"],
    ] {
        let out = netlab().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        if args.len() > 1 {
            assert!(
                err.starts_with("netlab: usage: ") && err.lines().count() == 1,
                "{args:?}: {err}"
            );
        }
    }
}

#[test]
fn help_teaches_with_examples() {
    netlab()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples:"))
        .stdout(predicate::str::contains("cidr"));
    netlab()
        .args(["cidr", "match", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("[2001:db8::1]:443"))
        .stdout(predicate::str::contains("::ffff:10.1.2.3"))
        .stdout(predicate::str::contains("1.2.3.4:80"));
    for sub in ["contains", "info", "split", "aggregate", "overlap", "exclude"] {
        netlab()
            .args(["cidr", sub, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Example"));
    }
}

#[test]
fn color_only_when_asked_or_on_a_terminal() {
    // Without NO_COLOR: the pipe alone must turn colour off.
    netlab()
        .env_remove("NO_COLOR")
        .args(["cidr", "contains", "10.0.0.0/8", "10.0.0.1"])
        .assert()
        .stdout(predicate::str::contains("\x1b[").not());
    netlab()
        .env_remove("NO_COLOR")
        .args(["--color", "always", "cidr", "contains", "10.0.0.0/8", "10.0.0.1"])
        .assert()
        .stdout(predicate::str::contains("\x1b[32minside"));
    netlab()
        .env("NO_COLOR", "1")
        .args(["--color", "never", "cidr", "info", "10.0.0.0/8"])
        .assert()
        .stdout(predicate::str::contains("\x1b[").not());
}

#[test]
fn match_threads_keep_the_output_and_are_bounded() {
    let mut log = String::new();
    for i in 0..5_000 {
        log.push_str(&format!("{}.{}.0.1 GET /{i}\n", i % 20, i % 7));
    }
    let one = netlab()
        .args(["cidr", "match", "-j", "1", "-e", "10.0.0.0/8,3.0.0.0/8"])
        .write_stdin(log.clone())
        .output()
        .unwrap();
    assert_eq!(one.status.code(), Some(0));
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(log.as_bytes()).unwrap();
    let path = file.path().to_str().unwrap().to_string();
    for j in ["2", "7", "256"] {
        netlab()
            .args(["cidr", "match", "--threads", j, "-e", "10.0.0.0/8,3.0.0.0/8", &path])
            .assert()
            .code(0)
            .stdout(one.stdout.clone());
    }
    for bad in ["0", "257", "x"] {
        netlab()
            .args(["cidr", "match", "-j", bad, "-e", "10.0.0.0/8", &path])
            .assert()
            .code(2)
            .stdout("")
            .stderr(
                predicate::str::is_match(format!(
                    "^netlab: usage: invalid value '{bad}' for '--threads <N>': [^\n]*\n$"
                ))
                .unwrap(),
            );
    }
}
