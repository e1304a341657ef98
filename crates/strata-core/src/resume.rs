//! Resuming an interrupted statement-by-statement migration where it stopped.
//!
//! Before statement k of a migration run outside a transaction, the log records k, the total
//! and a hash of statements 1..k-1 exactly as they were sent ([`Reached`]). `up --resume`
//! continues at k when the database is still dirty for that migration and the file's
//! statements 1..k-1 hash the same today: what already ran is what the file says. Statement k
//! itself is what the user fixed, so it and everything after it may differ.

use crate::ledger::{LedgerState, Reached};
use crate::migration::{Direction, Script, TxMode, Version};
use crate::plan::Conflict;
use crate::source::Source;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;

/// The running hash of the statements a migration sent, in order. Each statement's exact text
/// goes in after its length in bytes, so that moving a boundary (`a; b` split otherwise)
/// changes the hash even when the bytes joined do not.
#[derive(Clone, Default)]
pub struct PrefixHash {
    hasher: Sha256,
    count: usize,
}

impl PrefixHash {
    /// Add the next statement.
    pub fn push(&mut self, statement: &str) {
        self.hasher.update((statement.len() as u64).to_le_bytes());
        self.hasher.update(statement.as_bytes());
        self.count += 1;
    }

    /// How many statements went in.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The hash so far, as 64 lowercase hex digits.
    pub fn hex(&self) -> String {
        self.hasher
            .clone()
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// The hash of `statements`, in order (see [`PrefixHash`]).
pub fn prefix_hash<'a>(statements: impl IntoIterator<Item = &'a str>) -> String {
    let mut h = PrefixHash::default();
    for s in statements {
        h.push(s);
    }
    h.hex()
}

/// Where a resumed migration goes on, from its last progress record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResumePoint {
    /// The statement to run first (1-based): the one the run stopped at.
    pub statement: usize,
    /// How many statements the file had then.
    pub total: usize,
    /// The hash of statements 1..statement-1 as they were sent.
    pub prefix: String,
    /// The file, as recorded.
    pub path: String,
}

/// Why a dirty migration cannot be resumed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ResumeRefusal {
    /// The log has no progress record for it: it ran in a transaction (so it rolled back and
    /// nothing of it is applied), or another tool left the row dirty.
    NoRecord,
    /// The newest progress record is another migration's than the one the row is dirty for.
    OtherVersion {
        /// The migration the record names.
        recorded: Version,
    },
    /// It was interrupted while being reverted (`down`), which `up` does not continue.
    Down,
    /// The record predates prefix hashes, so what ran cannot be checked.
    NoPrefixHash,
    /// Its file (or the file's up part) is gone.
    FileMissing,
    /// Its file now runs as a whole (in a transaction, or self-managed), not statement by
    /// statement, so it cannot start at a statement.
    NotStatementByStatement {
        /// How it runs now.
        mode: TxMode,
    },
    /// Statements before the one it stopped at differ from what ran.
    Edited {
        /// The file.
        path: String,
        /// How many statements ran (and were compared).
        ran: usize,
    },
    /// Another migration would run before it.
    NotFirst {
        /// The migration that would run first (`None`: none at all, e.g. `up 0`).
        first: Option<Version>,
    },
}

impl fmt::Display for ResumeRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResumeRefusal::NoRecord => f.write_str(
                "the log has no progress record for it (a migration run in a transaction rolled back and left nothing to resume, or another tool left the row dirty)",
            ),
            ResumeRefusal::OtherVersion { recorded } => write!(
                f,
                "the newest progress record is migration {recorded}'s, not this one's"
            ),
            ResumeRefusal::Down => f.write_str("it was interrupted while being reverted"),
            ResumeRefusal::NoPrefixHash => f.write_str(
                "its progress record has no hash of the statements that ran (written by an older Strata)",
            ),
            ResumeRefusal::FileMissing => f.write_str("its file is missing"),
            ResumeRefusal::NotStatementByStatement { mode } => write!(
                f,
                "its file now runs {} instead of statement by statement",
                mode.as_str()
            ),
            ResumeRefusal::Edited { path, ran } => write!(
                f,
                "{path} was edited since statements 1 to {ran} ran (they hash differently now)"
            ),
            ResumeRefusal::NotFirst { first: Some(v) } => {
                write!(f, "migration {v} would run before it")
            }
            ResumeRefusal::NotFirst { first: None } => f.write_str("nothing would run"),
        }
    }
}

impl ResumeRefusal {
    /// What the user can do about it (`version`: the dirty migration).
    pub fn hint(&self, version: i64) -> String {
        match self {
            ResumeRefusal::Edited { .. } => format!(
                "restore the statements that ran as they were and edit only the failed one and later ones; or repair by hand and `force {version}` (see `status`)"
            ),
            ResumeRefusal::NotFirst { .. } => {
                "resume with `up` (no limit, no older pending migration allowed out of order)".into()
            }
            _ => format!(
                "check what the migration left behind, repair it by hand, then run `force {version}` if it completed or `force <previous version>` if it did not"
            ),
        }
    }
}

/// The resume point of `state`'s dirty migration: `None` when the row is clean (nothing to
/// resume, a plain `up`), else the point or why there is none.
pub fn resume_point(
    source: &Source,
    state: &LedgerState,
) -> Result<Option<(Version, ResumePoint)>, Conflict> {
    let Some(row) = state.compat.filter(|c| c.dirty) else {
        return Ok(None);
    };
    let refuse = |reason| Conflict::NotResumable {
        version: row.version,
        reason,
    };
    let r: &Reached = state
        .reached
        .as_ref()
        .ok_or_else(|| refuse(ResumeRefusal::NoRecord))?;
    if r.direction == Direction::Down {
        return Err(refuse(ResumeRefusal::Down));
    }
    if r.version as i64 != row.version {
        return Err(refuse(ResumeRefusal::OtherVersion {
            recorded: r.version,
        }));
    }
    let prefix = r
        .prefix
        .clone()
        .ok_or_else(|| refuse(ResumeRefusal::NoPrefixHash))?;
    if source
        .get(r.version)
        .and_then(|m| m.script(Direction::Up))
        .is_none()
    {
        return Err(refuse(ResumeRefusal::FileMissing));
    }
    Ok(Some((
        r.version,
        ResumePoint {
            statement: r.statement,
            total: r.total,
            prefix,
            path: r.path.clone(),
        },
    )))
}

/// Whether `script`'s statements before `point` are the ones that ran: split as the executor
/// splits it, hashed as the executor hashed them.
pub fn check_prefix(
    script: &Script,
    point: &ResumePoint,
    dialect: strata_sql::Dialect,
) -> Result<(), ResumeRefusal> {
    let ran = point.statement.saturating_sub(1);
    let ranges = script.statement_ranges(dialect);
    let edited = || ResumeRefusal::Edited {
        path: script.path.display().to_string(),
        ran,
    };
    if ranges.len() < ran {
        return Err(edited());
    }
    let now = prefix_hash(ranges[..ran].iter().map(|r| &script.sql[r.clone()]));
    if now == point.prefix {
        Ok(())
    } else {
        Err(edited())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_hash_counts_boundaries_and_order() {
        let joined = prefix_hash(["SELECT 1;SELECT 2;"]);
        let split = prefix_hash(["SELECT 1;", "SELECT 2;"]);
        assert_ne!(joined, split);
        assert_ne!(split, prefix_hash(["SELECT 2;", "SELECT 1;"]));
        assert_eq!(split, prefix_hash(["SELECT 1;", "SELECT 2;"]));
        // Nothing ran: SHA-256 of no bytes.
        assert_eq!(
            prefix_hash([]),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let mut running = PrefixHash::default();
        running.push("SELECT 1;");
        assert_eq!(running.count(), 1);
        running.push("SELECT 2;");
        assert_eq!(running.hex(), split);
    }
}
