//! Renderers: pure functions from a [`Trace`] to text. They never touch the network or a
//! terminal; `app.rs` decides where the text goes.

pub mod style;

use crate::trace::{EventKind, Note, Trace};
pub use style::Palette;

/// How to render text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOpts {
    /// Show the teaching notes ("why: ...").
    pub notes: bool,
    pub palette: Palette,
}

impl RenderOpts {
    /// No colour, with notes: what tests and pipes get.
    pub fn plain() -> Self {
        RenderOpts {
            notes: true,
            palette: Palette::plain(),
        }
    }
}

/// The trace as pretty-printed JSON (the `--json` output), with a trailing newline.
pub fn json(trace: &Trace) -> String {
    let mut s = serde_json::to_string_pretty(trace).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

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

/// Appends teaching notes, one per line, each starting with `prefix`.
pub fn notes(out: &mut String, notes: &[Note], opts: &RenderOpts, prefix: &str) {
    if !opts.notes {
        return;
    }
    for Note { text, reference, .. } in notes {
        let p = &opts.palette;
        let reference = reference.as_deref().map(|r| format!(" [{r}]")).unwrap_or_default();
        out.push_str(&format!(
            "{prefix}{}why:{} {text}{}{reference}{}\n",
            p.cyan, p.reset, p.dim, p.reset
        ));
    }
}
