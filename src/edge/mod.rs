//! The caching edge: an HTTP/1.1 reverse proxy ([`proxy`]) in front of an origin, and the
//! shared cache whose rules (RFC 9111) decide what it may serve without asking ([`cache`]).

pub mod cache;
pub mod proxy;
