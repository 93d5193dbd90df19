//! The learner's Cargo project: laid out by `lab start --exercise`, and the copy of it that
//! `lab check --exercise` builds with netlab's own tests, so that editing the project's copy of
//! the tests changes nothing.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Exercise;
use crate::error::{Error, Result};
use crate::fsutil;

/// The project's manifest: no dependencies (the standard library is enough, and `cargo
/// --offline` builds it anywhere), and its own `[workspace]`, so a project inside another
/// Cargo workspace still builds alone.
pub fn manifest(ex: &Exercise) -> String {
    format!(
        "[package]\nname = \"{}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n\n[workspace]\n",
        ex.meta.crate_name
    )
}

/// The schema of `netlab --json lab start LAB --exercise NAME`.
pub const START_SCHEMA: &str = "netlab.lab.exercise.start/1";

/// What `lab start --exercise` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Started {
    pub schema: &'static str,
    pub lab: String,
    pub exercise: String,
    pub title: String,
    pub summary: String,
    pub dir: PathBuf,
    pub files: Vec<PathBuf>,
}

impl Started {
    pub fn text(&self) -> String {
        let dir = self.dir.display();
        format!(
            "{}\n{}\n\nWrote {}:\n{}\nNext: write {dir}/src/lib.rs, then\n  cd {dir} && cargo test            (the checks, yourself)\n  netlab lab check {} --exercise {} --dir {dir}\n",
            self.title,
            self.summary,
            dir,
            self.files
                .iter()
                .map(|f| format!("  {}\n", f.display()))
                .collect::<String>(),
            self.lab,
            self.exercise,
        )
    }
}

/// Lays out the exercise's project in `dir`: `Cargo.toml`, the skeleton `src/lib.rs`, the
/// checks as `tests/checks.rs`. Refuses when `dir/src/lib.rs` exists: that is the learner's
/// work.
pub fn start(ex: &Exercise, dir: &Path) -> Result<Started> {
    let lib = dir.join("src/lib.rs");
    if lib.exists() {
        return Err(Error::usage(
            lib.display().to_string(),
            "exists already: it may be your work",
            format!(
                "check it with 'netlab lab check {} --exercise {} --dir {}', or start in another --dir",
                ex.meta.lab,
                ex.meta.id,
                dir.display()
            ),
        ));
    }
    let files = [
        (PathBuf::from("Cargo.toml"), manifest(ex)),
        (PathBuf::from("src/lib.rs"), ex.files.skeleton.to_string()),
        (PathBuf::from("tests/checks.rs"), ex.files.checks.to_string()),
    ];
    for (name, text) in &files {
        write(&dir.join(name), text)?;
    }
    Ok(Started {
        schema: START_SCHEMA,
        lab: ex.meta.lab.clone(),
        exercise: ex.meta.id.clone(),
        title: ex.meta.title.clone(),
        summary: ex.meta.summary.clone(),
        dir: dir.to_path_buf(),
        files: files.into_iter().map(|(name, _)| name).collect(),
    })
}

/// Copies the learner's `src/` beside netlab's manifest and checks into `build`, replacing
/// what an earlier check left there.
pub fn stage(ex: &Exercise, learner: &Path, build: &Path) -> Result<()> {
    let src = learner.join("src");
    if !src.join("lib.rs").is_file() {
        return Err(Error::usage(
            src.join("lib.rs").display().to_string(),
            "there is no solution to check",
            format!(
                "start the exercise with 'netlab lab start {} --exercise {} --dir {}'",
                ex.meta.lab,
                ex.meta.id,
                learner.display()
            ),
        ));
    }
    let staged_src = build.join("src");
    if staged_src.exists() {
        fs::remove_dir_all(&staged_src).map_err(|e| Error::io(&staged_src, e))?;
    }
    copy_tree(&src, &staged_src, 0)?;
    write(&build.join("Cargo.toml"), &manifest(ex))?;
    write(&build.join("tests/checks.rs"), ex.files.checks)
}

/// Folders deeper than this in `src/` are not copied (a symlink loop, not a crate).
const MAX_DEPTH: usize = 16;

/// Copies the `.rs` files of `from` and its folders into `to`.
fn copy_tree(from: &Path, to: &Path, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(Error::usage(
            from.display().to_string(),
            format!("folders nest deeper than {MAX_DEPTH}"),
            "keep the solution in src/lib.rs and a few modules",
        ));
    }
    fs::create_dir_all(to).map_err(|e| Error::io(to, e))?;
    for entry in fs::read_dir(from).map_err(|e| Error::io(from, e))? {
        let entry = entry.map_err(|e| Error::io(from, e))?;
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_tree(&path, &target, depth + 1)?;
        } else if path.extension().is_some_and(|x| x == "rs") {
            fs::copy(&path, &target).map_err(|e| Error::io(&path, e))?;
        }
    }
    Ok(())
}

/// Writes `text` to `path` atomically, making its folder.
fn write(path: &Path, text: &str) -> Result<()> {
    let folder = fsutil::folder_of(path);
    fs::create_dir_all(folder).map_err(|e| Error::io(folder, e))?;
    fsutil::write_atomic_public(path, text.as_bytes()).map_err(|e| Error::io(path, e))
}
