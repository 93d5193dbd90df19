//! Pictures of traces: pure functions from a [`Trace`] to a self-contained SVG document.
//!
//! ```text
//!  Trace ──► draw ──► dns::ladder   the walk: one lifeline per server asked, an arrow per message
//!                 ├─► tls::ladder   the handshake, encrypted messages shaded and marked
//!                 ├─► http::picture the set-up and frames per protocol, and the stream waterfall
//!                 ├─► tcp::chart    the congestion window over time (TCP_INFO samples)
//!                 ├─► ddos::picture the SYN queue over time; bars per depth, question, defence
//!                 └─► anycast::picture the topology, each client's path before and after a change
//! ```
//!
//! A learner reads a sequence ("ladder") diagram faster than sixty lines of text: the time
//! goes down the page, each arrow is one message from its sender's lifeline to its receiver's.
//! The pictures are drawn for paper as well as screens: dark strokes and text on light fills,
//! and no meaning carried by colour alone (an encrypted message is shaded *and* says
//! "(encrypted)"; the two lines of a chart differ in dash and marker too). Text is set in a
//! monospace font so that its width can be known without the font: 0.6 em a character.
//!
//! Output is bounded whatever the trace holds: at most [`MAX_DRAWN`] arrows or bars (the rest
//! counted in a line "(N more not drawn)"), at most [`ladder::MAX_LANES`] lifelines, and every
//! label cut to a fixed number of characters. Text from the network (names, reasons) is escaped
//! for XML, and characters XML cannot carry at all are replaced.
//!
//! This module is the small SVG writer the picture kinds share; `app::picture` writes the file.

mod anycast;
mod ddos;
mod dns;
mod http;
mod ladder;
mod tcp;
mod tls;
mod waterfall;

use std::fmt::Write as _;

use crate::trace::Trace;

/// The most arrows (or bars) one picture draws; the rest are counted in the picture.
pub const MAX_DRAWN: usize = 400;

/// The commands whose traces have a picture, as the usage error names them.
pub const DRAWN_COMMANDS: &str = "dns, tls, http, tcp, ddos and anycast";

/// Font size of ordinary text, in user units (pixels).
const FONT: f64 = 12.0;
/// The advance of one character of the monospace font, in pixels (0.6 em).
const CHAR_W: f64 = FONT * 0.6;

/// The palette: dark ink on light fills, readable in black and white.
mod ink {
    /// Lines, arrows and text.
    pub const DARK: &str = "#1a1a1a";
    /// Lifelines, axes' grid and secondary text.
    pub const GREY: &str = "#5c5c5c";
    /// The page.
    pub const PAGE: &str = "#ffffff";
    /// Boxes of notes and set-up steps.
    pub const NOTE: &str = "#eeeeee";
    /// Behind the label of an encrypted message (light amber: still light in grey).
    pub const SECRET: &str = "#fbe7a6";
    /// Bars of a waterfall: the wait for the first byte, and the download.
    pub const WAIT: &str = "#dfe8f2";
    pub const BODY: &str = "#8fa9c4";
}

/// The picture of a trace, or `None` when its command draws none (see [`DRAWN_COMMANDS`]).
pub fn draw(trace: &Trace) -> Option<String> {
    match kind(&trace.command)? {
        Kind::Dns => Some(dns::ladder(trace)),
        Kind::Tls => Some(tls::ladder(trace)),
        Kind::Http => Some(http::picture(trace)),
        Kind::Tcp => Some(tcp::chart(trace)),
        Kind::Ddos => Some(ddos::picture(trace)),
        Kind::Anycast => Some(anycast::picture(trace)),
    }
}

/// Whether a trace of `command` (its `command` field, e.g. `dns walk`) has a picture.
pub fn draws(command: &str) -> bool {
    kind(command).is_some()
}

enum Kind {
    Dns,
    Tls,
    Http,
    Tcp,
    Ddos,
    Anycast,
}

fn kind(command: &str) -> Option<Kind> {
    match command.split_whitespace().next()? {
        "dns" => Some(Kind::Dns),
        "tls" if command == "tls" => Some(Kind::Tls),
        "http" => Some(Kind::Http),
        "tcp" => Some(Kind::Tcp),
        "ddos" => Some(Kind::Ddos),
        "anycast" => Some(Kind::Anycast),
        _ => None,
    }
}

/// Text escaped for XML character data and attribute values (XML 1.0 §2.4, §3.3.3). Characters
/// no XML 1.0 document may contain, even as a reference (most C0 controls, U+FFFE, U+FFFF), become
/// U+FFFD, so a hostile name cannot make the file unreadable.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// `s` cut to at most `max` characters, the cut marked with "…".
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A coordinate or length, rounded to a tenth, without a trailing ".0": stable across runs
/// and platforms, so snapshots compare.
fn num(v: f64) -> String {
    let v = if v.is_finite() { (v * 10.0).round() / 10.0 } else { 0.0 };
    let s = format!("{v:.1}");
    match s.strip_suffix(".0") {
        Some("-0") => "0".to_string(),
        Some(whole) => whole.to_string(),
        None => s,
    }
}

/// The light lines of a chart's grid.
const GRID: Stroke = Stroke {
    colour: "#c8c8c8",
    width: 1.0,
    dash: None,
};

/// A chart's frame: the plot's left `x0`, `top`, width and height, each axis's ticks and last
/// tick (from [`ticks`]), and its label.
struct Axes<'a> {
    x0: f64,
    top: f64,
    width: f64,
    height: f64,
    x: (&'a [f64], f64, &'a str),
    y: (&'a [f64], f64, &'a str),
}

impl Axes<'_> {
    /// Draws the grid, the tick labels, the two axes and their labels, in a group "axis".
    fn draw(&self, svg: &mut Svg) {
        let (x0, y0) = (self.x0, self.top + self.height);
        svg.open("axis");
        for v in self.x.0 {
            let x = x0 + v / self.x.1 * self.width;
            svg.line((x, self.top), (x, y0), GRID);
            svg.text((x, y0 + 16.0), Anchor::Middle, 10.0, false, &num_ms(*v));
        }
        for v in self.y.0 {
            let y = y0 - v / self.y.1 * self.height;
            svg.line((x0, y), (x0 + self.width, y), GRID);
            svg.text((x0 - 6.0, y + 4.0), Anchor::End, 10.0, false, &num_ms(*v));
        }
        svg.line((x0, self.top), (x0, y0), SOLID);
        svg.line((x0, y0), (x0 + self.width, y0), SOLID);
        svg.text(
            (x0 + self.width / 2.0, y0 + 34.0),
            Anchor::Middle,
            FONT,
            false,
            self.x.2,
        );
        // Above the plot, at the page margin every chart uses.
        svg.text((24.0, self.top - 8.0), Anchor::Start, FONT, false, self.y.2);
        svg.close();
    }
}

/// A duration in microseconds as milliseconds for a label: `1.5 ms`, `12 ms`.
fn ms(us: u64) -> String {
    format!("{} ms", num_ms(us as f64 / 1000.0))
}

/// Milliseconds with up to three decimals, trailing zeros dropped.
fn num_ms(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// How a text is anchored at its x.
#[derive(Clone, Copy)]
enum Anchor {
    Start,
    Middle,
    End,
}

impl Anchor {
    fn name(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

/// A stroke: its colour, width and dash pattern.
#[derive(Clone, Copy)]
struct Stroke {
    colour: &'static str,
    width: f64,
    dash: Option<&'static str>,
}

const SOLID: Stroke = Stroke {
    colour: ink::DARK,
    width: 1.5,
    dash: None,
};
const DASHED: Stroke = Stroke {
    colour: ink::DARK,
    width: 1.5,
    dash: Some("6 4"),
};
const THIN: Stroke = Stroke {
    colour: ink::GREY,
    width: 1.0,
    dash: None,
};
const LIFELINE: Stroke = Stroke {
    colour: ink::GREY,
    width: 1.0,
    dash: Some("4 4"),
};

impl Stroke {
    fn attrs(&self) -> String {
        let mut s = format!(r#" stroke="{}" stroke-width="{}""#, self.colour, num(self.width));
        if let Some(d) = self.dash {
            let _ = write!(s, r#" stroke-dasharray="{d}""#);
        }
        s
    }
}

/// The SVG being written: elements appended in drawing order, then [`Svg::finish`] wraps them
/// in the root element with the page's size.
struct Svg {
    body: String,
}

impl Svg {
    fn new() -> Svg {
        Svg { body: String::new() }
    }

    /// Opens a group with a class, so that a reader (or a test) can find each drawn thing.
    fn open(&mut self, class: &str) {
        let _ = writeln!(self.body, r#"<g class="{class}">"#);
    }

    fn close(&mut self) {
        self.body.push_str("</g>\n");
    }

    fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: Stroke) {
        let _ = writeln!(
            self.body,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}"{}/>"#,
            num(x1),
            num(y1),
            num(x2),
            num(y2),
            stroke.attrs()
        );
    }

    fn rect(&mut self, (x, y): (f64, f64), (w, h): (f64, f64), fill: &str, stroke: Option<Stroke>) {
        let stroke = stroke.map_or_else(|| r#" stroke="none""#.to_string(), |s| s.attrs());
        let _ = writeln!(
            self.body,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{fill}"{stroke}/>"#,
            num(x),
            num(y),
            num(w.max(0.0)),
            num(h.max(0.0))
        );
    }

    fn circle(&mut self, (x, y): (f64, f64), r: f64, fill: &str) {
        let _ = writeln!(
            self.body,
            r#"<circle cx="{}" cy="{}" r="{}" fill="{fill}"{}/>"#,
            num(x),
            num(y),
            num(r),
            SOLID.attrs()
        );
    }

    /// A filled triangle: an arrowhead at `tip`, pointing away from `from`.
    fn arrowhead(&mut self, from: (f64, f64), tip: (f64, f64)) {
        let (dx, dy) = (tip.0 - from.0, tip.1 - from.1);
        let len = (dx * dx + dy * dy).sqrt().max(1e-9);
        let (ux, uy) = (dx / len, dy / len);
        let (bx, by) = (tip.0 - ux * 9.0, tip.1 - uy * 9.0);
        let (px, py) = (-uy * 4.0, ux * 4.0);
        let _ = writeln!(
            self.body,
            r#"<polygon points="{},{} {},{} {},{}" fill="{}"/>"#,
            num(tip.0),
            num(tip.1),
            num(bx + px),
            num(by + py),
            num(bx - px),
            num(by - py),
            ink::DARK
        );
    }

    fn polyline(&mut self, points: &[(f64, f64)], stroke: Stroke) {
        let pts: Vec<String> = points.iter().map(|(x, y)| format!("{},{}", num(*x), num(*y))).collect();
        let _ = writeln!(
            self.body,
            r#"<polyline points="{}" fill="none"{}/>"#,
            pts.join(" "),
            stroke.attrs()
        );
    }

    /// One line of text (escaped here), at `size` pixels, bold or not.
    fn text(&mut self, (x, y): (f64, f64), anchor: Anchor, size: f64, bold: bool, s: &str) {
        let weight = if bold { r#" font-weight="bold""# } else { "" };
        let _ = writeln!(
            self.body,
            r#"<text x="{}" y="{}" text-anchor="{}" font-size="{}" fill="{}"{weight}>{}</text>"#,
            num(x),
            num(y),
            anchor.name(),
            num(size),
            ink::DARK,
            escape(s)
        );
    }

    /// The document: the root element sized `width` × `height` (its viewBox the same), a white
    /// page, a title for screen readers, then what was drawn.
    fn finish(self, title: &str, width: f64, height: f64) -> String {
        let (w, h) = (num(width.ceil()), num(height.ceil()));
        format!(
            concat!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{w}" height="{h}" viewBox="0 0 {w} {h}" "#,
                r#"font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="{font}">"#,
                "\n<title>{title}</title>\n",
                r#"<rect x="0" y="0" width="{w}" height="{h}" fill="{page}"/>"#,
                "\n{body}</svg>\n"
            ),
            w = w,
            h = h,
            font = num(FONT),
            title = escape(title),
            page = ink::PAGE,
            body = self.body
        )
    }
}

/// Pixels that `chars` characters of text at the ordinary size take.
fn text_width(chars: usize) -> f64 {
    chars as f64 * CHAR_W
}

/// A "nice" step for an axis running to `max` with about `ticks` ticks: 1, 2 or 5 times a power
/// of ten.
fn nice_step(max: f64, ticks: f64) -> f64 {
    if !(max.is_finite() && max > 0.0) {
        return 1.0;
    }
    let raw = max / ticks.max(1.0);
    let pow = 10f64.powf(raw.log10().floor());
    let m = raw / pow;
    let nice = if m <= 1.0 {
        1.0
    } else if m <= 2.0 {
        2.0
    } else if m <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * pow
}

/// The tick values of an axis from 0 to at least `max`, and the axis's end (the last tick).
fn ticks(max: f64, count: f64) -> (Vec<f64>, f64) {
    let step = nice_step(max, count);
    let n = ((max / step).ceil() as usize).clamp(1, 20);
    let values: Vec<f64> = (0..=n).map(|i| i as f64 * step).collect();
    let end = values.last().copied().unwrap_or(1.0);
    (values, end)
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! The recorded traces of `tests/fixtures/traces/`, read as `netlab render` reads them.

    use crate::trace::Trace;

    pub fn trace(name: &str) -> Trace {
        let path = format!("{}/tests/fixtures/traces/{name}.json", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap();
        crate::app::read_trace(&text).unwrap()
    }

    /// The parsed picture, and how many elements of each class it holds.
    pub fn count(svg: &str, class: &str) -> usize {
        let doc = roxmltree::Document::parse(svg).unwrap();
        doc.descendants()
            .filter(|n| n.attribute("class") == Some(class))
            .count()
    }

    /// Every text of the picture, in order.
    pub fn texts(svg: &str) -> Vec<String> {
        let doc = roxmltree::Document::parse(svg).unwrap();
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| n.text().unwrap_or("").to_string())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_markup_out_and_the_document_well_formed() {
        let hostile = "a<b>&\"c'\u{1}\u{ffff}\td";
        assert_eq!(escape(hostile), "a&lt;b&gt;&amp;&quot;c&apos;\u{fffd}\u{fffd} d");
        let mut svg = Svg::new();
        svg.text((1.0, 2.0), Anchor::Start, FONT, false, hostile);
        let doc = svg.finish(hostile, 10.0, 10.0);
        let parsed = roxmltree::Document::parse(&doc).unwrap();
        let text = parsed.descendants().find(|n| n.has_tag_name("text")).unwrap();
        assert_eq!(text.text(), Some("a<b>&\"c'\u{fffd}\u{fffd} d"));
    }

    #[test]
    fn numbers_are_stable() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(1.25), "1.3");
        assert_eq!(num(-0.01), "0");
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(ms(1500), "1.5 ms");
        assert_eq!(ms(12_000), "12 ms");
        assert_eq!(ms(0), "0 ms");
    }

    #[test]
    fn clipping_counts_characters() {
        assert_eq!(clip("bücher", 10), "bücher");
        assert_eq!(clip("bücherei", 4), "büc…");
    }

    #[test]
    fn axes_end_on_a_nice_tick_past_the_maximum() {
        assert_eq!(ticks(13.0, 5.0), (vec![0.0, 5.0, 10.0, 15.0], 15.0));
        assert_eq!(ticks(0.0, 5.0).1, 1.0);
        assert!(ticks(f64::INFINITY, 5.0).0.len() <= 21);
    }

    #[test]
    fn only_dns_tls_http_tcp_ddos_and_anycast_traces_are_drawn() {
        for c in [
            "dns walk",
            "dns stub",
            "tls",
            "http",
            "tcp",
            "ddos syn",
            "ddos filter",
            "anycast",
        ] {
            assert!(draws(c), "{c}");
        }
        for c in ["cidr info", "pcap", "capture", "tls serve", ""] {
            assert!(!draws(c), "{c}");
        }
    }
}
