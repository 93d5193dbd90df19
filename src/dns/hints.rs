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

/// Why root hints do not read: a line of a hints file, or a `--root` argument.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HintError {
    /// An A or AAAA line whose value is not an address.
    #[error("{source_name}:{line}: '{addr}' is not an address")]
    BadAddress {
        source_name: String,
        line: usize,
        addr: String,
    },
    /// A line that is not `NAME TTL [IN] A|AAAA|NS VALUE`.
    #[error("{source_name}:{line}: expected 'NAME TTL A|AAAA|NS VALUE', got '{text}'")]
    BadLine {
        source_name: String,
        line: usize,
        text: String,
    },
    /// A file with no A or AAAA line at all.
    #[error("{source_name}: no root server addresses (A or AAAA lines)")]
    NoAddresses { source_name: String },
    /// A `--root` value that is neither `IP` nor `IP:PORT`.
    #[error("'{0}' is not IP or IP:PORT (IPv6 with a port: [::1]:5353)")]
    NotAnAddress(String),
}

/// Reads named.root format: `NAME TTL [IN] A|AAAA ADDRESS` lines (NS lines and `;` comments are
/// skipped). IPv4 addresses come first, in file order, then IPv6. `source` names the file in
/// errors.
pub fn read_root_hints(text: &str, source: &str) -> Result<Vec<Hint>, HintError> {
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
                let ip: IpAddr = addr.parse().map_err(|_| HintError::BadAddress {
                    source_name: source.into(),
                    line: n + 1,
                    addr: addr.to_string(),
                })?;
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
                return Err(HintError::BadLine {
                    source_name: source.into(),
                    line: n + 1,
                    text: line.into(),
                })
            }
        }
    }
    v4.extend(v6);
    if v4.is_empty() {
        return Err(HintError::NoAddresses {
            source_name: source.into(),
        });
    }
    Ok(v4)
}

/// Reads `--root IP[:PORT]` (IPv6 with a port as `[::1]:5353`).
pub fn read_root_arg(arg: &str) -> Result<Hint, HintError> {
    let addr = arg
        .parse::<SocketAddr>()
        .or_else(|_| arg.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
        .map_err(|_| HintError::NotAnAddress(arg.into()))?;
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
        let hints = read_root_hints(IANA_ROOT_HINTS, "named.root").unwrap();
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
        assert!(read_root_hints("x. 1 A 300.1.1.1\n", "f")
            .unwrap_err()
            .to_string()
            .starts_with("f:1:"));
        assert!(read_root_hints("; nothing\n", "f")
            .unwrap_err()
            .to_string()
            .contains("no root server"));
        assert_eq!(read_root_arg("127.0.0.1:5300").unwrap().addr.port(), 5300);
        assert_eq!(read_root_arg("::1").unwrap().addr, "[::1]:53".parse().unwrap());
        assert!(read_root_arg("localhost").is_err());
        assert_eq!(
            read_root_hints("x. 1 A 300.1.1.1\n", "f").unwrap_err().to_string(),
            "f:1: '300.1.1.1' is not an address"
        );
    }
}
