//! Byte offsets to human positions.

/// A 1-based line and column (column counted in characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct LineCol {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in Unicode scalar values.
    pub column: usize,
}

/// The line and column of byte `offset` in `text` (clamped to the text's end and to a char
/// boundary).
///
/// ```
/// assert_eq!(strata_sql::line_col("ab\ncd", 4), strata_sql::LineCol { line: 2, column: 2 });
/// ```
pub fn line_col(text: &str, offset: usize) -> LineCol {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    LineCol { line, column }
}

/// Computes [`LineCol`]s for increasing offsets in one pass over the text, so that positioning
/// every statement of a large file stays linear. Falls back to [`line_col`] if asked to go back.
pub struct Cursor<'a> {
    text: &'a str,
    offset: usize,
    at: LineCol,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `text`.
    pub fn new(text: &'a str) -> Self {
        Cursor {
            text,
            offset: 0,
            at: LineCol { line: 1, column: 1 },
        }
    }

    /// Line and column of `offset` (scanning on from the last offset asked).
    pub fn line_col(&mut self, offset: usize) -> LineCol {
        if offset < self.offset || !self.text.is_char_boundary(offset) {
            return line_col(self.text, offset);
        }
        for c in self.text[self.offset..offset].chars() {
            if c == '\n' {
                self.at = LineCol {
                    line: self.at.line + 1,
                    column: 1,
                };
            } else {
                self.at.column += 1;
            }
        }
        self.offset = offset;
        self.at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_matches_line_col_for_increasing_offsets() {
        let text = "ab\nçd\n\né;x";
        let mut cursor = Cursor::new(text);
        for (offset, _) in text.char_indices() {
            assert_eq!(cursor.line_col(offset), line_col(text, offset), "{offset}");
        }
        assert_eq!(cursor.line_col(text.len()), line_col(text, text.len()));
        assert_eq!(cursor.line_col(1), line_col(text, 1));
    }

    #[test]
    fn line_col_counts_columns_in_chars_and_clamps() {
        assert_eq!(line_col("é€x", "é€".len()), LineCol { line: 1, column: 3 });
        assert_eq!(line_col("é", 1), LineCol { line: 1, column: 1 });
        assert_eq!(line_col("a\n", 99), LineCol { line: 2, column: 1 });
    }
}
