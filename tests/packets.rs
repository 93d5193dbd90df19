//! `netlab pcap` on the captures in captures/ and on bad files, and `netlab capture` live on
//! loopback (as root; elsewhere, the error that names the fix).

mod common;
use common::{netlab, of_type, trace, FULL_HANDSHAKE};
use std::io::Write;

use predicates::prelude::*;
use serde_json::Value;

/// `netlab --json pcap ARGS`, which must succeed: its trace.
fn pcap_json(args: &[&str]) -> Value {
    let (v, code) = trace(&[&["pcap"], args].concat());
    assert_eq!(code, 0, "netlab pcap {args:?}");
    v
}

#[test]
fn every_capture_decodes_with_annotations() {
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/captures")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("pcap") {
            continue;
        }
        let v = pcap_json(&[path.to_str().unwrap()]);
        let frames = of_type(&v, "packet.frame");
        assert!(!frames.is_empty(), "{}", path.display());
        assert!(
            frames.iter().all(|f| f.get("problem").is_none()),
            "{}: {frames:?}",
            path.display()
        );
        assert_eq!(v["outcome"]["status"], "ok");
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/captures/README.md")).unwrap();
        assert!(
            readme.contains(path.file_name().unwrap().to_str().unwrap()),
            "captures/README.md says what {} shows",
            path.display()
        );
    }
}

#[test]
fn dns_tls_and_quic_are_recognised() {
    let dns = pcap_json(&["captures/dns-walk.pcap"]);
    let infos: Vec<&str> = of_type(&dns, "packet.frame")
        .iter()
        .map(|f| f["info"].as_str().unwrap())
        .collect();
    assert!(
        infos
            .iter()
            .any(|i| i.starts_with("DNS query") && i.ends_with("A www.example.com.")),
        "{infos:?}"
    );
    assert!(infos.iter().any(|i| i.contains("referral to")), "{infos:?}");
    assert!(infos.iter().any(|i| i.contains("A 192.0.2.80")), "{infos:?}");
    let tls = pcap_json(&["captures/tls13-handshake.pcap", "--proto", "tls"]);
    let hello = of_type(&tls, "packet.frame")[0];
    assert!(
        hello["info"]
            .as_str()
            .unwrap()
            .contains("ClientHello SNI www.example.com"),
        "{hello}"
    );
    let quic = pcap_json(&["captures/quic-initial.pcap", "--proto", "quic", "-c", "1"]);
    let initial = of_type(&quic, "packet.frame")[0];
    assert!(
        initial["info"]
            .as_str()
            .unwrap()
            .contains("SNI www.example.com (decrypted with the Initial keys)"),
        "{initial}"
    );
    let frames = of_type(&quic, "packet.frame");
    assert_eq!(frames.len(), 1, "-c 1");
    netlab()
        .args(["pcap", "captures/quic-initial.pcap", "--proto", "quic", "-c", "1", "-v"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("initial_secret = HKDF-Extract(salt, DCID)")
                .and(predicate::str::contains("no confidentiality")),
        );
}

#[test]
fn tcp_numbers_are_relative_and_streams_tell_the_story() {
    let v = pcap_json(&["captures/tcp-handshake.pcap", "--proto", "tcp", "--streams"]);
    let frames = of_type(&v, "packet.frame");
    let syn = frames[0];
    assert_eq!(syn["tcp"]["flags"], 0x02);
    assert_eq!(syn["relative"], serde_json::json!([0, 0]));
    let options = syn["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "TCP")
        .unwrap()["fields"]
        .to_string();
    assert!(
        options.contains("mss") && options.contains("wscale") && options.contains("sack_perm"),
        "{options}"
    );
    assert_eq!(
        frames[1]["relative"],
        serde_json::json!([0, 1]),
        "the SYN-ACK acknowledges the SYN's one sequence number"
    );
    let s = of_type(&v, "packet.stream")[0];
    let [a, b, c] = [0, 1, 2].map(|i| s["handshake"][i].as_u64().unwrap());
    assert!(a < b && b < c, "{s}");
    assert!(s["rtt_us"].as_u64().is_some());
    assert_eq!(s["ending"], "closed: FIN and ACK each way");
    assert!(s["time_wait"].as_str().unwrap().contains("closed first"));
    assert!(
        s["bytes_server_to_client"].as_u64().unwrap() > 1000,
        "the certificate and the answer"
    );
}

#[test]
fn bad_files_get_one_clear_line_and_cut_files_keep_what_they_have() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.pcap");
    std::fs::write(&garbage, b"this is not a capture at all").unwrap();
    netlab().arg("pcap").arg(&garbage).assert().code(2).stderr(
        predicate::str::contains("not a pcap or pcapng file: it starts with 74 68 69 73 (\"this\")")
            .and(predicate::str::contains("\n").count(1))
            // One hint, said once.
            .and(predicate::str::contains("pcap or pcapng").count(2)),
    );
    let empty = dir.path().join("empty.pcap");
    std::fs::write(&empty, b"").unwrap();
    netlab()
        .arg("pcap")
        .arg(&empty)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("empty"));
    netlab().args(["pcap", "/nonexistent.pcap"]).assert().code(3);
    // Cut in the middle of a record: the frames before are shown on stdout, then the one-line
    // error on stderr naming the frame and the offset, exit 2 (bad input).
    let whole = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/captures/dns-walk.pcap")).unwrap();
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &whole[..whole.len() - 30]).unwrap();
    let out = netlab().args(["pcap"]).arg(&cut).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("DNS query") && !text.contains("failed"), "{text}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("netlab: ") && err.contains("the file ends inside frame") && err.contains("at byte offset"),
        "{err}"
    );
    // Standard input works too.
    netlab()
        .args(["pcap", "-", "-c", "2"])
        .write_stdin(whole)
        .assert()
        .success()
        .stdout(predicate::str::contains("2 shown"));
}

/// A UDP datagram to `port` on loopback every 50 ms for a while.
fn send_udp(port: u16) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        for i in 0..60 {
            let _ = socket.send_to(format!("netlab test datagram {i}").as_bytes(), ("127.0.0.1", port));
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    })
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

#[test]
fn live_capture_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("live.pcap");
    let port = 40_000 + (std::process::id() % 20_000) as u16;
    if !is_root() {
        netlab()
            .args(["capture", "-i", "lo", "-c", "1"])
            .assert()
            .failure()
            .stderr(predicate::str::contains("setcap cap_net_raw+ep"));
        return;
    }
    let sender = send_udp(port);
    let out = netlab()
        .args([
            "capture",
            "-i",
            "lo",
            "--port",
            &port.to_string(),
            "-c",
            "3",
            "--for",
            "20",
            "-w",
        ])
        .arg(&file)
        .output()
        .unwrap();
    sender.join().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(text.matches(&format!("-> 127.0.0.1:{port}  UDP")).count(), 3, "{text}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    // What was written reads back.
    let v = pcap_json(&[file.to_str().unwrap(), "--port", &port.to_string()]);
    assert!(of_type(&v, "packet.frame").len() >= 3);
    netlab()
        .args(["capture", "-i", "no-such-interface0", "-c", "1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does not exist"));
}

#[test]
fn decoding_never_panics_on_any_bytes() {
    use netlab::packet::layers::{decode, Link};
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for round in 0..20_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let len = (seed % 200) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|i| (seed >> (i % 56)) as u8 ^ i as u8).collect();
        // Make some of them look like IPv4/UDP or TCP so the deeper layers get garbage too.
        if round % 3 == 0 && bytes.len() > 24 {
            bytes[0] = 0x45;
            bytes[9] = if round % 2 == 0 { 17 } else { 6 };
        }
        for link in [Link::Ethernet, Link::Raw, Link::Null, Link::Sll, Link::Sll2] {
            let _ = decode(link, &bytes);
        }
    }
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]).unwrap();
    f.write_all(&[0u8; 16]).unwrap();
    f.write_all(&[1, 0, 0, 0]).unwrap();
    f.write_all(&[0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x7f])
        .unwrap();
    let out = netlab().arg("pcap").arg(f.path()).output().unwrap();
    assert!(
        out.status.code().unwrap() > 0,
        "a record claiming 2 GiB is refused, not allocated"
    );
}

#[test]
fn keylog_decrypts_the_tls_handshake_in_a_capture() {
    let v = pcap_json(&[
        "captures/tls13-handshake.pcap",
        "--keylog",
        "captures/tls13-handshake.keylog",
    ]);
    let tls = of_type(&v, "packet.tls");
    assert_eq!(tls.len(), 1, "one TLS connection in the capture");
    assert_eq!(tls[0]["keys_found"], true);
    let events = tls[0]["events"].as_array().unwrap();
    let names: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "tls.message")
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[..7], FULL_HANDSHAKE);
    let check = events.iter().find(|e| e["type"] == "tls.finished_check").unwrap();
    assert_eq!(check["verified"], true, "the transcript from the capture proves itself");
    // A key log without this connection: the plaintext hellos only, said so.
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.keylog");
    std::fs::write(
        &other,
        format!(
            "# another connection\nCLIENT_HANDSHAKE_TRAFFIC_SECRET {} {}\n",
            "00".repeat(32),
            "11".repeat(48)
        ),
    )
    .unwrap();
    let v = pcap_json(&["captures/tls13-handshake.pcap", "--keylog", other.to_str().unwrap()]);
    let tls = of_type(&v, "packet.tls");
    assert_eq!(tls[0]["keys_found"], false);
    let bad = dir.path().join("bad.keylog");
    std::fs::write(&bad, "CLIENT_RANDOM zz\n").unwrap();
    netlab()
        .args(["pcap", "captures/tls13-handshake.pcap", "--keylog"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 1: expected LABEL CLIENT_RANDOM SECRET"));
}

/// The frames of a capture in captures/, read with pcap-file.
fn frames_of(name: &str) -> Vec<(std::time::Duration, Vec<u8>)> {
    let file = std::fs::File::open(format!("{}/captures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let mut reader = pcap_file::pcap::PcapReader::new(file).unwrap();
    let mut out = Vec::new();
    while let Some(p) = reader.next_packet() {
        let p = p.unwrap();
        out.push((p.timestamp, p.data.into_owned()));
    }
    out
}

#[test]
fn pcapng_and_snaplen_cut_frames() {
    use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
    use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionBlock;
    let frames = frames_of("dns-walk.pcap");
    let dir = tempfile::tempdir().unwrap();
    // The same frames as pcapng.
    let ng = dir.path().join("dns-walk.pcapng");
    let mut writer = pcap_file::pcapng::PcapNgWriter::new(std::fs::File::create(&ng).unwrap()).unwrap();
    writer
        .write_pcapng_block(InterfaceDescriptionBlock {
            linktype: pcap_file::DataLink::ETHERNET,
            snaplen: 65535,
            options: vec![],
        })
        .unwrap();
    for (ts, data) in &frames {
        writer
            .write_pcapng_block(EnhancedPacketBlock {
                interface_id: 0,
                timestamp: *ts,
                original_len: data.len() as u32,
                data: std::borrow::Cow::Borrowed(data),
                options: vec![],
            })
            .unwrap();
    }
    drop(writer);
    let from_pcap = pcap_json(&["captures/dns-walk.pcap"]);
    let from_ng = pcap_json(&[ng.to_str().unwrap()]);
    let infos = |v: &Value| -> Vec<String> {
        of_type(v, "packet.frame")
            .iter()
            .map(|f| f["info"].to_string())
            .collect()
    };
    assert_eq!(infos(&from_ng), infos(&from_pcap), "pcapng decodes like pcap");
    // Every frame cut to 60 octets, as a small snap length would.
    let cut = dir.path().join("cut.pcap");
    let mut writer = pcap_file::pcap::PcapWriter::new(std::fs::File::create(&cut).unwrap()).unwrap();
    for (ts, data) in &frames {
        let kept = &data[..data.len().min(60)];
        writer
            .write_packet(&pcap_file::pcap::PcapPacket::new(*ts, data.len() as u32, kept))
            .unwrap();
    }
    drop(writer);
    let v = pcap_json(&[cut.to_str().unwrap()]);
    let marked = of_type(&v, "packet.frame")
        .iter()
        .filter(|f| {
            f["problem"]
                .as_str()
                .is_some_and(|p| p.contains("truncated") || p.contains("cut"))
        })
        .count();
    assert_eq!(
        marked,
        frames.iter().filter(|(_, d)| d.len() > 60).count(),
        "every cut frame is marked"
    );
    assert!(
        of_type(&v, "packet.summary")[0]["frames_with_problems"]
            .as_u64()
            .unwrap()
            > 0
    );
}

/// A pcap of `frames` whose header claims a snap length of `snaplen` (what some tools write),
/// whatever the records hold.
fn pcap_with_snaplen(frames: &[(std::time::Duration, Vec<u8>)], snaplen: u32) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend(0xa1b2_c3d4u32.to_le_bytes());
    f.extend(2u16.to_le_bytes());
    f.extend(4u16.to_le_bytes());
    f.extend([0u8; 8]);
    f.extend(snaplen.to_le_bytes());
    f.extend(1u32.to_le_bytes()); // Ethernet
    for (ts, data) in frames {
        f.extend((ts.as_secs() as u32).to_le_bytes());
        f.extend(ts.subsec_micros().to_le_bytes());
        f.extend((data.len() as u32).to_le_bytes());
        f.extend((data.len() as u32).to_le_bytes());
        f.extend_from_slice(data);
    }
    f
}

#[test]
fn records_over_the_header_s_snap_length_are_read_as_libpcap_reads_them() {
    let frames = frames_of("dns-walk.pcap");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("small-snaplen.pcap");
    std::fs::write(&file, pcap_with_snaplen(&frames, 80)).unwrap();
    let v = pcap_json(&[file.to_str().unwrap()]);
    let seen = of_type(&v, "packet.frame");
    // Every frame is read (the pcap-file crate refused the file at frame 1)...
    assert_eq!(seen.len(), frames.len(), "{}", v["outcome"]);
    let over: Vec<&Value> = seen
        .iter()
        .copied()
        .filter(|f| {
            f["problem"]
                .as_str()
                .is_some_and(|p| p.contains("over the file's snap length of 80"))
        })
        .collect();
    // ...those longer than 80 octets cut to their first 80 and marked, the rest whole.
    assert_eq!(over.len(), frames.iter().filter(|(_, d)| d.len() > 80).count());
    assert!(over.iter().all(|f| f["captured"] == 80), "{over:?}");
    assert_eq!(v["outcome"]["status"], "ok");
    // A file cut inside its last record: the frames before it are in the JSON trace, whose
    // summary says where it stopped, and the one-line error names the frame.
    let whole = pcap_with_snaplen(&frames, 65535);
    let cut = dir.path().join("cut-short.pcap");
    std::fs::write(&cut, &whole[..whole.len() - 10]).unwrap();
    let out = netlab().args(["--json", "pcap"]).arg(&cut).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(of_type(&v, "packet.frame").len(), frames.len() - 1);
    let stopped = format!("the file ends inside frame {}", frames.len());
    assert!(of_type(&v, "packet.summary")[0]["error"]
        .as_str()
        .unwrap()
        .starts_with(&stopped));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&stopped));
}

#[test]
fn an_unknown_proto_is_refused_and_ip_protocols_are_named_as_wireshark_names_them() {
    netlab()
        .args(["pcap", "captures/dns-walk.pcap", "--proto", "foo"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("possible values").and(predicate::str::contains("quic")));
    let v = pcap_json(&["captures/dns-walk.pcap", "--proto", "DNS", "-c", "1"]);
    let ip = &of_type(&v, "packet.frame")[0]["layers"][1];
    assert_eq!(ip["name"], "IPv4");
    let protocol = ip["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f[0] == "protocol")
        .unwrap();
    assert_eq!(protocol[1], "UDP (17)");
}

#[test]
fn tcp_windows_are_shown_scaled_once_the_handshake_agreed_a_scale() {
    let v = pcap_json(&["captures/http2-fetch.pcap", "--proto", "tcp", "-c", "3"]);
    let frames = of_type(&v, "packet.frame");
    // Both SYNs offered wscale 10: the SYNs themselves are not scaled, the ACK's 64 is 64 KiB.
    assert_eq!(frames[0]["window"]["scaling"], "unscaled");
    assert_eq!(frames[2]["tcp"]["window"], 64);
    assert_eq!(frames[2]["window"]["bytes"], 65536, "{}", frames[2]);
    assert_eq!(frames[2]["window"]["shift"], 10);
    netlab()
        .args(["pcap", "captures/http2-fetch.pcap", "--proto", "tcp", "-c", "3"])
        .assert()
        .success()
        .stdout(predicate::str::contains("win 65536 (64 << 10)"));
}

#[test]
fn a_binary_key_log_is_one_clear_line() {
    netlab()
        .args([
            "pcap",
            "captures/tls13-handshake.pcap",
            "--keylog",
            "captures/tls13-handshake.pcap",
        ])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("is binary, not a key log")
                .and(predicate::str::contains("SSLKEYLOGFILE"))
                .and(predicate::str::contains("\n").count(1)),
        );
}

#[test]
fn a_quic_connection_is_followed_after_its_initial() {
    let v = pcap_json(&["captures/quic-initial.pcap"]);
    let frames = of_type(&v, "packet.frame");
    let first = frames
        .iter()
        .position(|f| f["info"].as_str().unwrap().starts_with("QUIC Initial"))
        .unwrap();
    let ends = |f: &Value| [f["sport"].as_u64(), f["dport"].as_u64()];
    let quic_ports = ends(frames[first]);
    let on_the_connection: Vec<&&Value> = frames[first..]
        .iter()
        .filter(|f| f["proto"] == "udp" && (ends(f) == quic_ports || ends(f) == [quic_ports[1], quic_ports[0]]))
        .collect();
    assert!(on_the_connection.len() > 10);
    // Every datagram after the Initial is named as QUIC: none is left as plain UDP.
    let plain: Vec<&str> = on_the_connection
        .iter()
        .map(|f| f["info"].as_str().unwrap())
        .filter(|i| !i.starts_with("QUIC"))
        .collect();
    assert!(plain.is_empty(), "{plain:?}");
    let short = on_the_connection
        .iter()
        .filter(|f| f["info"].as_str().unwrap().starts_with("QUIC 1-RTT DCID "))
        .count();
    assert!(short > 5, "the short-header packets are named with their DCID");
    // --proto quic keeps the whole connection.
    let only = pcap_json(&["captures/quic-initial.pcap", "--proto", "quic"]);
    assert_eq!(of_type(&only, "packet.frame").len(), on_the_connection.len());
}
