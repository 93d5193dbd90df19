//! Address families, as OPEN capabilities, MP_REACH/MP_UNREACH_NLRI and ROUTE-REFRESH name them.

/// An Address Family Identifier (IANA's Address Family Numbers) and Subsequent AFI (RFC 4760
/// §6), as Wireshark words them.
pub(super) fn afi_safi(afi: u16, safi: u8) -> String {
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
