//! INVALID indexes left by a failed `CREATE INDEX CONCURRENTLY`.
//!
//! When a concurrent build fails (a duplicate under UNIQUE, a cancel, a deadlock), PostgreSQL
//! leaves the index behind marked `indisvalid = false`: it is maintained on every write but never
//! used. Rerunning the migration then fails with "already exists", or, with `IF NOT EXISTS`,
//! silently keeps the broken index. Before a no-transaction migration runs, the indexes its
//! statements would build are looked up; INVALID ones are refused (naming the fix) or, when the
//! user asked, dropped with `DROP INDEX CONCURRENTLY`.

use super::errors::db_error;
use super::session::Session;
use strata_core::{DriverError, Script};
use strata_sql::Dialect;

/// Whether `$1` names an index that exists and is INVALID; its name as the server prints it.
const INVALID: &str = "SELECT i.indexrelid::regclass::text FROM pg_index i \
     WHERE i.indexrelid = to_regclass($1) AND NOT i.indisvalid";

/// The indexes `script` would build concurrently, as written.
pub fn concurrent_indexes(script: &Script) -> Vec<String> {
    let sql = &script.sql;
    script
        .statement_spans(Dialect::Postgres)
        .into_iter()
        .filter_map(|s| strata_sql::concurrent_index_name(&sql[s.sql], Dialect::Postgres))
        .collect()
}

/// Refuse (or, with `drop`, drop) the INVALID indexes `script` would build. Returns the names
/// dropped.
pub(crate) fn handle(
    client: &mut Session,
    script: &Script,
    drop: bool,
) -> Result<Vec<String>, DriverError> {
    let mut invalid = Vec::new();
    for name in concurrent_indexes(script) {
        let row = match client.query_opt(INVALID, &[&name]) {
            Ok(row) => row,
            // to_regclass rejects malformed names: the migration will say more.
            Err(e) if e.as_db_error().is_some() => None,
            Err(e) => return Err(db_error(&e)),
        };
        if let Some(row) = row {
            let found: String = row.get(0);
            if !invalid.contains(&found) {
                invalid.push(found);
            }
        }
    }
    if invalid.is_empty() {
        return Ok(invalid);
    }
    if !drop {
        return Err(refusal(&invalid));
    }
    for name in &invalid {
        // The name comes from regclass output: already quoted where needed.
        client
            .batch_execute(&format!("DROP INDEX CONCURRENTLY IF EXISTS {name}"))
            .map_err(|e| db_error(&e))?;
    }
    Ok(invalid)
}

/// The refusal naming the INVALID indexes and the fix.
pub fn refusal(invalid: &[String]) -> DriverError {
    DriverError::InvalidIndexes {
        indexes: invalid.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use strata_core::TxMode;

    #[test]
    fn finds_each_concurrent_index_of_a_script() {
        let script = Script {
            path: PathBuf::from("2_idx.up.sql"),
            sql: "CREATE INDEX CONCURRENTLY a_i ON a (x);\nCREATE INDEX b_i ON b (x);\n\
                  CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS c_i ON s.c (x);\n"
                .into(),
            offset: 0,
            first_line: 1,
            mode: TxMode::NoTransaction,
            mode_reason: None,
            statements: None,
            lock_timeout: None,
            statement_timeout: None,
            batchable: true,
            streamed: None,
        };
        assert_eq!(concurrent_indexes(&script), ["a_i", "s.c_i"]);
    }

    #[test]
    fn refusal_names_the_index_and_its_fix() {
        let e = refusal(&["users_email".into()]);
        assert!(e
            .to_string()
            .starts_with("index users_email exists but is INVALID"));
        assert_eq!(
            e.fix(),
            Some(strata_core::Fix::DropInvalidIndexes {
                indexes: vec!["users_email".into()]
            })
        );
    }
}
