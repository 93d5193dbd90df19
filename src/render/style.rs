//! Colours: decided once from the `--color` flag, `NO_COLOR` and whether stdout is a terminal.

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
