//! NOTIFICATION, sent before closing the connection: the error, and a shutdown communication.

use super::Fields;

/// NOTIFICATION (RFC 4271 §4.5): an error code, a subcode and data; the connection closes
/// right after it. A Cease for an administrative shutdown or reset may carry a message for the
/// peer's operator: a length octet, then up to 255 octets of UTF-8 (RFC 9003 §2).
pub(super) fn notification(body: &[u8], f: &mut Fields) -> Result<String, String> {
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

#[cfg(test)]
mod tests {
    use crate::packet::bgp::build::{decoded, field, msg};

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
}
