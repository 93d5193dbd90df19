//! Where a learner stands in one lab: each question's standing (right at the first try, right
//! after tries or hints, revealed, open), the time spent, and where they stopped, for
//! `lab progress ID` and the "welcome back" of `lab start`.

use serde::Serialize;

use super::catalog::LoadedLab;
use super::progress::{spent, LabProgress, Standing};

pub const SCHEMA: &str = "netlab.lab.standing/1";

/// `lab progress ID`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabStanding {
    pub schema: &'static str,
    pub id: String,
    pub title: String,
    pub seconds: u64,
    pub steps: Vec<StepStanding>,
    /// The first open question, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume_at: Option<Place>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepStanding {
    pub id: String,
    pub title: String,
    pub questions: Vec<QuestionStanding>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuestionStanding {
    pub id: String,
    pub prompt: String,
    pub standing: Standing,
    pub attempts: u32,
    pub hints: u32,
}

/// A question's place: step `step` of `steps`, its question `question` (all from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Place {
    pub step: usize,
    pub steps: usize,
    pub question: usize,
}

impl LabStanding {
    pub fn new(lab: &LoadedLab, state: &LabProgress) -> LabStanding {
        let steps: Vec<StepStanding> = lab
            .lab
            .steps
            .iter()
            .map(|s| StepStanding {
                id: s.id.clone(),
                title: s.title.clone(),
                questions: s
                    .questions
                    .iter()
                    .map(|q| QuestionStanding {
                        id: q.id.clone(),
                        prompt: q.prompt.clone(),
                        standing: state.standing(&q.id),
                        attempts: state.answers.get(&q.id).map_or(0, |a| a.attempts),
                        hints: state.hints_shown.get(&q.id).copied().unwrap_or(0),
                    })
                    .collect(),
            })
            .collect();
        let resume_at = steps.iter().enumerate().find_map(|(n, s)| {
            s.questions
                .iter()
                .position(|q| matches!(q.standing, Standing::Open | Standing::Trying))
                .map(|i| Place {
                    step: n + 1,
                    steps: steps.len(),
                    question: i + 1,
                })
        });
        LabStanding {
            schema: SCHEMA,
            id: lab.lab.id.clone(),
            title: lab.lab.title.clone(),
            seconds: state.seconds,
            steps,
            resume_at,
        }
    }

    /// Whether any question has been answered, hinted or revealed.
    pub fn started(&self) -> bool {
        self.steps
            .iter()
            .flat_map(|s| &s.questions)
            .any(|q| q.standing != Standing::Open || q.hints > 0)
    }

    /// `welcome back: step 3 of 6, question 2 (7 of 17 done, 5 at the first try, 12 min so far)`.
    pub fn welcome(&self) -> Option<String> {
        if !self.started() {
            return None;
        }
        let all: Vec<&QuestionStanding> = self.steps.iter().flat_map(|s| &s.questions).collect();
        let done = all
            .iter()
            .filter(|q| !matches!(q.standing, Standing::Open | Standing::Trying))
            .count();
        let first = all.iter().filter(|q| q.standing == Standing::FirstTry).count();
        let at = self.resume_at.map_or("the end".to_string(), |p| {
            format!("step {} of {}, question {}", p.step, p.steps, p.question)
        });
        Some(format!(
            "welcome back: {at} ({done} of {} done, {first} at the first try, {} so far)",
            all.len(),
            spent(self.seconds)
        ))
    }

    pub fn text(&self) -> String {
        let mut out = format!("{} {}  ({} spent)\n", self.id, self.title, spent(self.seconds));
        for (n, s) in self.steps.iter().enumerate() {
            out.push_str(&format!("\nStep {}/{}: {}\n", n + 1, self.steps.len(), s.title));
            for q in &s.questions {
                out.push_str(&format!("  {:<28} {}: {}\n", standing_words(q), q.id, q.prompt));
            }
        }
        match self.resume_at {
            Some(p) => out.push_str(&format!(
                "\nYou stopped at step {} of {}, question {}: netlab lab start {} goes on from there.\n",
                p.step, p.steps, p.question, self.id
            )),
            None => out.push_str("\nEvery question is done.\n"),
        }
        out
    }
}

/// `right at the first try`, `right after 3 tries, 1 hint`, `revealed`, `open`.
fn standing_words(q: &QuestionStanding) -> String {
    let help = || {
        let mut parts = Vec::new();
        if q.attempts > 1 {
            parts.push(format!("{} tries", q.attempts));
        }
        match q.hints {
            0 => {}
            1 => parts.push("1 hint".to_string()),
            n => parts.push(format!("{n} hints")),
        }
        parts.join(", ")
    };
    match q.standing {
        Standing::FirstTry => "right at the first try".to_string(),
        Standing::AfterHelp => format!("right after {}", help()),
        Standing::Revealed => "revealed".to_string(),
        Standing::Trying if help().is_empty() => "not yet right".to_string(),
        Standing::Trying => format!("not yet right ({})", help()),
        Standing::Open => "open".to_string(),
    }
}
