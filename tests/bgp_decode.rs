//! `netlab pcap` on BGP: TCP segments from or to port 179 are decoded as BGP-4 messages
//! (src/packet/bgp/), one `BGP` layer per message. Two captures: one written here from
//! hand-built messages (the formats of RFC 4271 §4.2-4.5), and tests/fixtures/bgp-bird.pcap, a
//! real session between two BIRD 2.0.12 daemons recorded by `sudo tests/fixtures/bgp-bird.sh`
//! (two network namespaces joined by a veth pair; its header says what it does). That
//! recording's decoding was checked against `tshark -V -Y bgp` (Wireshark 4.0): the same
//! messages, capabilities, AS path, prefixes, error code, subcode and shutdown communication.

mod common;
use common::{netlab, of_type, trace};

use serde_json::Value;

/// A BGP message (RFC 4271 §4.1): the marker of all ones, the length, the type, the body.
fn bgp(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![0xff; 16];
    m.extend(u16::try_from(19 + body.len()).unwrap().to_be_bytes());
    m.push(kind);
    m.extend(body);
    m
}

/// An Ethernet frame with an IPv4 header and a TCP header (ACK PSH) around `payload`, from
/// 100.64.100.1:179 to 100.64.100.2:50000 or back. Checksums are left zero: netlab does not check them.
fn frame(from_speaker: bool, seq: u32, payload: &[u8]) -> Vec<u8> {
    let (src, dst, sport, dport) = if from_speaker {
        ([100, 64, 100, 1], [100, 64, 100, 2], 179u16, 50000u16)
    } else {
        ([100, 64, 100, 2], [100, 64, 100, 1], 50000, 179)
    };
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    let total = u16::try_from(20 + 20 + payload.len()).unwrap();
    f.extend([0x45, 0]);
    f.extend(total.to_be_bytes());
    f.extend([0, 1, 0x40, 0, 1, 6, 0, 0]);
    f.extend(src);
    f.extend(dst);
    f.extend(sport.to_be_bytes());
    f.extend(dport.to_be_bytes());
    f.extend(seq.to_be_bytes());
    f.extend(1u32.to_be_bytes());
    f.extend([0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
    f.extend(payload);
    f
}

/// A classic pcap of `frames`, one a millisecond.
fn write_pcap(path: &std::path::Path, frames: &[Vec<u8>]) {
    let mut writer = pcap_file::pcap::PcapWriter::new(std::fs::File::create(path).unwrap()).unwrap();
    for (i, data) in frames.iter().enumerate() {
        let ts = std::time::Duration::from_millis(i as u64);
        writer
            .write_packet(&pcap_file::pcap::PcapPacket::new(ts, data.len() as u32, data))
            .unwrap();
    }
}

/// The frames of `netlab --json pcap PATH`.
fn frames_of(path: &str) -> Vec<Value> {
    let (v, code) = trace(&["pcap", path]);
    assert_eq!(code, 0, "netlab pcap {path}: {v}");
    of_type(&v, "packet.frame").into_iter().cloned().collect()
}

fn info(frame: &Value) -> &str {
    frame["info"].as_str().unwrap()
}

/// The BGP layers of a frame, each as its (field, value) pairs.
fn bgp_layers(frame: &Value) -> Vec<Vec<(String, String)>> {
    frame["layers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["name"] == "BGP")
        .map(|l| serde_json::from_value(l["fields"].clone()).unwrap())
        .collect()
}

fn value<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} in {fields:?}"))
}

#[test]
fn hand_built_messages_on_port_179_are_decoded() {
    // OPEN (RFC 4271 §4.2): version 4, AS 64500, hold time 90, id 10.0.0.1, capabilities
    // (RFC 5492) multiprotocol IPv4 unicast, route refresh, 4-octet AS 64500.
    let caps = [1, 4, 0, 1, 0, 1, 2, 0, 65, 4, 0, 0, 0xfb, 0xf4];
    let mut open = vec![
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
    open.extend(caps);
    // UPDATE (§4.3): ORIGIN IGP, AS_PATH [64500] in 4 octets, NEXT_HOP, NLRI 203.0.113.0/24;
    // and a KEEPALIVE (§4.4) behind it in the same segment.
    let attrs = [
        0x40, 1, 1, 0, 0x40, 2, 6, 2, 1, 0, 0, 0xfb, 0xf4, 0x40, 3, 4, 100, 64, 100, 1,
    ];
    let mut update = vec![0, 0, 0, attrs.len() as u8];
    update.extend(attrs);
    update.extend([24, 203, 0, 113]);
    let mut update_and_keepalive = bgp(2, &update);
    update_and_keepalive.extend(bgp(4, &[]));
    // An UPDATE withdrawing 203.0.113.0/24, then a NOTIFICATION (§4.5) Cease / administrative
    // shutdown with a shutdown communication (RFC 9003).
    let withdraw = bgp(2, &[0, 4, 24, 203, 0, 113, 0, 0]);
    let mut cease = vec![6, 2, 11];
    cease.extend(b"maintenance");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bgp.pcap");
    let segments = [
        frame(false, 1, &bgp(1, &open)),
        frame(true, 1, &update_and_keepalive),
        frame(true, 67, &withdraw),
        frame(true, 94, &bgp(3, &cease)),
    ];
    write_pcap(&path, &segments);
    let frames = frames_of(path.to_str().unwrap());
    let infos: Vec<&str> = frames.iter().map(info).collect();
    assert_eq!(
        infos,
        [
            "BGP OPEN AS64500 hold 90 s id 10.0.0.1, capabilities: multiprotocol IPv4 unicast, route-refresh, \
             4-octet AS 64500",
            "BGP UPDATE 203.0.113.0/24 via 100.64.100.1, AS path 64500, origin IGP; BGP KEEPALIVE",
            "BGP UPDATE withdraws 203.0.113.0/24",
            "BGP NOTIFICATION Cease / administrative shutdown: \"maintenance\"",
        ]
    );
    let open = &bgp_layers(&frames[0])[0];
    assert_eq!(value(open, "my AS"), "64500");
    assert_eq!(value(open, "BGP identifier"), "10.0.0.1");
    let update = bgp_layers(&frames[1]);
    assert_eq!(update.len(), 2, "one layer per message");
    assert_eq!(
        value(&update[0], "AS_PATH"),
        "64500 (4-octet ASes) [well-known transitive]"
    );
    assert_eq!(value(&update[0], "NLRI"), "203.0.113.0/24");
    assert_eq!(value(&update[1], "type"), "KEEPALIVE (4)");
    let cease = &bgp_layers(&frames[3])[0];
    assert_eq!(value(cease, "error code"), "Cease (6)");
    assert_eq!(value(cease, "shutdown communication"), "maintenance");
    // The text output: the info on the frame's line, the layer's fields with -v.
    let out = netlab().args(["pcap", path.to_str().unwrap(), "-v"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("100.64.100.2:50000 -> 100.64.100.1:179")
            && text.contains("BGP OPEN AS64500 hold 90 s")
            && text.contains("BGP: marker 16 octets of all ones, length 27, type UPDATE (2), withdrawn 203.0.113.0/24"),
        "{text}"
    );
}

#[test]
fn a_segment_that_ends_or_starts_inside_a_message_says_so() {
    let update = bgp(2, &[0, 0, 0, 0, 24, 203, 0, 113]);
    let mut rest_then_keepalive = update[20..].to_vec();
    rest_then_keepalive.extend(bgp(4, &[]));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.pcap");
    write_pcap(
        &path,
        &[frame(true, 1, &update[..20]), frame(true, 21, &rest_then_keepalive)],
    );
    let frames = frames_of(path.to_str().unwrap());
    let infos: Vec<&str> = frames.iter().map(info).collect();
    assert_eq!(
        infos,
        [
            "BGP UPDATE (first 20 of 27 octets in this segment)",
            "BGP continuation, 7 octets; BGP KEEPALIVE",
        ]
    );
}

#[test]
fn a_bird_session_is_decoded_as_tshark_decodes_it() {
    let frames = frames_of("tests/fixtures/bgp-bird.pcap");
    assert!(frames.iter().all(|f| f.get("problem").is_none()), "{frames:?}");
    let infos: Vec<&str> = frames.iter().map(info).filter(|i| i.starts_with("BGP")).collect();
    // b (AS 4200000000) opens, a (AS 64500) answers; tshark: "My AS: 23456 (AS_TRANS)", then
    // capabilities 1, 2, 64 (restart time 120), 65 (AS number 4200000000), 70 and 71.
    let caps = "capabilities: multiprotocol IPv4 unicast, route-refresh, graceful restart (restart time 120 s, \
                helper only), 4-octet AS";
    assert_eq!(infos[0], format!("BGP OPEN AS4200000000 hold 9 s id 100.64.200.2, {caps} 4200000000, enhanced route refresh, long-lived graceful restart"));
    assert_eq!(infos[1], format!("BGP OPEN AS64500 hold 9 s id 100.64.200.1, {caps} 64500, enhanced route refresh, long-lived graceful restart"));
    let b_open = frames
        .iter()
        .find(|f| info(f).starts_with("BGP OPEN AS4200000000"))
        .unwrap();
    assert!(value(&bgp_layers(b_open)[0], "my AS").starts_with("23456 (AS_TRANS"));
    // tshark: AS_PATH 64500 as an AS4, NEXT_HOP 100.64.200.1, NLRI 203.0.113.0/24.
    assert!(
        infos.contains(&"BGP UPDATE 203.0.113.0/24 via 100.64.200.1, AS path 64500, origin IGP"),
        "{infos:?}"
    );
    assert_eq!(
        infos
            .iter()
            .filter(|i| **i == "BGP UPDATE End-of-RIB IPv4 unicast")
            .count(),
        2
    );
    assert!(infos.contains(&"BGP UPDATE withdraws 203.0.113.0/24"), "{infos:?}");
    // tshark shows 15 BGP frames: 2 OPENs, 8 KEEPALIVEs, 4 UPDATEs, 1 NOTIFICATION.
    assert_eq!(infos.len(), 15, "{infos:?}");
    assert_eq!(infos.iter().filter(|i| **i == "BGP KEEPALIVE").count(), 8);
    // tshark: "Cease (6)", "Administratively Shutdown (2)", "Shutdown Communication: maintenance".
    assert_eq!(
        infos[14],
        "BGP NOTIFICATION Cease / administrative shutdown: \"maintenance\""
    );
}
