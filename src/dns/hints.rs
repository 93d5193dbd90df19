//! Root hints: where an iterative walk starts. The IANA list is built in (`named.root`);
//! `--root-hints FILE` reads the same format and `--root IP[:PORT]` names servers directly.

use std::net::{IpAddr, SocketAddr};

/// A name server to start from: its name and one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub name: String,
    pub addr: SocketAddr,
}

/// The built-in IANA root hints.
pub const IANA_ROOT_HINTS: &str = include_str!("named.root");

/// Reads named.root format: `NAME TTL [IN] A|AAAA ADDRESS` lines (NS lines and `;` comments are
/// skipped). IPv4 addresses come first, in file order, then IPv6.
pub fn parse_root_hints(text: &str, source: &str) -> Result<Vec<Hint>, String> {
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split(';').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line
            .split_whitespace()
            .filter(|f| !f.eq_ignore_ascii_case("IN"))
            .collect();
        match fields.as_slice() {
            [_, _, t, _] if t.eq_ignore_ascii_case("NS") => {}
            [name, _, t, addr] if t.eq_ignore_ascii_case("A") || t.eq_ignore_ascii_case("AAAA") => {
                let ip: IpAddr = addr
                    .parse()
                    .map_err(|_| format!("{source}:{}: '{addr}' is not an address", n + 1))?;
                let hint = Hint {
                    name: name.to_ascii_lowercase(),
                    addr: SocketAddr::new(ip, 53),
                };
                if ip.is_ipv4() {
                    v4.push(hint);
                } else {
                    v6.push(hint);
                }
            }
            _ => {
                return Err(format!(
                    "{source}:{}: expected 'NAME TTL A|AAAA|NS VALUE', got '{line}'",
                    n + 1
                ))
            }
        }
    }
    v4.extend(v6);
    if v4.is_empty() {
        return Err(format!("{source}: no root server addresses (A or AAAA lines)"));
    }
    Ok(v4)
}

/// Reads `--root IP[:PORT]` (IPv6 with a port as `[::1]:5353`).
pub fn parse_root_arg(arg: &str) -> Result<Hint, String> {
    let addr = arg
        .parse::<SocketAddr>()
        .or_else(|_| arg.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
        .map_err(|_| format!("'{arg}' is not IP or IP:PORT (IPv6 with a port: [::1]:5353)"))?;
    Ok(Hint {
        name: addr.ip().to_string(),
        addr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iana_hints_have_13_servers_v4_first() {
        let hints = parse_root_hints(IANA_ROOT_HINTS, "named.root").unwrap();
        assert_eq!(hints.len(), 26);
        assert_eq!(
            hints[0],
            Hint {
                name: "a.root-servers.net.".into(),
                addr: "198.41.0.4:53".parse().unwrap()
            }
        );
        assert!(hints[..13].iter().all(|h| h.addr.is_ipv4()));
    }

    #[test]
    fn bad_hints_and_args() {
        assert!(parse_root_hints("x. 1 A 300.1.1.1\n", "f")
            .unwrap_err()
            .starts_with("f:1:"));
        assert!(parse_root_hints("; nothing\n", "f")
            .unwrap_err()
            .contains("no root server"));
        assert_eq!(parse_root_arg("127.0.0.1:5300").unwrap().addr.port(), 5300);
        assert_eq!(parse_root_arg("::1").unwrap().addr, "[::1]:53".parse().unwrap());
        assert!(parse_root_arg("localhost").is_err());
    }
}
