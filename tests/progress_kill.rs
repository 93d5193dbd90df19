//! Progress survives `kill -9`: a shell loop of real netlab invocations writes lab progress over
//! and over (`lab reset`, `lab hint`), and is killed with SIGKILL, with every process of its
//! group, at random moments, many times. After each kill the progress file must parse (netlab
//! reads it) and hold exactly one of the states the loop writes, no corrupt copy may appear,
//! and temporary files of killed writers must not pile up (the next save removes them).
//!
//! The moments are random; the seed is printed, and `NETLAB_KILL_SEED=N` replays one run.

#![cfg(target_os = "linux")]

use std::collections::BTreeSet;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ROUNDS: usize = 40;

/// One pass of the loop. Its resets come first, so whatever state a kill left, a pass ends in the
/// same state: every state the loop can leave is one that two passes from nothing write.
const CYCLE: &[&[&str]] = &[
    &["lab", "reset", "04-cidr", "--yes"],
    &["lab", "reset", "01-dns", "--yes"],
    &["lab", "hint", "04-cidr"],
    &["lab", "hint", "04-cidr"],
    &["lab", "hint", "01-dns"],
];

fn netlab() -> &'static str {
    env!("CARGO_BIN_EXE_netlab")
}

fn command(home: &Path) -> Command {
    let mut c = Command::new(netlab());
    c.env("NETLAB_HOME", home)
        .env("NETLAB_OFFLINE", "1")
        .env_remove("NETLAB_LABS")
        .env_remove("XDG_DATA_HOME");
    c
}

fn run(home: &Path, args: &[&str]) {
    let out = command(home).args(args).stdin(Stdio::null()).output().unwrap();
    assert!(
        out.status.success(),
        "netlab {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn read_state(path: &Path) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "{} does not parse ({e}): {:?}",
            path.display(),
            String::from_utf8_lossy(&bytes)
        )
    })
}

/// Every state two passes of [`CYCLE`] write, as JSON text (canonical: serde_json's map order).
fn states_written() -> BTreeSet<String> {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("progress.json");
    let mut states = BTreeSet::new();
    for args in CYCLE.iter().chain(CYCLE) {
        run(home.path(), args);
        states.insert(read_state(&path).to_string());
    }
    assert_eq!(states.len(), 5, "the cycle writes five different states: {states:#?}");
    states
}

/// The files in `dir` other than the progress file.
fn others(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "progress.json")
        .collect();
    names.sort();
    names
}

/// Pids of the processes in group `pgid`, zombies included (a zombie's pid is still taken).
fn members(pgid: i32) -> Vec<i32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its ')'.
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.get(2).and_then(|g| g.parse::<i32>().ok()) == Some(pgid) {
            pids.push(pid);
        }
    }
    pids
}

/// Kills the whole group with SIGKILL and waits until none of it is left; orphaned netlab
/// processes come to this process (a child subreaper) and are reaped here, so their pids are
/// free again, as a shell would free them.
fn kill_group(child: &mut std::process::Child) {
    let pgid = child.id() as i32;
    // SAFETY: signals a process group this test created.
    assert_eq!(unsafe { libc::kill(-pgid, libc::SIGKILL) }, 0, "killpg");
    child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        // Reap any of the group that was reparented here (never another test's child: this
        // file has one test, and every other child is waited for where it is spawned).
        loop {
            let mut status = 0;
            // SAFETY: waitpid with WNOHANG on our own children; status is a valid pointer.
            let pid = unsafe { libc::waitpid(-pgid, &mut status, libc::WNOHANG) };
            if pid <= 0 {
                break;
            }
        }
        if members(pgid).is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "the killed group is still there");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// xorshift64*: the test's random moments, reproducible from the printed seed.
struct Moments(u64);

impl Moments {
    fn next_below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

#[test]
fn progress_survives_kill_9_at_random_moments() {
    // SAFETY: prctl(PR_SET_CHILD_SUBREAPER) only changes who adopts this process's orphans.
    assert_eq!(unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) }, 0);
    let states = states_written();
    let seed = std::env::var("NETLAB_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("progress_kill: NETLAB_KILL_SEED={seed}");
    let mut moments = Moments(seed);

    let home = tempfile::tempdir().unwrap();
    let path: PathBuf = home.path().join("progress.json");
    run(home.path(), CYCLE[0]); // the file exists from here on: a missing file is a failure
    let script = CYCLE
        .iter()
        .map(|args| format!("\"$NETLAB\" {} >/dev/null 2>&1", args.join(" ")))
        .collect::<Vec<_>>()
        .join("; ");
    let script = format!("while :; do {script}; done");
    let mut temps_left = 0;
    for round in 0..ROUNDS {
        let delay = Duration::from_millis(moments.next_below(51));
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(&script)
            .env("NETLAB", netlab())
            .env("NETLAB_HOME", home.path())
            .env("NETLAB_OFFLINE", "1")
            .env_remove("NETLAB_LABS")
            .env_remove("XDG_DATA_HOME")
            .stdin(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        kill_group(&mut child);

        let state = read_state(&path).to_string();
        assert!(
            states.contains(&state),
            "round {round} (killed after {delay:?}, seed {seed}): the file holds a state never written: {state}"
        );
        let out = command(home.path())
            .args(["--json", "lab", "progress"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "round {round}: netlab cannot read its progress after the kill: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let left = others(home.path());
        assert!(
            left.iter().all(|n| n.starts_with(".progress.json.tmp-")),
            "round {round}: unexpected files (a corrupt copy?): {left:?}"
        );
        // Only the writer killed in this round can have left one; earlier ones were removed
        // by the saves that followed.
        assert!(
            left.len() <= 1,
            "round {round} (seed {seed}): temporary files pile up: {left:?}"
        );
        temps_left += left.len();
    }
    eprintln!("progress_kill: {ROUNDS} kills, {temps_left} of them in the middle of a save");
    run(home.path(), CYCLE[0]);
    assert_eq!(
        others(home.path()),
        Vec::<String>::new(),
        "the next save removes what killed writers left"
    );
    assert!(states.contains(&read_state(&path).to_string()));
}
