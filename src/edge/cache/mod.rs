//! A shared HTTP cache's rules (RFC 9111), pure and synchronous: the proxy hands it each request
//! head and each origin answer with the times it saw them, and it says what to do.
//!
//! ```text
//!  client ──► on_request ──► Serve (fresh hit, allowed stale, 304)        ──► client
//!                       ├──► GatewayTimeout (only-if-cached, nothing usable) ─► client
//!                       └──► Forward{request, pending} ──► origin
//!                                 origin's answer ──► on_response(pending, ..) ──► client
//!                                 origin failed   ──► on_origin_error(pending, ..)
//! ```
//!
//! The modules follow RFC 9111: [`storage`] (§3, may it be stored, which fields), [`key`]
//! (§2, §4.1, Vary), [`freshness`] (§4.2, lifetime and Age), [`serve`] (§4, §4.2.4, §4.3.2,
//! RFC 5861), [`range`] (RFC 9110 §14), [`validate`] (§4.3), [`invalidate`] (§4.4),
//! [`directives`] (§5.2, RFC 9213), [`status`] (RFC 9211 Cache-Status, §5.1 Age), [`store`]
//! (the bounded store), [`date`] (HTTP-date) and [`fields`] (header lookups).
//!
//! Background revalidation (stale-while-revalidate, RFC 5861 §3): when a stale response is
//! served within its window, the cache queues the revalidation; the proxy takes the queue with
//! [`Cache::refresh_due`], sends each request, and hands the answers to [`Cache::on_response`]
//! (whose result it then drops) as for any other forwarded request.
//!
//! The cache starts empty and applies no default freshness. Every time is a `SystemTime` the
//! caller passes in, so tests run on a fake clock.

pub mod date;
pub mod directives;
pub mod fields;
pub mod freshness;
pub mod invalidate;
pub mod key;
pub mod range;
pub mod serve;
pub mod status;
pub mod storage;
pub mod store;
pub mod validate;

use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use bytes::Bytes;

use directives::Directives;
use serve::Verdict;
use status::{CacheStatus, Fwd};
use storage::Refusal;
use store::{Entry, Store};

/// A request's head as the client sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    pub method: String,
    /// path?query as sent.
    pub target: String,
    pub host: String,
    pub headers: Vec<(String, String)>,
}

/// A response's head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

/// What the cache decided for a request.
#[derive(Debug)]
pub enum Decision {
    /// Answer the client with this (a fresh hit, an allowed stale one, a 304 to a conditional
    /// request the stored response satisfies), Age and Cache-Status already set.
    Serve(ResponseHead, Bytes),
    /// Ask the origin with `request` (the client's, plus validators when revalidating, minus
    /// nothing else); then call `Cache::on_response` (or `on_origin_error`) with `pending`.
    /// When revalidating, the client's own If-None-Match/If-Modified-Since are replaced by the
    /// stored response's validators, and evaluated by the cache against the validated response.
    Forward { request: RequestHead, pending: Pending },
    /// 504: only-if-cached and nothing usable stored (RFC 9111 §5.2.1.7).
    GatewayTimeout(ResponseHead),
}

/// What the cache offers when the origin failed to answer a forwarded request.
#[derive(Debug)]
pub enum Fallback {
    /// A stale stored response it may serve instead (stale-if-error, or disconnected, §4.2.4),
    /// Age and Cache-Status set.
    Stale(ResponseHead, Bytes),
    /// A stored response that may not be served stale (`must-revalidate`, `proxy-revalidate`,
    /// `s-maxage`, `no-cache`): the cache "MUST generate an error response rather than reuse
    /// the stale response", whose status "SHOULD be 504 (Gateway Timeout) unless another
    /// error status code is more applicable" (§5.2.2.2). The proxy answers so even when the
    /// origin dropped the connection, which it otherwise passes on.
    MustError,
    /// Nothing stored to fall back on, or a validation the request asked for: the proxy's own
    /// answer to the failure stands.
    Nothing,
}

/// What a forwarded request was for (a miss, a revalidation of entry X, a pass-through).
#[derive(Debug)]
pub struct Pending {
    /// The client's request as received.
    request: RequestHead,
    key: String,
    kind: Kind,
    /// Decided after waiting for another request's forward of the same URL
    /// ([`Cache::on_collapsed`]): the answer says `collapsed=?0` (RFC 9211 §2.6).
    collapsed: bool,
}

impl Pending {
    /// Why the request was forwarded (Cache-Status's `fwd`).
    fn fwd(&self) -> Fwd {
        match self.kind {
            Kind::Miss(fwd) | Kind::Pass(fwd) | Kind::Validate { fwd, .. } => fwd,
            Kind::Unsafe => Fwd::Method,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Nothing usable was stored: store the answer if §3 allows.
    Miss(Fwd),
    /// Validating stored entry `id`.
    Validate { id: u64, fwd: Fwd },
    /// An unsafe method: a non-error answer invalidates (§4.4).
    Unsafe,
    /// Not handled by the cache (other safe methods, range requests).
    Pass(Fwd),
}

/// At most this many background revalidations wait for the proxy (beyond, a stale hit within
/// stale-while-revalidate is served without queueing one; the next stale hit queues it).
const MAX_REFRESHES: usize = 1024;

/// A shared HTTP cache, bounded by the total bytes of the bodies it stores.
#[derive(Debug)]
pub struct Cache {
    store: Mutex<Store>,
    refresh: Mutex<Vec<(RequestHead, Pending)>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Cache {
    pub fn new(max_bytes: usize) -> Cache {
        Cache {
            store: Mutex::new(Store::new(max_bytes)),
            refresh: Mutex::new(Vec::new()),
        }
    }

    pub fn on_request(&self, req: &RequestHead, now: SystemTime) -> Decision {
        self.decide(req, now, None)
    }

    /// The same request asked again after it waited for another request's forward of the same
    /// URL (request collapsing; `waited` is what the first decision had been): a stored answer
    /// now says `fwd=<why>; collapsed` instead of `hit`, and a request that must still go
    /// forward says `collapsed=?0` in the end (RFC 9211 §2.6: "If true, the response was
    /// successfully reused; if not, a new request had to be made").
    pub fn on_collapsed(&self, req: &RequestHead, waited: Pending, now: SystemTime) -> Decision {
        self.decide(req, now, Some(waited.fwd()))
    }

    /// Decides for `req` at `now`; `waited`: the request collapsed onto another, which had
    /// been forwarded for this reason.
    fn decide(&self, req: &RequestHead, now: SystemTime, waited: Option<Fwd>) -> Decision {
        let now = date::secs(now);
        let key = key::primary(&req.host, &req.target);
        let forward = |kind, request: RequestHead| Decision::Forward {
            request,
            pending: Pending {
                request: req.clone(),
                key: key.clone(),
                kind,
                collapsed: waited.is_some(),
            },
        };
        if invalidate::is_unsafe(&req.method) {
            return forward(Kind::Unsafe, req.clone());
        }
        if req.method != "GET" && req.method != "HEAD" {
            return forward(Kind::Pass(Fwd::Method), req.clone());
        }
        // A Range request is answered from a stored complete response (RFC 9110 §14), or
        // goes through; If-Range ones always go through, and no partial content is stored.
        if fields::has(&req.headers, "range") && (req.method != "GET" || fields::has(&req.headers, "if-range")) {
            return forward(Kind::Pass(Fwd::Bypass), req.clone());
        }
        let rcc = Directives::cache_control(&req.headers);
        let only_if_cached = rcc.has("only-if-cached");
        let mut store = lock(&self.store);
        let selected = store.select(&key, &req.headers);
        let Some(entry) = selected.and_then(|id| store.get(&key, id)) else {
            if only_if_cached {
                return Decision::GatewayTimeout(gateway_timeout());
            }
            let fwd = if store.has_key(&key) {
                Fwd::VaryMiss
            } else {
                Fwd::UriMiss
            };
            return forward(Kind::Miss(fwd), req.clone());
        };
        let hit = |detail| CacheStatus {
            hit: waited.is_none(),
            fwd: waited,
            collapsed: waited.map(|_| true),
            ttl: Some(entry.ttl(now)),
            detail,
            ..CacheStatus::default()
        };
        match serve::verdict(entry, &rcc, &req.headers, now) {
            Verdict::Fresh => {
                let (h, b) = answer(entry, req, now, &hit(entry.lifetime.source.detail()));
                Decision::Serve(h, b)
            }
            Verdict::StaleAccepted => {
                let (h, b) = answer(entry, req, now, &hit(Some("max-stale")));
                Decision::Serve(h, b)
            }
            Verdict::StaleWhileRevalidate => {
                let (h, b) = answer(entry, req, now, &hit(Some("stale-while-revalidate")));
                let (id, queue) = (entry.id, !entry.refreshing);
                // The refresh is a GET even for a HEAD hit, so a full answer can replace the entry.
                let get = RequestHead {
                    method: "GET".to_string(),
                    ..req.clone()
                };
                let request = validate::conditional_request(&get, &entry.headers);
                if queue && lock(&self.refresh).len() < MAX_REFRESHES {
                    if let Some(e) = store.get_mut(&key, id) {
                        e.refreshing = true;
                    }
                    let kind = Kind::Validate { id, fwd: Fwd::Stale };
                    let pending = Pending {
                        request: get,
                        key: key.clone(),
                        kind,
                        collapsed: false,
                    };
                    lock(&self.refresh).push((request, pending));
                }
                Decision::Serve(h, b)
            }
            Verdict::Validate(_) if only_if_cached => Decision::GatewayTimeout(gateway_timeout()),
            Verdict::Validate(fwd) => {
                let kind = Kind::Validate { id: entry.id, fwd };
                forward(kind, validate::conditional_request(req, &entry.headers))
            }
        }
    }

    /// The origin's answer: stores it if allowed, merges a 304 into the stored response, invalidates
    /// after unsafe methods; returns what to send the client (Age, Cache-Status set).
    pub fn on_response(
        &self,
        pending: Pending,
        resp: ResponseHead,
        body: Bytes,
        request_time: SystemTime,
        response_time: SystemTime,
    ) -> (ResponseHead, Bytes) {
        let (rq, rs) = (date::secs(request_time), date::secs(response_time));
        let Pending {
            request,
            key,
            kind,
            collapsed,
        } = pending;
        let status = resp.status;
        let forwarded = |fwd| CacheStatus {
            fwd: Some(fwd),
            fwd_status: Some(status),
            collapsed: collapsed.then_some(false),
            ..CacheStatus::default()
        };
        let mut store = lock(&self.store);
        match kind {
            Kind::Unsafe => {
                for k in invalidate::targets(&request.host, &request.target, resp.status, &resp.headers) {
                    store.remove_key(&k);
                }
                let stored = post_reusable(&request, &resp).then(|| {
                    let get = RequestHead {
                        method: "GET".to_string(),
                        ..request.clone()
                    };
                    store_response(&mut store, &get, &key, &resp, &body, rq, rs)
                });
                let cs = match stored {
                    Some(Ok(stored)) => storing(forwarded(Fwd::Method), Ok(stored)),
                    _ => forwarded(Fwd::Method),
                };
                passed(resp, body, &cs)
            }
            Kind::Pass(fwd) => {
                let cs = forwarded(fwd);
                passed(resp, body, &cs)
            }
            Kind::Miss(fwd) => {
                let stored = store_response(&mut store, &request, &key, &resp, &body, rq, rs);
                passed(resp, body, &storing(forwarded(fwd), stored))
            }
            Kind::Validate { id, fwd } => {
                if let Some(e) = store.get_mut(&key, id) {
                    e.refreshing = false;
                }
                let cs = forwarded(fwd);
                validated(&mut store, &request, &key, id, (resp, body), (rq, rs), cs)
            }
        }
    }

    /// The origin failed (refused, reset, 5xx is NOT this: 5xx goes to on_response): a stale
    /// response allowed by stale-if-error, an error the stored response's directives demand,
    /// or nothing (the proxy answers 502/504 itself, or passes on a dropped connection).
    ///
    /// Beyond stale-if-error (RFC 5861 §4), RFC 9111 §4.2.4 lets a cache that is disconnected
    /// from the origin serve a stale response when nothing forbids it: no must-revalidate,
    /// proxy-revalidate, s-maxage or no-cache, no stale-if-error window that has passed, and no
    /// request directive asking for a validated or younger response. Such an answer says
    /// `detail=disconnected` in its Cache-Status.
    pub fn on_origin_error(&self, pending: Pending, now: SystemTime) -> Fallback {
        let now = date::secs(now);
        let Kind::Validate { id, fwd } = pending.kind else {
            return Fallback::Nothing;
        };
        let mut store = lock(&self.store);
        let Some(entry) = store.get_mut(&pending.key, id) else {
            return Fallback::Nothing;
        };
        entry.refreshing = false;
        if serve::stale_forbidden(&entry.cc) {
            return Fallback::MustError;
        }
        // A validation the request asked for (fwd=request) is not answered stale.
        if fwd != Fwd::Stale {
            return Fallback::Nothing;
        }
        let rcc = Directives::cache_control(&pending.request.headers);
        let Some(detail) = serve::when_disconnected(entry, &rcc, now) else {
            return Fallback::Nothing;
        };
        let cs = CacheStatus {
            fwd: Some(Fwd::Stale),
            ttl: Some(entry.ttl(now)),
            detail: Some(detail),
            ..CacheStatus::default()
        };
        let (head, body) = answer(entry, &pending.request, now, &cs);
        Fallback::Stale(head, body)
    }

    /// Removes every stored response for host+target (purge).
    pub fn purge(&self, host: &str, target: &str) -> usize {
        lock(&self.store).remove_key(&key::primary(host, target))
    }

    /// The background revalidations due (stale-while-revalidate, RFC 5861 §3), taken from the
    /// queue: send each request to the origin and give its answer to [`Cache::on_response`]
    /// (or a failure to [`Cache::on_origin_error`]) with its `Pending`, dropping the result.
    /// At most one is queued per stored response at a time.
    pub fn refresh_due(&self) -> Vec<(RequestHead, Pending)> {
        std::mem::take(&mut *lock(&self.refresh))
    }
}

/// The 504 for `only-if-cached` with nothing usable (§5.2.1.7).
fn gateway_timeout() -> ResponseHead {
    let mut headers = Vec::new();
    let cs = CacheStatus {
        detail: Some("only-if-cached"),
        ..CacheStatus::default()
    };
    status::finish(&mut headers, &cs, None);
    ResponseHead { status: 504, headers }
}

/// The origin's response as it came, with this cache's Cache-Status member.
fn passed(mut resp: ResponseHead, body: Bytes, cs: &CacheStatus) -> (ResponseHead, Bytes) {
    status::finish(&mut resp.headers, cs, None);
    (resp, body)
}

/// Serves stored `entry` to `req` at `now`: a 304 when the request's conditions call for one
/// (§4.3.2, only for a 2xx stored response, RFC 9110 §13.2.1), a 206 for a GET's single
/// satisfiable byte range of a stored 200 ([`range`]), no content for HEAD, Age and
/// Cache-Status set.
fn answer(entry: &Entry, req: &RequestHead, now: i64, cs: &CacheStatus) -> (ResponseHead, Bytes) {
    let age = Some(entry.age(now));
    if (200..300).contains(&entry.status) && serve::not_modified(&req.headers, &entry.headers) {
        let mut headers = serve::not_modified_headers(&entry.headers);
        status::finish(&mut headers, cs, age);
        return (ResponseHead { status: 304, headers }, Bytes::new());
    }
    let mut headers = entry.headers.clone();
    let ranged = fields::first(&req.headers, "range").filter(|_| req.method == "GET" && entry.status == 200);
    if let Some((first, last)) = ranged.and_then(|r| range::single(r, entry.body.len())) {
        let len = entry.body.len();
        fields::set(&mut headers, "Content-Range", format!("bytes {first}-{last}/{len}"));
        fields::set(&mut headers, "Content-Length", (last + 1 - first).to_string());
        status::finish(&mut headers, cs, age);
        return (ResponseHead { status: 206, headers }, entry.body.slice(first..=last));
    }
    status::finish(&mut headers, cs, age);
    let body = if req.method == "HEAD" {
        Bytes::new()
    } else {
        entry.body.clone()
    };
    (
        ResponseHead {
            status: entry.status,
            headers,
        },
        body,
    )
}

/// RFC 9110 §9.3.3 and RFC 9111 §3: a response to POST may answer later GETs of the same URI
/// when it is a success with explicit freshness (max-age, s-maxage or Expires) and a
/// `Content-Location` naming the request's own target.
fn post_reusable(req: &RequestHead, resp: &ResponseHead) -> bool {
    let (cc, targeted) = store::policy(&resp.headers);
    let explicit = cc.has("max-age") || cc.has("s-maxage") || (!targeted && fields::has(&resp.headers, "expires"));
    let same = fields::first(&resp.headers, "content-location")
        .and_then(|cl| invalidate::same_host_target(&req.host, &req.target, cl.trim()))
        .is_some_and(|t| t == req.target);
    req.method == "POST" && (200..300).contains(&resp.status) && explicit && same
}

/// What Cache-Status says of a response just stored: its `ttl` and the source of its
/// freshness lifetime.
struct Stored {
    ttl: i64,
    source: freshness::Source,
}

/// `cs` for a response the cache tried to store: `stored`, its `ttl` and, when nothing else
/// needs saying, the field that set its lifetime as `detail`; or the refusal as `detail`.
fn storing(cs: CacheStatus, stored: Result<Stored, Refusal>) -> CacheStatus {
    match stored {
        Ok(s) => CacheStatus {
            stored: true,
            ttl: Some(s.ttl),
            detail: cs.detail.or(s.source.detail()),
            ..cs
        },
        Err(refusal) => CacheStatus {
            detail: Some(refusal.detail()),
            ..cs
        },
    }
}

/// Stores `resp` as the answer to `req` if §3 allows (replacing the variant it supersedes).
fn store_response(
    store: &mut Store,
    req: &RequestHead,
    key: &str,
    resp: &ResponseHead,
    body: &Bytes,
    request_time: i64,
    response_time: i64,
) -> Result<Stored, Refusal> {
    let (cc, targeted) = store::policy(&resp.headers);
    let rcc = Directives::cache_control(&req.headers);
    storage::may_store(
        &req.method,
        &req.headers,
        &rcc,
        resp.status,
        &resp.headers,
        &cc,
        targeted,
    )?;
    let secondary = key::Secondary::of(&req.headers, &key::vary_names(&resp.headers));
    let mut headers = storage::stored_headers(&resp.headers, &cc);
    // RFC 9110 §6.6.1: a recipient with a clock that caches a response without Date adds one,
    // the time it was received.
    if !fields::has(&headers, "date") {
        headers.push(("Date".to_string(), date::format(response_time)));
    }
    let entry = Entry::new(
        secondary,
        resp.status,
        headers,
        body.clone(),
        &resp.headers,
        request_time,
        response_time,
    );
    let stored = Stored {
        ttl: entry.ttl(response_time),
        source: entry.lifetime.source,
    };
    if store.insert(key, &req.headers, entry) {
        Ok(stored)
    } else {
        Err(Refusal::TooLarge)
    }
}

/// The answer to a validation of entry `id` (§4.3.3): a 304 (or a HEAD's 200, §4.3.5) with
/// matching validators freshens the stored response, which is served; a 5xx may let the stale
/// one be served (RFC 5861 §4); any other full response replaces it (or, if it may not be
/// stored, removes it) and goes to the client.
fn validated(
    store: &mut Store,
    req: &RequestHead,
    key: &str,
    id: u64,
    (resp, body): (ResponseHead, Bytes),
    (rq, rs): (i64, i64),
    cs: CacheStatus,
) -> (ResponseHead, Bytes) {
    let head = req.method == "HEAD" && resp.status == 200;
    if let Some(entry) = store.get(key, id).filter(|_| resp.status == 304 || head) {
        let same = if head {
            entry.status == 200 && validate::head_matches(&entry.headers, entry.body.len(), &resp.headers)
        } else {
            validate::updates(&entry.headers, &resp.headers)
        };
        if !same {
            // The origin has another representation: the stored one is outdated (§4.3.4, §4.3.5).
            store.remove(key, id);
            return passed(
                resp,
                body,
                &CacheStatus {
                    detail: Some("validator-mismatch"),
                    ..cs
                },
            );
        }
        let merged = validate::merge(&entry.headers, &resp.headers);
        let fresh = Entry::new(
            entry.secondary.clone(),
            entry.status,
            merged,
            entry.body.clone(),
            &resp.headers,
            rq,
            rs,
        );
        store.replace(key, id, fresh);
        if let Some(entry) = store.get(key, id) {
            return answer(
                entry,
                req,
                rs,
                &CacheStatus {
                    ttl: Some(entry.ttl(rs)),
                    detail: entry.lifetime.source.detail(),
                    ..cs
                },
            );
        }
    }
    if matches!(resp.status, 500 | 502 | 503 | 504) {
        let rcc = Directives::cache_control(&req.headers);
        if let Some(entry) = store.get(key, id).filter(|e| serve::stale_if_error(e, &rcc, rs)) {
            let cs = CacheStatus {
                ttl: Some(entry.ttl(rs)),
                detail: Some("stale-if-error"),
                ..cs
            };
            return answer(entry, req, rs, &cs);
        }
        return passed(resp, body, &cs);
    }
    if resp.status == 304 || resp.status == 206 || req.method == "HEAD" {
        // Nothing stored to freshen (purged or evicted meanwhile), or a part of the content
        // (not stored, and no sign the stored response is outdated): pass the answer on.
        return passed(resp, body, &cs);
    }
    let stored = store_response(store, req, key, &resp, &body, rq, rs);
    // A full response that may not be stored still says the stored one is not suitable
    // (§4.3.3), unless only the request kept it from being stored.
    if stored.as_ref().is_err_and(|r| !r.by_request()) {
        store.remove(key, id);
    }
    passed(resp, body, &storing(cs, stored))
}

/// Header fields from `(name, value)` pairs, for the tests of every module here.
#[cfg(test)]
pub(crate) fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[cfg(test)]
mod tests;
