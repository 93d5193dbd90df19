//! The cache end to end on a fake clock: one test per RFC 9111 rule the pieces combine into.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use proptest::prelude::*;

use super::*;

/// The fake clock: `t(s)` is s seconds after a fixed instant (Tue, 14 Nov 2023 22:13:20 GMT).
fn t(s: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
}
const DATE0: &str = "Tue, 14 Nov 2023 22:13:20 GMT";

fn req(method: &str, target: &str, headers: &[(&str, &str)]) -> RequestHead {
    RequestHead {
        method: method.into(),
        target: target.into(),
        host: "example.com".into(),
        headers: h(headers),
    }
}
fn get(target: &str) -> RequestHead {
    req("GET", target, &[])
}
fn resp(status: u16, headers: &[(&str, &str)]) -> ResponseHead {
    ResponseHead {
        status,
        headers: h(headers),
    }
}
fn header<'a>(r: &'a ResponseHead, name: &str) -> Option<&'a str> {
    fields::first(&r.headers, name)
}

/// Asks the cache at `now`; if it forwards, answers with `origin` at the same instant.
/// Returns (what the client got, whether the origin was asked, the forwarded request).
fn exchange(
    c: &Cache,
    r: &RequestHead,
    now: SystemTime,
    origin: impl FnOnce(&RequestHead) -> (ResponseHead, &'static str),
) -> (ResponseHead, Bytes, Option<RequestHead>) {
    match c.on_request(r, now) {
        Decision::Serve(h, b) => (h, b, None),
        Decision::GatewayTimeout(h) => (h, Bytes::new(), None),
        Decision::Forward { request, pending } => {
            let (o, body) = origin(&request);
            let (h, b) = c.on_response(pending, o, Bytes::from_static(body.as_bytes()), now, now);
            (h, b, Some(request))
        }
    }
}
/// An origin that must not be asked.
fn unreachable_origin(_: &RequestHead) -> (ResponseHead, &'static str) {
    (resp(599, &[]), "origin was asked")
}

#[test]
fn fresh_response_is_served_with_age_and_hit_rfc9111_4_2_and_5_1() {
    let c = Cache::new(1 << 20);
    let (r1, b1, f1) = exchange(&c, &get("/a"), t(0), |_| {
        (resp(200, &[("Date", DATE0), ("Cache-Control", "max-age=100")]), "body")
    });
    assert!(f1.is_some());
    assert_eq!(
        header(&r1, "cache-status"),
        Some("netlab; fwd=uri-miss; fwd-status=200; ttl=100; stored; detail=max-age")
    );
    assert_eq!(b1, "body");
    let (r2, b2, f2) = exchange(&c, &get("/a"), t(30), unreachable_origin);
    assert!(f2.is_none());
    assert_eq!(b2, "body");
    assert_eq!(header(&r2, "age"), Some("30"));
    assert_eq!(header(&r2, "cache-status"), Some("netlab; hit; ttl=70; detail=max-age"));
}

#[test]
fn no_default_ttl_without_freshness_information_rfc9111_4_2_2() {
    let c = Cache::new(1 << 20);
    exchange(&c, &get("/a"), t(0), |_| (resp(200, &[("Date", DATE0)]), "x"));
    let (_, _, f) = exchange(&c, &get("/a"), t(1), |_| (resp(200, &[]), "y"));
    assert!(f.is_some());
}

#[test]
fn heuristic_freshness_with_last_modified_rfc9111_4_2_2() {
    let c = Cache::new(1 << 20);
    let lm = "Tue, 14 Nov 2023 19:26:40 GMT"; // 10000 s before Date: 1000 s fresh
    exchange(&c, &get("/a"), t(0), |_| {
        (resp(200, &[("Date", DATE0), ("Last-Modified", lm)]), "x")
    });
    assert!(exchange(&c, &get("/a"), t(999), unreachable_origin).2.is_none());
    assert!(exchange(&c, &get("/a"), t(1000), |_| (resp(304, &[]), "")).2.is_some());
}

#[test]
fn age_from_upstream_counts_rfc9111_4_2_3() {
    let c = Cache::new(1 << 20);
    exchange(&c, &get("/a"), t(0), |_| {
        (
            resp(200, &[("Date", DATE0), ("Age", "90"), ("Cache-Control", "max-age=100")]),
            "x",
        )
    });
    let (r, _, f) = exchange(&c, &get("/a"), t(5), unreachable_origin);
    assert!(f.is_none());
    assert_eq!(header(&r, "age"), Some("95"));
    assert!(exchange(&c, &get("/a"), t(10), |_| (resp(200, &[]), "y")).2.is_some());
}

#[test]
fn stale_response_is_revalidated_and_304_freshens_it_rfc9111_4_3_1_and_4_3_4() {
    let c = Cache::new(1 << 20);
    let first = [
        ("Date", DATE0),
        ("Cache-Control", "max-age=10"),
        ("ETag", "\"v1\""),
        ("X-Old", "1"),
    ];
    exchange(&c, &get("/a"), t(0), |_| (resp(200, &first), "stored body"));
    let (r, b, f) = exchange(&c, &get("/a"), t(20), |rq| {
        assert_eq!(fields::first(&rq.headers, "if-none-match"), Some("\"v1\""));
        (
            resp(
                304,
                &[
                    ("Date", "Tue, 14 Nov 2023 22:13:40 GMT"),
                    ("Cache-Control", "max-age=50"),
                    ("ETag", "\"v1\""),
                    ("X-New", "2"),
                ],
            ),
            "",
        )
    });
    assert!(f.is_some());
    assert_eq!((r.status, b.as_ref()), (200, &b"stored body"[..]));
    assert_eq!(header(&r, "x-new"), Some("2"));
    assert_eq!(header(&r, "x-old"), Some("1"));
    assert_eq!(
        header(&r, "cache-status"),
        Some("netlab; fwd=stale; fwd-status=304; ttl=50; detail=max-age")
    );
    assert_eq!(header(&r, "age"), Some("0"));
    // Fresh again for 50 s from the validation.
    assert!(exchange(&c, &get("/a"), t(69), unreachable_origin).2.is_none());
}

#[test]
fn full_response_to_validation_replaces_stored_rfc9111_4_3_3() {
    let c = Cache::new(1 << 20);
    exchange(&c, &get("/a"), t(0), |_| {
        (resp(200, &[("Cache-Control", "max-age=1"), ("ETag", "\"1\"")]), "old")
    });
    exchange(&c, &get("/a"), t(5), |_| {
        (resp(200, &[("Cache-Control", "max-age=100"), ("ETag", "\"2\"")]), "new")
    });
    let (_, b, f) = exchange(&c, &get("/a"), t(6), unreachable_origin);
    assert_eq!((f.is_none(), b.as_ref()), (true, &b"new"[..]));
}

#[test]
fn conditional_request_answered_304_from_fresh_stored_rfc9111_4_3_2() {
    let c = Cache::new(1 << 20);
    exchange(&c, &get("/a"), t(0), |_| {
        (
            resp(
                200,
                &[
                    ("Cache-Control", "max-age=100"),
                    ("ETag", "\"v1\""),
                    ("Content-Type", "text/plain"),
                ],
            ),
            "x",
        )
    });
    let (r, b, f) = exchange(
        &c,
        &req("GET", "/a", &[("If-None-Match", "W/\"v1\"")]),
        t(1),
        unreachable_origin,
    );
    assert!(f.is_none());
    assert_eq!((r.status, b.len()), (304, 0));
    assert_eq!(header(&r, "etag"), Some("\"v1\""));
    assert_eq!(header(&r, "content-type"), None);
    assert_eq!(header(&r, "age"), Some("1"));
}

#[test]
fn head_is_served_from_stored_get_rfc9111_4() {
    let c = Cache::new(1 << 20);
    exchange(&c, &get("/a"), t(0), |_| {
        (
            resp(200, &[("Cache-Control", "max-age=100"), ("Content-Length", "4")]),
            "body",
        )
    });
    let (r, b, f) = exchange(&c, &req("HEAD", "/a", &[]), t(1), unreachable_origin);
    assert!(f.is_none());
    assert_eq!((r.status, b.len(), header(&r, "content-length")), (200, 0, Some("4")));
}

#[test]
fn vary_selects_variants_rfc9111_4_1() {
    let c = Cache::new(1 << 20);
    let en = req("GET", "/v", &[("Accept-Language", "en")]);
    let fr = req("GET", "/v", &[("Accept-Language", "fr")]);
    let vary = |body| {
        move |_: &RequestHead| {
            (
                resp(200, &[("Cache-Control", "max-age=100"), ("Vary", "Accept-Language")]),
                body,
            )
        }
    };
    exchange(&c, &en, t(0), vary("en"));
    let (r, _, f) = exchange(&c, &fr, t(1), vary("fr"));
    assert!(f.is_some());
    assert!(header(&r, "cache-status").is_some_and(|s| s.contains("fwd=vary-miss")));
    assert_eq!(exchange(&c, &en, t(2), unreachable_origin).1, "en");
    assert_eq!(exchange(&c, &fr, t(2), unreachable_origin).1, "fr");
}

#[test]
fn vary_star_never_matches_rfc9111_4_1() {
    let c = Cache::new(1 << 20);
    exchange(&c, &get("/s"), t(0), |_| {
        (resp(200, &[("Cache-Control", "max-age=100"), ("Vary", "*")]), "x")
    });
    assert!(exchange(&c, &get("/s"), t(1), |_| (resp(200, &[]), "y")).2.is_some());
}

#[test]
fn no_store_private_and_authorization_are_not_reused_rfc9111_3() {
    let c = Cache::new(1 << 20);
    for (target, cc) in [("/n", "no-store, max-age=100"), ("/p", "private, max-age=100")] {
        exchange(&c, &get(target), t(0), |_| (resp(200, &[("Cache-Control", cc)]), "x"));
        assert!(
            exchange(&c, &get(target), t(1), |_| (resp(200, &[]), "y")).2.is_some(),
            "{cc}"
        );
    }
    let auth = req("GET", "/auth", &[("Authorization", "Basic YTpi")]);
    let (r, _, _) = exchange(&c, &auth, t(0), |_| {
        (resp(200, &[("Cache-Control", "max-age=100")]), "x")
    });
    assert!(header(&r, "cache-status").is_some_and(|s| s.ends_with("detail=authorization")));
}

#[test]
fn request_no_cache_revalidates_fresh_response_rfc9111_5_2_1_4() {
    let c = Cache::new(1 << 20);
    exchange(&c, &get("/a"), t(0), |_| {
        (resp(200, &[("Cache-Control", "max-age=100"), ("ETag", "\"1\"")]), "x")
    });
    let (r, _, f) = exchange(&c, &req("GET", "/a", &[("Cache-Control", "no-cache")]), t(1), |_| {
        (resp(304, &[("ETag", "\"1\"")]), "")
    });
    assert!(f.is_some());
    assert!(header(&r, "cache-status").is_some_and(|s| s.contains("fwd=request; fwd-status=304")));
}

#[test]
fn only_if_cached_gives_504_when_nothing_usable_rfc9111_5_2_1_7() {
    let c = Cache::new(1 << 20);
    let oic = req("GET", "/a", &[("Cache-Control", "only-if-cached")]);
    assert_eq!(exchange(&c, &oic, t(0), unreachable_origin).0.status, 504);
    exchange(&c, &get("/a"), t(0), |_| {
        (resp(200, &[("Cache-Control", "max-age=10")]), "x")
    });
    assert_eq!(exchange(&c, &oic, t(5), unreachable_origin).0.status, 200);
    assert_eq!(exchange(&c, &oic, t(50), unreachable_origin).0.status, 504);
}

#[test]
fn stale_while_revalidate_serves_and_queues_a_refresh_rfc5861_3() {
    let c = Cache::new(1 << 20);
    exchange(&c, &get("/a"), t(0), |_| {
        (
            resp(
                200,
                &[
                    ("Cache-Control", "max-age=10, stale-while-revalidate=60"),
                    ("ETag", "\"1\""),
                ],
            ),
            "old",
        )
    });
    let (r, b, f) = exchange(&c, &get("/a"), t(20), unreachable_origin);
    assert!(f.is_none());
    assert_eq!(b, "old");
    assert_eq!(
        header(&r, "cache-status"),
        Some("netlab; hit; ttl=-10; detail=stale-while-revalidate")
    );
    // Served again within the window: no second refresh queued.
    exchange(&c, &get("/a"), t(21), unreachable_origin);
    let mut due = c.refresh_due();
    assert_eq!(due.len(), 1);
    let (rq, pending) = due.remove(0);
    assert_eq!(fields::first(&rq.headers, "if-none-match"), Some("\"1\""));
    c.on_response(
        pending,
        resp(200, &[("Cache-Control", "max-age=100")]),
        Bytes::from_static(b"new"),
        t(22),
        t(22),
    );
    assert!(c.refresh_due().is_empty());
    assert_eq!(exchange(&c, &get("/a"), t(23), unreachable_origin).1, "new");
}

#[test]
fn stale_if_error_on_5xx_and_on_failure_rfc5861_4() {
    let c = Cache::new(1 << 20);
    exchange(&c, &get("/a"), t(0), |_| {
        (resp(200, &[("Cache-Control", "max-age=10, stale-if-error=60")]), "old")
    });
    let (r, b, _) = exchange(&c, &get("/a"), t(20), |_| (resp(503, &[]), "down"));
    assert_eq!((r.status, b.as_ref()), (200, &b"old"[..]));
    assert!(header(&r, "cache-status")
        .is_some_and(|s| s.contains("fwd-status=503") && s.ends_with("detail=stale-if-error")));
    let Decision::Forward { pending, .. } = c.on_request(&get("/a"), t(30)) else {
        panic!("expected a forward")
    };
    assert!(matches!(c.on_origin_error(pending, t(30)), Fallback::Stale(..)));
    let Decision::Forward { pending, .. } = c.on_request(&get("/a"), t(100)) else {
        panic!("expected a forward")
    };
    assert!(matches!(c.on_origin_error(pending, t(100)), Fallback::Nothing));
    // Past the window, the 5xx is passed on.
    assert_eq!(
        exchange(&c, &get("/a"), t(100), |_| (resp(503, &[]), "down")).0.status,
        503
    );
}

#[test]
fn must_revalidate_forbids_stale_rfc9111_5_2_2_2() {
    let c = Cache::new(1 << 20);
    exchange(&c, &get("/a"), t(0), |_| {
        (
            resp(
                200,
                &[("Cache-Control", "max-age=10, must-revalidate, stale-if-error=60")],
            ),
            "old",
        )
    });
    assert!(
        exchange(&c, &req("GET", "/a", &[("Cache-Control", "max-stale")]), t(20), |_| (
            resp(200, &[]),
            ""
        ))
        .2
        .is_some()
    );
    assert_eq!(
        exchange(&c, &get("/a"), t(20), |_| (resp(503, &[]), "down")).0.status,
        503
    );
}

#[test]
fn unsafe_method_invalidates_target_and_location_rfc9111_4_4() {
    let c = Cache::new(1 << 20);
    for p in ["/a", "/b", "/c"] {
        exchange(&c, &get(p), t(0), |_| {
            (resp(200, &[("Cache-Control", "max-age=100")]), "x")
        });
    }
    let (r, _, f) = exchange(&c, &req("POST", "/a", &[]), t(1), |_| {
        (resp(303, &[("Location", "/b")]), "")
    });
    assert!(f.is_some());
    assert!(header(&r, "cache-status").is_some_and(|s| s.contains("fwd=method")));
    assert!(exchange(&c, &get("/a"), t(2), |_| (resp(200, &[]), "")).2.is_some());
    assert!(exchange(&c, &get("/b"), t(2), |_| (resp(200, &[]), "")).2.is_some());
    assert!(exchange(&c, &get("/c"), t(2), unreachable_origin).2.is_none());
    // An error answer invalidates nothing.
    exchange(&c, &req("DELETE", "/c", &[]), t(3), |_| (resp(500, &[]), ""));
    assert!(exchange(&c, &get("/c"), t(4), unreachable_origin).2.is_none());
}

#[test]
fn cdn_cache_control_overrides_cache_control_rfc9213_2_1() {
    let c = Cache::new(1 << 20);
    exchange(&c, &get("/a"), t(0), |_| {
        (
            resp(
                200,
                &[("Cache-Control", "no-store"), ("CDN-Cache-Control", "max-age=100")],
            ),
            "x",
        )
    });
    assert!(exchange(&c, &get("/a"), t(50), unreachable_origin).2.is_none());
    exchange(&c, &get("/b"), t(0), |_| {
        (
            resp(
                200,
                &[("Cache-Control", "max-age=100"), ("CDN-Cache-Control", "no-store")],
            ),
            "x",
        )
    });
    assert!(exchange(&c, &get("/b"), t(1), |_| (resp(200, &[]), "")).2.is_some());
    // An invalid CDN-Cache-Control is ignored.
    exchange(&c, &get("/c"), t(0), |_| {
        (
            resp(
                200,
                &[("Cache-Control", "max-age=100"), ("CDN-Cache-Control", "No-Store")],
            ),
            "x",
        )
    });
    assert!(exchange(&c, &get("/c"), t(1), unreachable_origin).2.is_none());
}

#[test]
fn purge_removes_every_variant() {
    let c = Cache::new(1 << 20);
    exchange(&c, &get("/a"), t(0), |_| {
        (resp(200, &[("Cache-Control", "max-age=100")]), "x")
    });
    assert_eq!(c.purge("EXAMPLE.com", "/a"), 1);
    assert!(exchange(&c, &get("/a"), t(1), |_| (resp(200, &[]), "")).2.is_some());
}

#[test]
fn origin_cache_status_is_kept_and_ours_appended_rfc9211_2() {
    let c = Cache::new(1 << 20);
    exchange(&c, &get("/a"), t(0), |_| {
        (
            resp(
                200,
                &[
                    ("Cache-Status", "Origin; fwd=uri-miss"),
                    ("Cache-Control", "max-age=100"),
                ],
            ),
            "x",
        )
    });
    let (r, _, _) = exchange(&c, &get("/a"), t(1), unreachable_origin);
    assert_eq!(
        header(&r, "cache-status"),
        Some("Origin; fwd=uri-miss, netlab; hit; ttl=99; detail=max-age")
    );
}

fn header_pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    let names = prop::sample::select(vec![
        "Cache-Control",
        "CDN-Cache-Control",
        "Expires",
        "Date",
        "Age",
        "Last-Modified",
        "ETag",
        "Vary",
        "If-None-Match",
        "If-Modified-Since",
        "Location",
        "Content-Location",
        "Connection",
        "Authorization",
        "Range",
    ]);
    prop::collection::vec((names.prop_map(String::from), any::<String>()), 0..8)
}

proptest! {
    /// No header bytes make the cache panic, whatever it decides.
    #[test]
    fn any_headers_never_panic(
        method in prop::sample::select(vec!["GET", "HEAD", "POST", "get"]),
        target in any::<String>(),
        rq in header_pairs(),
        rs in header_pairs(),
        status in 0u16..1000,
        later in 0u64..5000,
    ) {
        let c = Cache::new(1 << 16);
        let r = RequestHead { method: method.to_string(), target, host: "h".into(), headers: rq };
        for step in [0, later] {
            if let Decision::Forward { pending, .. } = c.on_request(&r, t(step)) {
                let (out, _) = c.on_response(pending, ResponseHead { status, headers: rs.clone() }, Bytes::from_static(b"b"), t(step), t(step));
                prop_assert!(fields::has(&out.headers, "cache-status"));
            }
        }
        if let Decision::Forward { pending, .. } = c.on_request(&r, t(later + 1)) {
            let _ = c.on_origin_error(pending, t(later + 1));
        }
        for (rq, pending) in c.refresh_due() {
            prop_assert_eq!(rq.method, r.method.clone());
            let _ = c.on_response(pending, ResponseHead { status: 304, headers: rs.clone() }, Bytes::new(), t(later), t(later));
        }
    }
}

#[test]
fn date_is_added_to_a_stored_response_without_one_rfc9110_6_6_1() {
    let c = Cache::new(1 << 20);
    exchange(&c, &get("/a"), t(0), |_| {
        (resp(200, &[("Cache-Control", "max-age=100")]), "x")
    });
    let (r, _, _) = exchange(&c, &get("/a"), t(3), unreachable_origin);
    assert_eq!(header(&r, "date"), Some(DATE0));
    assert_eq!(header(&r, "age"), Some("3"));
}

#[test]
fn not_modified_with_another_etag_does_not_update_rfc9111_4_3_4() {
    let c = Cache::new(1 << 20);
    exchange(&c, &get("/a"), t(0), |_| {
        (resp(200, &[("Cache-Control", "max-age=1"), ("ETag", "\"1\"")]), "x")
    });
    let (r, _, f) = exchange(&c, &get("/a"), t(5), |_| {
        (resp(304, &[("ETag", "\"2\""), ("Cache-Control", "max-age=100")]), "")
    });
    assert!(f.is_some());
    assert!(header(&r, "cache-status").is_some_and(|s| s.ends_with("detail=validator-mismatch")));
    // The stored response was dropped, not freshened.
    assert!(exchange(&c, &get("/a"), t(6), |_| (resp(200, &[]), "")).2.is_some());
}

#[test]
fn head_response_freshens_stored_get_rfc9111_4_3_5() {
    let c = Cache::new(1 << 20);
    exchange(&c, &get("/a"), t(0), |_| {
        (
            resp(200, &[("Cache-Control", "max-age=1"), ("ETag", "\"1\""), ("X-V", "1")]),
            "body",
        )
    });
    let (r, b, f) = exchange(&c, &req("HEAD", "/a", &[]), t(5), |rq| {
        assert_eq!(rq.method, "HEAD");
        (
            resp(
                200,
                &[("Cache-Control", "max-age=100"), ("ETag", "\"1\""), ("X-V", "2")],
            ),
            "",
        )
    });
    assert!(f.is_some());
    assert_eq!((r.status, b.len(), header(&r, "x-v")), (200, 0, Some("2")));
    let (r, b, f) = exchange(&c, &get("/a"), t(6), unreachable_origin);
    assert!(f.is_none());
    assert_eq!((b.as_ref(), header(&r, "x-v")), (&b"body"[..], Some("2")));
}

#[test]
fn client_conditionals_are_replaced_when_validating_and_answered_after_rfc9111_4_3_2() {
    let c = Cache::new(1 << 20);
    exchange(&c, &get("/a"), t(0), |_| {
        (resp(200, &[("Cache-Control", "max-age=1"), ("ETag", "\"1\"")]), "x")
    });
    let client = req("GET", "/a", &[("If-None-Match", "\"1\"")]);
    let (r, _, f) = exchange(&c, &client, t(5), |rq| {
        assert_eq!(
            fields::values(&rq.headers, "if-none-match").collect::<Vec<_>>(),
            ["\"1\""]
        );
        (resp(304, &[("ETag", "\"1\""), ("Cache-Control", "max-age=100")]), "")
    });
    assert!(f.is_some());
    assert_eq!(r.status, 304);
}

#[test]
fn no_store_response_to_validation_drops_the_stored_one_rfc9111_4_3_3() {
    let c = Cache::new(1 << 20);
    exchange(&c, &get("/a"), t(0), |_| {
        (resp(200, &[("Cache-Control", "max-age=1")]), "old")
    });
    let (r, b, _) = exchange(&c, &get("/a"), t(5), |_| {
        (resp(200, &[("Cache-Control", "no-store")]), "new")
    });
    assert_eq!(b, "new");
    assert!(header(&r, "cache-status").is_some_and(|s| s.ends_with("detail=no-store")));
    let oic = req("GET", "/a", &[("Cache-Control", "only-if-cached, max-stale")]);
    assert_eq!(exchange(&c, &oic, t(6), unreachable_origin).0.status, 504);
}

#[test]
fn partial_content_is_not_stored_rfc9111_3_3() {
    let c = Cache::new(1 << 20);
    let ranged = req("GET", "/a", &[("Range", "bytes=0-1")]);
    let (r, _, f) = exchange(&c, &ranged, t(0), |rq| {
        assert_eq!(fields::first(&rq.headers, "range"), Some("bytes=0-1"));
        (
            resp(
                206,
                &[("Cache-Control", "max-age=100"), ("Content-Range", "bytes 0-1/10")],
            ),
            "xy",
        )
    });
    assert!(f.is_some());
    assert!(header(&r, "cache-status").is_some_and(|s| s.ends_with("detail=status")));
    assert!(exchange(&c, &get("/a"), t(1), |_| (resp(200, &[]), "")).2.is_some());
}

#[test]
fn range_is_served_from_a_stored_complete_response_rfc9110_14() {
    let c = Cache::new(1 << 20);
    exchange(&c, &get("/a"), t(0), |_| {
        (
            resp(200, &[("Cache-Control", "max-age=100"), ("Content-Length", "11")]),
            "0123456789A",
        )
    });
    for (range, part) in [("bytes=0-1", "01"), ("bytes=1-", "123456789A"), ("bytes=-1", "A")] {
        let (r, b, f) = exchange(&c, &req("GET", "/a", &[("Range", range)]), t(1), unreachable_origin);
        assert!(f.is_none());
        assert_eq!((r.status, b.as_ref()), (206, part.as_bytes()), "{range}");
        assert_eq!(header(&r, "content-length"), Some(part.len().to_string().as_str()));
    }
    let (r, _, _) = exchange(
        &c,
        &req("GET", "/a", &[("Range", "bytes=2-3")]),
        t(1),
        unreachable_origin,
    );
    assert_eq!(header(&r, "content-range"), Some("bytes 2-3/11"));
    // Several ranges: the whole response; If-Range: through to the origin.
    assert_eq!(
        exchange(
            &c,
            &req("GET", "/a", &[("Range", "bytes=0-1,4-5")]),
            t(1),
            unreachable_origin
        )
        .0
        .status,
        200
    );
    let if_range = req("GET", "/a", &[("Range", "bytes=0-1"), ("If-Range", "\"x\"")]);
    assert!(exchange(&c, &if_range, t(1), |_| (resp(200, &[]), "")).2.is_some());
}

#[test]
fn disconnected_cache_serves_stale_unless_forbidden_rfc9111_4_2_4() {
    let c = Cache::new(1 << 20);
    exchange(&c, &get("/b"), t(0), |_| {
        (resp(200, &[("Cache-Control", "max-age=10")]), "b")
    });
    exchange(&c, &get("/m"), t(0), |_| {
        (resp(200, &[("Cache-Control", "max-age=10, must-revalidate")]), "m")
    });
    let (r, b) = origin_down(&c, &get("/b"), t(100)).expect("stale served");
    assert_eq!(b, "b");
    assert_eq!(
        header(&r, "cache-status"),
        Some("netlab; fwd=stale; ttl=-90; detail=disconnected")
    );
    assert!(origin_down(&c, &get("/m"), t(100)).is_none());
    // The client asked for a validated response.
    assert!(origin_down(&c, &req("GET", "/b", &[("Cache-Control", "no-cache")]), t(100)).is_none());
}

/// §5.2.2.2 (and §5.2.2.8, §5.2.2.10, §5.2.2.4): a disconnected cache holding a response
/// it may not serve stale must answer with an error, not pass the failure on silently.
#[test]
fn disconnected_cache_must_answer_an_error_for_must_revalidate_rfc9111_5_2_2_2() {
    let c = Cache::new(1 << 20);
    for cc in ["must-revalidate", "proxy-revalidate", "no-cache", "s-maxage=10"] {
        let target = format!("/{cc}");
        let policy = format!("max-age=10, {cc}");
        exchange(&c, &get(&target), t(0), |_| {
            (resp(200, &[("Cache-Control", &policy)]), "x")
        });
        let Decision::Forward { pending, .. } = c.on_request(&get(&target), t(100)) else {
            panic!("{cc}: a stale response is validated")
        };
        assert!(
            matches!(c.on_origin_error(pending, t(100)), Fallback::MustError),
            "{cc}"
        );
    }
    // Nothing stored: the proxy's own answer to the failure.
    let Decision::Forward { pending, .. } = c.on_request(&get("/none"), t(100)) else {
        panic!("a miss is forwarded")
    };
    assert!(matches!(c.on_origin_error(pending, t(100)), Fallback::Nothing));
}

#[test]
fn head_response_that_differs_outdates_the_stored_get_rfc9111_4_3_5() {
    let c = Cache::new(1 << 20);
    exchange(&c, &get("/a"), t(0), |_| {
        (resp(200, &[("Cache-Control", "max-age=1"), ("ETag", "\"1\"")]), "body")
    });
    exchange(&c, &req("HEAD", "/a", &[]), t(5), |_| {
        (resp(200, &[("Cache-Control", "max-age=100"), ("ETag", "\"2\"")]), "")
    });
    let (r, _, f) = exchange(&c, &get("/a"), t(6), |_| (resp(200, &[]), "new"));
    assert!(f.is_some());
    assert!(header(&r, "cache-status").is_some_and(|s| s.contains("fwd=uri-miss")));
}

#[test]
fn head_response_without_validators_freshens_stored_get_rfc9111_4_3_5() {
    let c = Cache::new(1 << 20);
    exchange(&c, &get("/a"), t(0), |_| {
        (
            resp(200, &[("Cache-Control", "max-age=1"), ("Template-A", "1")]),
            "body",
        )
    });
    let (r, _, f) = exchange(&c, &req("HEAD", "/a", &[]), t(5), |_| {
        (resp(200, &[("Cache-Control", "max-age=1000")]), "")
    });
    assert!(f.is_some());
    assert_eq!(header(&r, "template-a"), Some("1"));
    let (_, b, f) = exchange(&c, &get("/a"), t(6), unreachable_origin);
    assert_eq!((f.is_none(), b.as_ref()), (true, &b"body"[..]));
}

#[test]
fn background_refresh_of_a_head_hit_is_a_get_rfc5861_3() {
    let c = Cache::new(1 << 20);
    exchange(&c, &get("/a"), t(0), |_| {
        (
            resp(200, &[("Cache-Control", "max-age=1, stale-while-revalidate=60")]),
            "old",
        )
    });
    let (r, b, f) = exchange(&c, &req("HEAD", "/a", &[]), t(5), unreachable_origin);
    assert_eq!((f.is_none(), r.status, b.len()), (true, 200, 0));
    let (rq, pending) = c.refresh_due().pop().expect("a refresh");
    assert_eq!(rq.method, "GET");
    c.on_response(
        pending,
        resp(200, &[("Cache-Control", "max-age=100")]),
        Bytes::from_static(b"new"),
        t(6),
        t(6),
    );
    assert_eq!(exchange(&c, &get("/a"), t(7), unreachable_origin).1, "new");
}

/// Sends `r` at `now` and reports the origin unreachable.
fn origin_down(c: &Cache, r: &RequestHead, now: SystemTime) -> Option<(ResponseHead, Bytes)> {
    match c.on_request(r, now) {
        Decision::Forward { pending, .. } => match c.on_origin_error(pending, now) {
            Fallback::Stale(head, body) => Some((head, body)),
            _ => None,
        },
        _ => None,
    }
}

#[test]
fn an_authorized_answer_does_not_evict_the_shared_response_rfc9111_3_5() {
    let c = Cache::new(1 << 20);
    exchange(&c, &get("/a"), t(0), |_| {
        (resp(200, &[("Cache-Control", "max-age=100")]), "shared")
    });
    let auth = req("GET", "/a", &[("Authorization", "Basic YTpi")]);
    let (_, b, f) = exchange(&c, &auth, t(1), |_| {
        (resp(200, &[("Cache-Control", "max-age=100")]), "mine")
    });
    assert_eq!((f.is_some(), b.as_ref()), (true, &b"mine"[..]));
    assert_eq!(exchange(&c, &get("/a"), t(2), unreachable_origin).1, "shared");
}

#[test]
fn post_response_with_content_location_answers_later_gets_rfc9110_9_3_3() {
    let c = Cache::new(1 << 20);
    let post = req("POST", "/p", &[]);
    let same = [("Cache-Control", "max-age=100"), ("Content-Location", "/p")];
    let (r, _, _) = exchange(&c, &post, t(0), |_| (resp(200, &same), "posted"));
    assert!(header(&r, "cache-status")
        .is_some_and(|s| s.ends_with("fwd=method; fwd-status=200; ttl=100; stored; detail=max-age")));
    assert_eq!(exchange(&c, &get("/p"), t(1), unreachable_origin).1, "posted");
    // Another Content-Location, or no explicit freshness: not stored.
    exchange(&c, &req("POST", "/q", &[]), t(0), |_| {
        (
            resp(200, &[("Cache-Control", "max-age=100"), ("Content-Location", "/other")]),
            "x",
        )
    });
    exchange(&c, &req("POST", "/r", &[]), t(0), |_| {
        (resp(200, &[("Content-Location", "/r")]), "x")
    });
    assert!(exchange(&c, &get("/q"), t(1), |_| (resp(200, &[]), "")).2.is_some());
    assert!(exchange(&c, &get("/r"), t(1), |_| (resp(200, &[]), "")).2.is_some());
}

proptest! {
    /// Field values close to the grammars (directives, Structured Fields, dates, ranges,
    /// entity tags) reach the parsers' deeper paths: still no panic, and parsing is total.
    #[test]
    fn near_grammar_values_never_panic(
        v in "[a-zA-Z0-9=,;?\"()\\\\ :*./W-]{0,40}",
        len in 0usize..64,
    ) {
        let hs = vec![("Cache-Control".to_string(), v.clone()), ("CDN-Cache-Control".to_string(), v.clone())];
        let cc = directives::Directives::cache_control(&hs);
        let _ = directives::Directives::cdn_cache_control(&hs);
        let _ = (cc.seconds("max-age"), cc.max_stale(), cc.field_names("no-cache"));
        let _ = date::parse(&v);
        if let Some((a, b)) = range::single(&v, len) {
            prop_assert!(a <= b && b < len);
        }
        let stored = vec![("ETag".to_string(), v.clone()), ("Last-Modified".to_string(), v.clone())];
        let _ = serve::not_modified(&[("If-None-Match".to_string(), v.clone())], &stored);
        let _ = invalidate::targets("h", "/a/b", 200, &[("Location".to_string(), v.clone())]);
    }
}

/// RFC 9211 §2.8 with §4.2.1: a hit or a stored response names, as its `detail`, the field that
/// set its freshness lifetime, when no other detail is to be said; `ttl` is that lifetime
/// less the current age.
#[test]
fn cache_status_names_the_source_of_the_lifetime_rfc9211_2_8() {
    let c = Cache::new(1 << 20);
    type Fields<'a> = &'a [(&'a str, &'a str)];
    let cases: [(&str, Fields, &str); 5] = [
        (
            "/s",
            &[("Cache-Control", "max-age=10, s-maxage=40")],
            "ttl=40; detail=s-maxage",
        ),
        (
            "/cdn",
            &[("Cache-Control", "max-age=10"), ("CDN-Cache-Control", "max-age=30")],
            "ttl=30; detail=cdn-max-age",
        ),
        (
            "/e",
            &[("Date", DATE0), ("Expires", "Tue, 14 Nov 2023 22:14:20 GMT")],
            "ttl=60; detail=expires",
        ),
        (
            "/h",
            &[("Date", DATE0), ("Last-Modified", "Tue, 14 Nov 2023 19:26:40 GMT")],
            "ttl=1000; detail=heuristic",
        ),
        ("/m", &[("Cache-Control", "max-age=20")], "ttl=20; detail=max-age"),
    ];
    for (target, fields, said) in cases {
        let (r, _, _) = exchange(&c, &get(target), t(0), |_| (resp(200, fields), "x"));
        let stored = header(&r, "cache-status").unwrap().to_string();
        assert!(
            stored.ends_with(&said.replace("; detail", "; stored; detail")),
            "{target}: {stored}"
        );
        let (r, _, f) = exchange(&c, &get(target), t(5), unreachable_origin);
        assert!(f.is_none(), "{target}");
        let ttl: i64 = said[4..said.find(';').unwrap()].parse().unwrap();
        let hit = format!("netlab; hit; ttl={}{}", ttl - 5, &said[said.find(';').unwrap()..]);
        assert_eq!(header(&r, "cache-status"), Some(hit.as_str()), "{target}");
    }
    // Another detail (why it was served stale) takes the place.
    exchange(&c, &get("/st"), t(0), |_| {
        (resp(200, &[("Cache-Control", "max-age=1")]), "x")
    });
    let stale = req("GET", "/st", &[("Cache-Control", "max-stale")]);
    let (r, _, _) = exchange(&c, &stale, t(9), unreachable_origin);
    assert_eq!(
        header(&r, "cache-status"),
        Some("netlab; hit; ttl=-8; detail=max-stale")
    );
    // No lifetime at all: nothing to name.
    let (r, _, _) = exchange(&c, &get("/none"), t(0), |_| (resp(200, &[("ETag", "\"1\"")]), "x"));
    assert_eq!(
        header(&r, "cache-status"),
        Some("netlab; fwd=uri-miss; fwd-status=200; ttl=0; stored")
    );
}

/// RFC 9211 §2.6: a request that waited for another's forward of the same URL says
/// `fwd=<why>; collapsed` when it could reuse the stored answer, and `collapsed=?0` when it
/// had to go forward itself.
#[test]
fn a_collapsed_request_says_so_rfc9211_2_6() {
    let c = Cache::new(1 << 20);
    let Decision::Forward { pending: leader, .. } = c.on_request(&get("/a"), t(0)) else {
        panic!("a miss is forwarded")
    };
    let Decision::Forward { pending: follower, .. } = c.on_request(&get("/a"), t(0)) else {
        panic!("so is the second one, before the first is answered")
    };
    c.on_response(
        leader,
        resp(200, &[("Cache-Control", "max-age=60")]),
        Bytes::from_static(b"one"),
        t(0),
        t(1),
    );
    let Decision::Serve(r, b) = c.on_collapsed(&get("/a"), follower, t(1)) else {
        panic!("the stored answer is reused")
    };
    assert_eq!(b, "one");
    assert_eq!(
        header(&r, "cache-status"),
        Some("netlab; fwd=uri-miss; ttl=59; collapsed; detail=max-age")
    );
    // The leader's answer could not be stored: the follower goes forward, and says it waited.
    let Decision::Forward { pending: leader, .. } = c.on_request(&get("/p"), t(0)) else {
        panic!("a miss is forwarded")
    };
    let Decision::Forward { pending: follower, .. } = c.on_request(&get("/p"), t(0)) else {
        panic!("a miss is forwarded")
    };
    c.on_response(
        leader,
        resp(200, &[("Cache-Control", "private")]),
        Bytes::from_static(b"mine"),
        t(0),
        t(1),
    );
    let Decision::Forward { pending, .. } = c.on_collapsed(&get("/p"), follower, t(1)) else {
        panic!("nothing to reuse")
    };
    let (r, _) = c.on_response(
        pending,
        resp(200, &[("Cache-Control", "private")]),
        Bytes::from_static(b"yours"),
        t(1),
        t(2),
    );
    assert_eq!(
        header(&r, "cache-status"),
        Some("netlab; fwd=uri-miss; fwd-status=200; collapsed=?0; detail=private")
    );
}
