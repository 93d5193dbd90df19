//! Walks per second on the in-process sandbox: `www.example.com` (four referrals and a
//! cross-zone CNAME, six queries). Run with `cargo bench --bench dns_walk`; prints one line.
//! Loopback only: the sandbox's network refuses anything else.

use std::time::{Duration, Instant};

use hickory_proto::rr::RecordType;
use netlab::dns::walk::{walk, WalkOptions};
use netlab::sandbox::Sandbox;

fn main() {
    std::env::set_var("NETLAB_OFFLINE", "1");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let sandbox = Sandbox::start().await.expect("sandbox");
        let net = sandbox.into_network();
        let opts = WalkOptions {
            name: "www.example.com".into(),
            rtype: RecordType::A,
            roots: Sandbox::root_hints(),
            timeout: Duration::from_secs(2),
            max_queries: 64,
            max_time: Duration::from_secs(20),
            anchors: None,
        };
        // Warm up, then measure sequential walks for a fixed time.
        for _ in 0..50 {
            walk(&opts, &net).await.expect("walk");
        }
        let budget = Duration::from_secs(5);
        let start = Instant::now();
        let mut walks = 0u64;
        let mut queries = 0u64;
        while start.elapsed() < budget {
            let trace = walk(&opts, &net).await.expect("walk");
            queries += trace.events.iter().filter(|e| matches!(e.kind, netlab::trace::EventKind::Dns(netlab::dns::events::DnsEvent::Query(_)))).count() as u64;
            walks += 1;
        }
        let secs = start.elapsed().as_secs_f64();
        println!("dns_walk: {walks} walks of www.example.com in {secs:.2} s: {:.0} walks/s, {:.0} queries/s, {:.2} ms per walk", walks as f64 / secs, queries as f64 / secs, secs * 1000.0 / walks as f64);
    });
}
