//! Files netlab writes where the user says: a missing folder is refused (or made with
//! `--create-dirs`, as curl does), a body follows the umask, secrets stay 0600.

mod common;
use common::netlab;
use predicates::prelude::*;
use std::os::unix::fs::PermissionsExt;

#[test]
fn a_missing_folder_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let keylog = dir.path().join("no/such/k.txt");
    netlab()
        .args(["tls", "127.0.0.1:1", "--keylog"])
        .arg(&keylog)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does not exist").and(predicate::str::contains("--create-dirs")));
    assert!(!dir.path().join("no").exists(), "nothing was made");
    let body = dir.path().join("missing/body.html");
    netlab()
        .args(["http", "https://www.example.com/", "--sandbox", "-o"])
        .arg(&body)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("-o ").and(predicate::str::contains("does not exist")));
}

#[test]
fn create_dirs_makes_the_folders_private_and_a_body_follows_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("made/here/body.html");
    netlab()
        .args(["http", "https://www.example.com/", "--sandbox", "--create-dirs", "-o"])
        .arg(&body)
        .assert()
        .success();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir.path().join("made/here")), 0o700);
    // SAFETY: umask(2) cannot fail; read by setting it and setting it back at once.
    let umask = unsafe {
        let m = libc::umask(0o022);
        libc::umask(m);
        m
    };
    assert_eq!(mode(&body), 0o666 & !umask, "like curl -o");
    // A key log is a secret: 0600 whatever the umask.
    let keylog = dir.path().join("keys/k.txt");
    netlab()
        .args(["tls", "www.example.com", "--sandbox", "--create-dirs", "--keylog"])
        .arg(&keylog)
        .assert()
        .success();
    assert_eq!(mode(&keylog), 0o600);
}
