//! ROUTE-REFRESH, a request to the peer for one family's routes again.

use super::afi::afi_safi;
use super::Fields;

/// ROUTE-REFRESH (RFC 2918 §3): a request to send the routes of one family again; with
/// enhanced route refresh (RFC 7313) its reserved octet marks the refresh's start and end.
pub(super) fn route_refresh(body: &[u8], f: &mut Fields) -> Result<String, String> {
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
    use crate::packet::bgp::build::{decoded, msg};

    #[test]
    fn route_refresh_and_unknown_types() {
        // RFC 2918 §3: AFI 1, reserved, SAFI 1.
        assert_eq!(decoded(&msg(5, &[0, 1, 0, 1])).0, "BGP ROUTE-REFRESH IPv4 unicast");
        assert_eq!(decoded(&msg(9, &[1, 2, 3])).0, "BGP type 9");
    }
}
