//! The edge's shared cache (RFC 9111). PLACEHOLDER: this pass-through version stores nothing and
//! sends every request to the origin; the real cache (branch `cache`) replaces this file and
//! keeps exactly this interface.

use std::time::SystemTime;

use bytes::Bytes;

/// A request's head as the cache sees it (hop-by-hop fields already removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    pub method: String,
    /// The request target in origin form: path and query.
    pub target: String,
    /// The Host the client sent.
    pub host: String,
    pub headers: Vec<(String, String)>,
}

/// A response's head as the cache sees it (hop-by-hop fields already removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

/// What the cache wants done with a request.
#[derive(Debug)]
pub enum Decision {
    /// Answer from the cache.
    Serve(ResponseHead, Bytes),
    /// Ask the origin with `request`; hand its answer back with `pending`.
    Forward { request: RequestHead, pending: Pending },
    /// The request may not go to the origin (only-if-cached) and nothing stored fits.
    GatewayTimeout(ResponseHead),
}

/// A request on its way to the origin.
#[derive(Debug)]
pub struct Pending {
    _private: (),
}

/// The shared cache. This placeholder stores nothing.
#[derive(Debug)]
pub struct Cache {
    _max_bytes: usize,
}

impl Cache {
    /// An empty cache holding at most `max_bytes`.
    pub fn new(max_bytes: usize) -> Cache {
        Cache { _max_bytes: max_bytes }
    }

    /// Decides a request: here always to the origin, unchanged.
    pub fn on_request(&self, req: &RequestHead, _now: SystemTime) -> Decision {
        Decision::Forward {
            request: req.clone(),
            pending: Pending { _private: () },
        }
    }

    /// Takes the origin's answer: here passed on unchanged, nothing stored.
    pub fn on_response(
        &self,
        _pending: Pending,
        resp: ResponseHead,
        body: Bytes,
        _request_time: SystemTime,
        _response_time: SystemTime,
    ) -> (ResponseHead, Bytes) {
        (resp, body)
    }

    /// The origin could not be reached: here nothing stored to serve instead.
    pub fn on_origin_error(&self, _pending: Pending, _now: SystemTime) -> Option<(ResponseHead, Bytes)> {
        None
    }

    /// Removes what is stored for `host` and `target`: here nothing.
    pub fn purge(&self, _host: &str, _target: &str) -> usize {
        0
    }
}
