//! QUIC Initial protection against RFC 9001 Appendix A (../shared/vectors/rfc9001-quic-initial.txt):
//! the Initial keys from the DCID, header protection, decryption of the client's and the server's
//! Initial packets, and the ClientHello (SNI) found inside.

use netlab::packet::quic::{initial_keys, open_initial, parse_long_header, INITIAL_SALT_V1};

fn vector(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/vectors/rfc9001-quic-initial.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let line = text
        .lines()
        .find(|l| l.split(' ').next() == Some(name))
        .unwrap_or_else(|| panic!("no vector {name}"));
    let hex = line.rsplit(" = ").next().unwrap();
    netlab::hex::decode(hex).unwrap_or_else(|| panic!("{name} is not hex"))
}

#[test]
fn initial_keys_from_the_dcid() {
    assert_eq!(INITIAL_SALT_V1.to_vec(), vector("initial_salt"));
    let dcid = vector("dcid");
    let client = initial_keys(&dcid, true);
    assert_eq!(client.initial_secret, vector("initial_secret"));
    assert_eq!(client.secret, vector("client_initial.secret"));
    assert_eq!(client.key, vector("client_initial.key"));
    assert_eq!(client.iv, vector("client_initial.iv"));
    assert_eq!(client.hp, vector("client_initial.hp"));
    let server = initial_keys(&dcid, false);
    assert_eq!(server.secret, vector("server_initial.secret"));
    assert_eq!(server.key, vector("server_initial.key"));
    assert_eq!(server.iv, vector("server_initial.iv"));
    assert_eq!(server.hp, vector("server_initial.hp"));
}

#[test]
fn the_client_initial_decrypts_to_the_rfc_payload_and_its_client_hello() {
    let packet = vector("client_initial_packet.protected_packet");
    let h = parse_long_header(&packet).unwrap();
    assert_eq!(
        (h.version, h.packet_type.as_str(), h.dcid.as_str()),
        (1, "Initial", "8394c8f03e515708")
    );
    assert_eq!(h.length, Some(1182));
    let opened = open_initial(&packet, None, true).unwrap();
    assert_eq!(opened.packet_number, 2);
    let crypto = vector("client_initial_packet.crypto_frame");
    assert_eq!(&opened.payload[..crypto.len()], &crypto[..]);
    assert!(opened.payload[crypto.len()..].iter().all(|b| *b == 0), "then PADDING");
    assert_eq!(opened.payload.len(), 1162);
    let mask = vector("client_initial_packet.mask");
    let sample = vector("client_initial_packet.sample");
    let hex = netlab::hex::encode;
    assert!(
        opened
            .steps
            .iter()
            .any(|s| s.contains(&hex(&sample)) && s.contains(&hex(&mask))),
        "{:?}",
        opened.steps
    );
    let hello = opened.client_hello.expect("a ClientHello in the CRYPTO frame");
    let sni = hello
        .extensions
        .iter()
        .find(|e| e.ext_type.name == "server_name")
        .unwrap();
    assert_eq!(sni.decoded[0], "example.com");
    assert_eq!(opened.frames[0].described(), "CRYPTO off=0 len=241");
    assert_eq!(opened.frames[1].name, "PADDING");
}

#[test]
fn the_server_initial_decrypts_with_the_clients_dcid() {
    let packet = vector("server_initial_packet.protected_packet");
    let dcid = vector("dcid");
    let opened = open_initial(&packet, Some(&dcid), false).unwrap();
    assert_eq!(opened.packet_number, 1);
    assert_eq!(opened.payload, vector("server_initial_packet.payload"));
    assert_eq!(opened.frames[0].described(), "ACK 0", "{:?}", opened.frames);
    assert!(opened.client_hello.is_none(), "a ServerHello, not a ClientHello");
    let hello = opened.server_hello.expect("the ServerHello in the CRYPTO frame");
    assert_eq!(hello.kind, "ServerHello");
    assert_eq!(hello.cipher_suites[0].name, "TLS_AES_128_GCM_SHA256");
    // With the wrong side's keys it does not open.
    assert!(open_initial(&packet, Some(&dcid), true).is_err());
}

#[test]
fn garbage_and_cut_packets_get_named_errors() {
    let packet = vector("client_initial_packet.protected_packet");
    for cut in [0, 1, 5, 10, 20, 30, 100] {
        assert!(open_initial(&packet[..cut], None, true).is_err(), "cut at {cut}");
    }
    assert!(parse_long_header(&[0x40, 1, 2])
        .unwrap_err()
        .to_string()
        .contains("short header"));
    let mut v2 = packet.clone();
    v2[1..5].copy_from_slice(&[0x6b, 0x33, 0x43, 0xcf]);
    assert!(open_initial(&v2, None, true)
        .unwrap_err()
        .to_string()
        .contains("not QUIC version 1"));
    let mut flipped = packet.clone();
    flipped[600] ^= 1;
    assert!(open_initial(&flipped, None, true)
        .unwrap_err()
        .to_string()
        .contains("does not decrypt"));
}

/// RFC 9001 Appendix A.3 through the general long-header path `netlab pcap` follows a
/// connection with: the server's Initial keys as packet keys (AES-128-GCM, SHA-256), the long
/// header's protection removed (four flag bits), the payload opened and its frames named.
#[test]
fn the_server_initial_opens_as_any_long_header_packet_with_its_space_keys() {
    use netlab::packet::onertt::{decode_packet_number, frames, open, unprotect_long, OneRttKeys};
    let packet = vector("server_initial_packet.protected_packet");
    let h = parse_long_header(&packet).unwrap();
    let keys = OneRttKeys::derive(0x1301, &vector("server_initial.secret")).unwrap();
    let header = unprotect_long(&packet[..h.packet_len], h.pn_offset, &keys).unwrap();
    assert_eq!(header.unmasked, vector("server_initial_packet.unprotected_header"));
    let pn = decode_packet_number(None, header.truncated_pn, header.pn_len);
    assert_eq!(pn, 1);
    let payload = open(&packet[..h.packet_len], &header, pn, &keys).unwrap();
    assert_eq!(payload, vector("server_initial_packet.payload"));
    let named: Vec<String> = frames(&payload).iter().map(|f| f.described()).collect();
    assert_eq!(named, ["ACK 0", "CRYPTO off=0 len=90"]);
    // The client's keys do not open the server's packet.
    let wrong = OneRttKeys::derive(0x1301, &vector("client_initial.secret")).unwrap();
    let unmasked = unprotect_long(&packet, h.pn_offset, &wrong);
    assert!(unmasked.is_ok_and(|u| open(&packet[..h.packet_len], &u, pn, &wrong).is_err()));
}
