//! The ladder (sequence) diagram the DNS, TLS and HTTP pictures share: one lifeline per party,
//! time going down, one row per step: an arrow from sender to receiver, a note on a lifeline or
//! across several, or a divider across the whole diagram. Rows are evenly spaced: the order is
//! what the picture shows, the text trace has the times.

use super::{clip, ink, text_width, Anchor, Stroke, Svg, DASHED, FONT, LIFELINE, MAX_DRAWN, SOLID, THIN};

/// The most lifelines drawn; parties beyond share the last one (see [`Ladder::lane`]).
pub const MAX_LANES: usize = 12;
/// Labels of arrows and dividers are cut to this many characters, and notes to [`MAX_NOTE`].
const MAX_LABEL: usize = 72;
const MAX_NOTE: usize = 100;
/// A lane header's lines are cut to this many characters.
const MAX_HEADER: usize = 28;

/// The most rows (arrows, notes, dividers) one ladder draws.
const MAX_ROWS: usize = 2 * MAX_DRAWN;

const MARGIN: f64 = 24.0;
const ROW: f64 = 30.0;
/// How far an arrow falls from sender to receiver: the message takes time to arrive.
const SLOPE: f64 = 8.0;

/// How an arrow is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    /// A message in the clear.
    Plain,
    /// A message that travelled encrypted: its label is shaded and says so.
    Encrypted,
    /// Something that arrived and was not believed, or did not arrive whole: dashed.
    Dashed,
}

/// One row of the diagram.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Arrow {
        from: usize,
        to: usize,
        label: String,
        look: Look,
    },
    /// A box on lanes `first..=last` (one lane: beside its lifeline). `class` names it for
    /// readers of the SVG (`note`, `setup`).
    Note {
        first: usize,
        last: usize,
        text: String,
        class: &'static str,
    },
    /// A dashed line across the diagram with a heading: a new part of the story.
    Divider(String),
}

/// A ladder diagram: a title, its parties, its steps in order.
#[derive(Debug, Default)]
pub struct Ladder {
    pub title: String,
    /// Each lane's header: one or two lines (a name, an address).
    lanes: Vec<Vec<String>>,
    /// The key each lane was made for, and parties that share the last lane.
    keys: Vec<String>,
    overflow: usize,
    steps: Vec<Step>,
    /// Steps beyond [`MAX_DRAWN`] arrows, counted and not drawn.
    not_drawn: usize,
    arrows: usize,
}

impl Ladder {
    pub fn new(title: impl Into<String>) -> Ladder {
        Ladder {
            title: title.into(),
            ..Ladder::default()
        }
    }

    /// The lane of the party `key`, made with `header` the first time it is asked for. Past
    /// [`MAX_LANES`], new parties share the last lane, whose header then says how many.
    pub fn lane(&mut self, key: &str, header: &[&str]) -> usize {
        if let Some(i) = self.keys.iter().position(|k| k == key) {
            return i;
        }
        if self.lanes.len() == MAX_LANES {
            self.overflow += 1;
            let n = self.overflow + 1;
            if let Some(last) = self.lanes.last_mut() {
                *last = vec![format!("{n} other parties")];
            }
            return MAX_LANES - 1;
        }
        self.keys.push(key.to_string());
        self.lanes.push(header.iter().map(|h| clip(h, MAX_HEADER)).collect());
        self.lanes.len() - 1
    }

    /// Adds a step; past [`MAX_DRAWN`] arrows or [`MAX_ROWS`] rows, it and every later step
    /// are counted instead (the picture stops where the story stops being drawn whole).
    pub fn push(&mut self, step: Step) {
        if self.arrows >= MAX_DRAWN || self.steps.len() >= MAX_ROWS || self.not_drawn > 0 {
            self.not_drawn += 1;
            return;
        }
        if matches!(step, Step::Arrow { .. }) {
            self.arrows += 1;
        }
        self.steps.push(step);
    }

    pub fn arrow(&mut self, from: usize, to: usize, label: impl Into<String>, look: Look) {
        self.push(Step::Arrow {
            from,
            to,
            label: label.into(),
            look,
        });
    }

    pub fn note(&mut self, first: usize, last: usize, text: impl Into<String>) {
        self.band(first, last, text, "note");
    }

    /// A note of its own kind (`class`), such as a connection's set-up step.
    pub fn band(&mut self, first: usize, last: usize, text: impl Into<String>, class: &'static str) {
        self.push(Step::Note {
            first,
            last,
            text: text.into(),
            class,
        });
    }

    pub fn divider(&mut self, text: impl Into<String>) {
        self.push(Step::Divider(text.into()));
    }

    /// The width between two lifelines: room for the longest label of an arrow between
    /// neighbours, within bounds.
    fn gap(&self) -> f64 {
        let longest = self
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Arrow { label, look, .. } => Some(label_chars(label, *look)),
                _ => None,
            })
            .chain(self.lanes.iter().flatten().map(|h| h.chars().count()))
            .max()
            .unwrap_or(0);
        (text_width(longest) + 40.0).clamp(200.0, text_width(MAX_LABEL) + 40.0)
    }

    /// The diagram drawn from `top` down; returns the height used and the width it needs.
    pub(super) fn draw(&self, svg: &mut Svg, top: f64) -> (f64, f64) {
        let gap = self.gap();
        let lanes = self.lanes.len().max(1);
        let left = MARGIN + 40.0 + gap / 2.0;
        let x = |lane: usize| left + lane.min(lanes - 1) as f64 * gap;
        let right_edge = x(lanes - 1) + gap / 2.0;
        let mut width = right_edge + MARGIN;

        svg.text((MARGIN, top + 16.0), Anchor::Start, 15.0, true, &self.title);
        let head_top = top + 30.0;
        for (i, header) in self.lanes.iter().enumerate() {
            let w = header
                .iter()
                .map(|h| text_width(h.chars().count()))
                .fold(60.0, f64::max)
                + 16.0;
            svg.open("lane");
            svg.rect((x(i) - w / 2.0, head_top), (w, 40.0), ink::NOTE, Some(SOLID));
            for (j, line) in header.iter().enumerate() {
                let y = head_top + 17.0 + j as f64 * 15.0;
                svg.text((x(i), y), Anchor::Middle, FONT, j == 0, line);
            }
            svg.close();
        }

        // The lifelines are drawn under the rows: they are put here once their length is known.
        let rows_start = svg.body.len();
        let mut y = head_top + 40.0 + ROW;
        for step in &self.steps {
            match step {
                Step::Arrow { from, to, label, look } => arrow(svg, (x(*from), x(*to)), y, label, *look),
                Step::Note {
                    first,
                    last,
                    text,
                    class,
                } => {
                    let (a, b) = (x(*first.min(last)), x(*first.max(last)));
                    let end = note(
                        svg,
                        (a, b),
                        y,
                        text,
                        class,
                        first == last && *first > 0 && *first == lanes - 1,
                    );
                    width = width.max(end + MARGIN);
                }
                Step::Divider(text) => {
                    svg.open("divider");
                    svg.line((MARGIN, y), (right_edge, y), THIN_DASHED);
                    let t = clip(text, MAX_LABEL);
                    svg.rect(
                        (MARGIN + 4.0, y - 9.0),
                        (text_width(t.chars().count()) + 8.0, 18.0),
                        ink::PAGE,
                        None,
                    );
                    svg.text((MARGIN + 8.0, y + 4.0), Anchor::Start, FONT, true, &t);
                    svg.close();
                }
            }
            y += ROW;
        }
        if self.not_drawn > 0 {
            svg.text(
                (MARGIN, y),
                Anchor::Start,
                FONT,
                false,
                &format!("({} more not drawn)", self.not_drawn),
            );
            y += ROW;
        }
        if self.overflow > 0 {
            svg.text(
                (MARGIN, y),
                Anchor::Start,
                FONT,
                false,
                &format!("(the last lifeline stands for {} parties)", self.overflow + 1),
            );
            y += ROW;
        }

        // Lifelines and the time axis, under what crosses them.
        let bottom = y - ROW / 2.0;
        let mut lines = Svg::new();
        for i in 0..self.lanes.len() {
            lines.open("lifeline");
            lines.line((x(i), head_top + 40.0), (x(i), bottom), LIFELINE);
            lines.close();
        }
        lines.open("time-axis");
        lines.line((MARGIN + 8.0, head_top + 48.0), (MARGIN + 8.0, bottom), THIN);
        lines.arrowhead((MARGIN + 8.0, head_top + 48.0), (MARGIN + 8.0, bottom));
        lines.text((MARGIN + 8.0, head_top + 44.0), Anchor::Middle, 10.0, false, "time");
        lines.close();
        svg.body.insert_str(rows_start, &lines.body);
        (bottom + MARGIN - top, width)
    }
}

const THIN_DASHED: Stroke = Stroke {
    colour: ink::GREY,
    width: 1.0,
    dash: Some("2 3"),
};

/// The characters an arrow's label takes, its encryption mark included.
fn label_chars(label: &str, look: Look) -> usize {
    let mark = if look == Look::Encrypted {
        ENCRYPTED.chars().count()
    } else {
        0
    };
    clip(label, MAX_LABEL).chars().count() + mark
}

const ENCRYPTED: &str = " (encrypted)";

/// An arrow from `xs.0` to `xs.1` at row `y`, its label above it.
fn arrow(svg: &mut Svg, (x1, x2): (f64, f64), y: f64, label: &str, look: Look) {
    let mut label = clip(label, MAX_LABEL);
    if look == Look::Encrypted {
        label.push_str(ENCRYPTED);
    }
    svg.open(match look {
        Look::Encrypted => "arrow encrypted",
        _ => "arrow",
    });
    let mid = (x1 + x2) / 2.0;
    let w = text_width(label.chars().count());
    if look == Look::Encrypted {
        svg.rect(
            (mid - w / 2.0 - 4.0, y - 17.0),
            (w + 8.0, 15.0),
            ink::SECRET,
            Some(THIN),
        );
    }
    let (from, to) = if (x1 - x2).abs() < 1.0 {
        // A step to oneself: a short loop to the right.
        ((x1, y), (x1 + 30.0, y + SLOPE))
    } else {
        ((x1, y), (x2, y + SLOPE))
    };
    svg.line(from, to, if look == Look::Dashed { DASHED } else { SOLID });
    svg.arrowhead(from, to);
    svg.text((mid, y - 5.0), Anchor::Middle, FONT, false, &label);
    svg.close();
}

/// A note between lifelines `a` and `b` (or beside one when they are the same, on its left
/// when `leftwards`); returns its right end.
fn note(svg: &mut Svg, (a, b): (f64, f64), y: f64, text: &str, class: &str, leftwards: bool) -> f64 {
    let t = clip(text, MAX_NOTE);
    let w = text_width(t.chars().count()) + 12.0;
    let (x0, w) = if (a - b).abs() < 1.0 {
        if leftwards {
            ((a - 6.0 - w).max(MARGIN), w)
        } else {
            (a + 6.0, w)
        }
    } else {
        let span = b - a;
        if w <= span {
            (a, span)
        } else {
            (((a + b) / 2.0 - w / 2.0).max(MARGIN), w)
        }
    };
    svg.open(class);
    svg.rect((x0, y - 12.0), (w, 20.0), ink::NOTE, Some(THIN));
    svg.text((x0 + w / 2.0, y + 2.0), Anchor::Middle, FONT, false, &t);
    svg.close();
    x0 + w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_are_bounded_and_shared_past_the_limit() {
        let mut l = Ladder::new("t");
        for i in 0..MAX_LANES + 5 {
            let lane = l.lane(&i.to_string(), &["x"]);
            assert!(lane < MAX_LANES);
        }
        assert_eq!(l.lanes.len(), MAX_LANES);
        assert_eq!(l.lane("3", &["again"]), 3);
        assert_eq!(l.lanes[MAX_LANES - 1], vec!["6 other parties".to_string()]);
    }

    #[test]
    fn arrows_past_the_limit_are_counted_not_drawn() {
        let mut l = Ladder::new("t");
        let (a, b) = (l.lane("a", &["a"]), l.lane("b", &["b"]));
        for _ in 0..MAX_DRAWN + 7 {
            l.arrow(a, b, "m", Look::Plain);
        }
        let mut svg = Svg::new();
        l.draw(&mut svg, 0.0);
        let doc = svg.finish("t", 100.0, 100.0);
        assert_eq!(super::super::fixtures::count(&doc, "arrow"), MAX_DRAWN);
        assert!(doc.contains("(7 more not drawn)"));
    }

    #[test]
    fn notes_are_bounded_too() {
        let mut l = Ladder::new("t");
        let a = l.lane("a", &["a"]);
        for _ in 0..MAX_ROWS + 3 {
            l.note(a, a, "n");
        }
        l.arrow(a, a, "after", Look::Plain);
        assert_eq!(l.steps.len(), MAX_ROWS);
        assert_eq!(l.not_drawn, 4);
    }
}
