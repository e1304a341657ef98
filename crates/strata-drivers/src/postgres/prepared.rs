//! Statements a session runs many times (the catalog reader's scoped queries, the DDL log's
//! drain), prepared on first use and then only bound and executed: the server plans each
//! once per session instead of on every call.

use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use postgres::{Client, Row, Statement};
use std::collections::HashMap;

/// A session's prepared statements, by SQL text, and facts read once.
#[derive(Default)]
pub struct Prepared {
    statements: HashMap<String, Statement>,
    /// `server_version_num`.
    pub(super) version: Option<i32>,
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
        let statement = match self.statements.get(sql) {
            Some(st) => st.clone(),
            None => self.prepare(client, sql, types)?,
        };
        match client.query(&statement, params) {
            // The session ran `DEALLOCATE ALL` or `DISCARD ALL` (a migration may): again.
            Err(e) if e.code() == Some(&SqlState::INVALID_SQL_STATEMENT_NAME) => {
                self.statements.clear();
                let st = self.prepare(client, sql, types)?;
                client.query(&st, params)
            }
            rows => rows,
        }
    }

    fn prepare(
        &mut self,
        client: &mut Client,
        sql: &str,
        types: &[Type],
    ) -> Result<Statement, postgres::Error> {
        let st = client.prepare_typed(sql, types)?;
        self.statements.insert(sql.to_string(), st.clone());
        Ok(st)
    }
}
