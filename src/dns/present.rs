//! Records in presentation format (RFC 1035 §5.1, the master-file syntax), exactly as `dig
//! +short` prints them, so what netlab shows can be pasted into a zone file or compared with
//! dig line by line. hickory's `Display` is close but not that: TXT loses the boundaries
//! between its strings, SVCB value lists end in a comma, RRSIG times are epoch seconds.
//!
//! One function per record type whose text differs; every other type keeps hickory's text,
//! which already matches (A, AAAA, NS, CNAME, PTR, MX, SOA, SRV, NSEC, CAA's layout...).

use std::fmt::Write as _;

use data_encoding::{BASE32HEX_NOPAD, BASE64, HEXUPPER};
use hickory_proto::dnssec::rdata::{DNSSECRData, DNSKEY, DS, NSEC3, RRSIG};
use hickory_proto::dnssec::PublicKey as _;
use hickory_proto::rr::rdata::svcb::{SvcParamKey, SvcParamValue, SVCB};
use hickory_proto::rr::rdata::{CAA, TXT};
use hickory_proto::rr::RData;

/// dig splits long base64 and hex fields into words of this many characters (its `+split`
/// default); RFC 4034 §2.2 and §5.3 allow whitespace inside them.
const SPLIT: usize = 56;

/// The record data in presentation format.
pub fn rdata(data: &RData) -> String {
    match data {
        RData::TXT(t) => txt(t),
        RData::CAA(c) => caa(c),
        RData::SVCB(s) => svcb(s),
        RData::HTTPS(h) => svcb(&h.0),
        RData::DNSSEC(DNSSECRData::RRSIG(s)) => rrsig(s),
        RData::DNSSEC(DNSSECRData::DNSKEY(k)) => dnskey(k),
        RData::DNSSEC(DNSSECRData::DS(d)) => ds(d),
        RData::DNSSEC(DNSSECRData::NSEC3(n)) => nsec3(n),
        // RFC 3597 §5: a type this code does not know, as `\# LENGTH HEX`.
        RData::Unknown { rdata, .. } => {
            let bytes = &rdata.anything;
            format!("\\# {} {}", bytes.len(), split(&HEXUPPER.encode(bytes)))
        }
        other => other.to_string(),
    }
}

/// The strings of a TXT record, each as text (invalid UTF-8 replaced), for JSON.
pub fn txt_strings(data: &RData) -> Option<Vec<String>> {
    match data {
        RData::TXT(t) => Some(
            t.txt_data
                .iter()
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect(),
        ),
        _ => None,
    }
}

/// A `<character-string>` in quotes (RFC 1035 §5.1): `"` and `\` escaped with a backslash,
/// bytes outside printable ASCII as `\DDD`, as BIND writes them.
pub fn char_string(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &b in bytes {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\{b:03}");
            }
        }
    }
    out.push('"');
    out
}

/// TXT (RFC 1035 §3.3.14): each string quoted, separated by a space, so the boundaries between
/// them (which SPF and DKIM rely on) stay visible.
fn txt(t: &TXT) -> String {
    t.txt_data.iter().map(|s| char_string(s)).collect::<Vec<_>>().join(" ")
}

/// CAA (RFC 8659 §4.1.1): flags, tag, and the value as a quoted string.
fn caa(c: &CAA) -> String {
    format!("{} {} {}", c.flags(), c.tag, char_string(&c.value))
}

/// SVCB and HTTPS (RFC 9460 §2.1): priority, target, then `key=value` pairs; value lists are
/// comma-separated with no trailing comma, and the alpn list is quoted as dig quotes it.
fn svcb(s: &SVCB) -> String {
    let mut out = format!("{} {}", s.svc_priority, s.target_name);
    for (key, value) in &s.svc_params {
        let _ = write!(out, " {}", key_name(*key));
        let value = match value {
            SvcParamValue::Mandatory(m) => m.0.iter().map(|k| key_name(*k)).collect::<Vec<_>>().join(","),
            SvcParamValue::Alpn(a) => {
                let ids: Vec<String> =
                    a.0.iter()
                        .map(|id| id.replace('\\', "\\\\\\\\").replace(',', "\\\\,"))
                        .collect();
                format!("\"{}\"", ids.join(","))
            }
            SvcParamValue::NoDefaultAlpn => continue,
            SvcParamValue::Port(p) => p.to_string(),
            SvcParamValue::Ipv4Hint(h) => h.0.iter().map(ToString::to_string).collect::<Vec<_>>().join(","),
            SvcParamValue::Ipv6Hint(h) => h.0.iter().map(ToString::to_string).collect::<Vec<_>>().join(","),
            SvcParamValue::EchConfigList(e) => BASE64.encode(&e.0),
            SvcParamValue::Unknown(u) => char_string(&u.0),
        };
        let _ = write!(out, "={value}");
    }
    out
}

/// A SvcParamKey's name (RFC 9460 §14.3.2), or `keyNNNNN` for one without a name (§2.1).
fn key_name(key: SvcParamKey) -> String {
    match key {
        SvcParamKey::Key(_) | SvcParamKey::Key65535 | SvcParamKey::Unknown(_) => format!("key{}", u16::from(key)),
        named => named.to_string(),
    }
}

/// RRSIG (RFC 4034 §3.2): the algorithm as its number and the validity period as
/// `YYYYMMDDHHmmSS` in UTC (§3.2 allows either that or epoch seconds; dig writes dates).
fn rrsig(s: &RRSIG) -> String {
    let i = s.input();
    format!(
        "{} {} {} {} {} {} {} {} {}",
        i.type_covered,
        u8::from(i.algorithm),
        i.num_labels,
        i.original_ttl,
        timestamp(i.sig_expiration.get()),
        timestamp(i.sig_inception.get()),
        i.key_tag,
        i.signer_name,
        split(&BASE64.encode(s.sig()))
    )
}

/// DNSKEY (RFC 4034 §2.2): flags, protocol 3, algorithm number, the key in base64.
fn dnskey(k: &DNSKEY) -> String {
    format!(
        "{} 3 {} {}",
        k.flags(),
        u8::from(k.public_key().algorithm()),
        split(&BASE64.encode(k.public_key().public_bytes()))
    )
}

/// DS (RFC 4034 §5.3): key tag, algorithm and digest type numbers, the digest in hex.
fn ds(d: &DS) -> String {
    format!(
        "{} {} {} {}",
        d.key_tag(),
        u8::from(d.algorithm()),
        u8::from(d.digest_type()),
        split(&HEXUPPER.encode(d.digest()))
    )
}

/// NSEC3 (RFC 5155 §3.3): the salt in hex (`-` when empty) and the next hashed owner name in
/// upper-case base32hex, as dig writes it.
fn nsec3(n: &NSEC3) -> String {
    let salt = if n.salt().is_empty() {
        "-".to_string()
    } else {
        HEXUPPER.encode(n.salt())
    };
    let mut out = format!(
        "{} {} {} {salt} {}",
        u8::from(n.hash_algorithm()),
        n.flags(),
        n.iterations(),
        BASE32HEX_NOPAD.encode(n.next_hashed_owner_name())
    );
    for t in n.type_bit_maps() {
        let _ = write!(out, " {t}");
    }
    out
}

/// A long base64 or hex field cut into words of [`SPLIT`] characters.
fn split(field: &str) -> String {
    field
        .as_bytes()
        .chunks(SPLIT)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Seconds since the Unix epoch as `YYYYMMDDHHmmSS` in UTC (RFC 4034 §3.2).
pub fn timestamp(epoch: u32) -> String {
    let secs = u64::from(epoch);
    let (y, m, d) = crate::calendar::civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::svcb::{Alpn, IpHint, Mandatory};
    use hickory_proto::rr::rdata::{A, HTTPS};
    use hickory_proto::rr::Name;

    #[test]
    fn txt_keeps_each_string_quoted_and_escaped() {
        let t = RData::TXT(TXT::from_bytes(vec![
            b"netlab lab",
            b"second string",
            b"say \"hi\" \\ \x01",
        ]));
        assert_eq!(rdata(&t), r#""netlab lab" "second string" "say \"hi\" \\ \001""#);
        assert_eq!(
            txt_strings(&t).unwrap(),
            ["netlab lab", "second string", "say \"hi\" \\ \u{1}"]
        );
    }

    #[test]
    fn https_lists_have_no_trailing_comma() {
        let s = SVCB::new(
            1,
            Name::root(),
            vec![
                (
                    SvcParamKey::Mandatory,
                    SvcParamValue::Mandatory(Mandatory(vec![SvcParamKey::Alpn, SvcParamKey::Port])),
                ),
                (
                    SvcParamKey::Alpn,
                    SvcParamValue::Alpn(Alpn(vec!["h3".into(), "h2".into()])),
                ),
                (SvcParamKey::NoDefaultAlpn, SvcParamValue::NoDefaultAlpn),
                (SvcParamKey::Port, SvcParamValue::Port(8443)),
                (
                    SvcParamKey::Ipv4Hint,
                    SvcParamValue::Ipv4Hint(IpHint(vec![A::new(192, 0, 2, 10), A::new(192, 0, 2, 11)])),
                ),
            ],
        );
        assert_eq!(
            rdata(&RData::HTTPS(HTTPS(s))),
            r#"1 . mandatory=alpn,port alpn="h3,h2" no-default-alpn port=8443 ipv4hint=192.0.2.10,192.0.2.11"#
        );
    }

    #[test]
    fn timestamps_are_utc_dates() {
        assert_eq!(timestamp(0), "19700101000000");
        assert_eq!(timestamp(1_796_754_919), "20261208183519");
        assert_eq!(timestamp(951_782_400), "20000229000000");
        assert_eq!(timestamp(u32::MAX), "21060207062815");
    }

    #[test]
    fn long_fields_are_split_as_dig_splits_them() {
        let hex = "E70BA2FEC0177080B13429DD140E2766C5669B208586E20F21836ABDA67BF2DD";
        assert_eq!(
            split(hex),
            "E70BA2FEC0177080B13429DD140E2766C5669B208586E20F21836ABD A67BF2DD"
        );
    }
}
