//! Byte ranges (RFC 9110 §14): answering a `Range` request from a complete stored response.
//!
//! A request `Range: bytes=first-last` (or `first-`, or the suffix `-length`) asks for part of
//! the representation; the answer is a 206 with `Content-Range: bytes first-last/complete-length`
//! (§14.4, §15.3.7). This cache serves one satisfiable range from a stored 200; anything else
//! (several ranges, another unit, an unsatisfiable range) is answered with the whole response,
//! which a server may always do (§14.2: "A server MAY ignore the Range header field").

/// The single byte range `value` selects in a representation of `len` bytes, as inclusive
/// offsets, or `None` when it is not one satisfiable `bytes` range.
pub fn single(value: &str, len: usize) -> Option<(usize, usize)> {
    let (unit, spec) = value.trim().split_once('=')?;
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') || len == 0 {
        return None;
    }
    let (first, last) = spec.trim().split_once('-')?;
    let num = |s: &str| -> Option<usize> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // Too many digits for usize: larger than any stored body.
        Some(s.parse().unwrap_or(usize::MAX))
    };
    match (first.trim(), last.trim()) {
        ("", suffix) => {
            let n = num(suffix)?;
            (n > 0).then(|| (len - n.min(len), len - 1))
        }
        (a, "") => {
            let a = num(a)?;
            (a < len).then_some((a, len - 1))
        }
        (a, b) => {
            let (a, b) = (num(a)?, num(b)?);
            (a <= b && a < len).then(|| (a, b.min(len - 1)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_range_forms_rfc9110_14_1_2() {
        assert_eq!(single("bytes=0-1", 11), Some((0, 1)));
        assert_eq!(single("bytes=1-", 11), Some((1, 10)));
        assert_eq!(single("bytes=-1", 11), Some((10, 10)));
        assert_eq!(single("bytes=-50", 11), Some((0, 10)));
        assert_eq!(single("bytes=5-99", 11), Some((5, 10)));
        assert_eq!(single("Bytes = 2-3", 11), Some((2, 3)));
    }

    #[test]
    fn other_ranges_are_ignored_rfc9110_14_2() {
        for v in [
            "bytes=0-1,3-4",
            "items=0-1",
            "bytes=5-2",
            "bytes=11-",
            "bytes=-0",
            "bytes=a-b",
            "bytes",
            "bytes=-",
        ] {
            assert_eq!(single(v, 11), None, "{v}");
        }
        assert_eq!(single("bytes=0-1", 0), None);
        assert_eq!(single("bytes=99999999999999999999999-", 11), None);
    }
}
