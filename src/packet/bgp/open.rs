//! OPEN, the first message each side sends: its AS, hold time and identifier, and the
//! capabilities it announces in the optional parameters.

use std::net::Ipv4Addr;

use super::afi::afi_safi;
use super::{big_endian, Fields, Reader};

/// The 2-octet stand-in for an AS number that does not fit in 2 octets (RFC 6793).
const AS_TRANS: u16 = 23456;

/// OPEN (RFC 4271 §4.2): version, My Autonomous System, Hold Time, BGP Identifier, then the
/// optional parameters; the one in use is Capabilities (type 2, RFC 5492 §4), a list of
/// (code, length, value).
pub(super) fn open(body: &[u8], f: &mut Fields) -> Result<String, String> {
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

#[cfg(test)]
mod tests {
    use crate::packet::bgp::build::{decoded, field, msg};

    /// An OPEN body (RFC 4271 §4.2): version 4, My AS 64500, hold time 90, BGP identifier
    /// 10.0.0.1, and `caps` in one Capabilities optional parameter (type 2, RFC 5492 §4).
    fn open_64500(caps: &[u8]) -> Vec<u8> {
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
        body
    }

    #[test]
    fn an_open_names_its_capabilities() {
        // RFC 4271 §4.2: version 4, My AS 64500, hold time 90, BGP identifier 10.0.0.1, then one
        // optional parameter of type 2 (RFC 5492 §4) holding capabilities 1 (IPv4 unicast,
        // RFC 4760 §8), 2 (route refresh, RFC 2918 §2) and 65 (4-octet AS 64500, RFC 6793).
        let caps = [1, 4, 0, 1, 0, 1, 2, 0, 65, 4, 0, 0, 0xfb, 0xf4];
        let body = open_64500(&caps);
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
        let body = open_64500(&caps);
        let (info, _) = decoded(&msg(1, &body));
        assert!(
            info.ends_with(
                "capabilities: graceful restart (restart time 120 s, restarting, IPv4 unicast with forwarding kept), \
                 ADD-PATH (IPv4 unicast send/receive), FQDN hostname rta"
            ),
            "{info}"
        );
    }
}
