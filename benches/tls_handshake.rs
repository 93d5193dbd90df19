//! Handshakes per second against the sandbox's TLS host, in-process: plain rustls (tokio-rustls)
//! against netlab's traced handshake (tap, key log, decryption, decoding, Finished check).
//! Run with `cargo bench --bench tls_handshake`; prints one line per mode and the overhead.
//! Loopback only.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use netlab::sandbox::Sandbox;
use netlab::tls::client::{TlsOptions, Tracer};
use rustls::pki_types::ServerName;

/// Alternating rounds of each mode.
const ROUNDS: u32 = 4;
const ROUND: Duration = Duration::from_secs(1);

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let sandbox = Sandbox::start().await.expect("sandbox");
        let ca = sandbox.ca_cert.clone();
        let net = sandbox.into_network();
        let target: SocketAddr = "192.0.2.80:443".parse().unwrap();
        let local = net.route(target).expect("in the sandbox").via();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca).unwrap();
        let config = Arc::new(
            rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth(),
        );
        let connector = tokio_rustls::TlsConnector::from(config);
        let plain = async {
            let tcp = tokio::net::TcpStream::connect(local).await.unwrap();
            let tls = connector.connect(ServerName::try_from("www.example.com").unwrap(), tcp).await.unwrap();
            drop(tls);
        };
        plain.await;
        let opts = TlsOptions {
            host: "www.example.com".into(),
            address: target,
            sni: None,
            alpn: vec!["http/1.1".into()],
            timeout: Duration::from_secs(5),
            show_secrets: false,
            keylog: None,
            request: false,
            groups: Vec::new(),
            ciphers: Vec::new(),
            resume: false,
            early_data: false,
            insecure: false,
            client_identity: None,
        };
        // Both set up once, like the plain connector; then rounds that alternate, so the
        // machine's other load falls on both alike.
        let tracer = Tracer::new(opts, &net).expect("tracer");
        let (mut n_plain, mut t_plain, mut n_traced, mut t_traced) = (0u32, Duration::ZERO, 0u32, Duration::ZERO);
        for _ in 0..ROUNDS {
            let start = Instant::now();
            while start.elapsed() < ROUND {
                let tcp = tokio::net::TcpStream::connect(local).await.unwrap();
                let _tls = connector.connect(ServerName::try_from("www.example.com").unwrap(), tcp).await.unwrap();
                n_plain += 1;
            }
            t_plain += start.elapsed();
            let start = Instant::now();
            while start.elapsed() < ROUND {
                let t = tracer.trace(&net).await.expect("trace");
                assert!(matches!(t.outcome, netlab::trace::Outcome::Ok));
                n_traced += 1;
            }
            t_traced += start.elapsed();
        }
        let plain_rate = f64::from(n_plain) / t_plain.as_secs_f64();
        let traced_rate = f64::from(n_traced) / t_traced.as_secs_f64();
        println!("tls_handshake: plain rustls {plain_rate:.0} handshakes/s; netlab traced {traced_rate:.0} handshakes/s; tracing costs {:.1}%", (plain_rate / traced_rate - 1.0) * 100.0);
    });
}
