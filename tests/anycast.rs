//! `netlab anycast` through the CLI: as root, seven namespaces routed by BIRD put each client
//! on its own region's PoP for the reason BGP gives (local preference), and a withdrawn PoP's
//! clients move to the next one within a stated bound while the others stay; without root, a
//! one-line error. Bounded: BGP converges within 20 s or the command fails.

mod common;
use common::{netlab, of_type, trace};

/// One topology at a time: the check that no BIRD of netlab's outlives a run must not see
/// another run's.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn is_root() -> bool {
    // SAFETY: geteuid(2) cannot fail.
    unsafe { libc::geteuid() == 0 }
}

#[test]
fn each_client_reaches_its_regions_pop_and_moves_when_it_is_withdrawn() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("bgp.pcap");
    let args = ["anycast", "--withdraw", "fra", "-w", pcap.to_str().unwrap()];
    if !is_root() {
        let out = netlab().args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("need root"), "{err}");
        return;
    }
    let (v, code) = trace(&args);
    assert_eq!(code, 0, "{v}");
    let setup = of_type(&v, "anycast.setup")[0];
    assert!(setup["converged_ms"].as_f64().unwrap() < 20_000.0, "{setup}");
    let reaches = of_type(&v, "anycast.reach");
    assert_eq!(reaches.len(), 4, "two clients, before and after: {v}");
    let pop = |phase: &str, client: &str| {
        reaches
            .iter()
            .find(|r| r["phase"] == phase && r["client"] == client)
            .and_then(|r| r["pop"].as_str())
            .unwrap_or_else(|| panic!("{phase} {client}: {v}"))
            .to_string()
    };
    assert_eq!(pop("baseline", "eu"), "fra");
    assert_eq!(pop("baseline", "asia"), "sin");
    // The web edge names the same PoP as the DNS identity query.
    for r in &reaches {
        assert_eq!(r["served_by"], r["pop"], "{r}");
    }
    let eu = reaches
        .iter()
        .find(|r| r["phase"] == "baseline" && r["client"] == "eu")
        .unwrap();
    let reason = eu["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("via fra (AS path 64500, local-pref 200)"),
        "{reason}"
    );
    assert!(
        reason.contains("over iad (AS path 64500): higher local-pref (200 > 100)"),
        "{reason}"
    );
    assert_eq!(
        eu["candidates"].as_array().unwrap().len(),
        3,
        "fra, iad and the other transit: {eu}"
    );
    // fra goes: eu moves to iad (the other direct path beats one through tb: shorter AS path),
    // within 3 s (BGP's withdrawal, not its hold timer); asia stays on sin.
    let moves = of_type(&v, "anycast.change")[0]["moves"].as_array().unwrap().clone();
    let eu_move = moves.iter().find(|m| m["client"] == "eu").unwrap();
    assert_eq!(
        (eu_move["before"].as_str(), eu_move["after"].as_str()),
        (Some("fra"), Some("iad")),
        "{eu_move}"
    );
    assert!(eu_move["converged_ms"].as_f64().unwrap() < 3000.0, "{eu_move}");
    let asia_move = moves.iter().find(|m| m["client"] == "asia").unwrap();
    assert_eq!(asia_move["after"], "sin", "{asia_move}");
    assert!(asia_move.get("converged_ms").is_none(), "{asia_move}");
    assert_eq!(pop("after withdrawing fra", "eu"), "iad");
    // The emulated links' delays: 5 ms each way to fra, 40 ms to iad.
    let rtt = |phase: &str| {
        reaches
            .iter()
            .find(|r| r["phase"] == phase && r["client"] == "eu")
            .and_then(|r| r["rtt_ms"].as_f64())
            .unwrap()
    };
    assert!((10.0..60.0).contains(&rtt("baseline")), "{v}");
    assert!(rtt("after withdrawing fra") >= 80.0, "{v}");
    // The download eu had under way with fra was reset (by iad, which never saw it), while its
    // UDP queries were answered by iad; asia's, on a path that did not move, completed.
    let withdraw = of_type(&v, "anycast.change")[0];
    let download = |client: &str, steering: &str| {
        withdraw["downloads"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["client"] == client && d["steering"] == steering)
            .unwrap_or_else(|| panic!("{client} {steering}: {withdraw}"))
            .clone()
    };
    let eu_download = download("eu", "anycast");
    assert_eq!(
        (eu_download["served_by"].as_str(), eu_download["end"].as_str()),
        (Some("fra"), Some("reset")),
        "{eu_download}"
    );
    assert!(
        eu_download["received_bytes"].as_u64().unwrap() < eu_download["expected_bytes"].as_u64().unwrap(),
        "{eu_download}"
    );
    let asia_download = download("asia", "anycast");
    assert_eq!(asia_download["end"], "complete", "{asia_download}");
    assert_eq!(asia_download["received_bytes"], asia_download["expected_bytes"]);
    // DNS steering gave eu fra's own address, which only fra announces: the same withdrawal
    // left that download alone.
    let steered = download("eu", "dns");
    assert_eq!(
        (
            steered["address"].as_str(),
            steered["served_by"].as_str(),
            steered["end"].as_str()
        ),
        (Some("198.51.100.1"), Some("fra"), Some("complete")),
        "{steered}"
    );
    let asia_steered = &reaches.iter().find(|r| r["client"] == "asia").unwrap()["steered"];
    assert_eq!(asia_steered["address"], "198.51.100.3", "{asia_steered}");
    assert_eq!(asia_steered["served_by"], "sin", "{asia_steered}");
    let resets = &withdraw["resets_sent"];
    assert!(resets["iad"].as_u64().unwrap() >= 1, "{resets}");
    assert_eq!(resets["sin"], 0, "{resets}");
    // The withdrawal itself, as captured on ta's link to fra and decoded.
    let bgp = withdraw["bgp"].as_array().unwrap();
    assert!(
        bgp.iter().any(|m| m["from"] == "fra"
            && m["to"] == "ta"
            && m["info"].as_str().unwrap().contains("withdraws 203.0.113.0/24")),
        "{withdraw}"
    );
    assert!(v.to_string().contains("anycast.tcp-reset"), "{v}");
    // The capture of the whole run is a pcap that netlab pcap reads: the sessions' OPENs and
    // the UPDATEs that announced the prefix.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&pcap).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let out = netlab().args(["pcap", pcap.to_str().unwrap()]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("BGP OPEN AS64500"), "{text}");
    assert!(text.contains("BGP UPDATE 203.0.113.0/24"), "{text}");
    let after = reaches
        .iter()
        .find(|r| r["phase"] == "after withdrawing fra" && r["client"] == "eu")
        .unwrap();
    assert!(
        after["reason"]
            .as_str()
            .unwrap()
            .contains("shorter AS path (1 < 2 ASes)"),
        "{after}"
    );
    // Nothing of it is left: no BIRD of netlab's (its configuration in netlab's work folder)
    // outlives the command; a system's own bird, if any, is not ours to count.
    let left = std::process::Command::new("pgrep")
        .args(["-f", "bird -f -c .*/netlab-anycast-"])
        .output()
        .unwrap();
    assert!(
        left.stdout.is_empty(),
        "bird still running: {}",
        String::from_utf8_lossy(&left.stdout)
    );
}

#[test]
fn a_prepended_pop_loses_where_the_path_length_decides() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !is_root() {
        return;
    }
    // fra gone, iad prepending twice: ta's direct path to iad (3 ASes) loses to the path
    // through tb to sin (2), so eu goes to Singapore; tb's local-pref for sin is untouched.
    let dir = tempfile::tempdir().unwrap();
    let picture = dir.path().join("anycast.svg");
    let (v, code) = trace(&[
        "anycast",
        "--withdraw",
        "fra",
        "--prepend",
        "iad:2",
        "--svg",
        picture.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{v}");
    // The picture: eu's path after the change runs through both transits to sin.
    let svg = std::fs::read_to_string(&picture).unwrap();
    assert!(svg.contains("fra withdrawn"), "{svg}");
    assert!(svg.contains("eu reached sin"), "{svg}");
    let eu = of_type(&v, "anycast.reach")
        .into_iter()
        .find(|r| r["phase"] == "after withdrawing fra" && r["client"] == "eu")
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(eu["pop"], "sin", "{eu}");
    let reason = eu["reason"].as_str().unwrap();
    assert!(reason.starts_with("via tb (AS path 64520 64500"), "{reason}");
    assert!(
        reason.contains("over iad (AS path 64500 64500 64500): shorter AS path (2 < 3 ASes)"),
        "{reason}"
    );
    assert!(v.to_string().contains("anycast.prepend"), "{v}");
}

#[test]
fn without_local_preference_the_router_id_decides_and_a_med_moves_the_tie() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !is_root() {
        return;
    }
    let asia = |v: &serde_json::Value| {
        of_type(v, "anycast.reach")
            .into_iter()
            .find(|r| r["client"] == "asia")
            .unwrap_or_else(|| panic!("{v}"))
            .clone()
    };
    // Every route at local-pref 100: at tb, iad and sin are both one AS away, and iad's lower
    // router ID (10.0.0.2 < 10.0.0.3) sends asia 60 ms away instead of 5.
    let (v, code) = trace(&["anycast", "--flat"]);
    assert_eq!(code, 0, "{v}");
    let r = asia(&v);
    assert_eq!(r["pop"], "iad", "{r}");
    assert!(
        r["reason"]
            .as_str()
            .unwrap()
            .contains("over sin (AS path 64500): a tie broken by the lowest router ID"),
        "{r}"
    );
    assert!(r["rtt_ms"].as_f64().unwrap() >= 120.0, "{r}");
    // iad sends MED 50, sin none (0): the lower MED wins among routes from AS64500.
    let (v, code) = trace(&["anycast", "--flat", "--med", "iad:50"]);
    assert_eq!(code, 0, "{v}");
    let r = asia(&v);
    assert_eq!(r["pop"], "sin", "{r}");
    assert!(
        r["reason"]
            .as_str()
            .unwrap()
            .contains("over iad (AS path 64500): lower MED (0 < 50)"),
        "{r}"
    );
    let med = r["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["from"] == "iad")
        .unwrap();
    assert_eq!(med["med"], 50, "{med}");
}

#[test]
fn a_dark_pop_is_left_only_when_the_hold_timer_expires() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !is_root() {
        return;
    }
    // fra drops everything and says nothing: ta keeps its route for the hold time (3 s), so eu
    // moves to iad after at least 1.5 s (the hold time less the up to 1 s since the last
    // KEEPALIVE) and within 10 s, losing UDP answers meanwhile; its
    // download from fra's own address (DNS steering's answer) stalls, and the steering still
    // names that address afterwards.
    let (v, code) = trace(&["anycast", "--fail", "fra"]);
    assert_eq!(code, 0, "{v}");
    let change = of_type(&v, "anycast.change")[0];
    assert_eq!(change["how"], "failed", "{change}");
    let eu = change["moves"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["client"] == "eu")
        .unwrap();
    assert_eq!(eu["after"], "iad", "{eu}");
    let ms = eu["converged_ms"].as_f64().unwrap();
    assert!((1500.0..10_000.0).contains(&ms), "{eu}");
    assert!(eu["unanswered"].as_u64().unwrap() > 0, "{eu}");
    let steered = change["downloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["client"] == "eu" && d["steering"] == "dns")
        .unwrap();
    assert_eq!(steered["end"], "stalled", "{steered}");
    let after = of_type(&v, "anycast.reach")
        .into_iter()
        .find(|r| r["phase"] == "after fra failed" && r["client"] == "eu")
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(after["pop"], "iad", "{after}");
    assert_eq!(after["steered"]["address"], "198.51.100.1", "{after}");
    assert!(after["steered"].get("served_by").is_none(), "{after}");
    assert!(v.to_string().contains("anycast.dns-stuck"), "{v}");
}

#[test]
fn anycast_up_runs_until_stopped_and_real_tools_work_inside_it() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !is_root() {
        return;
    }
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut up = Command::new(env!("CARGO_BIN_EXE_netlab"))
        .args(["--json", "anycast", "up", "--for", "60"])
        .env("NETLAB_OFFLINE", "1")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // The first line is the trace; the internet runs on after it.
    let mut line = Vec::new();
    let mut byte = [0u8];
    let stdout = up.stdout.as_mut().unwrap();
    while stdout.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
        line.push(byte[0]);
    }
    let v: serde_json::Value = serde_json::from_slice(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    assert_eq!(v["command"], "anycast up", "{v}");
    let entry = of_type(&v, "anycast.up")[0].clone();
    assert_eq!(entry["namespaces"].as_object().unwrap().len(), 7, "{entry}");
    let shell = |command: &str| {
        let out = Command::new("sh").args(["-c", command]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let enter = |node: &str| format!("nsenter --net={}", entry["namespaces"][node].as_str().unwrap());
    // dig asks the anycast address who answers (RFC 4892), curl reads the edge's header.
    let who = |client: &str| {
        shell(&format!(
            "{} dig @203.0.113.1 id.server CH TXT +short +time=1",
            enter(client)
        ))
    };
    assert_eq!(who("c-eu").trim(), "\"fra\"");
    let head = shell(&format!(
        "{} curl -sI --max-time 2 http://203.0.113.1/",
        enter("c-asia")
    ));
    assert!(head.contains("x-served-by: sin"), "{head}");
    // Withdrawn by hand through BIRD's own socket, fra's clients move to iad.
    let fra = entry["birdc"]["fra"].as_str().unwrap();
    assert!(shell(&format!("birdc -s {fra} disable announced")).contains("disabled"));
    let moved = (0..30).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        who("c-eu").trim() == "\"iad\""
    });
    assert!(moved, "eu still reaches {}", who("c-eu"));
    // SIGINT ends it, cleanly and at once; nothing of it is left.
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(up.id() as i32, libc::SIGINT) };
    let began = std::time::Instant::now();
    let pid = up.id();
    let status = up.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(began.elapsed().as_secs() < 10);
    // Its daemons' configurations were in its own work folder, named by its PID.
    let left = Command::new("pgrep")
        .args(["-f", &format!("bird -f -c .*/netlab-anycast-{pid}-")])
        .output()
        .unwrap();
    assert!(left.stdout.is_empty(), "bird still running");
}

#[test]
fn an_unknown_pop_is_refused_in_one_line() {
    let out = netlab().args(["anycast", "--withdraw", "lhr"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("fra") && err.contains("lhr"), "{err}");
    let out = netlab().args(["anycast", "--prepend", "iad:99"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("from 1 to 8"), "{err}");
    let out = netlab().args(["anycast", "--med", "lhr:5"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("not a PoP"), "{err}");
    let out = netlab()
        .args(["anycast", "--withdraw", "fra", "--fail", "iad"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--fail"), "{err}");
    let out = netlab().args(["anycast", "up", "--withdraw", "fra"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = netlab().args(["anycast", "--for", "5"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("MODE") || err.contains("up"), "{err}");
}
