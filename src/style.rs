//! How text output looks, shared by every renderer: the colours (decided once from the
//! `--color` flag, `NO_COLOR` and whether stdout is a terminal), whether the teaching notes
//! show, and the one way a note is written.
//!
//! The domain renderers (`cidr::render`, `dns::render`, ...) and the dispatch in
//! [`crate::render`] both use this module; it uses neither, so the dependency goes one way:
//!
//! ```text
//!  render::text ──► dns::render, tls::render, ... ──► style
//!        └──────────────────────────────────────────► style
//! ```

use crate::trace::Note;

/// How to render text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOpts {
    /// Show the teaching notes ("why: ...").
    pub notes: bool,
    pub palette: Palette,
    /// Columns a line may fill before a long list wraps: the terminal's width, or
    /// [`DEFAULT_WIDTH`] when stdout is not a terminal.
    pub width: usize,
}

/// The line width for output that does not go to a terminal.
pub const DEFAULT_WIDTH: usize = 100;

impl RenderOpts {
    /// No colour, with notes, 100 columns: what tests and pipes get.
    pub fn plain() -> Self {
        RenderOpts {
            notes: true,
            palette: Palette::plain(),
            width: DEFAULT_WIDTH,
        }
    }
}

/// How many columns `s` takes on a terminal: its characters, not counting ANSI colour codes.
pub fn columns(s: &str) -> usize {
    let mut n = 0;
    let mut in_escape = false;
    for c in s.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) => n += 1,
        }
    }
    n
}

/// Appends `lead` and a list (items joined with ", ") as one line or, wider than `width`, as
/// several, each item after the first line starting under the first item.
pub fn list(out: &mut String, lead: &str, items: &str, width: usize) {
    wrap(out, lead, columns(lead), items, width);
}

/// Appends `lead` and a sentence as one line or, wider than `width`, as several, the lines
/// after the first indented four columns more than `lead`'s own leading spaces.
pub fn paragraph(out: &mut String, lead: &str, text: &str, width: usize) {
    let leading = lead.len() - lead.trim_start_matches(' ').len();
    wrap(out, lead, leading + 4, text, width);
}

/// Breaks `text` at spaces so that lines stay within `width` columns, continuation lines
/// indented by `indent`. A word too long for any line (a hex value) gets a line of its own,
/// where it overflows least; nothing is cut.
fn wrap(out: &mut String, lead: &str, indent: usize, text: &str, width: usize) {
    wrap_under(out, lead, &" ".repeat(indent), text, width);
}

/// [`wrap`] with the continuation lines starting with `continuation` (which may carry a marker
/// such as `# `).
fn wrap_under(out: &mut String, lead: &str, continuation: &str, text: &str, width: usize) {
    out.push_str(lead);
    let (mut used, mut start) = (columns(lead), columns(lead));
    let indent = columns(continuation);
    for (i, word) in text.split(' ').enumerate() {
        let w = columns(word);
        if i > 0 && used + 1 + w > width && used > start {
            out.push('\n');
            out.push_str(continuation);
            (used, start) = (indent, indent);
        } else if i > 0 {
            out.push(' ');
            used += 1;
        }
        out.push_str(word);
        used += w;
    }
    out.push('\n');
}

/// Appends teaching notes, each starting with `prefix` and wrapped to `opts.width`, its
/// continuation lines under `prefix` and four columns in.
pub fn notes(out: &mut String, notes: &[Note], opts: &RenderOpts, prefix: &str) {
    if !opts.notes {
        return;
    }
    for Note { text, reference, .. } in notes {
        let p = &opts.palette;
        let reference = reference.as_deref().map(|r| format!(" [{r}]")).unwrap_or_default();
        wrap_under(
            out,
            &format!("{prefix}{}why:{} ", p.cyan, p.reset),
            &format!("{prefix}    "),
            &format!("{text}{}{reference}{}", p.dim, p.reset),
            opts.width,
        );
    }
}

/// ANSI escape sequences, or empty strings when colour is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    pub bold: &'static str,
    pub dim: &'static str,
    pub green: &'static str,
    pub red: &'static str,
    pub yellow: &'static str,
    pub cyan: &'static str,
    pub reset: &'static str,
}

impl Palette {
    pub fn plain() -> Self {
        Palette {
            bold: "",
            dim: "",
            green: "",
            red: "",
            yellow: "",
            cyan: "",
            reset: "",
        }
    }

    pub fn pretty() -> Self {
        Palette {
            bold: "\x1b[1m",
            dim: "\x1b[2m",
            green: "\x1b[32m",
            red: "\x1b[31m",
            yellow: "\x1b[33m",
            cyan: "\x1b[36m",
            reset: "\x1b[0m",
        }
    }
}

/// The `--color` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is not set.
    #[default]
    Auto,
    /// Always colour, even into a pipe.
    Always,
    /// Never colour.
    Never,
}

/// `always` wins; `never` loses; `auto` colours a terminal unless `NO_COLOR` is set (and not empty).
pub fn decide(choice: ColorChoice, stdout_is_terminal: bool, no_color_env: Option<&str>) -> Palette {
    let on = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => stdout_is_terminal && no_color_env.is_none_or(str::is_empty),
    };
    if on {
        Palette::pretty()
    } else {
        Palette::plain()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_wrap_at_the_width() {
        let mut out = String::new();
        list(
            &mut out,
            "  suites: ",
            "TLS_AES_256_GCM_SHA384, TLS_AES_128_GCM_SHA256, TLS_CHACHA20_POLY1305_SHA256",
            50,
        );
        assert_eq!(
            out,
            "  suites: TLS_AES_256_GCM_SHA384,\n          TLS_AES_128_GCM_SHA256,\n          TLS_CHACHA20_POLY1305_SHA256\n"
        );
        assert!(out.lines().all(|l| l.len() <= 50));
        let mut short = String::new();
        list(&mut short, "\x1b[32mok:\x1b[0m ", "fits", 10);
        assert_eq!(short, "\x1b[32mok:\x1b[0m fits\n", "colour codes take no columns");
        let mut text = String::new();
        paragraph(&mut text, "  ", "one two three four", 12);
        assert_eq!(text, "  one two\n      three\n      four\n");
        let mut hex = String::new();
        paragraph(&mut hex, "  ", "verify_data 0123456789abcdef0123 end", 16);
        assert_eq!(
            hex, "  verify_data\n      0123456789abcdef0123\n      end\n",
            "a word no line can hold gets a line of its own"
        );
        let mut overflow = String::new();
        list(&mut overflow, "  x: ", "aaaaaaaa, bbbbbbbbbbbbbbbb, c", 12);
        assert_eq!(
            overflow, "  x: aaaaaaaa,\n     bbbbbbbbbbbbbbbb,\n     c\n",
            "it does not pull the next word along"
        );
    }

    #[test]
    fn notes_wrap_under_their_prefix() {
        let opts = RenderOpts {
            width: 30,
            ..RenderOpts::plain()
        };
        let note = Note::new("t", "one two three four five six", Some("RFC 1 §2"));
        let mut out = String::new();
        notes(&mut out, std::slice::from_ref(&note), &opts, "  ");
        assert_eq!(
            out,
            "  why: one two three four five
      six [RFC 1 §2]
"
        );
        let mut marked = String::new();
        notes(&mut marked, &[note], &opts, "# ");
        assert!(marked.lines().all(|l| l.starts_with("# ")), "{marked}");
    }

    #[test]
    fn color_decision_table() {
        assert_eq!(decide(ColorChoice::Auto, true, None), Palette::pretty());
        assert_eq!(decide(ColorChoice::Auto, false, None), Palette::plain());
        assert_eq!(decide(ColorChoice::Auto, true, Some("1")), Palette::plain());
        assert_eq!(decide(ColorChoice::Auto, true, Some("")), Palette::pretty());
        assert_eq!(decide(ColorChoice::Always, false, Some("1")), Palette::pretty());
        assert_eq!(decide(ColorChoice::Never, true, None), Palette::plain());
    }
}
