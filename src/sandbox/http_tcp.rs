//! The sandbox's HTTP over TLS: HTTP/2 (RFC 9113, with the h2 crate) when the client's ALPN
//! picked `h2`, else HTTP/1.1 (one request per connection). Content: [`super::http::answer`].

use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::http::{answer, Answer, Schedule, Turn, Turns, ALT_SVC};

/// Longest a client may take to send its request head, and its largest size.
pub(super) const HEAD_TIMEOUT: Duration = Duration::from_secs(5);
pub(super) const MAX_HEAD: usize = 16 * 1024;

/// Serves one TLS connection by the protocol ALPN chose; `early` is what the client sent as
/// 0-RTT data (the start of its HTTP/1.1 request); HTTP/2's responses share the connection by
/// `schedule`.
pub async fn serve<S>(tls: S, alpn: Option<&[u8]>, early: Vec<u8>, schedule: Schedule)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    if alpn == Some(b"h2") {
        serve_h2(tls, schedule).await;
    } else {
        serve_h1(tls, early).await;
    }
}

/// HTTP/1.1: reads one request head (which may have begun as early data), answers, closes.
async fn serve_h1<S: AsyncRead + AsyncWrite + Unpin>(mut tls: S, mut head: Vec<u8>) {
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
    let (a, with_body) = answer_h1(&head);
    tokio::time::sleep(a.delay).await;
    if tls.write_all(h1_response_head(&a).as_bytes()).await.is_ok() && with_body {
        for chunk in a.body.chunks() {
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

/// The answer to an HTTP/1.1 request head, and whether a body follows its head (not for HEAD).
pub fn answer_h1(head: &[u8]) -> (Answer, bool) {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let (method, path) = (
        request_line.next().unwrap_or_default().to_string(),
        request_line.next().unwrap_or("/").to_string(),
    );
    let headers: Vec<(String, String)> = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (answer(&method, &path, &headers, "HTTP/1.1"), method != "HEAD")
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
async fn serve_h2<S>(tls: S, schedule: Schedule)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = h2::server::Builder::new();
    builder
        .max_concurrent_streams(100)
        .initial_window_size(4 << 20)
        .initial_connection_window_size(8 << 20);
    if schedule == Schedule::Sequential {
        // The h2 crate sends every stream with buffered data in turn, a frame each; a stream
        // that may buffer only one frame's worth is handed over frame by frame, so the next
        // response (which waits for it) can only start as it ends.
        builder.max_send_buffer_size(16 * 1024);
    }
    let Ok(Ok(mut conn)) = tokio::time::timeout(HEAD_TIMEOUT, builder.handshake::<_, Bytes>(tls)).await else {
        return;
    };
    let mut turns = Turns::new(schedule);
    while let Some(Ok((request, respond))) = conn.accept().await {
        tokio::spawn(answer_h2(request, respond, turns.take()));
    }
}

async fn answer_h2(
    request: http::Request<h2::RecvStream>,
    mut respond: h2::server::SendResponse<Bytes>,
    mut turn: Turn,
) {
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let head = request.method() == http::Method::HEAD;
    let a = answer(request.method().as_str(), request.uri().path(), &headers, "HTTP/2");
    tokio::time::sleep(a.delay).await;
    turn.wait().await;
    let empty = head || a.body.is_empty();
    let Ok(mut send) = respond.send_response(response(&a), empty) else {
        return;
    };
    if empty {
        return;
    }
    let mut chunks = a.body.chunks().peekable();
    while let Some(mut chunk) = chunks.next() {
        // Send only what the peer's flow-control window allows (RFC 9113 §5.2).
        while !chunk.is_empty() {
            send.reserve_capacity(chunk.len());
            let granted = match std::future::poll_fn(|cx| send.poll_capacity(cx)).await {
                Some(Ok(n)) if n > 0 => n.min(chunk.len()),
                Some(Ok(_)) => continue,
                _ => return,
            };
            let piece = chunk.split_to(granted);
            let last = chunk.is_empty() && chunks.peek().is_none();
            if send.send_data(piece, last).is_err() {
                return;
            }
        }
    }
}

/// The response head of an answer, for HTTP/2 and HTTP/3.
pub fn response(a: &Answer) -> http::Response<()> {
    http::Response::builder()
        .status(a.status)
        .header("content-type", a.content_type)
        .header("content-length", a.body.len())
        .header("alt-svc", ALT_SVC)
        .header("server", "netlab-sandbox")
        .body(())
        .unwrap_or_default()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "",
    }
}
