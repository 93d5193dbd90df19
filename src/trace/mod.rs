//! The shared vocabulary: every netlab command produces a [`Trace`].
//!
//! A trace is plain data: an ordered list of [`Event`]s, each with a monotonic timestamp, what
//! happened (a domain event such as `cidr.membership`), and teaching [`Note`]s that say what it
//! means. Renderers turn a trace into text or JSON; lab checks read the same trace. Engines
//! build traces and never print.
//!
//! ```text
//!  CLI args ──► engine ──► Trace ──► render::text   (people)
//!                                └─► serde JSON     (--json, "schema": "netlab.<command>/1")
//!                                └─► lab checks     (answers checked against it)
//! ```

use std::collections::HashSet;
use std::time::Instant;

use serde::{Deserialize, Serialize};

mod failure;
pub use failure::{Failure, FailureKind, Phase};

use crate::anycast::events::AnycastEvent;
use crate::cidr::events::CidrEvent;
use crate::ddos::events::DdosEvent;
use crate::dns::events::DnsEvent;
use crate::http::events::HttpEvent;
use crate::link::events::LinkEvent;
use crate::packet::events::PacketEvent;
use crate::ratelimit::events::RatelimitEvent;
use crate::tls::events::TlsEvent;

/// One command's record of what it did and what came of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// `netlab.<command>/<version>`; the version changes whenever the shape does.
    pub schema: String,
    /// The command that produced the trace, e.g. `cidr info`.
    pub command: String,
    /// What happened, in order.
    pub events: Vec<Event>,
    /// How it ended.
    pub outcome: Outcome,
}

/// One thing that happened, with when and what it means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Microseconds since the trace started (monotonic clock).
    pub at_us: u64,
    /// What happened; serialized with a `"type"` field such as `"cidr.membership"`.
    #[serde(flatten)]
    pub kind: EventKind,
    /// Teaching notes attached to this event; `--no-notes` hides them in text output.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
}

/// Every kind of event, grouped by protocol domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EventKind {
    Cidr(CidrEvent),
    Dns(DnsEvent),
    Tls(TlsEvent),
    Http(HttpEvent),
    Packet(PacketEvent),
    Link(LinkEvent),
    Ratelimit(RatelimitEvent),
    Ddos(DdosEvent),
    Anycast(AnycastEvent),
}

/// Each domain's events become an [`EventKind`] (here, beside the type, so the domains need
/// not know the trace).
macro_rules! event_kind_from {
    ($($variant:ident($event:ty)),* $(,)?) => {$(
        impl From<$event> for EventKind {
            fn from(e: $event) -> Self {
                EventKind::$variant(e)
            }
        }
    )*};
}

event_kind_from!(
    Cidr(CidrEvent),
    Dns(DnsEvent),
    Tls(TlsEvent),
    Http(HttpEvent),
    Packet(PacketEvent),
    Link(LinkEvent),
    Ratelimit(RatelimitEvent),
    Ddos(DdosEvent),
    Anycast(AnycastEvent),
);

/// A short explanation of what an event means, with the RFC that says so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// Stable identifier of the teaching point, e.g. `cidr.rfc3021`.
    pub topic: String,
    /// The explanation, one or two sentences.
    pub text: String,
    /// Where to read more, e.g. `RFC 3021 §2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl Note {
    pub fn new(topic: &str, text: impl Into<String>, reference: Option<&str>) -> Self {
        Note {
            topic: topic.to_string(),
            text: text.into(),
            reference: reference.map(str::to_string),
        }
    }
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// The command did what was asked and the answer is "yes" (or there is no yes/no).
    Ok,
    /// The command ran, and the answer is "no": an address outside, nothing matched.
    Negative { reason: String },
    /// The network or a peer failed part-way; the events before it are what happened.
    Failed { failure: Failure },
}

impl Outcome {
    /// The process exit code for this outcome (0, 1 for a negative answer, 4 for a failure).
    pub fn exit_code(&self) -> i32 {
        match self {
            Outcome::Ok => 0,
            Outcome::Negative { .. } => crate::error::EXIT_NEGATIVE,
            Outcome::Failed { .. } => crate::error::EXIT_FAILED,
        }
    }
}

impl Trace {
    /// Appends events that were recorded beside the command (the emulated link's log), stamped
    /// with the time of the trace's last event.
    pub fn append(&mut self, kinds: impl IntoIterator<Item = EventKind>) {
        let at_us = self.events.last().map_or(0, |e| e.at_us);
        self.events.extend(kinds.into_iter().map(|kind| Event {
            at_us,
            kind,
            notes: Vec::new(),
        }));
    }
}

/// Builds a trace event by event, stamping each with the time since the builder was made.
///
/// A teaching note is given once per trace: the first event that carries a topic keeps its
/// note, and later events (the next referral, the next DNSSEC key set, the second handshake)
/// carry only what is new. The events themselves say what differs.
#[derive(Debug)]
pub struct TraceBuilder {
    schema: String,
    command: String,
    started: Instant,
    events: Vec<Event>,
    /// The topics of the notes given so far.
    taught: HashSet<String>,
}

impl TraceBuilder {
    /// `domain` is the schema's middle part (`cidr` gives `netlab.cidr/1`).
    pub fn new(domain: &str, command: &str) -> Self {
        TraceBuilder {
            schema: format!("netlab.{domain}/1"),
            command: command.to_string(),
            started: Instant::now(),
            events: Vec::new(),
            taught: HashSet::new(),
        }
    }

    /// Records an event with its teaching notes, less those whose topic an earlier event of
    /// this trace already carries.
    pub fn push(&mut self, kind: impl Into<EventKind>, mut notes: Vec<Note>) {
        notes.retain(|n| self.taught.insert(n.topic.clone()));
        let at_us = u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.events.push(Event {
            at_us,
            kind: kind.into(),
            notes,
        });
    }

    /// Ends the trace with `outcome`.
    pub fn finish(self, outcome: Outcome) -> Trace {
        Trace {
            schema: self.schema,
            command: self.command,
            events: self.events,
            outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(topic: &str, text: &str) -> Note {
        Note::new(topic, text, None)
    }

    fn event() -> DnsEvent {
        DnsEvent::Idn {
            input: "bücher.example".into(),
            ascii: "xn--bcher-kva.example".into(),
        }
    }

    #[test]
    fn a_topic_is_taught_once_per_trace_on_its_first_event() {
        let mut b = TraceBuilder::new("dns", "test");
        b.push(event(), vec![note("a", "first"), note("b", "b")]);
        b.push(event(), vec![note("a", "again, other words"), note("c", "c")]);
        b.push(event(), vec![note("b", "b"), note("c", "c")]);
        let t = b.finish(Outcome::Ok);
        let topics: Vec<Vec<(&str, &str)>> = t
            .events
            .iter()
            .map(|e| e.notes.iter().map(|n| (n.topic.as_str(), n.text.as_str())).collect())
            .collect();
        assert_eq!(topics, [vec![("a", "first"), ("b", "b")], vec![("c", "c")], vec![]]);
    }
}
