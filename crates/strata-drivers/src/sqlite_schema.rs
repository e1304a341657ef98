//! SQLite's schema as a [`Snapshot`] (from `sqlite_master` and `pragma_table_xinfo`), and a
//! [`SchemaSession`] over a SQLite file for `verify` and `dump`.

use rusqlite::Connection;
use std::path::Path;
use strata_core::schema::render::DumpData;
use strata_core::schema::{Column, Index, Name, SchemaSession, Snapshot, Table, Trigger, View};
use strata_core::{DriverError, Script, TableNames};

fn err(e: rusqlite::Error) -> DriverError {
    DriverError::statement(e.to_string())
}

/// The schema of `conn`, without the tables in `exclude` (and their indexes and triggers).
pub fn snapshot(conn: &Connection, exclude: &[String]) -> Result<Snapshot, rusqlite::Error> {
    let mut s = Snapshot::default();
    let mut stmt = conn.prepare(
        "SELECT type, name, tbl_name, sql FROM sqlite_master \
         WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND sql IS NOT NULL ORDER BY type, name",
    )?;
    let rows: Vec<(String, String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    let key = |n: &str| Name::new("main", n).key();
    for (kind, name, _, sql) in rows.iter().filter(|r| r.0 == "table") {
        let _ = kind;
        if exclude.contains(name) {
            continue;
        }
        let mut cols = conn.prepare(
            "SELECT name, type, \"notnull\", dflt_value, hidden FROM pragma_table_xinfo(?1) ORDER BY cid",
        )?;
        let columns = cols
            .query_map([name], |r| {
                let hidden: i64 = r.get(4)?;
                Ok(Column {
                    name: r.get(0)?,
                    data_type: r.get(1)?,
                    not_null: r.get::<_, i64>(2)? != 0,
                    default: r.get(3)?,
                    // 2 and 3: generated (virtual, stored); the expression is in the statement.
                    generated: (hidden >= 2).then(|| "(see the table's statement)".to_string()),
                    ..Column::default()
                })
            })?
            .collect::<Result<_, _>>()?;
        s.tables.insert(
            key(name),
            Table {
                name: Name::new("main", name.clone()),
                columns,
                definition: Some(sql.clone()),
                ..Table::default()
            },
        );
    }
    for (kind, name, table, sql) in &rows {
        match kind.as_str() {
            "index" => {
                let Some(t) = s.tables.get_mut(&key(table)) else {
                    continue;
                };
                let mut keys =
                    conn.prepare("SELECT name FROM pragma_index_info(?1) ORDER BY seqno")?;
                let keys: Vec<Option<String>> = keys
                    .query_map([name], |r| r.get(0))?
                    .collect::<Result<_, _>>()?;
                let keys: Vec<String> = keys
                    .into_iter()
                    .map(|k| k.unwrap_or_else(|| "<expression>".into()))
                    .collect();
                let upper = sql.to_uppercase();
                t.indexes.insert(
                    name.clone(),
                    Index {
                        name: name.clone(),
                        unique: upper.starts_with("CREATE UNIQUE"),
                        method: "btree".into(),
                        keys: format!("({})", keys.join(", ")),
                        predicate: upper
                            .find(" WHERE ")
                            .map(|i| sql[i + 7..].trim().to_string()),
                        definition: sql.clone(),
                        ..Index::default()
                    },
                );
            }
            "trigger" => {
                let Some(t) = s.tables.get_mut(&key(table)) else {
                    continue;
                };
                t.triggers.insert(
                    name.clone(),
                    Trigger {
                        name: name.clone(),
                        definition: sql.clone(),
                        comment: None,
                    },
                );
            }
            "view" => {
                s.views.insert(
                    key(name),
                    View {
                        name: Name::new("main", name.clone()),
                        definition: sql.clone(),
                        ..View::default()
                    },
                );
            }
            _ => {}
        }
    }
    Ok(s)
}

/// A session on one SQLite file.
pub struct SqliteSchemaSession {
    conn: Connection,
    tables: TableNames,
}

impl SqliteSchemaSession {
    /// Open the file at `path` (it must exist unless `create`).
    pub fn open(
        path: &Path,
        tables: TableNames,
        create: bool,
    ) -> Result<SqliteSchemaSession, DriverError> {
        if !create && !path.exists() {
            return Err(DriverError::Connect {
                message: format!("no SQLite database at {}", path.display()),
                fix: None,
                cause: None,
            });
        }
        let conn = Connection::open(path).map_err(|e| DriverError::Connect {
            message: format!("cannot open SQLite database {}: {e}", path.display()),
            fix: None,
            cause: None,
        })?;
        Ok(SqliteSchemaSession { conn, tables })
    }

    /// An empty in-memory database (to read a dump file's schema).
    pub fn in_memory(tables: TableNames) -> Result<SqliteSchemaSession, DriverError> {
        let conn = Connection::open_in_memory().map_err(err)?;
        Ok(SqliteSchemaSession { conn, tables })
    }

    fn exists(&self, table: &str) -> Result<bool, DriverError> {
        self.conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [table],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(err)
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl SchemaSession for SqliteSchemaSession {
    fn snapshot(&mut self) -> Result<Snapshot, DriverError> {
        let t = &self.tables;
        let exclude = [t.compat.clone(), t.ledger.clone(), t.log.clone()];
        snapshot(&self.conn, &exclude).map_err(err)
    }

    fn run(&mut self, script: &Script) -> Result<(), DriverError> {
        self.conn.execute_batch(&script.sql).map_err(err)
    }

    fn execute(&mut self, sql: &str) -> Result<(), DriverError> {
        self.conn.execute_batch(sql).map_err(err)
    }

    fn dump_data(&mut self) -> Result<DumpData, DriverError> {
        let mut data = DumpData::default();
        let compat = self.tables.compat.clone();
        if self.exists(&compat)? {
            let row = self.conn.query_row(
                &format!("SELECT version, dirty FROM {} LIMIT 1", quote(&compat)),
                [],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, bool>(1)?)),
            );
            let row = match row {
                Ok(r) => Some(r),
                Err(rusqlite::Error::QueryReturnedNoRows) => None,
                Err(e) => return Err(err(e)),
            };
            data.compat = Some((compat, row));
        }
        let ledger = self.tables.ledger.clone();
        if self.exists(&ledger)? {
            let mut stmt = self
                .conn
                .prepare(&format!(
                    "SELECT version FROM {} ORDER BY version",
                    quote(&ledger)
                ))
                .map_err(err)?;
            let versions = stmt
                .query_map([], |r| r.get::<_, i64>(0))
                .map_err(err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(err)?;
            data.applied = Some(versions.into_iter().map(|v| v as u64).collect());
        }
        Ok(data)
    }
}
