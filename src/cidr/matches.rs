//! What `netlab cidr match` reports, line by line: each selected line, then a summary. In JSON
//! each is one line of its own (JSON Lines), tagged `"type": "cidr.match.<name>"`; the summary
//! carries the schema, [`SCHEMA`]. As text, a selected line is written back as it was read
//! (bytes, not text: logs are not always UTF-8), as grep does.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Serialize, Serializer};

use super::grep::MatchStats;
use super::scan::Found;

/// The schema of `netlab cidr match --json`.
pub const SCHEMA: &str = "netlab.cidr.match/1";

/// One thing `cidr match` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type")]
pub enum MatchEvent<'a> {
    #[serde(rename = "cidr.match.line")]
    Line(MatchedLine<'a>),
    #[serde(rename = "cidr.match.summary")]
    Summary(MatchSummary),
}

/// A selected line, borrowed from the input it was found in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchedLine<'a> {
    /// The file's name, or `-` for standard input.
    pub source: &'a str,
    /// 1 for a file's first line.
    pub line_number: u64,
    /// The line as read, with its newline if it had one; in JSON without it, and with bytes
    /// that are not UTF-8 replaced by U+FFFD.
    #[serde(serialize_with = "lossy_line")]
    pub line: &'a [u8],
    /// The address that put the line in a range (none with `--invert` or
    /// `--include-no-address`).
    #[serde(serialize_with = "address")]
    pub address: Option<Found>,
    /// Text: prefix the line with `source:` (there are several inputs), as grep does.
    #[serde(skip)]
    pub with_source: bool,
}

/// The end of a run: how many lines were read and selected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchSummary {
    pub schema: &'static str,
    pub stats: MatchStats,
    /// Text: `--count` prints the number of selected lines, otherwise the summary says nothing.
    #[serde(skip)]
    pub count: bool,
}

impl MatchSummary {
    pub fn new(stats: MatchStats, count: bool) -> Self {
        MatchSummary {
            schema: SCHEMA,
            stats,
            count,
        }
    }
}

impl MatchEvent<'_> {
    /// The event for a person: a selected line as it was read, and with `--count` the count.
    pub fn text(&self, out: &mut Vec<u8>) {
        match self {
            MatchEvent::Line(l) => {
                if l.with_source {
                    out.extend_from_slice(l.source.as_bytes());
                    out.push(b':');
                }
                out.extend_from_slice(l.line);
            }
            MatchEvent::Summary(s) if s.count => {
                out.extend_from_slice(s.stats.selected.to_string().as_bytes());
                out.push(b'\n');
            }
            MatchEvent::Summary(_) => {}
        }
    }
}

/// An address found in a line, as an [`IpAddr`].
pub fn found_address(found: Found) -> IpAddr {
    match found {
        Found::V4(v) => IpAddr::V4(Ipv4Addr::from(v)),
        Found::V6(v) => IpAddr::V6(Ipv6Addr::from(v)),
    }
}

fn lossy_line<S: Serializer>(line: &&[u8], s: S) -> Result<S::Ok, S::Error> {
    let body = line.strip_suffix(b"\n").unwrap_or(line);
    let text: Cow<str> = String::from_utf8_lossy(body);
    s.serialize_str(&text)
}

fn address<S: Serializer>(found: &Option<Found>, s: S) -> Result<S::Ok, S::Error> {
    found.map(found_address).serialize(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_in_json_and_as_text() {
        let line = MatchEvent::Line(MatchedLine {
            source: "a.log",
            line_number: 2,
            line: b"10.0.0.2 b\xff\n",
            address: Some(Found::V4(0x0a00_0002)),
            with_source: true,
        });
        let v = serde_json::to_value(&line).unwrap();
        assert_eq!(v["type"], "cidr.match.line");
        assert_eq!(v["line"], "10.0.0.2 b\u{fffd}");
        assert_eq!(v["address"], "10.0.0.2");
        assert!(v.get("with_source").is_none());
        let mut text = Vec::new();
        line.text(&mut text);
        assert_eq!(text, b"a.log:10.0.0.2 b\xff\n", "the bytes as read");
    }

    #[test]
    fn the_summary_carries_the_schema_and_counts_only_when_asked() {
        let stats = MatchStats {
            lines: 3,
            selected: 2,
            ..MatchStats::default()
        };
        let v = serde_json::to_value(MatchEvent::Summary(MatchSummary::new(stats, false))).unwrap();
        assert_eq!(
            (v["type"].as_str(), v["schema"].as_str()),
            (Some("cidr.match.summary"), Some(SCHEMA))
        );
        assert_eq!(v["stats"]["selected"], 2);
        let mut text = Vec::new();
        MatchEvent::Summary(MatchSummary::new(stats, false)).text(&mut text);
        assert!(text.is_empty());
        MatchEvent::Summary(MatchSummary::new(stats, true)).text(&mut text);
        assert_eq!(text, b"2\n");
    }
}
