//! Markdown for the terminal: headings stand out, code blocks are indented, `code`, **bold**
//! and *emphasis* are coloured when colour is on (and left as written when it is off).

use crate::style::Palette;

/// Renders the subset of Markdown the write-ups use.
pub fn render(md: &str, p: &Palette) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for line in md.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            out.push_str(&format!("    {}{line}{}\n", p.dim, p.reset));
            continue;
        }
        let level = line.chars().take_while(|&c| c == '#').count();
        if level > 0 && line[level..].starts_with(' ') {
            let title = line[level + 1..].trim();
            let rule = if level == 1 { '=' } else { '-' };
            out.push_str(&format!("{}{title}{}\n", p.bold, p.reset));
            out.push_str(&rule.to_string().repeat(title.chars().count()));
            out.push('\n');
            continue;
        }
        out.push_str(&inline(line, p));
        out.push('\n');
    }
    out
}

/// `code`, **bold** and *emphasis* within one line.
fn inline(line: &str, p: &Palette) -> String {
    if p.reset.is_empty() {
        return line.to_string();
    }
    let mut out = String::new();
    let mut rest = line;
    while let Some(i) = rest.find(['`', '*']) {
        out.push_str(&rest[..i]);
        let (marker, style) = if rest[i..].starts_with("**") {
            ("**", p.bold)
        } else if rest[i..].starts_with('`') {
            ("`", p.cyan)
        } else {
            ("*", p.yellow)
        };
        let after = &rest[i + marker.len()..];
        // As in Markdown, emphasis hugs its text: no space just inside the markers.
        let hugs = |j: usize| !after.starts_with(char::is_whitespace) && !after[..j].ends_with(char::is_whitespace);
        match after.find(marker) {
            Some(j) if j > 0 && hugs(j) => {
                out.push_str(&format!("{style}{}{}", &after[..j], p.reset));
                rest = &after[j + marker.len()..];
            }
            _ => {
                out.push_str(marker);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_code_and_emphasis() {
        let md = "# Title\nSome `code` and **bold**.\n```console\n$ netlab x\n```\n## Sub\n";
        let plain = render(md, &Palette::plain());
        assert_eq!(
            plain,
            "Title\n=====\nSome `code` and **bold**.\n    $ netlab x\nSub\n---\n"
        );
        let pretty = render(md, &Palette::pretty());
        assert!(pretty.contains("\x1b[36mcode\x1b[0m") && pretty.contains("\x1b[1mbold\x1b[0m"));
        assert!(render("2 * 3 = 6 and a*", &Palette::pretty()).contains("2 * 3 = 6 and a*"));
    }
}
