//! UPDATE: withdrawn routes, path attributes (AS_PATH, MP_REACH_NLRI, MP_UNREACH_NLRI and the
//! others) and NLRI, said in one line.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::afi::afi_safi;
use super::prefix::{family, prefixes, Family};
use super::{big_endian, Fields, Reader};

/// The first few of `list`, for the info line.
fn few(list: &[String]) -> String {
    match list.len() {
        0..=3 => list.join(", "),
        n => format!("{} and {} more", list[..3].join(", "), n - 3),
    }
}

/// What an UPDATE's attributes say, for its info line.
#[derive(Default)]
pub(super) struct Summary {
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
pub(super) fn update(body: &[u8], f: &mut Fields) -> Result<String, String> {
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
pub(super) fn attribute(code: u8, v: &[u8], s: &mut Summary) -> Result<(&'static str, String), String> {
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

#[cfg(test)]
mod tests {
    use super::as_path;
    use crate::packet::bgp::build::{decoded, field, msg, update_body, ATTRS, PREFIX};

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
}
