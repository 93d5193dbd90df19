//! `netlab render TRACE.json`: a saved `--json` trace shown again, as text or JSON, and drawn
//! with `--svg FILE`.

use std::io::Read;

use super::output::Printer;
use super::Io;
use crate::cli::RenderArgs;
use crate::error::{Error, Result};
use crate::trace::Trace;

/// The largest trace file read (a trace of a long capture can be large; this is not one).
const MAX_BYTES: u64 = 256 << 20;

pub(super) fn run_render(a: &RenderArgs, drawing: bool, printer: &Printer, io: &mut Io) -> Result<i32> {
    let mut bytes = Vec::new();
    super::open(&a.trace)?
        .take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(&a.trace, e))?;
    let not_a_trace = |why: String| {
        Error::usage(
            a.trace.display().to_string(),
            format!("is not a netlab trace: {why}"),
            "give a file written by 'netlab --json dns|tls|http|tcp ...'",
        )
    };
    if bytes.len() as u64 > MAX_BYTES {
        return Err(not_a_trace(format!("larger than {} MiB", MAX_BYTES >> 20)));
    }
    let text = String::from_utf8(bytes).map_err(|_| not_a_trace("it is not UTF-8 text".into()))?;
    let trace = read_trace(&text).map_err(not_a_trace)?;
    if drawing && !crate::render::svg::draws(&trace.command) {
        return Err(super::picture::refused(&format!("a trace of '{}'", trace.command)));
    }
    printer.document(io.stdout, &trace)?;
    Ok(0)
}

/// A trace from the JSON `--json` wrote: serde's own reading of [`Trace`], and a schema of
/// netlab's.
pub fn read_trace(text: &str) -> std::result::Result<Trace, String> {
    let trace: Trace = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if !trace.schema.starts_with("netlab.") {
        return Err(format!("its schema is {:?}, not netlab's", trace.schema));
    }
    Ok(trace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_trace_reads_back() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/traces/tls-handshake.json");
        let text = std::fs::read_to_string(path).unwrap();
        let t = read_trace(&text).unwrap();
        assert_eq!(t.command, "tls");
        assert_eq!(t.events.len(), 25);
    }

    #[test]
    fn what_is_not_a_trace_says_why() {
        for (text, why) in [
            ("not json", "expected"),
            ("[]", "expected struct Trace"),
            (
                r#"{"schema": "other/1", "command": "x", "events": [], "outcome": {"status": "ok"}}"#,
                "not netlab's",
            ),
            (
                r#"{"schema": "netlab.dns/1", "command": "dns walk", "events": [{"type": "dns.nope", "at_us": 1}], "outcome": {"status": "ok"}}"#,
                "did not match",
            ),
        ] {
            let err = read_trace(text).unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
        }
    }
}
