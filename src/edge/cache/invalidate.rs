//! Invalidation (RFC 9111 §4.4): an unsafe method may change what the origin has, so a non-error
//! response to it (2xx or 3xx) makes the cache drop what it stored for the target URI, and for
//! the URIs in `Location` and `Content-Location` when they have the same host (a different host
//! must not be invalidated, to deny a denial-of-service by one origin against another).

use super::fields;
use super::key;

/// Safe methods (RFC 9110 §9.2.1); every other method, known or not, is unsafe.
pub fn is_unsafe(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE")
}

/// The primary keys a response to an unsafe request on `host` + `target` invalidates, or none
/// when its status is an error or not final.
pub fn targets(host: &str, target: &str, status: u16, headers: &[(String, String)]) -> Vec<String> {
    if !(200..400).contains(&status) {
        return Vec::new();
    }
    let mut keys = vec![key::primary(host, target)];
    for name in ["location", "content-location"] {
        if let Some(t) = fields::first(headers, name).and_then(|v| same_host_target(host, target, v.trim())) {
            let k = key::primary(host, &t);
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    keys
}

/// The target (path and query) `reference` names on `host`, or `None` for another host.
/// Handles absolute URIs, absolute paths, and relative paths against `base`'s directory
/// (RFC 3986 §5.2, without dot-segment removal).
pub fn same_host_target(host: &str, base: &str, reference: &str) -> Option<String> {
    if reference.is_empty() {
        return None;
    }
    let lower = reference.to_ascii_lowercase();
    let rest = if lower.starts_with("http://") {
        &reference[7..]
    } else if lower.starts_with("https://") {
        &reference[8..]
    } else if let Some(r) = reference.strip_prefix("//") {
        r
    } else if reference.starts_with('/') {
        return Some(reference.to_string());
    } else {
        let path = base.split('?').next().unwrap_or("");
        let dir = path.rfind('/').map_or("/", |i| &path[..=i]);
        return Some(format!("{dir}{reference}"));
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    if !authority.eq_ignore_ascii_case(host) {
        return None;
    }
    Some(if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::cache::h;

    #[test]
    fn unsafe_methods_rfc9110_9_2_1() {
        for m in ["POST", "PUT", "DELETE", "PATCH", "M-SEARCH"] {
            assert!(is_unsafe(m), "{m}");
        }
        for m in ["GET", "HEAD", "OPTIONS", "TRACE"] {
            assert!(!is_unsafe(m), "{m}");
        }
    }

    #[test]
    fn non_error_response_invalidates_target_location_content_location_rfc9111_4_4() {
        let hs = h(&[("Location", "http://Example.com/new"), ("Content-Location", "other")]);
        assert_eq!(
            targets("example.com", "/dir/x", 201, &hs),
            ["example.com/dir/x", "example.com/new", "example.com/dir/other"]
        );
        assert_eq!(targets("example.com", "/x", 303, &h(&[])), ["example.com/x"]);
    }

    #[test]
    fn error_response_invalidates_nothing_rfc9111_4_4() {
        assert!(targets("example.com", "/x", 404, &h(&[])).is_empty());
        assert!(targets("example.com", "/x", 500, &h(&[])).is_empty());
    }

    #[test]
    fn other_host_is_not_invalidated_rfc9111_4_4() {
        let hs = h(&[("Location", "https://other.example/x")]);
        assert_eq!(targets("example.com", "/x", 200, &hs), ["example.com/x"]);
    }
}
