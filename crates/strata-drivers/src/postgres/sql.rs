//! The SQL text the PostgreSQL driver sends, as constants and pure builders.
//!
//! Identifiers from settings (schema, table names) are always quoted with [`quote_ident`].
//! Values are bound as parameters (`$1`, ...), with one deliberate exception: the records that
//! commit together with a migration ([`TableSql::writes_sql`]) travel as literals quoted by
//! [`quote_literal`] in the same simple-query message as `COMMIT`, so a migration costs two
//! round trips instead of one per record. Nothing here talks to a server, so the exact text can
//! be checked in unit tests.

use std::fmt::Write as _;
use strata_core::ledger::{CompatRow, LedgerWrite};
use strata_core::TableNames;

/// Quote an identifier the way lib/pq's `QuoteIdentifier` does (and so golang-migrate): cut at
/// the first NUL byte, double every `"`, wrap in `"`.
///
/// ```
/// use strata_drivers::postgres::sql::quote_ident;
/// assert_eq!(quote_ident("schema_migrations"), "\"schema_migrations\"");
/// assert_eq!(quote_ident("a\";drop table x;--"), "\"a\"\";drop table x;--\"");
/// ```
pub fn quote_ident(name: &str) -> String {
    let name = name.split('\0').next().unwrap_or("");
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A string literal that means `value` whatever `standard_conforming_strings` is: an `E'...'`
/// escape string with `\` and `'` doubled. NUL bytes (which `text` cannot hold) are dropped.
///
/// ```
/// use strata_drivers::postgres::sql::quote_literal;
/// assert_eq!(quote_literal("it's"), "E'it''s'");
/// assert_eq!(quote_literal("a\\'; DROP TABLE x; --"), "E'a\\\\''; DROP TABLE x; --'");
/// ```
pub fn quote_literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 3);
    out.push_str("E'");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("''"),
            '\0' => {}
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn opt_literal(value: Option<&str>) -> String {
    value.map_or_else(|| "NULL".to_string(), quote_literal)
}

fn opt_int(value: Option<i64>) -> String {
    value.map_or_else(|| "NULL".to_string(), |v| v.to_string())
}

/// `"schema"."name"`.
pub fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(name))
}

/// `SELECT current_schema(), current_database(), ...` — the migrations schema (NULL when no
/// `search_path` entry exists), the library-form lock name, the backend's pid and when it
/// started (µs since the epoch), and the port the server listens on (NULL over a Unix socket):
/// another port than the URL's means something sits in between; and `version()`, which names
/// CockroachDB and YugabyteDB (see `lease::server_needs_lease`).
pub const SESSION_FACTS: &str =
    "SELECT current_schema()::text, current_database()::text, pg_backend_pid(), \
     (SELECT (extract(epoch FROM backend_start) * 1000000)::int8 \
     FROM pg_stat_get_activity(pg_backend_pid())), inet_server_port(), version()";

/// Which of the given tables exist in a schema. golang-migrate checks before `CREATE TABLE` so
/// that a role without CREATE privilege can still read the version.
pub const TABLES_PRESENT: &str = "SELECT table_name::text FROM information_schema.tables \
     WHERE table_schema = $1 AND table_name = ANY($2)";

/// Whether the ledger `table` in `schema` has the `down_checksum` column: one row if so.
pub fn down_checksum_present_sql(schema: &str, table: &str) -> String {
    format!(
        "SELECT a.attname::text FROM pg_catalog.pg_attribute a \
         JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = {} AND c.relname = {} AND a.attname = 'down_checksum' AND NOT a.attisdropped",
        quote_literal(schema),
        quote_literal(table)
    )
}

/// [`TABLES_PRESENT`] as a simple query, values quoted in (one round trip instead of two).
pub fn tables_present_sql(schema: &str, names: &[String]) -> String {
    let names: Vec<String> = names.iter().map(|n| quote_literal(n)).collect();
    format!(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = {} AND table_name IN ({})",
        quote_literal(schema),
        names.join(", ")
    )
}

/// The columns of `schema.table`, in order (none when there is no such table). From the
/// catalog, not `information_schema.columns`: that view costs milliseconds per query, and this
/// runs on every `up`.
pub fn columns_sql(schema: &str, table: &str) -> String {
    format!(
        "SELECT a.attname::text FROM pg_catalog.pg_attribute a \
         JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = {} AND c.relname = {} AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY a.attnum",
        quote_literal(schema),
        quote_literal(table)
    )
}

/// Who holds one of the advisory lock keys `$1` (a `bigint[]`) in this database. Keys are
/// 0..2^32, so they appear in `pg_locks` as `classid = 0, objid = key, objsubid = 1`.
pub const LOCK_HOLDER: &str = "SELECT a.pid, coalesce(a.application_name, ''), \
       coalesce(a.usename::text, ''), coalesce(a.state, ''), \
       coalesce(extract(epoch FROM now() - a.state_change), 0)::float8, \
       coalesce(extract(epoch FROM now() - a.backend_start), 0)::float8, \
       coalesce(a.query, '') \
     FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
     WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objsubid = 1 \
       AND l.objid::bigint = ANY($1) AND l.pid <> pg_backend_pid() \
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
     ORDER BY a.backend_start LIMIT 1";

/// Sessions holding granted locks on relations of this database named `$1` (a `text[]`),
/// strongest first: pid, application_name, user, state, query, relation, mode, seconds in state.
pub const TABLE_LOCK_HOLDERS: &str = "SELECT a.pid, coalesce(a.application_name, ''), \
       coalesce(a.usename::text, ''), coalesce(a.state, ''), coalesce(a.query, ''), \
       c.relname::text, l.mode, \
       coalesce(extract(epoch FROM now() - a.state_change), 0)::float8 \
     FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_stat_activity a ON a.pid = l.pid \
     WHERE l.locktype = 'relation' AND l.granted AND l.pid <> pg_backend_pid() \
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
       AND c.relname = ANY($1) \
     ORDER BY l.mode = 'AccessExclusiveLock' DESC, a.pid LIMIT 3";

/// Statements for one set of tables (compatibility table, ledger, log) in one schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSql {
    /// golang-migrate's exact `CREATE TABLE IF NOT EXISTS` for the compatibility table.
    pub create_compat: String,
    /// The ledger's `CREATE TABLE IF NOT EXISTS`.
    pub create_ledger: String,
    /// Upgrade a ledger created before the down part's checksum was recorded.
    pub add_down_checksum: String,
    /// The log's `CREATE TABLE IF NOT EXISTS`.
    pub create_log: String,
    /// golang-migrate's version read.
    pub select_compat: String,
    /// Empty the compatibility table.
    pub clear_compat: String,
    /// Insert the one compatibility row (`$1` version, `$2` dirty).
    pub insert_compat: String,
    /// Ledger rows in ascending version order.
    pub select_ledger: String,
    /// [`TableSql::select_ledger`] on a ledger not upgraded yet (read-only commands never
    /// upgrade it): no down checksum.
    pub select_ledger_without_down: String,
    /// Insert a ledger row (`$1`..`$8`; `$9` the applied-at time as RFC 3339 text, empty for
    /// now; `$10` the down file's checksum). Never an upsert: a version already recorded fails
    /// (unique violation on the primary key), so a double apply becomes an error instead of an
    /// overwrite.
    pub insert_ledger: String,
    /// [`TableSql::insert_ledger`] for a ledger without the `down_checksum` column (one this
    /// role could not upgrade): `$10` is not recorded.
    pub insert_ledger_without_down: String,
    /// Delete a ledger row (`$1` version).
    pub delete_ledger: String,
    /// Append a log entry (`$1`..`$8`).
    pub insert_log: String,
    /// Open a batch item's log entry when the item starts (`$1` action, `$2` version): `at` is
    /// the start time and `duration_ms` is -1 until [`TableSql::close_log`]. Short, since it
    /// comes before the body (`pg_stat_activity` shows a message's first kilobyte).
    pub open_log: String,
    /// Complete the open log entry of version `$2` (`$1`..`$8` of [`TableSql::insert_log`]
    /// but `$6`): its duration is the time since `at`, returned as `strata_item_ms`.
    pub close_log: String,
    /// The duration of version `$1`'s newest log entry (a batch item's ledger row takes it
    /// from its closed log entry).
    pub logged_duration: String,
    /// The newest log entry other than `fail` (action, version, name, detail): read while the
    /// row is dirty, to name the statement the interrupted migration reached.
    pub select_last_reached: String,
}

impl TableSql {
    /// Build the statements for `tables` in `schema`.
    pub fn new(schema: &str, tables: &TableNames) -> TableSql {
        let compat = qualified(schema, &tables.compat);
        let ledger = qualified(schema, &tables.ledger);
        let log = qualified(schema, &tables.log);
        TableSql {
            create_compat: format!(
                "CREATE TABLE IF NOT EXISTS {compat} (version bigint not null primary key, dirty boolean not null)"
            ),
            create_ledger: format!(
                "CREATE TABLE IF NOT EXISTS {ledger} (\
                 version bigint PRIMARY KEY, \
                 name text NOT NULL DEFAULT '', \
                 checksum text NULL, \
                 batch bigint NOT NULL DEFAULT 0, \
                 applied_at timestamptz NOT NULL DEFAULT now(), \
                 duration_ms bigint NOT NULL DEFAULT 0, \
                 applied_by text NOT NULL DEFAULT '', \
                 mode text NOT NULL DEFAULT 'transaction', \
                 origin text NOT NULL DEFAULT 'applied', \
                 down_checksum text NULL)"
            ),
            add_down_checksum: format!(
                "ALTER TABLE {ledger} ADD COLUMN IF NOT EXISTS down_checksum text NULL"
            ),
            create_log: format!(
                "CREATE TABLE IF NOT EXISTS {log} (\
                 id bigserial PRIMARY KEY, \
                 action text NOT NULL, \
                 version bigint NULL, \
                 name text NOT NULL DEFAULT '', \
                 batch bigint NULL, \
                 checksum text NULL, \
                 duration_ms bigint NOT NULL DEFAULT 0, \
                 actor text NOT NULL DEFAULT '', \
                 detail text NOT NULL DEFAULT '', \
                 at timestamptz NOT NULL DEFAULT now())"
            ),
            select_compat: format!("SELECT version, dirty FROM {compat} LIMIT 1"),
            clear_compat: format!("DELETE FROM {compat}"),
            insert_compat: format!("INSERT INTO {compat} (version, dirty) VALUES ($1, $2)"),
            select_ledger: format!(
                "SELECT version, name, checksum, batch, \
                 to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), \
                 duration_ms, applied_by, mode, origin, down_checksum \
                 FROM {ledger} ORDER BY version"
            ),
            select_ledger_without_down: format!(
                "SELECT version, name, checksum, batch, \
                 to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), \
                 duration_ms, applied_by, mode, origin, NULL::text \
                 FROM {ledger} ORDER BY version"
            ),
            insert_ledger: format!(
                "INSERT INTO {ledger} (version, name, checksum, batch, duration_ms, applied_by, mode, origin, applied_at, down_checksum) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce(nullif($9::text, '')::timestamptz, now()), $10)"
            ),
            insert_ledger_without_down: format!(
                "INSERT INTO {ledger} (version, name, checksum, batch, duration_ms, applied_by, mode, origin, applied_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce(nullif($9::text, '')::timestamptz, now()))"
            ),
            delete_ledger: format!("DELETE FROM {ledger} WHERE version = $1"),
            insert_log: format!(
                "INSERT INTO {log} (action, version, name, batch, checksum, duration_ms, actor, detail) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            ),
            open_log: format!(
                "INSERT INTO {log} (action, version, duration_ms, at) VALUES ($1, $2, {OPEN}, clock_timestamp())"
            ),
            close_log: format!(
                "UPDATE {log} SET name = $3, batch = $4, checksum = $5, actor = $7, detail = $8, \
                 duration_ms = (extract(epoch FROM clock_timestamp() - at) * 1000)::bigint \
                 WHERE duration_ms = {OPEN} AND action = $1 AND version IS NOT DISTINCT FROM $2 \
                 RETURNING duration_ms AS strata_item_ms"
            ),
            logged_duration: format!(
                "coalesce((SELECT duration_ms FROM {log} WHERE version = $1 ORDER BY id DESC LIMIT 1), 0)"
            ),
            select_last_reached: format!(
                "SELECT action, version, name, detail FROM {log} \
                 WHERE action <> 'fail' ORDER BY id DESC LIMIT 1"
            ),
        }
    }
}

impl TableSql {
    /// Read and write a ledger that has no `down_checksum` column (and cannot be given one):
    /// rows are recorded without the down file's checksum, and read as having none.
    pub fn without_down_checksum(&mut self) {
        self.insert_ledger = self.insert_ledger_without_down.clone();
        self.select_ledger = self.select_ledger_without_down.clone();
    }
}

/// `duration_ms` of a log entry still open: visible only to the transaction writing it, which
/// closes it before committing.
const OPEN: i64 = -1;

impl TableSql {
    /// `writes` as SQL text (statements ending in `;`), for sending in one message with
    /// `COMMIT`. Same effect as binding them one by one: golang-migrate's one row replaced (and
    /// its `-1` rule), ledger rows inserted or deleted, log appends.
    pub fn writes_sql(&self, writes: &[LedgerWrite]) -> String {
        self.render_writes(writes, false)
    }

    /// For a batch item, before its body: its log entries, opened with the item's start time.
    /// The server times each item from there — not from session state, which a migration may
    /// reset (`RESET ALL`), nor from `now()`, which is the whole message's arrival.
    pub fn timed_start_sql(&self, writes: &[LedgerWrite]) -> String {
        let mut sql = String::new();
        for w in writes {
            if let LedgerWrite::Log(e) = w {
                let _ = writeln!(sql, "{};", bind(&self.open_log, &log_values(e, "")));
            }
        }
        sql
    }

    /// For a batch item, after its body: [`TableSql::writes_sql`] with the log entries opened
    /// by [`TableSql::timed_start_sql`] closed first (returning the item's duration as
    /// `strata_item_ms`, so one message reports every item's time) and the ledger row given
    /// the same duration.
    pub fn timed_writes_sql(&self, writes: &[LedgerWrite]) -> String {
        let mut sql = String::new();
        for w in writes {
            if let LedgerWrite::Log(e) = w {
                let _ = writeln!(sql, "{};", bind(&self.close_log, &log_values(e, "")));
            }
        }
        sql.push_str(&self.render_writes(writes, true));
        sql
    }

    fn render_writes(&self, writes: &[LedgerWrite], timed: bool) -> String {
        let mut sql = String::new();
        for w in writes {
            match w {
                LedgerWrite::SetCompat(row) => {
                    let _ = writeln!(sql, "{};", self.clear_compat);
                    if let Some(CompatRow { version, dirty }) = row {
                        if *version >= 0 || *dirty {
                            let _ = writeln!(
                                sql,
                                "{};",
                                self.insert_compat
                                    .replace("$1", &version.to_string())
                                    .replace("$2", if *dirty { "true" } else { "false" })
                            );
                        }
                    }
                }
                LedgerWrite::Insert(m) => {
                    let values = [
                        (m.version as i64).to_string(),
                        quote_literal(&m.name),
                        opt_literal(m.checksum.as_deref()),
                        m.batch.to_string(),
                        if timed {
                            bind(&self.logged_duration, &[(m.version as i64).to_string()])
                        } else {
                            m.duration_ms.to_string()
                        },
                        quote_literal(&m.applied_by),
                        quote_literal(m.mode.as_str()),
                        quote_literal(m.origin.as_str()),
                        quote_literal(&m.applied_at),
                        opt_literal(m.down_checksum.as_deref()),
                    ];
                    let _ = writeln!(sql, "{};", bind(&self.insert_ledger, &values));
                }
                LedgerWrite::Delete(v) => {
                    let _ = writeln!(
                        sql,
                        "{};",
                        bind(&self.delete_ledger, &[(*v as i64).to_string()])
                    );
                }
                // Batch items' entries were opened before the body and closed above.
                LedgerWrite::Log(_) if timed => {}
                LedgerWrite::Log(e) => {
                    let duration = e.duration_ms.to_string();
                    let _ = writeln!(
                        sql,
                        "{};",
                        bind(&self.insert_log, &log_values(e, &duration))
                    );
                }
            }
        }
        sql
    }
}

/// A log entry's values for [`TableSql::insert_log`] (`$1`..`$8`, `$6` the duration).
fn log_values(e: &strata_core::ledger::LogEntry, duration: &str) -> [String; 8] {
    [
        quote_literal(e.action.as_str()),
        opt_int(e.version.map(|v| v as i64)),
        quote_literal(&e.name),
        opt_int(e.batch),
        opt_literal(e.checksum.as_deref()),
        duration.to_string(),
        quote_literal(&e.actor),
        quote_literal(&e.detail),
    ]
}

/// Replace the placeholders `$1`..`$n` of `template` in one pass, so a value that itself
/// contains `$1` is never substituted again.
fn bind(template: &str, values: &[String]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let digits = rest[i + 1..].bytes().take_while(u8::is_ascii_digit).count();
        let n: usize = rest[i + 1..i + 1 + digits].parse().unwrap_or(0);
        match values.get(n.wrapping_sub(1)) {
            Some(v) if digits > 0 => out.push_str(v),
            _ => out.push_str(&rest[i..i + 1 + digits]),
        }
        rest = &rest[i + 1 + digits..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_core::ledger::{Action, AppliedMigration, LogEntry, Origin};
    use strata_core::TxMode;

    #[test]
    fn a_ledger_without_down_checksum_is_written_and_read_without_it() {
        let mut s = TableSql::new("public", &TableNames::default());
        s.without_down_checksum();
        let sql = s.writes_sql(&[LedgerWrite::Insert(AppliedMigration {
            version: 7,
            name: "x".into(),
            checksum: Some("ab".into()),
            down_checksum: Some("cd".into()),
            batch: 2,
            applied_at: String::new(),
            duration_ms: 5,
            applied_by: "me".into(),
            mode: TxMode::Transaction,
            origin: Origin::Applied,
        })]);
        assert!(!sql.contains("down_checksum"), "{sql}");
        assert!(!sql.contains("E'cd'"), "{sql}");
        assert!(sql.contains("now()));"), "{sql}");
        assert!(
            !s.select_ledger.contains("down_checksum"),
            "{}",
            s.select_ledger
        );
    }

    #[test]
    fn writes_sql_quotes_every_value_and_follows_the_minus_one_rule() {
        let s = TableSql::new("public", &TableNames::default());
        let sql = s.writes_sql(&[
            LedgerWrite::Insert(AppliedMigration {
                version: 7,
                name: "o'brien $1 \\".into(),
                checksum: None,
                down_checksum: Some("cd".into()),
                batch: 2,
                applied_at: String::new(),
                duration_ms: 5,
                applied_by: "me@host".into(),
                mode: TxMode::Transaction,
                origin: Origin::Applied,
            }),
            LedgerWrite::SetCompat(Some(CompatRow {
                version: 7,
                dirty: false,
            })),
            LedgerWrite::SetCompat(Some(CompatRow {
                version: -1,
                dirty: false,
            })),
            LedgerWrite::Log(LogEntry {
                action: Action::Up,
                version: Some(7),
                name: "x".into(),
                batch: None,
                checksum: Some("ab".into()),
                duration_ms: 0,
                actor: "me".into(),
                detail: "'); DROP TABLE t; --".into(),
            }),
        ]);
        assert!(sql.contains("VALUES (7, E'o''brien $1 \\\\', NULL, 2, 5, E'me@host', E'transaction', E'applied', coalesce(nullif(E''::text, '')::timestamptz, now()), E'cd')"), "{sql}");
        assert!(
            sql.contains(
                "INSERT INTO \"public\".\"schema_migrations\" (version, dirty) VALUES (7, false);"
            ),
            "{sql}"
        );
        assert_eq!(
            sql.matches("INSERT INTO \"public\".\"schema_migrations\" (")
                .count(),
            1,
            "(-1, clean) is an empty table: {sql}"
        );
        assert!(
            sql.contains(
                "VALUES (E'up', 7, E'x', NULL, E'ab', 0, E'me', E'''); DROP TABLE t; --');"
            ),
            "{sql}"
        );
    }

    #[test]
    fn batch_items_are_timed_from_their_opened_log_entry_not_session_state() {
        let s = TableSql::new("public", &TableNames::default());
        let writes = [
            LedgerWrite::Insert(AppliedMigration {
                version: 7,
                name: "x".into(),
                checksum: None,
                down_checksum: None,
                batch: 2,
                applied_at: String::new(),
                duration_ms: 0,
                applied_by: "me".into(),
                mode: TxMode::Transaction,
                origin: Origin::Applied,
            }),
            LedgerWrite::Log(LogEntry {
                action: Action::Up,
                version: Some(7),
                name: "x".into(),
                batch: Some(2),
                checksum: None,
                duration_ms: 0,
                actor: "me".into(),
                detail: String::new(),
            }),
        ];
        let start = s.timed_start_sql(&writes);
        assert_eq!(
            start,
            "INSERT INTO \"public\".\"schema_migrations_log\" (action, version, duration_ms, at) VALUES (E'up', 7, -1, clock_timestamp());\n"
        );
        let end = s.timed_writes_sql(&writes);
        let close = end
            .find("UPDATE \"public\".\"schema_migrations_log\" SET name = E'x', batch = 2")
            .unwrap();
        let ledger = end
            .find("INSERT INTO \"public\".\"schema_migrations_ledger\"")
            .unwrap();
        assert!(
            close < ledger,
            "closed before the ledger row takes its duration: {end}"
        );
        assert!(end.contains("WHERE duration_ms = -1 AND action = E'up' AND version IS NOT DISTINCT FROM 7 RETURNING duration_ms AS strata_item_ms"), "{end}");
        assert!(
            !end.contains("INSERT INTO \"public\".\"schema_migrations_log\""),
            "{end}"
        );
        assert!(!end.contains("current_setting"), "{end}");
    }

    #[test]
    fn compat_table_is_golang_migrates_exact_text() {
        let s = TableSql::new("public", &TableNames::default());
        assert_eq!(
            s.create_compat,
            "CREATE TABLE IF NOT EXISTS \"public\".\"schema_migrations\" (version bigint not null primary key, dirty boolean not null)"
        );
        assert_eq!(
            s.select_compat,
            "SELECT version, dirty FROM \"public\".\"schema_migrations\" LIMIT 1"
        );
        assert_eq!(
            s.clear_compat,
            "DELETE FROM \"public\".\"schema_migrations\""
        );
        assert_eq!(
            s.insert_compat,
            "INSERT INTO \"public\".\"schema_migrations\" (version, dirty) VALUES ($1, $2)"
        );
        assert!(s
            .create_ledger
            .starts_with("CREATE TABLE IF NOT EXISTS \"public\".\"schema_migrations_ledger\" ("));
        assert!(s
            .create_log
            .starts_with("CREATE TABLE IF NOT EXISTS \"public\".\"schema_migrations_log\" ("));
    }

    #[test]
    fn identifiers_are_quoted_and_injection_is_inert() {
        let t = TableNames::new(None, "a\";drop table x;--");
        let s = TableSql::new("my \"schema\"", &t);
        assert_eq!(
            s.clear_compat,
            "DELETE FROM \"my \"\"schema\"\"\".\"a\"\";drop table x;--\""
        );
        assert_eq!(quote_ident("nul\0after"), "\"nul\"");
    }
}
