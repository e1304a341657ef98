//! The ledger as stored: checked rows, the first-contact and older-ledger reads, the
//! `down_checksum` upgrade, and the message that records and commits ledger writes.

use super::errors::{db_error, sqlstate};
use super::{durable, rows, sql, PostgresDriver};
use strata_core::{AppliedMigration, CompatRow, DriverError, Origin, TxMode};

impl PostgresDriver<'_> {
    /// Add the `down_checksum` column to a ledger an older Strata created. Only the table's
    /// owner may: for another role, the run goes on without recording down checksums (reads
    /// already treat a ledger without the column as having none), with one warning naming the
    /// statement the owner can run.
    pub(super) fn add_down_checksum(&mut self) -> Result<(), DriverError> {
        let alter = self.sql.add_down_checksum.clone();
        match self.quietly(|d| d.client.batch_execute(&alter)) {
            Ok(()) => Ok(()),
            Err(e) if sqlstate(&e) == Some("42501") => {
                self.sql.without_down_checksum();
                self.warnings.push(format!(
                    "the migrations ledger has no down_checksum column and this role may not add it \
                     ({}): edits to the .down.sql of migrations applied now go undetected; \
                     the table's owner or an administrator can run: {alter}",
                    db_error(&e)
                ));
                Ok(())
            }
            Err(e) => Err(db_error(&e)),
        }
    }

    /// [`strata_core::Driver::read_state`]'s two tables one query each, telling a missing table
    /// apart (first contact: golang-migrate's table alone, or nothing).
    pub(super) fn read_tables_one_by_one(
        &mut self,
    ) -> Result<(Option<CompatRow>, Vec<AppliedMigration>), DriverError> {
        let compat = match self.client.query_opt(&self.sql.select_compat, &[]) {
            Ok(row) => row.map(|r| CompatRow {
                version: r.get(0),
                dirty: r.get(1),
            }),
            Err(e) if sqlstate(&e) == Some("42P01") => None,
            Err(e) => return Err(self.foreign_layout(&e).unwrap_or_else(|| db_error(&e))),
        };
        let rows = match self.client.query(&self.sql.select_ledger, &[]) {
            Err(e) if sqlstate(&e) == Some("42703") => {
                self.client.query(&self.sql.select_ledger_without_down, &[])
            }
            other => other,
        };
        let rows = match rows {
            Ok(rows) => rows,
            Err(e) if sqlstate(&e) == Some("42P01") => Vec::new(),
            Err(e) => return Err(db_error(&e)),
        };
        let mut applied = Vec::with_capacity(rows.len());
        for r in rows {
            let mode: String = r.get(7);
            let origin: String = r.get(8);
            applied.push(ledger_row(
                r.get(0),
                r.get(1),
                r.get(2),
                r.get(3),
                r.get(4),
                r.get(5),
                r.get(6),
                &mode,
                &origin,
                r.get(9),
            )?);
        }
        Ok((compat, applied))
    }

    /// After an undefined-column error (42703) reading golang-migrate's table: the table's
    /// layout is another tool's, said with the ways out (`None` for any other error).
    pub(super) fn foreign_layout(&mut self, e: &postgres::Error) -> Option<DriverError> {
        if sqlstate(e) != Some("42703") {
            return None;
        }
        let query = sql::columns_sql(&self.schema, &self.tables.compat);
        let out = self.quietly(|d| d.client.simple_query(&query)).ok()?;
        let columns: Vec<String> = rows(&out)
            .filter_map(|r| r.get(0).map(str::to_string))
            .collect();
        strata_core::adopt::foreign_compat_table(&self.tables.compat, &columns)
            .map(DriverError::ForeignTable)
    }
}

/// The message of [`strata_core::Driver::write`]: the lock proof and the records in one
/// transaction whose commit is flushed (see [`durable::SYNC_COMMIT`]) before anything reports
/// them.
pub(super) fn write_message(lock_proof: &str, writes_sql: &str) -> String {
    format!(
        "BEGIN;\n{lock_proof}{writes_sql}{}COMMIT",
        durable::SYNC_COMMIT
    )
}

/// One ledger row, checked.
#[allow(clippy::too_many_arguments)]
pub(super) fn ledger_row(
    version: i64,
    name: String,
    checksum: Option<String>,
    batch: i64,
    applied_at: String,
    duration_ms: i64,
    applied_by: String,
    mode: &str,
    origin: &str,
    down_checksum: Option<String>,
) -> Result<AppliedMigration, DriverError> {
    Ok(AppliedMigration {
        version: u64::try_from(version).map_err(|_| {
            DriverError::Ledger(format!("ledger holds a negative version {version}"))
        })?,
        name,
        checksum,
        down_checksum,
        batch,
        applied_at,
        duration_ms,
        applied_by,
        mode: TxMode::parse(mode).ok_or_else(|| {
            DriverError::Ledger(format!("ledger row {version} has an unknown mode {mode:?}"))
        })?,
        origin: Origin::parse(origin).ok_or_else(|| {
            DriverError::Ledger(format!(
                "ledger row {version} has an unknown origin {origin:?}"
            ))
        })?,
    })
}

pub(super) fn to_i64(v: u64) -> Result<i64, DriverError> {
    i64::try_from(v).map_err(|_| {
        DriverError::Ledger(format!("version {v} is too large for PostgreSQL's bigint"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_writes_commit_synchronously_after_the_records() {
        let message = write_message("SELECT 1;\n", "INSERT INTO l VALUES (1);\n");
        let sync = message
            .find(durable::SYNC_COMMIT)
            .expect("the setting is sent");
        assert!(message.starts_with("BEGIN;\nSELECT 1;\nINSERT INTO l VALUES (1);\n"));
        assert!(message[sync..].ends_with("COMMIT"), "{message}");
    }
}
