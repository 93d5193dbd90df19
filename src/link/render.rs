//! Text view of the link's events: every packet the link dropped (with what it carried), and
//! the counts of each direction. Forwarded packets are counted, not listed (`--json` has each).

use std::fmt::Write as _;

use super::carried::Carried;
use super::events::{DirectionCounts, LinkEvent, LinkPacket, LinkSummary, PacketFate};
use super::Direction;
use crate::render::RenderOpts;

pub fn event(out: &mut String, e: &LinkEvent, opts: &RenderOpts) {
    match e {
        LinkEvent::Packet(p) => packet(out, p, opts),
        LinkEvent::Summary(s) => summary(out, s, opts),
    }
}

fn packet(out: &mut String, p: &LinkPacket, opts: &RenderOpts) {
    let PacketFate::Dropped { reason } = p.fate else {
        if p.fate == PacketFate::Overflow {
            let _ = writeln!(
                out,
                "link: {} packet of {} B lost: the forwarder's queue was full",
                arrow(p.direction),
                p.len
            );
        }
        return;
    };
    let _ = writeln!(
        out,
        "{}link{} {:>9.3} ms  {}  {} B  {} {} -> {}  {}  {}dropped ({}){}",
        opts.palette.bold,
        opts.palette.reset,
        p.arrived_us as f64 / 1000.0,
        arrow(p.direction),
        p.len,
        p.proto.to_uppercase(),
        p.src,
        p.dst,
        p.info,
        opts.palette.red,
        serde_json::to_value(reason)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        opts.palette.reset
    );
    if !p.carried.is_empty() {
        let _ = writeln!(out, "{:>17}carried {}", "", carried(&p.carried));
    }
}

/// What a packet carried, one group per kind in the order they came:
/// `HTTP/2 DATA stream 1 (1009 B), stream 3 (91 B); QUIC STOP_SENDING streams 4, 8; QUIC ACK`.
fn carried(pieces: &[Carried]) -> String {
    let mut kinds: Vec<&str> = Vec::new();
    for c in pieces {
        if !kinds.contains(&c.piece.what.as_str()) {
            kinds.push(&c.piece.what);
        }
    }
    kinds
        .iter()
        .map(|kind| {
            let group: Vec<&Carried> = pieces.iter().filter(|c| c.piece.what == *kind).collect();
            let data = group.iter().any(|c| c.bytes > 0);
            let streams: Vec<String> = group
                .iter()
                .filter_map(|c| {
                    let s = c.piece.stream?;
                    Some(if data {
                        format!("stream {s} ({} B)", c.bytes)
                    } else {
                        s.to_string()
                    })
                })
                .collect();
            match (streams.len(), data) {
                (0, true) => format!("{kind} ({} B)", group.iter().map(|c| c.bytes).sum::<u64>()),
                (0, false) => kind.to_string(),
                (_, true) => format!("{kind} {}", streams.join(", ")),
                (1, false) => format!("{kind} stream {}", streams[0]),
                (_, false) => format!("{kind} streams {}", streams.join(", ")),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn arrow(dir: Direction) -> &'static str {
    match dir {
        Direction::Up => "client -> servers",
        Direction::Down => "client <- servers",
    }
}

fn counts(c: &DirectionCounts) -> String {
    format!(
        "{} packets ({} B), {} forwarded, {} dropped{}",
        c.packets,
        c.bytes,
        c.forwarded,
        c.dropped,
        if c.overflowed > 0 {
            format!(", {} lost to a full forwarder queue", c.overflowed)
        } else {
            String::new()
        }
    )
}

fn summary(out: &mut String, s: &LinkSummary, opts: &RenderOpts) {
    let _ = writeln!(out, "\n{}link{} {}", opts.palette.bold, opts.palette.reset, s.spec);
    let _ = writeln!(out, "   up   (client -> servers): {}", counts(&s.up));
    let _ = writeln!(out, "   down (client <- servers): {}", counts(&s.down));
    if s.omitted > 0 {
        let _ = writeln!(out, "   ({} packets counted but not logged one by one)", s.omitted);
    }
    for f in &s.failures {
        let _ = writeln!(
            out,
            "   {}the link stopped early:{} {f}",
            opts.palette.red, opts.palette.reset
        );
    }
    if !s.pcap_files.is_empty() {
        let _ = writeln!(out, "   each end's packets: {}", s.pcap_files.join(", "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::carried::Piece;

    fn c(what: &str, stream: Option<u64>, bytes: u64) -> Carried {
        Carried {
            piece: Piece {
                what: what.into(),
                stream,
            },
            bytes,
        }
    }

    #[test]
    fn what_a_packet_carried_is_grouped_by_kind_in_order() {
        let pieces = [
            c("QUIC STOP_SENDING", Some(8), 0),
            c("QUIC STOP_SENDING", Some(4), 0),
            c("QUIC STREAM", Some(12), 1063),
            c("QUIC ACK", None, 0),
            c("QUIC STREAM", Some(28), 93),
            c("TLS handshake", None, 200),
        ];
        assert_eq!(
            carried(&pieces),
            "QUIC STOP_SENDING streams 8, 4; QUIC STREAM stream 12 (1063 B), stream 28 (93 B); QUIC ACK; TLS handshake (200 B)"
        );
        assert_eq!(carried(&pieces[..1]), "QUIC STOP_SENDING stream 8");
    }
}
