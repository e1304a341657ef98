//! What a catalog read covers ([`Scope`]), and the connection it runs on ([`Reader`]).
//!
//! A full snapshot runs each kind's query on its own. A scoped read (a `verify` refresh) runs
//! them all in one round trip: a first pass of the reader only collects its queries, one
//! prepared statement returns each query's rows as JSON, and a second pass of the same reader
//! code consumes them, so the row handling is written once.

use super::super::prepared::Prepared;
use postgres::types::{FromSql, Type};
use postgres::{Client, Row};
use serde::de::DeserializeOwned;
use std::collections::VecDeque;

/// Which objects a read covers: all of them, or those with the given oids (a table's columns,
/// constraints, indexes, triggers and policies come with it).
#[derive(Debug, Clone, Default)]
pub(in crate::postgres) struct Scope {
    /// Every object of every kind.
    pub all: bool,
    /// Schemas and extensions (always read whole: few rows).
    pub schemas: bool,
    /// Tables, views and sequences (`pg_class` oids).
    pub rels: Vec<u32>,
    /// Types (`pg_type` oids).
    pub types: Vec<u32>,
    /// Functions and procedures (`pg_proc` oids).
    pub procs: Vec<u32>,
}

/// The oid lists a scoped query binds: `$1` relations, `$2` types, `$3` functions.
const OID_PARAMS: [Type; 3] = [Type::OID_ARRAY, Type::OID_ARRAY, Type::OID_ARRAY];

impl Scope {
    /// Everything.
    pub fn all() -> Scope {
        Scope {
            all: true,
            schemas: true,
            ..Scope::default()
        }
    }

    fn filter(&self, column: &str, oids: &[u32], param: u8) -> Option<Filter> {
        if self.all {
            return Some(Filter {
                text: "true".into(),
                scoped: false,
            });
        }
        if oids.is_empty() {
            return None;
        }
        Some(Filter {
            text: format!("{column} = ANY(${param}::pg_catalog.oid[])"),
            scoped: true,
        })
    }

    pub(super) fn rels(&self, column: &str) -> Option<Filter> {
        self.filter(column, &self.rels, 1)
    }

    pub(super) fn types(&self, column: &str) -> Option<Filter> {
        self.filter(column, &self.types, 2)
    }

    pub(super) fn procs(&self, column: &str) -> Option<Filter> {
        self.filter(column, &self.procs, 3)
    }
}

/// A query's scope: its SQL condition (binding one of the scope's oid lists, or none).
pub(super) struct Filter {
    text: String,
    scoped: bool,
}

impl std::fmt::Display for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// A row of a catalog query: from the server, or from one of a combined read's JSON arrays.
pub(super) enum CatalogRow {
    Pg(Row),
    Json(Vec<serde_json::Value>),
}

impl CatalogRow {
    /// Column `i`. A type the query does not return is a defect of the reader, as with
    /// [`Row::get`].
    pub(super) fn get<T>(&self, i: usize) -> T
    where
        T: for<'a> FromSql<'a> + DeserializeOwned,
    {
        match self {
            CatalogRow::Pg(r) => r.get(i),
            CatalogRow::Json(v) => {
                let value = v.get(i).cloned().unwrap_or_default();
                serde_json::from_value(value).unwrap_or_else(|e| {
                    panic!("catalog column {i}: {e}");
                })
            }
        }
    }
}

enum Mode {
    /// Each query runs when asked.
    Direct,
    /// Queries are only noted (they return no rows).
    Collect(Vec<String>),
    /// Queries return the rows read for them, in order.
    Replay(VecDeque<Vec<CatalogRow>>),
}

/// The connection a read runs on.
pub(super) struct Reader<'c> {
    client: &'c mut Client,
    prepared: Option<&'c mut Prepared>,
    oids: [Vec<u32>; 3],
    mode: Mode,
}

impl<'c> Reader<'c> {
    pub(super) fn new(
        client: &'c mut Client,
        prepared: Option<&'c mut Prepared>,
        scope: &Scope,
    ) -> Reader<'c> {
        Reader {
            client,
            prepared,
            oids: [scope.rels.clone(), scope.types.clone(), scope.procs.clone()],
            mode: Mode::Direct,
        }
    }

    /// The rows of `sql` (its filter's oids bound).
    pub(super) fn rows(
        &mut self,
        sql: &str,
        filter: Option<&Filter>,
    ) -> Result<Vec<CatalogRow>, postgres::Error> {
        match &mut self.mode {
            Mode::Collect(queries) => {
                queries.push(sql.to_string());
                return Ok(Vec::new());
            }
            Mode::Replay(sets) => return Ok(sets.pop_front().unwrap_or_default()),
            Mode::Direct => {}
        }
        let rows = if !filter.is_some_and(|f| f.scoped) {
            self.client.query_typed(sql, &[])?
        } else {
            let [r, t, p] = &self.oids;
            match self.prepared.as_deref_mut() {
                Some(prepared) => prepared.query(self.client, sql, &OID_PARAMS, &[r, t, p])?,
                None => self.client.query_typed(
                    sql,
                    &[
                        (r, Type::OID_ARRAY),
                        (t, Type::OID_ARRAY),
                        (p, Type::OID_ARRAY),
                    ],
                )?,
            }
        };
        Ok(rows.into_iter().map(CatalogRow::Pg).collect())
    }

    /// `server_version_num`.
    pub(super) fn version(&mut self) -> Result<i32, postgres::Error> {
        if let Some(v) = self.prepared.as_ref().and_then(|p| p.version) {
            return Ok(v);
        }
        let v = self
            .client
            .query_typed(
                "SELECT pg_catalog.current_setting('server_version_num')::int",
                &[],
            )?
            .first()
            .map_or(0, |r| r.get(0));
        if let Some(p) = self.prepared.as_deref_mut() {
            p.version = Some(v);
        }
        Ok(v)
    }

    /// Run `read` once to learn its queries, run them all in one prepared statement, then run
    /// `read` again on their rows. Needs a session's prepared statements.
    pub(super) fn combined<T>(
        &mut self,
        mut read: impl FnMut(&mut Reader<'c>) -> Result<T, postgres::Error>,
    ) -> Result<T, postgres::Error> {
        self.mode = Mode::Collect(Vec::new());
        let collected = read(self);
        let queries = match std::mem::replace(&mut self.mode, Mode::Direct) {
            Mode::Collect(queries) => queries,
            _ => Vec::new(),
        };
        let first = collected?;
        if queries.is_empty() {
            return Ok(first);
        }
        let Some(prepared) = self.prepared.as_deref_mut() else {
            // A reader without prepared statements (a full snapshot): one query at a time.
            return read(self);
        };
        let mut parts = Vec::with_capacity(queries.len());
        for q in &queries {
            // Prepared alone once, to learn its columns; cached with the session.
            let columns = prepared.columns(self.client, q, &OID_PARAMS)?;
            let names: Vec<String> = (0..columns).map(|i| format!("c{i}")).collect();
            let values: Vec<String> = names.iter().map(|n| format!("x.{n}")).collect();
            parts.push(format!(
                "(SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_array({})), \
                 '[]')::text FROM ({q}) x({}))",
                values.join(", "),
                names.join(", ")
            ));
        }
        let sql = format!("SELECT {}", parts.join(",\n"));
        let [r, t, p] = &self.oids;
        let row = prepared.query(self.client, &sql, &OID_PARAMS, &[r, t, p])?;
        let mut sets = VecDeque::with_capacity(queries.len());
        for i in 0..queries.len() {
            let text: Option<String> = row.first().map(|r| r.get(i));
            match text.map(|t| serde_json::from_str::<Vec<Vec<serde_json::Value>>>(&t)) {
                Some(Ok(rows)) => sets.push_back(rows.into_iter().map(CatalogRow::Json).collect()),
                // Not what was asked for: read them one at a time instead.
                _ => return read(self),
            }
        }
        self.mode = Mode::Replay(sets);
        let result = read(self);
        self.mode = Mode::Direct;
        result
    }

    /// Give the client back.
    pub(super) fn into_client(self) -> &'c mut Client {
        self.client
    }
}
