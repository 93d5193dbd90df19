//! Storing responses (RFC 9111 §3): whether a shared cache may keep a response, and which of
//! its header fields it keeps (§3.1).

use super::directives::Directives;
use super::fields;
use super::freshness::HEURISTIC_CODES;

/// Why a response was not stored (the `detail` of its Cache-Status, RFC 9211 §2.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The request method is not one this cache stores (GET; a POST's response is stored as
    /// the answer to a GET of its Content-Location, RFC 9110 §9.3.3; §3: "the request method
    /// is understood by the cache").
    Method,
    /// A non-final status, or one the cache does not store as a new entry (206, 304).
    Status,
    /// `no-store` in the response (§3, §5.2.2.5).
    NoStore,
    /// `no-store` in the request (§5.2.1.5).
    RequestNoStore,
    /// Unqualified `private` (§5.2.2.7): a shared cache never stores it.
    Private,
    /// The request carried `Authorization` and the response did not allow storing (§3.5).
    Authorization,
    /// Neither explicit freshness nor a heuristically cacheable status nor `public` (§3).
    NotCacheable,
    /// `Vary: *` (§4.1): the stored response could never be selected.
    VaryStar,
    /// `must-understand` with a status code this cache does not understand (§5.2.2.3).
    MustUnderstand,
    /// The body does not fit in the cache.
    TooLarge,
}

impl Refusal {
    /// Whether the refusal comes from the request alone (its method, `no-store` or
    /// `Authorization`), which says nothing about the responses stored for other requests.
    pub fn by_request(self) -> bool {
        matches!(self, Refusal::Method | Refusal::RequestNoStore | Refusal::Authorization)
    }

    /// The words Cache-Status's `detail` carries.
    pub fn detail(self) -> &'static str {
        match self {
            Refusal::Method => "method",
            Refusal::Status => "status",
            Refusal::NoStore => "no-store",
            Refusal::RequestNoStore => "request-no-store",
            Refusal::Private => "private",
            Refusal::Authorization => "authorization",
            Refusal::NotCacheable => "not-cacheable",
            Refusal::VaryStar => "vary-star",
            Refusal::MustUnderstand => "must-understand",
            Refusal::TooLarge => "too-large",
        }
    }
}

/// Status codes whose requirements this cache knows and meets (for `must-understand`,
/// §5.2.2.3): the final codes RFC 9110 §15 defines, except 206, which it does not store.
const UNDERSTOOD: [u16; 36] = [
    200, 201, 202, 203, 204, 205, 300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408,
    409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 426, 501,
];

/// Whether the directives allow a stored response to be used for a request with
/// `Authorization` (§3.5): `public`, `s-maxage` or `must-revalidate`.
pub fn authorization_allowed(cc: &Directives) -> bool {
    cc.has("public") || cc.has("s-maxage") || cc.has("must-revalidate")
}

/// §3: may a shared cache store this response to this request? `cc` is the response's
/// directives (from `CDN-Cache-Control` when valid, RFC 9213), `targeted` whether they are.
pub fn may_store(
    method: &str,
    request_headers: &[(String, String)],
    request_cc: &Directives,
    status: u16,
    headers: &[(String, String)],
    cc: &Directives,
    targeted: bool,
) -> Result<(), Refusal> {
    // "the request method is understood by the cache": GET (a POST's response comes here as a
    // GET's when its Content-Location names its target; HEAD responses carry no content).
    if method != "GET" {
        return Err(Refusal::Method);
    }
    // "the response status code is final" (§3); 206 and 304 never become new entries here
    // (§3.3 allows storing partial content, and a 304 only updates, §4.3.4).
    if !(200..=599).contains(&status) || status == 206 || status == 304 {
        return Err(Refusal::Status);
    }
    let understood = UNDERSTOOD.contains(&status);
    // §5.2.2.3: with must-understand, only a cache that understands the status code stores it,
    // and it then ignores no-store.
    if cc.has("must-understand") && !understood {
        return Err(Refusal::MustUnderstand);
    }
    if request_cc.has("no-store") {
        return Err(Refusal::RequestNoStore);
    }
    if cc.has("no-store") && !cc.has("must-understand") {
        return Err(Refusal::NoStore);
    }
    if cc.unqualified("private") {
        return Err(Refusal::Private);
    }
    if fields::has(request_headers, "authorization") && !authorization_allowed(cc) {
        return Err(Refusal::Authorization);
    }
    if fields::values(headers, "vary")
        .flat_map(|v| v.split(','))
        .any(|f| f.trim() == "*")
    {
        return Err(Refusal::VaryStar);
    }
    let expires = !targeted && fields::has(headers, "expires");
    let explicit = cc.has("public") || cc.has("max-age") || cc.has("s-maxage") || expires;
    if !explicit && !HEURISTIC_CODES.contains(&status) {
        return Err(Refusal::NotCacheable);
    }
    Ok(())
}

/// Header fields a cache never stores (§3.1): `Connection` and the fields it names, the
/// hop-by-hop fields of RFC 9110 §7.6.1, and the proxy authentication fields.
const UNSTORED: [&str; 9] = [
    "connection",
    "proxy-connection",
    "keep-alive",
    "te",
    "transfer-encoding",
    "upgrade",
    "proxy-authenticate",
    "proxy-authentication-info",
    "proxy-authorization",
];

/// Whether `name` is excluded from storage (§3.1), given the response's header fields and
/// directives: the fixed list, the fields `Connection` names, and the fields named by the
/// qualified `no-cache="..."` and (in a shared cache) `private="..."` forms (§5.2.2.4, §5.2.2.7).
pub fn unstored(name: &str, headers: &[(String, String)], cc: &Directives) -> bool {
    let lower = name.to_ascii_lowercase();
    UNSTORED.contains(&lower.as_str())
        || fields::values(headers, "connection")
            .flat_map(|v| v.split(','))
            .any(|f| f.trim().eq_ignore_ascii_case(&lower))
        || cc.field_names("no-cache").contains(&lower)
        || cc.field_names("private").contains(&lower)
}

/// The header fields to store (§3.1), in the origin's order and spelling.
pub fn stored_headers(headers: &[(String, String)], cc: &Directives) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(n, _)| !unstored(n, headers, cc))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::cache::h;

    fn store(method: &str, req: &[(&str, &str)], status: u16, resp: &[(&str, &str)]) -> Result<(), Refusal> {
        let (rq, rs) = (h(req), h(resp));
        let cc = Directives::cache_control(&rs);
        may_store(method, &rq, &Directives::cache_control(&rq), status, &rs, &cc, false)
    }

    #[test]
    fn only_get_is_stored_rfc9111_3() {
        assert_eq!(store("GET", &[], 200, &[("cache-control", "max-age=60")]), Ok(()));
        assert_eq!(
            store("POST", &[], 200, &[("cache-control", "max-age=60")]),
            Err(Refusal::Method)
        );
        assert_eq!(
            store("HEAD", &[], 200, &[("cache-control", "max-age=60")]),
            Err(Refusal::Method)
        );
    }

    #[test]
    fn no_store_in_request_or_response_rfc9111_5_2_1_5_and_5_2_2_5() {
        assert_eq!(
            store("GET", &[], 200, &[("cache-control", "max-age=60, No-Store")]),
            Err(Refusal::NoStore)
        );
        assert_eq!(
            store(
                "GET",
                &[("cache-control", "no-store")],
                200,
                &[("cache-control", "max-age=60")]
            ),
            Err(Refusal::RequestNoStore)
        );
    }

    #[test]
    fn private_is_not_stored_by_a_shared_cache_rfc9111_5_2_2_7() {
        assert_eq!(
            store("GET", &[], 200, &[("cache-control", "private, max-age=60")]),
            Err(Refusal::Private)
        );
        assert_eq!(
            store(
                "GET",
                &[],
                200,
                &[("cache-control", "private=\"set-cookie\", max-age=60")]
            ),
            Ok(())
        );
    }

    #[test]
    fn authorization_needs_public_s_maxage_or_must_revalidate_rfc9111_3_5() {
        let auth = [("authorization", "Basic YTpi")];
        assert_eq!(
            store("GET", &auth, 200, &[("cache-control", "max-age=60")]),
            Err(Refusal::Authorization)
        );
        for ok in ["public, max-age=60", "s-maxage=60", "max-age=60, must-revalidate"] {
            assert_eq!(store("GET", &auth, 200, &[("cache-control", ok)]), Ok(()), "{ok}");
        }
    }

    #[test]
    fn needs_explicit_freshness_or_heuristic_code_rfc9111_3() {
        assert_eq!(store("GET", &[], 200, &[]), Ok(()));
        assert_eq!(store("GET", &[], 302, &[]), Err(Refusal::NotCacheable));
        assert_eq!(store("GET", &[], 302, &[("cache-control", "max-age=60")]), Ok(()));
        assert_eq!(store("GET", &[], 500, &[("expires", "0")]), Ok(()));
        assert_eq!(store("GET", &[], 599, &[("cache-control", "public")]), Ok(()));
    }

    #[test]
    fn partial_not_modified_and_interim_are_not_new_entries_rfc9111_3() {
        for s in [100, 103, 206, 304] {
            assert_eq!(
                store("GET", &[], s, &[("cache-control", "max-age=60")]),
                Err(Refusal::Status),
                "{s}"
            );
        }
    }

    #[test]
    fn must_understand_overrides_no_store_for_understood_codes_rfc9111_5_2_2_3() {
        let cc = "no-store, must-understand, max-age=60";
        assert_eq!(store("GET", &[], 200, &[("cache-control", cc)]), Ok(()));
        assert_eq!(
            store("GET", &[], 299, &[("cache-control", cc)]),
            Err(Refusal::MustUnderstand)
        );
    }

    #[test]
    fn vary_star_is_not_stored_rfc9111_4_1() {
        assert_eq!(
            store(
                "GET",
                &[],
                200,
                &[("cache-control", "max-age=60"), ("vary", "Accept, *")]
            ),
            Err(Refusal::VaryStar)
        );
    }

    #[test]
    fn hop_by_hop_and_named_fields_are_not_stored_rfc9111_3_1() {
        let rs = h(&[
            ("Connection", "close, X-Hop"),
            ("X-Hop", "1"),
            ("Keep-Alive", "timeout=5"),
            ("Set-Cookie", "a=b"),
            ("X-Secret", "s"),
            (
                "Cache-Control",
                "max-age=60, no-cache=\"Set-Cookie\", private=\"x-secret\"",
            ),
            ("ETag", "\"1\""),
        ]);
        let names: Vec<_> = stored_headers(&rs, &Directives::cache_control(&rs))
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["Cache-Control", "ETag"]);
    }
}
