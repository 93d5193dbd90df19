//! The lab file loader: a `lab.toml` read and validated by `lab::catalog::parse_lab` (every
//! file it names in the lab's folder exists and is empty), then shown as `lab show` shows it,
//! and each question's own choices read as its answers would be (`lab::check::read_as`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use netlab::lab::catalog::{parse_lab, LoadedLab};
use netlab::lab::check;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(lab) = parse_lab("lab.toml", text, "00-fuzz", &|_| Some(String::new())) else {
        return;
    };
    let loaded = LoadedLab {
        lab,
        readme: String::new(),
    };
    let _ = loaded.view();
    for q in loaded.lab.steps.iter().flat_map(|s| &s.questions) {
        for c in &q.choices {
            let _ = check::read_as(q, c);
        }
    }
});
