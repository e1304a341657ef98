//! The excerpt of a failing statement shown under an error, rustc style: the lines around the
//! failing one with a caret under the column. A statement can be megabytes on one line (a
//! generated INSERT, a streamed file), so each line shown is cut to a window around the caret,
//! and characters that would act on the terminal are escaped.

use std::fmt::Write as _;
use strata_core::printable::printable_path;
use strata_core::Location;

/// At most this many characters of a line are shown, around the caret column.
pub const WIDTH: usize = 200;

/// An excerpt of `loc`'s statement with a caret under the column: at most 7 lines, each at
/// most [`WIDTH`] characters (an ellipsis marks what was cut).
pub fn excerpt(loc: &Location) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  --> {}:{}:{}",
        printable_path(&loc.path),
        loc.line,
        loc.column
    );
    let lines: Vec<&str> = loc.statement.lines().collect();
    let width = (loc.statement_line + lines.len()).to_string().len();
    let _ = writeln!(out, "{:width$} |", "");
    let failing = loc.line.saturating_sub(loc.statement_line);
    let from = failing.saturating_sub(3);
    let to = (failing + 4).min(lines.len());
    let caret = loc.column.saturating_sub(1);
    // Every line is cut at the same columns, so they stay aligned with the failing one.
    let start = lines
        .get(failing)
        .map_or(0, |l| window_start(l.chars().count(), caret));
    if from > 0 {
        let _ = writeln!(out, "{:width$} | ...", "");
    }
    for (i, line) in lines.iter().enumerate().take(to).skip(from) {
        let n = loc.statement_line + i;
        let (shown, pad) = cut(line, start, caret);
        let _ = writeln!(out, "{n:width$} | {shown}");
        if i == failing {
            let _ = writeln!(out, "{:width$} | {}^", "", " ".repeat(pad));
        }
    }
    if to < lines.len() {
        let _ = writeln!(out, "{:width$} | ...", "");
    }
    out
}

/// The first character shown of a line of `len` characters with the caret at `caret`: the
/// caret sits in the middle of the window, which never runs past either end of the line.
fn window_start(len: usize, caret: usize) -> usize {
    if len <= WIDTH {
        return 0;
    }
    caret.saturating_sub(WIDTH / 2).min(len - WIDTH)
}

/// `line` from character `start`, at most [`WIDTH`] characters, escaped, with `…` where it was
/// cut; and how many columns of that text come before character `caret`.
fn cut(line: &str, start: usize, caret: usize) -> (String, usize) {
    let mut shown = String::new();
    let mut pad = 0;
    if start > 0 {
        shown.push('…');
        pad += 1;
    }
    let mut chars = line.chars().skip(start);
    for (i, c) in chars.by_ref().take(WIDTH).enumerate() {
        let before = shown.chars().count();
        match c {
            // One column, so the caret stays under its character.
            '\t' => shown.push(' '),
            c => shown.push_str(&strata_core::printable::printable(
                c.encode_utf8(&mut [0; 4]),
            )),
        }
        if start + i < caret {
            pad += shown.chars().count() - before;
        }
    }
    if chars.next().is_some() {
        shown.push('…');
    }
    (shown, pad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn at(statement: &str, line: usize, column: usize) -> Location {
        Location {
            path: PathBuf::from("m/2_x.up.sql"),
            line,
            column,
            statement: statement.into(),
            statement_line: 1,
        }
    }

    #[test]
    fn caret_under_failing_column() {
        let text = excerpt(&at("SELECT 1\nFROM t\nWHERE bogus = 1;", 3, 8));
        assert!(text.contains("--> m/2_x.up.sql:3:8"), "{text}");
        assert!(
            text.contains("3 | WHERE bogus = 1;\n  |        ^"),
            "{text}"
        );
    }

    #[test]
    fn a_long_line_is_cut_around_the_caret_with_ellipses() {
        // 100,000 characters on one line; the error is at column 50,001 (`b` of `bogus`).
        let line = format!("{}bogus{}", "x".repeat(50_000), "y".repeat(49_995));
        let text = excerpt(&at(&format!("{line}\nAND 1;"), 1, 50_001));
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines.iter().all(|l| l.chars().count() <= WIDTH + 10),
            "{text}"
        );
        let code = lines[2].strip_prefix("1 | ").expect("the failing line");
        assert!(code.starts_with('…') && code.ends_with('…'), "{code}");
        let caret = lines[3].strip_prefix("  | ").expect("the caret line");
        let column = caret.chars().count() - 1;
        assert_eq!(
            code.chars().skip(column).take(5).collect::<String>(),
            "bogus",
            "{text}"
        );
        // The next line is cut at the same columns: nothing of it is left.
        assert_eq!(lines[4], "2 | …");
    }

    #[test]
    fn the_ends_of_a_long_line_keep_a_full_window() {
        let line = "z".repeat(1000);
        let head = excerpt(&at(&line, 1, 1));
        assert!(
            head.contains(&format!("1 | {}…\n  | ^", "z".repeat(WIDTH))),
            "{head}"
        );
        let tail = excerpt(&at(&line, 1, 1000));
        let caret = format!("  | {}^", " ".repeat(WIDTH));
        assert!(
            tail.contains(&format!("1 | …{}\n{caret}", "z".repeat(WIDTH))),
            "{tail}"
        );
    }

    #[test]
    fn control_characters_are_escaped_and_the_caret_follows() {
        let text = excerpt(&at("SELECT '\u{1b}[2J', bogus;", 1, 16));
        assert!(!text.contains('\u{1b}'), "{text}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[2], "1 | SELECT '\\u{1b}[2J', bogus;");
        assert_eq!(lines[3], format!("  | {}^", " ".repeat(20)));
    }
}
