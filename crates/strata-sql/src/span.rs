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
