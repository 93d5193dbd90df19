//! netlab: a lab toolkit for networking fundamentals.
//!
//! ```text
//!  CLI (clap, cli.rs) ──► app/ ──► engine (cidr, ...) ──► Trace ──► render::text  (people)
//!                                  computes, never prints     ├──► serde JSON    (--json)
//!                                                             └──► lab checks
//! ```
//!
//! Engines return a [`trace::Trace`]: plain serde data recording what was done and what it
//! means. Renderers are pure `&Trace -> String`. Only `app/` writes output (`app::output`,
//! and the one-line errors); ARCHITECTURE.md has the map.

#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod anycast;
pub mod app;
pub mod calendar;
pub mod cidr;
pub mod cli;
pub mod ddos;
pub mod dns;
pub mod edge;
pub mod error;
pub mod fsutil;
pub mod hex;
pub mod http;
pub mod lab;
pub mod link;
pub mod net;
pub mod packet;
pub mod ratelimit;
pub mod render;
pub mod sandbox;
pub mod style;
pub mod tls;
pub mod trace;
