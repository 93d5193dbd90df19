//! Text view of the link's events: every packet the link dropped (with what it carried), and
//! the counts of each direction. Forwarded packets are counted, not listed (`--json` has each).

use std::fmt::Write as _;

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
