//! The migration model: what a migration is once its files have been read.

use crate::checksum::Checksum;
use serde::Serialize;
use std::ops::Range;
use std::path::PathBuf;

/// A migration version. golang-migrate allows any `u64`; Strata refuses versions above
/// `i64::MAX` at read time because they cannot be stored in a PostgreSQL `bigint`.
pub type Version = u64;

/// Which way a migration is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Apply.
    Up,
    /// Revert.
    Down,
}

impl Direction {
    /// `u` or `d`, as golang-migrate prints it.
    pub fn letter(self) -> char {
        match self {
            Direction::Up => 'u',
            Direction::Down => 'd',
        }
    }
}

/// How a script is executed. Chosen by the source (directives, or what the SQL requires), never
/// guessed at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TxMode {
    /// Body and ledger records commit together in one transaction (the default).
    Transaction,
    /// Statements run one by one in autocommit, with the dirty flag set around them.
    NoTransaction,
    /// The file has its own `BEGIN`/`COMMIT`: run as written, with the dirty flag around it.
    SelfManaged,
}

impl TxMode {
    /// The name used in the ledger and in output.
    pub fn as_str(self) -> &'static str {
        match self {
            TxMode::Transaction => "transaction",
            TxMode::NoTransaction => "no-transaction",
            TxMode::SelfManaged => "self-managed",
        }
    }

    /// Parse [`TxMode::as_str`]'s output.
    pub fn parse(s: &str) -> Option<TxMode> {
        match s {
            "transaction" => Some(TxMode::Transaction),
            "no-transaction" => Some(TxMode::NoTransaction),
            "self-managed" => Some(TxMode::SelfManaged),
            _ => None,
        }
    }
}

/// The file layout a migration was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// golang-migrate `N_name.up.sql` / `N_name.down.sql`.
    Pair,
    /// One file with `-- UP` / `-- DOWN`.
    Markers,
    /// sql-migrate `-- +migrate Up` / `-- +migrate Down`.
    SqlMigrate,
    /// dbmate `-- migrate:up` / `-- migrate:down`.
    Dbmate,
    /// goose `-- +goose Up` / `-- +goose Down`.
    Goose,
    /// A numbered up-only file with no markers, such as `00_schema.sql`.
    Legacy,
}

/// One direction of a migration: the SQL and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// The file this SQL was read from.
    pub path: PathBuf,
    /// The SQL of this direction (for marker files: the section's text, markers excluded).
    pub sql: String,
    /// Byte offset of `sql` within the file (after BOM removal and CRLF→LF), to map positions
    /// in `sql` back to file lines.
    pub offset: usize,
    /// 1-based line of the file on which `sql` starts.
    pub first_line: usize,
    /// How the script runs.
    pub mode: TxMode,
    /// Why that mode was chosen (a directive, or the statement that requires it), for `plan`.
    pub mode_reason: Option<String>,
    /// Explicit statement boundaries (goose/sql-migrate `StatementBegin`/`StatementEnd` blocks
    /// and the plain statements between them), as byte ranges into `sql`. `None`: the lexer
    /// decides.
    pub statements: Option<Vec<Range<usize>>>,
    /// `-- strata:lock-timeout D`: PostgreSQL `lock_timeout` while this script runs.
    pub lock_timeout: Option<std::time::Duration>,
    /// `-- strata:statement-timeout D`: PostgreSQL `statement_timeout` while this script runs.
    pub statement_timeout: Option<std::time::Duration>,
    /// Plain SQL the lexer read to its end: no unterminated string, quoted identifier, dollar
    /// quote or comment (it would swallow the scripts sent after it) and no `COPY ... FROM
    /// stdin` data (it needs the copy sub-protocol). Only such a script may share a message.
    pub batchable: bool,
    /// `Some(..)` for a file too large to hold in memory (see [`crate::source::stream`]):
    /// `sql` is then empty and the file at `path` is read again, in
    /// chunks, to run it. Such a script is never batched with others, and the commands that
    /// need the text whole (`lint`, the statement list of `plan`, `rehearse`, no-transaction
    /// and self-managed runs) say so instead of using it.
    pub streamed: Option<Streamed>,
}

/// What reading a streamed file found, for running it: a run that reads other text (the file
/// changed since) fails instead of recording the wrong checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Streamed {
    /// Length of the normalised text (BOM removed, CRLF → LF).
    pub len: usize,
    /// Its checksum.
    pub checksum: Checksum,
}

impl Script {
    /// How this script runs: its own mode, except that golang-migrate's `x-multi-statement=true`
    /// (`statement_mode`) runs a transactional script statement by statement in autocommit.
    /// `plan`, `up` and the ledger all take the mode from here.
    pub fn run_mode(&self, statement_mode: bool) -> TxMode {
        match self.mode {
            TxMode::Transaction if statement_mode => TxMode::NoTransaction,
            mode => mode,
        }
    }

    /// Why [`Script::run_mode`] chose its mode, for people: the source's reason, or the
    /// setting that changed it.
    pub fn run_mode_reason(&self, statement_mode: bool) -> Option<String> {
        if self.run_mode(statement_mode) != self.mode {
            return Some("x-multi-statement=true runs it statement by statement".into());
        }
        self.mode_reason.clone()
    }

    /// The statements of this script as byte ranges into `sql`, as they run (see
    /// [`statement_ranges`]).
    pub fn statement_ranges(&self, dialect: strata_sql::Dialect) -> Vec<Range<usize>> {
        match &self.statements {
            Some(explicit) => explicit.clone(),
            None => statement_ranges(None, &strata_sql::split(&self.sql, dialect)),
        }
    }

    /// The statements of this script, each as it runs and as SQL alone (see [`statements`]).
    pub fn statement_spans(&self, dialect: strata_sql::Dialect) -> Vec<StatementSpan> {
        match &self.statements {
            Some(explicit) => statements(Some(explicit), &strata_sql::Split::default()),
            None => statements(None, &strata_sql::split(&self.sql, dialect)),
        }
    }

    /// Whether the script has nothing to run (empty or whitespace/comments only).
    pub fn is_blank(&self) -> bool {
        if self.streamed.is_some() {
            return false;
        }
        self.sql.trim().is_empty()
            || strata_sql::split(&self.sql, strata_sql::Dialect::Postgres)
                .statements
                .is_empty()
    }
}

/// A migration read from disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// Its version.
    pub version: Version,
    /// Its name (the title part of the file name; may be empty).
    pub name: String,
    /// The up script, if any (golang-migrate allows down-only versions).
    pub up: Option<Script>,
    /// The down script, if any.
    pub down: Option<Script>,
    /// Checksum of the file carrying the up part (or the down file when there is no up part).
    pub checksum: Checksum,
    /// Checksum of the `.down` pair file, when the down part is a file of its own (`None` for a
    /// single file, whose one checksum covers both parts, and without a down file). Recorded in
    /// the ledger so that an edited or deleted down file is noticed before `down` runs it.
    pub down_checksum: Option<Checksum>,
    /// The layout it was read from.
    pub format: Format,
    /// The file says `-- strata:out-of-order`: it may be applied although older than the newest
    /// applied version.
    pub allow_out_of_order: bool,
}

impl Migration {
    /// The script for `direction`.
    pub fn script(&self, direction: Direction) -> Option<&Script> {
        match direction {
            Direction::Up => self.up.as_ref(),
            Direction::Down => self.down.as_ref(),
        }
    }
}

/// One statement of a script (see [`statements`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementSpan {
    /// What runs: the statement, and for `COPY ... FROM stdin` its data block up to and
    /// including the `\\.` line.
    pub range: Range<usize>,
    /// The statement's SQL alone (a COPY's data left out, since data is not SQL): what
    /// classifies it (the locks it takes, lint rules). Equal to `range` for every other
    /// statement and for explicit blocks.
    pub sql: Range<usize>,
}

/// The one rule for a script's statements: the explicit blocks if the source gave them (goose /
/// sql-migrate `StatementBegin`/`StatementEnd`), else the lexer's statements of `split`. A
/// `COPY ... FROM stdin` statement runs to the end of its data block (the `\\.` line included),
/// so whoever is given that text has the data too; the keyword of each range is where the
/// lexer's statement starts either way.
pub fn statements(
    explicit: Option<&[Range<usize>]>,
    split: &strata_sql::Split,
) -> Vec<StatementSpan> {
    match explicit {
        Some(ranges) => ranges
            .iter()
            .map(|r| StatementSpan {
                range: r.clone(),
                sql: r.clone(),
            })
            .collect(),
        None => split
            .statements
            .iter()
            .map(|s| StatementSpan {
                range: s.range.start..s.end_with_data(),
                sql: s.range.clone(),
            })
            .collect(),
    }
}

/// The ranges that run of [`statements`].
pub fn statement_ranges(
    explicit: Option<&[Range<usize>]>,
    split: &strata_sql::Split,
) -> Vec<Range<usize>> {
    statements(explicit, split)
        .into_iter()
        .map(|s| s.range)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_runs_with_its_data_and_classifies_without_it() {
        let sql = "CREATE TABLE t (a text);\nCOPY t FROM stdin;\nx;y\n\\.\nSELECT 1;\n";
        let spans = statements(None, &strata_sql::split(sql, strata_sql::Dialect::Postgres));
        let runs: Vec<&str> = spans.iter().map(|s| &sql[s.range.clone()]).collect();
        let classified: Vec<&str> = spans.iter().map(|s| &sql[s.sql.clone()]).collect();
        assert_eq!(
            runs,
            [
                "CREATE TABLE t (a text);",
                "COPY t FROM stdin;\nx;y\n\\.\n",
                "SELECT 1;"
            ]
        );
        assert_eq!(
            classified,
            [
                "CREATE TABLE t (a text);",
                "COPY t FROM stdin;",
                "SELECT 1;"
            ]
        );
    }

    #[test]
    fn explicit_blocks_are_the_statements_either_way() {
        let explicit = [0..5, 7..12];
        let spans = statements(Some(&explicit), &strata_sql::Split::default());
        assert_eq!(
            spans,
            [
                StatementSpan {
                    range: 0..5,
                    sql: 0..5
                },
                StatementSpan {
                    range: 7..12,
                    sql: 7..12
                }
            ]
        );
    }
}
