//! Colour on terminals: `error:`, `warning:` and `hint:` prefixes on stderr. Written through
//! anstream, which drops the colour codes when the stream is not a terminal, under `NO_COLOR`,
//! or with `--color never`, and keeps them under `CLICOLOR_FORCE` or `--color always`.

use anstyle::{AnsiColor, Style};

const ERROR: Style = Style::new()
    .bold()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)));
const WARNING: Style = Style::new()
    .bold()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));
const HINT: Style = Style::new()
    .bold()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)));

/// `text` with the prefix of each `error:` / `warning:` / `hint:` line styled.
pub fn prefixes(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.split_inclusive('\n') {
        let styled = [("error:", ERROR), ("warning:", WARNING), ("hint:", HINT)]
            .into_iter()
            .find(|(p, _)| line.starts_with(p));
        match styled {
            Some((p, style)) => {
                out.push_str(&format!("{style}{p}{style:#}"));
                out.push_str(&line[p.len()..]);
            }
            None => out.push_str(line),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_prefixes_are_styled() {
        let s = super::prefixes("error: bad\nplain\nhint: try\n");
        assert!(
            s.starts_with("\u{1b}[1m\u{1b}[31merror:\u{1b}[0m bad\nplain\n"),
            "{s:?}"
        );
        assert!(s.contains("hint:\u{1b}[0m try\n"), "{s:?}");
        assert_eq!(super::prefixes("1/u a (1ms)\n"), "1/u a (1ms)\n");
    }
}
