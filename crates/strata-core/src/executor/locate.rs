//! The one place that turns a driver failure into a file location.
//!
//! A driver reports byte offsets within the SQL it was given; `shift` moves them to the
//! script, [`locate`] maps them to the file. A script held in memory is located at once; a
//! streamed one (no text in memory) needs its file read again up to the failing offset, which
//! the caller does ([`Located::resolve`]), so that the executor itself does no IO.

use crate::driver::DriverError;
use crate::error::Location;
use crate::migration::Script;
use std::ops::Range;

/// Most of a streamed script's failing statement shown in a [`Location`].
const MAX_LOCATED_TEXT: usize = 64 << 10;

/// Where a failure is, or what to read to find out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Located<'s> {
    /// Found from the text in memory.
    Known(Location),
    /// In a streamed file: read it up to the offset.
    InFile(FileSpot<'s>),
}

/// A spot in a streamed script's file, found by reading the file again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpot<'s> {
    /// The script (its `path` and `first_line`).
    pub script: &'s Script,
    /// Byte offset of the failure within the script's text.
    pub offset: usize,
    /// The failing statement's byte range, when known.
    pub statement: Option<Range<usize>>,
}

impl FileSpot<'_> {
    /// Read the file up to the spot, counting lines (once, on the error path). A file that
    /// cannot be read any more is located at its start.
    pub fn read(&self) -> Location {
        let script = self.script;
        match crate::source::stream::locate_in_file(
            &script.path,
            self.offset,
            self.statement.clone(),
            MAX_LOCATED_TEXT,
        ) {
            Some((at, text, statement_line)) => Location {
                path: script.path.clone(),
                line: at.line,
                column: at.column,
                statement: text.trim().to_string(),
                statement_line,
            },
            None => Location {
                path: script.path.clone(),
                line: script.first_line,
                column: 1,
                statement: String::new(),
                statement_line: script.first_line,
            },
        }
    }
}

impl Located<'_> {
    /// The location, reading a streamed file when needed (for callers that may do IO).
    pub fn resolve(self) -> Location {
        match self {
            Located::Known(l) => l,
            Located::InFile(spot) => spot.read(),
        }
    }
}

/// Where in the file a failure is: from the server's position, else the failing statement's
/// start (the driver's, else `known`), else the script's start.
pub fn locate<'s>(
    script: &'s Script,
    cause: &DriverError,
    known: Option<Range<usize>>,
) -> Located<'s> {
    let (statement, position) = match cause {
        DriverError::Statement {
            statement,
            position,
            ..
        } => (statement.clone().or(known), *position),
        _ => (known, None),
    };
    let len = script.streamed.map_or(script.sql.len(), |s| s.len);
    let statement = statement.filter(|r| r.start <= r.end && r.end <= len);
    let offset = position
        .filter(|p| *p <= len)
        .or(statement.as_ref().map(|r| r.start));
    if script.streamed.is_some() {
        return Located::InFile(FileSpot {
            script,
            offset: offset.unwrap_or(0),
            statement,
        });
    }
    let offset = offset.unwrap_or_else(|| script.sql.len() - script.sql.trim_start().len());
    let at = strata_sql::line_col(&script.sql, offset);
    let text = statement
        .as_ref()
        .map_or(script.sql.trim(), |r| script.sql[r.clone()].trim());
    let statement_start = statement.map_or(offset, |r| r.start);
    Located::Known(Location {
        path: script.path.clone(),
        line: script.first_line + at.line - 1,
        column: at.column,
        statement: text.to_string(),
        statement_line: script.first_line + strata_sql::line_col(&script.sql, statement_start).line
            - 1,
    })
}

/// Make a statement error's offsets relative to the whole script instead of statement `index`
/// (1-based, of `total`) starting at byte `by`, and say which statement it was.
pub(super) fn shift(e: DriverError, by: usize, index: usize, total: usize) -> DriverError {
    let mut e = e.shifted(by);
    if let DriverError::Statement { message, .. } = &mut e {
        message.push_str(&format!(" (statement {index} of {total})"));
    }
    e
}
