//! The sandbox's HTTP over TLS: HTTP/2 (RFC 9113, with the h2 crate) when the client's ALPN
//! picked `h2`, else HTTP/1.1 (one request per connection). Content: the host's
//! [`Site`](super::site::Site).

use std::net::IpAddr;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::http::{answer, Answer, Schedule, Turn, Turns, ALT_SVC};
use super::site::{host_of, reply, Asked, Reply, Site};

/// Longest a client may take to send its request head, and its largest size.
pub(super) const HEAD_TIMEOUT: Duration = Duration::from_secs(5);
pub(super) const MAX_HEAD: usize = 16 * 1024;

/// One TLS connection: what its host serves, who the client is, how responses share it.
pub struct Connection {
    pub site: Site,
    pub client: IpAddr,
    pub schedule: Schedule,
}

/// Serves one TLS connection by the protocol ALPN chose; `early` is what the client sent as
/// 0-RTT data (the start of its HTTP/1.1 request); HTTP/2's responses share the connection by
/// the schedule.
pub async fn serve<S>(tls: S, alpn: Option<&[u8]>, early: Vec<u8>, connection: Connection)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    if alpn == Some(b"h2") {
        serve_h2(tls, connection).await;
    } else {
        serve_h1(tls, early, connection).await;
    }
}

/// HTTP/1.1: reads one request head (which may have begun as early data), answers, closes.
async fn serve_h1<S: AsyncRead + AsyncWrite + Unpin>(mut tls: S, mut head: Vec<u8>, connection: Connection) {
    let mut buf = [0u8; 4096];
    let read_head = async {
        while !head_complete(&head) && head.len() < MAX_HEAD {
            match tls.read(&mut buf).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        true
    };
    if !matches!(tokio::time::timeout(HEAD_TIMEOUT, read_head).await, Ok(true)) {
        let _ = tls.shutdown().await;
        return;
    }
    let (method, target, headers) = parse_h1(&head);
    let authority = headers.iter().find(|(n, _)| n == "host").map(|(_, v)| host_of(v));
    let asked = Asked {
        method: &method,
        target: &target,
        authority,
        headers: &headers,
        client: connection.client,
        protocol: "HTTP/1.1",
    };
    let mut r = reply(&connection.site, &asked).await;
    tokio::time::sleep(r.delay).await;
    let mut out = format!("HTTP/1.1 {} {}\r\n", r.status, reason(r.status));
    for (name, value) in &r.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("connection: close\r\n\r\n");
    if tls.write_all(out.as_bytes()).await.is_ok() && method != "HEAD" {
        while let Some(Ok((chunk, _))) = r.body.next().await {
            if tls.write_all(&chunk).await.is_err() {
                break;
            }
        }
    }
    let _ = tls.shutdown().await;
}

/// True once `head` holds a whole HTTP/1.1 request head (up to the blank line).
pub fn head_complete(head: &[u8]) -> bool {
    head.windows(4).any(|w| w == b"\r\n\r\n")
}

/// An HTTP/1.1 request head's method, target and fields (names in lower case).
fn parse_h1(head: &[u8]) -> (String, String, Vec<(String, String)>) {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let (method, target) = (
        request_line.next().unwrap_or_default().to_string(),
        request_line.next().unwrap_or("/").to_string(),
    );
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (method, target, headers)
}

/// The usual content's answer to an HTTP/1.1 request head, and whether a body follows its head
/// (not for HEAD): zero-rtt.example.com's, which serves nothing else.
pub fn answer_h1(head: &[u8]) -> (Answer, bool) {
    let (method, target, headers) = parse_h1(head);
    (answer(&method, &target, &headers, "HTTP/1.1"), method != "HEAD")
}

/// The HTTP/1.1 response head of an answer; the connection closes after it.
pub fn h1_response_head(a: &Answer) -> String {
    format!(
        "HTTP/1.1 {} {}\r\ncontent-type: {}\r\ncontent-length: {}\r\nalt-svc: {ALT_SVC}\r\nconnection: close\r\n\r\n",
        a.status,
        reason(a.status),
        a.content_type,
        a.body.len()
    )
}

/// HTTP/2: every stream answered concurrently, DATA sent as flow control allows, the streams
/// interleaved or in turn as `schedule` says.
async fn serve_h2<S>(tls: S, connection: Connection)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = h2::server::Builder::new();
    builder
        .max_concurrent_streams(100)
        .initial_window_size(4 << 20)
        .initial_connection_window_size(8 << 20);
    if connection.schedule == Schedule::Sequential {
        // The h2 crate sends every stream with buffered data in turn, a frame each; a stream
        // that may buffer only one frame's worth is handed over frame by frame, so the next
        // response (which waits for it) can only start as it ends.
        builder.max_send_buffer_size(16 * 1024);
    }
    let Ok(Ok(mut conn)) = tokio::time::timeout(HEAD_TIMEOUT, builder.handshake::<_, Bytes>(tls)).await else {
        return;
    };
    let mut turns = Turns::new(connection.schedule);
    while let Some(Ok((request, respond))) = conn.accept().await {
        let (site, client) = (connection.site.clone(), connection.client);
        tokio::spawn(answer_h2(request, respond, turns.take(), site, client));
    }
}

async fn answer_h2(
    request: http::Request<h2::RecvStream>,
    mut respond: h2::server::SendResponse<Bytes>,
    mut turn: Turn,
    site: Site,
    client: IpAddr,
) {
    let headers = fields(request.headers());
    let head = request.method() == http::Method::HEAD;
    let asked = Asked::of(&request, &headers, client, "HTTP/2");
    let mut r = reply(&site, &asked).await;
    tokio::time::sleep(r.delay).await;
    turn.wait().await;
    let empty = head || r.body.is_empty();
    let Ok(mut send) = respond.send_response(response(&r), empty) else {
        return;
    };
    if empty {
        return;
    }
    let mut ended = false;
    while let Some(piece) = r.body.next().await {
        let Ok((mut chunk, last)) = piece else {
            // The edge broke the body off: so does this stream (RFC 9113 §8.1).
            send.send_reset(h2::Reason::INTERNAL_ERROR);
            return;
        };
        // Send only what the peer's flow-control window allows (RFC 9113 §5.2).
        while !chunk.is_empty() {
            send.reserve_capacity(chunk.len());
            let granted = match std::future::poll_fn(|cx| send.poll_capacity(cx)).await {
                Some(Ok(n)) if n > 0 => n.min(chunk.len()),
                Some(Ok(_)) => continue,
                _ => return,
            };
            let piece = chunk.split_to(granted);
            ended = chunk.is_empty() && last;
            if send.send_data(piece, ended).is_err() {
                return;
            }
        }
    }
    if !ended {
        let _ = send.send_data(Bytes::new(), true);
    }
}

/// A request's fields as name and value strings (names are lower case in HTTP/2 and HTTP/3).
pub fn fields(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect()
}

/// The response head of a reply, for HTTP/2 and HTTP/3.
/// A field the edge passed on that HTTP/2 cannot carry (not valid as a field) is left out.
pub fn response(r: &Reply) -> http::Response<()> {
    let mut response = http::Response::new(());
    *response.status_mut() = http::StatusCode::from_u16(r.status).unwrap_or(http::StatusCode::BAD_GATEWAY);
    let fields = response.headers_mut();
    for (name, value) in &r.headers {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            fields.append(n, v);
        }
    }
    fields.append("server", http::HeaderValue::from_static("netlab-sandbox"));
    response
}

/// The reason phrase HTTP/1.1's status line carries (RFC 9112 §4): IANA's for the code.
fn reason(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|c| c.canonical_reason())
        .unwrap_or("")
}
