//! Familiar spellings: the arguments as dig, openssl s_client, tshark/tcpdump and curl users
//! type them, rewritten into netlab's before clap parses them, or refused in one line that says
//! what netlab does instead.
//!
//! Pure: an argument list in, an argument list (or a usage error) out. Each tool has a module
//! with its table ([`Spelling`]) and the few rewrites a table cannot say (dig's `@SERVER -p
//! PORT` and `IN`, tshark's filter expressions, s_client's `-connect`). netlab's own options
//! win where both tools have the letter with the same meaning (`-c`, `-o`, `-x`); tshark's `-V`
//! (verbose) wins over netlab's `-V` (version) after `pcap`. A word after `--`, and the value
//! of one of netlab's own options, is never rewritten.

mod curl;
mod dig;
mod openssl;
mod tshark;

use std::ffi::OsString;

use crate::error::{Error, Result};

/// How netlab says what another tool's option says.
#[derive(Debug, Clone, Copy)]
pub(super) enum Ours {
    /// netlab's option of the same meaning; the value, if the option takes one, follows it.
    Flag(&'static str),
    /// What netlab does anyway: the option is dropped (with its value, if it takes one).
    Default,
    /// netlab has no such option: what the option does, and what netlab does instead.
    Lacks(&'static str, &'static str),
}

/// One option of another tool.
#[derive(Debug, Clone, Copy)]
pub(super) struct Spelling {
    /// Its spellings, as typed.
    pub theirs: &'static [&'static str],
    /// Whether it takes a value (the next argument).
    pub value: bool,
    pub ours: Ours,
}

/// Rewrites `args` (program name first) for the subcommand they name; arguments that are not
/// all UTF-8, or name no subcommand with habits, are returned as they are.
pub(super) fn rewrite(args: Vec<OsString>) -> Result<Vec<OsString>> {
    let Some(words) = args
        .iter()
        .map(|a| a.to_str().map(str::to_string))
        .collect::<Option<Vec<String>>>()
    else {
        return Ok(args);
    };
    let ours = Flags::of(None);
    let Some(at) = subcommand_at(&words, &ours) else {
        return Ok(args);
    };
    let tool: fn(&[String], &Flags) -> Result<Vec<String>> = match words[at].as_str() {
        "dns" => dig::rewrite,
        "tls" => openssl::rewrite,
        "pcap" => tshark::rewrite,
        "http" => curl::rewrite,
        _ => return Ok(args),
    };
    let rest = tool(&words[at + 1..], &Flags::of(Some(&words[at])))?;
    Ok(words[..=at].iter().cloned().chain(rest).map(OsString::from).collect())
}

/// Where the subcommand's name is: the first word that is neither a global option nor the
/// value of one.
fn subcommand_at(words: &[String], globals: &Flags) -> Option<usize> {
    let mut i = 1;
    while let Some(w) = words.get(i) {
        if w == "--" {
            return None;
        }
        if !w.starts_with('-') {
            return Some(i);
        }
        i += if globals.takes_value(w) == Some(true) { 2 } else { 1 };
    }
    None
}

/// netlab's own options of a command (its globals included), read from the clap definition:
/// which exist and which take a value.
pub(super) struct Flags {
    /// `--long` and `-s` spellings, and whether each takes a value.
    names: Vec<(String, bool)>,
}

impl Flags {
    /// The options of `netlab SUBCOMMAND`, or of `netlab` alone.
    fn of(subcommand: Option<&str>) -> Flags {
        let mut cmd = <crate::cli::Cli as clap::CommandFactory>::command();
        cmd.build();
        let cmd = match subcommand.and_then(|s| cmd.find_subcommand(s)) {
            Some(sub) => sub.clone(),
            None => cmd,
        };
        let names = cmd
            .get_arguments()
            .flat_map(|a| {
                let value = a.get_action().takes_values();
                let longs = a.get_long_and_visible_aliases().unwrap_or_default();
                longs
                    .into_iter()
                    .map(|l| format!("--{l}"))
                    .chain(a.get_short().map(|s| format!("-{s}")))
                    .map(move |n| (n, value))
                    .collect::<Vec<_>>()
            })
            .collect();
        Flags { names }
    }

    /// Whether `word` is one of netlab's options (`--long`, `--long=VALUE`, `-s`, `-sVALUE`),
    /// and if so whether the next word is its value.
    fn takes_value(&self, word: &str) -> Option<bool> {
        let lookup = |name: &str| self.names.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
        if word.starts_with("--") {
            return match word.split_once('=') {
                Some((name, _)) => lookup(name).map(|_| false),
                None => lookup(word),
            };
        }
        let short = word.get(..2)?;
        match (lookup(short)?, word.len() > 2) {
            (true, attached) => Some(!attached),
            (false, false) => Some(false),
            // -kfoo: not one of netlab's (its short options without a value stand alone).
            (false, true) => None,
        }
    }
}

/// A cursor over a command's arguments, for one tool's rewrite.
pub(super) struct Cursor<'a> {
    args: &'a [String],
    at: usize,
    ours: &'a Flags,
    /// The rewritten arguments so far.
    pub out: Vec<String>,
}

impl<'a> Cursor<'a> {
    pub fn new(args: &'a [String], ours: &'a Flags) -> Cursor<'a> {
        Cursor {
            args,
            at: 0,
            ours,
            out: Vec::new(),
        }
    }

    /// The next word for the tool to look at. netlab's own options, their values and
    /// everything after `--` are copied to [`Cursor::out`] unchanged on the way, and after `--`
    /// there is none.
    pub fn next_word(&mut self, theirs: &[Spelling]) -> Option<&'a str> {
        loop {
            let w = self.args.get(self.at)?;
            self.at += 1;
            if w == "--" {
                self.out.extend(self.args[self.at - 1..].iter().cloned());
                self.at = self.args.len();
                return None;
            }
            if w.len() > 1 && w.starts_with('-') && lookup(theirs, w).is_none() {
                if let Some(value) = self.ours.takes_value(w) {
                    self.out.push(w.clone());
                    if value {
                        if let Some(v) = self.args.get(self.at) {
                            self.out.push(v.clone());
                            self.at += 1;
                        }
                    }
                    continue;
                }
            }
            return Some(w);
        }
    }

    /// The value of option `of`: the next word.
    pub fn value(&mut self, of: &str) -> Result<&'a str> {
        let v = self
            .args
            .get(self.at)
            .ok_or_else(|| Error::usage(format!("option '{of}'"), "needs a value", format!("write {of} VALUE")))?;
        self.at += 1;
        Ok(v)
    }

    /// Applies `word`'s row of `table`, if it has one (`tool` names the tool in an error).
    /// Returns whether it had one.
    pub fn apply(&mut self, table: &[Spelling], word: &str, tool: &str) -> Result<bool> {
        let Some(row) = lookup(table, word) else {
            return Ok(false);
        };
        let value = if row.value { Some(self.value(word)?) } else { None };
        match row.ours {
            Ours::Flag(flag) => {
                self.out.push(flag.to_string());
                self.out.extend(value.map(str::to_string));
            }
            Ours::Default => {}
            Ours::Lacks(what, instead) => return Err(lacks(tool, word, what, instead)),
        }
        Ok(true)
    }
}

/// The row of `table` that spells `word`.
fn lookup<'t>(table: &'t [Spelling], word: &str) -> Option<&'t Spelling> {
    table.iter().find(|s| s.theirs.contains(&word))
}

/// The one-line refusal of an option netlab lacks: what it does in `tool`, what netlab does.
pub(super) fn lacks(tool: &str, word: &str, what: &str, instead: &str) -> Error {
    Error::usage(format!("{tool}'s '{word}'"), what, instead.to_string())
}

/// The one-line refusal of an option netlab does not know, listing the spellings it does.
pub(super) fn unknown(tool: &str, word: &str, table: &[Spelling], extra: &[&str], help: &str) -> Error {
    let known: Vec<&str> = table
        .iter()
        .filter(|s| !matches!(s.ours, Ours::Lacks(..)))
        .filter_map(|s| s.theirs.first().copied())
        .chain(extra.iter().copied())
        .collect();
    Error::usage(
        format!("unknown option '{word}'"),
        format!("{tool} spellings netlab knows: {}", known.join(", ")),
        format!("see 'netlab {help} --help'"),
    )
}

#[cfg(test)]
pub(super) fn words(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(line: &str) -> Result<String> {
        let args = std::iter::once("netlab")
            .chain(line.split_whitespace())
            .map(OsString::from)
            .collect();
        rewrite(args).map(|v| {
            v.iter()
                .skip(1)
                .map(|a| a.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        })
    }

    #[test]
    fn the_subcommand_is_found_after_global_options_and_their_values() {
        assert_eq!(
            run("--color never --sandbox dns x +short").unwrap(),
            "--color never --sandbox dns --short x"
        );
        assert_eq!(
            run("--link rtt=40ms http https://h/ --http3").unwrap(),
            "--link rtt=40ms http https://h/ --h3"
        );
        assert_eq!(
            run("--color=never pcap -r f.pcap").unwrap(),
            "--color=never pcap f.pcap"
        );
    }

    #[test]
    fn other_commands_and_words_after_the_end_of_options_are_left_alone() {
        assert_eq!(run("cidr info +short").unwrap(), "cidr info +short");
        assert_eq!(run("lab start 01-dns").unwrap(), "lab start 01-dns");
        assert_eq!(run("dns -- +short").unwrap(), "dns -- +short");
        assert_eq!(run("--sandbox").unwrap(), "--sandbox");
        let odd = vec![OsString::from("netlab"), OsString::from("dns"), invalid_utf8()];
        assert_eq!(rewrite(odd.clone()).unwrap(), odd);
    }

    #[test]
    fn netlabs_own_options_keep_their_values() {
        // --tls-name takes a value: '+short' there is a name, not dig's option.
        assert_eq!(run("dns x --tls-name +short").unwrap(), "dns --tls-name +short x");
        assert_eq!(run("http https://h/ -H --http3").unwrap(), "http https://h/ -H --http3");
    }

    #[test]
    fn netlabs_options_are_read_from_clap() {
        let f = Flags::of(Some("pcap"));
        assert_eq!(f.takes_value("-c"), Some(true));
        assert_eq!(f.takes_value("-c5"), Some(false));
        assert_eq!(f.takes_value("--port=53"), Some(false));
        assert_eq!(f.takes_value("--json"), Some(false));
        assert_eq!(f.takes_value("-vfoo"), None);
        assert_eq!(f.takes_value("--nope"), None);
    }

    #[test]
    fn odd_words_never_panic() {
        let odd = [
            "",
            "-",
            "--",
            "+",
            "@",
            "-p",
            "-m",
            "é",
            "CLASSé",
            "ééééé",
            "-méé",
            "+time=é",
            "%{",
            "-Y",
            "'",
        ];
        for sub in ["dns", "tls", "pcap", "http"] {
            for a in odd {
                for b in odd {
                    let args = ["netlab", sub, a, b, "x"].map(OsString::from).to_vec();
                    let _ = rewrite(args);
                }
            }
        }
    }

    #[cfg(unix)]
    fn invalid_utf8() -> OsString {
        use std::os::unix::ffi::OsStringExt;
        OsString::from_vec(vec![0xff, 0xfe])
    }
}
