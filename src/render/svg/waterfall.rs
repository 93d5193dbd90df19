//! The stream waterfall: one bar per response, from its request leaving to its last body byte,
//! on a time axis in milliseconds from the start of the fetch, grouped by protocol. The light
//! part of a bar is the wait for the first byte, the dark part the download, and a mark stands
//! at the first byte. Streams of one connection share it (RFC 9113 §5, RFC 9000 §2): a loss on
//! TCP holds up every HTTP/2 stream behind it, a lost QUIC packet only its own streams.

use super::{clip, ink, num_ms, text_width, ticks, Anchor, Svg, FONT, MAX_DRAWN, SOLID, THIN};
use crate::http::events::ResponseSeen;

const MARGIN: f64 = 24.0;
const BAR_ROW: f64 = 24.0;
const PLOT_W: f64 = 520.0;
/// Characters of the label left of each bar.
const LABEL: usize = 22;

/// The waterfall of `responses` drawn from `top` down; returns the height and width it takes.
pub(super) fn draw(svg: &mut Svg, top: f64, responses: &[&ResponseSeen]) -> (f64, f64) {
    let mut ordered: Vec<&ResponseSeen> = responses.to_vec();
    // By protocol in order of first appearance, then by stream (sending order).
    let mut protocols: Vec<&str> = Vec::new();
    for r in responses {
        if !protocols.contains(&r.protocol.as_str()) {
            protocols.push(&r.protocol);
        }
    }
    ordered.sort_by_key(|r| (protocols.iter().position(|p| *p == r.protocol), r.stream));
    let drawn = &ordered[..ordered.len().min(MAX_DRAWN)];

    let max_us = drawn
        .iter()
        .map(|r| r.done_us.max(r.first_byte_us).max(r.sent_us))
        .max()
        .unwrap_or(0);
    let (values, end) = ticks(max_us as f64 / 1000.0, 6.0);
    let x0 = MARGIN + text_width(LABEL) + 10.0;
    let x = |us: u64| x0 + (us as f64 / 1000.0) / end * PLOT_W;

    svg.text(
        (MARGIN, top + 20.0),
        Anchor::Start,
        15.0,
        true,
        "Streams: request sent to last byte",
    );
    let plot_top = top + 36.0;
    let plot_bottom = plot_top + drawn.len() as f64 * BAR_ROW + 6.0;
    svg.open("axis");
    for v in &values {
        let gx = x0 + v / end * PLOT_W;
        svg.line((gx, plot_top), (gx, plot_bottom), GRID);
        svg.text((gx, plot_bottom + 14.0), Anchor::Middle, 10.0, false, &num_ms(*v));
    }
    svg.line((x0, plot_bottom), (x0 + PLOT_W, plot_bottom), SOLID);
    svg.text(
        (x0 + PLOT_W / 2.0, plot_bottom + 30.0),
        Anchor::Middle,
        FONT,
        false,
        "ms since the fetch started",
    );
    svg.close();

    for (i, r) in drawn.iter().enumerate() {
        let y = plot_top + 4.0 + i as f64 * BAR_ROW;
        let label = clip(&format!("{} stream {}: {}", r.protocol, r.stream, r.status), LABEL);
        let (sent, first, done) = (
            x(r.sent_us),
            x(r.first_byte_us.max(r.sent_us)),
            x(r.done_us.max(r.sent_us)),
        );
        svg.open("bar");
        svg.text((MARGIN, y + 13.0), Anchor::Start, FONT, false, &label);
        svg.rect((sent, y), (first - sent, 16.0), ink::WAIT, Some(THIN));
        svg.rect((first, y), (done - first, 16.0), ink::BODY, Some(THIN));
        svg.text(
            (done.max(first) + 6.0, y + 13.0),
            Anchor::Start,
            FONT,
            false,
            &super::ms(r.done_us.saturating_sub(r.sent_us)),
        );
        svg.open("first-byte");
        svg.line((first, y - 3.0), (first, y + 19.0), SOLID);
        svg.close();
        svg.close();
    }
    let mut y = plot_bottom + 50.0;
    if ordered.len() > drawn.len() {
        let more = ordered.len() - drawn.len();
        svg.text(
            (MARGIN, y),
            Anchor::Start,
            FONT,
            false,
            &format!("({more} more not drawn)"),
        );
        y += 18.0;
    }
    svg.text(
        (MARGIN, y),
        Anchor::Start,
        FONT,
        false,
        "light: waiting for the first byte; dark: the download; the upright mark: the first byte",
    );
    let width = (x0 + PLOT_W + 90.0).max(MARGIN + text_width(90) + MARGIN);
    (y + MARGIN - top, width)
}

const GRID: super::Stroke = super::Stroke {
    colour: "#c8c8c8",
    width: 1.0,
    dash: None,
};
