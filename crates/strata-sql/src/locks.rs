//! Which table a statement touches and the PostgreSQL table-level lock it takes there, read from
//! its leading keywords (no parser: common DDL and DML only).
//!
//! The levels follow PostgreSQL's "Explicit Locking" chapter (table-level lock modes, and the
//! lock each `ALTER TABLE` subcommand takes). Where a statement has several subcommands the
//! strongest wins, so anything but a single recognised lighter subcommand is `ACCESS EXCLUSIVE`.
use crate::words::Words;
use crate::Dialect;

/// A PostgreSQL table-level lock mode, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LockLevel {
    /// `SELECT`: conflicts only with `ACCESS EXCLUSIVE`.
    AccessShare,
    /// `SELECT ... FOR UPDATE`.
    RowShare,
    /// `INSERT`, `UPDATE`, `DELETE`: conflicts with `SHARE` and stronger.
    RowExclusive,
    /// `VACUUM`, `ANALYZE`, `CREATE INDEX CONCURRENTLY`, `VALIDATE CONSTRAINT`: writes go on.
    ShareUpdateExclusive,
    /// `CREATE INDEX`: blocks writes, not reads.
    Share,
    /// `CREATE TRIGGER`, `ADD FOREIGN KEY`: blocks writes, not reads.
    ShareRowExclusive,
    /// `REFRESH MATERIALIZED VIEW CONCURRENTLY`: only reads go on.
    Exclusive,
    /// Most `ALTER TABLE`, `DROP`, `TRUNCATE`: blocks everything, reads included.
    AccessExclusive,
}

impl LockLevel {
    /// The mode's SQL name, e.g. `ACCESS EXCLUSIVE`.
    pub fn as_str(self) -> &'static str {
        NAMES[self as usize].0
    }

    /// The name `pg_locks.mode` uses, e.g. `AccessExclusiveLock`.
    pub fn pg_locks_mode(self) -> &'static str {
        NAMES[self as usize].1
    }

    /// Whether plain `SELECT`s on the table wait while this lock is held (or queued).
    pub fn blocks_reads(self) -> bool {
        self == LockLevel::AccessExclusive
    }

    /// Whether `INSERT`/`UPDATE`/`DELETE` on the table wait while this lock is held.
    pub fn blocks_writes(self) -> bool {
        self >= LockLevel::Share
    }
}

/// SQL name and `pg_locks.mode` name of each [`LockLevel`], in declaration order.
const NAMES: [(&str, &str); 8] = [
    ("ACCESS SHARE", "AccessShareLock"),
    ("ROW SHARE", "RowShareLock"),
    ("ROW EXCLUSIVE", "RowExclusiveLock"),
    ("SHARE UPDATE EXCLUSIVE", "ShareUpdateExclusiveLock"),
    ("SHARE", "ShareLock"),
    ("SHARE ROW EXCLUSIVE", "ShareRowExclusiveLock"),
    ("EXCLUSIVE", "ExclusiveLock"),
    ("ACCESS EXCLUSIVE", "AccessExclusiveLock"),
];

/// The table a statement works on and the lock it takes there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableLock {
    /// The table as written, possibly schema-qualified and quoted, e.g. `public."Users"`; for a
    /// statement that names an index instead (`DROP INDEX`, see [`TableLock::index`]), the
    /// index as written.
    pub table: String,
    /// Whether the statement names an index (`DROP INDEX`): the lock is then on that index's
    /// table, which only the catalog (or the `CREATE INDEX` that made it) can tell.
    pub index: bool,
    /// The further tables (or indexes) the statement names in the same list, as written, each
    /// taking the same lock: `DROP INDEX a, b`, `TRUNCATE a, b`, `LOCK TABLE a, b`.
    pub more: Vec<String>,
    /// The lock taken on it.
    pub lock: LockLevel,
    /// What the statement is, e.g. `ALTER TABLE`, `CREATE INDEX CONCURRENTLY`, `INSERT`.
    pub verb: &'static str,
}

/// The table `statement` touches and the lock it needs, for common DDL and DML; `None` for
/// anything else (or when no table name follows).
///
/// ```
/// use strata_sql::{table_lock, Dialect, LockLevel};
/// let t = table_lock("ALTER TABLE public.users ADD COLUMN a int;", Dialect::Postgres).unwrap();
/// assert_eq!((t.table.as_str(), t.lock, t.verb), ("public.users", LockLevel::AccessExclusive, "ALTER TABLE"));
/// let t = table_lock("create index concurrently if not exists i on \"Users\" (a)", Dialect::Postgres).unwrap();
/// assert_eq!((t.table.as_str(), t.lock), ("\"Users\"", LockLevel::ShareUpdateExclusive));
/// assert_eq!(table_lock("SELECT 1", Dialect::Postgres), None);
/// ```
pub fn table_lock(statement: &str, dialect: Dialect) -> Option<TableLock> {
    let t = Words::new(statement, dialect);
    let found = |i: usize, lock: LockLevel, verb: &'static str| {
        t.name_at(i).map(|table| TableLock {
            table,
            index: false,
            more: t.more_names_at(i),
            lock,
            verb,
        })
    };
    let index = |lock: Option<TableLock>| lock.map(|l| TableLock { index: true, ..l });
    use LockLevel::*;
    match t.get(0) {
        "ALTER" if t.get(1) == "TABLE" => {
            let i = t.skip(2, &[&["IF", "EXISTS"], &["ONLY"]]);
            found(i, alter_table_lock(&t, i + 1), "ALTER TABLE")
        }
        "CREATE" => {
            let mut i = 1;
            if t.get(i) == "UNIQUE" {
                i += 1;
            }
            if t.get(i) == "INDEX" {
                let concurrently = t.get(i + 1) == "CONCURRENTLY";
                let on = (i..t.len()).find(|&j| t.get(j) == "ON")?;
                let on = t.skip(on + 1, &[&["ONLY"]]);
                return if concurrently {
                    found(on, ShareUpdateExclusive, "CREATE INDEX CONCURRENTLY")
                } else {
                    found(on, Share, "CREATE INDEX")
                };
            }
            let i = t.skip(1, &[&["OR", "REPLACE"]]);
            if t.get(i) == "TRIGGER" || t.get(i) == "CONSTRAINT" && t.get(i + 1) == "TRIGGER" {
                let on = (i..t.len()).find(|&j| t.get(j) == "ON")?;
                return found(on + 1, ShareRowExclusive, "CREATE TRIGGER");
            }
            let i = t.skip(
                1,
                &[
                    &["GLOBAL"],
                    &["LOCAL"],
                    &["TEMP"],
                    &["TEMPORARY"],
                    &["UNLOGGED"],
                ],
            );
            if t.get(i) == "TABLE" {
                let i = t.skip(i + 1, &[&["IF", "NOT", "EXISTS"]]);
                return found(i, AccessExclusive, "CREATE TABLE");
            }
            None
        }
        "DROP" => match t.get(1) {
            "TABLE" => found(
                t.skip(2, &[&["IF", "EXISTS"]]),
                AccessExclusive,
                "DROP TABLE",
            ),
            "INDEX" if t.get(2) == "CONCURRENTLY" => index(found(
                t.skip(3, &[&["IF", "EXISTS"]]),
                ShareUpdateExclusive,
                "DROP INDEX CONCURRENTLY",
            )),
            "INDEX" => index(found(
                t.skip(2, &[&["IF", "EXISTS"]]),
                AccessExclusive,
                "DROP INDEX",
            )),
            _ => None,
        },
        "TRUNCATE" => found(
            t.skip(1, &[&["TABLE"], &["ONLY"]]),
            AccessExclusive,
            "TRUNCATE",
        ),
        "INSERT" if t.get(1) == "INTO" => found(2, RowExclusive, "INSERT"),
        "UPDATE" => found(t.skip(1, &[&["ONLY"]]), RowExclusive, "UPDATE"),
        "DELETE" if t.get(1) == "FROM" => found(t.skip(2, &[&["ONLY"]]), RowExclusive, "DELETE"),
        "LOCK" => {
            let i = t.skip(1, &[&["TABLE"], &["ONLY"]]);
            let lock = match (i..t.len()).find(|&j| t.get(j) == "IN") {
                Some(j) => lock_mode(&t, j + 1),
                None => AccessExclusive,
            };
            found(i, lock, "LOCK TABLE")
        }
        "VACUUM" => {
            let full = t.get(1) == "FULL" || t.get(1) == "(" && t.get(2) == "FULL";
            let i = t.skip(
                t.skip_parens(1),
                &[&["FULL"], &["FREEZE"], &["VERBOSE"], &["ANALYZE"]],
            );
            if full {
                found(i, AccessExclusive, "VACUUM FULL")
            } else {
                found(i, ShareUpdateExclusive, "VACUUM")
            }
        }
        "ANALYZE" | "ANALYSE" => found(
            t.skip(t.skip_parens(1), &[&["VERBOSE"]]),
            ShareUpdateExclusive,
            "ANALYZE",
        ),
        "CLUSTER" => found(
            t.skip(t.skip_parens(1), &[&["VERBOSE"]]),
            AccessExclusive,
            "CLUSTER",
        ),
        "REINDEX" => {
            let i = t.skip_parens(1);
            if t.get(i) != "TABLE" {
                return None;
            }
            if t.get(i + 1) == "CONCURRENTLY" {
                found(i + 2, ShareUpdateExclusive, "REINDEX TABLE CONCURRENTLY")
            } else {
                found(i + 1, Share, "REINDEX TABLE")
            }
        }
        "REFRESH" if t.get(1) == "MATERIALIZED" => {
            if t.get(3) == "CONCURRENTLY" {
                found(4, Exclusive, "REFRESH MATERIALIZED VIEW CONCURRENTLY")
            } else {
                found(3, AccessExclusive, "REFRESH MATERIALIZED VIEW")
            }
        }
        _ => None,
    }
}

/// The lock an `ALTER TABLE` takes, given the index of its first subcommand token.
fn alter_table_lock(t: &Words, i: usize) -> LockLevel {
    use LockLevel::*;
    // Several subcommands (a top-level comma): the strongest wins; assume the worst.
    if t.has_top_level_comma(i) {
        return AccessExclusive;
    }
    let has = |w: &str| (i..t.len()).any(|j| t.get(j) == w);
    match t.get(i) {
        "ADD" if has("FOREIGN") || (has("REFERENCES") && !has("COLUMN")) => ShareRowExclusive,
        "VALIDATE" => ShareUpdateExclusive,
        "ENABLE" | "DISABLE" if has("TRIGGER") => ShareRowExclusive,
        "ATTACH" => ShareUpdateExclusive,
        "DETACH" if has("CONCURRENTLY") => ShareUpdateExclusive,
        "CLUSTER" => ShareUpdateExclusive,
        "SET" if t.get(i + 1) == "WITHOUT" && t.get(i + 2) == "CLUSTER" => ShareUpdateExclusive,
        "ALTER" if has("STATISTICS") => ShareUpdateExclusive,
        _ => AccessExclusive,
    }
}

/// `LOCK ... IN <mode> MODE`.
fn lock_mode(t: &Words, i: usize) -> LockLevel {
    use LockLevel::*;
    match (t.get(i), t.get(i + 1), t.get(i + 2)) {
        ("ACCESS", "SHARE", _) => AccessShare,
        ("ROW", "SHARE", _) => RowShare,
        ("ROW", "EXCLUSIVE", _) => RowExclusive,
        ("SHARE", "UPDATE", _) => ShareUpdateExclusive,
        ("SHARE", "ROW", _) => ShareRowExclusive,
        ("SHARE", _, _) => Share,
        ("EXCLUSIVE", _, _) => Exclusive,
        _ => AccessExclusive,
    }
}

/// Significant tokens: upper-cased words (for matching) beside their original text.
/// The index a `CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] name ON table ...`
/// statement builds and its table, both as written; the index is qualified with the table's
/// schema when the table is qualified (an index lives beside its table). `None` for any other
/// statement, and for an unnamed index.
///
/// ```
/// use strata_sql::{created_index, Dialect};
/// let sql = "CREATE UNIQUE INDEX users_email ON app.users (email);";
/// assert_eq!(
///     created_index(sql, Dialect::Postgres),
///     Some(("app.users_email".to_string(), "app.users".to_string()))
/// );
/// assert_eq!(created_index("CREATE INDEX ON t (a)", Dialect::Postgres), None);
/// ```
pub fn created_index(statement: &str, dialect: Dialect) -> Option<(String, String)> {
    let t = Words::new(statement, dialect);
    if t.get(0) != "CREATE" {
        return None;
    }
    let mut i = 1;
    if t.get(i) == "UNIQUE" {
        i += 1;
    }
    if t.get(i) != "INDEX" {
        return None;
    }
    let i = t.skip(i + 1, &[&["CONCURRENTLY"], &["IF", "NOT", "EXISTS"]]);
    if t.get(i) == "ON" {
        return None;
    }
    let name = t.name_at(i)?;
    let on = (i..t.len()).find(|&j| t.get(j) == "ON")?;
    let table = t.name_at(t.skip(on + 1, &[&["ONLY"]]))?;
    let name = match split_schema(&table) {
        Some(schema) if !name.contains('.') => format!("{schema}.{name}"),
        _ => name,
    };
    Some((name, table))
}

/// The index a `CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name ON table ...` statement
/// builds, as written; an unqualified name is qualified with the table's schema when the table
/// is qualified (the index lives beside its table). `None` for any other statement, and for an
/// unnamed concurrent index (the server picks the name).
///
/// ```
/// use strata_sql::{concurrent_index_name, Dialect};
/// let sql = "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email ON app.users (email);";
/// assert_eq!(concurrent_index_name(sql, Dialect::Postgres).as_deref(), Some("app.users_email"));
/// assert_eq!(concurrent_index_name("CREATE INDEX i ON t (a)", Dialect::Postgres), None);
/// ```
pub fn concurrent_index_name(statement: &str, dialect: Dialect) -> Option<String> {
    let t = Words::new(statement, dialect);
    if t.get(0) != "CREATE" {
        return None;
    }
    let mut i = 1;
    if t.get(i) == "UNIQUE" {
        i += 1;
    }
    if t.get(i) != "INDEX" || t.get(i + 1) != "CONCURRENTLY" {
        return None;
    }
    let i = t.skip(i + 2, &[&["IF", "NOT", "EXISTS"]]);
    if t.get(i) == "ON" {
        return None;
    }
    let name = t.name_at(i)?;
    if name.contains('.') {
        return Some(name);
    }
    let on = (i..t.len()).find(|&j| t.get(j) == "ON")?;
    let table = t.name_at(t.skip(on + 1, &[&["ONLY"]]));
    match table.as_deref().and_then(|tb| split_schema(tb)) {
        Some(schema) => Some(format!("{schema}.{name}")),
        None => Some(name),
    }
}

/// A name as written, folded as PostgreSQL compares names: unquoted parts lower-cased, quoted
/// ones kept as they are without their quotes (`S."Users"` → `s.Users`).
///
/// ```
/// assert_eq!(strata_sql::fold_name("App.\"Users\""), "app.Users");
/// ```
pub fn fold_name(name: &str) -> String {
    name.split('.')
        .map(
            |part| match part.strip_prefix('"').and_then(|p| p.strip_suffix('"')) {
                Some(quoted) => quoted.to_string(),
                None => part.to_lowercase(),
            },
        )
        .collect::<Vec<_>>()
        .join(".")
}

/// The schema part of a qualified name as written (`a."B".c` → `a."B"`), if any. Dots inside
/// quotes do not count.
fn split_schema(name: &str) -> Option<&str> {
    let mut quoted = false;
    let mut last = None;
    for (i, c) in name.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '.' if !quoted => last = Some(i),
            _ => {}
        }
    }
    last.map(|i| &name[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_index_names_as_written_and_qualified_like_their_table() {
        let name = |sql: &str| concurrent_index_name(sql, Dialect::Postgres);
        assert_eq!(
            name("CREATE INDEX CONCURRENTLY users_email ON users (email);").as_deref(),
            Some("users_email")
        );
        assert_eq!(
            name("create unique index concurrently if not exists \"Idx\" on s.\"T.x\" (a)")
                .as_deref(),
            Some("s.\"Idx\"")
        );
        assert_eq!(
            name("-- build it\nCREATE INDEX CONCURRENTLY s.i ON s.t (a)").as_deref(),
            Some("s.i")
        );
        assert_eq!(
            name("CREATE INDEX CONCURRENTLY i ON ONLY \"S\".t (a)").as_deref(),
            Some("\"S\".i")
        );
        // Unnamed, not concurrent, or not an index: nothing to check.
        assert_eq!(name("CREATE INDEX CONCURRENTLY ON t (a)"), None);
        assert_eq!(name("CREATE INDEX i ON t (a)"), None);
        assert_eq!(name("DROP INDEX CONCURRENTLY i"), None);
        assert_eq!(name("SELECT 'CREATE INDEX CONCURRENTLY i ON t (a)'"), None);
    }
    use LockLevel::*;

    fn lock(sql: &str) -> Option<(String, LockLevel, &'static str)> {
        table_lock(sql, Dialect::Postgres).map(|t| (t.table, t.lock, t.verb))
    }

    fn is(sql: &str, table: &str, level: LockLevel) {
        let got = lock(sql).unwrap_or_else(|| panic!("no table in {sql:?}"));
        assert_eq!((got.0.as_str(), got.1), (table, level), "{sql}");
    }

    #[test]
    fn alter_table_is_access_exclusive_unless_one_lighter_subcommand() {
        is(
            "ALTER TABLE users ADD COLUMN a int NOT NULL",
            "users",
            AccessExclusive,
        );
        is(
            "alter table if exists only s.users rename to u",
            "s.users",
            AccessExclusive,
        );
        is(
            "ALTER TABLE t ALTER COLUMN a TYPE bigint",
            "t",
            AccessExclusive,
        );
        is(
            "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES users (id) NOT VALID",
            "orders",
            ShareRowExclusive,
        );
        is(
            "ALTER TABLE orders VALIDATE CONSTRAINT fk",
            "orders",
            ShareUpdateExclusive,
        );
        is("ALTER TABLE t DISABLE TRIGGER ALL", "t", ShareRowExclusive);
        is(
            "ALTER TABLE t ALTER COLUMN a SET STATISTICS 100",
            "t",
            ShareUpdateExclusive,
        );
        is(
            "ALTER TABLE p ATTACH PARTITION c FOR VALUES IN (1)",
            "p",
            ShareUpdateExclusive,
        );
        // Two subcommands: the strongest (ADD COLUMN) wins.
        is(
            "ALTER TABLE t VALIDATE CONSTRAINT c, ADD COLUMN b int",
            "t",
            AccessExclusive,
        );
        // A comma inside parentheses is not a second subcommand.
        is(
            "ALTER TABLE o ADD FOREIGN KEY (a, b) REFERENCES p (a, b)",
            "o",
            ShareRowExclusive,
        );
    }

    #[test]
    fn index_statements_lock_the_indexed_table() {
        is("CREATE INDEX i ON users (email)", "users", Share);
        is(
            "CREATE UNIQUE INDEX IF NOT EXISTS i ON ONLY \"Users\" (email)",
            "\"Users\"",
            Share,
        );
        is(
            "CREATE INDEX CONCURRENTLY ON users USING btree (email)",
            "users",
            ShareUpdateExclusive,
        );
        is(
            "DROP INDEX CONCURRENTLY IF EXISTS i",
            "i",
            ShareUpdateExclusive,
        );
        is("DROP INDEX i", "i", AccessExclusive);
        is("REINDEX TABLE CONCURRENTLY t", "t", ShareUpdateExclusive);
        is("REINDEX TABLE t", "t", Share);
    }

    #[test]
    fn every_name_of_a_list_is_kept() {
        let more = |sql: &str| table_lock(sql, Dialect::Postgres).unwrap().more;
        assert_eq!(more("DROP INDEX a, s.b, \"C\" CASCADE"), ["s.b", "\"C\""]);
        assert_eq!(more("DROP INDEX CONCURRENTLY IF EXISTS a, b"), ["b"]);
        assert_eq!(more("DROP TABLE x.a, b;"), ["b"]);
        assert_eq!(
            more("TRUNCATE ONLY a *, ONLY b, c RESTART IDENTITY"),
            ["b", "c"]
        );
        assert_eq!(more("DROP INDEX a"), Vec::<String>::new());
        assert_eq!(
            more("ALTER TABLE a ADD COLUMN b int, ADD COLUMN c int"),
            Vec::<String>::new()
        );
        assert_eq!(
            more("INSERT INTO a (x, y) VALUES (1, 2)"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn drop_index_names_an_index_whose_table_takes_the_lock() {
        let l = table_lock("DROP INDEX IF EXISTS s.t_i", Dialect::Postgres).unwrap();
        assert_eq!((l.table.as_str(), l.index), ("s.t_i", true));
        let l = table_lock("DROP INDEX CONCURRENTLY t_i", Dialect::Postgres).unwrap();
        assert!(l.index);
        let l = table_lock("CREATE INDEX t_i ON t (a)", Dialect::Postgres).unwrap();
        assert!(!l.index);
        assert!(!table_lock("DROP TABLE t", Dialect::Postgres).unwrap().index);
    }

    #[test]
    fn created_indexes_with_their_tables() {
        let c = |sql: &str| created_index(sql, Dialect::Postgres);
        let pair = |a: &str, b: &str| Some((a.to_string(), b.to_string()));
        assert_eq!(c("CREATE INDEX t_i ON t (a);"), pair("t_i", "t"));
        assert_eq!(
            c("create unique index concurrently if not exists \"I\" on only s.t (a)"),
            pair("s.\"I\"", "s.t")
        );
        assert_eq!(c("CREATE INDEX s.i ON t (a)"), pair("s.i", "t"));
        assert_eq!(c("CREATE INDEX ON t (a)"), None);
        assert_eq!(c("CREATE TABLE t (a int)"), None);
        assert_eq!(c("DROP INDEX i"), None);
    }

    #[test]
    fn data_and_maintenance_statements() {
        is("INSERT INTO s.t (a) VALUES (1)", "s.t", RowExclusive);
        is("UPDATE ONLY t SET a = 1", "t", RowExclusive);
        is("DELETE FROM t WHERE a = 1", "t", RowExclusive);
        is("TRUNCATE TABLE t", "t", AccessExclusive);
        is("DROP TABLE IF EXISTS t, u", "t", AccessExclusive);
        is(
            "CREATE UNLOGGED TABLE IF NOT EXISTS t (a int)",
            "t",
            AccessExclusive,
        );
        is(
            "CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
            "t",
            ShareRowExclusive,
        );
        is("VACUUM t", "t", ShareUpdateExclusive);
        is("VACUUM (FULL, VERBOSE) t", "t", AccessExclusive);
        is("ANALYZE t", "t", ShareUpdateExclusive);
        is(
            "LOCK TABLE t IN SHARE ROW EXCLUSIVE MODE",
            "t",
            ShareRowExclusive,
        );
        is("LOCK t", "t", AccessExclusive);
        is("REFRESH MATERIALIZED VIEW CONCURRENTLY mv", "mv", Exclusive);
    }

    #[test]
    fn other_statements_and_words_in_strings_have_no_table() {
        assert_eq!(lock("SELECT 1"), None);
        assert_eq!(
            lock("CREATE FUNCTION f() RETURNS int AS 'ALTER TABLE t' LANGUAGE sql"),
            None
        );
        assert_eq!(lock("-- ALTER TABLE t\nSELECT 1"), None);
        assert_eq!(lock("UPDATE"), None);
    }

    #[test]
    fn lock_names_and_what_they_block() {
        assert_eq!(AccessExclusive.as_str(), "ACCESS EXCLUSIVE");
        assert_eq!(
            ShareUpdateExclusive.pg_locks_mode(),
            "ShareUpdateExclusiveLock"
        );
        assert!(AccessExclusive.blocks_reads() && AccessExclusive.blocks_writes());
        assert!(Share.blocks_writes() && !Share.blocks_reads());
        assert!(!ShareUpdateExclusive.blocks_writes());
        assert!(!RowExclusive.blocks_writes());
    }
}
