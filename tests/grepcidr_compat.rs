//! `netlab cidr match` prints what grepcidr 2.0 prints, line for line, on log-like input full
//! of near-addresses. grepcidr is installed by `.ci/run`; without it (outside CI) the test says
//! so and checks nothing else.

use std::io::Write;
use std::process::Command;

/// A small deterministic generator (xorshift), so the input is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

fn token(rng: &mut Rng) -> String {
    let n = rng.next();
    match n % 14 {
        0 => format!(
            "{}.{}.{}.{}",
            n >> 8 & 0xff,
            n >> 16 & 0xff,
            n >> 24 & 0xff,
            n >> 32 & 0xff
        ),
        1 => format!("10.{}.{}.{}", n >> 8 & 0xff, n >> 16 & 0x1ff, n >> 24 & 0xff),
        2 => format!("192.0.2.{}", n >> 8 & 0xff),
        3 => format!("2001:db8:{:x}::{:x}", n >> 8 & 0xffff, n >> 24 & 0xfffff),
        4 => format!("[2001:db8::{:x}]:443", n >> 8 & 0xffff),
        5 => format!("::ffff:10.{}.0.{}", n >> 8 & 0xff, n >> 16 & 0xff),
        6 => format!("fe80::{:x}%eth0", n >> 8 & 0xffff),
        7 => format!(
            "{}:{}",
            rng.pick(&["10.1.2.3", "203.0.113.7", "1.2.3"]),
            n >> 8 & 0xffff
        ),
        8 => rng
            .pick(&[
                "01.2.3.4",
                "10.0.0.1.",
                "10.0.0.1a",
                "x10.0.0.1",
                "1.2.3.4.5",
                "::",
                "1::2::3",
                "12345::1",
                "a:b:c:d:e:f:0:1",
                "1:2:3:4:5:6:7:8:9",
            ])
            .to_string(),
        9 => rng
            .pick(&[
                "[23/Nov/2026:06:10:46",
                "+0000]",
                "\"GET",
                "/index.html",
                "HTTP/1.1\"",
                "Mozilla/5.0",
                "537.36",
                "ip=10.9.8.7,",
                "(10.0.0.1)",
            ])
            .to_string(),
        10 => format!("{:x}:{:x}", n >> 8 & 0xfff, n >> 24 & 0xff),
        11 => format!("{}.{}", n >> 8 & 0xff, n >> 16 & 0xff),
        12 => format!(
            "2001:db8::{}.{}.{}.{}",
            n >> 8 & 0xff,
            n >> 16 & 0xff,
            n >> 24 & 0xff,
            n >> 32 & 0xff
        ),
        _ => rng
            .pick(&["-", "x", "GET", "ok", "::1", "dead:beef::", "a.b", "1.1"])
            .to_string(),
    }
}

#[test]
fn match_prints_the_same_lines_as_grepcidr() {
    if Command::new("grepcidr").arg("-V").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "grepcidr must be installed in CI (.ci/run installs it)"
        );
        eprintln!("grepcidr is not installed: skipping the comparison (apt-get install grepcidr)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut log = String::new();
    for _ in 0..20_000 {
        let words = 1 + rng.next() % 8;
        let line: Vec<String> = (0..words).map(|_| token(&mut rng)).collect();
        log.push_str(&line.join(if rng.next() % 5 == 0 { "" } else { " " }));
        log.push('\n');
    }
    let log_path = dir.path().join("access.log");
    std::fs::write(&log_path, &log).unwrap();
    let range_sets: [&[&str]; 3] = [
        &["10.0.0.0/9", "192.0.2.128/25", "203.0.113.7", "0.0.0.0/2"],
        &["2001:db8:8000::/33", "::ffff:0:0/96", "fe80::/10", "::1"],
        &["10.0.0.0/8", "2001:db8::/32", "1.0.0.0/8", "::/1"],
    ];
    for (i, ranges) in range_sets.iter().enumerate() {
        let ranges_path = dir.path().join(format!("ranges{i}.txt"));
        let mut f = std::fs::File::create(&ranges_path).unwrap();
        for r in *ranges {
            writeln!(f, "{r}").unwrap();
        }
        for flags in [&[][..], &["-v"], &["-c"]] {
            let want = Command::new("grepcidr")
                .args(flags)
                .arg("-f")
                .arg(&ranges_path)
                .arg(&log_path)
                .output()
                .unwrap();
            let got = Command::new(env!("CARGO_BIN_EXE_netlab"))
                .env("NETLAB_OFFLINE", "1")
                .args(["cidr", "match"])
                .args(flags)
                .arg("-f")
                .arg(&ranges_path)
                .arg(&log_path)
                .output()
                .unwrap();
            assert!(!want.stdout.is_empty(), "the data must exercise {ranges:?} {flags:?}");
            if got.stdout != want.stdout {
                let (g, w) = (
                    String::from_utf8_lossy(&got.stdout),
                    String::from_utf8_lossy(&want.stdout),
                );
                let first = g.lines().zip(w.lines()).find(|(a, b)| a != b);
                panic!(
                    "ranges {ranges:?} flags {flags:?}: netlab {} lines, grepcidr {} lines; first difference {first:?}",
                    g.lines().count(),
                    w.lines().count()
                );
            }
            assert_eq!(got.status.code(), want.status.code(), "{ranges:?} {flags:?}");
        }
    }
}
