//! Scripts that cannot, or should not, travel as one simple-query message: those with
//! `COPY ... FROM stdin` data blocks (as pg_dump writes them), and large ones.
//!
//! Such a script is cut into [`Piece`]s: runs of SQL statements, each sent as one simple query
//! of at most about [`BATCH_BYTES`] (a single larger statement goes alone), and COPY statements,
//! each run with the COPY sub-protocol (`copy_in`) and its data block written in
//! [`COPY_CHUNK`]-byte chunks. All pieces run on the same session, so inside the caller's
//! transaction they commit or roll back together. A failure is located in the script: from the
//! server's position within the piece, or, for a bad data row, from the server's context
//! ("COPY t, line N") mapped to the row's line in the file.
//!
//! Scripts without COPY data and no larger than [`LARGE_SCRIPT_BYTES`] are not cut ([`pieces`]
//! returns `None`): they keep the one-message path (one round trip).

use super::errors::{db_error, server_position};
use super::{char_to_byte, set_location, statement_at, BodyError, PostgresDriver};
use std::io::Write;
use std::ops::Range;
use strata_core::DriverError;
use strata_sql::Dialect;

/// A script without COPY data is sent whole up to this size.
pub const LARGE_SCRIPT_BYTES: usize = 8 << 20;
/// A run of statements is cut after this many bytes (at a statement boundary).
pub const BATCH_BYTES: usize = 1 << 20;
/// COPY data is written in chunks of this size.
pub const COPY_CHUNK: usize = 64 << 10;

/// One message's worth of a script: byte ranges into the script's SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Statements sent together as one simple query (from the first's start to the last's end).
    Sql(Range<usize>),
    /// A `COPY ... FROM stdin` statement and its data block (the `\.` line excluded).
    Copy {
        /// The statement's text, `;` included.
        statement: Range<usize>,
        /// The data rows, each with its newline.
        data: Range<usize>,
    },
}

/// Cut `sql` into pieces of at most `batch` bytes of statements (a longer statement is a piece
/// of its own) and COPY pieces; `None` when `sql` has no COPY data and is at most
/// [`LARGE_SCRIPT_BYTES`] long, i.e. when it can go as one message.
///
/// ```
/// use strata_drivers::postgres::copy::{pieces, Piece};
/// let sql = "CREATE TABLE t (a text);\nCOPY t FROM stdin;\nx;y\n\\.\nSELECT 1;\n";
/// let p = pieces(sql, 1 << 20).unwrap();
/// assert_eq!(p.len(), 3);
/// assert!(matches!(&p[1], Piece::Copy { data, .. } if &sql[data.clone()] == "x;y\n"));
/// assert_eq!(pieces("SELECT 1;", 1 << 20), None);
/// ```
pub fn pieces(sql: &str, batch: usize) -> Option<Vec<Piece>> {
    if sql.len() <= LARGE_SCRIPT_BYTES && !mentions_copy(sql) {
        return None;
    }
    // Not `Script::statement_ranges`: pieces need each COPY's statement and data apart.
    let split = strata_sql::split(sql, Dialect::Postgres);
    if sql.len() <= LARGE_SCRIPT_BYTES && split.statements.iter().all(|s| s.copy_data.is_none()) {
        return None;
    }
    let mut out = Vec::new();
    let mut run: Option<Range<usize>> = None;
    for s in split.statements {
        if let Some(copy) = s.copy_data {
            out.extend(run.take().map(Piece::Sql));
            out.push(Piece::Copy {
                statement: s.range,
                data: copy.range,
            });
            continue;
        }
        match &mut run {
            Some(r) if s.range.end - r.start <= batch => r.end = s.range.end,
            _ => {
                out.extend(run.take().map(Piece::Sql));
                run = Some(s.range);
            }
        }
    }
    out.extend(run.map(Piece::Sql));
    Some(out)
}

/// Whether `sql` contains the word `copy` in any case (a cheap test before splitting).
fn mentions_copy(sql: &str) -> bool {
    sql.as_bytes()
        .windows(4)
        .any(|w| w.eq_ignore_ascii_case(b"copy"))
}

/// The line number N of the server's COPY context (`COPY t, line N[, column c: "..."]`).
pub fn copy_context_line(context: &str) -> Option<usize> {
    let at = context.find(", line ")? + ", line ".len();
    let digits: String = context[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok().filter(|n| *n > 0)
}

/// The byte offset in `data` of the start of its 1-based line `line` (the end when past it).
pub fn data_line_offset(data: &str, line: usize) -> usize {
    if line <= 1 {
        return 0;
    }
    data.match_indices('\n')
        .nth(line - 2)
        .map_or(data.len(), |(i, _)| i + 1)
}

impl PostgresDriver<'_> {
    /// Run `pieces` of `sql` in order; `prefix` (e.g. `BEGIN;`) goes in the first message.
    /// `in_transaction`: on a failure without a server position, roll back and re-run the
    /// failing piece's statements one by one to find the statement (the caller's rollback
    /// after that is harmless).
    pub(super) fn run_pieces(
        &mut self,
        prefix: &str,
        sql: &str,
        pieces: &[Piece],
        in_transaction: bool,
    ) -> Result<(), BodyError> {
        let fail = |err| BodyError {
            err,
            needs_search: false,
        };
        let mut prefix = prefix;
        if !prefix.is_empty() && !matches!(pieces.first(), Some(Piece::Sql(_))) {
            self.client
                .batch_execute(prefix)
                .map_err(|e| fail(db_error(&e)))?;
            prefix = "";
        }
        for piece in pieces {
            match piece {
                Piece::Sql(r) => {
                    let text = &sql[r.clone()];
                    let result = if prefix.is_empty() {
                        self.client.batch_execute(text)
                    } else {
                        self.client.batch_execute(&format!("{prefix}{text}"))
                    };
                    let shift = std::mem::take(&mut prefix).len() as u32;
                    if let Err(e) = result {
                        let mut err = db_error(&e);
                        let position = server_position(&e)
                            .filter(|p| *p > shift)
                            .map(|p| r.start + char_to_byte(text, p - shift));
                        let mut statement = position.and_then(|b| statement_at(sql, b));
                        if statement.is_none() && in_transaction && super::rerun_helps(&e) {
                            self.rollback();
                            statement = self
                                .find_failing_statement(text)
                                .map(|s| s.start + r.start..s.end + r.start);
                        }
                        set_location(&mut err, statement, position);
                        return Err(fail(err));
                    }
                }
                Piece::Copy { statement, data } => {
                    self.copy_in(sql, statement.clone(), data.clone())
                        .map_err(fail)?;
                }
            }
        }
        Ok(())
    }

    /// One COPY ... FROM stdin with its data, streamed in chunks.
    fn copy_in(
        &mut self,
        sql: &str,
        statement: Range<usize>,
        data: Range<usize>,
    ) -> Result<(), DriverError> {
        let text = &sql[statement.clone()];
        let located = |e: &postgres::Error| {
            let mut err = db_error(e);
            let db = e.as_db_error();
            let context = db.and_then(|d| d.where_());
            let position = match context.and_then(copy_context_line) {
                Some(line) => Some(data.start + data_line_offset(&sql[data.clone()], line)),
                None => server_position(e).map(|p| statement.start + char_to_byte(text, p)),
            };
            if let (Some(context), DriverError::Statement { detail, .. }) = (context, &mut err) {
                *detail = Some(match detail.take() {
                    Some(d) => format!("{d} ({context})"),
                    None => context.to_string(),
                });
            }
            set_location(&mut err, Some(statement.clone()), position);
            err
        };
        let mut writer = self.client.copy_in(text).map_err(|e| located(&e))?;
        for chunk in sql[data.clone()].as_bytes().chunks(COPY_CHUNK) {
            if let Err(io) = writer.write_all(chunk) {
                // The server stopped the copy (a bad row): its error is the io error's cause.
                drop(writer);
                return Err(
                    match io
                        .get_ref()
                        .and_then(|i| i.downcast_ref::<postgres::Error>())
                    {
                        Some(e) => located(e),
                        None => DriverError::Client {
                            message: format!("COPY failed: {io}"),
                            cause: Some(std::sync::Arc::new(io)),
                        },
                    },
                );
            }
        }
        writer.finish().map(|_| ()).map_err(|e| located(&e))
    }
}

/// The statements of one streamed batch: its text and, for each statement, its offset in the
/// text and its absolute range in the file's text.
#[derive(Default)]
struct StreamBatch {
    text: String,
    starts: Vec<(usize, Range<usize>)>,
}

impl StreamBatch {
    fn push(&mut self, range: Range<usize>, text: String) {
        if self.text.is_empty() {
            // Taken, not copied: a long statement is held once until it is sent.
            self.starts.push((0, range));
            self.text = text;
            return;
        }
        self.text.push('\n');
        self.starts.push((self.text.len(), range));
        self.text.push_str(&text);
    }

    /// The statement holding byte `b` of the text, and `b` as an absolute offset.
    fn locate(&self, b: usize) -> Option<(Range<usize>, usize)> {
        let i = self
            .starts
            .partition_point(|(at, _)| *at <= b)
            .checked_sub(1)?;
        let (at, range) = &self.starts[i];
        Some((range.clone(), (range.start + (b - at)).min(range.end)))
    }
}

impl PostgresDriver<'_> {
    /// Run a streamed script (see `strata_core::source::stream`): the file is read again in
    /// chunks; its statements go in simple-query messages of about [`BATCH_BYTES`] and its
    /// COPY blocks through the COPY protocol, [`COPY_CHUNK`]-sized writes, all in the caller's
    /// transaction (`prefix`, e.g. `BEGIN;`, goes in the first message). Offsets in errors are
    /// absolute offsets in the file's normalised text.
    pub(super) fn run_streamed(
        &mut self,
        prefix: &str,
        script: &strata_core::Script,
    ) -> Result<(), BodyError> {
        match self.stream_pass(prefix, script, None) {
            Ok(()) => Ok(()),
            Err(StreamStop::Body(e)) => Err(e),
            Err(StreamStop::Found(_)) => Ok(()),
            Err(StreamStop::NoPosition(batch, mut err)) => {
                // No position from the server: replay the file up to that batch in a
                // transaction that is rolled back, running that batch's statements one by one
                // (the statements before it must have run for the search to be right).
                self.rollback();
                let found = match self.stream_pass(prefix, script, Some(batch)) {
                    Err(StreamStop::Found(found)) => found,
                    _ => None,
                };
                self.rollback();
                set_location(&mut err, found, None);
                Err(BodyError {
                    err,
                    needs_search: false,
                })
            }
        }
    }

    /// One pass over a streamed file. With `search: Some(n)`, batch `n` is run statement by
    /// statement and the pass stops there with [`StreamStop::Found`].
    fn stream_pass(
        &mut self,
        prefix: &str,
        script: &strata_core::Script,
        search: Option<usize>,
    ) -> Result<(), StreamStop> {
        use strata_core::source::stream::{Piece, StatementReader};
        let fail = |err| {
            StreamStop::Body(BodyError {
                err,
                needs_search: false,
            })
        };
        let mut sent = 0usize;
        let path = script.path.display().to_string();
        let read_error =
            |e: strata_core::source::stream::ReadError<strata_core::source::stream::TooLarge>| {
                use strata_core::source::stream::ReadError;
                fail(match e {
                    ReadError::Stopped(t) => DriverError::from(t),
                    ReadError::Io(e) => DriverError::io(path.to_string(), e),
                    ReadError::NotUtf8(e) => DriverError::BadFile(format!(
                        "{path}:{}: not valid UTF-8 (byte {})",
                        e.line, e.byte
                    )),
                })
            };
        let mut reader = StatementReader::open(script, Dialect::Postgres)
            .map_err(|e| fail(DriverError::io(path.to_string(), e)))?;
        let mut prefix = prefix.to_string();
        let mut batch = StreamBatch::default();
        while let Some(piece) = reader.next().map_err(read_error)? {
            let Piece::Statement {
                statement,
                text,
                copy,
            } = piece
            else {
                continue;
            };
            if !copy {
                if !batch.text.is_empty() && batch.text.len() + text.len() > BATCH_BYTES {
                    let b = std::mem::take(&mut batch);
                    self.send_stream_batch(&mut prefix, &b, &mut sent, search)?;
                }
                batch.push(statement.range, text);
                continue;
            }
            if !batch.text.is_empty() {
                let b = std::mem::take(&mut batch);
                self.send_stream_batch(&mut prefix, &b, &mut sent, search)?;
            }
            if !prefix.is_empty() {
                self.client
                    .batch_execute(&std::mem::take(&mut prefix))
                    .map_err(|e| fail(db_error(&e)))?;
            }
            // The data pieces follow the COPY statement up to its end.
            let range = statement.range.clone();
            // Where the data rows start (known from the first data piece, or the block's end).
            let mut data_start: Option<usize> = None;
            let located = |e: &postgres::Error, data_start: Option<usize>| {
                let data_start = data_start.unwrap_or(range.end);
                let mut err = db_error(e);
                let context = e.as_db_error().and_then(|d| d.where_());
                let position = match context.and_then(copy_context_line) {
                    Some(line) => strata_core::source::stream::line_start_after(
                        &script.path,
                        data_start,
                        line - 1,
                    ),
                    None => server_position(e).map(|p| range.start + char_to_byte(&text, p)),
                };
                if let (Some(context), DriverError::Statement { detail, .. }) = (context, &mut err)
                {
                    *detail = Some(match detail.take() {
                        Some(d) => format!("{d} ({context})"),
                        None => context.to_string(),
                    });
                }
                set_location(&mut err, Some(range.clone()), position);
                err
            };
            let mut writer = self
                .client
                .copy_in(text.as_str())
                .map_err(|e| fail(located(&e, data_start)))?;
            loop {
                match reader.next().map_err(read_error)? {
                    Some(Piece::CopyData { offset, text }) => {
                        data_start.get_or_insert(offset);
                        for chunk in text.as_bytes().chunks(COPY_CHUNK) {
                            if let Err(io) = writer.write_all(chunk) {
                                drop(writer);
                                return Err(fail(
                                    match io
                                        .get_ref()
                                        .and_then(|i| i.downcast_ref::<postgres::Error>())
                                    {
                                        Some(e) => located(e, data_start),
                                        None => DriverError::Client {
                                            message: format!("COPY failed: {io}"),
                                            cause: Some(std::sync::Arc::new(io)),
                                        },
                                    },
                                ));
                            }
                        }
                    }
                    Some(Piece::CopyEnd(c)) => {
                        data_start = Some(c.range.start);
                        break;
                    }
                    _ => break,
                }
            }
            writer.finish().map_err(|e| fail(located(&e, data_start)))?;
        }
        if let Some(expected) = &script.streamed {
            reader.check(expected).map_err(|m| {
                fail(DriverError::BadFile(format!(
                    "{}: {m}",
                    script.path.display()
                )))
            })?;
        }
        if !batch.text.is_empty() {
            self.send_stream_batch(&mut prefix, &batch, &mut sent, search)?;
        } else if !prefix.is_empty() {
            self.client
                .batch_execute(&prefix)
                .map_err(|e| fail(db_error(&e)))?;
        }
        Ok(())
    }

    /// One message of a streamed script's statements (`prefix` first, then emptied); `sent`
    /// counts the messages. The batch numbered `search` is run statement by statement instead.
    fn send_stream_batch(
        &mut self,
        prefix: &mut String,
        batch: &StreamBatch,
        sent: &mut usize,
        search: Option<usize>,
    ) -> Result<(), StreamStop> {
        let index = *sent;
        *sent += 1;
        if search == Some(index) {
            if !prefix.is_empty() {
                let p = std::mem::take(prefix);
                if self.client.batch_execute(&p).is_err() {
                    return Err(StreamStop::Found(None));
                }
            }
            let failing = batch.starts.iter().find(|(at, range)| {
                let text = &batch.text[*at..*at + range.len()];
                self.client.batch_execute(text).is_err()
            });
            return Err(StreamStop::Found(failing.map(|(_, r)| r.clone())));
        }
        if !prefix.is_empty() && batch.text.len() > BATCH_BYTES {
            // A long statement is not copied behind the prefix: the prefix goes first, alone.
            let p = std::mem::take(prefix);
            self.client.batch_execute(&p).map_err(|e| {
                StreamStop::Body(BodyError {
                    err: db_error(&e),
                    needs_search: false,
                })
            })?;
        }
        let shift = prefix.len();
        let result = if prefix.is_empty() {
            self.client.batch_execute(&batch.text)
        } else {
            let message = format!("{prefix}{}", batch.text);
            prefix.clear();
            self.client.batch_execute(&message)
        };
        let Err(e) = result else { return Ok(()) };
        let mut err = db_error(&e);
        let message_position = server_position(&e).map(|p| p as usize);
        // The server counts characters of the whole message, prefix (ASCII) included.
        let found = message_position
            .filter(|p| *p > shift)
            .map(|p| char_to_byte(&batch.text, (p - shift) as u32))
            .and_then(|b| batch.locate(b));
        match found {
            Some((statement, position)) => set_location(&mut err, Some(statement), Some(position)),
            None if batch.starts.len() == 1 => {
                set_location(&mut err, Some(batch.starts[0].1.clone()), None)
            }
            None if search.is_none() && super::rerun_helps(&e) => {
                return Err(StreamStop::NoPosition(index, err));
            }
            None => {}
        }
        Err(StreamStop::Body(BodyError {
            err,
            needs_search: false,
        }))
    }
}

/// Why a pass over a streamed file stopped early.
enum StreamStop {
    /// It failed (located as well as it could be).
    Body(BodyError),
    /// Batch N failed without a server position: search for the statement.
    NoPosition(usize, DriverError),
    /// The search ended: the failing statement, if one failed.
    Found(Option<Range<usize>>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_leave_small_scripts_without_copy_whole() {
        assert_eq!(pieces("SELECT 'copy';", 10), None);
        assert_eq!(pieces("COPY t TO STDOUT;", 10), None);
    }

    #[test]
    fn pieces_cut_around_copy_and_batch_statements() {
        let sql =
            "SELECT 1;\nSELECT 2;\nSELECT 3;\n-- c\nCOPY t (a) FROM stdin;\n1\n\\.\nSELECT 4;";
        let p = pieces(sql, 20).unwrap();
        let shown: Vec<String> = p
            .iter()
            .map(|p| match p {
                Piece::Sql(r) => format!("sql {:?}", &sql[r.clone()]),
                Piece::Copy { statement, data } => {
                    format!(
                        "copy {:?} {:?}",
                        &sql[statement.clone()],
                        &sql[data.clone()]
                    )
                }
            })
            .collect();
        assert_eq!(
            shown,
            [
                "sql \"SELECT 1;\\nSELECT 2;\"",
                "sql \"SELECT 3;\"",
                "copy \"COPY t (a) FROM stdin;\" \"1\\n\"",
                "sql \"SELECT 4;\"",
            ]
        );
    }

    #[test]
    fn copy_context_gives_the_data_line() {
        assert_eq!(
            copy_context_line("COPY t, line 3, column id: \"x\""),
            Some(3)
        );
        assert_eq!(copy_context_line("COPY t, line 12"), Some(12));
        assert_eq!(copy_context_line("SQL statement \"...\""), None);
        let data = "a\nb\nc\n";
        assert_eq!(data_line_offset(data, 1), 0);
        assert_eq!(data_line_offset(data, 3), 4);
        assert_eq!(data_line_offset(data, 9), data.len());
    }
}
