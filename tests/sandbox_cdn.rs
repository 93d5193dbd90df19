//! The sandbox's CDN: cdn.example.net answers through netlab's edge cache in front of
//! origin.example.com, over HTTP/2 and HTTP/3; `/api/` is rate limited. Each test starts its own
//! sandbox, so each begins with an empty cache and an origin that has counted nothing.

mod common;
use common::{of_type, trace};
use serde_json::Value;

/// The responses of `netlab --json http --sandbox URL ARGS`, in the order they were asked.
fn responses(url: &str, args: &[&str]) -> Vec<Value> {
    let (v, code) = trace(&[&["http", "--sandbox", url], args].concat());
    assert_eq!(code, 0, "{v}");
    let mut all: Vec<Value> = of_type(&v, "http.response").into_iter().cloned().collect();
    all.sort_by_key(|r| r["sent_us"].as_u64());
    all
}

/// A response field's value (names are lower case over HTTP/2 and HTTP/3).
fn field<'a>(response: &'a Value, name: &str) -> Option<&'a str> {
    response["headers"]
        .as_array()?
        .iter()
        .find(|f| f[0] == name)
        .and_then(|f| f[1].as_str())
}

fn cache_status(response: &Value) -> &str {
    field(response, "cache-status").unwrap_or_else(|| panic!("no Cache-Status: {response}"))
}

fn fetches(all: &[Value]) -> Vec<&str> {
    all.iter()
        .map(|r| field(r, "x-origin-fetches").expect("the origin counts its fetches"))
        .collect()
}

#[test]
fn one_miss_then_hits_from_the_cache_over_http2_and_http3() {
    for protocol in ["--h2", "--h3"] {
        let all = responses(
            "https://cdn.example.net/cache/max-age/60",
            &[protocol, "--requests", "3"],
        );
        assert_eq!(all.len(), 3, "{protocol}");
        assert_eq!(
            cache_status(&all[0]),
            "netlab; fwd=uri-miss; fwd-status=200; ttl=60; stored; detail=max-age",
            "{protocol}"
        );
        for hit in &all[1..] {
            assert!(cache_status(hit).starts_with("netlab; hit; ttl="), "{protocol}: {hit}");
            assert!(field(hit, "age").is_some(), "a stored response carries Age: {hit}");
        }
        assert_eq!(fetches(&all), ["1", "1", "1"], "{protocol}: the origin was asked once");
        assert!(
            field(&all[0], "via").is_some_and(|v| v.contains("netlab")),
            "{:?}",
            all[0]
        );
    }
}

#[test]
fn what_must_not_be_stored_goes_to_the_origin_every_time() {
    for path in ["no-store", "private"] {
        let all = responses(&format!("https://cdn.example.net/cache/{path}"), &["--requests", "2"]);
        assert!(all.iter().all(|r| !cache_status(r).contains("hit")), "{path}: {all:?}");
        assert_eq!(fetches(&all), ["1", "2"], "{path}");
    }
}

#[test]
fn no_cache_is_validated_with_its_etag_every_time() {
    let all = responses("https://cdn.example.net/cache/no-cache", &["--requests", "2"]);
    assert!(
        cache_status(&all[1]).contains("fwd=stale; fwd-status=304"),
        "{:?}",
        all[1]
    );
    assert_eq!(
        all[1]["status"], 200,
        "the client gets the stored 200, refreshed by the 304"
    );
    assert_eq!(fetches(&all), ["1", "2"], "the 304 updated the stored headers");
}

#[test]
fn concurrent_misses_are_collapsed_into_one_origin_fetch() {
    let all = responses(
        "https://cdn.example.net/cache/slow/300",
        &["--requests", "4", "--concurrency", "4"],
    );
    assert_eq!(all.len(), 4);
    assert_eq!(fetches(&all), ["1", "1", "1", "1"], "{all:?}");
    let misses = all.iter().filter(|r| cache_status(r).contains("fwd=uri-miss")).count();
    assert!(misses >= 1, "one of them asked the origin: {all:?}");
}

#[test]
fn stale_if_error_serves_the_stored_copy_when_the_origin_fails() {
    let all = responses("https://cdn.example.net/cache/sie/0", &["--requests", "2"]);
    assert_eq!(all[1]["status"], 200, "{:?}", all[1]);
    let status = cache_status(&all[1]);
    assert!(
        status.contains("fwd-status=503") && status.contains("stale-if-error"),
        "{status}"
    );
}

#[test]
fn vary_keeps_a_copy_per_language() {
    let all = responses(
        "https://cdn.example.net/cache/vary",
        &["--requests", "2", "-H", "Accept-Language: fr"],
    );
    assert_eq!(field(&all[0], "content-language"), Some("fr"));
    assert!(cache_status(&all[1]).contains("hit"), "{:?}", all[1]);
}

#[test]
fn the_api_is_limited_to_ten_requests_a_second() {
    let all = responses("https://cdn.example.net/api/time", &["--requests", "12"]);
    let statuses: Vec<u64> = all.iter().map(|r| r["status"].as_u64().unwrap()).collect();
    assert_eq!(&statuses[..10], [200; 10], "{statuses:?}");
    assert!(statuses[10..].contains(&429), "{statuses:?}");
    let refused = all.iter().find(|r| r["status"] == 429).unwrap();
    assert!(field(refused, "retry-after").is_some(), "{refused}");
    assert_eq!(field(refused, "ratelimit-policy"), Some("\"edge\";q=10;w=1"));
}

#[test]
fn the_origin_and_www_are_served_without_the_cache() {
    let origin = responses("https://origin.example.com/cache/max-age/60", &["--requests", "2"]);
    assert!(origin.iter().all(|r| field(r, "cache-status").is_none()));
    assert_eq!(fetches(&origin), ["1", "2"]);
    let www = responses("https://www.example.com/", &[]);
    assert_eq!(field(&www[0], "cache-status"), None);
}

#[test]
fn sandbox_up_prints_the_edge_s_account_of_each_request() {
    let home = tempfile::tempdir().unwrap();
    let (up, directory) = common::sandbox_up(&[], 4, home.path());
    let cdn = directory["tls_hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["names"].to_string().contains("cdn.example.net"))
        .unwrap();
    let socket = cdn["socket"].as_str().unwrap();
    let port = socket.rsplit(':').next().unwrap();
    let ca = directory["ca"].as_str().unwrap();
    for _ in 0..2 {
        let curl = std::process::Command::new("curl")
            .args(["-sS", "-o", "/dev/null", "--cacert", ca])
            .args(["--resolve", &format!("cdn.example.net:{port}:127.0.0.1")])
            .arg(format!("https://cdn.example.net:{port}/cache/max-age/60"))
            .status()
            .unwrap();
        assert!(curl.success());
    }
    let out = up.wait_with_output().unwrap();
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let requests: Vec<&Value> = lines.iter().filter(|l| l["type"] == "edge.request").collect();
    assert_eq!(requests.len(), 2, "{lines:?}");
    assert_eq!(requests[0]["target"], "/cache/max-age/60");
    assert!(requests[0]["cache_status"].as_str().unwrap().contains("fwd=uri-miss"));
    assert!(requests[1]["cache_status"].as_str().unwrap().contains("hit"));
    assert_eq!(requests[1]["origin"], "not_asked");
}
