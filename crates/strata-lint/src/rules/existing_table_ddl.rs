//! The walk both MySQL online-DDL rules make: each statement that changes a table the
//! migration did not create, with how it runs online ([`strata_sql::online_ddl`]), given the
//! `SET foreign_key_checks` before it. A table the same migration created is empty: nothing to
//! copy or rebuild.
use super::{Ctx, Stmt};
use crate::table_name::table_key;
use strata_sql::OnlineDdl;

/// The statements of `ctx` that change an existing table: the statement, its online-DDL
/// classification and the table's key.
pub(crate) fn existing_table_ddl<'c, 'a>(
    ctx: &'c Ctx<'a>,
) -> Vec<(&'c Stmt<'a>, OnlineDdl, String)> {
    let mut out = Vec::new();
    let mut created: Vec<String> = Vec::new();
    let mut foreign_key_checks = true;
    for s in &ctx.statements {
        if let Some(on) = strata_sql::sets_foreign_key_checks(s.text) {
            foreign_key_checks = on;
        }
        if let Some(l) = strata_sql::table_lock(s.text, ctx.dialect) {
            if l.verb == "CREATE TABLE" {
                created.push(table_key(&l.table, ctx.dialect));
            }
        }
        let Some(d) = strata_sql::online_ddl(s.text, None, foreign_key_checks) else {
            continue;
        };
        let key = table_key(&d.table, ctx.dialect);
        if !created.contains(&key) {
            out.push((s, d, key));
        }
    }
    out
}
