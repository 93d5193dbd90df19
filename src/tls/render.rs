//! Text view of a TLS trace: a two-column ladder of the handshake messages, with what each
//! carries and why it matters, then the summary.

use std::fmt::Write as _;

use super::events::{TlsEvent, TlsSummary};
use super::tap::Direction;
use crate::style::{self, RenderOpts};
use crate::trace::Note;

/// Appends one TLS event and its notes.
pub fn event(out: &mut String, e: &TlsEvent, notes: &[Note], opts: &RenderOpts) {
    let p = &opts.palette;
    match e {
        TlsEvent::Connect {
            connection,
            host,
            address,
            via,
            sni,
            connect_us,
        } => {
            let via = via.as_ref().map(|v| format!(" via {v}")).unwrap_or_default();
            if *connection > 1 {
                let _ = writeln!(
                    out,
                    "\n{}-- connection {connection}: resuming with the session ticket --{}",
                    p.bold, p.reset
                );
            }
            let who = format!(
                "{}client{}  <->  {}{host}{} {address}{via}",
                p.bold, p.reset, p.bold, p.reset
            );
            let how = format!("(SNI {sni}; TCP connected in {:.1} ms)", *connect_us as f64 / 1000.0);
            // Too wide for one line: the parenthesis goes whole onto the next.
            let gap = if style::columns(&who) + 2 + how.len() <= opts.width {
                "  "
            } else {
                "\n    "
            };
            let _ = writeln!(out, "{who}{gap}{how}");
        }
        TlsEvent::Record(r) if r.early && r.inner_type.as_deref() == Some("application_data") => ladder_line(
            out,
            opts,
            (r.time_us, r.direction),
            "0-RTT application data",
            r.length,
            " [encrypted with the early traffic key]",
        ),
        TlsEvent::Record(_) => return,
        TlsEvent::Message(m) => {
            let lock = if m.encrypted { " [encrypted]" } else { "" };
            ladder_line(out, opts, (m.time_us, m.direction), &m.name, m.length, lock);
            if let Some(h) = &m.hello {
                hello(out, h, "             ", opts.width);
            }
            for d in &m.details {
                style::paragraph(out, "             ", d, opts.width);
            }
        }
        TlsEvent::Secret { label, secret, key, iv } => {
            let _ = writeln!(
                out,
                "  {}{label}{} {secret}\n      key {key}  iv {iv}",
                p.yellow, p.reset
            );
        }
        TlsEvent::ApplicationData(a) => {
            ladder_line(
                out,
                opts,
                (a.time_us, a.direction),
                "application data",
                a.length,
                " [decrypted]",
            );
            for line in &a.head {
                style::paragraph(out, "             ", line, opts.width);
            }
        }
        TlsEvent::FinishedCheck {
            sender,
            verified,
            detail,
        } => {
            let (c, word) = if *verified {
                (p.green, "verified")
            } else {
                (p.red, "NOT verified")
            };
            style::paragraph(
                out,
                &format!("{c}{sender} Finished {word}{}: ", p.reset),
                detail,
                opts.width,
            );
        }
        TlsEvent::Verify(v) => verification(out, v, opts),
        TlsEvent::Summary(s) => summary(out, s, opts),
    }
    style::notes(out, notes, opts, "             ");
}

/// The client's certificate check under the Certificate: the chain as built, each link's checks,
/// the verdict, and the alert the client sent to refuse it.
fn verification(out: &mut String, v: &super::verify::Verification, opts: &RenderOpts) {
    use super::verify::Status;
    let p = &opts.palette;
    let indent = "             ";
    let _ = writeln!(out, "{indent}{}the client checks the chain:{}", p.bold, p.reset);
    for link in &v.chain {
        let sent = link.sent_as.map(|i| format!(" [{i}]")).unwrap_or_default();
        let _ = writeln!(out, "{indent}  {}{sent} {}", link.role, link.subject);
        for c in &link.checks {
            let (colour, mark) = match c.status {
                Status::Passed => (p.green, "ok"),
                Status::Failed => (p.red, "FAILED"),
                Status::NotReached => (p.dim, "not reached"),
            };
            let check = serde_json::to_value(c.check)
                .ok()
                .and_then(|j| j.as_str().map(|s| s.replace('_', " ")))
                .unwrap_or_default();
            style::paragraph(
                out,
                &format!("{indent}    {colour}{mark}{} {check}: ", p.reset),
                &c.detail,
                opts.width,
            );
        }
    }
    if let Some(stopped) = &v.stopped {
        style::paragraph(out, &format!("{indent}  building stopped: "), stopped, opts.width);
    }
    let rfc = v.rfc.as_ref().map(|r| format!(" [{r}]")).unwrap_or_default();
    if v.verified {
        style::paragraph(
            out,
            &format!("{indent}{}", p.green),
            &format!("{}{}", v.verdict, p.reset),
            opts.width,
        );
    } else {
        let lead = if v.insecure {
            format!(
                "{indent}{}{}NOT verified (let pass by --insecure):{} ",
                p.bold, p.red, p.reset
            )
        } else {
            format!("{indent}{}{}NOT verified:{} ", p.bold, p.red, p.reset)
        };
        style::paragraph(out, &lead, &format!("{}{rfc}", v.verdict), opts.width);
    }
    if let Some(alert) = &v.alert {
        style::paragraph(
            out,
            indent,
            &format!(
                "the client refuses the chain: it answers with a fatal {}{alert}{} alert instead of its Finished",
                p.bold, p.reset
            ),
            opts.width,
        );
    }
}

/// One rung of the ladder: time, direction, what crossed and its size.
fn ladder_line(
    out: &mut String,
    opts: &RenderOpts,
    (at_us, direction): (u64, Direction),
    what: &str,
    length: usize,
    suffix: &str,
) {
    let p = &opts.palette;
    let arrow = match direction {
        Direction::ClientToServer => format!("{}client -> server{}", p.cyan, p.reset),
        Direction::ServerToClient => format!("{}client <- server{}", p.green, p.reset),
    };
    let _ = writeln!(
        out,
        "{:>8.1} ms  {arrow}  {}{what}{} ({length} B){suffix}",
        at_us as f64 / 1000.0,
        p.bold,
        p.reset
    );
}

fn summary(out: &mut String, s: &TlsSummary, opts: &RenderOpts) {
    let p = &opts.palette;
    let or = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_string());
    let version = or(&s.version);
    // Never a success headline when the certificate check failed.
    let how = match (s.certificate_verified, s.insecure, s.error.is_some()) {
        (Some(false), false, _) => format!("{version} handshake FAILED certificate verification;"),
        (Some(false), true, _) => format!("{version} handshake completed with an UNVERIFIED certificate (--insecure);"),
        (_, _, true) => format!("{version} handshake failed;"),
        _ => format!("{version} handshake,"),
    };
    let finished = if s.finished_verified {
        "server Finished verified, "
    } else {
        ""
    };
    let line = format!(
        "{}{how} {finished}with {} (key exchange {}), ALPN {}; {} round trip(s), handshake {:.1} ms; {} application record(s), {} B",
        match (s.resumed, version.as_str()) {
            (false, _) => "",
            // TLS 1.2 resumes a session (its ticket or ID) in an abbreviated handshake (RFC 5246 §7.3).
            (true, "TLS 1.2") => "resumed (abbreviated) ",
            (true, _) => "resumed (PSK) ",
        },
        or(&s.cipher_suite),
        or(&s.key_exchange_group),
        or(&s.alpn),
        s.round_trips,
        s.handshake_us as f64 / 1000.0,
        s.application_records,
        s.application_bytes,
    );
    out.push('\n');
    style::paragraph(
        out,
        &format!("{};; ", p.bold),
        &format!("{line}{}", p.reset),
        opts.width,
    );
    if let Some(early) = &s.early_data {
        let (lead, text) = if !early.offered {
            ("0-RTT not possible:", "the server's tickets allow no early data (no early_data extension in its NewSessionTicket), so the request waited for the handshake".to_string())
        } else if early.accepted {
            ("0-RTT accepted:", format!("{} B of early data in {} record(s) went with the ClientHello, before any round trip; the server may act on it before the handshake ends, and an attacker who replays the ClientHello can make it act twice (RFC 8446 §8)", early.bytes, early.records))
        } else {
            (
                "0-RTT refused:",
                format!(
                    "the server skipped the {} B of early data; the client sent it again after the handshake",
                    early.bytes
                ),
            )
        };
        style::paragraph(out, &format!("{}{lead}{} ", p.yellow, p.reset), &text, opts.width);
    }
    if let Some(e) = &s.error {
        style::paragraph(out, &format!("{}failed:{} ", p.red, p.reset), e, opts.width);
    }
    match (&s.unverified_because, s.insecure) {
        (Some(why), _) => {
            style::paragraph(
                out,
                &format!("{}{}!! INSECURE:{} ", p.bold, p.red, p.reset),
                &format!(
                    "{why}. --insecure let the connection go on: nothing proves this server is who it claims to be."
                ),
                opts.width,
            );
        }
        (None, true) if s.certificate_verified == Some(true) => {
            style::paragraph(
                out,
                "",
                &format!(
                    "{}--insecure was given, but the certificate check passed: the flag changed nothing here.{}",
                    p.yellow, p.reset
                ),
                opts.width,
            );
        }
        _ => {}
    }
}

/// One client seen by `netlab tls serve`.
pub fn client_seen(c: &super::server::ClientSeen, opts: &RenderOpts) -> String {
    let p = &opts.palette;
    let mut out = format!("\n{}client {}{}: {}\n", p.bold, c.peer, p.reset, c.outcome);
    let _ = writeln!(out, "  JA4 {}{}{}", p.green, c.ja4, p.reset);
    let _ = writeln!(out, "  JA3 {} ({})", c.ja3, c.ja3_string);
    for r in &c.remarks {
        let _ = writeln!(out, "  {r}");
    }
    hello(&mut out, &c.hello, "  ", opts.width);
    out
}

/// A hello's cipher suites (the client's offer, or the one the server chose) and extensions,
/// each list wrapped to `width` under its first item.
fn hello(out: &mut String, h: &super::handshake::Hello, indent: &str, width: usize) {
    let suites: Vec<&str> = h.cipher_suites.iter().map(|s| s.name.as_str()).collect();
    let label = if h.kind == "ClientHello" {
        "cipher suites"
    } else {
        "cipher suite"
    };
    style::list(out, &format!("{indent}{label}: "), &suites.join(", "), width);
    for x in &h.extensions {
        if x.decoded.is_empty() {
            let _ = writeln!(out, "{indent}{}", x.ext_type.name);
        } else {
            style::list(
                out,
                &format!("{indent}{}: ", x.ext_type.name),
                &x.decoded.join(", "),
                width,
            );
        }
    }
}
