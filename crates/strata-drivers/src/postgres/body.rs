//! Running a transactional script's body, and saying where it failed: the statement, from the
//! server's error position or by re-running the statements one by one, and after a
//! `lock_timeout` the sessions that held the lock.

use super::errors::{self, db_error, server_position, sqlstate};
use super::{copy, lock, sql, PostgresDriver};
use std::ops::Range;
use strata_core::{DriverError, Script};
use strata_sql::Dialect;

impl PostgresDriver<'_> {
    /// Open the transaction and run a transactional script's body. Without explicit statements,
    /// `BEGIN` travels in the same message as the body (one round trip); the server's position
    /// is then shifted back by the prefix.
    pub(super) fn run_body(&mut self, script: &Script) -> Result<(), BodyError> {
        self.client
            .allow_statement_timeout(script.statement_timeout);
        let prefix = format!(
            "BEGIN;{}\n{}",
            self.transaction_settings(script),
            self.lock_proof()
        );
        let prefix = prefix.as_str();
        // A file too large to hold in memory: read again, in chunks (see copy.rs).
        if script.streamed.is_some() {
            return self.run_streamed(prefix, script);
        }
        // COPY data blocks, or a large script: several messages (see copy.rs).
        if script.statements.is_none() {
            if let Some(pieces) = copy::pieces(&script.sql, copy::BATCH_BYTES) {
                return self.run_pieces(prefix, &script.sql, &pieces, true);
            }
        }
        match &script.statements {
            None => {
                let message = format!("{prefix}{}", script.sql);
                self.client.batch_execute(&message).map_err(|e| {
                    let mut err = db_error(&e);
                    let position = server_position(&e)
                        .filter(|p| *p as usize > prefix.len())
                        .map(|p| char_to_byte(&script.sql, p - prefix.len() as u32));
                    let statement = position.and_then(|b| statement_at(&script.sql, b));
                    set_location(&mut err, statement.clone(), position);
                    BodyError {
                        needs_search: statement.is_none() && rerun_helps(&e),
                        err,
                    }
                })
            }
            Some(ranges) => {
                self.client.batch_execute(prefix).map_err(|e| BodyError {
                    err: db_error(&e),
                    needs_search: false,
                })?;
                for r in ranges {
                    let piece = &script.sql[r.clone()];
                    if piece.trim().is_empty() {
                        continue;
                    }
                    if let Err(e) = self.client.batch_execute(piece) {
                        let mut err = db_error(&e);
                        let position =
                            server_position(&e).map(|p| r.start + char_to_byte(piece, p));
                        set_location(&mut err, Some(r.clone()), position);
                        return Err(BodyError {
                            err,
                            needs_search: false,
                        });
                    }
                }
                Ok(())
            }
        }
    }

    /// Re-run `sql`'s statements one by one in a transaction that is rolled back, to find the
    /// one that fails. The session must not be in a transaction.
    pub(super) fn find_failing_statement(&mut self, sql: &str) -> Option<Range<usize>> {
        // Not `Script::statement_ranges`: `sql` is a sent message (a batch may join scripts).
        let statements = strata_sql::split(sql, Dialect::Postgres).statements;
        if statements.len() <= 1 {
            return statements.first().map(|s| s.range.clone());
        }
        self.quietly(|d| {
            d.client.batch_execute("BEGIN").ok()?;
            let found = statements
                .iter()
                .find(|s| d.client.batch_execute(s.text(sql)).is_err())
                .map(|s| s.range.clone());
            let _ = d.client.batch_execute("ROLLBACK");
            found
        })
    }

    /// After a `lock_timeout` failure (55P03), name the sessions holding locks on the tables the
    /// SQL mentions, in the error's detail: the server's message names neither. The session must
    /// not be in a failed transaction.
    pub(super) fn explain_lock_timeout(&mut self, err: &mut DriverError, sql: &str) {
        let DriverError::Statement {
            code, detail, hint, ..
        } = err
        else {
            return;
        };
        if code.as_deref() != Some("55P03") {
            return;
        }
        let words = identifiers(sql);
        let rows = self.quietly(|d| d.client.query(sql::TABLE_LOCK_HOLDERS, &[&words]));
        let holders: Vec<String> = rows
            .unwrap_or_default()
            .iter()
            .map(|r| {
                let pid: i32 = r.get(0);
                let app: String = r.get(1);
                let state: String = r.get(3);
                let query = lock::shown_query(&r.get::<_, String>(4));
                let table: String = r.get(5);
                let mode: String = r.get(6);
                let state_for: f64 = r.get(7);
                format!(
                    "blocked by pid {pid} (application_name {app:?}, state {state:?} for {state_for:.1}s, query {query:?}), holding {mode} on {table}"
                )
            })
            .collect();
        if !holders.is_empty() {
            let mut text = holders.join("; ");
            if let Some(d) = detail.take() {
                text = format!("{d}; {text}");
            }
            *detail = Some(text);
        }
        if hint.is_none() {
            *hint = Some(
                "a table the migration alters stayed locked by another session longer than lock_timeout; retry when it ends, or end it with SELECT pg_terminate_backend(pid)".into(),
            );
        }
    }
}

/// The identifier-like words of `sql`, as written and lower-cased (candidate table names).
fn identifiers(sql: &str) -> Vec<String> {
    // A set: a large data file has millions of words (a list search per word was quadratic).
    let mut seen = std::collections::BTreeSet::new();
    for w in sql.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$')) {
        if w.is_empty() || w.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        if !seen.contains(w) {
            seen.insert(w.to_lowercase());
            seen.insert(w.to_string());
        }
        // Table names come with the DDL, long before a data file's millionth word.
        if seen.len() >= 10_000 {
            break;
        }
    }
    seen.into_iter().collect()
}

/// A body failure, and whether the failing statement still has to be found by re-running.
pub(super) struct BodyError {
    pub(super) err: DriverError,
    pub(super) needs_search: bool,
}

/// Whether re-running statements one by one can say more: not for errors that come from the
/// session or the server's state rather than from a statement (timeouts, lost connections,
/// deadlocks, resource limits), which would only repeat the wait.
pub(super) fn rerun_helps(e: &postgres::Error) -> bool {
    // The lock's proof failed before the script ran: the re-run would run it unprotected.
    if errors::is_lock_lost(e) {
        return false;
    }
    match sqlstate(e) {
        None => false,
        // 55P03 (lock_timeout): the re-run would wait for the same lock again.
        Some(code) => !["57", "08", "53", "40", "58", "XX", "55P03"]
            .iter()
            .any(|class| code.starts_with(class)),
    }
}

pub(super) fn set_location(err: &mut DriverError, stmt: Option<Range<usize>>, pos: Option<usize>) {
    if let DriverError::Statement {
        statement,
        position,
        ..
    } = err
    {
        if stmt.is_some() {
            *statement = stmt;
        }
        if pos.is_some() {
            *position = pos;
        }
    }
}

/// The byte offset in `text` of the server's 1-based character position (PostgreSQL counts
/// characters, not bytes); a position past the end maps to the end.
pub fn char_to_byte(text: &str, position: u32) -> usize {
    let index = (position as usize).saturating_sub(1);
    text.char_indices()
        .nth(index)
        .map(|(b, _)| b)
        .unwrap_or(text.len())
}

/// The statement (as split by the lexer) containing byte `offset`, or the next one when the
/// offset falls between statements, or the last one when past the end.
pub fn statement_at(sql: &str, offset: usize) -> Option<Range<usize>> {
    // Not `Script::statement_ranges`: `sql` is a sent message, located as the server saw it.
    let statements = strata_sql::split(sql, Dialect::Postgres).statements;
    statements
        .iter()
        .find(|s| offset < s.range.end)
        .or(statements.last())
        .map(|s| s.range.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters() {
        let sql = "SELECT 'é';\nSELEC 1;";
        // The server counts characters: position 13 is the `S` of `SELEC`.
        let b = char_to_byte(sql, 13);
        assert_eq!(&sql[b..b + 5], "SELEC");
        assert_eq!(char_to_byte(sql, 1), 0);
        assert_eq!(char_to_byte(sql, 999), sql.len());
    }

    #[test]
    fn statement_lookup() {
        let sql = "CREATE TABLE a (x int);\nCREATE TABLEE b (x int);\nSELECT 1;";
        let b = sql.find("TABLEE").unwrap();
        let r = statement_at(sql, b).unwrap();
        assert_eq!(&sql[r], "CREATE TABLEE b (x int);");
        assert_eq!(&sql[statement_at(sql, sql.len()).unwrap()], "SELECT 1;");
    }
}
