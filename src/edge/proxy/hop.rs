//! Hop-by-hop fields and `Via`: what a proxy changes in every message it forwards.
//!
//! RFC 9110 §7.6.1: a proxy removes the fields that describe only the connection the message
//! arrived on before forwarding it: `Connection` itself, every field `Connection` names, and the
//! connection-specific fields a sender may use without naming them (`Keep-Alive`,
//! `Proxy-Connection`, `TE`, `Transfer-Encoding`, `Upgrade`), and `Trailer` (RFC 9110 §6.6.2,
//! which announces trailers of a chunked framing the next hop will not see). The framing is
//! made afresh on the next connection: hyper picks `Content-Length` or chunked.
//!
//! RFC 9110 §7.6.3: each intermediary appends its received-protocol and a pseudonym to `Via`,
//! so the chain of proxies is visible (and loops can be found): `Via: 1.1 netlab`.

/// The fields that are hop-by-hop whether or not `Connection` names them.
const ALWAYS: [&str; 7] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// The pseudonym netlab's edge writes in `Via`.
pub const PSEUDONYM: &str = "netlab";

/// Removes the hop-by-hop fields from `headers` (names compared case-insensitively), keeping the
/// others in their order.
pub fn strip(headers: &mut Vec<(String, String)>) {
    let named: Vec<String> = headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("connection"))
        .flat_map(|(_, value)| value.split(','))
        .map(|option| option.trim().to_ascii_lowercase())
        .filter(|option| !option.is_empty())
        .collect();
    headers.retain(|(name, _)| {
        let name = name.to_ascii_lowercase();
        !ALWAYS.contains(&name.as_str()) && !named.contains(&name)
    });
}

/// Appends this hop to `Via` (RFC 9110 §7.6.3): `version` is the protocol the message was
/// received with ("1.1", "1.0"); an existing `Via` keeps its earlier hops before ours.
pub fn add_via(headers: &mut Vec<(String, String)>, version: &str) {
    let hop = format!("{version} {PSEUDONYM}");
    match headers.iter_mut().rfind(|(name, _)| name.eq_ignore_ascii_case("via")) {
        Some((_, value)) => {
            value.push_str(", ");
            value.push_str(&hop);
        }
        None => headers.push(("via".to_string(), hop)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    #[test]
    fn removes_the_fixed_list_and_what_connection_names() {
        let mut h = fields(&[
            ("Host", "a.test"),
            ("Connection", "close, X-Private"),
            ("connection", "x-other"),
            ("X-Private", "1"),
            ("x-other", "2"),
            ("Keep-Alive", "timeout=5"),
            ("Proxy-Connection", "keep-alive"),
            ("TE", "trailers"),
            ("Trailer", "x-sum"),
            ("Transfer-Encoding", "chunked"),
            ("Upgrade", "websocket"),
            ("Accept", "*/*"),
        ]);
        strip(&mut h);
        assert_eq!(h, fields(&[("Host", "a.test"), ("Accept", "*/*")]));
    }

    #[test]
    fn keeps_end_to_end_fields() {
        let mut h = fields(&[
            ("Cache-Control", "max-age=5"),
            ("Content-Length", "3"),
            ("Expect", "100-continue"),
        ]);
        let before = h.clone();
        strip(&mut h);
        assert_eq!(h, before);
    }

    #[test]
    fn via_is_added_or_appended() {
        let mut h = fields(&[("Host", "a")]);
        add_via(&mut h, "1.1");
        assert_eq!(h[1], ("via".to_string(), "1.1 netlab".to_string()));
        let mut h = fields(&[("Via", "1.0 fred")]);
        add_via(&mut h, "1.1");
        assert_eq!(h, fields(&[("Via", "1.0 fred, 1.1 netlab")]));
    }
}
