//! `netlab tls`: one TLS connection through rustls, over a tap that records every byte, with
//! rustls's key log capturing the traffic secrets; the handshake is then decoded and decrypted
//! message by message ([`super::decode`]). Certificate checks are rustls's own, never skipped.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::decode::decode;
use super::events::TlsEvent;
use super::identity::ClientIdentity;
use super::insecure::RecordingVerifier;
use super::names;
use super::secrets::SecretLog;
use super::tap::{Recording, Tap};
use crate::error::{Error, Result};
use crate::net::trust::Roots;
use crate::net::Network;
use crate::trace::{Failure, FailureKind, Note, Outcome, Phase, Trace, TraceBuilder};

/// One traced connection.
#[derive(Debug, Clone)]
pub struct TlsOptions {
    /// The name asked for (SNI and certificate check), e.g. `www.example.com`.
    pub host: String,
    /// Where to connect.
    pub address: SocketAddr,
    pub sni: Option<String>,
    pub alpn: Vec<String>,
    pub timeout: Duration,
    pub show_secrets: bool,
    /// Write an NSS key log here (0600), for Wireshark.
    pub keylog: Option<PathBuf>,
    /// After the handshake, send one HTTP/1.1 request and read the answer.
    pub request: bool,
    /// Connect twice: the second connection resumes with the first one's session ticket.
    pub resume: bool,
    /// On the resumed connection, send the request as 0-RTT early data (RFC 8446 §2.3).
    pub early_data: bool,
    /// Key-exchange groups to offer, in order (empty: rustls's defaults).
    pub groups: Vec<String>,
    /// Cipher suites to offer, in order (empty: rustls's defaults).
    pub ciphers: Vec<String>,
    /// Let a failed certificate check go on (recorded and shown loudly) instead of stopping.
    pub insecure: bool,
    /// The client's own certificate and key, sent when the server asks (mutual TLS).
    pub client_identity: Option<ClientIdentity>,
}

/// The provider with only the groups and suites asked for.
fn provider(opts: &TlsOptions) -> Result<rustls::crypto::CryptoProvider> {
    let mut p = rustls::crypto::ring::default_provider();
    if !opts.groups.is_empty() {
        p.kx_groups = opts
            .groups
            .iter()
            .map(|g| names::group_by_name(g).map_err(|r| Error::usage(format!("--groups {g}"), r.why, r.hint)))
            .collect::<Result<_>>()?;
    }
    if !opts.ciphers.is_empty() {
        p.cipher_suites = opts
            .ciphers
            .iter()
            .map(|c| names::suite_by_name(c).map_err(|r| Error::usage(format!("--ciphers {c}"), r.why, r.hint)))
            .collect::<Result<_>>()?;
    }
    Ok(p)
}

/// The trust anchors `roots` names.
fn root_store(roots: &Roots) -> Result<rustls::RootCertStore> {
    let mut store = rustls::RootCertStore::empty();
    let extra = match roots {
        Roots::Web(extra) => {
            store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            extra
        }
        Roots::Only(only) => only,
    };
    for cert in extra {
        store.add(cert.clone()).map_err(|e| {
            Error::usage(
                "--cacert",
                format!("not a usable CA certificate: {e}"),
                "give a PEM CA certificate",
            )
        })?;
    }
    Ok(store)
}

/// The client's configuration, and the verifier that records its certificate check.
fn client_config(
    opts: &TlsOptions,
    roots: &Roots,
    keylog: Arc<SecretLog>,
) -> Result<(rustls::ClientConfig, Arc<RecordingVerifier>)> {
    let (builder, recorder) = verifying_builder(roots, Arc::new(provider(opts)?), opts.insecure)?;
    let mut config = with_client_auth(builder, opts)?;
    config.key_log = keylog;
    config.enable_early_data = opts.early_data;
    config.alpn_protocols = opts.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    Ok((config, recorder))
}

/// A client configuration that still needs its client-certificate choice.
pub type WantsClientCert = rustls::ConfigBuilder<rustls::ClientConfig, rustls::client::WantsClientCert>;

/// A TLS 1.3/1.2 client configuration that checks the server against `roots` with rustls's
/// WebPKI verifier, through a verifier that records the check for the trace; with `insecure`, a
/// failed check is recorded instead of stopping the handshake (shown loudly later).
pub fn verifying_builder(
    roots: &Roots,
    provider: Arc<rustls::crypto::CryptoProvider>,
    insecure: bool,
) -> Result<(WantsClientCert, Arc<RecordingVerifier>)> {
    let store = root_store(roots)?;
    let anchors = super::verify::anchors(&store);
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| Error::usage("TLS", e.to_string(), "report this"))?;
    let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider)
        .build()
        .map_err(|e| Error::usage("--cacert", e.to_string(), "give a PEM CA certificate"))?;
    let recorder = Arc::new(RecordingVerifier::new(webpki, insecure, anchors));
    Ok((
        builder.dangerous().with_custom_certificate_verifier(recorder.clone()),
        recorder,
    ))
}

/// Finishes the configuration with the client's certificate, if it has one.
fn with_client_auth(
    builder: rustls::ConfigBuilder<rustls::ClientConfig, rustls::client::WantsClientCert>,
    opts: &TlsOptions,
) -> Result<rustls::ClientConfig> {
    match &opts.client_identity {
        None => Ok(builder.with_no_client_auth()),
        Some(id) => builder
            .with_client_auth_cert(id.chain.clone(), id.key.clone_key())
            .map_err(|e| {
                Error::usage(
                    "--client-key",
                    format!("does not fit --client-cert: {e}"),
                    "give the private key of the client certificate, in PEM",
                )
            }),
    }
}

/// Connects, handshakes (twice with `resume`: the second time with the first connection's
/// session ticket), and returns the decoded trace.
pub async fn trace(opts: &TlsOptions, net: &Network) -> Result<Trace> {
    Tracer::new(opts.clone(), net)?.trace(net).await
}

/// A client set up once (name, configuration, key-log collector) that can trace connection
/// after connection with the same configuration (as the handshake benchmark does).
pub struct Tracer {
    opts: TlsOptions,
    server_name: ServerName<'static>,
    config: Arc<rustls::ClientConfig>,
    recorder: Arc<RecordingVerifier>,
    collector: Arc<SecretLog>,
}

impl Tracer {
    /// A client for `opts` that trusts what `net` trusts.
    pub fn new(opts: TlsOptions, net: &Network) -> Result<Tracer> {
        let sni = opts.sni.clone().unwrap_or_else(|| opts.host.clone());
        let server_name = ServerName::try_from(sni.clone()).map_err(|_| {
            Error::usage(
                format!("--sni '{sni}'"),
                "is not a valid server name",
                "give a DNS name or an IP address",
            )
        })?;
        let collector = Arc::new(SecretLog::default());
        let (config, recorder) = client_config(&opts, net.roots(), collector.clone())?;
        Ok(Tracer {
            opts,
            server_name,
            config: Arc::new(config),
            recorder,
            collector,
        })
    }

    /// Traces one connection (two with `resume`).
    pub async fn trace(&self, net: &Network) -> Result<Trace> {
        let (opts, server_name, config, recorder, collector) = (
            &self.opts,
            &self.server_name,
            &self.config,
            &self.recorder,
            &self.collector,
        );
        // The key log of earlier traces is not this one's.
        collector.clear();
        let route = net.route(opts.address)?;
        let mut trace = TraceBuilder::new("tls", "tls");
        let mut outcome = Outcome::Ok;
        let mut failed_with = None;
        // Whether the connection before this one spoke TLS 1.2 (how a resumption offers its ticket).
        let mut tls12 = false;
        for connection in 1..=if opts.resume { 2u8 } else { 1 } {
            // Early data is only possible with a ticket, so only on the second connection.
            let connector =
                tokio_rustls::TlsConnector::from(config.clone()).early_data(opts.early_data && connection > 1);
            let mut summary = match one_connection(
                opts,
                &connector,
                server_name,
                &route,
                (collector, recorder),
                (connection, tls12),
                &mut trace,
            )
            .await
            {
                Ok((summary, failure)) => {
                    if let Some(failure) = failure {
                        failed_with = Some(failure);
                    }
                    summary
                }
                Err(Error::Failed(failure)) => {
                    outcome = failure.outcome();
                    break;
                }
                Err(e) => return Err(e),
            };
            if opts.early_data && connection > 1 && summary.early_data.is_none() {
                summary.early_data = Some(super::events::EarlyData {
                    offered: false,
                    accepted: false,
                    records: 0,
                    bytes: 0,
                });
            }
            if let Some(failure) = failed_with.take() {
                outcome = Outcome::Failed { failure };
            } else if let Some(e) = &summary.error {
                outcome = Outcome::Negative { reason: e.clone() };
            }
            let failed = summary.error.is_some();
            tls12 = summary.version.as_deref() == Some("TLS 1.2");
            trace.push(TlsEvent::Summary(summary), Vec::new());
            if failed {
                break;
            }
        }
        if let Some(path) = &opts.keylog {
            let text = collector.nss_text(0);
            crate::fsutil::write_atomic(path, text.as_bytes()).map_err(|e| Error::io(path, e))?;
        }
        Ok(trace.finish(outcome))
    }
}

/// The client random of the first ClientHello in a recording: it names the connection's secrets
/// in the key log (record header 5 octets, handshake header 4, legacy_version 2, then 32).
pub fn client_random(chunks: &[super::tap::Chunk]) -> Option<Vec<u8>> {
    let bytes: Vec<u8> = chunks
        .iter()
        .filter(|c| c.direction == super::tap::Direction::ClientToServer)
        .flat_map(|c| c.bytes.iter().copied())
        .take(43)
        .collect();
    bytes.get(11..43).map(<[u8]>::to_vec)
}

/// One TCP connection and TLS handshake, decoded into `trace`; returns its summary.
async fn one_connection(
    opts: &TlsOptions,
    connector: &tokio_rustls::TlsConnector,
    server_name: &ServerName<'static>,
    route: &crate::net::Route,
    (collector, recorder): (&SecretLog, &RecordingVerifier),
    (connection, after_tls12): (u8, bool),
    trace: &mut TraceBuilder,
) -> Result<(super::events::TlsSummary, Option<Failure>)> {
    let started = Instant::now();
    let target = format!("TCP connect to {}", opts.address);
    let tcp = match tokio::time::timeout(opts.timeout, crate::net::socket::tcp_connect(route)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(Error::Failed(Failure::io(Phase::Connect, target, &e))),
        Err(_) => return Err(Error::Failed(Failure::timeout(Phase::Connect, target, opts.timeout))),
    };
    let connect_us = started.elapsed().as_micros() as u64;
    // Like curl: each flight leaves at once instead of waiting for the peer's delayed ACK of the
    // last one (Nagle, RFC 896), which would add ~40 ms to every handshake.
    let _ = tcp.set_nodelay(true);
    let note = if connection == 1 {
        Note::new(
            "tls.tcp",
            "TLS runs over a TCP connection: one round trip (SYN, SYN-ACK) before the first TLS byte.",
            Some("RFC 9293 §3.5"),
        )
    } else if after_tls12 {
        Note::new("tls.resume", "A second connection, offering the first one's session again (its session ID, or a ticket in the session_ticket extension): a server that takes it answers with an abbreviated handshake, no certificate and no key exchange, the keys made from the first connection's master secret.", Some("RFC 5246 §7.3"))
    } else {
        Note::new("tls.resume", "A second connection, offering the session ticket from the first (pre_shared_key): the server can skip the certificate and its signature.", Some("RFC 8446 §2.2"))
    };
    trace.push(
        TlsEvent::Connect {
            connection,
            host: opts.host.clone(),
            address: opts.address.to_string(),
            via: route.shown_via(),
            sni: server_name.to_str().into_owned(),
            connect_us,
        },
        vec![note],
    );
    let recording = Recording::default();
    let tap = Tap::new(tcp, started, recording.clone());
    let error = match tokio::time::timeout(opts.timeout, connector.connect(server_name.clone(), tap)).await {
        Ok(Ok(mut tls)) => {
            if opts.request || opts.resume {
                // Reading the answer also takes in the session tickets that resumption needs.
                let request = format!(
                    "GET / HTTP/1.1\r\nhost: {}\r\nuser-agent: netlab\r\nconnection: close\r\n\r\n",
                    opts.host
                );
                // With early data the connector returned before the handshake: this write goes out
                // as 0-RTT data with the ClientHello, and the flush completes the handshake.
                let sent = tokio::time::timeout(opts.timeout, async {
                    tls.write_all(request.as_bytes()).await?;
                    tls.flush().await
                })
                .await;
                let mut body = Vec::new();
                match sent {
                    Ok(Err(e)) => Some(handshake_error(&e)),
                    Err(_) => Some(handshake_timeout(opts.timeout)),
                    Ok(Ok(())) => {
                        let read =
                            tokio::time::timeout(opts.timeout, (&mut tls).take(1 << 16).read_to_end(&mut body)).await;
                        // A TLS 1.3 server judges the client's certificate after the client's
                        // Finished, so a refusal (an alert such as certificate_required) arrives only now.
                        match read {
                            Ok(Err(e)) if matches!(rustls_error(&e), Some(rustls::Error::AlertReceived(_))) => {
                                Some(handshake_error(&e))
                            }
                            _ => None,
                        }
                    }
                }
            } else {
                None
            }
        }
        Ok(Err(e)) => Some(handshake_error(&e)),
        Err(_) => Some(handshake_timeout(opts.timeout)),
    };
    let chunks = recording.chunks();
    let random = client_random(&chunks);
    let secrets = random
        .as_deref()
        .map(|r| collector.of_connection(r))
        .unwrap_or_default();
    let (events, mut summary) = decode(&chunks, &secrets, opts.show_secrets);
    let tls12 = summary.version.as_deref() == Some("TLS 1.2");
    // The certificate check, shown right after the Certificate it judged.
    let checked = recorder.take_checked();
    let verification = checked
        .as_ref()
        .map(|c| super::verify::verification(c, recorder.anchors(), opts.insecure));
    let mut verification_event = verification.clone().map(TlsEvent::Verify);
    let bad_signature = verification.as_ref().and_then(|v| v.handshake_signature.clone());
    for mut e in events {
        // A failed handshake signature is said at the CertificateVerify it judged.
        if let (TlsEvent::Message(m), Some(why)) = (&mut e, &bad_signature) {
            if m.name == "CertificateVerify" && m.direction == super::tap::Direction::ServerToClient {
                m.details.push(format!("FAILED: {why}"));
            }
        }
        let after_certificate = matches!(&e, TlsEvent::Message(m) if m.name == "Certificate" && m.direction == super::tap::Direction::ServerToClient);
        let notes = notes_for(&e, tls12);
        trace.push(e, notes);
        if after_certificate {
            if let Some(v) = verification_event.take() {
                let notes = notes_for(&v, tls12);
                trace.push(v, notes);
            }
        }
    }
    if let Some(v) = verification_event.take() {
        let notes = notes_for(&v, tls12);
        trace.push(v, notes);
    }
    let failure = error.as_ref().and_then(|(_, kind)| *kind).map(|kind| {
        let detail = error.as_ref().map(|(text, _)| text.clone()).unwrap_or_default();
        Failure::new(Phase::Tls, kind, format!("TLS handshake with {}", opts.address), detail)
    });
    summary.insecure = opts.insecure;
    summary.certificate_verified = verification.as_ref().map(|v| v.verified);
    // What the check found, in its plain words, rather than rustls's.
    let said = verification.as_ref().and_then(|v| {
        if let Some(bad_signature) = &v.handshake_signature {
            return Some(bad_signature.clone());
        }
        (!v.verified).then(|| match &v.rfc {
            Some(rfc) => format!("certificate check failed: {} ({rfc})", v.verdict),
            None => format!("certificate check failed: {}", v.verdict),
        })
    });
    let signature_failed = verification.as_ref().is_some_and(|v| v.handshake_signature.is_some());
    summary.error = error.map(|(text, _)| text);
    match (said, opts.insecure && !signature_failed) {
        (Some(said), true) => summary.unverified_because = Some(said),
        // The handshake ended for the reason the check found: say it in the check's words.
        (Some(said), false) if summary.error.is_some() => summary.error = Some(said),
        _ => {}
    }
    Ok((summary, failure))
}

/// A failed handshake: what to say, and the failure it is, if it is one (a certificate that
/// fails its check, or a server refusing the client's, is a verdict: `None`).
type HandshakeError = (String, Option<FailureKind>);

fn handshake_timeout(limit: Duration) -> HandshakeError {
    (
        format!("the handshake did not finish in {} ms", limit.as_millis()),
        Some(FailureKind::Timeout),
    )
}

fn handshake_error(e: &std::io::Error) -> HandshakeError {
    let kind = Some(failure_kind(e)).filter(|k| *k != FailureKind::Certificate);
    (explain_error(e), kind)
}

/// What kind of failure an I/O error of a TLS connection is, by rustls's error variant: a
/// failed certificate check (the server's, or the server refusing the client's), an alert,
/// a message that does not parse, or the transport's own error.
pub fn failure_kind(e: &std::io::Error) -> FailureKind {
    use rustls::{AlertDescription as Alert, Error as E};
    match rustls_error(e) {
        Some(E::InvalidCertificate(_))
        | Some(E::AlertReceived(Alert::CertificateRequired | Alert::UnknownCA | Alert::BadCertificate)) => {
            FailureKind::Certificate
        }
        Some(E::AlertReceived(_)) => FailureKind::Alert,
        Some(_) => FailureKind::Malformed,
        None => FailureKind::of_io(e),
    }
}

/// The rustls error inside an I/O error from tokio-rustls, if that is what it is.
fn rustls_error(e: &std::io::Error) -> Option<&rustls::Error> {
    e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>())
}

/// An I/O error of the handshake, said plainly: rustls's own error when it is one.
fn explain_error(e: &std::io::Error) -> String {
    match rustls_error(e) {
        Some(r) => explain_rustls(r),
        None => format!("the handshake failed: {e}"),
    }
}

/// A rustls error said plainly, naming the failed check (classified by its variant).
fn explain_rustls(e: &rustls::Error) -> String {
    use rustls::{AlertDescription as Alert, Error as E};
    let text = e.to_string();
    match e {
        // The server's verdict on the client's certificate (mutual TLS), said as it is.
        E::AlertReceived(Alert::CertificateRequired) => {
            format!("the server requires a client certificate (it sent CertificateRequest; mutual TLS): give --client-cert and --client-key (on the sandbox: --client-cert sandbox) ({text})")
        }
        E::AlertReceived(Alert::UnknownCA | Alert::BadCertificate) => {
            format!("the server refused the client certificate: it does not trust its issuer or cannot use it ({text})")
        }
        // The client's own check of the server's certificate, said without the chain (the
        // traced handshake says it with the chain, from its `tls.verify`).
        E::InvalidCertificate(c) => {
            let cx = super::verdict::Context {
                chain: &[],
                server_name: "",
                now: 0,
            };
            let found = super::verdict::explain(c, &cx);
            format!("certificate check failed: {} ({})", found.text, found.rfc)
        }
        _ => format!("the handshake failed: {text}"),
    }
}

/// Teaching notes for the main messages, TLS 1.2's where its handshake differs.
fn notes_for(e: &TlsEvent, tls12: bool) -> Vec<Note> {
    let note = |topic: &str, text: &str, rfc: &str| vec![Note::new(topic, text, Some(rfc))];
    let m = match e {
        TlsEvent::Message(m) => m,
        TlsEvent::Verify(v) if v.verified => return note("tls.verify", "The client built a path from the leaf through the certificates the server sent to a root it already trusts, and checked each link: the issuer's signature, the validity window, the CA and path-length constraints, key usage, and the name on the leaf.", "RFC 5280 §6.1"),
        TlsEvent::Verify(v) if v.insecure => return note("tls.verify", "The check failed, and --insecure let the handshake go on: the CertificateVerify still proves the server holds the leaf's key, but nothing ties that key to the name asked for.", "RFC 5280 §6.1"),
        TlsEvent::Verify(_) => return note("tls.verify", "The check failed, so the client ends the handshake with a fatal alert naming the reason instead of sending its Finished: no application data is ever sent to this server.", "RFC 8446 §6.2"),
        _ => return Vec::new(),
    };
    if tls12 {
        if let Some(n) = notes_12(m.name.as_str()) {
            return n;
        }
    }
    match m.name.as_str() {
        "ClientHello" => note("tls.client_hello", "The client offers cipher suites, groups and a key share (its half of the (EC)DHE exchange) up front, so the server can answer in one round trip.", "RFC 8446 §4.1.2"),
        "ServerHello" => note("tls.server_hello", "The server picks a suite and sends its key share: from here on both sides derive the handshake keys, and everything else is encrypted.", "RFC 8446 §4.1.3"),
        "HelloRetryRequest" => note("tls.hrr", "The client's key share was for a group the server does not accept: the client must send a second ClientHello, costing a round trip.", "RFC 8446 §4.1.4"),
        "EncryptedExtensions" => note("tls.ee", "Extensions that need no key exchange (ALPN, ...) travel encrypted, unlike in TLS 1.2.", "RFC 8446 §4.3.1"),
        "Certificate" => note("tls.certificate", "The server's chain, leaf first; the client checks it up to a trusted root and against the name it asked for.", "RFC 8446 §4.4.2"),
        "CertificateRequest" => note("tls.certificate_request", "The server asks the client for a certificate too (mutual TLS): the client answers with its Certificate and CertificateVerify before its Finished, or with an empty Certificate.", "RFC 8446 §4.3.2"),
        "CertificateVerify" => note("tls.cv", "A signature over the transcript so far, with the certificate's key: it binds this handshake to the certificate.", "RFC 8446 §4.4.3"),
        "Finished" => note("tls.finished", "An HMAC over the whole transcript: any tampering with an earlier message makes it fail.", "RFC 8446 §4.4.4"),
        "NewSessionTicket" => note("tls.ticket", "After the handshake, the server hands out tickets for resumption (and possibly 0-RTT) next time.", "RFC 8446 §4.6.1"),
        _ => Vec::new(),
    }
}

/// TLS 1.2's notes, for the messages whose story differs from TLS 1.3's.
fn notes_12(name: &str) -> Option<Vec<Note>> {
    let note = |topic: &str, text: &str, rfc: &str| Some(vec![Note::new(topic, text, Some(rfc))]);
    match name {
        "ServerHello" => note("tls.server_hello", "This server chose TLS 1.2 (its ServerHello has no supported_versions extension): the rest of its flight, the certificate too, travels in the clear, and no key exists until the client has sent its key exchange.", "RFC 5246 §7.3"),
        "Certificate" => note("tls.certificate", "The server's chain, leaf first, in the clear; the client checks it up to a trusted root and against the name it asked for.", "RFC 5246 §7.4.2"),
        "ServerKeyExchange (TLS 1.2)" => note("tls.ske", "The server's ephemeral (EC)DH public key, signed with the certificate's key over both hello randoms: the signature binds this key exchange to the certificate and to this connection.", "RFC 5246 §7.4.3"),
        "ServerHelloDone (TLS 1.2)" => note("tls.shd", "The end of the server's first flight: the client answers with its own key exchange, a second round trip before any application data can flow.", "RFC 5246 §7.4.5"),
        "ClientKeyExchange (TLS 1.2)" => note("tls.cke", "The client's half of the (EC)DH exchange: both sides now compute the premaster secret and from it the master secret (the key log's CLIENT_RANDOM line), from which every key of the connection is cut.", "RFC 5246 §8.1"),
        "ChangeCipherSpec" => note("tls.ccs", "Not a handshake message but a record of its own: from the next record on, this side encrypts with its write key from the key block, counting records from sequence number 0.", "RFC 5246 §7.1"),
        "CertificateVerify" => note("tls.cv", "The client's signature over the handshake messages so far, with its certificate's key: it proves the client holds that key.", "RFC 5246 §7.4.8"),
        "Finished" => note("tls.finished", "The first record under the new keys: PRF(master secret, a hash of every handshake message so far, both sides'), cut to 12 octets. Any tampering with an earlier message makes it fail.", "RFC 5246 §7.4.9"),
        "NewSessionTicket" => note("tls.ticket", "Before its ChangeCipherSpec the server hands out a ticket: next time the client can offer it and skip the key exchange (an abbreviated handshake).", "RFC 5077 §3.3"),
        _ => None,
    }
}
