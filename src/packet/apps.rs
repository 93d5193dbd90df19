//! What rides on UDP and TCP, said in one line and as a layer: DNS messages (hickory-proto),
//! QUIC long headers, TLS records and hellos, HTTP/1 request and status lines.

use hickory_proto::op::Message;

use super::layer::Layer;

fn push(layers: &mut Vec<Layer>, name: &str, fields: Vec<(&str, String)>) {
    layers.push(Layer::new(name, fields));
}

/// A DNS message on a DNS port: query or response, the question, the answers.
pub fn dns(payload: &[u8], layers: &mut Vec<Layer>) -> String {
    match Message::from_vec(payload) {
        Ok(m) => describe_dns(&m, layers),
        Err(_) => format!("DNS? {} octets that do not parse as a DNS message", payload.len()),
    }
}

/// A UDP payload on another port, described as DNS if it parses as a message with one question.
pub fn dns_by_looks(payload: &[u8], layers: &mut Vec<Layer>) -> Option<String> {
    let m = Message::from_vec(payload).ok().filter(|m| m.queries.len() == 1)?;
    Some(describe_dns(&m, layers))
}

fn describe_dns(m: &Message, layers: &mut Vec<Layer>) -> String {
    let q = m
        .queries
        .first()
        .map(|q| format!("{} {}", q.query_type(), q.name()))
        .unwrap_or_default();
    let response = m.metadata.message_type == hickory_proto::op::MessageType::Response;
    let answers: Vec<String> = m
        .answers
        .iter()
        .take(5)
        .map(|r| format!("{} {}", r.record_type(), crate::dns::present::rdata(&r.data)))
        .collect();
    push(
        layers,
        "DNS",
        vec![
            ("id", format!("{:#06x}", m.metadata.id)),
            ("kind", if response { "response" } else { "query" }.into()),
            ("question", q.clone()),
            ("rcode", m.metadata.response_code.to_string()),
            ("answers", m.answers.len().to_string()),
            ("authority", m.authorities.len().to_string()),
            ("additional", m.additionals.len().to_string()),
        ],
    );
    if response {
        let referral: Vec<String> = m
            .authorities
            .iter()
            .filter(|r| r.record_type() == hickory_proto::rr::RecordType::NS)
            .take(3)
            .map(|r| crate::dns::present::rdata(&r.data))
            .collect();
        let what = match (answers.is_empty(), referral.is_empty()) {
            (false, _) => answers.join(", "),
            (true, false) => format!("referral to {}", referral.join(", ")),
            (true, true) => "no answer (see the SOA in authority)".into(),
        };
        format!(
            "DNS response {:#06x} {} {}: {what}",
            m.metadata.id, m.metadata.response_code, q
        )
    } else {
        format!("DNS query {:#06x} {q}", m.metadata.id)
    }
}

/// A QUIC long header, and for a client Initial the SNI of the ClientHello inside.
pub fn quic(payload: &[u8], layers: &mut Vec<Layer>) -> String {
    let h = match crate::packet::quic::parse_long_header(payload) {
        Ok(h) => h,
        Err(e) => return format!("QUIC? {e}"),
    };
    let mut fields = vec![
        ("version", format!("{:#010x}", h.version)),
        ("type", h.packet_type.clone()),
        ("dcid", h.dcid.clone()),
        ("scid", h.scid.clone()),
    ];
    let mut info = format!("QUIC {} DCID {} SCID {}", h.packet_type, h.dcid, h.scid);
    if h.packet_type == "Initial" {
        if let Ok(opened) = crate::packet::quic::open_initial(payload, None, true) {
            fields.push(("packet number", opened.packet_number.to_string()));
            fields.extend(opened.frames.iter().map(|f| ("frame", f.described())));
            // How it was opened, step by step (RFC 9001 §5): shown with -v.
            for step in &opened.steps {
                fields.push(("decryption", step.clone()));
            }
            if let Some(sni) = opened
                .client_hello
                .as_ref()
                .and_then(|ch| ch.extensions.iter().find(|e| e.ext_type.name == "server_name"))
                .and_then(|e| e.decoded.first())
            {
                info.push_str(&format!(", ClientHello SNI {sni} (decrypted with the Initial keys)"));
            }
        }
    }
    push(layers, "QUIC", fields);
    info
}

/// TLS records or HTTP/1 on TCP; otherwise just the length.
pub fn over_tcp(payload: &[u8], layers: &mut Vec<Layer>) -> String {
    if let Some(line) = http1_line(payload) {
        push(layers, "HTTP/1", vec![("line", line.clone())]);
        return line;
    }
    if let [t @ 20..=24, 3, 0..=4, ..] = payload {
        return tls(*t, payload, layers);
    }
    format!("{} octets of data", payload.len())
}

fn http1_line(p: &[u8]) -> Option<String> {
    const STARTS: [&[u8]; 9] = [
        b"GET ",
        b"POST ",
        b"HEAD ",
        b"PUT ",
        b"DELETE ",
        b"OPTIONS ",
        b"PATCH ",
        b"CONNECT ",
        b"HTTP/1.",
    ];
    if !STARTS.iter().any(|s| p.starts_with(s)) {
        return None;
    }
    let end = p
        .iter()
        .take(512)
        .position(|b| *b == b'\r' || *b == b'\n')
        .unwrap_or(p.len().min(512));
    Some(String::from_utf8_lossy(&p[..end]).into_owned())
}

/// TLS records in a segment: content types, and a ClientHello's SNI and ALPN.
fn tls(_first: u8, payload: &[u8], layers: &mut Vec<Layer>) -> String {
    let mut kinds = Vec::new();
    let mut rest = payload;
    let mut hello = None;
    let mut after_ccs = false;
    while let Ok(Some((rec, used))) = crate::tls::record::parse(rest) {
        let mut kind = rec.content_type.to_string();
        if rec.content_type == crate::tls::record::ContentType::Handshake {
            if let Some(&t) = rec.fragment.first() {
                let name = crate::tls::handshake::message_name(t);
                // After ChangeCipherSpec (TLS 1.2 and earlier) a handshake record is encrypted
                // (its Finished, RFC 5246 §7.4.9): its first octet is ciphertext, not a type.
                // Wireshark calls such a record an "Encrypted Handshake Message".
                kind = if after_ccs || name.starts_with("unknown(") {
                    "Encrypted Handshake Message".into()
                } else {
                    name
                };
                if t == 1 && !after_ccs {
                    hello = crate::tls::handshake::decode_hello(rec.fragment).ok();
                }
            }
        }
        after_ccs |= rec.content_type == crate::tls::record::ContentType::ChangeCipherSpec;
        kinds.push(kind);
        rest = &rest[used..];
        if kinds.len() > 64 {
            break;
        }
    }
    if kinds.is_empty() {
        // Only a record's start is here: its header says what and how long (RFC 8446 §5.1).
        let declared = payload.get(3..5).map_or(0, |l| u16::from_be_bytes([l[0], l[1]]));
        let kind = payload
            .first()
            .map(|t| crate::tls::record::ContentType::from(*t).to_string())
            .unwrap_or_default();
        return format!("TLS {kind} record of {declared} octets (only its start is here)");
    }
    let mut fields = vec![("records", kinds.join(", "))];
    let mut info = format!("TLS {}", kinds.join(", "));
    if let Some(h) = hello {
        let ext = |n: &str| {
            h.extensions
                .iter()
                .find(|e| e.ext_type.name == n)
                .map(|e| e.decoded.join(","))
        };
        if let Some(sni) = ext("server_name") {
            info.push_str(&format!(" SNI {sni}"));
            fields.push(("sni", sni));
        }
        if let Some(alpn) = ext("application_layer_protocol_negotiation") {
            info.push_str(&format!(" ALPN {alpn}"));
            fields.push(("alpn", alpn));
        }
    }
    push(layers, "TLS", fields);
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tls_1_2_finished_after_change_cipher_spec_is_an_encrypted_handshake_message() {
        // ChangeCipherSpec, then a 40-octet handshake record whose first octet (0xe8 = 232) is
        // ciphertext.
        let mut p = vec![0x14, 0x03, 0x03, 0x00, 0x01, 0x01, 0x16, 0x03, 0x03, 0x00, 0x28, 0xe8];
        p.extend([0x5a; 39]);
        let info = tls(p[0], &p, &mut Vec::new());
        assert_eq!(info, "TLS change_cipher_spec, Encrypted Handshake Message");
        // Alone in its segment (the CCS came in the one before): the unknown type says so.
        let alone = &p[6..];
        assert_eq!(tls(alone[0], alone, &mut Vec::new()), "TLS Encrypted Handshake Message");
        // A real message keeps its name.
        let finished_type = [0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00];
        assert_eq!(tls(0x16, &finished_type, &mut Vec::new()), "TLS ServerHello");
    }
}
