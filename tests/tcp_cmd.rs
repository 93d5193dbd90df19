//! `netlab tcp` against the sandbox's discard service: TCP_INFO during the transfer, the client
//! in TIME_WAIT after closing first, and as root the captured connection's story.

mod common;
use common::{netlab, of_type};
use serde_json::Value;

fn tcp(args: &[&str]) -> Value {
    let out = netlab()
        .timeout(std::time::Duration::from_secs(60))
        .args(["--json", "tcp"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_transfer_to_the_discard_service_and_the_close() {
    let v = tcp(&["www.example.com:9", "--sandbox"]);
    let connect = of_type(&v, "packet.tcp_connect")[0];
    assert_eq!(connect["remote"], "192.0.2.80:9");
    let infos = of_type(&v, "packet.tcp_info");
    assert_eq!(infos[0]["sent_bytes"], 0);
    assert_eq!(infos[0]["cwnd"], 10, "the initial window of RFC 6928");
    assert_eq!(infos.last().unwrap()["sent_bytes"], 4 << 20);
    let max_cwnd = infos.iter().map(|i| i["cwnd"].as_u64().unwrap()).max().unwrap();
    assert!(max_cwnd > 10, "the window grew: {infos:?}");
    let closed = of_type(&v, "packet.tcp_closed")[0];
    assert_eq!(
        closed["state_after_close"], "TIME_WAIT",
        "the side that closed first waits"
    );
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        assert!(connect["capture"].as_str().unwrap().contains("setcap"));
        return;
    }
    assert!(connect.get("capture").is_none(), "{connect}");
    let stream = of_type(&v, "packet.stream")[0];
    assert!(stream["handshake"].is_array(), "{stream}");
    // A capture socket can drop frames under load (tcpdump's "dropped by kernel"); most arrive.
    let seen = stream["bytes_client_to_server"].as_u64().unwrap();
    assert!(seen > 1 << 20 && seen <= 4 << 20, "{stream}");
    assert_eq!(stream["ending"], "closed: FIN and ACK each way");
    assert!(stream["time_wait"].as_str().unwrap().starts_with("the client"));
    let syn = of_type(&v, "packet.frame")[0];
    assert_eq!(syn["tcp"]["flags"], 0x02);
}

#[test]
fn just_the_handshake_to_a_local_listener() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 16];
        while matches!(std::io::Read::read(&mut s, &mut buf), Ok(n) if n > 0) {}
    });
    let v = tcp(&[&format!("127.0.0.1:{port}")]);
    server.join().unwrap();
    assert_eq!(
        of_type(&v, "packet.tcp_info").len(),
        1,
        "no data: one look after connecting"
    );
    assert_eq!(of_type(&v, "packet.tcp_closed")[0]["sent_bytes"], 0);
}

#[test]
fn a_refused_connection_is_a_connect_failure_and_as_root_shows_the_syn_and_the_rst() {
    // A port nobody listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = netlab()
        .timeout(std::time::Duration::from_secs(60))
        .args(["--json", "tcp", &format!("127.0.0.1:{port}")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "a network failure, not bad usage");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let failure = &v["outcome"]["failure"];
    assert_eq!(
        (failure["phase"].as_str(), failure["kind"].as_str()),
        (Some("connect"), Some("refused"))
    );
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return;
    }
    let frames = of_type(&v, "packet.frame");
    let flags: Vec<u64> = frames.iter().map(|f| f["tcp"]["flags"].as_u64().unwrap()).collect();
    assert_eq!(flags, [0x02, 0x14], "SYN, then RST+ACK: {frames:?}");
    let notes: Vec<&str> = frames[1]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["topic"].as_str().unwrap())
        .collect();
    assert_eq!(notes, ["tcp.refused"]);
}
