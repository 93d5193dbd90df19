//! The learner's progress: `progress.json` under `$NETLAB_HOME`, or the XDG data folder
//! (`$XDG_DATA_HOME/netlab`, by default `~/.local/share/netlab`). Written atomically, 0600
//! ([`crate::fsutil`]); a corrupt file is kept, reported, and never silently replaced.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fsutil;

pub const SCHEMA: &str = "netlab.progress/1";

/// Everything the learner has done, lab by lab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub schema: String,
    #[serde(default)]
    pub labs: BTreeMap<String, LabProgress>,
}

impl Default for Progress {
    fn default() -> Self {
        Progress {
            schema: SCHEMA.to_string(),
            labs: BTreeMap::new(),
        }
    }
}

/// One lab's answers, hints seen, and the traces its steps' commands produced.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LabProgress {
    #[serde(default)]
    pub answers: BTreeMap<String, AnswerRecord>,
    #[serde(default)]
    pub hints_shown: BTreeMap<String, u32>,
    /// Step id -> the trace its command produced, as JSON (checks read these).
    #[serde(default)]
    pub traces: BTreeMap<String, serde_json::Value>,
    /// Seconds spent in `lab start` sessions of this lab, up to each one's last answer.
    #[serde(default)]
    pub seconds: u64,
}

/// The learner's last answer to one question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerRecord {
    pub answer: String,
    pub correct: bool,
    pub attempts: u32,
    /// The learner asked to see the answer.
    #[serde(default)]
    pub revealed: bool,
}

impl AnswerRecord {
    /// The question needs no more work: answered right, or revealed.
    pub fn done(&self) -> bool {
        self.correct || self.revealed
    }
}

/// How a question stands, as `lab progress ID` tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Right with the first answer and no hint.
    FirstTry,
    /// Right after wrong answers or hints.
    AfterHelp,
    /// Revealed (or a wrong prediction, whose answer the trace then showed).
    Revealed,
    /// Answered wrong so far.
    Trying,
    Open,
}

impl LabProgress {
    /// How question `id` stands.
    pub fn standing(&self, id: &str) -> Standing {
        let hints = self.hints_shown.get(id).copied().unwrap_or(0);
        match self.answers.get(id) {
            None => Standing::Open,
            Some(a) if a.correct && a.attempts <= 1 && hints == 0 => Standing::FirstTry,
            Some(a) if a.correct => Standing::AfterHelp,
            Some(a) if a.revealed => Standing::Revealed,
            Some(_) => Standing::Trying,
        }
    }
}

/// The schema of `netlab lab list --json` and `netlab lab progress --json`.
pub const REPORT_SCHEMA: &str = "netlab.lab.progress/1";

/// `lab list` and `lab progress`: every lab with how far the learner is, and the progress file
/// as it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgressReport<'a> {
    pub schema: &'static str,
    pub labs: Vec<LabStatus>,
    pub progress: &'a Progress,
}

/// One lab, and how far the learner is in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabStatus {
    pub id: String,
    pub title: String,
    pub minutes: u32,
    pub questions: usize,
    /// Answered right or revealed.
    pub done: usize,
    pub right: usize,
    /// Right with the first answer, no hint.
    pub first_try: usize,
    pub revealed: usize,
    /// Seconds spent in `lab start`.
    pub seconds: u64,
}

impl<'a> ProgressReport<'a> {
    pub fn new(catalog: &super::catalog::Catalog, progress: &'a Progress) -> Self {
        let labs = catalog
            .labs
            .iter()
            .map(|l| {
                let state = progress.labs.get(&l.lab.id).cloned().unwrap_or_default();
                let count = |f: &dyn Fn(Standing) -> bool| {
                    l.lab
                        .steps
                        .iter()
                        .flat_map(|s| &s.questions)
                        .filter(|q| f(state.standing(&q.id)))
                        .count()
                };
                LabStatus {
                    id: l.lab.id.clone(),
                    title: l.lab.title.clone(),
                    minutes: l.lab.minutes,
                    questions: super::question_count(l),
                    done: state.answers.values().filter(|a| a.done()).count(),
                    right: state.answers.values().filter(|a| a.correct).count(),
                    first_try: count(&|s| s == Standing::FirstTry),
                    revealed: count(&|s| s == Standing::Revealed),
                    seconds: state.seconds,
                }
            })
            .collect();
        ProgressReport {
            schema: REPORT_SCHEMA,
            labs,
            progress,
        }
    }

    /// One line per lab, in columns as wide as the longest id and title, so every row lines up.
    pub fn text(&self) -> String {
        let id_width = self.labs.iter().map(|l| l.id.len()).max().unwrap_or(0);
        let title_width = self.labs.iter().map(|l| l.title.chars().count()).max().unwrap_or(0);
        let mut out = String::new();
        for l in &self.labs {
            let spent = spent(l.seconds);
            let status = match (l.done, l.questions) {
                (0, _) => "not started".to_string(),
                (d, t) if d >= t => format!(
                    "complete, {}/{t} right ({} at the first try), {spent}",
                    l.right, l.first_try
                ),
                (d, t) => format!(
                    "{d}/{t} done, {} right ({} at the first try), {spent}",
                    l.right, l.first_try
                ),
            };
            out.push_str(&format!(
                "{:<id_width$} {:<title_width$} {:>3} min  {status}\n",
                l.id, l.title, l.minutes
            ));
        }
        out
    }
}

/// `42 min`, `under a minute`.
pub fn spent(seconds: u64) -> String {
    match seconds / 60 {
        0 => "under a minute".to_string(),
        m => format!("{m} min"),
    }
}

/// Where progress lives, from the environment: `NETLAB_HOME`, `XDG_DATA_HOME`, `HOME`.
pub fn default_path(env: impl Fn(&str) -> Option<String>) -> Result<PathBuf> {
    let nonempty = |k: &str| env(k).filter(|v| !v.is_empty());
    if let Some(home) = nonempty("NETLAB_HOME") {
        return Ok(PathBuf::from(home).join("progress.json"));
    }
    if let Some(data) = nonempty("XDG_DATA_HOME") {
        return Ok(PathBuf::from(data).join("netlab/progress.json"));
    }
    if let Some(home) = nonempty("HOME") {
        return Ok(PathBuf::from(home).join(".local/share/netlab/progress.json"));
    }
    Err(Error::usage(
        "progress",
        "neither NETLAB_HOME, XDG_DATA_HOME nor HOME is set",
        "set NETLAB_HOME to a folder for netlab's progress",
    ))
}

/// Reads progress; a missing file is a fresh start. A corrupt one is copied to a backup beside
/// it and reported: the learner decides what to do, nothing is reset behind their back.
pub fn load(path: &Path) -> Result<Progress> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Progress::default()),
        Err(e) => return Err(Error::io(path, e)),
    };
    match serde_json::from_slice::<Progress>(&bytes) {
        Ok(p) if p.schema == SCHEMA => Ok(p),
        Ok(Progress { schema: found, .. }) => Err(Error::usage(
            path.display().to_string(),
            format!("is written as '{found}'; this netlab reads {SCHEMA}"),
            "use the netlab that wrote it, or move the file away to start over",
        )),
        Err(e) => {
            let backup = path.with_extension(format!("json.corrupt-{}", unix_time()));
            let kept = std::fs::copy(path, &backup)
                .map(|_| format!("a copy is kept at {}", backup.display()))
                .unwrap_or_else(|_| "it was left in place".to_string());
            Err(Error::usage(
                path.display().to_string(),
                format!("progress file is corrupt ({e}); {kept}"),
                "repair it, or move it away to start over",
            ))
        }
    }
}

/// Saves progress atomically (temp file, fsync, rename, fsync of the folder; 0600). A netlab
/// killed in the middle of a save leaves the old file and a temporary file; the next save
/// removes such leftovers (tests/progress_kill.rs kills writers with SIGKILL to check both).
pub fn save(path: &Path, progress: &Progress) -> Result<()> {
    let json = serde_json::to_vec_pretty(progress).map_err(|e| Error::io(path, std::io::Error::other(e)))?;
    // netlab's own folder (NETLAB_HOME), made 0700 on first use.
    let dir = fsutil::folder_of(path);
    fsutil::create_private_dir(dir).map_err(|e| Error::io(dir, e))?;
    fsutil::remove_stale_temps(path);
    fsutil::write_atomic(path, &json).map_err(|e| Error::io(path, e))
}

fn unix_time() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_precedence() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        assert_eq!(
            default_path(env(&[("NETLAB_HOME", "/n"), ("HOME", "/h")])).unwrap(),
            PathBuf::from("/n/progress.json")
        );
        assert_eq!(
            default_path(env(&[("XDG_DATA_HOME", "/x"), ("HOME", "/h")])).unwrap(),
            PathBuf::from("/x/netlab/progress.json")
        );
        assert_eq!(
            default_path(env(&[("HOME", "/h")])).unwrap(),
            PathBuf::from("/h/.local/share/netlab/progress.json")
        );
        assert!(default_path(env(&[])).is_err());
    }

    #[test]
    fn round_trip_and_corrupt_file_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.json");
        assert_eq!(load(&path).unwrap(), Progress::default());
        let mut p = Progress::default();
        p.labs.entry("04-cidr".into()).or_default().answers.insert(
            "q".into(),
            AnswerRecord {
                answer: "1".into(),
                correct: true,
                attempts: 1,
                revealed: false,
            },
        );
        save(&path, &p).unwrap();
        assert_eq!(load(&path).unwrap(), p);
        std::fs::write(&path, b"{\"schema\": \"netlab.progress/1\", \"labs\": {").unwrap();
        let err = load(&path).unwrap_err().one_line();
        assert!(
            err.contains("progress file is corrupt") && err.contains("a copy is kept at"),
            "{err}"
        );
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"{\"schema\": \"netlab.progress/1\", \"labs\": {",
            "the corrupt file is not replaced"
        );
        let backups = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().contains("corrupt"))
            .count();
        assert_eq!(backups, 1);
    }
}
