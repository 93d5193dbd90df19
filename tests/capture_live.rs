//! `netlab capture` on loopback, as root: each frame is seen once (the kernel passes loopback
//! frames to a packet socket twice, going out and coming in), and the summary says how many
//! frames the kernel dropped because the capture did not read them in time.

#[test]
fn each_loopback_frame_is_seen_once_and_the_kernels_drops_are_counted() {
    // SAFETY: geteuid(2) cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        assert!(std::env::var_os("CI").is_none(), "CI runs as root");
        return;
    }
    let receiver = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = receiver.local_addr().unwrap().port();
    let capture = std::process::Command::new(env!("CARGO_BIN_EXE_netlab"))
        .args([
            "--json",
            "capture",
            "-i",
            "lo",
            "--for",
            "2",
            "--port",
            &port.to_string(),
        ])
        .env("NETLAB_OFFLINE", "1")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Time for the capture to open its socket before anything is sent.
    std::thread::sleep(std::time::Duration::from_millis(700));
    let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..50u8 {
        sender.send_to(&[i; 32], ("127.0.0.1", port)).unwrap();
    }
    let out = capture.wait_with_output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let events = v["events"].as_array().unwrap();
    let summary = events.last().unwrap();
    assert_eq!(summary["type"], "packet.summary", "{summary}");
    assert_eq!(summary["frames_shown"], 50, "each datagram once: {summary}");
    assert_eq!(summary["kernel_dropped"], 0, "{summary}");
}
