//! The ledger row and the log entry recorded about a migration.

use crate::ledger::{Action, AppliedMigration, LogEntry, Origin};
use crate::migration::{Migration, TxMode};

/// A ledger row for `m`.
pub fn ledger_row(
    m: &Migration,
    batch: i64,
    duration_ms: i64,
    actor: &str,
    origin: Origin,
) -> AppliedMigration {
    AppliedMigration {
        version: m.version,
        name: m.name.clone(),
        checksum: Some(m.checksum.to_hex()),
        down_checksum: m.down_checksum.map(|c| c.to_hex()),
        batch,
        applied_at: String::new(),
        duration_ms,
        applied_by: actor.to_string(),
        mode: m.up.as_ref().map_or(TxMode::Transaction, |s| s.mode),
        origin,
    }
}

/// A log entry about `m`.
pub fn log(
    action: Action,
    m: &Migration,
    batch: Option<i64>,
    actor: &str,
    detail: &str,
) -> LogEntry {
    LogEntry {
        action,
        version: Some(m.version),
        name: m.name.clone(),
        batch,
        checksum: Some(m.checksum.to_hex()),
        duration_ms: 0,
        actor: actor.to_string(),
        detail: detail.to_string(),
    }
}
