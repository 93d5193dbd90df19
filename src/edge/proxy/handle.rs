//! One request through the edge: its head to the cache, then either the cache's answer or the
//! origin's (collapsed with other misses for the same URL), with hop-by-hop fields removed and
//! `Via` added in both directions.

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue, HOST};
use http::{Extensions, Method, Request, Response, StatusCode, Version};
use hyper::body::Incoming;

use super::body::{self, ProxyBody, Read};
use super::collapse::{Flights, Role};
use super::event::Upstream;
use super::hop;
use super::interim::Relay;
use super::origin::{self, OriginError, ORIGIN_TIMEOUT};
use crate::edge::cache::{Cache, Decision, Fallback, Pending, RequestHead, ResponseHead};
use crate::net::Route;

/// Responses up to this size are read whole and given to the cache; bigger ones stream through
/// to the client and are not stored.
pub const BUFFER_CAP: usize = 8 << 20;

/// What every request shares.
pub struct Edge {
    pub cache: Cache,
    pub flights: Flights,
    /// The way to the origin (loopback).
    pub route: Route,
    /// The origin as the user gave it (`http://127.0.0.1:8000`), for messages and a missing Host.
    pub origin: String,
    pub authority: String,
    /// `--limit`: every client's quota, decided before the cache is asked.
    pub limit: Option<super::limit::Limit>,
    /// `--purge`: a `PURGE` request removes what is stored for its URL (as Varnish and most CDNs
    /// offer) instead of going to the origin.
    pub purge: bool,
    /// The limit counts the client `Forwarded` names (see [`super::EdgeOptions`]).
    pub forwarded_client: bool,
    /// `--challenge`: the cookie every client must bring first.
    pub challenge: Option<super::challenge::Challenge>,
}

/// The origin closed the connection before its response was whole: the client's connection is
/// closed too (hyper does so when a service fails), rather than sent a response made up here.
#[derive(Debug)]
pub struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the origin closed the connection early")
    }
}

impl std::error::Error for Dropped {}

/// A response for the client and what the origin had to do with it.
pub type Answer = (Response<ProxyBody>, Upstream);

/// The request as the client sent it, less its hop-by-hop fields.
struct Received {
    head: RequestHead,
    /// The method and target as hyper parsed them, should the cache's spelling not parse.
    method: Method,
    uri: http::Uri,
    version: Version,
    body: Incoming,
    extensions: Extensions,
}

/// Answers one request; `Err` (with what the origin did) closes the client's connection.
pub async fn handle(edge: Arc<Edge>, request: Request<Incoming>) -> Result<Answer, (Dropped, Upstream)> {
    let (parts, body) = request.into_parts();
    let mut headers = fields(&parts.headers);
    hop::strip(&mut headers);
    let host = header(&headers, "host").unwrap_or(&edge.authority).to_string();
    let target = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
    let incoming = Received {
        head: RequestHead {
            method: parts.method.as_str().to_string(),
            target,
            host,
            headers,
        },
        method: parts.method.clone(),
        uri: parts.uri.clone(),
        version: parts.version,
        body,
        extensions: parts.extensions,
    };
    if edge.purge && parts.method.as_str() == "PURGE" {
        let purged = edge.cache.purge(&incoming.head.host, &incoming.head.target);
        let text = format!(
            "netlab edge: purged {purged} stored response(s) for {}{}\n",
            incoming.head.host, incoming.head.target
        );
        let head = ResponseHead {
            status: StatusCode::OK.as_u16(),
            headers: vec![("content-type".to_string(), "text/plain; charset=utf-8".to_string())],
        };
        return Ok((
            respond(head, body::whole(Bytes::from(text)), incoming.version, None),
            Upstream::NotAsked,
        ));
    }
    let is_get = parts.method == Method::GET;
    let (request, pending) = match to_origin(edge.cache.on_request(&incoming.head, SystemTime::now())) {
        Ok(forward) => forward,
        Err((head, body)) => {
            spawn_refreshes(&edge);
            return Ok((respond(head, body, Version::HTTP_11, None), Upstream::NotAsked));
        }
    };
    if !is_get {
        return forward(&edge, request, pending, incoming).await;
    }
    let key = format!("{} {}", incoming.head.host, incoming.head.target);
    match edge.flights.join(&key) {
        Role::Lead(_leader) => forward(&edge, request, pending, incoming).await,
        Role::Alone => forward(&edge, request, pending, incoming).await,
        Role::Follow(follower) => {
            // Asked again once the first fetch is done: it may have stored the answer. The first
            // decision is given up (its request unsent), and says why it was to go forward.
            drop(request);
            follower.wait(ORIGIN_TIMEOUT).await;
            match to_origin(edge.cache.on_collapsed(&incoming.head, pending, SystemTime::now())) {
                Ok((request, pending)) => forward(&edge, request, pending, incoming).await,
                Err((head, body)) => Ok((respond(head, body, Version::HTTP_11, None), Upstream::Collapsed)),
            }
        }
    }
}

/// The background revalidations the cache asked for while serving a stale response
/// (stale-while-revalidate, RFC 5861 §3): each request goes to the origin and its answer to the
/// cache, which stores or freshens it; the client already has its answer.
fn spawn_refreshes(edge: &Arc<Edge>) {
    for (request, pending) in edge.cache.refresh_due() {
        let edge = Arc::clone(edge);
        tokio::spawn(async move { refresh(&edge, request, pending).await });
    }
}

async fn refresh(edge: &Edge, request: RequestHead, pending: Pending) {
    let (Ok(method), Ok(uri)) = (
        Method::from_bytes(request.method.as_bytes()),
        request.target.parse::<http::Uri>(),
    ) else {
        return;
    };
    let outgoing = origin_request(request, "1.1", body::empty(), method, uri);
    let request_time = SystemTime::now();
    let response = match origin::send(&edge.route, outgoing, ORIGIN_TIMEOUT).await {
        Ok(response) => response,
        Err(_) => {
            let _ = edge.cache.on_origin_error(pending, SystemTime::now());
            return;
        }
    };
    let response_time = SystemTime::now();
    let (parts, origin_body) = response.into_parts();
    let head = origin_head(&parts);
    if let Ok(Read::Whole(bytes)) = body::read_up_to(origin_body, BUFFER_CAP).await {
        let _ = edge
            .cache
            .on_response(pending, head, bytes, request_time, response_time);
    }
}

/// The request the origin gets: the cache's head with `Via` added (`via`: the version it came
/// in with) and the Host the client sent, or the cache's host when it sent none.
fn origin_request<B>(request: RequestHead, via: &str, body: B, method: Method, uri: http::Uri) -> Request<B> {
    let mut headers = request.headers;
    hop::add_via(&mut headers, via);
    let mut map = header_map(&headers);
    if !map.contains_key(HOST) {
        if let Ok(host) = HeaderValue::from_str(&request.host) {
            map.insert(HOST, host);
        }
    }
    let mut outgoing = Request::new(body);
    *outgoing.method_mut() = method;
    *outgoing.uri_mut() = uri;
    *outgoing.headers_mut() = map;
    outgoing
}

/// The origin's response head for the cache, less its hop-by-hop fields.
fn origin_head(parts: &http::response::Parts) -> ResponseHead {
    let mut headers = fields(&parts.headers);
    hop::strip(&mut headers);
    ResponseHead {
        status: parts.status.as_u16(),
        headers,
    }
}

/// The request for the origin when the cache forwards; otherwise the response it made alone (a
/// stored one, or 504 for only-if-cached).
fn to_origin(decision: Decision) -> Result<(RequestHead, Pending), (ResponseHead, ProxyBody)> {
    match decision {
        Decision::Forward { request, pending } => Ok((request, pending)),
        Decision::Serve(head, bytes) => Err((head, body::whole(bytes))),
        Decision::GatewayTimeout(head) => Err((head, body::empty())),
    }
}

/// Asks the origin with the cache's `request` and the client's body, and hands the answer to
/// the cache (or streams it, when too big to store).
async fn forward(
    edge: &Edge,
    request: RequestHead,
    pending: Pending,
    incoming: Received,
) -> Result<Answer, (Dropped, Upstream)> {
    let method = Method::from_bytes(request.method.as_bytes()).unwrap_or(incoming.method);
    let uri = request.target.parse().unwrap_or(incoming.uri);
    let mut outgoing = origin_request(request, version_name(incoming.version), incoming.body, method, uri);
    // hyper keeps the client's spelling of field names here (preserve_header_case).
    *outgoing.extensions_mut() = incoming.extensions;
    // The origin's 1xx interim responses go on to the client (RFC 9110 §15.2).
    if let Some(relay) = outgoing.extensions_mut().remove::<Relay>() {
        hyper::ext::on_informational(&mut outgoing, move |interim| {
            let mut headers = fields(interim.headers());
            hop::strip(&mut headers);
            relay.send(interim.status().as_u16(), &headers);
        });
    }
    let is_head = outgoing.method() == Method::HEAD;
    let request_time = SystemTime::now();
    let response = match origin::send(&edge.route, outgoing, ORIGIN_TIMEOUT).await {
        Ok(response) => response,
        Err(e) => return origin_failed(edge, pending, e),
    };
    let response_time = SystemTime::now();
    let (parts, origin_body) = response.into_parts();
    let head = origin_head(&parts);
    let declared = header(&head.headers, "content-length").and_then(|v| v.trim().parse::<u64>().ok());
    let read = if !is_head && declared.is_some_and(|n| n > BUFFER_CAP as u64) {
        Ok(Read::TooBig(body::Prefixed::new(Bytes::new(), origin_body)))
    } else {
        body::read_up_to(origin_body, BUFFER_CAP).await
    };
    match read {
        Ok(Read::Whole(bytes)) => {
            let (head, bytes) = edge
                .cache
                .on_response(pending, head, bytes, request_time, response_time);
            let body = if is_head { body::empty() } else { body::whole(bytes) };
            Ok((
                respond(head, body, parts.version, Some(parts.extensions)),
                Upstream::Answered,
            ))
        }
        Ok(Read::TooBig(rest)) => {
            use http_body_util::BodyExt;
            Ok((
                respond(head, rest.boxed(), parts.version, Some(parts.extensions)),
                Upstream::Streamed,
            ))
        }
        Err(e) => origin_failed(edge, pending, OriginError::Dropped(e)),
    }
}

/// The origin failed: the cache may have something to serve instead (stale-if-error, RFC 5861
/// §4); if not, 502 for no connection, 504 for no answer in time, and a closed connection for
/// one the origin dropped.
fn origin_failed(edge: &Edge, pending: Pending, error: OriginError) -> Result<Answer, (Dropped, Upstream)> {
    let upstream = match error {
        OriginError::Connect(_) => Upstream::Refused,
        OriginError::Timeout => Upstream::TimedOut,
        OriginError::Dropped(_) => Upstream::Dropped,
    };
    let must_error = match edge.cache.on_origin_error(pending, SystemTime::now()) {
        Fallback::Stale(head, bytes) => {
            return Ok((respond(head, body::whole(bytes), Version::HTTP_11, None), upstream))
        }
        Fallback::MustError => true,
        Fallback::Nothing => false,
    };
    let status = match error {
        OriginError::Connect(_) => StatusCode::BAD_GATEWAY,
        OriginError::Timeout => StatusCode::GATEWAY_TIMEOUT,
        // RFC 9111 §5.2.2.2: a stored response that may not be served stale calls for an error
        // response, 504 by default.
        OriginError::Dropped(_) if must_error => StatusCode::GATEWAY_TIMEOUT,
        OriginError::Dropped(_) => return Err((Dropped, upstream)),
    };
    let text = format!("netlab edge: the origin {} did not answer: {error}\n", edge.origin);
    let head = ResponseHead {
        status: status.as_u16(),
        headers: vec![("content-type".to_string(), "text/plain; charset=utf-8".to_string())],
    };
    Ok((
        respond(head, body::whole(Bytes::from(text)), Version::HTTP_11, None),
        upstream,
    ))
}

/// The client's response from `head` (with `Via` for the version it was received in).
pub fn respond(
    head: ResponseHead,
    body: ProxyBody,
    received: Version,
    extensions: Option<Extensions>,
) -> Response<ProxyBody> {
    let mut headers = head.headers;
    hop::add_via(&mut headers, version_name(received));
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(head.status).unwrap_or(StatusCode::BAD_GATEWAY);
    *response.headers_mut() = header_map(&headers);
    if let Some(extensions) = extensions {
        *response.extensions_mut() = extensions;
    }
    response
}

/// Appends `fields` to a response on its way to the client.
pub fn add_fields(response: &mut Response<ProxyBody>, fields: &[(String, String)]) {
    for (name, value) in fields {
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
            response.headers_mut().append(name, value);
        }
    }
}

/// The received-protocol of `Via` (RFC 9110 §7.6.3): the version without "HTTP/".
fn version_name(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        _ => "1.1",
    }
}

/// A header map as name-value pairs in order (a value that is not UTF-8 is read as Latin-1,
/// RFC 9110 §5.5: each octet one character).
fn fields(map: &HeaderMap) -> Vec<(String, String)> {
    map.iter()
        .map(|(name, value)| {
            let value = match value.to_str() {
                Ok(v) => v.to_string(),
                Err(_) => value.as_bytes().iter().map(|&b| char::from(b)).collect(),
            };
            (name.as_str().to_string(), value)
        })
        .collect()
}

/// Name-value pairs as a header map; a pair that cannot be a field is left out.
fn header_map(headers: &[(String, String)]) -> HeaderMap {
    let mut map = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let value: Vec<u8> = if value.chars().all(|c| (c as u32) < 256) {
            value.chars().map(|c| c as u8).collect()
        } else {
            value.as_bytes().to_vec()
        };
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_bytes(&value)) {
            map.append(name, value);
        }
    }
    map
}

/// The first value of the field `name`.
fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_values_round_trip() {
        let mut map = HeaderMap::new();
        map.insert("x-name", HeaderValue::from_bytes(b"caf\xe9").unwrap());
        map.insert("content-length", HeaderValue::from_static("3"));
        let pairs = fields(&map);
        assert_eq!(pairs[0], ("x-name".to_string(), "café".to_string()));
        let back = header_map(&pairs);
        assert_eq!(back.get("x-name").unwrap().as_bytes(), b"caf\xe9");
        assert_eq!(back.get("content-length").unwrap(), "3");
    }

    /// An edge with an empty cache, and a GET miss's pending answer.
    fn miss() -> (Edge, Pending) {
        let edge = Edge {
            cache: Cache::new(1 << 20),
            flights: Flights::default(),
            route: crate::net::Network::internet(true)
                .route("127.0.0.1:9".parse().unwrap())
                .unwrap(),
            origin: "http://127.0.0.1:9".to_string(),
            authority: "127.0.0.1:9".to_string(),
            limit: None,
            purge: false,
            forwarded_client: false,
            challenge: None,
        };
        let head = RequestHead {
            method: "GET".into(),
            target: "/x".into(),
            host: "a.test".into(),
            headers: vec![("host".into(), "a.test".into())],
        };
        let Decision::Forward { pending, .. } = edge.cache.on_request(&head, SystemTime::now()) else {
            panic!("an empty cache forwards");
        };
        (edge, pending)
    }

    #[test]
    fn origin_failures_with_nothing_stored() {
        let (edge, pending) = miss();
        let (response, upstream) = origin_failed(&edge, pending, OriginError::Timeout).unwrap();
        assert_eq!(
            (response.status(), upstream),
            (StatusCode::GATEWAY_TIMEOUT, Upstream::TimedOut)
        );
        assert_eq!(response.headers()["via"], "1.1 netlab");
        let (edge, pending) = miss();
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let (response, upstream) = origin_failed(&edge, pending, OriginError::Connect(refused)).unwrap();
        assert_eq!(
            (response.status(), upstream),
            (StatusCode::BAD_GATEWAY, Upstream::Refused)
        );
    }

    #[test]
    fn invalid_fields_are_left_out() {
        let pairs = vec![
            ("bad name".to_string(), "v".to_string()),
            ("ok".to_string(), "a\nb".to_string()),
            ("fine".to_string(), "1".to_string()),
        ];
        let map = header_map(&pairs);
        assert_eq!(map.len(), 1);
        assert_eq!(map.get("fine").unwrap(), "1");
    }
}
