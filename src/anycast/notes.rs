//! What a PoP's withdrawal or failure taught, said from what its trace shows: who moved, how
//! BGP learned of it, and what became of each download. A note is only given when the
//! figures it states are in the trace.

use super::events::{Download, Move, PopChange, Reach};
use super::topology::PREFIX;
use crate::trace::Note;

/// The notes of one change, given the reaches measured after it.
pub fn change(c: &PopChange, after: &[Reach]) -> Vec<Note> {
    let mut notes = vec![routing(c)];
    notes.extend(c.downloads.iter().filter_map(|d| download(c, d, after)));
    notes
}

/// `eu moved from fra to iad in 3 ms`, for each client that moved.
fn moved(c: &PopChange) -> Vec<String> {
    c.moves
        .iter()
        .filter_map(|m| {
            Some(format!(
                "{} moved from {} to {} in {:.0} ms",
                m.client,
                m.before.as_deref()?,
                m.after.as_deref()?,
                m.converged_ms?
            ))
        })
        .collect()
}

/// How the routers learned of the change, and who moved.
fn routing(c: &PopChange) -> Note {
    let pop = &c.pop;
    let moved = moved(c);
    if moved.is_empty() {
        return Note::new(
            "anycast.none-moved",
            format!("No client was reaching {pop}, so losing it moved none: anycast fails over only the clients whose routers had chosen the PoP that went."),
            Some("RFC 4786 §4.4"),
        );
    }
    if c.how == "failed" {
        let waited: Vec<String> = c
            .moves
            .iter()
            .filter(|m| m.converged_ms.is_some())
            .map(|m| format!("{} {}", m.client, m.unanswered))
            .collect();
        return Note::new(
            "anycast.fail",
            format!(
                "{pop} went dark and said nothing. Its neighbours kept its routes until their hold timer (3 s here) ran out without a KEEPALIVE, then ended the session (Hold Timer Expired) and withdrew what they had learned over it, choosing their next best path: {}. Meanwhile the identity queries over UDP went unanswered ({}): a silent failure costs DNS too, for as long as the hold time, which is why operators run short timers or BFD.",
                moved.join("; "),
                waited.join(", ")
            ),
            Some("RFC 4271 §4.4, §6.5, §10; RFC 5880"),
        );
    }
    Note::new(
        "anycast.withdraw",
        format!(
            "{pop} stopped announcing {PREFIX} (its BIRD's static route disabled) and kept its sessions: it sent each neighbour an UPDATE listing the prefix as withdrawn, and each chose its next best path: {}.",
            moved.join("; ")
        ),
        Some("RFC 4271 §4.3, §9.1.3; RFC 4786 §4.4"),
    )
}

/// What became of one download, when the trace says why.
fn download(c: &PopChange, d: &Download, after: &[Reach]) -> Option<Note> {
    let m = c.moves.iter().find(|m| m.client == d.client)?;
    if d.steering == "dns" {
        return steered_download(c, d, after);
    }
    let pop = c.pop.as_str();
    let moved_to = m
        .after
        .as_deref()
        .filter(|a| m.before.as_deref() == Some(pop) && *a != pop);
    let from = d.served_by.as_deref().unwrap_or("?");
    match (d.end.as_str(), moved_to) {
        ("reset", Some(to)) => Some(Note::new(
            "anycast.tcp-reset",
            format!(
                "{}'s download from {from} was reset after {} of {} bytes, {:.0} ms after the change. Its ACKs now reached {to}, whose kernel had a listener on the address but no such connection and answered with a RST; the RST came from the same address as every other segment, so only the PoPs' counters tell who sent it ({}). The identity queries over UDP {}: each datagram stands alone, and {to} answered the next one.",
                d.client,
                d.received_bytes,
                d.expected_bytes,
                d.ended_ms,
                resets(c),
                lost(m)
            ),
            Some("RFC 9293 §3.10.7.2; RFC 4786 §4.4.3"),
        )),
        ("stalled", Some(to)) => Some(Note::new(
            "anycast.tcp-stalled",
            format!(
                "{}'s download from {from} stalled after {} of {} bytes: once {pop} went dark no byte came for a second, and the connection lived in {pop}'s kernel only, so the move to {to} could not save it. Only a new connection, to {to}, can succeed.",
                d.client, d.received_bytes, d.expected_bytes
            ),
            Some("RFC 4786 §4.4.3"),
        )),
        ("complete", None) => Some(Note::new(
            "anycast.tcp-kept",
            format!(
                "{}'s download from {from} completed ({} bytes): its routers kept their path, so its connection never met a PoP that did not know it.",
                d.client, d.received_bytes
            ),
            Some("RFC 4786 §4.4.3"),
        )),
        _ => None,
    }
}

/// A download from the address DNS steering gave the client: kept across a withdrawal, lost
/// with a failure, as long as the steering answer still names the address.
fn steered_download(c: &PopChange, d: &Download, after: &[Reach]) -> Option<Note> {
    let pop = c.pop.as_str();
    if d.served_by.as_deref() != Some(pop) {
        return None;
    }
    match d.end.as_str() {
        "complete" => Some(Note::new(
            "anycast.dns-kept",
            format!(
                "{}'s download from {}, {pop}'s own address that DNS steering had given it, completed ({} bytes): only {pop} announces that address, so moving the anycast prefix could not hand the connection to another PoP.",
                d.client, d.address, d.received_bytes
            ),
            Some("RFC 4786 §4.4.3; RFC 7871 §1"),
        )),
        "stalled" => {
            let still = after
                .iter()
                .find(|r| r.client == d.client)
                .and_then(|r| r.steered.as_ref())
                .filter(|s| s.address == d.address)?;
            Some(Note::new(
                "anycast.dns-stuck",
                format!(
                    "{}'s download from {}, the address DNS steering had given it, stalled after {} bytes: only {pop} announces that address, and {pop} is dark. DNS steering fails over only when its answers change and the resolvers' copies expire, and after the failure it still answered {} (TTL {} s), {}.",
                    d.client,
                    d.address,
                    d.received_bytes,
                    still.address,
                    still.ttl,
                    match &still.served_by {
                        Some(p) => format!("where {p} answered"),
                        None => "where nothing answered".to_string(),
                    }
                ),
                Some("RFC 1034 §3.6; RFC 7871 §1"),
            ))
        }
        _ => None,
    }
}

/// `iad sent 1`, for each PoP that sent RSTs.
fn resets(c: &PopChange) -> String {
    let sent: Vec<String> = c
        .resets_sent
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(p, n)| format!("{p} sent {n}"))
        .collect();
    if sent.is_empty() {
        "none counted".to_string()
    } else {
        sent.join(", ")
    }
}

fn lost(m: &Move) -> String {
    match m.unanswered {
        0 => "lost no answer during the move".to_string(),
        n => format!("lost {n} answer(s) during the move"),
    }
}
