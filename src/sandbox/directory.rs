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
    /// Behind an emulated link (`sandbox up --link`): how real tools get to the client's side
    /// of it. Null otherwise.
    pub link: Option<Through>,
}

/// The way through an emulated link for real tools. The servers listen on their own addresses
/// (each [`Served::socket`] is its virtual address) in a network namespace of their own; the
/// only way to them is from the client's namespace, across the link. Both namespaces are
/// anonymous, held by the running netlab's file descriptors, so a tool gets in by the
/// descriptor's path (`nsenter --net=/proc/PID/fd/N`) while netlab runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Through {
    /// The link's conditions, as netlab reads them (`rtt=40ms` is `delay=20ms` each way).
    pub spec: String,
    /// The client's network namespace: `/proc/PID/fd/N` of the running netlab.
    pub client_netns: PathBuf,
    /// The command that runs a program in the client's namespace: the program and its
    /// arguments follow it.
    pub enter: Vec<String>,
    /// Ready to run: dig asking the sandbox's resolver, curl and openssl s_client fetching
    /// www.example.com with the sandbox CA, all through the link.
    pub dig: Vec<String>,
    pub curl: Vec<String>,
    pub openssl: Vec<String>,
}

/// Where the zones put www.example.com (a CNAME to cdn.example.net, 192.0.2.80): the address
/// curl and openssl are pointed at behind a link, where no system resolver answers.
const WWW: &str = "192.0.2.80";

/// A service at a virtual address, and the loopback socket that really serves it (behind a
/// link, the virtual address itself, in the servers' namespace).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Served {
    pub name: String,
    pub virtual_address: SocketAddr,
    pub socket: SocketAddr,
}

/// A TLS host: its names (the first is the certificate's subject), its virtual addresses
/// (port 443) that `socket` serves, and that socket, which serves TLS over TCP and QUIC over
/// UDP. Behind a link a host listens on each of its addresses: one entry per address.
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
        // netlab's own folder (NETLAB_HOME), made 0700 on first use.
        crate::fsutil::create_private_dir(dir).map_err(|e| Error::io(dir, e))?;
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
                    // Those this socket serves: all of them on loopback, its own behind a link.
                    virtual_addresses: h
                        .spec
                        .addresses
                        .iter()
                        .map(|a| SocketAddr::new(ip(a), 443))
                        .filter(|a| sandbox.book.get(a) == Some(h.local))
                        .collect(),
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
            link: None,
        })
    }

    /// The same directory behind an emulated link with conditions `spec`: the client's
    /// namespace at `client_netns`, entered through the user namespace at `user_ns` when
    /// netlab runs in one of its own (see [`crate::net::ns::privilege`]; root may leave that
    /// part out).
    pub fn behind_link(self, spec: String, client_netns: PathBuf, user_ns: Option<PathBuf>) -> Directory {
        let mut enter = vec!["nsenter".to_string()];
        if let Some(user_ns) = user_ns {
            // The user who started netlab is root in its user namespace by the map already;
            // setgroups(2) is denied there, so nsenter must not try to reset the groups.
            enter.push("--preserve-credentials".into());
            enter.push(format!("--user={}", user_ns.display()));
        }
        enter.push(format!("--net={}", client_netns.display()));
        let with = |tool: &[String]| -> Vec<String> { enter.iter().chain(tool).cloned().collect() };
        let words = |line: &str| -> Vec<String> { line.split(' ').map(str::to_string).collect() };
        let resolver = self.resolver.first().map(|r| r.virtual_address.ip().to_string());
        let ca = self.ca.display().to_string();
        let dig = with(&words(&format!(
            "dig @{} www.example.com",
            resolver.unwrap_or_else(|| super::resolver::ADDRESS.to_string())
        )));
        let mut curl = words(&format!("curl --resolve www.example.com:443:{WWW} --cacert"));
        curl.extend([ca.clone(), "https://www.example.com/".into()]);
        let mut openssl = words(&format!(
            "openssl s_client -connect {WWW}:443 -servername www.example.com -CAfile"
        ));
        openssl.push(ca);
        Directory {
            link: Some(Through {
                spec,
                client_netns,
                dig,
                curl: with(&curl),
                openssl: with(&openssl),
                enter,
            }),
            ..self
        }
    }

    /// The banner: the address book, then how to use it with dig, curl and openssl.
    pub fn text(&self) -> String {
        match &self.link {
            Some(link) => self.text_behind_link(link),
            None => self.text_on_loopback(),
        }
    }

    /// The banner behind an emulated link: the servers on their own addresses, and the tools
    /// run in the client's namespace.
    fn text_behind_link(&self, link: &Through) -> String {
        let mut text = format!(
            "netlab sandbox behind an emulated link ({}): the servers on their own addresses\n",
            link.spec
        );
        for s in &self.name_servers {
            text.push_str(&format!("  {:<28} {}\n", s.name, s.virtual_address.ip()));
        }
        if let Some(r) = self.resolver.first() {
            text.push_str(&format!(
                "  {:<28} {}  (recursive: DNS 53, DNS over TLS 853, DNS over HTTPS 443)\n",
                r.name,
                r.virtual_address.ip()
            ));
        }
        text.push_str("TLS hosts (port 443):\n");
        // A host with several addresses has a socket on each: one line per host.
        let mut hosts: Vec<(&str, Vec<String>)> = Vec::new();
        for h in &self.tls_hosts {
            let addresses = h.virtual_addresses.iter().map(|a| a.ip().to_string());
            match hosts.last_mut() {
                Some((name, seen)) if *name == h.names[0] => seen.extend(addresses),
                _ => hosts.push((&h.names[0], addresses.collect())),
            }
        }
        for (name, addresses) in hosts {
            text.push_str(&format!("  {:<28} {}\n", name, addresses.join(",")));
        }
        let enter = shell_words(&link.enter);
        text.push_str(&format!(
            "\nThey are reachable only from the client's side of the link (100.64.0.2), a network namespace\n\
             this process holds as {netns}. Run real tools there with nsenter ({who}),\n\
             and every packet they send crosses the link:\n  {dig}\n  {curl}\n  {openssl}\n  \
             {enter} kdig @{resolver} +tls-ca={ca} +tls-hostname={resolver_name} www.example.com     (DNS over TLS)\n  \
             {enter} kdig @{resolver} +https={doh} +tls-ca={ca} +tls-hostname={resolver_name} www.example.com     (DNS over HTTPS)\n  \
             {enter} curl -s --cacert {ca} --resolve {resolver_name}:443:{resolver} -H 'accept: {media}' 'https://{resolver_name}{doh}?dns={query}' | od -A x -t x1z     (DoH GET, RFC 8484 §4.1)\n  \
             {enter} dig @{root} +norecurse www.example.com     (walk from the root by hand)\n  \
             {enter} bash     (a shell on the client's side)\n\
             There is no system resolver in there: give curl --resolve, as above. The root CA is {ca}.\n",
            netns = link.client_netns.display(),
            who = if link.enter.len() > 2 {
                format!(
                    "as the user running netlab, in its user namespace; root: nsenter --net={}",
                    link.client_netns.display()
                )
            } else {
                "as root".to_string()
            },
            root = self
                .name_servers
                .first()
                .map_or_else(|| "ROOT".to_string(), |s| s.virtual_address.ip().to_string()),
            resolver = resolver::ADDRESS,
            resolver_name = resolver::NAME.trim_end_matches('.'),
            doh = resolver::DOH_PATH,
            media = super::doh::DNS_MESSAGE,
            query = doh_get_query(),
            dig = shell_words(&link.dig),
            curl = shell_words(&link.curl),
            openssl = shell_words(&link.openssl),
            ca = self.ca.display(),
        ));
        text.push_str(&format!("Zones: {}. Press Ctrl-C to stop.\n", self.zones));
        text
    }

    /// The recursive resolver's part of the loopback banner: its three endpoints, and dig,
    /// netlab and kdig asking it over each.
    fn resolver_text(&self) -> String {
        let [dns, dot, doh] = self.resolver.as_slice() else {
            return String::new();
        };
        let mut text = format!(
            "\nThe recursive resolver {} (RD=1: it walks the sandbox from the root for you, and caches):\n",
            dns.name
        );
        for (what, s) in [("DNS", dns), ("DNS over TLS", dot), ("DNS over HTTPS", doh)] {
            text.push_str(&format!(
                "  {what:<24} {:<19} -> {}\n",
                s.virtual_address.to_string(),
                s.socket
            ));
        }
        let host = dns.name.trim_end_matches('.');
        let ca = self.ca.display();
        let at = |s: &Served| format!("@{} -p {}", s.socket.ip(), s.socket.port());
        text.push_str(&format!(
            "  dig {dns_at} www.example.com\n  netlab dns www.example.com @{dns_socket}\n  kdig {dot_at} +tls-ca={ca} +tls-hostname={host} www.example.com\n  kdig {doh_at} +https={path} +tls-ca={ca} +tls-hostname={host} www.example.com\n\
             DNS over HTTPS with GET carries the query in the URL, base64url (RFC 8484 §4.1; this one asks www.example.com A):\n  \
             curl -s --cacert {ca} --resolve {host}:{port}:{ip} -H 'accept: {media}' 'https://{host}:{port}{path}?dns={query}' | od -A x -t x1z\n",
            dns_at = at(dns),
            dns_socket = dns.socket,
            dot_at = at(dot),
            doh_at = at(doh),
            path = resolver::DOH_PATH,
            port = doh.socket.port(),
            ip = doh.socket.ip(),
            media = super::doh::DNS_MESSAGE,
            query = doh_get_query(),
        ));
        text
    }

    /// The banner of the sandbox on loopback (or `--bind-127`).
    fn text_on_loopback(&self) -> String {
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
        text.push_str(&self.resolver_text());
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

/// The `dns` parameter of a DoH GET asking www.example.com A: ID 0, so that HTTP caches can
/// share it (RFC 8484 §4.1), RD=1, base64url without padding.
fn doh_get_query() -> String {
    let question = crate::dns::wire::Question {
        name: hickory_proto::rr::Name::from_ascii("www.example.com.").expect("a valid name"),
        rtype: hickory_proto::rr::RecordType::A,
    };
    data_encoding::BASE64URL_NOPAD.encode(&crate::dns::wire::build_query(0, &question, true, None, false))
}

/// `words` as one shell command line: a word with anything but safe characters is quoted.
fn shell_words(words: &[String]) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c);
    words
        .iter()
        .map(|w| {
            if !w.is_empty() && w.chars().all(safe) {
                w.clone()
            } else {
                format!("'{}'", w.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn www_is_an_address_of_its_tls_host() {
        let www = web::HOSTS
            .iter()
            .find(|h| h.names.contains(&"www.example.com"))
            .unwrap();
        assert!(www.addresses.contains(&WWW));
    }

    /// A directory on loopback with only the resolver in it, its sockets on `ports`.
    fn with_resolver(ports: [u16; 3]) -> Directory {
        let served = |virtual_port: u16, port: u16| Served {
            name: resolver::NAME.into(),
            virtual_address: SocketAddr::new(ip(resolver::ADDRESS), virtual_port),
            socket: SocketAddr::new(ip("127.0.0.1"), port),
        };
        Directory {
            schema: SCHEMA,
            bind_127: false,
            name_servers: Vec::new(),
            resolver: vec![served(53, ports[0]), served(853, ports[1]), served(443, ports[2])],
            tls_hosts: Vec::new(),
            discard: Vec::new(),
            ca: "/tmp/ca.pem".into(),
            client_cert: "/tmp/c.pem".into(),
            client_key: "/tmp/c.key".into(),
            zones: ZONES,
            link: None,
        }
    }

    #[test]
    fn the_banner_says_how_to_reach_the_resolver_over_each_transport() {
        let text = with_resolver([5301, 5302, 5303]).text();
        for line in [
            "  DNS                      198.51.100.53:53    -> 127.0.0.1:5301",
            "  DNS over TLS             198.51.100.53:853   -> 127.0.0.1:5302",
            "  DNS over HTTPS           198.51.100.53:443   -> 127.0.0.1:5303",
            "  dig @127.0.0.1 -p 5301 www.example.com",
            "  netlab dns www.example.com @127.0.0.1:5301",
            "  kdig @127.0.0.1 -p 5302 +tls-ca=/tmp/ca.pem +tls-hostname=resolver.sandbox.test www.example.com",
            "  kdig @127.0.0.1 -p 5303 +https=/dns-query +tls-ca=/tmp/ca.pem +tls-hostname=resolver.sandbox.test www.example.com",
            // RFC 8484 §4.1.1's example query, with ID 0.
            "  curl -s --cacert /tmp/ca.pem --resolve resolver.sandbox.test:5303:127.0.0.1 -H 'accept: application/dns-message' 'https://resolver.sandbox.test:5303/dns-query?dns=AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB' | od -A x -t x1z",
        ] {
            assert!(text.lines().any(|l| l == line), "{line:?} not in:\n{text}");
        }
    }

    #[test]
    fn behind_a_link_the_resolver_is_reached_from_the_clients_namespace() {
        let text = with_resolver([53, 853, 443])
            .behind_link("rtt=40ms".into(), "/proc/7/fd/9".into(), None)
            .text();
        for line in [
            "  nsenter --net=/proc/7/fd/9 dig @198.51.100.53 www.example.com",
            "  nsenter --net=/proc/7/fd/9 kdig @198.51.100.53 +tls-ca=/tmp/ca.pem +tls-hostname=resolver.sandbox.test www.example.com     (DNS over TLS)",
            "  nsenter --net=/proc/7/fd/9 kdig @198.51.100.53 +https=/dns-query +tls-ca=/tmp/ca.pem +tls-hostname=resolver.sandbox.test www.example.com     (DNS over HTTPS)",
            "  nsenter --net=/proc/7/fd/9 curl -s --cacert /tmp/ca.pem --resolve resolver.sandbox.test:443:198.51.100.53 -H 'accept: application/dns-message' 'https://resolver.sandbox.test/dns-query?dns=AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB' | od -A x -t x1z     (DoH GET, RFC 8484 §4.1)",
        ] {
            assert!(text.lines().any(|l| l == line), "{line:?} not in:\n{text}");
        }
    }

    #[test]
    fn shell_words_quotes_what_a_shell_would_split() {
        let words = ["curl", "--cacert", "/home/a b/ca.pem", "it's", "https://x/"].map(String::from);
        assert_eq!(
            shell_words(&words),
            r"curl --cacert '/home/a b/ca.pem' 'it'\''s' https://x/"
        );
    }
}
