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
    fn color_decision_table() {
        assert_eq!(decide(ColorChoice::Auto, true, None), Palette::pretty());
        assert_eq!(decide(ColorChoice::Auto, false, None), Palette::plain());
        assert_eq!(decide(ColorChoice::Auto, true, Some("1")), Palette::plain());
        assert_eq!(decide(ColorChoice::Auto, true, Some("")), Palette::pretty());
        assert_eq!(decide(ColorChoice::Always, false, Some("1")), Palette::pretty());
        assert_eq!(decide(ColorChoice::Never, true, None), Palette::plain());
    }
}
