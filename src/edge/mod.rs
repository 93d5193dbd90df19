//! The edge: what sits between a client and an origin (RFC 9111's shared cache).

pub mod cache;
