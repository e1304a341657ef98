//! The real `strata` binary against a real PostgreSQL server: every command, golang-migrate's
//! `schema_migrations` row after each one, adoption of a golang-migrate database, the lock.
//! Execution modes and errors are in `pg_modes.rs`; connections, schemas and `drop` in
//! `pg_conn.rs`. Each test gets its own database (skipped, with a printed reason, when no
//! server can be had; under `CI=true` a missing server fails).

use crate::support::{three, Output, Project};
use strata_testkit::TestDb;

/// A fresh database plus a project, or return from the test when there is no server.
macro_rules! pg {
    () => {
        match $crate::pg::Pg::new() {
            Some(pg) => pg,
            None => return,
        }
    };
}
pub(crate) use pg;

/// A migrations project and its own PostgreSQL database.
pub struct Pg {
    pub p: Project,
    pub db: TestDb,
}

impl Pg {
    pub fn new() -> Option<Pg> {
        let db = TestDb::postgres()?;
        Some(Pg {
            p: Project::new(),
            db,
        })
    }

    /// `strata -path migrations -database <test db URL> ARGS`.
    pub fn run(&self, args: &[&str]) -> Output {
        self.p.run_on(&self.db.url, args)
    }

    /// `strata ... ARGS` with `query` added to the URL.
    pub fn run_with(&self, query: &str, args: &[&str]) -> Output {
        self.p.run_on(&self.db.url_with(query), args)
    }

    /// Every row of `<schema>.<table>` (golang-migrate's table), in table order.
    pub fn compat_in(&self, schema: &str, table: &str) -> Vec<(i64, bool)> {
        self.db
            .client()
            .query(
                &format!("SELECT version, dirty FROM \"{schema}\".\"{table}\""),
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    }

    /// Every row of `public.schema_migrations`: golang-migrate reads one row or none.
    pub fn compat(&self) -> Vec<(i64, bool)> {
        self.compat_in("public", "schema_migrations")
    }

    /// `(version, origin, mode)` of every ledger row.
    pub fn ledger(&self) -> Vec<(i64, String, String)> {
        self.db
            .client()
            .query(
                "SELECT version, origin, mode FROM public.schema_migrations_ledger ORDER BY version",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect()
    }

    pub fn ledger_versions(&self) -> Vec<i64> {
        self.ledger().into_iter().map(|(v, _, _)| v).collect()
    }

    /// User tables of `schema` (not the migrations tables), sorted.
    pub fn tables_in(&self, schema: &str) -> Vec<String> {
        self.db
            .client()
            .query(
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = $1 AND table_type = 'BASE TABLE' \
                   AND table_name::text NOT LIKE 'schema\\_migrations%' ORDER BY 1",
                &[&schema],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    pub fn tables(&self) -> Vec<String> {
        self.tables_in("public")
    }

    /// Every table of `schema`, migrations tables included, sorted.
    pub fn all_tables_in(&self, schema: &str) -> Vec<String> {
        self.db
            .client()
            .query(
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = $1 ORDER BY 1",
                &[&schema],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    /// Create golang-migrate's table exactly as its postgres driver does.
    pub fn golang_migrate_table(&self, row: Option<(i64, bool)>) {
        let mut c = self.db.client();
        c.batch_execute(
            "CREATE TABLE IF NOT EXISTS \"public\".\"schema_migrations\" \
             (version bigint not null primary key, dirty boolean not null)",
        )
        .unwrap();
        if let Some((v, d)) = row {
            c.execute(
                "INSERT INTO \"public\".\"schema_migrations\" (version, dirty) VALUES ($1, $2)",
                &[&v, &d],
            )
            .unwrap();
        }
    }
}

/// Three pairs creating tables a, b, c, with PostgreSQL types.
fn three_pg(pg: &Pg) {
    three(&pg.p);
}

fn applied(versions: &[i64]) -> Vec<(i64, String, String)> {
    versions
        .iter()
        .map(|v| (*v, "applied".to_string(), "transaction".to_string()))
        .collect()
}

#[test]
fn pg_up_applies_all_and_leaves_one_clean_row_at_the_highest_version() {
    let pg = pg!();
    three_pg(&pg);
    pg.run(&["up"])
        .ok()
        .stderr_has("1/u create_a (")
        .stderr_has("2/u create_b (")
        .stderr_has("3/u create_c (");
    assert_eq!(pg.tables(), ["a", "b", "c"]);
    assert_eq!(pg.compat(), [(3, false)]);
    assert_eq!(pg.ledger(), applied(&[1, 2, 3]));
    let (batch, by): (i64, String) = {
        let row = pg
            .db
            .client()
            .query_one(
                "SELECT batch, applied_by FROM schema_migrations_ledger WHERE version = 2",
                &[],
            )
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(batch, 1);
    assert!(by.starts_with("tester@"), "{by}");
    pg.run(&["up"]).ok().stderr_has("no change");
    assert_eq!(pg.compat(), [(3, false)]);
}

#[test]
fn pg_up_n_applies_n_and_reports_limit_short() {
    let pg = pg!();
    three_pg(&pg);
    pg.run(&["up", "2"]).ok();
    assert_eq!(pg.tables(), ["a", "b"]);
    assert_eq!(pg.compat(), [(2, false)]);
    pg.run(&["up", "2"]).code(1).stderr_has("limit 1 short");
    assert_eq!(pg.compat(), [(3, false)]);
    assert_eq!(pg.ledger_versions(), [1, 2, 3]);
}

#[test]
fn pg_down_n_reverts_newest_first_and_row_is_the_predecessor() {
    let pg = pg!();
    three_pg(&pg);
    pg.run(&["up"]).ok();
    pg.run(&["down", "2"])
        .ok()
        .stderr_has("3/d create_c (")
        .stderr_has("2/d create_b (");
    assert_eq!(pg.tables(), ["a"]);
    assert_eq!(pg.compat(), [(1, false)]);
    assert_eq!(pg.ledger_versions(), [1]);
}

#[test]
fn pg_down_all_empties_the_compat_table() {
    let pg = pg!();
    three_pg(&pg);
    pg.run(&["up"]).ok();
    pg.run(&["down", "-all"]).ok();
    assert!(pg.tables().is_empty());
    // golang-migrate's "nothing applied" is an empty table, not a -1 row.
    assert_eq!(pg.compat(), []);
    assert!(pg.ledger_versions().is_empty());
    pg.run(&["down", "-all"]).ok().stderr_has("no change");
}

#[test]
fn pg_bare_down_without_terminal_is_refused_and_changes_nothing() {
    let pg = pg!();
    three_pg(&pg);
    pg.run(&["up"]).ok();
    pg.run(&["down"])
        .code(1)
        .stderr_has("Are you sure you want to apply all down migrations? [y/N]")
        .stderr_has("Not applying all down migrations");
    assert_eq!(pg.tables(), ["a", "b", "c"]);
    assert_eq!(pg.compat(), [(3, false)]);
}

#[test]
fn pg_goto_moves_both_ways_and_the_row_follows() {
    let pg = pg!();
    three_pg(&pg);
    pg.run(&["goto", "2"]).ok();
    assert_eq!(pg.compat(), [(2, false)]);
    assert_eq!(pg.tables(), ["a", "b"]);
    pg.run(&["goto", "3"]).ok();
    assert_eq!(pg.compat(), [(3, false)]);
    pg.run(&["goto", "1"])
        .ok()
        .stderr_has("3/d")
        .stderr_has("2/d");
    assert_eq!(pg.compat(), [(1, false)]);
    assert_eq!(pg.tables(), ["a"]);
    pg.run(&["goto", "7"])
        .code(3)
        .stderr_has("no migration found for version 7");
    assert_eq!(pg.compat(), [(1, false)]);
}

#[test]
fn pg_force_sets_the_row_without_running_and_minus_one_empties_it() {
    let pg = pg!();
    three_pg(&pg);
    pg.run(&["force", "2"]).ok();
    assert_eq!(pg.compat(), [(2, false)]);
    assert!(pg.tables().is_empty(), "force runs nothing");
    assert_eq!(pg.ledger_versions(), [1, 2]);
    pg.run(&["force", "--", "-1"]).ok();
    assert_eq!(pg.compat(), []);
    assert!(pg.ledger_versions().is_empty());
    // force clears a dirty row, as golang-migrate's Force does.
    pg.golang_migrate_table(None);
    pg.db
        .client()
        .batch_execute("TRUNCATE schema_migrations; INSERT INTO schema_migrations VALUES (3, true)")
        .unwrap();
    pg.run(&["force", "3"]).ok();
    assert_eq!(pg.compat(), [(3, false)]);
}

#[test]
fn pg_version_prints_clean_dirty_or_no_migration() {
    let pg = pg!();
    three_pg(&pg);
    pg.run(&["version"])
        .code(1)
        .stderr_has("error: no migration");
    pg.run(&["up", "2"]).ok();
    assert_eq!(pg.run(&["version"]).ok().stdout, "2\n");
    pg.db
        .client()
        .batch_execute("UPDATE schema_migrations SET dirty = true")
        .unwrap();
    assert_eq!(pg.run(&["version"]).ok().stdout, "2 (dirty)\n");
    // version needs no -path.
    let mut cmd = pg.p.bare();
    cmd.args(["-database", &pg.db.url, "version"]);
    assert_eq!(crate::support::output(cmd).ok().stdout, "2 (dirty)\n");
}

#[test]
fn pg_status_text_and_json() {
    let pg = pg!();
    three_pg(&pg);
    pg.run(&["up", "1"]).ok();
    pg.run(&["status"])
        .ok()
        .stdout_has("create_a")
        .stdout_has("applied")
        .stdout_has("pending")
        .stdout_has("version 1; 2 not applied");
    let out = pg.run(&["status", "--format", "json"]);
    out.ok();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let rows = v["status"]["migrations"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["state"], "applied");
    assert_eq!(rows[0]["batch"], 1);
    assert_eq!(rows[1]["state"], "pending");
    assert_eq!(v["status"]["version"], 1);
    // status changes nothing.
    assert_eq!(pg.compat(), [(1, false)]);
}

#[test]
fn pg_failed_down_of_the_first_no_transaction_migration_leaves_minus_one_dirty() {
    let pg = pg!();
    pg.p.pair(
        "1",
        "idx",
        "CREATE TABLE t (x int);",
        // No-transaction (CONCURRENTLY), and it fails: the index does not exist.
        "DROP INDEX CONCURRENTLY no_such_index;",
    );
    pg.run(&["up"]).ok();
    pg.run(&["down", "1"]).code(1).stderr_has("no_such_index");
    // golang-migrate's row: the target of the failed step (nothing applied) and dirty.
    assert_eq!(pg.compat(), [(-1, true)]);
    // golang-migrate's `version` reads -1 as nothing applied.
    pg.run(&["version"])
        .code(1)
        .stderr_has("error: no migration");
    pg.run(&["up"])
        .code(3)
        .stderr_has("Dirty database version -1. Fix and force version.");
    pg.run(&["force", "1"]).ok();
    assert_eq!(pg.compat(), [(1, false)]);
}

#[test]
fn pg_schema_migrations_is_what_golang_migrate_reads() {
    let pg = pg!();
    three_pg(&pg);
    pg.run(&["up"]).ok();
    let mut c = pg.db.client();
    let cols: Vec<(String, String, String)> = c
        .query(
            "SELECT column_name::text, data_type::text, is_nullable::text \
             FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = 'schema_migrations' \
             ORDER BY ordinal_position",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        cols,
        [
            ("version".into(), "bigint".into(), "NO".into()),
            ("dirty".into(), "boolean".into(), "NO".into())
        ]
    );
    let pk: String = c
        .query_one(
            "SELECT conname::text FROM pg_constraint \
             WHERE conrelid = 'public.schema_migrations'::regclass AND contype = 'p'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(pk, "schema_migrations_pkey");
    // golang-migrate's own read.
    let row = c
        .query(
            "SELECT version, dirty FROM \"public\".\"schema_migrations\" LIMIT 1",
            &[],
        )
        .unwrap();
    assert_eq!(row.len(), 1);
    assert_eq!(
        (row[0].get::<_, i64>(0), row[0].get::<_, bool>(1)),
        (3, false)
    );
    assert_eq!(pg.compat().len(), 1, "exactly one row");
}

#[test]
fn pg_golang_migrate_database_is_adopted_and_later_files_applied() {
    let pg = pg!();
    three_pg(&pg);
    pg.p.pair(
        "000004",
        "create_d",
        "CREATE TABLE d (id int);",
        "DROP TABLE d;",
    );
    // What golang-migrate leaves after `up 3`.
    pg.golang_migrate_table(Some((3, false)));
    pg.db
        .client()
        .batch_execute("CREATE TABLE a (id int); CREATE TABLE b (id int); CREATE TABLE c (id int);")
        .unwrap();
    let out = pg.run(&["up"]);
    out.ok().stderr_has("4/u create_d").stderr_has("adopted");
    assert!(!out.stderr.contains("1/u"), "{}", out.stderr);
    assert_eq!(pg.tables(), ["a", "b", "c", "d"]);
    assert_eq!(pg.compat(), [(4, false)]);
    let ledger = pg.ledger();
    let origins: Vec<(i64, &str)> = ledger.iter().map(|(v, o, _)| (*v, o.as_str())).collect();
    assert_eq!(
        origins,
        [
            (1, "adopted"),
            (2, "adopted"),
            (3, "adopted"),
            (4, "applied")
        ]
    );
    // And back down through Strata works over adopted rows.
    pg.run(&["down", "1"]).ok().stderr_has("4/d create_d");
    assert_eq!(pg.compat(), [(3, false)]);
}

#[test]
fn pg_dirty_golang_migrate_database_is_refused_with_the_fix() {
    let pg = pg!();
    three_pg(&pg);
    pg.golang_migrate_table(Some((2, true)));
    pg.db
        .client()
        .batch_execute("CREATE TABLE a (id int);")
        .unwrap();
    let out = pg.run(&["up"]);
    out.code(3)
        .stderr_has("error: Dirty database version 2. Fix and force version.")
        .stderr_has("force");
    assert_eq!(pg.compat(), [(2, true)]);
    assert_eq!(pg.tables(), ["a"]);
}

#[test]
fn pg_lock_held_by_another_session_times_out_naming_its_pid() {
    let pg = pg!();
    three_pg(&pg);
    // golang-migrate CLI's key: schema \0 table \0 "/dbname" (compat §4.4).
    let key = strata_drivers::postgres::lock::advisory_lock_id(
        &format!("/{}", pg.db.name),
        &["public", "schema_migrations"],
    ) as i64;
    let mut holder = pg.db.client();
    let pid: i32 = holder
        .query_one("SELECT pg_backend_pid()", &[])
        .unwrap()
        .get(0);
    holder
        .execute("SELECT pg_advisory_lock($1)", &[&key])
        .unwrap();
    let started = std::time::Instant::now();
    let out = pg.run(&["-lock-timeout", "1", "up"]);
    out.code(4)
        .stderr_has("error: timeout: can't acquire database lock after 1")
        .stderr_has(&format!("pid {pid}, application_name \"strata-testkit\""))
        .stderr_has("hint: ");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "bounded by -lock-timeout"
    );
    assert!(pg.tables().is_empty(), "nothing ran");
    holder
        .execute("SELECT pg_advisory_unlock($1)", &[&key])
        .unwrap();
    pg.run(&["-lock-timeout", "1", "up"]).ok();
    assert_eq!(pg.compat(), [(3, false)]);
}

#[test]
fn pg_lock_under_the_library_key_also_excludes() {
    let pg = pg!();
    three_pg(&pg);
    // golang-migrate library (WithInstance) key: current_database() without the slash.
    let key = strata_drivers::postgres::lock::advisory_lock_id(
        &pg.db.name,
        &["public", "schema_migrations"],
    ) as i64;
    let mut holder = pg.db.client();
    holder
        .execute("SELECT pg_advisory_lock($1)", &[&key])
        .unwrap();
    pg.run(&["-lock-timeout", "1", "up"]).code(4);
    drop(holder);
    pg.run(&["up"]).ok();
}
