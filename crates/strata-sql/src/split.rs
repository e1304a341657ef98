//! PLACEHOLDER splitter: splits on every `;`. To be replaced by the real lexer-based splitter.
use crate::{line_col, Dialect, LineCol};
use std::ops::Range;

/// One statement: a byte range into the input, including its terminating `;` if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Byte range of the statement text (leading whitespace and comments excluded, the `;`
    /// included).
    pub range: Range<usize>,
    /// Position of the first byte of `range`.
    pub start: LineCol,
}

impl Statement {
    /// The statement's text within `input` (the string that was split).
    pub fn text<'a>(&self, input: &'a str) -> &'a str {
        &input[self.range.clone()]
    }
}

/// What kind of problem a diagnostic reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiagnosticKind {
    /// A `'...'` or `E'...'` string that never ends.
    UnterminatedString,
    /// A `"..."` identifier that never ends.
    UnterminatedIdentifier,
    /// A `$tag$ ... $tag$` body that never ends.
    UnterminatedDollarQuote,
    /// A `/* ... */` comment that never ends.
    UnterminatedComment,
}

/// A problem found while splitting; never fatal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// What went wrong.
    pub kind: DiagnosticKind,
    /// Where the offending construct started.
    pub range: Range<usize>,
    /// Position of `range.start`.
    pub start: LineCol,
    /// A human message.
    pub message: String,
}

/// The result of [`split`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Split {
    /// Statements in order. Whitespace-and-comment-only pieces are not statements.
    pub statements: Vec<Statement>,
    /// Problems found; empty for well-formed input.
    pub diagnostics: Vec<Diagnostic>,
}

/// Split `sql` into statements.
pub fn split(sql: &str, _dialect: Dialect) -> Split {
    let mut out = Split::default();
    let mut start = 0;
    for (i, c) in sql.char_indices() {
        if c == ';' {
            push(sql, start, i + 1, &mut out);
            start = i + 1;
        }
    }
    push(sql, start, sql.len(), &mut out);
    out
}

fn push(sql: &str, start: usize, end: usize, out: &mut Split) {
    let piece = &sql[start..end];
    let lead = piece.len() - piece.trim_start().len();
    if piece.trim().is_empty() {
        return;
    }
    let s = start + lead;
    out.statements.push(Statement { range: s..end, start: line_col(sql, s) });
}
