//! `netlab sandbox up`: starts the servers, prints the address book and how to use it with
//! dig, curl and openssl, and waits.

use super::{out, Io};
use crate::error::{Error, Result};

/// `netlab sandbox up`: starts the servers, prints the address book and how to use it, waits.
pub(super) fn run_sandbox_up(a: &crate::cli::SandboxUpArgs, io: &mut Io) -> Result<i32> {
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let sandbox = crate::sandbox::Sandbox::start_with(if a.bind_127 {
            crate::sandbox::Addressing::Bind127
        } else {
            crate::sandbox::Addressing::Loopback
        })
        .await?;
        let mut text = String::from("netlab sandbox: name servers (virtual address -> the socket that serves it)\n");
        for s in &sandbox.servers {
            text.push_str(&format!("  {:<24} {:<15} -> {}\n", s.spec.name, s.spec.address, s.local));
        }
        let root = &sandbox.servers[0];
        if a.bind_127 {
            text.push_str(&format!(
                "\nThe zones' addresses are rewritten to the 127.0.53.x ones, so real tools can walk it:\n  netlab dns www.example.com --root {ip}\n  dig @{ip} +norecurse www.example.com     (then follow each referral by hand)\n  dig +trace @{ip} www.example.com\ndig +trace looks up every name server's address with the system resolver, not from glue;\nfor it, add these lines to /etc/hosts while the sandbox runs:\n{hosts}",
                ip = root.local.ip(),
                hosts = sandbox.servers.iter().map(|s| format!("  {} {}\n", s.local.ip(), s.spec.name.trim_end_matches('.'))).collect::<String>()
            ));
        } else {
            text.push_str(&format!(
                "\nAsk one server directly (the zones name the virtual addresses, so follow referrals by hand):\n  dig @127.0.0.1 -p {} +norecurse www.example.com\nFor dig +trace, run 'netlab sandbox up --bind-127' as root. 'netlab dns NAME --sandbox' walks it in-process.\n",
                root.local.port()
            ));
        }
        let ca_path = crate::lab::progress::default_path(|k| std::env::var(k).ok())?.with_file_name("sandbox-root-ca.pem");
        crate::fsutil::write_atomic(&ca_path, crate::sandbox::pki::pem_certificate(&sandbox.ca_cert).as_bytes()).map_err(|e| Error::io(&ca_path, e))?;
        text.push_str("\nTLS hosts (virtual address:443 -> the socket that serves it):\n");
        for h in &sandbox.web {
            text.push_str(&format!("  {:<28} {:<24} -> {}\n", h.spec.names[0], h.spec.addresses.join(","), h.local));
        }
        let web = &sandbox.web[0];
        text.push_str(&format!(
            "The sandbox root CA is in {ca}; point curl and openssl at it:\n  curl --cacert {ca} --resolve www.example.com:{port}:{ip} https://www.example.com:{port}/\n  openssl s_client -connect {ip}:{port} -servername www.example.com -CAfile {ca}\n",
            ca = ca_path.display(),
            ip = web.local.ip(),
            port = web.local.port()
        ));
        text.push_str(&format!(
            "Every TLS host serves /, /bytes/N, /delay/MS, /headers and /objects/K over HTTP/1.1 and HTTP/2 (TCP) and HTTP/3 (UDP, the same port):\n  curl --http2 --cacert {ca} --resolve www.example.com:{port}:{ip} https://www.example.com:{port}/\n  netlab http https://www.example.com:{port}/ --connect-to ::{ip}:{port} --cacert {ca} --compare\n",
            ca = ca_path.display(),
            ip = web.local.ip(),
            port = web.local.port()
        ));
        let (client_pem, key_pem) = crate::sandbox::pki::identity_pem(&sandbox.client_identity);
        let client_path = ca_path.with_file_name("sandbox-client.pem");
        let key_path = ca_path.with_file_name("sandbox-client.key");
        crate::fsutil::write_atomic(&client_path, client_pem.as_bytes()).map_err(|e| Error::io(&client_path, e))?;
        crate::fsutil::write_atomic(&key_path, key_pem.as_bytes()).map_err(|e| Error::io(&key_path, e))?;
        if let Some(mtls) = sandbox.web.iter().find(|h| h.spec.names[0] == "mtls.example.com") {
            text.push_str(&format!(
                "mtls.example.com wants a client certificate; one from the sandbox CA is in {cert} (key {key}, 0600):\n  curl --cacert {ca} --cert {cert} --key {key} --resolve mtls.example.com:{port}:{ip} https://mtls.example.com:{port}/\n",
                cert = client_path.display(),
                key = key_path.display(),
                ca = ca_path.display(),
                ip = mtls.local.ip(),
                port = mtls.local.port()
            ));
        }
        text.push_str("Zones: labs/sandbox/zones/. Press Ctrl-C to stop.\n");
        out(io, &text)?;
        match a.duration {
            Some(secs) => tokio::time::sleep(std::time::Duration::from_secs(secs)).await,
            None => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
        drop(sandbox);
        Ok(0)
    })
}
