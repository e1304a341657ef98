//! The migrations table named by `x-migrations-table` (and `x-migrations-table-quoted`), with
//! the ledger and log names derived from it.

use super::{go_parse_bool, shown, Backend, DatabaseUrl, UrlError};
use super::{DEFAULT_MIGRATIONS_TABLE, PG_MAX_IDENTIFIER};
use strata_core::TableNames;

impl DatabaseUrl {
    /// The compatibility table's name and schema (from `x-migrations-table` and
    /// `x-migrations-table-quoted`, with golang-migrate's rules), and the ledger and log names
    /// derived from it.
    ///
    /// Unquoted mode: the value is **one** identifier (a `.` is part of the name), schema
    /// `None` (the connection's `current_schema()`). Quoted mode: the value must start and end
    /// with `"`; each `"..."` part is taken (`"s"."t"` → schema `s`, table `t`; `"t"` → table
    /// `t`); three or more parts are an error. Names are always quoted when used in SQL, so
    /// any character is harmless.
    pub fn tables(&self) -> Result<TableNames, UrlError> {
        if let Some(m) = &self.mysql {
            return self.checked_names(TableNames::new(None, m.migrations_table()));
        }
        let given = self.param("x-migrations-table").unwrap_or("");
        let quoted = match self.param("x-migrations-table-quoted") {
            Some(v) if !v.is_empty() => go_parse_bool("x-migrations-table-quoted", v)?,
            _ => false,
        };
        if given.is_empty() {
            return Ok(TableNames::new(None, DEFAULT_MIGRATIONS_TABLE));
        }
        if !quoted {
            return self.checked_names(TableNames::new(None, given));
        }
        if given.len() < 2 || !given.starts_with('"') || !given.ends_with('"') {
            return Err(UrlError::TableNotQuoted(shown(given)));
        }
        // Go: regexp `"(.*?)"`, FindAllStringSubmatch.
        let mut parts = Vec::new();
        let mut rest = given;
        while let Some(open) = rest.find('"') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('"') else { break };
            parts.push(&after[..close]);
            rest = &after[close + 1..];
        }
        let (schema, table) = match parts.as_slice() {
            [table] => (None, *table),
            [schema, table] => (Some(schema.to_string()), *table),
            [] => return Err(UrlError::TableNotQuoted(shown(given))),
            _ => return Err(UrlError::TableTooManyDots(shown(given))),
        };
        if table.is_empty() || schema.as_deref() == Some("") {
            return Err(UrlError::EmptyTable);
        }
        self.checked_names(TableNames::new(schema, table))
    }

    /// Refuse names the database cannot keep apart: a NUL byte (neither PostgreSQL nor SQLite
    /// accepts one in a name), and on PostgreSQL a name over 63 bytes, which the server
    /// silently truncates, so that the table, `<table>_ledger` and `<table>_log` could all
    /// become the same table.
    fn checked_names(&self, names: TableNames) -> Result<TableNames, UrlError> {
        let all = [
            names.schema.as_deref(),
            Some(names.compat.as_str()),
            Some(names.ledger.as_str()),
            Some(names.log.as_str()),
        ];
        if all.iter().flatten().any(|n| n.contains('\0')) {
            return Err(UrlError::BadTableName(
                "the name holds a NUL byte (%00), which no database accepts in a name".into(),
            ));
        }
        if self.backend == Backend::Postgres {
            if let Some(schema) = names
                .schema
                .as_deref()
                .filter(|s| s.len() > PG_MAX_IDENTIFIER)
            {
                return Err(UrlError::BadTableName(format!(
                    "the schema name is {} bytes long; PostgreSQL names are at most {PG_MAX_IDENTIFIER} bytes",
                    schema.len()
                )));
            }
            let longest = names.ledger.len().max(names.log.len());
            if longest > PG_MAX_IDENTIFIER {
                return Err(UrlError::BadTableName(format!(
                    "the table name is {} bytes long, so Strata's ledger table (<table>_ledger) would be {longest} bytes; \
                     PostgreSQL names are at most {PG_MAX_IDENTIFIER} bytes (longer ones are cut, and the tables would collide): \
                     use a table name of at most {} bytes",
                    names.compat.len(),
                    PG_MAX_IDENTIFIER - (longest - names.compat.len())
                )));
            }
        }
        Ok(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url::test_fixtures::*;

    #[test]
    fn migrations_table_rules() {
        let t = p("postgres://h/db").tables().unwrap();
        assert_eq!(t, TableNames::new(None, "schema_migrations"));
        let t = p("postgres://h/db?x-migrations-table=my.table")
            .tables()
            .unwrap();
        assert_eq!(t, TableNames::new(None, "my.table"));
        assert_eq!(t.ledger, "my.table_ledger");
        let t = p("postgres://h/db?x-migrations-table=%22migrate%22.%22schema_migrations%22&x-migrations-table-quoted=1")
            .tables()
            .unwrap();
        assert_eq!(
            t,
            TableNames::new(Some("migrate".into()), "schema_migrations")
        );
        let t = p("postgres://h/db?x-migrations-table=\"only\"&x-migrations-table-quoted=true")
            .tables()
            .unwrap();
        assert_eq!(t, TableNames::new(None, "only"));
        let t = p("postgres://h/db?x-migrations-table=\"a.b\"&x-migrations-table-quoted=t")
            .tables()
            .unwrap();
        assert_eq!(t, TableNames::new(None, "a.b"));
        // quoted=false keeps the quotes as part of the one identifier
        let t = p("postgres://h/db?x-migrations-table=\"s\".\"t\"&x-migrations-table-quoted=false")
            .tables()
            .unwrap();
        assert_eq!(t.compat, "\"s\".\"t\"");
        assert_eq!(
            err("postgres://h/db?x-migrations-table=migrate.schema_migrations&x-migrations-table-quoted=1"),
            "x-migrations-table must be quoted (for instance '\"migrate\".\"schema_migrations\"') when x-migrations-table-quoted is enabled, current value is: migrate.schema_migrations"
        );
        assert_eq!(
            err("postgres://h/db?x-migrations-table=\"migrate\".\"schema_migrations\".\"toomany\"&x-migrations-table-quoted=1"),
            "\"\"migrate\".\"schema_migrations\".\"toomany\"\" MigrationsTable contains too many dot characters"
        );
        assert_eq!(
            err("postgres://h/db?x-migrations-table-quoted=maybe"),
            "unable to parse option x-migrations-table-quoted: strconv.ParseBool: parsing \"maybe\": invalid syntax"
        );
        // An injection attempt is just a strange (quoted) name.
        let t = p("postgres://h/db?x-migrations-table=a%22;drop%20table%20x;--")
            .tables()
            .unwrap();
        assert_eq!(t.compat, "a\";drop table x;--");
    }

    #[test]
    fn table_names_postgres_would_truncate_or_that_hold_nul_are_refused() {
        let name = |n: usize| "t".repeat(n);
        // `<table>_ledger` is the longest derived name: 56 + 7 = 63 bytes.
        let ok = p(&format!("postgres://h/db?x-migrations-table={}", name(56)));
        assert_eq!(ok.tables().unwrap().ledger.len(), 63);
        let e = err(&format!("postgres://h/db?x-migrations-table={}", name(57)));
        assert!(
            e.starts_with("x-migrations-table: the table name is 57 bytes long"),
            "{e}"
        );
        assert!(e.contains("at most 56 bytes"), "{e}");
        let e = err(&format!("postgres://h/db?x-migrations-table={}", name(63)));
        assert!(e.starts_with("x-migrations-table:"), "{e}");
        // Quoted mode: the schema is one name too.
        let e = err(&format!(
            "postgres://h/db?x-migrations-table=\"{}\".\"t\"&x-migrations-table-quoted=1",
            name(64)
        ));
        assert!(e.contains("schema name is 64 bytes"), "{e}");
        for c in [
            "postgres://h/db?x-migrations-table=a%00b",
            "postgres://h/db?x-migrations-table=\"s%00\".\"t\"&x-migrations-table-quoted=1",
            "sqlite://app.db?x-migrations-table=a%00b",
        ] {
            assert!(err(c).contains("NUL byte"), "{c}");
        }
        // SQLite has no such limit.
        let t = p(&format!("sqlite://app.db?x-migrations-table={}", name(80)))
            .tables()
            .unwrap();
        assert_eq!(t.compat.len(), 80);
    }
}
