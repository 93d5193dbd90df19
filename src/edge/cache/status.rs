//! What the cache tells the client about itself: the `Cache-Status` field (RFC 9211) and `Age`
//! (RFC 9111 §5.1).
//!
//! Cache-Status is a Structured Fields List (RFC 9211 §2): each cache on the path appends one
//! member, named after itself, with parameters: `hit` (answered from the cache), `fwd` (why it
//! went to the origin: `uri-miss`, `vary-miss`, `stale`, `request`, `method`, `bypass`),
//! `fwd-status` (the origin's status), `ttl` (freshness lifetime minus current age, negative
//! when stale), `stored`, `collapsed` (the request waited for another one's forward request,
//! §2.6: true when that one's answer could be reused, `?0` when it had to go forward itself),
//! and `detail` (§2.8: here the reason for what happened, or, when nothing else needs saying
//! on a hit or a stored response, the field that set the freshness lifetime: `max-age`,
//! `s-maxage`, `cdn-max-age`, `cdn-s-maxage`, `expires`, `heuristic`).

use super::fields;

/// This cache's name in Cache-Status.
pub const NAME: &str = "netlab";

/// Why a request went forward (RFC 9211 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fwd {
    /// Nothing stored for the target URI.
    UriMiss,
    /// Something stored for the URI, but no variant's `Vary` matched (RFC 9111 §4.1).
    VaryMiss,
    /// The stored response was stale (or `no-cache`) and had to be validated.
    Stale,
    /// A stored response was usable, but the request's directives (or `Authorization`) did
    /// not allow reusing it without the origin.
    Request,
    /// The method requires the origin (unsafe or not cacheable).
    Method,
    /// The cache does not handle this request (a range request).
    Bypass,
}

impl Fwd {
    fn token(self) -> &'static str {
        match self {
            Fwd::UriMiss => "uri-miss",
            Fwd::VaryMiss => "vary-miss",
            Fwd::Stale => "stale",
            Fwd::Request => "request",
            Fwd::Method => "method",
            Fwd::Bypass => "bypass",
        }
    }
}

/// One Cache-Status member for this cache.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheStatus {
    pub hit: bool,
    pub fwd: Option<Fwd>,
    pub fwd_status: Option<u16>,
    pub ttl: Option<i64>,
    pub stored: bool,
    /// §2.6: `Some(true)` reused another request's forward, `Some(false)` waited for one but
    /// had to forward anyway; `None` did not wait.
    pub collapsed: Option<bool>,
    pub detail: Option<&'static str>,
}

impl CacheStatus {
    /// The member's text: `netlab; hit; ttl=30` or `netlab; fwd=uri-miss; fwd-status=200; stored`.
    pub fn render(&self) -> String {
        let mut s = NAME.to_string();
        if self.hit {
            s.push_str("; hit");
        }
        if let Some(f) = self.fwd {
            s.push_str("; fwd=");
            s.push_str(f.token());
        }
        if let Some(st) = self.fwd_status {
            s.push_str(&format!("; fwd-status={st}"));
        }
        if let Some(t) = self.ttl {
            s.push_str(&format!("; ttl={t}"));
        }
        if self.stored {
            s.push_str("; stored");
        }
        match self.collapsed {
            Some(true) => s.push_str("; collapsed"),
            Some(false) => s.push_str("; collapsed=?0"),
            None => {}
        }
        if let Some(d) = self.detail {
            s.push_str("; detail=");
            s.push_str(d);
        }
        s
    }
}

/// Adds this cache's member as the last of the Cache-Status list (RFC 9211 §2: each cache
/// appends), after the members the origin or earlier caches sent, and sets `Age` when the
/// response comes from the cache (RFC 9111 §5.1: the seconds since it was generated or
/// validated at the origin, an integer).
pub fn finish(headers: &mut Vec<(String, String)>, status: &CacheStatus, age: Option<u64>) {
    let member = status.render();
    match headers
        .iter()
        .rposition(|(n, _)| n.eq_ignore_ascii_case("cache-status"))
    {
        Some(i) if !headers[i].1.trim().is_empty() => {
            let v = format!("{}, {member}", headers[i].1);
            headers[i].1 = v;
        }
        Some(i) => headers[i].1 = member,
        None => headers.push(("Cache-Status".to_string(), member)),
    }
    if let Some(a) = age {
        fields::set(headers, "Age", a.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_status_members_rfc9211_2() {
        let hit = CacheStatus {
            hit: true,
            ttl: Some(30),
            ..Default::default()
        };
        assert_eq!(hit.render(), "netlab; hit; ttl=30");
        let miss = CacheStatus {
            fwd: Some(Fwd::UriMiss),
            fwd_status: Some(200),
            stored: true,
            ..Default::default()
        };
        assert_eq!(miss.render(), "netlab; fwd=uri-miss; fwd-status=200; stored");
    }

    #[test]
    fn collapsed_is_a_boolean_beside_fwd_rfc9211_2_6() {
        let reused = CacheStatus {
            fwd: Some(Fwd::UriMiss),
            ttl: Some(59),
            collapsed: Some(true),
            detail: Some("max-age"),
            ..Default::default()
        };
        assert_eq!(
            reused.render(),
            "netlab; fwd=uri-miss; ttl=59; collapsed; detail=max-age"
        );
        let again = CacheStatus {
            fwd: Some(Fwd::UriMiss),
            fwd_status: Some(200),
            collapsed: Some(false),
            ..Default::default()
        };
        assert_eq!(again.render(), "netlab; fwd=uri-miss; fwd-status=200; collapsed=?0");
    }

    #[test]
    fn cache_status_is_appended_last_rfc9211_2() {
        let mut h = vec![("Cache-Status".to_string(), "OriginCache; hit".to_string())];
        finish(
            &mut h,
            &CacheStatus {
                hit: true,
                ttl: Some(1),
                ..Default::default()
            },
            Some(4),
        );
        assert_eq!(h[0].1, "OriginCache; hit, netlab; hit; ttl=1");
        assert_eq!(h[1], ("Age".to_string(), "4".to_string()));
    }
}
