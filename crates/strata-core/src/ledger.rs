//! What the database remembers, as plain data.
//!
//! Two things are kept:
//! - the **compatibility row**, golang-migrate's one-row `schema_migrations (version, dirty)`
//!   table, written so that golang-migrate can read a database Strata migrated and the other way
//!   round;
//! - Strata's **ledger**: one row per applied migration (checksum, batch, who, when, how long,
//!   how it ran), and an append-only **log** of every action.
//!
//! Drivers turn [`LedgerWrite`]s into SQL for their dialect; nothing here does IO.

use crate::migration::{Direction, TxMode, Version};
use serde::Serialize;
use std::fmt;

/// golang-migrate's `(version, dirty)` row. `version` is `-1` only in the "failed down of the
/// first migration" state (`(-1, dirty)`); a clean "nothing applied" is an empty table, i.e.
/// `None` where this type is wrapped in an `Option`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CompatRow {
    /// The version golang-migrate considers current.
    pub version: i64,
    /// Whether a migration towards `version` started and did not finish.
    pub dirty: bool,
}

/// How a ledger row came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Strata ran it.
    Applied,
    /// Found applied by golang-migrate (or another tool) and adopted without running.
    Adopted,
    /// Recorded by `force`.
    Forced,
    /// Recorded by `baseline`.
    Baseline,
}

impl Origin {
    /// The name stored in the ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Applied => "applied",
            Origin::Adopted => "adopted",
            Origin::Forced => "forced",
            Origin::Baseline => "baseline",
        }
    }
    /// Parse [`Origin::as_str`]'s output.
    pub fn parse(s: &str) -> Option<Origin> {
        match s {
            "applied" => Some(Origin::Applied),
            "adopted" => Some(Origin::Adopted),
            "forced" => Some(Origin::Forced),
            "baseline" => Some(Origin::Baseline),
            _ => None,
        }
    }
}

/// One ledger row: a migration that is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedMigration {
    /// Its version.
    pub version: Version,
    /// Its name when applied.
    pub name: String,
    /// Hex checksum of the file when applied; `None` for rows adopted without a file.
    pub checksum: Option<String>,
    /// Hex checksum of the `.down` pair file when applied (see [`crate::Migration::down_checksum`]);
    /// `None` without one, and in rows written before Strata recorded it (no drift of the down
    /// part is reported for those).
    pub down_checksum: Option<String>,
    /// The batch (one per `up` run; 0 for adopted rows).
    pub batch: i64,
    /// When, as RFC 3339 UTC text (filled by the database on insert).
    pub applied_at: String,
    /// How long the body took, in milliseconds.
    pub duration_ms: i64,
    /// Who applied it (`user@host`).
    pub applied_by: String,
    /// How it ran.
    pub mode: TxMode,
    /// How the row came to be.
    pub origin: Origin,
}

/// Everything read from the database before planning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerState {
    /// golang-migrate's row; `None` = empty table (nothing applied).
    pub compat: Option<CompatRow>,
    /// Strata's ledger rows, ascending by version.
    pub applied: Vec<AppliedMigration>,
    /// While the row is dirty: the statement Strata's interrupted no-transaction migration
    /// reached, from the log (`None`: clean, or no such record, e.g. golang-migrate left it).
    pub reached: Option<Reached>,
}

impl LedgerState {
    /// The highest applied version in the ledger.
    pub fn head(&self) -> Option<Version> {
        self.applied.iter().map(|a| a.version).max()
    }
    /// The ledger row for `version`: a binary search, as `applied` is ascending by version
    /// (`status`, `validate` and the planner look up every migration; a scan each time made
    /// them quadratic in the ledger's size).
    pub fn get(&self, version: Version) -> Option<&AppliedMigration> {
        self.applied
            .binary_search_by_key(&version, |a| {
                #[cfg(test)]
                probes::count();
                a.version
            })
            .ok()
            .map(|i| &self.applied[i])
    }
    /// The highest batch number used so far (0 if none).
    pub fn last_batch(&self) -> i64 {
        self.applied.iter().map(|a| a.batch).max().unwrap_or(0)
    }
}

/// Counts the rows [`LedgerState::get`] looks at, so tests can tell a linear from a quadratic
/// `status` without a clock.
#[cfg(test)]
pub(crate) mod probes {
    use std::cell::Cell;

    thread_local! {
        static ROWS_LOOKED_AT: Cell<u64> = const { Cell::new(0) };
    }

    pub(crate) fn count() {
        ROWS_LOOKED_AT.with(|c| c.set(c.get() + 1));
    }

    /// Rows looked at by `f` on this thread.
    pub(crate) fn during(f: impl FnOnce()) -> u64 {
        let before = ROWS_LOOKED_AT.with(Cell::get);
        f();
        ROWS_LOOKED_AT.with(Cell::get) - before
    }
}

/// The action a log entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// A migration was applied.
    Up,
    /// A migration was reverted.
    Down,
    /// `force` set the version.
    Force,
    /// `baseline` marked migrations applied.
    Baseline,
    /// Rows were adopted from golang-migrate's table (or another tool's).
    Adopt,
    /// A migration started outside a transaction (the dirty flag is set).
    Start,
    /// A migration failed.
    Fail,
    /// A no-transaction migration is about to run its statement k (k >= 2; statement 1 is in
    /// the `start` entry): written before the statement, so a killed run leaves it behind.
    Progress,
    /// `drop` emptied the database.
    Drop,
    /// `rollback` reverted a migration as part of undoing a batch.
    Rollback,
    /// `accept` re-recorded the checksum of an intentionally edited applied file.
    Accept,
}

impl Action {
    /// The name stored in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Up => "up",
            Action::Down => "down",
            Action::Force => "force",
            Action::Baseline => "baseline",
            Action::Adopt => "adopt",
            Action::Start => "start",
            Action::Fail => "fail",
            Action::Progress => "progress",
            Action::Drop => "drop",
            Action::Rollback => "rollback",
            Action::Accept => "accept",
        }
    }

    /// Parse [`Action::as_str`]'s output.
    pub fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "up" => Action::Up,
            "down" => Action::Down,
            "force" => Action::Force,
            "baseline" => Action::Baseline,
            "adopt" => Action::Adopt,
            "start" => Action::Start,
            "fail" => Action::Fail,
            "progress" => Action::Progress,
            "drop" => Action::Drop,
            "rollback" => Action::Rollback,
            "accept" => Action::Accept,
            _ => return None,
        })
    }
}

/// One append-only log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    /// What happened.
    pub action: Action,
    /// To which version, if any.
    pub version: Option<Version>,
    /// The migration's name, if any.
    pub name: String,
    /// The batch, if the action belongs to one.
    pub batch: Option<i64>,
    /// The checksum involved, if any.
    pub checksum: Option<String>,
    /// Milliseconds the action took.
    pub duration_ms: i64,
    /// Who did it (`user@host`).
    pub actor: String,
    /// Free text: the error for `fail`, the old version for `force`, ...
    pub detail: String,
}

/// A log entry as read back from the database (for `history`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogRecord {
    /// Its position in the log (ascending in the order entries were written).
    pub id: i64,
    /// When it was written, RFC 3339 UTC text (filled by the database).
    pub at: String,
    /// What was written.
    #[serde(flatten)]
    pub entry: LogEntry,
}

/// A change to the compatibility row, ledger or log. Drivers apply a slice of these in one
/// transaction (or together with a migration's body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerWrite {
    /// Replace the compatibility row (TRUNCATE + INSERT; `None` empties the table).
    SetCompat(Option<CompatRow>),
    /// Insert a ledger row; a row of the same version must not exist (drivers fail with
    /// [`crate::DriverError::AlreadyApplied`], never overwrite: replace with `Delete` first). An
    /// empty `applied_at` is filled by the database with the current time; a non-empty one
    /// (RFC 3339 UTC text, kept by `adopt` from another tool's table) is stored as given.
    Insert(AppliedMigration),
    /// Delete the ledger row of a version.
    Delete(Version),
    /// Append to the log.
    Log(LogEntry),
}

impl LedgerWrite {
    /// This write with `duration_ms` set, on ledger rows and log entries (the executor stamps
    /// what it timed; drivers stamp transactional runs, where only they can time the body).
    pub fn with_duration(self, ms: i64) -> LedgerWrite {
        match self {
            LedgerWrite::Insert(mut row) => {
                row.duration_ms = ms;
                LedgerWrite::Insert(row)
            }
            LedgerWrite::Log(mut log) => {
                log.duration_ms = ms;
                LedgerWrite::Log(log)
            }
            other => other,
        }
    }
}

/// The statement a no-transaction migration reached: recorded in the log before the statement
/// runs (in the `start` entry for statement 1, a `progress` entry for each later one), so
/// after a kill or a failure the newest such record names the statement it stopped at.
/// Statements before it completed; it may have partly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reached {
    /// The migration.
    pub version: Version,
    /// Its name.
    pub name: String,
    /// Which way it ran.
    pub direction: Direction,
    /// The statement (1-based).
    pub statement: usize,
    /// How many statements the script has.
    pub total: usize,
    /// The script's file.
    pub path: String,
    /// The statement's first line in that file.
    pub line: usize,
    /// The statement's first line of text (shortened).
    pub text: String,
    /// The hash of statements 1..statement-1 as they were sent ([`crate::resume::PrefixHash`]);
    /// `None` in records written before Strata kept it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// How many characters of a statement's first line a [`Reached`] keeps.
const REACHED_TEXT_CHARS: usize = 80;

impl Reached {
    /// `text`'s first non-blank line, at most 80 characters (`…` marks a cut).
    pub fn first_line(text: &str) -> String {
        let line = text.trim().lines().next().unwrap_or("").trim_end();
        match line.char_indices().nth(REACHED_TEXT_CHARS) {
            Some((cut, _)) => format!("{}…", &line[..cut]),
            None => line.to_string(),
        }
    }

    /// The log detail: `up statement 2 of 3 after prefix <64 hex> at migrations/3_x.up.sql:4:
    /// SELECT ...` ([`Reached::parse`] reads it back). The log's existing `detail` column
    /// carries it, so log tables of every backend and age hold it without a new column.
    pub fn detail(&self) -> String {
        let dir = match self.direction {
            Direction::Up => "up",
            Direction::Down => "down",
        };
        let prefix = self
            .prefix
            .as_ref()
            .map(|p| format!(" after prefix {p}"))
            .unwrap_or_default();
        format!(
            "{dir} statement {} of {}{prefix} at {}:{}: {}",
            self.statement, self.total, self.path, self.line, self.text
        )
    }

    /// Read a record back from a log entry (`action`, `version`, `name`, `detail` as stored).
    /// A `start` entry's detail is `<mode>; <detail>`; a `progress` entry's is the detail alone.
    /// `None` for any other entry or text.
    pub fn parse(
        action: Action,
        version: Option<Version>,
        name: &str,
        detail: &str,
    ) -> Option<Reached> {
        let detail = match action {
            Action::Start => detail.split_once("; ")?.1,
            Action::Progress => detail,
            _ => return None,
        };
        let (dir, rest) = detail.split_once(" statement ")?;
        let direction = match dir {
            "up" => Direction::Up,
            "down" => Direction::Down,
            _ => return None,
        };
        let (statement, rest) = rest.split_once(" of ")?;
        let (total, rest) = rest.split_once(" at ")?;
        let (total, prefix) = match total.split_once(" after prefix ") {
            Some((total, prefix)) => {
                let hex = prefix.len() == 64
                    && prefix
                        .bytes()
                        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
                (total, Some(hex.then(|| prefix.to_string())?))
            }
            None => (total, None),
        };
        // `<path>:<line>: <text>`: the first `:<digits>: ` ends the path (a path holding such
        // a sequence itself would be misread; the statement's text may hold anything).
        let bytes = rest.as_bytes();
        let (path_end, line_end) = (0..bytes.len()).find_map(|i| {
            if bytes[i] != b':' {
                return None;
            }
            let digits = bytes[i + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            let end = i + 1 + digits;
            (digits > 0 && rest[end..].starts_with(": ")).then_some((i, end))
        })?;
        Some(Reached {
            version: version?,
            name: name.to_string(),
            direction,
            statement: statement.parse().ok()?,
            total: total.parse().ok()?,
            path: rest[..path_end].to_string(),
            line: rest[path_end + 1..line_end].parse().ok()?,
            text: rest[line_end + 2..].to_string(),
            prefix,
        })
    }

    /// What a dirty row's newest log entry (other than `fail`) says the interrupted migration
    /// reached, if that entry is a `start` or `progress` record of the migration the row is dirty
    /// for: an up of V leaves `(V, dirty)`, a down of V `(<version below V>, dirty)`. Anything
    /// else (golang-migrate left the row dirty after Strata's last action) gives `None` rather
    /// than an old, unrelated record. Drivers call this from `read_state`.
    pub fn from_log(
        compat: CompatRow,
        action: &str,
        version: Option<i64>,
        name: &str,
        detail: &str,
    ) -> Option<Reached> {
        let version = u64::try_from(version?).ok()?;
        let reached = Reached::parse(Action::parse(action)?, Some(version), name, detail)?;
        let fits = match reached.direction {
            Direction::Up => compat.version == version as i64,
            Direction::Down => compat.version < version as i64,
        };
        (compat.dirty && fits).then_some(reached)
    }
}

impl fmt::Display for Reached {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} {} stopped at statement {} of {} ({}:{}: {})",
            self.version,
            self.direction.letter(),
            self.name,
            self.statement,
            self.total,
            self.path,
            self.line,
            self.text
        )
    }
}

/// The compatibility row golang-migrate would hold for a set of applied versions: the highest,
/// clean, or an empty table.
pub fn compat_for(head: Option<Version>) -> Option<CompatRow> {
    head.map(|v| CompatRow {
        version: v as i64,
        dirty: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_duration_stamps_rows_and_log_entries_only() {
        let row = AppliedMigration {
            version: 1,
            name: "a".into(),
            checksum: None,
            down_checksum: None,
            batch: 1,
            applied_at: String::new(),
            duration_ms: 0,
            applied_by: String::new(),
            mode: TxMode::Transaction,
            origin: Origin::Applied,
        };
        let log = LogEntry {
            action: Action::Up,
            version: Some(1),
            name: "a".into(),
            batch: Some(1),
            checksum: None,
            duration_ms: 0,
            actor: String::new(),
            detail: String::new(),
        };
        let stamped: Vec<LedgerWrite> = vec![
            LedgerWrite::Insert(row.clone()),
            LedgerWrite::Log(log.clone()),
            LedgerWrite::Delete(1),
        ]
        .into_iter()
        .map(|w| w.with_duration(42))
        .collect();
        assert_eq!(
            stamped,
            vec![
                LedgerWrite::Insert(AppliedMigration {
                    duration_ms: 42,
                    ..row
                }),
                LedgerWrite::Log(LogEntry {
                    duration_ms: 42,
                    ..log
                }),
                LedgerWrite::Delete(1),
            ]
        );
    }

    fn reached() -> Reached {
        Reached {
            version: 3,
            name: "add_index".into(),
            direction: Direction::Up,
            statement: 2,
            total: 3,
            path: "C:/db 1: x/000003_add_index.up.sql".into(),
            line: 4,
            text: "SELECT 'a: b', 1 ; -- of 7 at x:9: z".into(),
            prefix: Some(crate::resume::prefix_hash(["SELECT 1;"])),
        }
    }

    #[test]
    fn reached_reads_back_records_without_a_prefix_and_refuses_a_malformed_one() {
        let r = reached();
        let detail = r.detail();
        assert!(
            detail.starts_with(&format!(
                "up statement 2 of 3 after prefix {} at ",
                r.prefix.as_deref().unwrap()
            )),
            "{detail}"
        );
        // Written before the prefix hash was recorded.
        let old = "up statement 2 of 3 at m/3_x.up.sql:4: SELECT 1";
        let parsed = Reached::parse(Action::Progress, Some(3), "x", old).unwrap();
        assert_eq!(
            (parsed.statement, parsed.total, parsed.prefix),
            (2, 3, None)
        );
        assert_eq!(parsed.path, "m/3_x.up.sql");
        for bad in ["abc", &"A".repeat(64), &"0".repeat(63)] {
            let detail =
                format!("up statement 2 of 3 after prefix {bad} at m/3_x.up.sql:4: SELECT 1");
            assert_eq!(
                Reached::parse(Action::Progress, Some(3), "x", &detail),
                None,
                "{bad}"
            );
        }
    }

    #[test]
    fn reached_reads_back_from_start_and_progress_entries() {
        let r = reached();
        assert_eq!(
            Reached::parse(Action::Progress, Some(3), "add_index", &r.detail()),
            Some(r.clone())
        );
        let start = format!("no-transaction; {}", r.detail());
        assert_eq!(
            Reached::parse(Action::Start, Some(3), "add_index", &start),
            Some(r.clone())
        );
        // A start entry of a self-managed file has no statement; other actions never count.
        assert_eq!(
            Reached::parse(Action::Start, Some(3), "x", "self-managed"),
            None
        );
        assert_eq!(
            Reached::parse(Action::Fail, Some(3), "x", &r.detail()),
            None
        );
        assert_eq!(
            r.to_string(),
            "3/u add_index stopped at statement 2 of 3 (C:/db 1: x/000003_add_index.up.sql:4: SELECT 'a: b', 1 ; -- of 7 at x:9: z)"
        );
    }

    #[test]
    fn reached_counts_only_for_the_migration_the_row_is_dirty_for() {
        let r = reached();
        let dirty = |version| CompatRow {
            version,
            dirty: true,
        };
        let read =
            |compat, action| Reached::from_log(compat, action, Some(3), "add_index", &r.detail());
        assert_eq!(read(dirty(3), "progress"), Some(r.clone()));
        // golang-migrate dirtied another version after Strata's run finished.
        assert_eq!(read(dirty(4), "progress"), None);
        assert_eq!(
            read(
                CompatRow {
                    version: 3,
                    dirty: false
                },
                "progress"
            ),
            None
        );
        assert_eq!(read(dirty(3), "up"), None);
        let down = Reached {
            direction: Direction::Down,
            ..r.clone()
        };
        assert_eq!(
            Reached::from_log(dirty(2), "progress", Some(3), "add_index", &down.detail()),
            Some(down)
        );
    }

    #[test]
    fn first_line_is_trimmed_and_cut_on_a_char_boundary() {
        assert_eq!(
            Reached::first_line("\n  CREATE INDEX i\n  ON t (a);"),
            "CREATE INDEX i"
        );
        let long = "é".repeat(100);
        let cut = Reached::first_line(&long);
        assert_eq!(cut.chars().count(), 81);
        assert!(cut.ends_with('…'));
    }
}
