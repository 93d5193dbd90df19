//! Renderers: pure functions from a [`Trace`] to text. They never touch the network or a
//! terminal; `app::output` decides where the text goes (and writes `--json` from the trace itself). This module only dispatches each event to
//! its domain's renderer (`dns::render`, `tls::render`, ...); how text looks (colours, notes)
//! is [`crate::style`], which those renderers import instead of this module.

pub mod svg;

use crate::trace::{EventKind, Trace};

// Re-exported for src/app/ and src/lab/mod.rs, which still name them through this module.
pub use crate::style::{self, Palette, RenderOpts};

/// The trace as text for a person.
pub fn text(trace: &Trace, opts: &RenderOpts) -> String {
    let mut out = String::new();
    for event in &trace.events {
        match &event.kind {
            EventKind::Cidr(e) => crate::cidr::render::event(&mut out, e, &event.notes, opts),
            EventKind::Dns(e) => crate::dns::render::event(&mut out, e, &event.notes, opts),
            EventKind::Tls(e) => crate::tls::render::event(&mut out, e, &event.notes, opts),
            EventKind::Http(e) => crate::http::render::event(&mut out, e, &event.notes, opts),
            EventKind::Packet(e) => crate::packet::render::event(&mut out, e, &event.notes, opts, false),
            EventKind::Link(e) => crate::link::render::event(&mut out, e, opts),
            EventKind::Ratelimit(e) => crate::ratelimit::render::event(&mut out, e, &event.notes, opts),
            EventKind::Ddos(e) => crate::ddos::render::event(&mut out, e, &event.notes, opts),
            EventKind::Anycast(e) => crate::anycast::render::event(&mut out, e, &event.notes, opts),
        }
    }
    if let crate::trace::Outcome::Failed { failure } = &trace.outcome {
        failed(&mut out, failure, opts);
    }
    out
}

/// The line a trace that ends in a failure ends with: what failed, in which phase, and what
/// to do about it.
fn failed(out: &mut String, f: &crate::trace::Failure, opts: &RenderOpts) {
    let p = &opts.palette;
    out.push_str(&format!(
        "{}failed{} ({} phase): {f}\n  {}{}{}\n",
        p.red,
        p.reset,
        f.phase.label(),
        p.dim,
        f.kind.hint(),
        p.reset
    ));
}
