//! openssl s_client's spellings for `netlab tls`: `-connect HOST:PORT` (or `s_client -connect`),
//! `-servername`, `-CAfile`, `-alpn`, `-groups`, `-ciphersuites`, `-cert`, `-key`,
//! `-keylogfile`, and `-msg`, which is netlab's view already (every handshake message, RFC 8446
//! §4, decrypted).
//!
//! OpenSSL separates list items with `:` in `-groups` and `-ciphersuites` and with `,` in
//! `-alpn`; netlab takes `,` lists for `--groups` and `--ciphers` and repeats `--alpn`. Its
//! group and suite names accept OpenSSL's (`P-256`, `ECDHE-RSA-AES128-GCM-SHA256`).

use super::{unknown, Cursor, Flags, Ours, Spelling};
use crate::error::Result;

const TOOL: &str = "openssl s_client";

const TABLE: &[Spelling] = &[
    Spelling {
        theirs: &["-servername"],
        value: true,
        ours: Ours::Flag("--sni"),
    },
    Spelling {
        theirs: &["-CAfile"],
        value: true,
        ours: Ours::Flag("--cacert"),
    },
    Spelling {
        theirs: &["-cert"],
        value: true,
        ours: Ours::Flag("--client-cert"),
    },
    Spelling {
        theirs: &["-key"],
        value: true,
        ours: Ours::Flag("--client-key"),
    },
    Spelling {
        theirs: &["-keylogfile"],
        value: true,
        ours: Ours::Flag("--keylog"),
    },
    Spelling {
        theirs: &["-msg"],
        value: false,
        ours: Ours::Default,
    },
    // The Certificate message lists every certificate the server sent, by its fields.
    Spelling {
        theirs: &["-showcerts"],
        value: false,
        ours: Ours::Default,
    },
    Spelling {
        theirs: &["-verify_return_error"],
        value: false,
        ours: Ours::Default,
    },
    Spelling {
        theirs: &["-reconnect"],
        value: false,
        ours: Ours::Lacks(
            "reconnects five times with the first session",
            "netlab spells one resumed connection --resume",
        ),
    },
    Spelling {
        theirs: &["-sess_out", "-sess_in"],
        value: true,
        ours: Ours::Lacks(
            "keeps a session in a file between runs",
            "netlab resumes within one run: --resume",
        ),
    },
    Spelling {
        theirs: &["-CApath"],
        value: true,
        ours: Ours::Lacks(
            "reads a folder of hashed CA certificates",
            "netlab reads one PEM file: --cacert FILE",
        ),
    },
];

/// Rewritten here, beside the table: their values change shape.
const READ_HERE: &[&str] = &["-connect", "-alpn", "-groups", "-curves", "-ciphersuites", "-cipher"];

/// Rewrites `netlab tls` arguments.
pub(super) fn rewrite(args: &[String], ours: &Flags) -> Result<Vec<String>> {
    // `netlab tls s_client -connect ...`: the word says which openssl command the rest is.
    let args = match args.first().map(String::as_str) {
        Some("s_client") => &args[1..],
        _ => args,
    };
    let mut c = Cursor::new(args, ours);
    while let Some(w) = c.next_word(TABLE) {
        if c.apply(TABLE, w, TOOL)? {
            continue;
        }
        match w {
            "-connect" => {
                let target = c.value(w)?.to_string();
                c.out.push(target);
            }
            "-alpn" => {
                let list = c.value(w)?;
                for protocol in list.split(',') {
                    c.out.extend(["--alpn".to_string(), protocol.to_string()]);
                }
            }
            "-groups" | "-curves" => {
                let list = c.value(w)?.replace(':', ",");
                c.out.extend(["--groups".to_string(), list]);
            }
            "-ciphersuites" | "-cipher" => {
                let list = c.value(w)?.replace(':', ",");
                c.out.extend(["--ciphers".to_string(), list]);
            }
            // One dash and a word: an openssl option, never a cluster of netlab's (-k stands alone).
            _ if w.len() > 2 && w.starts_with('-') && !w.starts_with("--") => {
                return Err(unknown(TOOL, w, TABLE, READ_HERE, "tls"))
            }
            _ => c.out.push(w.to_string()),
        }
    }
    Ok(c.out)
}

#[cfg(test)]
mod tests {
    use super::super::words;
    use super::*;

    fn s_client(line: &str) -> Result<String> {
        rewrite(&words(line), &Flags::of(Some("tls"))).map(|v| v.join(" "))
    }

    #[test]
    fn options_become_netlabs() {
        assert_eq!(
            s_client("-connect www.example.com:443 -servername www.example.com -msg").unwrap(),
            "www.example.com:443 --sni www.example.com"
        );
        assert_eq!(
            s_client("s_client -connect h:443 -CAfile ca.pem").unwrap(),
            "h:443 --cacert ca.pem"
        );
        assert_eq!(
            s_client("h -cert c.pem -key k.pem -keylogfile keys.txt").unwrap(),
            "h --client-cert c.pem --client-key k.pem --keylog keys.txt"
        );
    }

    #[test]
    fn lists_change_their_separators() {
        assert_eq!(s_client("h -alpn h2,http/1.1").unwrap(), "h --alpn h2 --alpn http/1.1");
        assert_eq!(s_client("h -groups X25519:P-256").unwrap(), "h --groups X25519,P-256");
        assert_eq!(
            s_client("h -ciphersuites TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256").unwrap(),
            "h --ciphers TLS_AES_128_GCM_SHA256,TLS_CHACHA20_POLY1305_SHA256"
        );
    }

    #[test]
    fn netlabs_own_options_pass_and_others_are_refused() {
        assert_eq!(s_client("h -k --sni x --alpn h2").unwrap(), "h -k --sni x --alpn h2");
        assert_eq!(s_client("serve --count 1").unwrap(), "serve --count 1");
        assert_eq!(s_client("-connect h:443 -showcerts").unwrap(), "h:443");
        let e = s_client("-connect h:443 -status").unwrap_err().one_line();
        assert!(
            e.contains("unknown option '-status'") && e.contains("-servername"),
            "{e}"
        );
        assert!(s_client("h -reconnect").unwrap_err().one_line().contains("--resume"));
        assert!(s_client("h -CApath /etc/ssl")
            .unwrap_err()
            .one_line()
            .contains("--cacert"));
        assert!(s_client("-connect").unwrap_err().one_line().contains("needs a value"));
    }
}
