//! Finding and loading labs. The labs in `labs/` are compiled into the binary, so an installed
//! netlab has them; `NETLAB_LABS=DIR` loads a folder of labs instead (for lab authors).

use std::path::Path;

use super::model::{self, Lab};
use crate::error::{Error, Result};

/// A lab's files besides lab.toml and README.md (what `stdin_file` names), by name.
type Files = &'static [(&'static str, &'static str)];

/// Labs built into the binary: (folder name, lab.toml, README.md, the steps' input files).
const EMBEDDED: &[(&str, &str, &str, Files)] = &[
    (
        "01-dns",
        include_str!("../../labs/01-dns/lab.toml"),
        include_str!("../../labs/01-dns/README.md"),
        &[],
    ),
    (
        "02-tls13",
        include_str!("../../labs/02-tls13/lab.toml"),
        include_str!("../../labs/02-tls13/README.md"),
        &[],
    ),
    (
        "03-http2-vs-http3",
        include_str!("../../labs/03-http2-vs-http3/lab.toml"),
        include_str!("../../labs/03-http2-vs-http3/README.md"),
        &[],
    ),
    (
        "04-cidr",
        include_str!("../../labs/04-cidr/lab.toml"),
        include_str!("../../labs/04-cidr/README.md"),
        &[
            ("allow-list.txt", include_str!("../../labs/04-cidr/allow-list.txt")),
            ("rules.txt", include_str!("../../labs/04-cidr/rules.txt")),
        ],
    ),
    (
        "05-tcp",
        include_str!("../../labs/05-tcp/lab.toml"),
        include_str!("../../labs/05-tcp/README.md"),
        &[],
    ),
    (
        "06-cdn-cache",
        include_str!("../../labs/06-cdn-cache/lab.toml"),
        include_str!("../../labs/06-cdn-cache/README.md"),
        &[],
    ),
    (
        "07-rate-limiting",
        include_str!("../../labs/07-rate-limiting/lab.toml"),
        include_str!("../../labs/07-rate-limiting/README.md"),
        &[("boundary.log", include_str!("../../labs/07-rate-limiting/boundary.log"))],
    ),
    (
        "08-ddos",
        include_str!("../../labs/08-ddos/lab.toml"),
        include_str!("../../labs/08-ddos/README.md"),
        &[],
    ),
    (
        "09-anycast",
        include_str!("../../labs/09-anycast/lab.toml"),
        include_str!("../../labs/09-anycast/README.md"),
        &[],
    ),
];

/// A lab with its write-up.
#[derive(Debug, Clone)]
pub struct LoadedLab {
    pub lab: Lab,
    pub readme: String,
}

/// Every lab, ordered by id.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub labs: Vec<LoadedLab>,
}

impl Catalog {
    /// The embedded labs, or those in `dir`.
    pub fn load(dir: Option<&Path>) -> Result<Catalog> {
        let mut labs = Vec::new();
        let mut problems = Vec::new();
        match dir {
            None => {
                for (name, toml_text, readme, files) in EMBEDDED {
                    let source = format!("labs/{name}/lab.toml");
                    let file = |f: &str| files.iter().find(|(n, _)| *n == f).map(|(_, text)| text.to_string());
                    match parse_lab(&source, toml_text, name, &file) {
                        Ok(lab) => labs.push(LoadedLab {
                            lab,
                            readme: readme.to_string(),
                        }),
                        Err(mut e) => problems.append(&mut e),
                    }
                }
            }
            Some(dir) => {
                let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
                let mut folders: Vec<_> = entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.join("lab.toml").is_file())
                    .collect();
                folders.sort();
                for folder in folders {
                    let name = folder
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let toml_path = folder.join("lab.toml");
                    let text = std::fs::read_to_string(&toml_path).map_err(|e| Error::io(&toml_path, e))?;
                    let readme = std::fs::read_to_string(folder.join("README.md")).unwrap_or_default();
                    // Only a plain file name inside the lab's folder.
                    let file = |f: &str| {
                        let plain = Path::new(f).file_name().is_some_and(|n| n == f);
                        plain.then(|| std::fs::read_to_string(folder.join(f)).ok()).flatten()
                    };
                    match parse_lab(&toml_path.display().to_string(), &text, &name, &file) {
                        Ok(lab) => labs.push(LoadedLab { lab, readme }),
                        Err(mut e) => problems.append(&mut e),
                    }
                }
            }
        }
        let ids: Vec<String> = labs.iter().map(|l| l.lab.id.clone()).collect();
        for l in &labs {
            for pre in &l.lab.prerequisites {
                if !ids.contains(pre) {
                    problems.push(Error::usage(
                        format!("lab {}", l.lab.id),
                        format!("prerequisite '{pre}' is not a lab"),
                        "list lab ids from 'netlab lab list'",
                    ));
                }
            }
        }
        if !problems.is_empty() {
            return Err(Error::Many(problems));
        }
        labs.sort_by(|a, b| a.lab.id.cmp(&b.lab.id));
        Ok(Catalog { labs })
    }

    /// The lab with `id`, or an error listing the ones there are.
    pub fn get(&self, id: &str) -> Result<&LoadedLab> {
        self.labs.iter().find(|l| l.lab.id == id).ok_or_else(|| {
            let known: Vec<&str> = self.labs.iter().map(|l| l.lab.id.as_str()).collect();
            Error::usage(
                format!("lab '{id}'"),
                "there is no such lab",
                format!("labs: {}", known.join(", ")),
            )
        })
    }
}

/// The schema of `netlab lab show --json`.
pub const SHOW_SCHEMA: &str = "netlab.lab/1";

/// `lab show`: a lab as a learner sees it, for another front end to present: its write-up (the
/// Markdown source), steps, commands and questions. Not the answers, hints or explanations:
/// those come one at a time from `lab start`, `lab hint` and `lab check`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LabView {
    pub schema: &'static str,
    pub id: String,
    pub title: String,
    pub minutes: u32,
    pub goals: Vec<String>,
    pub prerequisites: Vec<String>,
    /// README.md as written (Markdown).
    pub readme: String,
    pub steps: Vec<StepView>,
}

/// One step: what to read, the netlab command to run (without `netlab`), what to answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StepView {
    pub id: String,
    pub title: String,
    pub text: String,
    pub command: Option<String>,
    pub stdin: Option<String>,
    pub questions: Vec<QuestionView>,
}

/// A question: its prompt, and how an answer is read (`kind`, and `choices` for `choice`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QuestionView {
    pub id: String,
    pub prompt: String,
    /// `number`, `text`, `choice`, `yesno`, `cidr`, `ip`, `duration`, `size`, `group`, `suite`,
    /// `dn`, `version` or `name`, as in lab.toml.
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
}

/// A question kind as lab.toml spells it.
fn kind_name(kind: crate::lab::answer::Kind) -> &'static str {
    match kind {
        crate::lab::answer::Kind::Number => "number",
        crate::lab::answer::Kind::Text => "text",
        crate::lab::answer::Kind::Choice => "choice",
        crate::lab::answer::Kind::Yesno => "yesno",
        crate::lab::answer::Kind::Cidr => "cidr",
        crate::lab::answer::Kind::Ip => "ip",
        crate::lab::answer::Kind::Duration => "duration",
        crate::lab::answer::Kind::Size => "size",
        crate::lab::answer::Kind::Group => "group",
        crate::lab::answer::Kind::Suite => "suite",
        crate::lab::answer::Kind::Dn => "dn",
        crate::lab::answer::Kind::Version => "version",
        crate::lab::answer::Kind::Name => "name",
    }
}

impl LoadedLab {
    /// What `lab show --json` says of this lab.
    pub fn view(&self) -> LabView {
        let lab = &self.lab;
        LabView {
            schema: SHOW_SCHEMA,
            id: lab.id.clone(),
            title: lab.title.clone(),
            minutes: lab.minutes,
            goals: lab.goals.clone(),
            prerequisites: lab.prerequisites.clone(),
            readme: self.readme.clone(),
            steps: lab
                .steps
                .iter()
                .map(|s| StepView {
                    id: s.id.clone(),
                    title: s.title.clone(),
                    text: s.text.clone(),
                    command: s.command.clone(),
                    stdin: s.stdin.clone(),
                    questions: s
                        .questions
                        .iter()
                        .map(|q| QuestionView {
                            id: q.id.clone(),
                            prompt: q.prompt.clone(),
                            kind: kind_name(q.kind),
                            choices: q.choices.clone(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// Parses and validates one lab file; every problem is an error naming the file and line.
/// Reads and validates one lab.toml; `file` gives the contents of a file in the lab's folder
/// (for `stdin_file`).
pub fn parse_lab(
    source: &str,
    text: &str,
    dir_name: &str,
    file: &dyn Fn(&str) -> Option<String>,
) -> std::result::Result<Lab, Vec<Error>> {
    let at = |line: u64, why: String, hint: &str| Error::Input {
        source_name: source.to_string(),
        line,
        why,
        hint: hint.to_string(),
    };
    let mut lab: Lab = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |s| line_of(text, s.start));
        vec![at(
            line,
            e.message().trim().replace('\n', " "),
            "see labs/README.md for the format",
        )]
    })?;
    let mut problems = model::validate(&lab, dir_name);
    for step in &mut lab.steps {
        if let Some(name) = &step.stdin_file {
            match file(name) {
                Some(text) => step.stdin = Some(text),
                None => problems.push((
                    step.id.clone(),
                    format!("stdin_file '{name}' is not a file in the lab's folder"),
                )),
            }
        }
    }
    if problems.is_empty() {
        return Ok(lab);
    }
    Err(problems
        .into_iter()
        .map(|(id, why)| at(line_of_id(text, &id), why, "see labs/README.md for the format"))
        .collect())
}

/// 1-based line of byte offset `at`.
fn line_of(text: &str, at: usize) -> u64 {
    text[..at.min(text.len())].matches('\n').count() as u64 + 1
}

/// Line where `id = "ID"` is written, or 1.
fn line_of_id(text: &str, id: &str) -> u64 {
    text.lines()
        .position(|l| {
            let l = l.trim();
            l.starts_with("id") && l.contains(&format!("\"{id}\""))
        })
        .map_or(1, |i| i as u64 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_labs_load() {
        let c = Catalog::load(None).unwrap();
        assert!(c.get("04-cidr").is_ok());
        assert!(c
            .get("99-nope")
            .unwrap_err()
            .one_line()
            .contains("labs: 01-dns, 02-tls13, 03-http2-vs-http3, 04-cidr, 05-tcp, 06-cdn-cache, 07-rate-limiting"));
    }

    /// labs/README.md's rule: at least a third of each lab's questions predict, compute from
    /// two values, or choose an explanation, rather than copy a line just printed.
    #[test]
    fn every_lab_makes_the_learner_think_in_a_third_of_its_questions() {
        for l in Catalog::load(None).unwrap().labs {
            let questions: Vec<_> = l.lab.steps.iter().flat_map(|s| &s.questions).collect();
            let thinking = questions.iter().filter(|q| q.makes_think()).count();
            assert!(
                thinking * 3 >= questions.len(),
                "{}: {thinking} of {} questions make the learner think; labs/README.md asks a third",
                l.lab.id,
                questions.len()
            );
        }
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let text = r#"format_version = 2
id = "x"
title = "t"
minutes = 5
goals = []

[[step]]
id = "s"
title = "s"
text = "t"

[[step.question]]
id = "q1"
prompt = "p"
kind = "number"
explanation = "e"
check = { trace = "/events/0/x" }

[[step.question]]
id = "q2"
prompt = "p"
kind = "choice"
choices = ["a", "b"]
explanation = "e"
check = { fixed = "c" }
"#;
        let errs = parse_lab("lab.toml", text, "x", &|_| None).unwrap_err();
        let lines: Vec<String> = errs.iter().map(Error::one_line).collect();
        assert!(
            lines[0].starts_with("netlab: lab.toml:2: format_version is 2"),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l
                    .starts_with("netlab: lab.toml:13: check.trace reads the trace of step 's', which has no command")),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("netlab: lab.toml:20: fixed answer 'c' is not one of the choices")),
            "{lines:?}"
        );
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let errs = parse_lab("lab.toml", "format_version = 1\nid = \"x\"\ntitle = \n", "x", &|_| None).unwrap_err();
        assert!(
            errs[0].one_line().starts_with("netlab: lab.toml:3: "),
            "{}",
            errs[0].one_line()
        );
        let errs = parse_lab(
            "lab.toml",
            "format_version = 1\nid = \"x\"\ntitle = \"t\"\nminutes = 1\ngoals = []\nsteps = 3\n",
            "x",
            &|_| None,
        )
        .unwrap_err();
        assert!(
            errs[0].one_line().contains("unknown field `steps`"),
            "{}",
            errs[0].one_line()
        );
    }
}
