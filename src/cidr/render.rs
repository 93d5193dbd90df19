//! Text views of CIDR events: the AND of address and mask bit by bit, info tables, and lists
//! of prefixes whose header lines start with `#`, so the output of `split`, `aggregate` and
//! `exclude` can be piped straight back into netlab.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::events::{CidrEvent, Exclude, Info, Membership, Overlap};
use crate::style::{self, RenderOpts};
use crate::trace::Note;

/// Appends the text of one CIDR event and its teaching notes. Lists (split, aggregate,
/// overlap, exclude) put their header and notes first, as `#` comments, so what follows is a
/// clean list of prefixes.
pub fn event(out: &mut String, e: &CidrEvent, notes: &[Note], opts: &RenderOpts) {
    let header = match e {
        CidrEvent::Membership(m) => return with_notes(out, notes, opts, |o| membership(o, m, opts)),
        CidrEvent::Info(i) => return with_notes(out, notes, opts, |o| info(o, i, opts)),
        CidrEvent::Split(s) => format!("{} split into {} subnets of /{}", s.network, s.count, s.new_prefix_len),
        CidrEvent::Aggregate(a) => format!("{} prefixes in, {} out", a.input_count, a.prefixes.len()),
        CidrEvent::Overlap(o) => format!(
            "{} overlapping pairs among {} prefixes",
            o.pairs.len() as u64 + o.unlisted_pairs,
            o.input_count
        ),
        CidrEvent::Exclude(x) => exclude_header(x),
    };
    let _ = writeln!(out, "# {header}");
    style::notes(out, notes, opts, "# ");
    let lines: Vec<String> = match e {
        CidrEvent::Split(s) => s.subnets.clone(),
        CidrEvent::Aggregate(a) => a.prefixes.clone(),
        CidrEvent::Exclude(x) => x.prefixes.clone(),
        CidrEvent::Overlap(o) => overlap_lines(o),
        CidrEvent::Membership(_) | CidrEvent::Info(_) => Vec::new(),
    };
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
}

/// The event's own text, then its notes.
fn with_notes(out: &mut String, notes: &[Note], opts: &RenderOpts, body: impl FnOnce(&mut String)) {
    body(out);
    style::notes(out, notes, opts, "");
}

/// IPv4 as 32 bits in dotted groups of 8.
pub fn v4_binary(a: Ipv4Addr) -> String {
    a.octets()
        .iter()
        .map(|o| format!("{o:08b}"))
        .collect::<Vec<_>>()
        .join(".")
}

/// IPv6 with every group written out in four hex digits.
pub fn v6_expanded(a: Ipv6Addr) -> String {
    a.segments()
        .iter()
        .map(|g| format!("{g:04x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The column under which bit `bit` (0 = leftmost) is printed by [`v4_binary`]/[`v6_expanded`].
fn bit_column(is_v4: bool, bit: u8) -> usize {
    let b = usize::from(bit);
    if is_v4 {
        b + b / 8
    } else {
        b / 4 + b / 16
    }
}

fn membership(out: &mut String, m: &Membership, opts: &RenderOpts) {
    let p = &opts.palette;
    let verdict = if m.inside {
        format!("{}inside{}", p.green, p.reset)
    } else {
        format!("{}NOT inside{}", p.red, p.reset)
    };
    let _ = writeln!(out, "{}{}{} is {verdict} {}", p.bold, m.candidate, p.reset, m.network);
    let (Ok(addr), Ok(net_addr), Some(masked)) = (
        m.address.parse::<IpAddr>(),
        m.network.split('/').next().unwrap_or("").parse::<IpAddr>(),
        m.masked.as_deref().and_then(|s| s.parse::<IpAddr>().ok()),
    ) else {
        let _ = writeln!(out, "  {}", m.reason);
        return;
    };
    let mask: IpAddr = m.mask.parse().unwrap_or(net_addr);
    let len = m.network.rsplit('/').next().unwrap_or("");
    let show = |a: IpAddr| match a {
        IpAddr::V4(v) => v4_binary(v),
        IpAddr::V6(v) => v6_expanded(v),
    };
    let is_v4 = addr.is_ipv4();
    let width = if is_v4 { 35 } else { 39 };
    let heading = if is_v4 { "bits" } else { "hex (4 bits a digit)" };
    let _ = writeln!(out, "  {:<9} {heading}", "");
    let _ = writeln!(out, "  {:<9} {:<width$}  {}", "address", show(addr), addr);
    let _ = writeln!(out, "  {:<9} {:<width$}  {} (/{len})", "mask", show(mask), mask);
    let _ = writeln!(out, "  {:<9} {:<width$}  {}", "AND", show(masked), masked);
    let cmp = if masked == net_addr { "equal" } else { "different" };
    let _ = writeln!(
        out,
        "  {:<9} {:<width$}  {}  {cmp}",
        "network",
        show(net_addr),
        net_addr
    );
    if let Some(bit) = m.first_differing_bit {
        let col = bit_column(is_v4, bit);
        let _ = writeln!(
            out,
            "  {:<9} {}{}^ bit {bit} differs{}",
            "",
            " ".repeat(col),
            p.yellow,
            p.reset
        );
    }
    let _ = writeln!(out, "  {}", m.reason);
}

fn info(out: &mut String, i: &Info, opts: &RenderOpts) {
    let p = &opts.palette;
    if i.canonical {
        let _ = writeln!(out, "{}{}{}", p.bold, i.network, p.reset);
    } else {
        let _ = writeln!(
            out,
            "{}{}{} -> network {}{}{} (host bits cleared)",
            p.bold,
            i.input.trim(),
            p.reset,
            p.bold,
            i.network,
            p.reset
        );
    }
    let mut row = |k: &str, v: &str| {
        let _ = writeln!(out, "  {k:<14} {v}");
    };
    row("family", &i.family);
    row("prefix length", &format!("/{}", i.prefix_len));
    row("network", &i.network_address);
    row("netmask", &i.netmask);
    row("wildcard", &i.wildcard);
    let no_broadcast = match (i.family.as_str(), i.prefix_len) {
        ("IPv6", _) => "none (IPv6 has no broadcast)",
        (_, 31) => "none (a /31 point-to-point link has none, RFC 3021)",
        _ => "none (a single address)",
    };
    row("broadcast", i.broadcast.as_deref().unwrap_or(no_broadcast));
    row("first usable", &i.first_usable);
    row("last usable", &i.last_usable);
    row("addresses", &i.addresses);
    row("usable hosts", &i.usable_hosts);
    if let Ok(addr) = i.network_address.parse::<IpAddr>() {
        let (text, is_v4) = match addr {
            IpAddr::V4(v) => (v4_binary(v), true),
            IpAddr::V6(v) => (v6_expanded(v), false),
        };
        let cut = if i.prefix_len == 0 {
            0
        } else {
            bit_column(is_v4, i.prefix_len - 1) + 1
        };
        let (net_part, host_part) = text.split_at(cut.min(text.len()));
        let label = if is_v4 { "binary" } else { "expanded" };
        row(label, &format!("{net_part}|{host_part}  (network | host)"));
    }
    if i.special.is_empty() {
        row("special", "none: not in any special-purpose block");
    }
    for s in &i.special {
        let rel = if s.relation == "inside" { "in" } else { "contains" };
        row("special", &format!("{rel} {} {} [{}]", s.block, s.name, s.reference));
    }
}

fn overlap_lines(o: &Overlap) -> Vec<String> {
    let mut lines: Vec<String> = o
        .pairs
        .iter()
        .map(|pair| {
            let verb = if pair.relation == "equal" { "equals" } else { "contains" };
            format!(
                "{} (line {}) {verb} {} (line {})",
                pair.outer, pair.outer_line, pair.inner, pair.inner_line
            )
        })
        .collect();
    if o.unlisted_pairs > 0 {
        lines.push(format!("# ... and {} more pairs not listed", o.unlisted_pairs));
    }
    lines
}

fn exclude_header(x: &Exclude) -> String {
    let left: Vec<String> = x
        .addresses_left
        .iter()
        .map(|c| format!("{} {} addresses", c.addresses, c.family))
        .collect();
    let left = if left.is_empty() {
        "nothing".to_string()
    } else {
        left.join(" and ")
    };
    format!(
        "{} minus {}: {left} left in {} prefixes",
        x.from.join(" "),
        x.minus.join(" "),
        x.prefixes.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_and_expanded_forms() {
        assert_eq!(
            v4_binary("10.1.2.3".parse().unwrap()),
            "00001010.00000001.00000010.00000011"
        );
        assert_eq!(
            v6_expanded("2001:db8::1".parse().unwrap()),
            "2001:0db8:0000:0000:0000:0000:0000:0001"
        );
        assert_eq!(bit_column(true, 8), 9);
        assert_eq!(bit_column(false, 31), 8);
    }
}
