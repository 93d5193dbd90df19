//! The edge's challenge (`netlab edge --challenge`): a request must carry a cookie that the edge
//! gave to its client's address, or it is answered `403 Forbidden` with that cookie set, and
//! goes no further. A browser keeps the cookie and retries (a challenge page's script does it,
//! after proving a person or a real browser is there); a flood tool without a cookie jar never
//! gets past it, and never costs the cache or the origin anything.
//!
//! Like a SYN cookie, the token needs no state: it is a keyed hash (HMAC-SHA256, RFC 2104) of
//! the client's address under a secret the edge draws at start, so any request can be checked
//! without remembering who was challenged. Its cost falls on real users: one more round trip
//! the first time, and nothing at all for a client that refuses cookies.

use std::net::IpAddr;

use bytes::Bytes;
use ring::hmac;

use crate::edge::cache::ResponseHead;

/// The cookie's name.
pub const COOKIE: &str = "netlab_challenge";

/// The secret, and the tokens it makes.
pub struct Challenge {
    key: hmac::Key,
}

impl Challenge {
    /// A challenge with a fresh random secret.
    pub fn new() -> Challenge {
        let secret: [u8; 32] = rand::random();
        Challenge::with_secret(&secret)
    }

    pub fn with_secret(secret: &[u8]) -> Challenge {
        Challenge {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
        }
    }

    /// The token for `client`: the first 16 bytes of HMAC(secret, address), in hex.
    pub fn token(&self, client: IpAddr) -> String {
        let address = match client {
            IpAddr::V4(v4) => v4.octets().to_vec(),
            IpAddr::V6(v6) => v6.octets().to_vec(),
        };
        let tag = hmac::sign(&self.key, &address);
        crate::hex::encode(&tag.as_ref()[..16])
    }

    /// Whether the request's `Cookie` fields (RFC 6265 §5.4) carry `client`'s token.
    pub fn passes<'a>(&self, client: IpAddr, cookies: impl Iterator<Item = &'a str>) -> bool {
        let token = self.token(client);
        cookies
            .flat_map(|field| field.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .any(|(name, value)| name == COOKIE && value == token)
    }

    /// The 403 that sets `client`'s cookie.
    pub fn refusal(&self, client: IpAddr) -> (ResponseHead, Bytes) {
        let headers = vec![
            (
                "set-cookie".to_string(),
                format!("{COOKIE}={}; Path=/; HttpOnly; SameSite=Lax", self.token(client)),
            ),
            ("cache-control".to_string(), "no-store".to_string()),
            ("content-type".to_string(), "text/plain; charset=utf-8".to_string()),
        ];
        let text = "netlab edge: challenge: retry with the cookie this response sets (a browser does; a client without cookies cannot pass)\n";
        (ResponseHead { status: 403, headers }, Bytes::from(text))
    }
}

impl Default for Challenge {
    fn default() -> Challenge {
        Challenge::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_per_address_and_per_secret() {
        let c = Challenge::with_secret(b"one");
        let a: IpAddr = "127.0.66.1".parse().unwrap();
        let b: IpAddr = "127.0.88.1".parse().unwrap();
        assert_eq!(c.token(a).len(), 32);
        assert_eq!(c.token(a), c.token(a), "no state: the same token every time");
        assert_ne!(c.token(a), c.token(b));
        assert_ne!(c.token(a), Challenge::with_secret(b"two").token(a));
    }

    #[test]
    fn only_the_clients_own_token_passes() {
        let c = Challenge::with_secret(b"k");
        let a: IpAddr = "127.0.66.1".parse().unwrap();
        let b: IpAddr = "127.0.88.1".parse().unwrap();
        let mine = format!("theme=dark; {COOKIE}={}", c.token(a));
        assert!(c.passes(a, [mine.as_str()].into_iter()));
        assert!(!c.passes(b, [mine.as_str()].into_iter()), "another address's token");
        assert!(!c.passes(a, std::iter::empty()));
        assert!(!c.passes(a, ["netlab_challenge=00"].into_iter()));
        let (head, _) = c.refusal(a);
        assert_eq!(head.status, 403);
        assert!(head
            .headers
            .iter()
            .any(|(n, v)| n == "set-cookie" && v.contains(&c.token(a))));
    }
}
