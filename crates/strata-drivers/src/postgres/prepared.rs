//! Statements a session runs many times (the catalog reader's scoped queries, the DDL log's
//! drain), prepared on first use and then only bound and executed: the server plans each
//! once in a while instead of on every call.
//!
//! Once in a while: a plan is made for the catalog's size when it is made, and `verify` grows
//! the catalog inside one transaction (statistics never catch up): a plan made on an empty
//! database scans catalogs that later hold thousands of rows. So each statement is prepared
//! again after 8, 16, 32, ... uses: few plans in all, each for the catalog as it has grown.

use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use postgres::{Client, Row, Statement};
use std::collections::HashMap;

/// Uses before a statement's first re-preparation (doubling after each).
const FIRST_REPLAN: u32 = 8;

/// A session's prepared statements, by SQL text, and facts read once.
#[derive(Default)]
pub struct Prepared {
    statements: HashMap<String, Kept>,
    /// `server_version_num`.
    pub(super) version: Option<i32>,
}

struct Kept {
    statement: Statement,
    uses: u32,
    replan_at: u32,
}

impl Prepared {
    /// Run `sql` (its parameters of `types`) with `params`, preparing it on first use.
    pub(super) fn query(
        &mut self,
        client: &mut Client,
        sql: &str,
        types: &[Type],
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, postgres::Error> {
        let statement = self.statement(client, sql, types, true)?;
        match client.query(&statement, params) {
            // The session ran `DEALLOCATE ALL` or `DISCARD ALL` (a migration may): again.
            Err(e) if e.code() == Some(&SqlState::INVALID_SQL_STATEMENT_NAME) => {
                self.statements.clear();
                let st = self.statement(client, sql, types, true)?;
                client.query(&st, params)
            }
            rows => rows,
        }
    }

    /// How many columns `sql` returns (prepared on first use).
    pub(super) fn columns(
        &mut self,
        client: &mut Client,
        sql: &str,
        types: &[Type],
    ) -> Result<usize, postgres::Error> {
        Ok(self.statement(client, sql, types, false)?.columns().len())
    }

    /// The statement for `sql`, prepared when new or due (`using`: counts as a use).
    fn statement(
        &mut self,
        client: &mut Client,
        sql: &str,
        types: &[Type],
        using: bool,
    ) -> Result<Statement, postgres::Error> {
        if let Some(kept) = self.statements.get_mut(sql) {
            if kept.uses < kept.replan_at {
                kept.uses += u32::from(using);
                return Ok(kept.statement.clone());
            }
            // Dropping the old statement closes it on the server.
            kept.statement = client.prepare_typed(sql, types)?;
            kept.replan_at = kept.replan_at.saturating_mul(2);
            kept.uses = 1;
            return Ok(kept.statement.clone());
        }
        let statement = client.prepare_typed(sql, types)?;
        self.statements.insert(
            sql.to_string(),
            Kept {
                statement: statement.clone(),
                uses: u32::from(using),
                replan_at: FIRST_REPLAN,
            },
        );
        Ok(statement)
    }
}
