//! [`split`] for input that arrives in chunks (a file too large to hold in memory).
//!
//! [`StreamSplitter`] keeps a window of text: the statement in progress and whatever followed
//! the last finished one. Each [`feed`](StreamSplitter::feed) appends a chunk and runs the
//! in-memory [`split`] over the window; every statement but the last (which more input may still
//! extend) is final, since a `;` at depth 0 ends a statement whatever follows it. A COPY data
//! block is not buffered: it is handed on line by line as [`Event::CopyData`], so memory stays
//! bounded by the longest statement (plus a chunk), not by the input. Offsets in events are
//! absolute (into the whole input); the statements, data ranges and diagnostics are exactly
//! those [`split`] gives on the whole input (a property test checks it for random inputs and
//! chunk sizes).
use crate::span::LineCol;
use crate::split::{split, CopyData, Diagnostic, DiagnosticKind, Statement};
use crate::Dialect;

/// What the splitter found, in input order.
#[derive(Debug)]
pub enum Event<'a> {
    /// A finished statement and its text. For `COPY ... FROM stdin` (`copy` is true), its
    /// `copy_data` is still `None`: the data follows as [`Event::CopyData`] pieces, then an
    /// [`Event::CopyEnd`].
    Statement {
        /// The statement (absolute byte range and position).
        statement: Statement,
        /// Its text (`;` included).
        text: &'a str,
        /// A COPY data block follows.
        copy: bool,
    },
    /// A piece of the current COPY data block: whole rows, or part of a long row. Pieces are
    /// contiguous and cover the block's data exactly.
    CopyData {
        /// Absolute byte offset of `text`.
        offset: usize,
        /// The data.
        text: &'a str,
    },
    /// The current COPY data block ended (at a `\.` line, or at the end of the input).
    CopyEnd(CopyData),
}

enum State {
    /// Lexing SQL.
    Sql,
    /// After a COPY statement's `;`: the rest of its line.
    CopyLine(Statement),
    /// Inside a COPY data block that started at `data_start`.
    CopyData {
        statement: Statement,
        data_start: usize,
        /// The window starts inside a row (its start was already handed on).
        mid_line: bool,
    },
}

/// A resumable [`split`]: feed chunks with [`feed`](StreamSplitter::feed), then call
/// [`finish`](StreamSplitter::finish).
///
/// ```
/// use strata_sql::{Dialect, StreamEvent, StreamSplitter};
/// let mut s = StreamSplitter::new(Dialect::Postgres);
/// let mut texts = Vec::new();
/// let mut sink = |e: StreamEvent<'_>| -> Result<(), ()> {
///     if let StreamEvent::Statement { text, .. } = e {
///         texts.push(text.to_string());
///     }
///     Ok(())
/// };
/// for chunk in ["SELECT 'a;", "b'; SEL", "ECT 2;"] {
///     s.feed(chunk, &mut sink).unwrap();
/// }
/// let diagnostics = s.finish(&mut sink).unwrap();
/// assert!(diagnostics.is_empty());
/// assert_eq!(texts, ["SELECT 'a;b';", "SELECT 2;"]);
/// ```
pub struct StreamSplitter {
    dialect: Dialect,
    /// The input from absolute offset `base` on, not yet handed on.
    buf: String,
    base: usize,
    /// Position of `base`.
    base_pos: LineCol,
    state: State,
    /// Split the SQL window again only once it is this long (doubles while a statement grows,
    /// so a huge statement is not re-lexed at every chunk).
    min_len: usize,
    diagnostics: Vec<Diagnostic>,
}

impl StreamSplitter {
    /// A splitter at the start of the input.
    pub fn new(dialect: Dialect) -> Self {
        StreamSplitter {
            dialect,
            buf: String::new(),
            base: 0,
            base_pos: LineCol { line: 1, column: 1 },
            state: State::Sql,
            min_len: 0,
            diagnostics: Vec::new(),
        }
    }

    /// Bytes held in the window (for tests and memory checks).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Append `chunk` (the next part of the input) and hand `sink` every event it completes.
    /// Stops at the sink's first error.
    pub fn feed<E>(
        &mut self,
        chunk: &str,
        sink: &mut dyn FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.buf.push_str(chunk);
        self.pump(false, sink)
    }

    /// The input ended: hand on what is left and return every diagnostic, in input order (as
    /// [`split`] reports them).
    pub fn finish<E>(
        mut self,
        sink: &mut dyn FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<Vec<Diagnostic>, E> {
        self.pump(true, sink)?;
        let mut d = std::mem::take(&mut self.diagnostics);
        d.sort_by_key(|d| d.range.start);
        Ok(d)
    }

    /// The position of a window-relative [`LineCol`] in the whole input.
    fn shift(&self, at: LineCol) -> LineCol {
        if at.line == 1 {
            LineCol {
                line: self.base_pos.line,
                column: self.base_pos.column + at.column - 1,
            }
        } else {
            LineCol {
                line: self.base_pos.line + at.line - 1,
                column: at.column,
            }
        }
    }

    /// Drop the first `n` bytes of the window, keeping `base` and its position right.
    fn consume(&mut self, n: usize) {
        let gone = &self.buf[..n];
        let newlines = gone.bytes().filter(|&b| b == b'\n').count();
        match gone.rfind('\n') {
            Some(i) => {
                self.base_pos.line += newlines;
                self.base_pos.column = gone[i + 1..].chars().count() + 1;
            }
            None => self.base_pos.column += gone.chars().count(),
        }
        self.base += n;
        self.buf.drain(..n);
    }

    fn pump<E>(
        &mut self,
        eof: bool,
        sink: &mut dyn FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        loop {
            let progressed = match std::mem::replace(&mut self.state, State::Sql) {
                State::Sql => self.sql(eof, sink)?,
                State::CopyLine(statement) => self.copy_line(statement, eof),
                State::CopyData {
                    statement,
                    data_start,
                    mid_line,
                } => self.copy_data(statement, data_start, mid_line, eof, sink)?,
            };
            if !progressed {
                return Ok(());
            }
        }
    }

    /// Hand on the finished statements of the SQL window. Returns whether to go on (a COPY
    /// statement switched the state).
    fn sql<E>(
        &mut self,
        eof: bool,
        sink: &mut dyn FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<bool, E> {
        if !eof && (self.buf.len() < self.min_len || self.buf.is_empty()) {
            return Ok(false);
        }
        let out = split(&self.buf, self.dialect);
        let n = out.statements.len();
        let mut consumed = None;
        let mut copy = None;
        for (i, s) in out.statements.into_iter().enumerate() {
            // The last statement may still grow, unless a COPY's `;` ended it.
            if !eof && i + 1 == n && s.copy_data.is_none() {
                break;
            }
            let statement = Statement {
                range: s.range.start + self.base..s.range.end + self.base,
                start: self.shift(s.start),
                copy_data: None,
            };
            let is_copy = s.copy_data.is_some();
            sink(Event::Statement {
                statement: statement.clone(),
                text: &self.buf[s.range.clone()],
                copy: is_copy,
            })?;
            consumed = Some(s.range.end);
            if is_copy {
                copy = Some(statement);
                break;
            }
        }
        if let Some(statement) = copy {
            self.consume(consumed.unwrap_or(0));
            self.state = State::CopyLine(statement);
            self.min_len = 0;
            return Ok(true);
        }
        if eof {
            // No COPY in the rest: split's diagnostics are final (none is about COPY).
            for d in out.diagnostics {
                let start = self.shift(d.start);
                self.diagnostics.push(Diagnostic {
                    range: d.range.start + self.base..d.range.end + self.base,
                    start,
                    ..d
                });
            }
            let all = self.buf.len();
            self.consume(all);
            return Ok(false);
        }
        match consumed {
            Some(end) => {
                self.consume(end);
                self.min_len = 0;
            }
            None => self.min_len = self.buf.len() * 2,
        }
        Ok(false)
    }

    /// The rest of a COPY statement's line (only a `--` comment may stand there).
    fn copy_line(&mut self, statement: Statement, eof: bool) -> bool {
        let (line_end, next) = match self.buf.find('\n') {
            Some(i) => (i, i + 1),
            None if eof => (self.buf.len(), self.buf.len()),
            None => {
                self.state = State::CopyLine(statement);
                return false;
            }
        };
        let rest = &self.buf[..line_end];
        let trimmed = rest.trim_start();
        if !trimmed.trim_end().is_empty() && !trimmed.starts_with("--") {
            let from = rest.len() - trimmed.len();
            let to = rest.trim_end().len();
            let start = self.shift(crate::line_col(rest, from));
            self.diagnostics.push(Diagnostic {
                kind: DiagnosticKind::TextAfterCopy,
                range: from + self.base..to + self.base,
                start,
                message: "nothing but a `--` comment may follow `COPY ... FROM stdin;` on its \
                          line: the data starts on the next line"
                    .into(),
            });
        }
        self.consume(next);
        self.state = State::CopyData {
            statement,
            data_start: self.base,
            mid_line: false,
        };
        true
    }

    /// Hand on the data rows in the window, up to a `\.` line.
    fn copy_data<E>(
        &mut self,
        statement: Statement,
        data_start: usize,
        mut mid_line: bool,
        eof: bool,
        sink: &mut dyn FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<bool, E> {
        let bytes = self.buf.as_bytes();
        let mut line = 0;
        // `Some((start, end of its newline or input))` once the `\.` line is found.
        let mut stop = None;
        loop {
            let end = bytes[line..].iter().position(|&b| b == b'\n');
            let text_end = end.map_or(bytes.len(), |i| line + i);
            if end.is_none() && !eof {
                break;
            }
            if !mid_line && matches!(&self.buf[line..text_end], "\\." | "\\.\r") {
                stop = Some((line, end.map_or(text_end, |_| text_end + 1)));
                break;
            }
            mid_line = false;
            match end {
                Some(_) => line = text_end + 1,
                None => {
                    line = text_end;
                    break;
                }
            }
        }
        // A trailing partial row that cannot become a `\.` line is data already.
        let mut data_end = stop.map_or(line, |(s, _)| s);
        if stop.is_none() && !eof {
            let partial = &self.buf[line..];
            if !partial.is_empty() && (mid_line || !"\\.\r".starts_with(partial)) {
                data_end = self.buf.len();
            }
        }
        if data_end > 0 {
            sink(Event::CopyData {
                offset: self.base,
                text: &self.buf[..data_end],
            })?;
        }
        match stop {
            Some((start, after)) => {
                let end = CopyData {
                    range: data_start..start + self.base,
                    end: after + self.base,
                    terminated: true,
                };
                self.consume(after);
                sink(Event::CopyEnd(end))?;
                self.state = State::Sql;
                Ok(true)
            }
            None if eof => {
                let len = self.base + self.buf.len();
                let all = self.buf.len();
                self.consume(all);
                self.diagnostics.push(Diagnostic {
                    kind: DiagnosticKind::UnterminatedCopyData,
                    range: statement.range.start..statement.range.start + "COPY".len(),
                    start: statement.start,
                    message: "the data of this COPY ... FROM stdin is never ended by a line `\\.`"
                        .into(),
                });
                sink(Event::CopyEnd(CopyData {
                    range: data_start..len,
                    end: len,
                    terminated: false,
                }))?;
                self.state = State::Sql;
                Ok(false)
            }
            None => {
                let mid = data_end > line;
                self.consume(data_end);
                self.state = State::CopyData {
                    statement,
                    data_start,
                    mid_line: mid,
                };
                Ok(false)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Split `sql` fed in chunks of `size` bytes (rounded up to char boundaries) into a
    /// [`crate::Split`]-like result.
    fn streamed(sql: &str, size: usize, dialect: Dialect) -> crate::Split {
        let mut s = StreamSplitter::new(dialect);
        let mut statements: Vec<Statement> = Vec::new();
        let mut data = String::new();
        let mut sink = |e: Event<'_>| -> Result<(), ()> {
            match e {
                Event::Statement { statement, .. } => statements.push(statement),
                Event::CopyData { offset, text } => {
                    assert_eq!(&sql[offset..offset + text.len()], text);
                    data.push_str(text);
                }
                Event::CopyEnd(c) => {
                    assert_eq!(&sql[c.range.clone()], data);
                    data.clear();
                    statements.last_mut().unwrap().copy_data = Some(c);
                }
            }
            Ok(())
        };
        let mut at = 0;
        while at < sql.len() {
            let mut end = (at + size).min(sql.len());
            while !sql.is_char_boundary(end) {
                end += 1;
            }
            s.feed(&sql[at..end], &mut sink).unwrap();
            at = end;
        }
        let diagnostics = s.finish(&mut sink).unwrap();
        crate::Split {
            statements,
            diagnostics,
        }
    }

    #[test]
    fn stream_split_matches_split_on_copy_and_dollar_quotes_across_chunks() {
        let sql = "SET x = 1;\nCREATE FUNCTION f() RETURNS int AS $body$ BEGIN; RETURN 1; END $body$ LANGUAGE plpgsql;\n\
                   COPY t (a) FROM stdin; -- rows\n1\t$$\n\\.x\n\\.\r\nINSERT INTO t VALUES ('é;'); SELECT 'tail";
        for size in 1..sql.len() + 1 {
            assert_eq!(
                streamed(sql, size, Dialect::Postgres),
                split(sql, Dialect::Postgres),
                "{size}"
            );
        }
    }

    #[test]
    fn stream_split_reports_unterminated_copy_and_text_after_copy() {
        for sql in [
            "COPY t FROM stdin;",
            "COPY t FROM stdin; SELECT 1;\n1\n\\.",
            "SELECT 1;\nCOPY t FROM stdin;\n1\n2",
        ] {
            for size in 1..sql.len() + 1 {
                assert_eq!(
                    streamed(sql, size, Dialect::Postgres),
                    split(sql, Dialect::Postgres),
                    "{sql:?} {size}"
                );
            }
        }
    }

    #[test]
    fn stream_split_does_not_buffer_copy_data() {
        let mut s = StreamSplitter::new(Dialect::Postgres);
        let mut sink = |_: Event<'_>| -> Result<(), ()> { Ok(()) };
        s.feed("COPY t FROM stdin;\n", &mut sink).unwrap();
        for _ in 0..1000 {
            s.feed("1\tsome row data\n", &mut sink).unwrap();
            assert!(s.buffered() < 64, "{}", s.buffered());
        }
        s.feed("a very long row without its newline yet", &mut sink)
            .unwrap();
        assert!(s.buffered() < 64);
    }
}
