//! The directory of a running sandbox, as `netlab sandbox up` hands it out: every server's
//! virtual address and the loopback socket that really serves it, the TLS hosts, and the files
//! a real client needs (the root CA, a client certificate and its key). One serde value: the
//! `--json` output ([`SCHEMA`]), and the banner with ready-to-paste commands for dig, curl and
//! openssl ([`Directory::text`]).

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{pki, resolver, web, Sandbox};
use crate::error::{Error, Result};

/// The schema of `netlab sandbox up --json`.
pub const SCHEMA: &str = "netlab.sandbox/1";

/// Where the zones' master files are.
const ZONES: &str = "labs/sandbox/zones/";

/// A running sandbox's servers and files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Directory {
    pub schema: &'static str,
    /// `--bind-127`: each server on its own 127.0.53.x address and the standard port, and the
    /// zones rewritten to name those addresses, so real tools can walk it.
    pub bind_127: bool,
    /// The authoritative name servers, root first.
    pub name_servers: Vec<Served>,
    /// The recursive resolver, on DNS (53), DNS over TLS (853) and DNS over HTTPS (443).
    pub resolver: Vec<Served>,
    pub tls_hosts: Vec<TlsHost>,
    /// The discard service (RFC 863) for `netlab tcp`.
    pub discard: Vec<Served>,
    /// The root CA certificate (PEM) every sandbox certificate chains to.
    pub ca: PathBuf,
    /// A client certificate from the sandbox CA (PEM, with its chain), which
    /// mtls.example.com asks for; and its private key (0600).
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    /// The zones' master files.
    pub zones: &'static str,
}

/// A service at a virtual address, and the loopback socket that really serves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Served {
    pub name: String,
    pub virtual_address: SocketAddr,
    pub socket: SocketAddr,
}

/// A TLS host: its names (the first is the certificate's subject), its virtual addresses
/// (port 443), and the socket that serves TLS over TCP and QUIC over UDP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TlsHost {
    pub names: Vec<String>,
    pub virtual_addresses: Vec<SocketAddr>,
    pub socket: SocketAddr,
    /// Mutual TLS: the host wants a client certificate from the sandbox CA.
    pub client_certificate: bool,
}

/// The address a world table spells out.
fn ip(text: &str) -> IpAddr {
    text.parse().expect("the sandbox's addresses are valid")
}

impl Directory {
    /// Writes the root CA, the client certificate and its key into `dir` (0600, atomically)
    /// and describes `sandbox` with them.
    pub fn publish(sandbox: &Sandbox, bind_127: bool, dir: &Path) -> Result<Directory> {
        let ca = dir.join("sandbox-root-ca.pem");
        let client_cert = dir.join("sandbox-client.pem");
        let client_key = dir.join("sandbox-client.key");
        let (cert_pem, key_pem) = pki::identity_pem(&sandbox.client_identity);
        for (path, text) in [
            (&ca, pki::pem_certificate(&sandbox.ca_cert)),
            (&client_cert, cert_pem),
            (&client_key, key_pem),
        ] {
            crate::fsutil::write_atomic(path, text.as_bytes()).map_err(|e| Error::io(path, e))?;
        }
        let resolver_name = resolver::NAME.to_string();
        let resolver_ip = ip(resolver::ADDRESS);
        let r = &sandbox.resolver;
        let www = web::HOSTS[0];
        Ok(Directory {
            schema: SCHEMA,
            bind_127,
            name_servers: sandbox
                .servers
                .iter()
                .map(|s| Served {
                    name: s.spec.name.to_string(),
                    virtual_address: SocketAddr::new(ip(s.spec.address), 53),
                    socket: s.local,
                })
                .collect(),
            resolver: [(53, r.local), (853, r.local_tls), (443, r.local_https)]
                .into_iter()
                .map(|(port, socket)| Served {
                    name: resolver_name.clone(),
                    virtual_address: SocketAddr::new(resolver_ip, port),
                    socket,
                })
                .collect(),
            tls_hosts: sandbox
                .web
                .iter()
                .map(|h| TlsHost {
                    names: h.spec.names.iter().map(|n| n.to_string()).collect(),
                    virtual_addresses: h.spec.addresses.iter().map(|a| SocketAddr::new(ip(a), 443)).collect(),
                    socket: h.local,
                    client_certificate: h.spec.behaviour == web::Behaviour::ClientCertRequired,
                })
                .collect(),
            discard: www
                .addresses
                .iter()
                .filter_map(|a| {
                    let virtual_address = SocketAddr::new(ip(a), super::discard::PORT);
                    Some(Served {
                        name: www.names[1].to_string(),
                        virtual_address,
                        socket: sandbox.book.get(&virtual_address)?,
                    })
                })
                .collect(),
            ca,
            client_cert,
            client_key,
            zones: ZONES,
        })
    }

    /// The banner: the address book, then how to use it with dig, curl and openssl.
    pub fn text(&self) -> String {
        let mut text = String::from("netlab sandbox: name servers (virtual address -> the socket that serves it)\n");
        for s in &self.name_servers {
            text.push_str(&format!(
                "  {:<24} {:<15} -> {}\n",
                s.name,
                s.virtual_address.ip().to_string(),
                s.socket
            ));
        }
        if let Some(root) = self.name_servers.first() {
            let ip = root.socket.ip();
            if self.bind_127 {
                text.push_str(&format!(
                    "\nThe zones' addresses are rewritten to the 127.0.53.x ones, so real tools can walk it:\n  netlab dns www.example.com --root {ip}\n  dig @{ip} +norecurse www.example.com     (then follow each referral by hand)\n  dig +trace @{ip} www.example.com\ndig +trace looks up every name server's address with the system resolver, not from glue;\nfor it, add these lines to /etc/hosts while the sandbox runs:\n{hosts}",
                    hosts = self
                        .name_servers
                        .iter()
                        .map(|s| format!("  {} {}\n", s.socket.ip(), s.name.trim_end_matches('.')))
                        .collect::<String>()
                ));
            } else {
                text.push_str(&format!(
                    "\nAsk one server directly (the zones name the virtual addresses, so follow referrals by hand):\n  dig @127.0.0.1 -p {} +norecurse www.example.com\nFor dig +trace, run 'netlab sandbox up --bind-127' as root. 'netlab dns NAME --sandbox' walks it in-process.\n",
                    root.socket.port()
                ));
            }
        }
        text.push_str("\nTLS hosts (virtual address:443 -> the socket that serves it):\n");
        for h in &self.tls_hosts {
            let addresses: Vec<String> = h.virtual_addresses.iter().map(|a| a.ip().to_string()).collect();
            text.push_str(&format!(
                "  {:<28} {:<24} -> {}\n",
                h.names[0],
                addresses.join(","),
                h.socket
            ));
        }
        let ca = self.ca.display();
        if let Some(web) = self.tls_hosts.first() {
            let (ip, port) = (web.socket.ip(), web.socket.port());
            text.push_str(&format!(
                "The sandbox root CA is in {ca}; point curl and openssl at it:\n  curl --cacert {ca} --resolve www.example.com:{port}:{ip} https://www.example.com:{port}/\n  openssl s_client -connect {ip}:{port} -servername www.example.com -CAfile {ca}\n",
            ));
            text.push_str(&format!(
                "Every TLS host serves /, /bytes/N, /delay/MS, /headers and /objects/K over HTTP/1.1 and HTTP/2 (TCP) and HTTP/3 (UDP, the same port):\n  curl --http2 --cacert {ca} --resolve www.example.com:{port}:{ip} https://www.example.com:{port}/\n  netlab http https://www.example.com:{port}/ --connect-to ::{ip}:{port} --cacert {ca} --compare\n",
            ));
        }
        if let Some(mtls) = self.tls_hosts.iter().find(|h| h.client_certificate) {
            text.push_str(&format!(
                "{name} wants a client certificate; one from the sandbox CA is in {cert} (key {key}, 0600):\n  curl --cacert {ca} --cert {cert} --key {key} --resolve {name}:{port}:{ip} https://{name}:{port}/\n",
                name = mtls.names[0],
                cert = self.client_cert.display(),
                key = self.client_key.display(),
                ip = mtls.socket.ip(),
                port = mtls.socket.port()
            ));
        }
        text.push_str(&format!("Zones: {}. Press Ctrl-C to stop.\n", self.zones));
        text
    }
}
