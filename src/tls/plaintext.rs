//! What decrypted application data says, when it is HTTP/1.x: the head of a request or a
//! response (RFC 9112 §2.1: start line, header field lines, an empty line, then the body).
//! Only the head is kept, and only so much of it: the data is the peer's, and untrusted.

/// Most lines of a head kept (the start line included).
pub const MAX_LINES: usize = 24;
/// Most characters of one line kept.
pub const MAX_LINE: usize = 200;

/// The head of the HTTP/1.x message `data` starts with, line by line, or `None` when `data`
/// does not start one: a status line (`HTTP/1.1 200 OK`, RFC 9112 §4) or a request line whose
/// method is a token and whose last word is `HTTP/1.x` (§3). Control characters are shown as
/// `.`; an over-long line is cut and ends with `...`.
pub fn http_head(data: &[u8]) -> Option<Vec<String>> {
    let first = data.split(|&b| b == b'\n').next()?;
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    let status = first.starts_with(b"HTTP/1.");
    let words: Vec<&[u8]> = first.split(|&b| b == b' ').collect();
    let request = words.len() == 3
        && !words[0].is_empty()
        && words[0].iter().all(u8::is_ascii_uppercase)
        && words[2].starts_with(b"HTTP/1.");
    if !status && !request {
        return None;
    }
    let mut head = Vec::new();
    for line in data.split(|&b| b == b'\n').take(MAX_LINES) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        let mut text: String = line
            .iter()
            .take(MAX_LINE)
            .map(|&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    char::from(b)
                } else {
                    '.'
                }
            })
            .collect();
        if line.len() > MAX_LINE {
            text.push_str("...");
        }
        head.push(text);
    }
    Some(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_and_a_response_give_their_heads() {
        let req = b"GET / HTTP/1.1\r\nhost: www.example.com\r\nconnection: close\r\n\r\n";
        assert_eq!(
            http_head(req).unwrap(),
            ["GET / HTTP/1.1", "host: www.example.com", "connection: close"]
        );
        let resp = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello";
        assert_eq!(http_head(resp).unwrap(), ["HTTP/1.1 200 OK", "content-length: 5"]);
    }

    #[test]
    fn other_data_is_not_a_head() {
        assert_eq!(http_head(b"hello world"), None);
        assert_eq!(http_head(b""), None);
        assert_eq!(http_head(b"get / HTTP/1.1\r\n"), None, "methods are upper case tokens");
        assert_eq!(http_head(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), None, "HTTP/2's preface");
    }

    #[test]
    fn heads_are_bounded_and_printable() {
        let mut long = b"HTTP/1.1 200 OK\r\n".to_vec();
        for _ in 0..100 {
            long.extend_from_slice(b"x: \x01");
            long.extend_from_slice(&[b'a'; 300]);
            long.extend_from_slice(b"\r\n");
        }
        let head = http_head(&long).unwrap();
        assert_eq!(head.len(), MAX_LINES);
        assert!(head[1].starts_with("x: .aaa") && head[1].ends_with("...") && head[1].len() == MAX_LINE + 3);
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_give_a_bounded_head_or_none(
            prefix in proptest::sample::select(vec![&b""[..], b"HTTP/1.1 ", b"GET / HTTP/1.0\r\n"]),
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400),
        ) {
            if let Some(head) = http_head(&[prefix, &bytes].concat()) {
                proptest::prop_assert!(head.len() <= MAX_LINES);
                proptest::prop_assert!(head.iter().all(|l| l.len() <= MAX_LINE + 3));
            }
        }
    }
}
