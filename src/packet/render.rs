//! Text view of a packet trace: one line per frame (like tcpdump -nn, with relative TCP
//! numbers), each layer's fields with `-V`, each TCP connection's story with `--streams`.

use std::fmt::Write as _;

use super::events::{CaptureSummary, FrameSeen, PacketEvent, WindowSeen};
use super::streams::StreamSeen;
use crate::style::{self, RenderOpts};
use crate::trace::Note;

/// Appends one packet event. `verbose` adds every layer's fields under each frame.
pub fn event(out: &mut String, e: &PacketEvent, notes: &[Note], opts: &RenderOpts, verbose: bool) {
    match e {
        PacketEvent::Frame(f) => frame(out, f, opts, verbose),
        PacketEvent::Stream(s) => stream(out, s, opts),
        PacketEvent::Summary(s) => summary(out, s, opts),
        PacketEvent::Tls(t) => {
            let _ = writeln!(
                out,
                "\n{}TLS {} -> {}{}: {}",
                opts.palette.bold,
                t.client,
                t.server,
                opts.palette.reset,
                if t.keys_found {
                    "decrypted with the key log"
                } else {
                    "no secrets for it in the key log: plaintext messages only"
                }
            );
            for e in &t.events {
                crate::tls::render::event(out, e, &[], opts);
            }
        }
        PacketEvent::Connect(c) => {
            let via = c.via.as_ref().map(|v| format!(" via {v}")).unwrap_or_default();
            let _ = writeln!(
                out,
                "{}TCP{} {} -> {}{via}: connected in {:.3} ms (SYN, SYN-ACK: one round trip; the ACK follows at once)",
                opts.palette.bold,
                opts.palette.reset,
                c.local,
                c.remote,
                c.connect_us as f64 / 1000.0
            );
            if let Some(why) = &c.capture {
                let _ = writeln!(out, "   (no packet capture: {why})");
            }
        }
        PacketEvent::TcpInfo(t) => {
            let _ = writeln!(
                out,
                "   TCP_INFO at {:>8.1} ms, after {:>9} B: cwnd {:>4} x {} B, ssthresh {}, rtt {:.3} ms (var {:.3}), {} retransmit(s), {}{}",
                t.time_us as f64 / 1000.0,
                t.sent_bytes,
                t.cwnd,
                t.mss,
                if t.ssthresh >= 0x7fff_ffff { "(none yet)".to_string() } else { t.ssthresh.to_string() },
                f64::from(t.rtt_us) / 1000.0,
                f64::from(t.rttvar_us) / 1000.0,
                t.total_retransmits,
                t.algorithm,
                t.phase().map(|p| format!(", {p}")).unwrap_or_default()
            );
        }
        PacketEvent::Closed(c) => {
            let _ = writeln!(
                out,
                "   closed after sending {} B; the client socket is now {}",
                c.sent_bytes,
                c.state_after_close.as_deref().unwrap_or("gone (no state left)")
            );
        }
    }
    style::notes(out, notes, opts, "        ");
}

fn endpoint(ip: Option<std::net::IpAddr>, port: Option<u16>) -> String {
    match (ip, port) {
        (Some(std::net::IpAddr::V6(ip)), Some(p)) => format!("[{ip}]:{p}"),
        (Some(ip), Some(p)) => format!("{ip}:{p}"),
        (Some(ip), None) => ip.to_string(),
        (None, _) => "?".into(),
    }
}

fn frame(out: &mut String, f: &FrameSeen, opts: &RenderOpts, verbose: bool) {
    let p = &opts.palette;
    let d = &f.decoded;
    let _ = write!(
        out,
        "{:>6} {:>11.6}  {} -> {}  {}{}{}",
        f.number,
        f.time,
        endpoint(d.src, d.sport),
        endpoint(d.dst, d.dport),
        p.bold,
        d.proto.to_uppercase(),
        p.reset
    );
    if let Some(t) = &d.tcp {
        let (seq, ack) = f.relative.unwrap_or((t.seq, t.ack));
        let _ = write!(
            out,
            " [{}] seq {seq} ack {ack} win {} len {}",
            super::layers::flag_names(t.flags),
            window(t.window, f.window),
            t.payload_len
        );
        if let Some(opts) = d
            .layers
            .iter()
            .find(|l| l.name == "TCP")
            .and_then(|l| l.fields.iter().find(|(k, _)| k == "options"))
        {
            if !opts.1.is_empty() {
                let _ = write!(out, " <{}>", opts.1);
            }
        }
    }
    if !d.info.is_empty() {
        let _ = write!(out, "  {}", d.info);
    }
    if let Some(problem) = &d.problem {
        let _ = write!(out, "  {}[{problem}]{}", p.yellow, p.reset);
    } else if f.captured < f.length as usize {
        let _ = write!(
            out,
            "  {}[cut by the snap length: {} of {} octets]{}",
            p.yellow, f.captured, f.length, p.reset
        );
    }
    out.push('\n');
    if verbose {
        for l in &d.layers {
            let (steps, fields): (Vec<_>, Vec<_>) = l
                .fields
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .partition(|(k, _)| k == "decryption");
            let fields: Vec<String> = fields.iter().map(|(k, v)| format!("{k} {v}")).collect();
            let _ = writeln!(out, "         {}{}{}: {}", p.dim, l.name, p.reset, fields.join(", "));
            for (i, (_, step)) in steps.iter().enumerate() {
                let _ = writeln!(out, "           {}. {step}", i + 1);
            }
        }
    }
}

fn stream(out: &mut String, s: &StreamSeen, opts: &RenderOpts) {
    let p = &opts.palette;
    let _ = writeln!(
        out,
        "\n{}TCP {} -> {}{} (frames {}..{}, {} packets)",
        p.bold, s.client, s.server, p.reset, s.first_frame, s.last_frame, s.packets
    );
    match (s.handshake, s.rtt_us) {
        (Some([a, b, c]), Some(rtt)) => {
            let _ = writeln!(out, "   client  --SYN-->      server   frame {a}");
            let _ = writeln!(
                out,
                "   client  <--SYN,ACK--  server   frame {b}   RTT {:.3} ms (SYN to SYN-ACK, seen here)",
                rtt as f64 / 1000.0
            );
            let _ = writeln!(out, "   client  --ACK-->      server   frame {c}   established");
        }
        _ => {
            let _ = writeln!(out, "   (no complete three-way handshake in the capture)");
        }
    }
    let _ = writeln!(
        out,
        "   data: {} B client -> server, {} B server -> client; {} retransmission(s), {} duplicate ACK(s)",
        s.bytes_client_to_server, s.bytes_server_to_client, s.retransmissions, s.duplicate_acks
    );
    let _ = writeln!(out, "   end: {}", s.ending);
    if let Some(tw) = &s.time_wait {
        let _ = writeln!(
            out,
            "   TIME_WAIT: {tw}; it waits 2*MSL before the address pair can be reused (RFC 9293 §3.6.1)"
        );
    }
}

/// The window in octets as Wireshark calculates it: `65536 (64 << 10)`, or the field as it is
/// with why it cannot be scaled.
fn window(field: u16, seen: Option<WindowSeen>) -> String {
    match seen {
        Some(WindowSeen::Scaled { shift, bytes }) if shift > 0 => format!("{bytes} ({field} << {shift})"),
        Some(WindowSeen::Unknown) => format!("{field} (scale unknown: the handshake is not in the capture)"),
        _ => field.to_string(),
    }
}

fn summary(out: &mut String, s: &CaptureSummary, opts: &RenderOpts) {
    let p = &opts.palette;
    let _ = writeln!(
        out,
        "\n{};; {} frame(s) read, {} shown, {} cut or malformed{}",
        p.bold, s.frames_read, s.frames_shown, s.frames_with_problems, p.reset
    );
    match s.kernel_dropped {
        Some(0) => {
            let _ = writeln!(out, ";; the kernel dropped no frame");
        }
        Some(n) => {
            let _ = writeln!(
                out,
                ";; the kernel dropped {n} frame(s) that arrived faster than they were read (PACKET_STATISTICS): they are in no count above; capture with -w and decode the file later, or filter less"
            );
        }
        None => {}
    }
    // Why reading stopped (`error`) is the command's one-line error on standard error.
}
