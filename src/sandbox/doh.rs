//! DNS over HTTPS (RFC 8484) for the sandbox's resolver, over HTTP/2 and TLS. A DNS message
//! travels either way RFC 8484 §4.1 allows: in a GET's `?dns=` parameter (base64url, no
//! padding; ID 0 makes the request cacheable), or as a POST's body (`Content-Type:
//! application/dns-message`). The answer is an `application/dns-message` body whose freshness
//! (`cache-control: max-age`) is the smallest TTL in it (§5.1).
//!
//! hickory-server 0.26's DoH listener takes only POST (its GET is "unimplemented", and it wants
//! a Content-Type on a GET, which has no body to type), so netlab serves DoH itself and hands
//! each message to the resolver's request handler, as hickory's listener would.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use hickory_proto::op::Message;
use hickory_proto::rr::Record;
use hickory_proto::serialize::binary::BinEncoder;
use hickory_server::net::runtime::TokioTime;
use hickory_server::net::xfer::Protocol;
use hickory_server::net::NetError;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponse;
use tokio::net::TcpListener;

use crate::error::{Error, Result};

/// The media type of a DNS message in HTTP (RFC 8484 §6).
pub const DNS_MESSAGE: &str = "application/dns-message";
/// The largest DNS message (RFC 8484 §6: a message in HTTP is at most 65535 octets).
const MAX_MESSAGE: usize = 65_535;
/// Longest a client may take for its TLS and HTTP/2 handshakes.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// The DoH server at `path` on `listener` with `cert`, answering by `handler`: it serves while
/// the future runs. Fails only if rustls refuses the configuration.
pub fn serve<H: RequestHandler>(
    listener: TcpListener,
    cert: Arc<rustls::sign::CertifiedKey>,
    path: &'static str,
    handler: H,
) -> Result<impl std::future::Future<Output = ()>> {
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| Error::usage("sandbox DoH", e.to_string(), "report this"))?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(super::pki::OneCert(cert)));
    // RFC 8484 §5.2: HTTP/2 is the minimum recommended version.
    config.alpn_protocols = vec![b"h2".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let handler = Arc::new(handler);
    Ok(async move {
        while let Ok((stream, peer)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            let (acceptor, handler) = (acceptor.clone(), handler.clone());
            tokio::spawn(async move {
                let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await else {
                    return;
                };
                let Ok(Ok(mut conn)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, h2::server::handshake(tls)).await else {
                    return;
                };
                while let Some(Ok((request, respond))) = conn.accept().await {
                    tokio::spawn(exchange(request, respond, peer, path, handler.clone()));
                }
            });
        }
    })
}

/// One HTTP exchange: the DNS message out of the request, the resolver's answer back.
async fn exchange<H: RequestHandler>(
    request: http::Request<h2::RecvStream>,
    mut respond: h2::server::SendResponse<Bytes>,
    peer: SocketAddr,
    path: &str,
    handler: Arc<H>,
) {
    let (parts, mut request_body) = request.into_parts();
    let (status, body) = match query_of(&parts, &mut request_body, path).await {
        Ok(query) => match answer(query, peer, &*handler).await {
            Some(reply) => (200, reply),
            None => (400, Vec::new()),
        },
        Err(status) => {
            // A refused request's body is read to its end first: h2 resets a stream whose body
            // is dropped unread, and drops the response queued on it.
            let _ = tokio::time::timeout(HANDSHAKE_TIMEOUT, drain(&mut request_body)).await;
            (status, Vec::new())
        }
    };
    let mut head = http::Response::builder()
        .status(status)
        .header("content-length", body.len());
    if status == 200 {
        head = head.header("content-type", DNS_MESSAGE);
        if let Some(ttl) = Message::from_vec(&body).ok().and_then(|m| smallest_ttl(&m)) {
            head = head.header("cache-control", format!("max-age={ttl}"));
        }
    } else if status == 405 {
        head = head.header("allow", "GET, POST");
    }
    let Ok(head) = head.body(()) else { return };
    let Ok(mut send) = respond.send_response(head, body.is_empty()) else {
        return;
    };
    if !body.is_empty() {
        let _ = send.send_data(Bytes::from(body), true);
    }
}

/// The DNS message a request carries (RFC 8484 §4.1), or the HTTP status that refuses it.
async fn query_of(request: &http::request::Parts, body: &mut h2::RecvStream, path: &str) -> Result<Vec<u8>, u16> {
    if request.uri.path() != path {
        return Err(404);
    }
    match request.method {
        http::Method::GET => request
            .uri
            .query()
            .and_then(dns_parameter)
            .and_then(|b64| data_encoding::BASE64URL_NOPAD.decode(b64.as_bytes()).ok())
            .filter(|m| m.len() <= MAX_MESSAGE)
            .ok_or(400),
        http::Method::POST => {
            let typed = request
                .headers
                .get("content-type")
                .is_some_and(|t| t.as_bytes() == DNS_MESSAGE.as_bytes());
            if !typed {
                return Err(415);
            }
            let mut message = Vec::new();
            while let Some(chunk) = body.data().await {
                let chunk = chunk.map_err(|_| 400u16)?;
                let _ = body.flow_control().release_capacity(chunk.len());
                message.extend_from_slice(&chunk);
                if message.len() > MAX_MESSAGE {
                    return Err(413);
                }
            }
            Ok(message)
        }
        _ => Err(405),
    }
}

/// Reads what is left of a request body (at most a message's worth) and lets it go.
async fn drain(body: &mut h2::RecvStream) {
    let mut left = MAX_MESSAGE;
    while let Some(Ok(chunk)) = body.data().await {
        let _ = body.flow_control().release_capacity(chunk.len());
        left = left.saturating_sub(chunk.len());
        if left == 0 {
            break;
        }
    }
}

/// The value of the `dns` parameter in a query string (`dns=...&...`).
fn dns_parameter(query: &str) -> Option<&str> {
    query.split('&').find_map(|pair| pair.strip_prefix("dns="))
}

/// The resolver's answer to a DNS message in wire format; `None` if it is not one.
async fn answer<H: RequestHandler>(query: Vec<u8>, peer: SocketAddr, handler: &H) -> Option<Vec<u8>> {
    let request = Request::from_bytes(query, peer, Protocol::Https).ok()?;
    let captured = Captured::default();
    handler.handle_request::<_, TokioTime>(&request, captured.clone()).await;
    let reply = captured.0.lock().ok()?.take();
    reply
}

/// The smallest TTL of the records in a response: how long an HTTP cache may keep it.
fn smallest_ttl(m: &Message) -> Option<u32> {
    m.answers.iter().chain(&m.authorities).map(|r: &Record| r.ttl).min()
}

/// A response handler that keeps the response's wire format instead of sending it.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Option<Vec<u8>>>>);

#[async_trait::async_trait]
impl ResponseHandler for Captured {
    async fn send_response<'a>(
        &mut self,
        response: MessageResponse<
            '_,
            'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
        >,
    ) -> Result<ResponseInfo, NetError> {
        let mut bytes = Vec::with_capacity(512);
        let info = response.destructive_emit(&mut BinEncoder::new(&mut bytes))?;
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(bytes);
        }
        Ok(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dns_parameter_is_found_among_others() {
        assert_eq!(dns_parameter("dns=AAAB"), Some("AAAB"));
        assert_eq!(dns_parameter("ct&dns=AAAB&x=1"), Some("AAAB"));
        assert_eq!(dns_parameter("nodns=AAAB"), None);
    }

    #[test]
    fn rfc_8484s_get_example_decodes_to_its_query() {
        // RFC 8484 §4.1.1: www.example.com A, ID 0xabcd, RD=1, in base64url without padding.
        let bytes = data_encoding::BASE64URL_NOPAD
            .decode(b"q80BAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB")
            .unwrap();
        let m = Message::from_vec(&bytes).unwrap();
        assert_eq!(m.metadata.id, 0xabcd);
        assert_eq!(m.queries[0].name().to_ascii(), "www.example.com.");
    }
}
