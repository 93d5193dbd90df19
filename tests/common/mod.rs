//! Helpers shared by the integration tests that read `--json` traces.

use serde_json::Value;

/// The trace's events of one type (`"tls.message"`, `"http.frame"`, ...), in order.
pub fn of_type<'a>(v: &'a Value, ty: &str) -> Vec<&'a Value> {
    v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == ty)
        .collect()
}
