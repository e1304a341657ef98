//! Migration files too large to hold in memory (issue 5: a 1 GiB pg_dump file).
//!
//! A pair file (`N_name.up.sql` / `.down.sql`) longer than [`STREAM_THRESHOLD`] bytes is not
//! read whole: [`scan`] reads it once in [`READ_CHUNK`]-byte chunks, normalised as a whole file
//! is (BOM removed, CRLF → LF, see [`Normalizer`]), and gathers in that one pass what reading
//! the folder needs: the checksum, the transaction mode (the statements classified as
//! [`strata_sql::StreamSplitter`] finds them), the `-- strata:` directive lines, the COPY
//! checks and invalid UTF-8. Its [`crate::Script`] then keeps no text
//! ([`crate::Script::streamed`]); drivers read the file again, in chunks, to run it
//! ([`read_normalized`]), and a failure is located by reading it once more up to the failing
//! offset ([`locate_in_file`]).
//!
//! Memory stays bounded whatever the line length: the scan keeps at most a line's first 4 KiB
//! (`line_scan.rs`) and a statement's first 64 KiB (enough to classify it), the splitter
//! carries its lexer state across chunk edges instead of holding a token, and the run holds one
//! statement at a time, refusing one over [`MAX_STATEMENT`] ([`TooLarge`]).
//!
//! The functions here take any [`Read`], so they are tested without a disk; [`super::fs`] gives
//! them files.

use super::line_scan::LineScan;
use crate::checksum::{Checksum, InvalidUtf8, Normalizer};
use std::io::Read;
use std::ops::Range;
use std::path::Path;
use strata_sql::{classify, Diagnostic, Dialect, LineCol, StatementKind, StreamEvent};

/// Pair files longer than this (in bytes on disk) are streamed instead of read whole.
pub const STREAM_THRESHOLD: u64 = 32 << 20;
/// Streamed files are read in chunks of this size.
pub const READ_CHUNK: usize = 1 << 20;
/// A statement of a streamed file longer than this is refused: the drivers send a statement in
/// one message, so running it would hold it whole (twice, with the driver's message), and a
/// statement this long is better split.
pub const MAX_STATEMENT: usize = 64 << 20;
/// How much of each statement [`scan`] looks at to classify it (its first words decide).
const SCAN_STATEMENT_HEAD: usize = 64 << 10;

/// Why reading a streamed file stopped.
#[derive(Debug)]
pub enum ReadError<E> {
    /// The OS refused.
    Io(std::io::Error),
    /// The file is not valid UTF-8 there.
    NotUtf8(InvalidUtf8),
    /// The consumer stopped it ([`StatementReader`]: a statement too long to send without
    /// holding it whole, see [`MAX_STATEMENT`]).
    Stopped(E),
}

/// A statement of a streamed file longer than the reader's limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLarge {
    /// The statement: its absolute range in the normalised text, and where it starts.
    pub statement: Range<usize>,
    /// Its 1-based line.
    pub line: usize,
    /// The limit it exceeds, in bytes.
    pub limit: usize,
}

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the statement at line {} is {}, over the {} a statement of a streamed file may have \
             (it would be held whole to be sent); split it into smaller statements",
            self.line,
            mib(self.statement.len()),
            mib(self.limit)
        )
    }
}

impl From<TooLarge> for crate::driver::DriverError {
    /// A statement error at the statement, so that the failure is located (file and line).
    fn from(t: TooLarge) -> Self {
        crate::driver::DriverError::Statement {
            message: t.to_string(),
            code: None,
            detail: None,
            hint: None,
            statement: Some(t.statement),
            position: None,
        }
    }
}

/// `n` bytes in MiB, or bytes under 1 MiB.
fn mib(n: usize) -> String {
    if n >= 1 << 20 {
        format!("{} MiB", n.div_ceil(1 << 20))
    } else {
        format!("{n} bytes")
    }
}

/// Read `reader` to its end in `chunk`-byte pieces, handing `f` the normalised text (each call a
/// piece of it, in order, every piece ending on a char boundary). Returns the checksum of the
/// whole (equal to [`Checksum::of`] the file's bytes) and the text's length.
pub fn read_normalized<E>(
    mut reader: impl Read,
    chunk: usize,
    f: &mut dyn FnMut(&str) -> Result<(), E>,
) -> Result<(Checksum, usize), ReadError<E>> {
    let mut buf = vec![0u8; chunk.max(1)];
    let mut n = Normalizer::default();
    let mut len = 0;
    loop {
        let got = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(got) => got,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ReadError::Io(e)),
        };
        let text = n.push(&buf[..got]).map_err(ReadError::NotUtf8)?;
        len += text.len();
        if !text.is_empty() {
            f(text).map_err(ReadError::Stopped)?;
        }
    }
    let (rest, checksum) = n.finish().map_err(ReadError::NotUtf8)?;
    if !rest.is_empty() {
        len += rest.len();
        f(&rest).map_err(ReadError::Stopped)?;
    }
    Ok((checksum, len))
}

/// [`read_normalized`] feeding a [`strata_sql::StreamSplitter`]: `sink` sees every statement and
/// COPY data piece in order. Returns the checksum, the text's length and the splitter's
/// diagnostics.
pub fn split_reader<E>(
    reader: impl Read,
    chunk: usize,
    dialect: Dialect,
    sink: &mut dyn FnMut(StreamEvent<'_>) -> Result<(), E>,
) -> Result<(Checksum, usize, Vec<Diagnostic>), ReadError<E>> {
    let mut splitter = strata_sql::StreamSplitter::new(dialect);
    let (checksum, len) = read_normalized(reader, chunk, &mut |text| splitter.feed(text, sink))?;
    let diagnostics = splitter.finish(sink).map_err(ReadError::Stopped)?;
    Ok((checksum, len, diagnostics))
}

/// An owned [`StreamEvent`], as [`StatementReader`] hands it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// A statement (absolute range and position) and its text; `copy`: a COPY data block
    /// follows as [`Piece::CopyData`] pieces and a [`Piece::CopyEnd`].
    Statement {
        /// The statement.
        statement: strata_sql::Statement,
        /// Its text.
        text: String,
        /// A COPY data block follows.
        copy: bool,
    },
    /// Part of a COPY data block, at absolute byte `offset`.
    CopyData {
        /// Where it starts.
        offset: usize,
        /// The data.
        text: String,
    },
    /// The COPY data block ended.
    CopyEnd(strata_sql::CopyData),
}

/// Pulls the statements and COPY data of a file one [`Piece`] at a time, reading it in chunks:
/// a driver can hold the database session (e.g. a COPY writer) between pieces. Holds at most
/// one chunk's pieces and the statement in progress.
pub struct StatementReader<R> {
    reader: R,
    buf: Vec<u8>,
    normalizer: Option<Normalizer>,
    splitter: Option<strata_sql::StreamSplitter>,
    queue: std::collections::VecDeque<Piece>,
    diagnostics: Vec<Diagnostic>,
    checksum: Option<Checksum>,
    limit: usize,
}

impl StatementReader<std::fs::File> {
    /// A reader of a streamed script's file (see [`crate::Streamed`]): the one place a
    /// migration file is read again once its [`crate::Source`] was built, so drivers never
    /// open migration paths themselves.
    pub fn open(script: &crate::Script, dialect: Dialect) -> std::io::Result<Self> {
        Ok(StatementReader::new(
            std::fs::File::open(&script.path)?,
            READ_CHUNK,
            dialect,
        ))
    }
}

impl<R: Read> StatementReader<R> {
    /// A reader of `reader`'s statements, reading `chunk` bytes at a time; a statement longer
    /// than [`MAX_STATEMENT`] stops it ([`ReadError::Stopped`] with a [`TooLarge`]).
    pub fn new(reader: R, chunk: usize, dialect: Dialect) -> Self {
        StatementReader::with_limit(reader, chunk, dialect, MAX_STATEMENT)
    }

    /// [`new`](Self::new) with another statement limit.
    pub fn with_limit(reader: R, chunk: usize, dialect: Dialect, limit: usize) -> Self {
        StatementReader {
            reader,
            buf: vec![0; chunk.max(1)],
            normalizer: Some(Normalizer::default()),
            splitter: Some(strata_sql::StreamSplitter::with_limit(dialect, limit)),
            limit,
            queue: Default::default(),
            diagnostics: Vec::new(),
            checksum: None,
        }
    }

    /// The splitter's diagnostics, once [`next`](Self::next) returned `None`.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The checksum of what was read, once [`next`](Self::next) returned `None`.
    pub fn checksum(&self) -> Option<Checksum> {
        self.checksum
    }

    /// Fail unless what was read (to its end) is the text that `expected` describes: the file
    /// did not change since it was scanned.
    pub fn check(&self, expected: &crate::migration::Streamed) -> Result<(), String> {
        if self.checksum == Some(expected.checksum) {
            Ok(())
        } else {
            Err("the file changed since the migrations folder was read (its checksum differs); nothing was committed, run again".into())
        }
    }

    /// The next piece; `None` at the end of the input.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Piece>, ReadError<TooLarge>> {
        let stopped = ReadError::Stopped;
        loop {
            if let Some(p) = self.queue.pop_front() {
                return Ok(Some(p));
            }
            let Some(splitter) = self.splitter.as_mut() else {
                return Ok(None);
            };
            let queue = &mut self.queue;
            let limit = self.limit;
            let mut sink = |e: StreamEvent<'_>| -> Result<(), TooLarge> {
                queue.push_back(match e {
                    StreamEvent::Statement {
                        statement,
                        whole: false,
                        ..
                    } => {
                        return Err(TooLarge {
                            line: statement.start.line,
                            statement: statement.range,
                            limit,
                        })
                    }
                    StreamEvent::Statement {
                        statement,
                        text,
                        copy,
                        ..
                    } => Piece::Statement {
                        statement,
                        text: text.into_owned(),
                        copy,
                    },
                    StreamEvent::CopyData { offset, text } => Piece::CopyData {
                        offset,
                        text: text.to_string(),
                    },
                    StreamEvent::CopyEnd(c) => Piece::CopyEnd(c),
                });
                Ok(())
            };
            let got = loop {
                match self.reader.read(&mut self.buf) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    other => break other.map_err(ReadError::Io)?,
                }
            };
            if got == 0 {
                let normalizer = self.normalizer.take().unwrap_or_default();
                let (rest, checksum) = normalizer.finish().map_err(ReadError::NotUtf8)?;
                self.checksum = Some(checksum);
                let mut splitter = self.splitter.take().expect("checked above");
                splitter.feed(&rest, &mut sink).map_err(stopped)?;
                self.diagnostics = splitter.finish(&mut sink).map_err(stopped)?;
                continue;
            }
            let normalizer = self.normalizer.get_or_insert_with(Normalizer::default);
            let text = normalizer
                .push(&self.buf[..got])
                .map_err(ReadError::NotUtf8)?;
            splitter.feed(text, &mut sink).map_err(stopped)?;
        }
    }
}

/// What one pass over a streamed file found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// The checksum of the file (as [`Checksum::of`] its bytes).
    pub checksum: Checksum,
    /// Length of the normalised text.
    pub len: usize,
    /// How many statements (COPY statements included).
    pub statements: usize,
    /// The splitter's diagnostics (unterminated constructs, COPY problems), in input order.
    pub diagnostics: Vec<Diagnostic>,
    /// The first transaction-control statement: (`BEGIN`/`COMMIT`/`ROLLBACK`, line).
    pub transaction_control: Option<(&'static str, usize)>,
    /// The first statement that cannot run in a transaction: (its name, line).
    pub no_transaction: Option<(String, usize)>,
    /// Lines that may hold a `-- strata:` directive: (1-based number, text, whether only
    /// comments and blank lines come before it).
    pub directive_lines: Vec<(usize, String, bool)>,
    /// `-- strata:out-of-order` among the leading comment lines.
    pub out_of_order: bool,
    /// The most bytes of text held at once while scanning (the read buffer aside): for tests.
    #[doc(hidden)]
    pub high_water: usize,
}

/// Read a migration file once, in chunks, and gather what [`super::assemble`] needs (see the
/// module documentation).
pub fn scan(
    reader: impl Read,
    chunk: usize,
    dialect: Dialect,
) -> Result<Scan, ReadError<std::convert::Infallible>> {
    let mut lines = LineScan::default();
    let mut statements = 0;
    let mut transaction_control = None;
    let mut no_transaction: Option<(String, usize)> = None;
    // Statements are classified from their start: the splitter holds no more of them.
    let mut splitter = strata_sql::StreamSplitter::with_limit(dialect, SCAN_STATEMENT_HEAD);
    let mut sink = |e: StreamEvent<'_>| -> Result<(), std::convert::Infallible> {
        let StreamEvent::Statement {
            statement, text, ..
        } = e
        else {
            return Ok(());
        };
        statements += 1;
        if transaction_control.is_some() {
            return Ok(());
        }
        let skip = super::assemble::skip_comments(&text);
        if skip >= text.len() {
            return Ok(());
        }
        let line = statement.start.line + text[..skip].matches('\n').count();
        match classify(&text[skip..]) {
            StatementKind::Begin => transaction_control = Some(("BEGIN", line)),
            StatementKind::Commit => transaction_control = Some(("COMMIT", line)),
            StatementKind::Rollback => transaction_control = Some(("ROLLBACK", line)),
            StatementKind::NoTransaction(name)
                if no_transaction.is_none()
                    && (dialect == Dialect::Postgres || name.eq_ignore_ascii_case("VACUUM")) =>
            {
                no_transaction = Some((name.to_string(), line));
            }
            _ => {}
        }
        Ok(())
    };
    let mut line_high_water = 0;
    let (checksum, len) = read_normalized(reader, chunk, &mut |text| {
        lines.feed(text);
        line_high_water = line_high_water.max(lines.held());
        splitter.feed(text, &mut sink)
    })?;
    let high_water = splitter.high_water() + line_high_water;
    let diagnostics = splitter.finish(&mut sink).map_err(ReadError::Stopped)?;
    lines.finish();
    Ok(Scan {
        checksum,
        len,
        statements,
        diagnostics,
        transaction_control,
        no_transaction,
        directive_lines: lines.directives,
        out_of_order: lines.out_of_order,
        high_water,
    })
}

/// Where byte `offset` of a streamed file's normalised text is, read from `reader`: its
/// position, the text of `statement` (at most `max_text` bytes of it, cut on a char boundary)
/// and the line `statement` starts on.
pub fn locate_in(
    reader: impl Read,
    offset: usize,
    statement: Option<Range<usize>>,
    max_text: usize,
) -> Option<(LineCol, String, usize)> {
    let want_end = statement
        .as_ref()
        .map_or(offset, |r| r.end.max(offset))
        .saturating_add(1);
    let mut at = 0usize;
    let mut pos = LineCol { line: 1, column: 1 };
    let mut found = None;
    let mut statement_line = None;
    let mut text = String::new();
    let stop = read_normalized(reader, READ_CHUNK, &mut |piece| {
        let base = at;
        for (i, c) in piece.char_indices() {
            let abs = base + i;
            if abs == offset {
                found = Some(pos);
            }
            if statement.as_ref().is_some_and(|r| abs == r.start) {
                statement_line = Some(pos.line);
            }
            if statement
                .as_ref()
                .is_some_and(|r| r.contains(&abs) && text.len() + c.len_utf8() <= max_text)
            {
                text.push(c);
            }
            if c == '\n' {
                pos = LineCol {
                    line: pos.line + 1,
                    column: 1,
                };
            } else {
                pos.column += 1;
            }
        }
        at += piece.len();
        if at >= want_end {
            Err(())
        } else {
            Ok(())
        }
    });
    if let Err(ReadError::Io(_) | ReadError::NotUtf8(_)) = stop {
        return None;
    }
    let found = found.unwrap_or(pos);
    Some((found, text, statement_line.unwrap_or(found.line)))
}

/// [`locate_in`] on the file at `path`.
pub fn locate_in_file(
    path: &Path,
    offset: usize,
    statement: Option<Range<usize>>,
    max_text: usize,
) -> Option<(LineCol, String, usize)> {
    let file = std::fs::File::open(path).ok()?;
    locate_in(file, offset, statement, max_text)
}

/// The offset of the start of the `lines`-th line after the one starting at `from` (0: `from`
/// itself) in the normalised text of the file at `path`: how a COPY row's line number, counted
/// from its data block's start, becomes a file offset.
pub fn line_start_after(path: &Path, from: usize, lines: usize) -> Option<usize> {
    if lines == 0 {
        return Some(from);
    }
    let file = std::fs::File::open(path).ok()?;
    let mut at = 0usize;
    let mut left = lines;
    let mut found = None;
    let _ = read_normalized(file, READ_CHUNK, &mut |piece| {
        let base = at;
        at += piece.len();
        if at <= from {
            return Ok(());
        }
        let start = from.saturating_sub(base);
        for (i, _) in piece[start..].match_indices('\n') {
            left -= 1;
            if left == 0 {
                found = Some(base + start + i + 1);
                return Err(());
            }
        }
        Ok(())
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_finds_mode_directives_and_checksum_across_chunks() {
        let file = "\u{feff}-- strata:out-of-order\r\n-- strata:lock-timeout 2s\r\n\r\nCREATE TABLE t (a int);\r\nCREATE INDEX CONCURRENTLY i ON t (a);\r\n-- strata:no-transaction\r\nCOPY t FROM stdin;\r\n1\r\n\\.\r\n";
        for chunk in [1, 2, 3, 7, 64, 1 << 20] {
            let s = scan(file.as_bytes(), chunk, Dialect::Postgres).unwrap();
            assert_eq!(s.checksum, Checksum::of(file.as_bytes()));
            assert_eq!(s.statements, 3);
            assert_eq!(
                s.no_transaction,
                Some(("CREATE INDEX CONCURRENTLY".into(), 5))
            );
            assert_eq!(s.transaction_control, None);
            assert!(s.out_of_order);
            assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
            let lines: Vec<(usize, &str, bool)> = s
                .directive_lines
                .iter()
                .map(|(n, l, b)| (*n, l.as_str(), *b))
                .collect();
            assert_eq!(
                lines,
                [
                    (1, "-- strata:out-of-order", true),
                    (2, "-- strata:lock-timeout 2s", true),
                    (6, "-- strata:no-transaction", false)
                ]
            );
        }
    }

    #[test]
    fn scan_holds_a_bounded_window_whatever_the_line_length() {
        // Lines far longer than the chunk, the statement limit and a line's kept start: a
        // block comment, a line of many short statements, a literal, a directive comment.
        let long = "x".repeat(4 * SCAN_STATEMENT_HEAD);
        let many = "INSERT INTO t VALUES (1); ".repeat(20_000);
        let file = format!(
            "-- strata:out-of-order\r\n/* {long} */ CREATE TABLE t (a text);\r\n{many}\n\
             INSERT INTO t VALUES ('{long}');\n-- {long} strata: x\n\
             CREATE INDEX CONCURRENTLY i ON t (a); -- {long}\n"
        );
        let text = file.replace("\r\n", "\n");
        let whole = strata_sql::split(&text, Dialect::Postgres);
        for chunk in [61, 4096] {
            let s = scan(file.as_bytes(), chunk, Dialect::Postgres).unwrap();
            assert_eq!(s.checksum, Checksum::of(file.as_bytes()));
            assert_eq!(s.len, text.len());
            assert_eq!(s.statements, whole.statements.len());
            assert_eq!(s.diagnostics, whole.diagnostics);
            assert_eq!(
                s.no_transaction,
                Some(("CREATE INDEX CONCURRENTLY".into(), 6))
            );
            assert!(s.out_of_order);
            let lines: Vec<(usize, bool)> =
                s.directive_lines.iter().map(|(n, _, b)| (*n, *b)).collect();
            assert_eq!(lines, [(1, true), (5, false)]);
            assert!(s.directive_lines[1].1.len() <= super::super::line_scan::LINE_HEAD);
            // A statement's start, a line's start, a chunk and a short token: not the file's
            // lines (256 KiB and more) nor its statements.
            let bound = SCAN_STATEMENT_HEAD + 2 * super::super::line_scan::LINE_HEAD + chunk + 256;
            assert!(s.high_water <= bound, "held {} > {bound}", s.high_water);
        }
    }

    #[test]
    fn statement_reader_refuses_a_statement_over_its_limit_but_not_a_long_comment() {
        let long = "x".repeat(10_000);
        // Comments between statements and after the last one are not held: no refusal.
        let file = format!("SELECT 1; /* {long} */ -- {long}\nSELECT 2 /* {long} */");
        let mut r = StatementReader::with_limit(file.as_bytes(), 16, Dialect::Postgres, 100);
        let mut texts = Vec::new();
        while let Some(p) = r.next().unwrap() {
            if let Piece::Statement { text, .. } = p {
                texts.push(text);
            }
        }
        assert_eq!(texts, ["SELECT 1;", "SELECT 2"]);
        // A statement longer than the limit stops the reader, naming its line and size.
        let file = format!("SELECT 1;\n\nINSERT INTO t VALUES ('{long}');\nSELECT 2;");
        let mut r = StatementReader::with_limit(file.as_bytes(), 16, Dialect::Postgres, 100);
        assert!(matches!(r.next(), Ok(Some(Piece::Statement { .. }))));
        let Err(ReadError::Stopped(t)) = r.next() else {
            panic!("not refused");
        };
        let start = file.find("INSERT").unwrap();
        assert_eq!(t.statement, start..file.find(";\nSELECT 2").unwrap() + 1);
        assert_eq!((t.line, t.limit), (3, 100));
        let message = t.to_string();
        let size = format!("line 3 is {} bytes", t.statement.len());
        assert!(
            message.contains(&size) && message.contains("split it"),
            "{message}"
        );
        let err = crate::driver::DriverError::from(t);
        assert!(matches!(
            err,
            crate::driver::DriverError::Statement { statement: Some(r), .. } if r.start == start
        ));
    }

    #[test]
    fn statement_reader_pulls_statements_and_copy_data() {
        let file = "SELECT 1;\r\nCOPY t FROM stdin;\r\n1\r\n2\r\n\\.\r\nSELECT $$a;b$$;";
        for chunk in [1, 3, 1 << 20] {
            let mut r = StatementReader::new(file.as_bytes(), chunk, Dialect::Postgres);
            let mut shown = Vec::new();
            while let Some(p) = r.next().unwrap() {
                match p {
                    Piece::Statement { text, copy, .. } => shown.push(format!("{copy} {text}")),
                    Piece::CopyData { text, .. } => shown.push(format!("data {text}")),
                    Piece::CopyEnd(c) => shown.push(format!("end {}", c.terminated)),
                }
            }
            let data: String = shown
                .iter()
                .filter_map(|s| s.strip_prefix("data "))
                .collect();
            shown.retain(|s| !s.starts_with("data "));
            assert_eq!(data, "1\n2\n");
            assert_eq!(
                shown,
                [
                    "false SELECT 1;",
                    "true COPY t FROM stdin;",
                    "end true",
                    "false SELECT $$a;b$$;"
                ]
            );
            assert!(r.diagnostics().is_empty());
            // The run checks it read the text that was scanned.
            let scanned = crate::migration::Streamed {
                len: 0,
                checksum: Checksum::of(file.as_bytes()),
            };
            assert_eq!(r.checksum(), Some(scanned.checksum));
            assert!(r.check(&scanned).is_ok());
            let edited = crate::migration::Streamed {
                checksum: Checksum::of(b"SELECT 2;"),
                ..scanned
            };
            assert!(r.check(&edited).unwrap_err().contains("changed"));
        }
    }

    #[test]
    fn locate_in_gives_line_column_and_statement() {
        let text = "SELECT 1;\r\nSELECT 'é', 2;\nSELEC 3;\n";
        let at = "SELECT 1;\nSELECT 'é', 2;\nSELEC".len() - 5;
        let (pos, stmt, line) = locate_in(text.as_bytes(), at, Some(at..at + 8), 100).unwrap();
        assert_eq!(pos, LineCol { line: 3, column: 1 });
        assert_eq!((stmt.as_str(), line), ("SELEC 3;", 3));
        let (pos, _, _) = locate_in(text.as_bytes(), 21, None, 0).unwrap();
        assert_eq!(
            pos,
            LineCol {
                line: 2,
                column: 11
            }
        );
    }
}
