//! Files netlab writes for the user (progress, key logs, captures, bodies): written to a
//! temporary file in the same folder, fsynced, then renamed over the target, so a crash at any
//! point leaves either the old file or the new one, never a torn one. Secrets and progress are
//! created 0600; a downloaded body follows the umask, as curl's `-o` does. The folder must
//! exist (as with curl without `--create-dirs`): [`create_private_dir`] makes one, 0700.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};

/// Writes `bytes` to `path` atomically, mode 0600.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_with(path, PRIVATE, |f| f.write_all(bytes))
}

/// Writes `bytes` to `path` atomically with the permissions the umask leaves of 0666 (a
/// downloaded body, as curl writes it).
pub fn write_atomic_public(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_with(path, 0o666, |f| f.write_all(bytes))
}

/// Mode of secrets, keys and progress.
const PRIVATE: u32 = 0o600;

/// Like [`write_atomic`] with `mode`, the writing done by `fill` (tests inject failures here).
pub fn write_atomic_with(path: &Path, mode: u32, fill: impl FnOnce(&mut File) -> io::Result<()>) -> io::Result<()> {
    let (mut file, tmp) = create_temp_with(path, mode)?;
    match fill(&mut file) {
        Ok(()) => commit(file, &tmp, path),
        Err(e) => {
            drop(file);
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// For a file written as it goes (a capture): a new, empty temporary file beside `path`, mode
/// 0600, and its name. [`commit`] puts it in place; on failure remove it.
pub fn create_temp_beside(path: &Path) -> io::Result<(File, PathBuf)> {
    create_temp_with(path, PRIVATE)
}

fn create_temp_with(path: &Path, mode: u32) -> io::Result<(File, PathBuf)> {
    let tmp = temp_path(path);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(mode);
    #[cfg(not(unix))]
    let _ = mode;
    let file = options.open(&tmp)?;
    Ok((file, tmp))
}

/// The folder `path` would be written in.
pub fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Fsyncs `file` (written to `tmp`, from [`create_temp_beside`]) and renames it over `path`;
/// on failure the temporary file is removed.
pub fn commit(file: File, tmp: &Path, path: &Path) -> io::Result<()> {
    let synced = file.sync_all();
    drop(file);
    if let Err(e) = synced.and_then(|()| fs::rename(tmp, path)) {
        let _ = fs::remove_file(tmp);
        return Err(e);
    }
    // Make the rename itself durable.
    if let Ok(d) = File::open(folder_of(path)) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Creates `dir` (and parents) with mode 0700 where it does not exist.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(0o700);
    builder.create(dir)
}

/// Removes the temporary files beside `path` whose writer died before renaming them (a
/// `kill -9` or a crash between [`create_temp_beside`] and [`commit`]): `.NAME.tmp-PID-N` where
/// process PID no longer exists. A live writer's file is left alone, so two netlab processes
/// saving at once never remove each other's. Best effort: errors are ignored.
pub fn remove_stale_temps(path: &Path) {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let prefix = format!(".{name}.tmp-");
    let Ok(entries) = fs::read_dir(folder_of(path)) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|f| f.strip_prefix(&prefix)) else {
            continue;
        };
        let Some((pid, n)) = rest.split_once('-') else {
            continue;
        };
        let (Ok(pid), Ok(_)) = (pid.parse::<u32>(), n.parse::<u64>()) else {
            continue;
        };
        if pid != std::process::id() && !process_exists(pid) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Whether process `pid` exists (a zombie still does), as `kill(pid, 0)` tells: a process
/// owned by someone else exists too (EPERM).
#[cfg(unix)]
fn process_exists(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return true; // not a pid this system makes: leave the file alone
    };
    if pid <= 0 {
        return true;
    }
    // SAFETY: kill with signal 0 sends nothing; it only checks that the process exists.
    if unsafe { libc::kill(pid, 0) } == 0 {
        return true;
    }
    io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(not(unix))]
fn process_exists(_pid: u32) -> bool {
    true
}

/// A fresh temporary name beside `path`: `.NAME.tmp-PID-N`.
fn temp_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}-{n}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_0600_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/progress.json");
        // The folder must exist: no folder is made on the way.
        assert_eq!(write_atomic(&path, b"one").unwrap_err().kind(), io::ErrorKind::NotFound);
        create_private_dir(folder_of(&path)).unwrap();
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn a_public_file_follows_the_umask() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("body.html");
        write_atomic_public(&path, b"<p>").unwrap();
        // SAFETY: umask(2) cannot fail; it is read by setting it and set back at once.
        let umask = unsafe {
            let m = libc::umask(0o022);
            libc::umask(m);
            m
        };
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o666 & !umask
        );
    }

    #[test]
    fn stale_temps_of_dead_writers_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.json");
        write_atomic(&path, b"{}").unwrap();
        // A child that has exited and been reaped: its pid is free (until reused).
        let dead = std::process::Command::new("true").spawn().unwrap();
        let dead_pid = dead.id();
        let mut dead = dead;
        dead.wait().unwrap();
        let stale = dir.path().join(format!(".progress.json.tmp-{dead_pid}-0"));
        let mine = dir.path().join(format!(".progress.json.tmp-{}-7", std::process::id()));
        let live = dir.path().join(".progress.json.tmp-1-0"); // pid 1 always exists
        let other = dir.path().join(".notes.txt.tmp-999999999-0");
        for f in [&stale, &mine, &live, &other] {
            fs::write(f, b"half").unwrap();
        }
        remove_stale_temps(&path);
        assert!(!stale.exists(), "a dead writer's temp is removed");
        assert!(mine.exists() && live.exists(), "live writers' temps are kept");
        assert!(other.exists(), "another file's temps are not touched");
        assert_eq!(fs::read(&path).unwrap(), b"{}");
    }

    #[test]
    fn a_failing_write_leaves_the_old_file_and_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.json");
        write_atomic(&path, b"old and good").unwrap();
        let err = write_atomic_with(&path, PRIVATE, |f| {
            f.write_all(b"half of the new")?;
            Err(io::Error::other("disk full"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "disk full");
        assert_eq!(fs::read(&path).unwrap(), b"old and good");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "the temporary file is removed"
        );
    }
}
