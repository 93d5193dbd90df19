//! Hex, the way netlab shows bytes (lowercase, two digits an octet, no separators: `0a1b2c`,
//! as in key logs and the RFC test vectors) and reads them back.

/// `bytes` as lowercase hex.
pub fn encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads hex digits (either case) two to an octet; `None` when the length is odd or anything
/// is not a hex digit.
pub fn decode(digits: &str) -> Option<Vec<u8>> {
    let digits = digits.as_bytes();
    if digits.len() % 2 != 0 {
        return None;
    }
    digits
        .chunks_exact(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

fn nibble(digit: u8) -> Option<u8> {
    char::from(digit).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        assert_eq!(encode(&[0x00, 0x0a, 0xff]), "000aff");
        assert_eq!(decode("000aFF"), Some(vec![0x00, 0x0a, 0xff]));
        assert_eq!(decode(""), Some(vec![]));
        assert_eq!(decode("abc"), None, "odd length");
        assert_eq!(decode("zz"), None, "not a digit");
        assert_eq!(decode("+f"), None, "a sign is not a digit");
        assert_eq!(decode("é0"), None, "non-ASCII is refused, not sliced");
    }
}
