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
