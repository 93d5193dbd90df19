//! `netlab http` and the edge: `--rate` pacing measured on the sandbox (send times spread as
//! asked, bursts back to back), `--purge` (curl's `-X PURGE`) on both engines, the `http.edge`
//! summary, and bad `--rate` input refused in one line; against the sandbox CDN
//! (cdn.example.net), each response's cache verdict and the hit ratio, read with the labs' own
//! path reader, and the 429s of its rate-limited `/api/`.
//!
//! Timing under load is noisy: the tests assert order and rough spacing (a request is never
//! sent before its time, and the run is not many times longer than asked), not exact ms.

mod common;
use common::{netlab, of_type, trace};
use predicates::prelude::*;
use serde_json::Value;

/// Slack for a request sent a little before its slot relative to the first request (the
/// first one itself may leave late); timers never fire early.
const EARLY_US: u64 = 25_000;

/// Each response's send time, in sending order.
fn send_times(v: &Value) -> Vec<u64> {
    let mut r: Vec<(u64, u64)> = of_type(v, "http.response")
        .iter()
        .map(|r| (r["request"].as_u64().unwrap(), r["sent_us"].as_u64().unwrap()))
        .collect();
    r.sort_unstable();
    let order: Vec<u64> = r.iter().map(|(i, _)| *i).collect();
    assert_eq!(
        order,
        (1..=r.len() as u64).collect::<Vec<_>>(),
        "every request numbered once"
    );
    r.into_iter().map(|(_, t)| t).collect()
}

/// `netlab --json http --sandbox https://www.example.com/objects/1 ARGS`, which must succeed:
/// the trace and the send times.
fn paced(args: &[&str]) -> (Value, Vec<u64>) {
    let (v, code) = trace(&[&["http", "--sandbox", "https://www.example.com/objects/1"], args].concat());
    assert_eq!(code, 0, "{v}");
    let sent = send_times(&v);
    (v, sent)
}

#[test]
fn rate_spaces_requests_i_over_r_after_the_first() {
    for engine in ["--h2", "--h3"] {
        let (v, sent) = paced(&[engine, "--requests", "10", "--rate", "20/s"]);
        assert_eq!(sent.len(), 10);
        for (i, t) in sent.iter().enumerate() {
            let due = i as u64 * 50_000;
            assert!(
                t - sent[0] + EARLY_US >= due,
                "{engine}: request {} at {t} µs: {sent:?}",
                i + 1
            );
        }
        let spread = sent[9] - sent[0];
        assert!((450_000 - EARLY_US..5_000_000).contains(&spread), "{engine}: {sent:?}");
        let edge = of_type(&v, "http.edge")[0];
        assert_eq!(edge["pacing"]["rate"], "20/s");
        assert_eq!(edge["rate"]["allowed"], 10);
        assert_eq!(edge["rate"]["limited"], 0);
    }
}

#[test]
fn bursts_leave_together_and_groups_k_over_r_apart() {
    let (v, sent) = paced(&[
        "--requests",
        "6",
        "--concurrency",
        "3",
        "--rate",
        "5/100ms",
        "--burst",
        "3",
    ]);
    // 5 per 100 ms is 50/s: groups of 3 every 60 ms. Within a burst the three go
    // concurrently, so their order of leaving is not their numbering: compare spans.
    let (first, second) = sent.split_at(3);
    let span = |g: &[u64]| g.iter().max().unwrap() - g.iter().min().unwrap();
    let start = |g: &[u64]| *g.iter().min().unwrap();
    assert!(span(first) < 60_000, "a burst goes back to back: {sent:?}");
    assert!(
        start(second) + EARLY_US >= start(first) + 60_000,
        "the second group waits: {sent:?}"
    );
    assert!(span(second) < 60_000, "{sent:?}");
    let edge = of_type(&v, "http.edge")[0];
    assert_eq!(edge["pacing"]["rate"], "5/100ms in bursts of 3");
    assert_eq!(edge["pacing"]["burst"], 3);
}

#[test]
fn paced_text_says_the_rate_and_the_tally() {
    netlab()
        .args([
            "http",
            "--sandbox",
            "https://www.example.com/objects/1",
            "--requests",
            "3",
            "--rate",
            "20/1s",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(";; h2 at the edge"))
        .stdout(predicate::str::contains(
            "paced at 20/s (20.0 requests/s): 3 requests sent over",
        ))
        .stdout(predicate::str::contains("3 allowed, 0 limited (429)"));
}

#[test]
fn purge_is_sent_as_the_method_over_h2_and_h3() {
    for (spelling, engine) in [(&["--purge"][..], "--h2"), (&["-X", "PURGE"][..], "--h3")] {
        let (v, _) = trace(&[&["http", "--sandbox", "https://www.example.com/", engine], spelling].concat());
        let request = of_type(&v, "http.frame")
            .into_iter()
            .find(|f| f["direction"] == "client_to_server" && f["fields"].as_array().is_some_and(|a| !a.is_empty()))
            .unwrap_or_else(|| panic!("{engine}: no request HEADERS: {v}"));
        assert_eq!(request["fields"][0]["name"], ":method");
        assert_eq!(request["fields"][0]["value"], "PURGE", "{engine}");
        // The sandbox's plain web hosts do not purge: a response, not a failure.
        assert!(of_type(&v, "http.response")[0]["status"].as_u64().is_some());
    }
}

#[test]
fn bad_rates_are_refused_in_one_line() {
    for (rate, says) in [
        ("20", "N/WINDOW"),
        ("0/s", "at least 1"),
        ("20/0s", "longer than 0"),
        ("x/s", "whole number"),
        ("20/s/s", "unit"),
    ] {
        netlab()
            .args(["http", "https://www.example.com/", "--sandbox", "--rate", rate])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says))
            .stderr(predicate::function(|e: &str| e.lines().count() == 1));
    }
    netlab()
        .args(["http", "https://www.example.com/", "--sandbox", "--burst", "2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--rate"));
    netlab()
        .args([
            "http",
            "https://www.example.com/",
            "--sandbox",
            "--requests",
            "200",
            "--rate",
            "1/s",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("past --max-time 120"));
}

/// What a lab check reads at `path` (the labs' own reader), which must be there.
fn at(v: &Value, path: &str) -> String {
    netlab::lab::check::read_path(v, path).unwrap_or_else(|| panic!("nothing at {path}: {v}"))
}

/// `netlab --json http --sandbox URL ARGS` through the CDN, which must succeed.
fn through_cdn(path: &str, args: &[&str]) -> Value {
    let url = format!("https://cdn.example.net{path}");
    let (v, code) = trace(&[&["http", "--sandbox", url.as_str()], args].concat());
    assert_eq!(code, 0, "{v}");
    v
}

/// Each response's verdict, in sending order.
fn verdicts(v: &Value) -> Vec<String> {
    let n: usize = at(v, "len(/events/[type=http.response])").parse().unwrap();
    (1..=n)
        .map(|i| {
            at(
                v,
                &format!("/events/[type=http.response]/[request={i}]/0/cache/verdict"),
            )
        })
        .collect()
}

#[test]
fn five_requests_to_the_cdn_are_one_miss_then_four_hits() {
    for engine in ["--h2", "--h3"] {
        let v = through_cdn("/cache/max-age/60", &[engine, "--requests", "5"]);
        assert_eq!(verdicts(&v), ["miss", "hit", "hit", "hit", "hit"], "{engine}");
        assert_eq!(at(&v, "/events/[type=http.response]/0/cache/verdict"), "miss");
        assert_eq!(at(&v, "/events/[type=http.response]/0/cache/cache"), "netlab");
        assert_eq!(at(&v, "/events/[type=http.response]/0/cache/stored"), "yes");
        assert_eq!(at(&v, "/events/[type=http.response]/-1/cache/lifetime_s"), "60");
        assert_eq!(at(&v, "/events/[type=http.response]/-1/cache/lifetime_from"), "max-age");
        // The hits are the origin's one answer, stored: it was asked once.
        assert_eq!(at(&v, "/events/[type=http.response]/-1/cache/origin_fetches"), "1");
        assert_eq!(at(&v, "/events/[type=http.edge]/0/cache/hits"), "4");
        assert_eq!(at(&v, "/events/[type=http.edge]/0/cache/hit_ratio"), "0.8");
        assert_eq!(at(&v, "/events/[type=http.edge]/0/cache/origin_fetches_saved"), "4");
    }
}

#[test]
fn the_cdn_text_explains_the_miss_the_hits_and_the_ratio() {
    netlab()
        .args([
            "http",
            "--sandbox",
            "https://cdn.example.net/cache/s-maxage/60",
            "--requests",
            "3",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "cache (netlab): miss: nothing stored for the URL; the origin answered 200, stored",
        ))
        .stdout(
            predicate::str::is_match(
                r"cache \(netlab\): hit: age \d+ s of a 60 s lifetime \(Cache-Control: s-maxage=60\): \d+ s left",
            )
            .unwrap(),
        )
        .stdout(predicate::str::contains(
            "hit ratio 67% (2 of 3 responses): 2 hit, 1 miss; origin fetches saved: 2",
        ))
        .stdout(predicate::str::contains("s-maxage is for shared caches"))
        .stdout(predicate::str::contains("[RFC 9211 §2.1, §2.4; RFC 9111 §4.2,"));
}

#[test]
fn which_field_set_the_lifetime_and_what_was_never_stored() {
    let v = through_cdn("/cache/cdn/60", &["--requests", "2"]);
    assert_eq!(
        at(&v, "/events/[type=http.response]/-1/cache/lifetime_from"),
        "cdn-cache-control"
    );
    assert_eq!(at(&v, "/events/[type=http.response]/-1/cache/lifetime_s"), "60");
    let v = through_cdn("/cache/no-store", &["--requests", "3"]);
    assert_eq!(verdicts(&v), ["not_cacheable"; 3]);
    assert_eq!(at(&v, "/events/[type=http.response]/-1/cache/origin_fetches"), "3");
    assert_eq!(at(&v, "/events/[type=http.edge]/0/cache/hit_ratio"), "0.0");
    let v = through_cdn("/cache/no-cache", &["--requests", "3", "--h3"]);
    assert_eq!(verdicts(&v), ["miss", "revalidated", "revalidated"]);
    assert_eq!(at(&v, "/events/[type=http.response]/-1/cache/fwd_status"), "304");
}

#[test]
fn past_the_quota_the_api_answers_429_with_retry_after_and_ratelimit() {
    let v = through_cdn("/api/items", &["--requests", "15", "--rate", "100/s"]);
    let allowed: u32 = at(&v, "/events/[type=http.edge]/0/rate/allowed").parse().unwrap();
    let limited: u32 = at(&v, "/events/[type=http.edge]/0/rate/limited").parse().unwrap();
    assert_eq!(allowed + limited, 15);
    assert!(allowed >= 10 && limited >= 1, "{allowed} allowed, {limited} limited");
    let first = "/events/[type=http.response]/[status=429]/0/ratelimit";
    assert_eq!(at(&v, &format!("{first}/limited")), "yes");
    assert_eq!(at(&v, &format!("{first}/remaining")), "0");
    assert_eq!(at(&v, &format!("{first}/policy/quota")), "10");
    assert_eq!(at(&v, &format!("{first}/policy/window_s")), "1");
    assert!(at(&v, &format!("{first}/retry_after_s")).parse::<u64>().unwrap() >= 1);
    let story = "/events/[type=http.edge]/0/rate/first_limited";
    assert!(at(&v, &format!("{story}/allowed_before")).parse::<u32>().unwrap() >= 10);
    assert_eq!(
        at(&v, &format!("{story}/fields/retry_after_s")),
        at(&v, &format!("{first}/retry_after_s"))
    );
    // An allowed response says what is left.
    assert_eq!(
        at(&v, "/events/[type=http.response]/[request=1]/0/ratelimit/remaining"),
        "9"
    );
}

#[test]
fn the_429_story_in_words() {
    netlab()
        .args([
            "http",
            "--sandbox",
            "https://cdn.example.net/api/items",
            "--requests",
            "12",
            "--rate",
            "100/s",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "rate limit: limited (429): 0 left of 10 requests per 1 s",
        ))
        .stdout(
            predicate::str::is_match(
                r"the first 429: request \d+, [0-9.]+ ms after the first request, after \d+ allowed",
            )
            .unwrap(),
        )
        .stdout(predicate::str::contains(
            "Retry-After: 1  wait 1 s before sending again",
        ))
        .stdout(predicate::str::contains(
            "RateLimit-Policy: q=10;w=1  the quota, 10 per 1 s",
        ))
        .stdout(predicate::str::contains(
            "429 Too Many Requests: the server's limiter refused",
        ));
}

#[test]
fn purge_reaches_the_cdn() {
    let v = through_cdn("/cache/max-age/60", &["-X", "PURGE", "--h3"]);
    assert_eq!(at(&v, "/events/[type=http.response]/0/status"), "200");
}
