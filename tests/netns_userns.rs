//! The unprivileged way in. The test, run as root, re-runs itself as user `nobody` (setpriv)
//! for each step:
//! - without a user namespace, [`require_privileges`] refuses in one line saying what is needed;
//! - after [`enter_user_namespace`], the whole link works: namespaces, TUN devices, `ip`, a TCP
//!   echo through the forwarder;
//! - once a second thread exists, [`enter_user_namespace`] refuses and says why.
//!
//! `harness = false`: `enter_user_namespace` needs a single-threaded process, and libtest runs
//! every test on a thread of its own. When `/dev/net/tun` is not usable by others (mode 0600,
//! as in some containers; udev's default is 0666), the child gets a private mount namespace in
//! which a 0666 node of the same device covers it; nothing outside that child changes.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::Duration;

use netlab::net::ns::{enter_user_namespace, require_privileges, Forwarder, Pass, Topology};

const STEP: &str = "NETLAB_USERNS_STEP";

fn main() {
    match std::env::var(STEP) {
        Ok(step) => child(&step),
        Err(_) => parent(),
    }
}

fn parent() {
    // SAFETY: geteuid(2) cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run as root to run steps as nobody"
        );
        println!("not root: skipping the user namespace test (it runs its steps as nobody via setpriv)");
        return;
    }
    let tun_for_all = std::fs::metadata("/dev/net/tun").is_ok_and(|m| m.permissions().mode() & 0o006 == 0o006);
    for step in ["refused", "entered", "threaded"] {
        let exe = std::env::current_exe().unwrap();
        let setpriv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"];
        let mut command = if tun_for_all || step != "entered" {
            let mut c = Command::new(setpriv[0]);
            c.args(&setpriv[1..]);
            c
        } else {
            let mut c = Command::new("unshare");
            c.args(["--mount", "--propagation", "private", "sh", "-ec"]).arg(
                "d=$(mktemp -d); mount -t tmpfs -o mode=0755 netlab-tun \"$d\"; \
                 mknod -m 0666 \"$d/tun\" c 10 200; mount --bind \"$d/tun\" /dev/net/tun; exec \"$@\"",
            );
            c.arg("sh").args(setpriv);
            c
        };
        let output = command
            .arg(exe)
            .env(STEP, step)
            .output()
            .expect("run the step as nobody");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "step {step}: {}\n{stdout}\n{stderr}",
            output.status
        );
        print!("{stdout}");
    }
    println!("user namespace test: 3 steps passed");
}

fn child(step: &str) {
    // SAFETY: getuid(2) cannot fail.
    assert_ne!(unsafe { libc::getuid() }, 0, "steps run as nobody");
    match step {
        "refused" => {
            let line = require_privileges()
                .expect_err("nobody has no CAP_NET_ADMIN")
                .one_line();
            assert!(line.starts_with("netlab: network namespaces: "), "{line}");
            assert!(line.contains("CAP_NET_ADMIN") && line.contains("sudo"), "{line}");
            println!("refused: {line}");
        }
        "entered" => {
            enter_user_namespace().expect("enter a user namespace");
            require_privileges().expect("root inside the user namespace");
            echo_through_the_link();
            println!("entered: a TCP echo crossed the link as nobody");
        }
        "threaded" => {
            let _thread = std::thread::spawn(|| std::thread::sleep(Duration::from_secs(2)));
            let line = enter_user_namespace().expect_err("two threads").one_line();
            assert!(line.contains("2 threads") && line.contains("start of main"), "{line}");
            println!("threaded: {line}");
        }
        _ => panic!("unknown step {step}"),
    }
}

fn echo_through_the_link() {
    let topology = Topology::create(None).expect("topology inside the user namespace");
    let forwarder = Forwarder::start(topology.client_tun, topology.server_tun, Pass, 100, None).expect("forwarder");
    // Port 80: privileged, and allowed to the user namespace's root in its own namespace.
    let server: SocketAddr = "192.0.2.80:80".parse().unwrap();
    let listener = topology
        .servers
        .run(|| TcpListener::bind(server))
        .unwrap()
        .expect("bind");
    let echo = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 64];
        let n = s.read(&mut buf).unwrap();
        s.write_all(&buf[..n]).unwrap();
    });
    let mut stream = topology
        .client
        .run(|| TcpStream::connect_timeout(&server, Duration::from_secs(2)))
        .unwrap()
        .expect("connect through the link");
    stream.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    stream.write_all(b"unprivileged").unwrap();
    let mut back = [0u8; 12];
    stream.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"unprivileged");
    echo.join().unwrap();
    let log = forwarder.stop();
    assert!(log.up.forwarded >= 3 && log.down.forwarded >= 2, "{log:?}");
}
