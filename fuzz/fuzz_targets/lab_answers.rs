//! The answers file loader: a learner's `question-id = "answer"` file read by
//! `lab::read_answers` against a built-in lab (the first whose question ids it mentions), each
//! answer then read by meaning and graded against itself (`lab::check`), and the text read as
//! an answer of every kind (`lab::answer::read_answer`).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use netlab::lab::answer::{read_answer, Kind};
use netlab::lab::catalog::Catalog;
use netlab::lab::{check, read_answers};

const KINDS: [Kind; 13] = [
    Kind::Number,
    Kind::Text,
    Kind::Choice,
    Kind::Yesno,
    Kind::Cidr,
    Kind::Ip,
    Kind::Duration,
    Kind::Size,
    Kind::Group,
    Kind::Suite,
    Kind::Dn,
    Kind::Version,
    Kind::Name,
];

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::load(None).expect("the built-in labs load"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let choices = ["first".to_string(), "second".to_string()];
    for kind in KINDS {
        let _ = read_answer(kind, text, &choices);
    }
    let labs = &catalog().labs;
    let mentioned = labs.iter().find(|l| {
        l.lab
            .steps
            .iter()
            .flat_map(|s| &s.questions)
            .any(|q| text.contains(q.id.as_str()))
    });
    let lab = mentioned.unwrap_or(&labs[0]);
    let Ok(answers) = read_answers(lab, "answers.toml", text) else {
        return;
    };
    for (id, answer) in answers {
        if let Some(q) = lab.lab.steps.iter().flat_map(|s| &s.questions).find(|q| q.id == id) {
            let _ = check::read_as(q, &answer);
            let _ = check::grade(q, &answer, &answer);
        }
    }
});
