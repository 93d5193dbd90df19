//! The labs engine through the CLI: every lab loads and its reference answers pass, wrong answers
//! fail where they should, the interactive runner works over a pipe and resumes, and bad lab
//! files, ids and answers files get clear errors.

mod common;
use common::{netlab, netlab_home, repo};
use predicates::prelude::*;

fn lab_dirs() -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(repo().join("labs"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("lab.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    ids.sort();
    ids
}

/// Labs whose steps run behind the emulated link (`--link`) need root for its network
/// namespaces. In CI (root) they are graded; elsewhere without root, grading them is skipped.
fn can_grade(id: &str) -> bool {
    let text = std::fs::read_to_string(repo().join(format!("labs/{id}/lab.toml"))).unwrap();
    if !["--link", "ddos", "anycast"]
        .iter()
        .any(|c| text.contains(&format!("command = \"{c}")))
    {
        return true;
    }
    // SAFETY: geteuid(2) cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "lab {id}: CI runs as root, and its --link steps need it"
    );
    eprintln!("skipping lab {id}'s answers: its --link steps need root (network namespaces)");
    false
}

/// One grading run at a time: the --link steps measure round trips, and two emulated links
/// sharing two cores would measure each other.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn every_lab_loads_is_built_in_and_passes_its_reference_answers() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let home = tempfile::tempdir().unwrap();
    let ids = lab_dirs();
    assert!(!ids.is_empty());
    let listed = netlab_home(home.path()).args(["lab", "list"]).output().unwrap();
    assert!(listed.status.success());
    let listed = String::from_utf8(listed.stdout).unwrap();
    for id in &ids {
        assert!(
            listed.lines().any(|l| l.starts_with(id.as_str())),
            "lab {id} is in labs/ but not built into netlab (src/lab/catalog.rs EMBEDDED)"
        );
        // The same lab, loaded from the folder, is valid too.
        netlab_home(home.path())
            .env("NETLAB_LABS", repo().join("labs"))
            .args(["lab", "list"])
            .assert()
            .success()
            .stdout(predicate::str::contains(id.as_str()));
        let answers = repo().join(format!("tests/labs/{id}.answers.toml"));
        assert!(
            answers.exists(),
            "lab {id} needs reference answers in {}",
            answers.display()
        );
        if !can_grade(id) {
            continue;
        }
        netlab_home(home.path())
            .args(["lab", "check", id, "--answers"])
            .arg(&answers)
            .assert()
            .code(0)
            .stdout(predicate::str::contains("score: "))
            .stdout(predicate::str::contains("wrong").not());
    }
}

#[test]
fn wrong_answers_fail_on_exactly_the_wrong_questions() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let home = tempfile::tempdir().unwrap();
    for id in lab_dirs() {
        let wrong = repo().join(format!("tests/labs/{id}.wrong.toml"));
        let text = std::fs::read_to_string(&wrong)
            .unwrap_or_else(|_| panic!("lab {id} needs deliberately wrong answers in {}", wrong.display()));
        if !can_grade(&id) {
            continue;
        }
        let mut expected: Vec<String> = text
            .lines()
            .find_map(|l| l.strip_prefix("# expect-not-right:"))
            .unwrap_or_else(|| panic!("{} needs a '# expect-not-right: ID...' line", wrong.display()))
            .split_whitespace()
            .map(str::to_string)
            .collect();
        expected.sort();
        let out = netlab_home(home.path())
            .args(["--json", "lab", "check", &id, "--answers"])
            .arg(&wrong)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{id}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut not_right: Vec<String> = v["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["verdict"] != "right")
            .map(|r| r["question"].as_str().unwrap().to_string())
            .collect();
        not_right.sort();
        assert_eq!(not_right, expected, "lab {id}");
    }
    netlab_home(home.path())
        .args(["lab", "check", "04-cidr", "--answers", "tests/labs/04-cidr.wrong.toml"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("score: 8/17"))
        .stdout(predicate::str::contains("unanswered"))
        .stdout(predicate::str::contains("(hint: The output marks it with a ^.)"));
}

#[test]
fn interactive_over_a_pipe_right_wrong_hint_and_resume() {
    let home = tempfile::tempdir().unwrap();
    // Right, then wrong (a hint follows), then right, then input ends mid-lab.
    netlab_home(home.path())
        .args(["lab", "start", "04-cidr"])
        .write_stdin("yes\n17\n18\n")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "$ netlab cidr contains 10.0.16.0/20 10.0.31.255 10.0.32.1",
        ))
        .stdout(predicate::str::contains("right. 10.0.31.255 AND 255.255.240.0"))
        .stdout(predicate::str::contains(
            "not quite. hint: The output marks it with a ^.",
        ))
        .stdout(predicate::str::contains(
            "Progress saved. Resume with: netlab lab start 04-cidr",
        ));
    let progress: serde_json::Value =
        serde_json::from_slice(&std::fs::read(home.path().join("progress.json")).unwrap()).unwrap();
    let answers = &progress["labs"]["04-cidr"]["answers"];
    assert_eq!(answers["first-differing-bit"]["attempts"], 2);
    assert_eq!(answers["first-differing-bit"]["correct"], true);
    assert!(
        progress["labs"]["04-cidr"]["traces"]["and"]["events"].is_array(),
        "the step's own trace is kept"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(home.path().join("progress.json"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
    }
    // Resume: step 1 is done, so the session starts at step 2's question.
    netlab_home(home.path())
        .args(["lab", "start", "04-cidr"])
        .write_stdin("1022\nquit\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("Step 1/").not())
        .stdout(predicate::str::contains("Step 2/10: Counting hosts"))
        .stdout(predicate::str::contains("right. 2^10 - 2 = 1022."));
    netlab_home(home.path()).args(["lab", "hint", "04-cidr"]).assert().success().stdout("broadcast-22: What is its broadcast address?\nhint: The network is 172.16.4.0/22: the low two bits of the third number are host bits.\n");
    netlab_home(home.path())
        .args(["lab", "progress"])
        .assert()
        .success()
        .stdout(predicate::str::contains("3/17 done, 3 right (2 at the first try)"));
    netlab_home(home.path())
        .args(["lab", "reset", "04-cidr"])
        .assert()
        .success()
        .stdout("04-cidr reset.\n");
    netlab_home(home.path())
        .args(["lab", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("not started"));
}

#[test]
fn finishing_the_lab_over_a_pipe() {
    let home = tempfile::tempdir().unwrap();
    let all = "yes\n18\n1022\n172.16.7.255\n30\n192.0.2.192/27\n25\n16\n2\n198.51.100.0/24\n8\n4\nno\n4\n100.64.0.0/10\nno\n1\n";
    netlab_home(home.path())
        .args(["lab", "start", "04-cidr"])
        .write_stdin(all)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Lab 04-cidr complete: 17/17 answered right (0 revealed).",
        ));
    // Unreadable answers are not counted; 'answer' reveals.
    let home = tempfile::tempdir().unwrap();
    netlab_home(home.path())
        .args(["lab", "start", "04-cidr"])
        .write_stdin("maybe\nanswer\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("'maybe' is not yes or no; try again"))
        .stdout(predicate::str::contains("The answer is yes."));
}

#[test]
fn bad_lab_files_ids_and_answers() {
    let home = tempfile::tempdir().unwrap();
    netlab_home(home.path())
        .args(["lab", "start", "99-nope"])
        .assert()
        .code(2)
        .stderr(
        "netlab: lab '99-nope': there is no such lab (labs: 01-dns, 02-tls13, 03-http2-vs-http3, 04-cidr, 05-tcp, 06-cdn-cache, 07-rate-limiting, 08-ddos, 09-anycast)\n",
    );

    let labs = tempfile::tempdir().unwrap();
    let broken = labs.path().join("01-broken");
    std::fs::create_dir(&broken).unwrap();
    std::fs::write(broken.join("lab.toml"), "format_version = 1\nid = \"01-other\"\ntitle = \"t\"\nminutes = 5\ngoals = []\n\n[[step]]\nid = \"s\"\ntitle = \"s\"\ntext = \"t\"\n\n[[step.question]]\nid = \"q\"\nprompt = \"p\"\nkind = \"colour\"\nexplanation = \"e\"\ncheck = { fixed = \"x\" }\n").unwrap();
    netlab_home(home.path())
        .env("NETLAB_LABS", labs.path())
        .args(["lab", "list"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "01-broken/lab.toml:15: unknown variant `colour`",
        ));
    std::fs::write(broken.join("lab.toml"), "format_version = 1\nid = \"01-other\"\ntitle = \"t\"\nminutes = 5\ngoals = []\n\n[[step]]\nid = \"s\"\ntitle = \"s\"\ntext = \"t\"\n\n[[step.question]]\nid = \"q\"\nprompt = \"p\"\nkind = \"number\"\nexplanation = \"e\"\ncheck = { trace = \"events\" }\n").unwrap();
    let out = netlab_home(home.path())
        .env("NETLAB_LABS", labs.path())
        .args(["lab", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("lab.toml:2: id '01-other' differs from the folder name '01-broken'"),
        "{err}"
    );
    assert!(
        err.contains("lab.toml:13: check.trace reads the trace of step 's', which has no command"),
        "{err}"
    );
    assert!(err.contains("lab.toml:13: 'events' is not a trace path"), "{err}");
    assert_eq!(err.lines().count(), 3, "every problem, one line each: {err}");
    std::fs::write(broken.join("lab.toml"), "format_version = 1\nid = \"01-broken\"\ntitle = \"t\"\nminutes = 5\ngoals = []\n\n[[step]]\nid = \"s\"\ntitle = \"s\"\ntext = \"t\"\ncommand = \"tcp www.example.com:9\"\n\n[[step.question]]\nid = \"q\"\nprompt = \"p\"\nkind = \"number\"\nexplanation = \"e\"\ncheck = { trace = \"max(/events/[type=packet.tcp_info]/rtt_us)\", unit = \"parsecs\" }\n").unwrap();
    let out = netlab_home(home.path())
        .env("NETLAB_LABS", labs.path())
        .args(["lab", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("lab.toml:14: unit 'parsecs' is not one of s, ms, us, ns"),
        "{err}"
    );
    assert!(
        err.contains("lab.toml:14: check.unit is for duration questions"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 2, "max(...) is a trace path; two problems: {err}");

    let answers = home.path().join("answers.toml");
    std::fs::write(&answers, "inside-20 = \"yes\"\nnot-a-question = 3\nsplit-six = [25]\n").unwrap();
    let out = netlab_home(home.path())
        .args(["lab", "check", "04-cidr", "--answers"])
        .arg(&answers)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("answers.toml:2: 'not-a-question' is not a question of lab 04-cidr"),
        "{err}"
    );
    assert!(
        err.contains("answers.toml:3: the answer to 'split-six' is a array, not a value"),
        "{err}"
    );
    std::fs::write(&answers, "inside-20 = \n").unwrap();
    netlab_home(home.path())
        .args(["lab", "check", "04-cidr", "--answers"])
        .arg(&answers)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("answers.toml:1:"));
    netlab_home(home.path())
        .args(["lab", "check", "04-cidr", "--answers", "/nonexistent.toml"])
        .assert()
        .code(3);
}

#[test]
fn corrupt_progress_is_reported_and_kept() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("progress.json");
    std::fs::write(&path, "{ not json").unwrap();
    netlab_home(home.path())
        .args(["lab", "start", "04-cidr"])
        .write_stdin("yes\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("progress file is corrupt"))
        .stderr(predicate::str::contains("a copy is kept at"));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "{ not json",
        "never silently reset"
    );
}

#[test]
fn show_renders_the_write_up() {
    let home = tempfile::tempdir().unwrap();
    netlab_home(home.path())
        .args(["lab", "show", "04-cidr"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("Lab 04: CIDR"))
        .stdout(predicate::str::contains("\n    $ netlab cidr contains 192.168.10.0/23"));
}

/// A lab folder with one prediction (`when = "before"`), a step fed standard input and a step
/// that reaches the network.
fn prediction_lab() -> tempfile::TempDir {
    let labs = tempfile::tempdir().unwrap();
    let dir = labs.path().join("01-predict");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("lab.toml"),
        r#"format_version = 1
id = "01-predict"
title = "Predictions"
minutes = 5
goals = ["predict"]

[[step]]
id = "thirty"
title = "A /30"
text = "Four addresses."
command = "cidr info 10.0.0.0/30"

[[step.question]]
id = "hosts-30"
prompt = "How many usable hosts will a /30 have?"
when = "before"
kind = "number"
hints = ["Two addresses are not for hosts."]
explanation = "2: the network and broadcast addresses are not hosts."
check = { trace = "/events/0/usable_hosts" }

[[step.question]]
id = "broadcast-30"
prompt = "Its broadcast address?"
kind = "ip"
explanation = "10.0.0.3"
check = { trace = "/events/0/broadcast" }

[[step]]
id = "agg"
title = "Aggregate"
text = "Two halves."
command = "cidr aggregate"
stdin = "10.0.0.0/25\n10.0.0.128/25\n"

[[step.question]]
id = "agg-count"
prompt = "How many prefixes?"
kind = "number"
explanation = "One /24."
check = { trace = "len(/events/0/prefixes)" }
"#,
    )
    .unwrap();
    labs
}

#[test]
fn a_prediction_is_asked_before_the_command_and_settled_by_its_trace() {
    let labs = prediction_lab();
    let home = tempfile::tempdir().unwrap();
    let run = |input: &str| {
        let out = netlab_home(home.path())
            .env("NETLAB_LABS", labs.path())
            .args(["lab", "start", "01-predict"])
            .write_stdin(input.to_string())
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    // 'answer' is refused before the command runs; a wrong prediction is settled, not retried.
    let text = run("answer\n4\n10.0.0.3\n1\n");
    let shown = text.find("$ netlab cidr info 10.0.0.0/30\n").expect(&text);
    let asked = text
        .find("? predict before it runs: How many usable hosts will a /30 have?")
        .expect(&text);
    let output = text.find("broadcast      10.0.0.3").expect(&text);
    assert!(
        shown < asked && asked < output,
        "the prediction comes after the command line, before its output:\n{text}"
    );
    assert!(
        text.contains("make a guess: the command runs next and shows it"),
        "{text}"
    );
    assert!(text.contains("you predicted 4; the trace says 2."), "{text}");
    // The standard input is shown as a here-document, as a learner would type it.
    assert!(
        text.contains("$ netlab cidr aggregate <<'EOF'\n10.0.0.0/25\n10.0.0.128/25\nEOF\n"),
        "{text}"
    );
    let progress: serde_json::Value =
        serde_json::from_slice(&std::fs::read(home.path().join("progress.json")).unwrap()).unwrap();
    let hosts = &progress["labs"]["01-predict"]["answers"]["hosts-30"];
    assert_eq!(hosts["correct"], false, "{hosts}");
    assert_eq!(hosts["attempts"], 1, "{hosts}");

    // A fresh start: a right prediction says so.
    let home2 = tempfile::tempdir().unwrap();
    let out = netlab_home(home2.path())
        .env("NETLAB_LABS", labs.path())
        .args(["lab", "start", "01-predict"])
        .write_stdin("2\nquit\n")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("your prediction was right: 2."), "{text}");

    // Coming back: where the learner stopped, and how it went so far.
    let out = netlab_home(home2.path())
        .env("NETLAB_LABS", labs.path())
        .args(["lab", "start", "01-predict"])
        .write_stdin("quit\n")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("welcome back: step 1 of 2, question 2 (1 of 3 done, 1 at the first try, under a minute so far)"),
        "{text}"
    );
    // lab progress ID: question by question; the wrong prediction of the first home is revealed.
    let detail = |home: &std::path::Path| {
        let out = netlab_home(home)
            .env("NETLAB_LABS", labs.path())
            .args(["lab", "progress", "01-predict"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let text = detail(home2.path());
    assert!(text.contains("right at the first try       hosts-30:"), "{text}");
    assert!(text.contains("open                         broadcast-30:"), "{text}");
    assert!(text.contains("You stopped at step 1 of 2, question 2"), "{text}");
    let text = detail(home.path());
    assert!(text.contains("revealed                     hosts-30:"), "{text}");
    assert!(text.contains("Every question is done."), "{text}");
    // Not a terminal: reset does not ask.
    netlab_home(home.path())
        .env("NETLAB_LABS", labs.path())
        .args(["lab", "reset", "01-predict"])
        .assert()
        .success()
        .stdout(predicate::str::contains("01-predict reset."));
    assert!(detail(home.path()).contains("open                         hosts-30:"));
}

#[test]
fn a_prediction_needs_a_command_to_check_it() {
    let labs = tempfile::tempdir().unwrap();
    let dir = labs.path().join("01-bad");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("lab.toml"),
        "format_version = 1\nid = \"01-bad\"\ntitle = \"t\"\nminutes = 1\ngoals = []\n\n[[step]]\nid = \"s\"\ntitle = \"s\"\ntext = \"t\"\n\n[[step.question]]\nid = \"q\"\nprompt = \"p\"\nwhen = \"before\"\nkind = \"yesno\"\nexplanation = \"e\"\ncheck = { fixed = \"yes\" }\n",
    )
    .unwrap();
    netlab()
        .env("NETLAB_LABS", labs.path())
        .args(["lab", "show", "01-bad"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "predicts the output of step 's', which has no command",
        ));
}
