//! `drop -f`: remove everything in the target schema, and nothing outside it.
//!
//! golang-migrate drops only the base tables of `current_schema()` (with CASCADE), leaving
//! types, functions, sequences and views behind (issues #193, #626, #1164). Strata drops, in
//! one transaction, every table, view, materialized view, sequence, function, procedure,
//! aggregate, type (enum, range, composite) and domain of the schema — except objects that
//! belong to an extension. The schema itself stays, with its owner and grants.
//!
//! Nothing is dropped with CASCADE: foreign keys between the schema's tables are removed
//! first, then objects are dropped one by one (each behind a savepoint), and an object that
//! something still depends on is retried after the others. Whatever still cannot be dropped
//! when no progress is made is held by an object *outside* the schema (a view in another
//! schema on one of these tables, say): then everything is rolled back and the error names the
//! dependency, instead of CASCADE silently reaching into another schema.

use super::errors::db_error;
use super::session::Session;
use super::sql::{qualified, quote_ident};
use strata_core::{DriverError, DropReport};

/// Foreign keys between tables of schema `$1` (not inherited copies on partitions).
const INTERNAL_FOREIGN_KEYS: &str = "SELECT c.relname::text, con.conname::text \
     FROM pg_constraint con \
     JOIN pg_class c ON c.oid = con.conrelid \
     JOIN pg_namespace n ON n.oid = c.relnamespace \
     JOIN pg_class r ON r.oid = con.confrelid \
     WHERE con.contype = 'f' AND con.conparentid = 0 AND n.nspname = $1 AND r.relnamespace = n.oid";

/// Every droppable object of schema `$1`: (order, SQL keyword, kind shown, name, arguments).
/// Extension members, partitions (dropped with their parent) and sequences owned by a column
/// (dropped with their table) are left out.
const OBJECTS: &str = "WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = $1), \
     ext AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e') \
     SELECT ord, keyword, kind, name, args FROM ( \
       SELECT CASE c.relkind WHEN 'v' THEN 1 WHEN 'm' THEN 2 WHEN 'S' THEN 4 ELSE 3 END AS ord, \
              CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' \
                   WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END AS keyword, \
              CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' \
                   WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table' ELSE 'table' END AS kind, \
              c.relname::text AS name, NULL::text AS args, -c.oid::bigint AS sub \
       FROM pg_class c \
       WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') \
         AND NOT c.relispartition \
         AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid) \
         AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d \
              WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i') \
                AND d.refclassid = 'pg_class'::regclass)) \
       UNION ALL \
       SELECT 5, CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END, \
              CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END, \
              p.proname::text, pg_get_function_identity_arguments(p.oid), -p.oid::bigint \
       FROM pg_proc p \
       WHERE p.pronamespace = (SELECT oid FROM ns) \
         AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_proc'::regclass AND ext.objid = p.oid) \
       UNION ALL \
       SELECT CASE t.typtype WHEN 'd' THEN 6 ELSE 7 END, \
              CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, \
              CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'type' END, \
              t.typname::text, NULL, -t.oid::bigint \
       FROM pg_type t \
       WHERE t.typnamespace = (SELECT oid FROM ns) \
         AND (t.typtype IN ('e', 'd', 'r') \
              OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')) \
         AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_type'::regclass AND ext.objid = t.oid) \
     ) o ORDER BY ord, sub";

struct Object {
    sql: String,
    label: String,
}

/// Drop everything in `schema` (see the module docs). The session must not be in a
/// transaction.
pub(crate) fn drop_schema_objects(
    client: &mut Session,
    schema: &str,
) -> Result<DropReport, DriverError> {
    client.batch_execute("BEGIN").map_err(|e| db_error(&e))?;
    let result = drop_in_tx(client, schema);
    match result {
        Ok(report) => {
            client.batch_execute("COMMIT").map_err(|e| db_error(&e))?;
            Ok(report)
        }
        Err(e) => {
            let _ = client.batch_execute("ROLLBACK");
            Err(e)
        }
    }
}

fn drop_in_tx(client: &mut Session, schema: &str) -> Result<DropReport, DriverError> {
    let mut report = DropReport::default();
    for row in client
        .query(INTERNAL_FOREIGN_KEYS, &[&schema])
        .map_err(|e| db_error(&e))?
    {
        let table: String = row.get(0);
        let constraint: String = row.get(1);
        let sql = format!(
            "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}",
            qualified(schema, &table),
            quote_ident(&constraint)
        );
        client.batch_execute(&sql).map_err(|e| db_error(&e))?;
    }
    let mut pending: Vec<Object> = client
        .query(OBJECTS, &[&schema])
        .map_err(|e| db_error(&e))?
        .into_iter()
        .map(|row| {
            let keyword: String = row.get(1);
            let kind: String = row.get(2);
            let name: String = row.get(3);
            let args: Option<String> = row.get(4);
            let target = match &args {
                Some(a) => format!("{}({a})", qualified(schema, &name)),
                None => qualified(schema, &name),
            };
            let label = match &args {
                Some(a) => format!("{kind} {name}({a})"),
                None => format!("{kind} {name}"),
            };
            Object {
                sql: format!("DROP {keyword} IF EXISTS {target}"),
                label,
            }
        })
        .collect();

    while !pending.is_empty() {
        let mut blocked = Vec::new();
        let mut last_block: Option<DriverError> = None;
        let before = pending.len();
        for obj in pending {
            let sql = format!(
                "SAVEPOINT strata_drop; {}; RELEASE SAVEPOINT strata_drop",
                obj.sql
            );
            match client.batch_execute(&sql) {
                Ok(()) => report.dropped.push(obj.label),
                // 2BP01 dependent_objects_still_exist: something else must go first.
                Err(e) if e.as_db_error().is_some_and(|d| d.code().code() == "2BP01") => {
                    client
                        .batch_execute(
                            "ROLLBACK TO SAVEPOINT strata_drop; RELEASE SAVEPOINT strata_drop",
                        )
                        .map_err(|e| db_error(&e))?;
                    last_block = Some(db_error(&e));
                    blocked.push(obj);
                }
                Err(e) => return Err(db_error(&e)),
            }
        }
        if blocked.len() == before {
            let (message, detail) = match last_block {
                Some(DriverError::Statement {
                    message, detail, ..
                }) => (message, detail),
                _ => ("objects could not be dropped".to_string(), None),
            };
            return Err(DriverError::DropBlocked {
                schema: schema.to_string(),
                message,
                detail,
            });
        }
        pending = blocked;
    }
    Ok(report)
}
