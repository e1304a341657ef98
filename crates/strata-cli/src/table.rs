//! Plain text tables for terminals and pipes: left-aligned columns two spaces apart, padded
//! by display width (a CJK character or an emoji takes two columns, a combining mark none),
//! trailing spaces trimmed.
//!
//! `unicode-width` (already in the build through clap) gives the widths. comfy-table would
//! do the same padding, but its borderless layout pads every cell on both sides, which would
//! change every table scripts read today for no gain.

use std::fmt::Write as _;
use unicode_width::UnicodeWidthStr;

/// `header` and `rows` as aligned columns, one line each.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut text = String::new();
        for (c, w) in cells.zip(&widths) {
            text.push_str(c);
            text.extend(std::iter::repeat_n(' ', w.saturating_sub(c.width()) + 2));
        }
        let _ = writeln!(out, "{}", text.trim_end());
    };
    line(&mut header.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn columns_line_up_by_display_width_not_by_characters() {
        let out = table(
            &["V", "NAME", "STATE"],
            &[
                row(&["1", "create_users", "applied"]),
                row(&["2", "ユーザー表", "pending"]),
                row(&["3", "café", "pending"]),
            ],
        );
        // The screen column where the STATE cell starts, on each line.
        let starts: Vec<usize> = out
            .lines()
            .zip(["STATE", "applied", "pending", "pending"])
            .map(|(l, cell)| l[..l.find(cell).unwrap()].width())
            .collect();
        assert_eq!(starts, vec![17, 17, 17, 17], "{out}");
    }

    #[test]
    fn trailing_empty_cells_leave_no_trailing_spaces() {
        let out = table(&["A", "B"], &[row(&["x", ""])]);
        assert_eq!(out, "A  B\nx\n");
    }
}
