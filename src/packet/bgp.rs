//! BGP-4 (RFC 4271) on TCP port 179, said in one line and as one layer per message.
//!
//! BGP speakers exchange messages over one TCP connection (RFC 4271 §2: "BGP listens on TCP
//! port 179"). Every message starts with the same 19-octet header (§4.1): a 16-octet marker of
//! all ones, a 2-octet length (19 to 4096, the header included) and a 1-octet type: OPEN (1),
//! UPDATE (2), NOTIFICATION (3), KEEPALIVE (4), or ROUTE-REFRESH (5, RFC 2918). TCP is a byte
//! stream, so one segment may carry several messages back to back (an UPDATE and a KEEPALIVE),
//! end inside one, or start inside one; each complete message here becomes one `BGP` layer.
//!
//! The decoder is stateless: it sees one segment, not the OPENs that opened the session. That
//! matters once: whether an AS_PATH carries 2- or 4-octet AS numbers depends on both speakers
//! having announced the 4-octet AS capability (RFC 6793), so [`as_path`] guesses as Wireshark
//! does. ADD-PATH path identifiers (RFC 7911) are not looked for, for the same reason.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::layer::Layer;

/// Every message's first 16 octets (RFC 4271 §4.1).
const MARKER: [u8; 16] = [0xff; 16];
/// Marker, length and type.
const HEADER: usize = 19;
/// The largest message RFC 4271 §4.1 allows; RFC 8654 raises it to 65535 between speakers that
/// both announced the extended message capability (6).
const MAX_LENGTH: usize = 4096;
/// At most this many messages are decoded from one segment.
const MAX_MESSAGES: usize = 64;
/// The 2-octet stand-in for an AS number that does not fit in 2 octets (RFC 6793).
const AS_TRANS: u16 = 23456;

type Fields = Vec<(&'static str, String)>;

/// The BGP messages in a TCP segment to or from port 179: one `BGP` layer per complete message,
/// and their one-line descriptions joined with "; ".
pub fn decode(payload: &[u8], layers: &mut Vec<Layer>) -> String {
    let mut infos = Vec::new();
    let mut at = 0;
    if !payload.starts_with(&MARKER) {
        // The segment starts inside a message that began in an earlier one.
        at = find_message(payload).unwrap_or(payload.len());
        infos.push(format!("BGP continuation, {at} octets"));
    }
    let mut messages = 0;
    while let Some(rest) = payload.get(at..).filter(|r| !r.is_empty()) {
        if messages == MAX_MESSAGES {
            infos.push(format!(
                "{} more octets (at most {MAX_MESSAGES} messages are decoded a segment)",
                rest.len()
            ));
            break;
        }
        messages += 1;
        let (info, length) = message_at(rest, at, layers);
        infos.push(info);
        match length {
            Some(length) => at += length,
            None => break,
        }
    }
    infos.join("; ")
}

/// The message at the start of `rest` (offset `at` in its segment): its info, and its length
/// when it is all here, so that the next one follows it.
fn message_at(rest: &[u8], at: usize, layers: &mut Vec<Layer>) -> (String, Option<usize>) {
    let (length, kind) = match header(rest) {
        Err(why) => {
            return (
                format!("BGP? {why} at offset {at}, {} octets left undecoded", rest.len()),
                None,
            )
        }
        Ok(None) => {
            return (
                format!("BGP header (first {} of 19 octets in this segment)", rest.len()),
                None,
            )
        }
        Ok(Some(header)) => header,
    };
    let name = type_name(kind);
    let mut fields: Fields = vec![
        ("marker", "16 octets of all ones".into()),
        ("length", length.to_string()),
        ("type", format!("{name} ({kind})")),
    ];
    let Some(body) = rest.get(HEADER..length) else {
        fields.push(("in this segment", format!("{} of {length} octets", rest.len())));
        layers.push(Layer::new("BGP", fields));
        return (
            format!("BGP {name} (first {} of {length} octets in this segment)", rest.len()),
            None,
        );
    };
    let mut info = match message(kind, body, &mut fields) {
        Ok(info) => format!("BGP {info}"),
        Err(why) => {
            fields.push(("malformed", why.clone()));
            format!("BGP {name} malformed: {why}")
        }
    };
    if length > MAX_LENGTH {
        info.push_str(&format!(
            " (length {length} > {MAX_LENGTH}: only with the extended message capability, RFC 8654)"
        ));
    }
    layers.push(Layer::new("BGP", fields));
    (info, Some(length))
}

/// A header's length and type, checked (RFC 4271 §4.1, §6.1); `None` when the segment ends
/// inside it.
fn header(b: &[u8]) -> Result<Option<(usize, u8)>, String> {
    if b.iter().take(16).any(|&o| o != 0xff) {
        return Err("marker not all ones (RFC 4271 §4.1)".into());
    }
    let Some(&[hi, lo, kind]) = b.get(16..HEADER) else {
        return Ok(None);
    };
    let length = usize::from(u16::from_be_bytes([hi, lo]));
    if length < HEADER {
        return Err(format!(
            "length {length} is less than the 19-octet header (RFC 4271 §6.1)"
        ));
    }
    Ok(Some((length, kind)))
}

/// Where the first message starts in a segment that starts inside one: the end of a run of
/// all-ones octets, followed by a plausible length and type.
fn find_message(b: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = b.get(from..)?.windows(16).position(|w| w == MARKER) {
        let run = b.get(from + found..)?.iter().take_while(|&&o| o == 0xff).count();
        let at = from + found + run - 16;
        match b.get(at + 16..at + HEADER) {
            Some(&[hi, lo, kind]) if usize::from(u16::from_be_bytes([hi, lo])) >= HEADER && (1..=5).contains(&kind) => {
                return Some(at)
            }
            None => return Some(at),
            _ => from += found + run,
        }
    }
    None
}

fn type_name(kind: u8) -> String {
    match kind {
        1 => "OPEN".into(),
        2 => "UPDATE".into(),
        3 => "NOTIFICATION".into(),
        4 => "KEEPALIVE".into(),
        5 => "ROUTE-REFRESH".into(),
        n => format!("type {n}"),
    }
}

/// A complete message's body (after the header): its fields, and its info without "BGP ".
fn message(kind: u8, body: &[u8], fields: &mut Fields) -> Result<String, String> {
    match kind {
        1 => open(body, fields),
        2 => update(body, fields),
        3 => notification(body, fields),
        // A KEEPALIVE is the header alone (RFC 4271 §4.4).
        4 if body.is_empty() => Ok("KEEPALIVE".into()),
        4 => Err(format!(
            "{} octets: a KEEPALIVE is exactly 19 (RFC 4271 §4.4)",
            HEADER + body.len()
        )),
        5 => route_refresh(body, fields),
        n => Ok(format!("type {n}")),
    }
}

/// A cursor over a message's octets: every read is checked, none panics.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (taken, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(taken)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
}

fn big_endian(b: &[u8]) -> u32 {
    b.iter().fold(0, |n, &o| n << 8 | u32::from(o))
}

/// OPEN (RFC 4271 §4.2): version, My Autonomous System, Hold Time, BGP Identifier, then the
/// optional parameters; the one in use is Capabilities (type 2, RFC 5492 §4), a list of
/// (code, length, value).
fn open(body: &[u8], f: &mut Fields) -> Result<String, String> {
    let Some(&[version, a1, a2, h1, h2, i1, i2, i3, i4, params_len]) = body.get(..10) else {
        return Err(format!(
            "{} octets after the header, the fixed part alone is 10",
            body.len()
        ));
    };
    let my_as = u16::from_be_bytes([a1, a2]);
    let hold = u16::from_be_bytes([h1, h2]);
    let id = Ipv4Addr::new(i1, i2, i3, i4);
    f.push((
        "version",
        if version == 4 {
            "4".into()
        } else {
            format!("{version} (BGP-4 is 4)")
        },
    ));
    // Said again once the capabilities are read, if it is AS_TRANS.
    let my_as_field = f.len();
    f.push(("my AS", my_as.to_string()));
    f.push((
        "hold time",
        match hold {
            0 => "0 (no KEEPALIVEs, no hold timer)".into(),
            1 | 2 => format!("{hold} s (unacceptable: 0 or at least 3, RFC 4271 §4.2)"),
            _ => format!("{hold} s"),
        },
    ));
    f.push(("BGP identifier", id.to_string()));
    let mut caps = Vec::new();
    let mut as4 = None;
    for (kind, value) in optional_parameters(params_len, &body[10..])? {
        if kind != 2 {
            f.push(("optional parameter", format!("type {kind}, {} octets", value.len())));
            continue;
        }
        let mut r = Reader(value);
        while let Some(code) = r.u8() {
            let len = r.u8().ok_or("a capability cut after its code")?;
            let v = r
                .take(usize::from(len))
                .ok_or(format!("capability {code} of {len} octets runs past its parameter"))?;
            if let (65, &[a, b, c, d]) = (code, v) {
                as4 = Some(u32::from_be_bytes([a, b, c, d]));
            }
            let text = capability(code, v);
            f.push(("capability", text.clone()));
            caps.push(text);
        }
    }
    if let (AS_TRANS, Some(real)) = (my_as, as4) {
        f[my_as_field].1 = format!("23456 (AS_TRANS, standing in for {real} of the 4-octet AS capability, RFC 6793)");
    }
    let mut info = format!("OPEN AS{} hold {hold} s id {id}", as4.unwrap_or(u32::from(my_as)));
    if !caps.is_empty() {
        info.push_str(&format!(", capabilities: {}", caps.join(", ")));
    }
    Ok(info)
}

/// The optional parameters as (type, value): 1-octet types and lengths (RFC 4271 §4.2), or,
/// when the length octet and the first type are both 255, a 2-octet total length and 2-octet
/// parameter lengths (RFC 9072 §2).
fn optional_parameters(len: u8, b: &[u8]) -> Result<Vec<(u8, &[u8])>, String> {
    let (wide, declared, list) = match b {
        [255, hi, lo, list @ ..] if len == 255 => (true, usize::from(u16::from_be_bytes([*hi, *lo])), list),
        _ => (false, usize::from(len), b),
    };
    if declared != list.len() {
        return Err(format!(
            "optional parameters length {declared}, but {} octets follow",
            list.len()
        ));
    }
    let mut r = Reader(list);
    let mut out = Vec::new();
    while let Some(kind) = r.u8() {
        let len =
            if wide { r.u16() } else { r.u8().map(u16::from) }.ok_or("an optional parameter cut after its type")?;
        let value = r
            .take(usize::from(len))
            .ok_or(format!("optional parameter {kind} of {len} octets runs past the OPEN"))?;
        out.push((kind, value));
    }
    Ok(out)
}

/// One capability (RFC 5492 §4), named; the codes are IANA's "Capability Codes" registry.
fn capability(code: u8, v: &[u8]) -> String {
    let per_family = |name: &str, size: usize, each: &dyn Fn(&[u8]) -> String| {
        let list: Vec<String> = v
            .chunks(size)
            .map(|c| if c.len() == size { each(c) } else { "(cut)".into() })
            .collect();
        if list.is_empty() {
            name.to_string()
        } else {
            format!("{name} ({})", list.join(", "))
        }
    };
    match (code, v) {
        // Multiprotocol extensions (RFC 4760 §8): AFI, reserved, SAFI.
        (1, &[a, b, _, safi]) => format!("multiprotocol {}", afi_safi(u16::from_be_bytes([a, b]), safi)),
        (2, _) => "route-refresh".into(),
        (5, _) => "extended next hop".into(),
        (6, _) => "extended message".into(),
        // Graceful restart (RFC 4724 §3): 4 flag bits and a 12-bit restart time, then per
        // family the flag that forwarding state was kept.
        (64, &[hi, lo, ref families @ ..]) => {
            let mut said = vec![format!("restart time {} s", u16::from_be_bytes([hi & 0x0f, lo]))];
            if hi & 0x80 != 0 {
                said.push("restarting".into());
            }
            if families.is_empty() {
                // No family whose routes it keeps: it can only help a restarting peer.
                said.push("helper only".into());
            }
            for c in families.chunks_exact(4) {
                let kept = if c[3] & 0x80 != 0 { " with forwarding kept" } else { "" };
                said.push(format!("{}{kept}", afi_safi(u16::from_be_bytes([c[0], c[1]]), c[2])));
            }
            format!("graceful restart ({})", said.join(", "))
        }
        (65, &[a, b, c, d]) => format!("4-octet AS {}", u32::from_be_bytes([a, b, c, d])),
        // ADD-PATH (RFC 7911 §4): per family, receive (1), send (2) or both (3).
        (69, _) => per_family("ADD-PATH", 4, &|c| {
            let way = match c[3] {
                1 => "receive",
                2 => "send",
                3 => "send/receive",
                _ => "?",
            };
            format!("{} {way}", afi_safi(u16::from_be_bytes([c[0], c[1]]), c[2]))
        }),
        (70, _) => "enhanced route refresh".into(),
        // Long-lived graceful restart (RFC 9494): per family, flags and a 3-octet stale time.
        (71, _) => per_family("long-lived graceful restart", 7, &|c| {
            format!(
                "{} stale {} s",
                afi_safi(u16::from_be_bytes([c[0], c[1]]), c[2]),
                big_endian(&c[4..7])
            )
        }),
        (73, _) => fqdn(v),
        // Route refresh under the code Cisco used before RFC 2918 had one.
        (128, _) => "route-refresh (old Cisco code 128)".into(),
        (1 | 64 | 65, _) => format!("capability {code} with a malformed {}-octet value", v.len()),
        _ => format!("capability {code}"),
    }
}

/// The FQDN capability (draft-walton-bgp-hostname-capability): a length-prefixed host name,
/// then a length-prefixed domain name.
fn fqdn(v: &[u8]) -> String {
    let mut r = Reader(v);
    let mut name = || {
        let n = r.u8()?;
        r.take(usize::from(n)).map(String::from_utf8_lossy)
    };
    match (name(), name()) {
        (Some(host), Some(domain)) if !domain.is_empty() => format!("FQDN hostname {host} domain {domain}"),
        (Some(host), _) => format!("FQDN hostname {host}"),
        _ => "FQDN (malformed)".into(),
    }
}

/// An Address Family Identifier (IANA's Address Family Numbers) and Subsequent AFI (RFC 4760
/// §6), as Wireshark words them.
fn afi_safi(afi: u16, safi: u8) -> String {
    let afi = match afi {
        1 => "IPv4".into(),
        2 => "IPv6".into(),
        25 => "L2VPN".into(),
        16388 => "BGP-LS".into(),
        n => format!("AFI {n}"),
    };
    let safi = match safi {
        1 => "unicast".into(),
        2 => "multicast".into(),
        4 => "labeled unicast".into(),
        70 => "EVPN".into(),
        71 => "BGP-LS".into(),
        128 => "VPN".into(),
        133 => "flowspec".into(),
        n => format!("SAFI {n}"),
    };
    format!("{afi} {safi}")
}

#[derive(Clone, Copy)]
enum Family {
    V4,
    V6,
}

fn family(afi: u16, safi: u8) -> Option<Family> {
    match (afi, safi) {
        (1, 1 | 2) => Some(Family::V4),
        (2, 1 | 2) => Some(Family::V6),
        _ => None,
    }
}

/// Prefixes in the encoding of RFC 4271 §4.3 (and RFC 4760 §5 for other families): a length
/// in bits, then just enough octets to hold that many bits.
fn prefixes(b: &[u8], family: Family) -> Result<Vec<String>, String> {
    let max = match family {
        Family::V4 => 32,
        Family::V6 => 128,
    };
    let mut r = Reader(b);
    let mut out = Vec::new();
    while let Some(bits) = r.u8() {
        if bits > max {
            return Err(format!("prefix length {bits} > {max}"));
        }
        let n = usize::from(bits).div_ceil(8);
        let octets = r
            .take(n)
            .ok_or(format!("a /{bits} prefix needs {n} octets, the field ends first"))?;
        let mut addr = [0u8; 16];
        addr[..n].copy_from_slice(octets);
        out.push(match family {
            Family::V4 => format!("{}/{bits}", Ipv4Addr::new(addr[0], addr[1], addr[2], addr[3])),
            Family::V6 => format!("{}/{bits}", Ipv6Addr::from(addr)),
        });
    }
    Ok(out)
}

/// The first few of `list`, for the info line.
fn few(list: &[String]) -> String {
    match list.len() {
        0..=3 => list.join(", "),
        n => format!("{} and {} more", list[..3].join(", "), n - 3),
    }
}

/// What an UPDATE's attributes say, for its info line.
#[derive(Default)]
struct Summary {
    origin: Option<String>,
    as_path: Option<String>,
    next_hop: Option<String>,
    /// MP_REACH_NLRI: next hop and prefixes (RFC 4760 §3).
    reach: Option<(String, Vec<String>)>,
    /// MP_UNREACH_NLRI: family (`IPv6 unicast`) and prefixes (RFC 4760 §4).
    unreach: Option<(String, Vec<String>)>,
}

/// UPDATE (RFC 4271 §4.3): withdrawn IPv4 routes, path attributes, and the IPv4 prefixes
/// (NLRI) those attributes describe; other families ride in MP_REACH_NLRI and MP_UNREACH_NLRI.
fn update(body: &[u8], f: &mut Fields) -> Result<String, String> {
    let mut r = Reader(body);
    let withdrawn_len = r.u16().ok_or("no withdrawn routes length")?;
    let withdrawn = r
        .take(usize::from(withdrawn_len))
        .ok_or(format!("withdrawn routes length {withdrawn_len} runs past the message"))?;
    let withdrawn = prefixes(withdrawn, Family::V4).map_err(|e| format!("withdrawn routes: {e}"))?;
    let attrs_len = r.u16().ok_or("no total path attribute length")?;
    let attrs = r
        .take(usize::from(attrs_len))
        .ok_or(format!("path attributes length {attrs_len} runs past the message"))?;
    let nlri = prefixes(r.0, Family::V4).map_err(|e| format!("NLRI: {e}"))?;
    if withdrawn.is_empty() && attrs.is_empty() && nlri.is_empty() {
        // The IPv4 unicast End-of-RIB marker (RFC 4724 §2): an UPDATE of 23 octets.
        f.push(("End-of-RIB", "IPv4 unicast (RFC 4724 §2)".into()));
        return Ok("UPDATE End-of-RIB IPv4 unicast".into());
    }
    if !withdrawn.is_empty() {
        f.push(("withdrawn", withdrawn.join(", ")));
    }
    let mut s = Summary::default();
    let mut r = Reader(attrs);
    let mut count = 0;
    while let Some(flags) = r.u8() {
        let code = r.u8().ok_or("a path attribute cut after its flags")?;
        let len = if flags & 0x10 != 0 {
            r.u16()
        } else {
            r.u8().map(u16::from)
        };
        let len = len.ok_or(format!("path attribute {code} cut before its length"))?;
        let value = r.take(usize::from(len)).ok_or(format!(
            "path attribute {code} of {len} octets runs past the attributes"
        ))?;
        let (name, text) = attribute(code, value, &mut s)?;
        f.push((name, format!("{text} [{}]", attribute_flags(flags))));
        count += 1;
    }
    if !nlri.is_empty() {
        f.push(("NLRI", nlri.join(", ")));
    }
    if let Some((fam, gone)) = &s.unreach {
        if gone.is_empty() && count == 1 && withdrawn.is_empty() && nlri.is_empty() {
            // An MP_UNREACH_NLRI that withdraws nothing, alone: that family's End-of-RIB.
            f.push(("End-of-RIB", format!("{fam} (RFC 4724 §2)")));
            return Ok(format!("UPDATE End-of-RIB {fam}"));
        }
    }
    let described = |list: &[String], hop: Option<&String>| match hop {
        Some(hop) => format!("{} via {hop}", few(list)),
        None => few(list),
    };
    let mut parts = Vec::new();
    if !nlri.is_empty() {
        parts.push(described(&nlri, s.next_hop.as_ref()));
    }
    if let Some((hop, reached)) = s.reach.as_ref().filter(|(_, list)| !list.is_empty()) {
        parts.push(described(reached, Some(hop)));
    }
    if !parts.is_empty() {
        parts.extend(s.as_path.map(|p| format!("AS path {p}")));
        parts.extend(s.origin.map(|o| format!("origin {o}")));
    }
    if !withdrawn.is_empty() {
        parts.push(format!("withdraws {}", few(&withdrawn)));
    }
    if let Some((fam, gone)) = s.unreach.as_ref().filter(|(_, list)| !list.is_empty()) {
        let fam = fam.strip_suffix(" unicast").unwrap_or(fam);
        parts.push(format!("withdraws ({fam}) {}", few(gone)));
    }
    if parts.is_empty() {
        parts.push("path attributes only, no routes".into());
    }
    Ok(format!("UPDATE {}", parts.join(", ")))
}

/// An attribute's flags (RFC 4271 §4.3): optional or well-known, transitive or not, partial,
/// and whether its length takes 2 octets.
fn attribute_flags(flags: u8) -> String {
    let mut v = vec![
        if flags & 0x80 != 0 { "optional" } else { "well-known" },
        if flags & 0x40 != 0 {
            "transitive"
        } else {
            "non-transitive"
        },
    ];
    if flags & 0x20 != 0 {
        v.push("partial");
    }
    if flags & 0x10 != 0 {
        v.push("extended length");
    }
    v.join(" ")
}

/// One path attribute: its name and its value, said (RFC 4271 §5.1 and the RFCs named).
fn attribute(code: u8, v: &[u8], s: &mut Summary) -> Result<(&'static str, String), String> {
    Ok(match (code, v) {
        (1, &[o]) => {
            let origin = match o {
                0 => "IGP".to_string(),
                1 => "EGP".into(),
                2 => "INCOMPLETE".into(),
                n => format!("{n} (not 0, 1 or 2)"),
            };
            s.origin = Some(origin.clone());
            ("ORIGIN", origin)
        }
        (2, _) => {
            let (path, width) = as_path(v).ok_or("AS_PATH segments do not fit the attribute")?;
            s.as_path = Some(if path.is_empty() { "empty".into() } else { path.clone() });
            ("AS_PATH", format!("{path} ({width}-octet ASes)"))
        }
        (3, &[a, b, c, d]) => {
            let hop = Ipv4Addr::new(a, b, c, d).to_string();
            s.next_hop = Some(hop.clone());
            ("NEXT_HOP", hop)
        }
        (4, [_, _, _, _]) => ("MULTI_EXIT_DISC", big_endian(v).to_string()),
        (5, [_, _, _, _]) => ("LOCAL_PREF", big_endian(v).to_string()),
        (6, []) => ("ATOMIC_AGGREGATE", "set".into()),
        // The aggregating speaker's AS (2 octets, or 4 with RFC 6793) and BGP identifier.
        (7, [_, _, c, d, e, f] | [_, _, _, _, c, d, e, f]) => {
            let id = Ipv4Addr::new(*c, *d, *e, *f);
            ("AGGREGATOR", format!("AS{} {id}", big_endian(&v[..v.len() - 4])))
        }
        // RFC 1997: 4 octets each, an AS then a value; 0xFFFFxxxx are well-known.
        (8, _) if v.len() % 4 == 0 => {
            let list: Vec<String> = v.chunks_exact(4).map(community).collect();
            ("COMMUNITIES", list.join(" "))
        }
        (14, _) => ("MP_REACH_NLRI", mp_reach(v, s)?),
        (15, _) => ("MP_UNREACH_NLRI", mp_unreach(v, s)?),
        // RFC 4360: 8 octets each.
        (16, _) if v.len() % 8 == 0 => ("EXTENDED_COMMUNITIES", format!("{} extended communities", v.len() / 8)),
        // RFC 6793 §3: the path in 4-octet ASes, for a speaker that only knows 2-octet ones.
        (17, _) => (
            "AS4_PATH",
            segments(v, 4)
                .map(|p| written(&p))
                .ok_or("AS4_PATH segments do not fit the attribute")?,
        ),
        // RFC 8092: 12 octets each, global administrator:local data 1:local data 2.
        (32, _) if v.len() % 12 == 0 => {
            let list: Vec<String> = v
                .chunks_exact(12)
                .map(|c| {
                    format!(
                        "{}:{}:{}",
                        big_endian(&c[..4]),
                        big_endian(&c[4..8]),
                        big_endian(&c[8..])
                    )
                })
                .collect();
            ("LARGE_COMMUNITY", list.join(" "))
        }
        (1..=8 | 16 | 32, _) => {
            return Err(format!(
                "path attribute {code} with a malformed {}-octet value",
                v.len()
            ))
        }
        _ => ("attribute", format!("attribute {code}, {} octets", v.len())),
    })
}

fn community(c: &[u8]) -> String {
    match big_endian(c) {
        0xffff_ff01 => "NO_EXPORT".into(),
        0xffff_ff02 => "NO_ADVERTISE".into(),
        0xffff_ff03 => "NO_EXPORT_SUBCONFED".into(),
        n => format!("{}:{}", n >> 16, n & 0xffff),
    }
}

/// An AS_PATH (RFC 4271 §5.1.2) and its AS width: segments of a type (1 AS_SET, 2
/// AS_SEQUENCE; 3 and 4 the confederation ones of RFC 5065), a count of ASes, and the ASes.
/// Between speakers that both announced the 4-octet AS capability each AS takes 4 octets, else
/// 2 (RFC 6793 §4.1), and the attribute does not say which. So, like Wireshark's heuristic, this
/// reads 2-octet ASes when their segments use up the attribute exactly and none is AS 0 (which
/// no path may hold, RFC 7607): read that way, a 4-octet AS below 65536 gives an AS 0, and the
/// first octet of a larger one is no segment type. Otherwise it reads 4-octet ASes. (Trying
/// 4 octets first would misread some 2-octet paths of several segments that happen to fit.)
fn as_path(v: &[u8]) -> Option<(String, u8)> {
    segments(v, 2)
        .filter(|path| path.iter().all(|(_, ases)| !ases.contains(&0)))
        .map(|path| (path, 2))
        .or_else(|| segments(v, 4).map(|path| (path, 4)))
        .map(|(path, width)| (written(&path), width))
}

/// The segments as (type, ASes) read with `width`-octet ASes; `None` unless each has a known
/// type and together they use up `v` exactly.
fn segments(v: &[u8], width: usize) -> Option<Vec<(u8, Vec<u32>)>> {
    let mut r = Reader(v);
    let mut out = Vec::new();
    while let Some(kind) = r.u8() {
        let count = r.u8()?;
        let ases = r.take(usize::from(count) * width)?;
        if !(1..=4).contains(&kind) {
            return None;
        }
        out.push((kind, ases.chunks_exact(width).map(big_endian).collect()));
    }
    Some(out)
}

/// Segments written as sequences `64500 64501`, sets `{64502,64503}`, confederation sequences
/// `(64512)` and confederation sets `[64513]`.
fn written(path: &[(u8, Vec<u32>)]) -> String {
    let segments: Vec<String> = path
        .iter()
        .map(|(kind, ases)| {
            let ases: Vec<String> = ases.iter().map(u32::to_string).collect();
            match kind {
                1 => format!("{{{}}}", ases.join(",")),
                3 => format!("({})", ases.join(" ")),
                4 => format!("[{}]", ases.join(" ")),
                _ => ases.join(" "),
            }
        })
        .collect();
    segments.join(" ")
}

/// MP_REACH_NLRI (RFC 4760 §3): AFI, SAFI, a length-prefixed next hop, a reserved octet, then
/// the prefixes.
fn mp_reach(v: &[u8], s: &mut Summary) -> Result<String, String> {
    let mut r = Reader(v);
    let cut = || "MP_REACH_NLRI cut before its prefixes".to_string();
    let afi = r.u16().ok_or_else(cut)?;
    let safi = r.u8().ok_or_else(cut)?;
    let hop_len = r.u8().ok_or_else(cut)?;
    let hop = r.take(usize::from(hop_len)).ok_or_else(cut)?;
    // Reserved (it was the count of SNPAs in RFC 2858).
    r.u8().ok_or_else(cut)?;
    let hop = match hop.len() {
        4 => Ipv4Addr::new(hop[0], hop[1], hop[2], hop[3]).to_string(),
        16 => ipv6(hop),
        // A global address, then a link-local one (RFC 2545 §3).
        32 => format!("{} and {}", ipv6(&hop[..16]), ipv6(&hop[16..])),
        n => format!("a {n}-octet next hop"),
    };
    let fam = afi_safi(afi, safi);
    let list = match family(afi, safi) {
        Some(family) => prefixes(r.0, family).map_err(|e| format!("MP_REACH_NLRI: {e}"))?,
        None => vec![format!("{} octets of {fam} NLRI", r.0.len())],
    };
    let text = format!("{fam} via {hop}: {}", list.join(", "));
    s.reach = Some((hop, list));
    Ok(text)
}

/// MP_UNREACH_NLRI (RFC 4760 §4): AFI, SAFI, then the withdrawn prefixes.
fn mp_unreach(v: &[u8], s: &mut Summary) -> Result<String, String> {
    let [a, b, safi, rest @ ..] = v else {
        return Err("MP_UNREACH_NLRI shorter than its AFI and SAFI".into());
    };
    let (afi, safi) = (u16::from_be_bytes([*a, *b]), *safi);
    let fam = afi_safi(afi, safi);
    let list = match family(afi, safi) {
        Some(family) => prefixes(rest, family).map_err(|e| format!("MP_UNREACH_NLRI: {e}"))?,
        None if rest.is_empty() => Vec::new(),
        None => vec![format!("{} octets of NLRI", rest.len())],
    };
    let text = format!(
        "{fam}: {}",
        if list.is_empty() {
            "nothing".into()
        } else {
            list.join(", ")
        }
    );
    s.unreach = Some((fam, list));
    Ok(text)
}

fn ipv6(b: &[u8]) -> String {
    <[u8; 16]>::try_from(b)
        .map(|a| Ipv6Addr::from(a).to_string())
        .unwrap_or_default()
}

/// NOTIFICATION (RFC 4271 §4.5): an error code, a subcode and data; the connection closes
/// right after it. A Cease for an administrative shutdown or reset may carry a message for the
/// peer's operator: a length octet, then up to 255 octets of UTF-8 (RFC 9003 §2).
fn notification(body: &[u8], f: &mut Fields) -> Result<String, String> {
    let [code, sub, data @ ..] = body else {
        return Err("shorter than its error code and subcode".into());
    };
    let (name, sub_name) = error_names(*code, *sub);
    f.push(("error code", format!("{name} ({code})")));
    f.push(("error subcode", format!("{sub_name} ({sub})")));
    let mut info = format!("NOTIFICATION {name}");
    if *sub != 0 {
        info.push_str(&format!(" / {sub_name}"));
    }
    match (code, sub, data) {
        (6, 2 | 4, [0, ..]) => {}
        (6, 2 | 4, [n, text @ ..]) => {
            let said = text
                .get(..usize::from(*n))
                .ok_or(format!("shutdown communication of {n} octets runs past the message"))?;
            // Escaped, so that a newline in it cannot break the line.
            let said = String::from_utf8_lossy(said).escape_debug().to_string();
            info.push_str(&format!(": \"{said}\""));
            f.push(("shutdown communication", said));
        }
        (_, _, []) => {}
        _ => {
            let shown = data_encoding::HEXLOWER.encode(&data[..data.len().min(64)]);
            f.push((
                "data",
                if data.len() > 64 {
                    format!("{shown}... ({} octets)", data.len())
                } else {
                    shown
                },
            ));
        }
    }
    Ok(info)
}

/// Error codes and subcodes (RFC 4271 §4.5 and §6; FSM subcodes RFC 6608; Cease subcodes
/// RFC 4486 and RFC 8538; ROUTE-REFRESH RFC 7313).
fn error_names(code: u8, sub: u8) -> (String, String) {
    let subs: &[&str] = match code {
        1 => &["connection not synchronized", "bad message length", "bad message type"],
        2 => &[
            "unsupported version number",
            "bad peer AS",
            "bad BGP identifier",
            "unsupported optional parameter",
            "authentication failure (deprecated)",
            "unacceptable hold time",
            "unsupported capability",
        ],
        3 => &[
            "malformed attribute list",
            "unrecognized well-known attribute",
            "missing well-known attribute",
            "attribute flags error",
            "attribute length error",
            "invalid ORIGIN attribute",
            "AS routing loop (deprecated)",
            "invalid NEXT_HOP attribute",
            "optional attribute error",
            "invalid network field",
            "malformed AS_PATH",
        ],
        5 => &[
            "unexpected message in OpenSent",
            "unexpected message in OpenConfirm",
            "unexpected message in Established",
        ],
        6 => &[
            "maximum number of prefixes reached",
            "administrative shutdown",
            "peer de-configured",
            "administrative reset",
            "connection rejected",
            "other configuration change",
            "connection collision resolution",
            "out of resources",
            "hard reset",
        ],
        7 => &["invalid message length"],
        _ => &[],
    };
    let name = match code {
        1 => "Message Header Error".into(),
        2 => "OPEN Message Error".into(),
        3 => "UPDATE Message Error".into(),
        4 => "Hold Timer Expired".into(),
        5 => "Finite State Machine Error".into(),
        6 => "Cease".into(),
        7 => "ROUTE-REFRESH Message Error".into(),
        n => format!("error {n}"),
    };
    let sub_name = match usize::from(sub).checked_sub(1).and_then(|i| subs.get(i)) {
        Some(s) => s.to_string(),
        None if sub == 0 => "unspecific".into(),
        None => format!("subcode {sub}"),
    };
    (name, sub_name)
}

/// ROUTE-REFRESH (RFC 2918 §3): a request to send the routes of one family again; with
/// enhanced route refresh (RFC 7313) its reserved octet marks the refresh's start and end.
fn route_refresh(body: &[u8], f: &mut Fields) -> Result<String, String> {
    let &[a, b, subtype, safi] = body else {
        return Err(format!(
            "{} octets after the header: AFI, subtype and SAFI are 4",
            body.len()
        ));
    };
    let fam = afi_safi(u16::from_be_bytes([a, b]), safi);
    f.push(("family", fam.clone()));
    let what = match subtype {
        0 => "",
        1 => " (beginning of route refresh)",
        2 => " (end of route refresh)",
        _ => " (unknown subtype)",
    };
    f.push(("subtype", format!("{subtype}{what}")));
    Ok(format!("ROUTE-REFRESH {fam}{what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A message as RFC 4271 §4.1 frames it: marker, length, type, then `body`.
    fn msg(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut m = vec![0xff; 16];
        m.extend(u16::try_from(HEADER + body.len()).unwrap().to_be_bytes());
        m.push(kind);
        m.extend(body);
        m
    }

    /// An UPDATE's body (RFC 4271 §4.3): the withdrawn routes and the attributes, each after its
    /// 2-octet length, then the NLRI.
    fn update_body(withdrawn: &[u8], attrs: &[u8], nlri: &[u8]) -> Vec<u8> {
        let mut b = u16::try_from(withdrawn.len()).unwrap().to_be_bytes().to_vec();
        b.extend(withdrawn);
        b.extend(u16::try_from(attrs.len()).unwrap().to_be_bytes());
        b.extend(attrs);
        b.extend(nlri);
        b
    }

    fn decoded(segment: &[u8]) -> (String, Vec<Layer>) {
        let mut layers = Vec::new();
        let info = decode(segment, &mut layers);
        (info, layers)
    }

    fn field<'a>(layer: &'a Layer, name: &str) -> Vec<&'a str> {
        layer
            .fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// ORIGIN IGP, AS_PATH one AS_SEQUENCE of 64500 in 4 octets, NEXT_HOP 100.64.100.1: each
    /// flags (well-known transitive, 0x40), type code, length, value (RFC 4271 §4.3, §5.1).
    const ATTRS: [u8; 20] = [
        0x40, 1, 1, 0, // ORIGIN IGP
        0x40, 2, 6, 2, 1, 0, 0, 0xfb, 0xf4, // AS_PATH AS_SEQUENCE [64500]
        0x40, 3, 4, 100, 64, 100, 1, // NEXT_HOP
    ];
    const PREFIX: [u8; 4] = [24, 203, 0, 113];

    #[test]
    fn an_open_names_its_capabilities() {
        // RFC 4271 §4.2: version 4, My AS 64500, hold time 90, BGP identifier 10.0.0.1, then one
        // optional parameter of type 2 (RFC 5492 §4) holding capabilities 1 (IPv4 unicast,
        // RFC 4760 §8), 2 (route refresh, RFC 2918 §2) and 65 (4-octet AS 64500, RFC 6793).
        let caps = [1, 4, 0, 1, 0, 1, 2, 0, 65, 4, 0, 0, 0xfb, 0xf4];
        let mut body = vec![
            4,
            0xfb,
            0xf4,
            0,
            90,
            10,
            0,
            0,
            1,
            caps.len() as u8 + 2,
            2,
            caps.len() as u8,
        ];
        body.extend(caps);
        let (info, layers) = decoded(&msg(1, &body));
        assert_eq!(
            info,
            "BGP OPEN AS64500 hold 90 s id 10.0.0.1, capabilities: multiprotocol IPv4 unicast, route-refresh, \
             4-octet AS 64500"
        );
        let open = &layers[0];
        assert_eq!(open.name, "BGP");
        assert_eq!(field(open, "type"), ["OPEN (1)"]);
        assert_eq!(field(open, "length"), ["45"]);
        assert_eq!(field(open, "version"), ["4"]);
        assert_eq!(field(open, "my AS"), ["64500"]);
        assert_eq!(field(open, "hold time"), ["90 s"]);
        assert_eq!(field(open, "BGP identifier"), ["10.0.0.1"]);
        assert_eq!(field(open, "capability").len(), 3);
    }

    #[test]
    fn an_open_from_a_4_octet_as_says_as_trans() {
        // My AS is AS_TRANS (23456); the real AS, 4200000000, is in capability 65 (RFC 6793).
        let mut body = vec![4, 0x5b, 0xa0, 0, 3, 192, 0, 2, 1, 8, 2, 6, 65, 4];
        body.extend(4_200_000_000u32.to_be_bytes());
        let (info, layers) = decoded(&msg(1, &body));
        assert!(
            info.starts_with("BGP OPEN AS4200000000 hold 3 s id 192.0.2.1"),
            "{info}"
        );
        assert_eq!(
            field(&layers[0], "my AS"),
            ["23456 (AS_TRANS, standing in for 4200000000 of the 4-octet AS capability, RFC 6793)"]
        );
        // Graceful restart, ADD-PATH and FQDN (RFC 4724 §3, RFC 7911 §4, the hostname draft).
        let caps = [
            64, 6, 0x80, 120, 0, 1, 1, 0x80, 69, 4, 0, 1, 1, 3, 73, 5, 3, b'r', b't', b'a', 0,
        ];
        let mut body = vec![
            4,
            0xfb,
            0xf4,
            0,
            90,
            10,
            0,
            0,
            1,
            caps.len() as u8 + 2,
            2,
            caps.len() as u8,
        ];
        body.extend(caps);
        let (info, _) = decoded(&msg(1, &body));
        assert!(
            info.ends_with(
                "capabilities: graceful restart (restart time 120 s, restarting, IPv4 unicast with forwarding kept), \
                 ADD-PATH (IPv4 unicast send/receive), FQDN hostname rta"
            ),
            "{info}"
        );
    }

    #[test]
    fn an_update_announces_a_prefix_with_its_path() {
        // RFC 4271 §4.3: no withdrawn routes, three attributes, one /24 of NLRI.
        let (info, layers) = decoded(&msg(2, &update_body(&[], &ATTRS, &PREFIX)));
        assert_eq!(
            info,
            "BGP UPDATE 203.0.113.0/24 via 100.64.100.1, AS path 64500, origin IGP"
        );
        let u = &layers[0];
        assert_eq!(field(u, "ORIGIN"), ["IGP [well-known transitive]"]);
        assert_eq!(field(u, "AS_PATH"), ["64500 (4-octet ASes) [well-known transitive]"]);
        assert_eq!(field(u, "NEXT_HOP"), ["100.64.100.1 [well-known transitive]"]);
        assert_eq!(field(u, "NLRI"), ["203.0.113.0/24"]);
    }

    #[test]
    fn an_as_path_of_2_octet_ases_is_told_from_one_of_4_octet_ases() {
        // AS_SEQUENCE of 64500 64501 in 2 octets each (RFC 4271 §4.3), then an AS_SET of 64502.
        // Read as 4-octet ASes these 10 octets happen to fit too (one segment of 2 ASes), so the
        // 2-octet reading is tried first.
        let attrs = [0x40, 2, 10, 2, 2, 0xfb, 0xf4, 0xfb, 0xf5, 1, 1, 0xfb, 0xf6];
        let (info, layers) = decoded(&msg(2, &update_body(&[], &attrs, &PREFIX)));
        assert_eq!(info, "BGP UPDATE 203.0.113.0/24, AS path 64500 64501 {64502}");
        assert_eq!(
            field(&layers[0], "AS_PATH"),
            ["64500 64501 {64502} (2-octet ASes) [well-known transitive]"]
        );
        // 4-octet ASes: 64500 and 4200000000 in a sequence, then a set of AS 256, whose 2-octet
        // reading (02 01 | 00 00 | 01 00) fits but holds an AS 0.
        let mut path = vec![2, 2, 0, 0, 0xfb, 0xf4];
        path.extend(4_200_000_000u32.to_be_bytes());
        path.extend([1, 1, 0, 0, 1, 0]);
        let mut attrs = vec![0x40, 2, path.len() as u8];
        attrs.extend(path);
        let (info, _) = decoded(&msg(2, &update_body(&[], &attrs, &PREFIX)));
        assert_eq!(info, "BGP UPDATE 203.0.113.0/24, AS path 64500 4200000000 {256}");
        assert_eq!(as_path(&[2, 1, 0, 0, 1, 0]), Some(("256".into(), 4)));
    }

    #[test]
    fn an_update_withdraws_a_prefix() {
        // RFC 4271 §4.3: Withdrawn Routes Length 4, one /24, no attributes, no NLRI.
        let (info, layers) = decoded(&msg(2, &update_body(&PREFIX, &[], &[])));
        assert_eq!(info, "BGP UPDATE withdraws 203.0.113.0/24");
        assert_eq!(field(&layers[0], "withdrawn"), ["203.0.113.0/24"]);
        // IPv6 withdrawn in MP_UNREACH_NLRI (RFC 4760 §4): optional (0x80), type 15.
        let attrs = [0x80, 15, 8, 0, 2, 1, 32, 0x20, 0x01, 0x0d, 0xb8];
        let (info, _) = decoded(&msg(2, &update_body(&[], &attrs, &[])));
        assert_eq!(info, "BGP UPDATE withdraws (IPv6) 2001:db8::/32");
    }

    #[test]
    fn an_ipv6_route_rides_in_mp_reach_nlri() {
        // RFC 4760 §3: AFI 2, SAFI 1, a 16-octet next hop, a reserved octet, 2001:db8::/32.
        let mut attrs = ATTRS[..13].to_vec();
        attrs.extend([0x80, 14, 26, 0, 2, 1, 16, 0x20, 0x01, 0x0d, 0xb8]);
        attrs.extend([0; 11]);
        attrs.extend([1, 0, 32, 0x20, 0x01, 0x0d, 0xb8]);
        let (info, layers) = decoded(&msg(2, &update_body(&[], &attrs, &[])));
        assert_eq!(
            info,
            "BGP UPDATE 2001:db8::/32 via 2001:db8::1, AS path 64500, origin IGP"
        );
        assert_eq!(
            field(&layers[0], "MP_REACH_NLRI"),
            ["IPv6 unicast via 2001:db8::1: 2001:db8::/32 [optional non-transitive]"]
        );
    }

    #[test]
    fn an_empty_update_is_the_end_of_rib_marker() {
        // RFC 4724 §2: for IPv4 unicast, an UPDATE with no withdrawn routes, no attributes and
        // no NLRI (23 octets); for another family, one empty MP_UNREACH_NLRI.
        let (info, layers) = decoded(&msg(2, &update_body(&[], &[], &[])));
        assert_eq!(info, "BGP UPDATE End-of-RIB IPv4 unicast");
        assert_eq!(field(&layers[0], "length"), ["23"]);
        let (info, _) = decoded(&msg(2, &update_body(&[], &[0x80, 15, 3, 0, 2, 1], &[])));
        assert_eq!(info, "BGP UPDATE End-of-RIB IPv6 unicast");
        // But not one that withdraws routes of a family not decoded here (L2VPN EVPN).
        let (info, _) = decoded(&msg(2, &update_body(&[], &[0x80, 15, 5, 0, 25, 70, 1, 2], &[])));
        assert_eq!(info, "BGP UPDATE withdraws (L2VPN EVPN) 2 octets of NLRI");
    }

    #[test]
    fn a_notification_names_its_error_and_shows_a_shutdown_communication() {
        // RFC 4271 §4.5: error code 6 (Cease), subcode 2 (administrative shutdown, RFC 4486),
        // and as data the RFC 9003 §2 message: a length octet, then UTF-8.
        let mut body = vec![6, 2, 11];
        body.extend(b"maintenance");
        let (info, layers) = decoded(&msg(3, &body));
        assert_eq!(
            info,
            "BGP NOTIFICATION Cease / administrative shutdown: \"maintenance\""
        );
        assert_eq!(field(&layers[0], "error code"), ["Cease (6)"]);
        assert_eq!(field(&layers[0], "error subcode"), ["administrative shutdown (2)"]);
        assert_eq!(field(&layers[0], "shutdown communication"), ["maintenance"]);
        assert_eq!(decoded(&msg(3, &[4, 0])).0, "BGP NOTIFICATION Hold Timer Expired");
        // Bad Message Length: the data is the length that was wrong (RFC 4271 §6.1).
        let (info, layers) = decoded(&msg(3, &[1, 2, 0x00, 0x05]));
        assert_eq!(info, "BGP NOTIFICATION Message Header Error / bad message length");
        assert_eq!(field(&layers[0], "data"), ["0005"]);
        // A shutdown communication longer than the message is said, not read past.
        assert!(decoded(&msg(3, &[6, 4, 200, b'x']))
            .0
            .contains("malformed: shutdown communication of 200"));
    }

    #[test]
    fn a_keepalive_is_the_header_alone() {
        // RFC 4271 §4.4: 19 octets, nothing after the header.
        let (info, layers) = decoded(&msg(4, &[]));
        assert_eq!(info, "BGP KEEPALIVE");
        assert_eq!(field(&layers[0], "length"), ["19"]);
        assert!(decoded(&msg(4, &[0]))
            .0
            .starts_with("BGP KEEPALIVE malformed: 20 octets"));
    }

    #[test]
    fn route_refresh_and_unknown_types() {
        // RFC 2918 §3: AFI 1, reserved, SAFI 1.
        assert_eq!(decoded(&msg(5, &[0, 1, 0, 1])).0, "BGP ROUTE-REFRESH IPv4 unicast");
        assert_eq!(decoded(&msg(9, &[1, 2, 3])).0, "BGP type 9");
    }

    #[test]
    fn messages_back_to_back_are_each_a_layer() {
        let mut segment = msg(2, &update_body(&[], &ATTRS, &PREFIX));
        segment.extend(msg(4, &[]));
        let (info, layers) = decoded(&segment);
        assert_eq!(
            info,
            "BGP UPDATE 203.0.113.0/24 via 100.64.100.1, AS path 64500, origin IGP; BGP KEEPALIVE"
        );
        assert_eq!(layers.len(), 2);
        // At most 64 messages of a segment are decoded.
        let many: Vec<u8> = (0..70).flat_map(|_| msg(4, &[])).collect();
        let (info, layers) = decoded(&many);
        assert_eq!(layers.len(), 64);
        assert!(
            info.ends_with("; 114 more octets (at most 64 messages are decoded a segment)"),
            "{info}"
        );
    }

    #[test]
    fn a_message_cut_by_the_segment_and_one_continued_from_the_last() {
        let update = msg(2, &update_body(&[], &ATTRS, &PREFIX));
        let (info, layers) = decoded(&update[..30]);
        assert_eq!(info, "BGP UPDATE (first 30 of 47 octets in this segment)");
        assert_eq!(field(&layers[0], "in this segment"), ["30 of 47 octets"]);
        assert_eq!(decoded(&update[..10]).0, "BGP continuation, 10 octets");
        assert_eq!(
            decoded(&update[..17]).0,
            "BGP header (first 17 of 19 octets in this segment)"
        );
        // The rest of that UPDATE, then a KEEPALIVE.
        let mut segment = update[30..].to_vec();
        segment.extend(msg(4, &[]));
        let (info, layers) = decoded(&segment);
        assert_eq!(info, "BGP continuation, 17 octets; BGP KEEPALIVE");
        assert_eq!(layers.len(), 1);
    }

    #[test]
    fn bad_headers_and_prefixes_are_said() {
        let mut segment = msg(4, &[]);
        segment.extend([0xff; 15]);
        segment.extend([0xfe, 0, 19, 4]);
        assert_eq!(
            decoded(&segment).0,
            "BGP KEEPALIVE; BGP? marker not all ones (RFC 4271 §4.1) at offset 19, 19 octets left undecoded"
        );
        let mut short = msg(4, &[]);
        short[17] = 18;
        assert!(decoded(&short)
            .0
            .starts_with("BGP? length 18 is less than the 19-octet header"));
        // Longer than 4096 octets (RFC 4271 §4.1), unless RFC 8654's extended messages.
        let (info, _) = decoded(&msg(2, &update_body(&[], &[], &[0; 4982])));
        assert!(
            info.ends_with("(length 5005 > 4096: only with the extended message capability, RFC 8654)"),
            "{info}"
        );
        // A /33 in IPv4 NLRI, a /129 in IPv6, a prefix cut short.
        assert_eq!(
            decoded(&msg(2, &update_body(&[], &ATTRS, &[33, 203, 0, 113, 0, 0]))).0,
            "BGP UPDATE malformed: NLRI: prefix length 33 > 32"
        );
        let attrs = [0x80, 15, 4, 0, 2, 1, 129];
        assert!(decoded(&msg(2, &update_body(&[], &attrs, &[])))
            .0
            .ends_with("prefix length 129 > 128"));
        assert!(decoded(&msg(2, &update_body(&[24, 203], &[], &[])))
            .0
            .contains("a /24 prefix needs 3 octets"));
    }

    #[test]
    fn no_bytes_make_it_panic() {
        let mut good = msg(
            1,
            &[4, 0xfb, 0xf4, 0, 90, 10, 0, 0, 1, 8, 2, 6, 65, 4, 0, 0, 0xfb, 0xf4],
        );
        good.extend(msg(2, &update_body(&PREFIX, &ATTRS, &PREFIX)));
        good.extend(msg(3, &[6, 2, 3, b'b', b'y', b'e']));
        for n in 0..=good.len() {
            decoded(&good[..n]);
            decoded(&good[n..]);
        }
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for round in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 120) as usize;
            let random = (0..len).map(|i| (seed >> (i % 56)) as u8 ^ i as u8);
            // A plausible header before the random octets, so that the bodies get garbage too.
            let mut bytes = vec![0xff; 16];
            bytes.extend(u16::try_from(HEADER + len).unwrap().to_be_bytes());
            bytes.push((round % 6) as u8);
            bytes.extend(random);
            if round % 7 == 0 {
                bytes.drain(..round % 20);
            }
            decoded(&bytes);
            // And every attribute type code over the same octets.
            let mut summary = Summary::default();
            let _ = attribute((round % 256) as u8, &bytes[bytes.len().min(19)..], &mut summary);
        }
    }
}
