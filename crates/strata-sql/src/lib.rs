//! Pure SQL lexing and statement splitting for Strata.
//!
//! This crate performs no IO and never fails (no function returns an error or panics on any
//! input): every problem (an unterminated quote, dollar quote, comment or block) is reported as a
//! [`Diagnostic`] pointing at where the construct started, and the statements found so far are
//! still returned. Statements are byte ranges into the input, so the caller can always show the
//! exact text, line and column.
//!
//! * [`tokenize`] is a lossless lexer: its tokens cover the input exactly.
//! * [`split`] cuts a script into statements, keeping `;` inside strings, dollar quotes,
//!   comments, PostgreSQL `BEGIN ATOMIC ... END` routine bodies, SQLite trigger bodies and
//!   MySQL compound bodies, and following the `mysql` client's `DELIMITER` lines; the data
//!   block after `COPY ... FROM stdin;` (up to the `\.` line) is kept apart, never lexed.
//! * [`StreamSplitter`] gives [`split`]'s result for input fed in chunks, carrying the lexer's
//!   state across chunk edges: it holds a chunk and the statement in progress up to a limit,
//!   never a long comment, literal or line whole (COPY data is handed on as it arrives).
//! * [`classify`] tells transaction control and statements that must run outside a
//!   transaction block (e.g. `CREATE INDEX CONCURRENTLY`) from everything else.
//!
//! ```
//! use strata_sql::{split, Dialect};
//! let sql = "CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);";
//! let out = split(sql, Dialect::Postgres);
//! assert_eq!(out.statements.len(), 2);
//! assert_eq!(out.statements[1].text(sql), "INSERT INTO t VALUES (1);");
//! assert_eq!(out.statements[1].start.line, 2);
//! ```
#![warn(missing_docs)]

#[doc(hidden)]
pub mod fuzzing;

mod span;
pub use span::{line_col, Cursor, LineCol};

mod lexer;
pub use lexer::{tokenize, Token, TokenKind};

mod split;
pub use split::{split, CopyData, Diagnostic, DiagnosticKind, Split, Statement};

mod resume;
mod stream;
pub use stream::{Event as StreamEvent, StreamSplitter};

mod classify;
pub use classify::{
    classify, classify_with, has_transaction_control, requires_no_transaction, StatementKind,
};

mod mask;
pub use mask::mask_literals;

mod locks;
mod messages;
mod online_ddl;
mod words;
pub use locks::{
    concurrent_index_name, created_index, fold_name, table_lock, LockLevel, TableLock,
};
pub use messages::self_managed_messages;
pub use online_ddl::{
    online_ddl, sets_foreign_key_checks, Algorithm, Behaviour, DdlLock, Flavor, OnlineDdl, Row,
    Server, Since, ROWS,
};

/// The SQL dialect whose quoting and block rules the lexer follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// PostgreSQL: dollar quotes, `E'...'` strings, nested block comments, `BEGIN ATOMIC`.
    Postgres,
    /// SQLite: `CREATE TRIGGER ... BEGIN ...; END` bodies, `[identifiers]` and backticks.
    Sqlite,
    /// MySQL and MariaDB: `` `identifiers` ``, `"strings"` and backslash escapes (the default
    /// `sql_mode`), `#` and `-- ` comments, executed `/*! ... */` comments, compound-statement
    /// bodies of routines, triggers and events, and the `mysql` client's `DELIMITER` lines.
    Mysql,
}
