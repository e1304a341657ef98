//! Connections, schemas and `drop` on PostgreSQL through the binary: `search_path`,
//! `x-migrations-table`, password redaction on every error path, `drop -f`.

use crate::pg::pg;
use crate::support::{three, Output};

/// A password that must never be printed.
const SECRET: &str = "s3cret-PW";

#[test]
fn pg_search_path_places_all_tables_in_that_schema() {
    let pg = pg!();
    three(&pg.p);
    pg.db.client().batch_execute("CREATE SCHEMA app").unwrap();
    pg.run_with("search_path=app", &["up"]).ok();
    assert_eq!(
        pg.all_tables_in("app"),
        [
            "a",
            "b",
            "c",
            "schema_migrations",
            "schema_migrations_ledger",
            "schema_migrations_log"
        ]
    );
    assert!(pg.all_tables_in("public").is_empty());
    assert_eq!(pg.compat_in("app", "schema_migrations"), [(3, false)]);
    assert_eq!(
        pg.run_with("search_path=app", &["version"]).ok().stdout,
        "3\n"
    );
    // Without the search path the public schema has nothing applied.
    pg.run(&["version"]).code(1).stderr_has("no migration");
    pg.run_with("search_path=app", &["down", "-all"]).ok();
    assert_eq!(pg.all_tables_in("app").len(), 3, "only the three tables");
}

#[test]
fn pg_x_migrations_table_names_the_three_tables() {
    let pg = pg!();
    three(&pg.p);
    pg.run_with("x-migrations-table=my_migrations", &["up"])
        .ok();
    assert_eq!(
        pg.all_tables_in("public"),
        [
            "a",
            "b",
            "c",
            "my_migrations",
            "my_migrations_ledger",
            "my_migrations_log"
        ]
    );
    assert_eq!(pg.compat_in("public", "my_migrations"), [(3, false)]);
    let n: i64 = pg
        .db
        .client()
        .query_one("SELECT count(*) FROM my_migrations_ledger", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 3);
    // A second migration set in the same schema starts from nothing.
    pg.run(&["version"]).code(1).stderr_has("no migration");
}

/// A role that logs in with a password and may create in `public` of the test database.
fn password_role(pg: &crate::pg::Pg) -> Option<(&'static str, &'static str)> {
    let role = pg.db.server()?.password_role()?;
    pg.db
        .client()
        .batch_execute(&format!(
            "GRANT ALL ON SCHEMA public TO {0}; GRANT CONNECT ON DATABASE \"{1}\" TO {0}",
            role.0, pg.db.name
        ))
        .unwrap();
    Some(role)
}

/// One `error:` line with the cause, then at most one `hint:` line; returns the error line.
#[track_caller]
fn one_clear_line(out: &Output, with_hint: bool) -> String {
    let lines: Vec<&str> = out.stderr.lines().filter(|l| !l.is_empty()).collect();
    assert!(
        lines.len() == 1 || (lines.len() == 2 && lines[1].starts_with("hint: ")),
        "one error line (+ hint):\n{}",
        out.stderr
    );
    assert!(lines[0].starts_with("error: "), "{}", out.stderr);
    if with_hint {
        assert_eq!(lines.len(), 2, "a hint:\n{}", out.stderr);
    }
    lines[0].to_string()
}

#[test]
fn pg_password_is_never_shown_when_things_work() {
    let pg = pg!();
    let Some((user, password)) = password_role(&pg) else {
        eprintln!("skipped: no password role on an external server");
        return;
    };
    three(&pg.p);
    pg.p.file("4_broken.up.sql", "SELECT * FROM nope;");
    let url = pg.db.url_as(user, Some(password));
    for args in [
        &["up", "2"][..],
        &["status"],
        &["status", "--format", "json"],
        &["version"],
        &["-verbose", "up"],
        &["force", "3"],
        &["down", "1"],
        &["goto", "3"],
        &["drop", "-f"],
    ] {
        let out = pg.p.run_on(&url, args);
        out.never_shows(password);
        if args == ["-verbose", "up"] {
            out.code(1).stderr_has("relation \"nope\" does not exist");
        } else {
            out.ok();
        }
    }
}

#[test]
fn pg_wrong_password_is_one_line_with_a_hint_and_no_password() {
    let pg = pg!();
    let Some((user, _)) = password_role(&pg) else {
        eprintln!("skipped: no password role on an external server");
        return;
    };
    three(&pg.p);
    // Also a password with reserved characters, percent-encoded in the URL.
    let reserved = "Wr0ng-p@ss/word?";
    for (url, shown) in [
        (pg.db.url_as(user, Some(SECRET)), SECRET),
        (pg.db.url_as(user, Some(reserved)), "Wr0ng"),
    ] {
        for args in [&["up"][..], &["version"], &["status"], &["drop", "-f"]] {
            let out = pg.p.run_on(&url, args);
            out.code(1).never_shows(shown);
            let line = one_clear_line(&out, true);
            assert!(
                line.contains("password authentication failed"),
                "{}",
                out.stderr
            );
            out.stderr_has("hint: check the user name and password");
        }
    }
}

#[test]
fn pg_connection_refused_is_one_line_with_a_hint_and_no_password() {
    let pg = pg!();
    three(&pg.p);
    let url = format!("postgres://u:{SECRET}@127.0.0.1:1/db?sslmode=disable");
    for args in [&["up"][..], &["version"], &["force", "1"]] {
        let out = pg.p.run_on(&url, args);
        out.code(1).never_shows(SECRET);
        let line = one_clear_line(&out, true);
        assert!(line.contains("connection refused"), "{}", out.stderr);
        assert!(line.contains("127.0.0.1:1"), "{}", out.stderr);
    }
}

#[test]
fn pg_unknown_database_is_one_line_with_a_hint_and_no_password() {
    let pg = pg!();
    three(&pg.p);
    // The admin role logs in without a password (trust); the one given is ignored.
    let url = pg
        .db
        .url_as("postgres", Some(SECRET))
        .replace(&format!("/{}", pg.db.name), "/no_such_database_here");
    let out = pg.p.run_on(&url, &["up"]);
    out.code(1).never_shows(SECRET);
    let line = one_clear_line(&out, true);
    assert!(
        line.contains("database \"no_such_database_here\" does not exist"),
        "{}",
        out.stderr
    );
}

#[test]
fn pg_malformed_url_is_one_line_and_no_password() {
    let pg = pg!();
    three(&pg.p);
    for url in [
        format!("postgres://u:{SECRET}@host:badport/db"),
        format!("postgres://u:{SECRET}@127.0.0.1:5432/db?sslmode=bogus"),
        format!("postgres://u:{SECRET}@127.0.0.1:5432/db?x-multi-statement=maybe"),
        format!("postgres://u:{SECRET}@[::1/db"),
    ] {
        for args in [&["up"][..], &["version"], &["drop", "-f"]] {
            let out = pg.p.run_on(&url, args);
            out.code(1).never_shows(SECRET);
            one_clear_line(&out, false);
        }
    }
}

/// A migration that records whether its own session uses TLS.
const RECORD_TLS: &str =
    "CREATE TABLE tls AS SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid();";

fn used_tls(pg: &crate::pg::Pg) -> bool {
    pg.db
        .client()
        .query_one("SELECT ssl FROM tls", &[])
        .unwrap()
        .get(0)
}

#[test]
fn pg_tls_require_works_with_a_self_signed_server_and_verify_full_checks_the_name() {
    let pg = pg!();
    let Some(ca) = pg.db.server().and_then(|s| s.tls_ca()) else {
        eprintln!("skipped: the test server has no TLS");
        return;
    };
    let ca = ca.display().to_string();
    pg.p.pair("1", "tls", RECORD_TLS, "DROP TABLE tls;");
    pg.run_with("sslmode=require", &["up"]).ok();
    assert!(used_tls(&pg), "sslmode=require uses TLS");
    pg.run_with("sslmode=disable", &["down", "-all"]).ok();

    // DATABASE_SSL=true requires TLS when the URL says nothing...
    let mut cmd = pg.p.bare();
    cmd.env("DATABASE_SSL", "true")
        .args(["-path", "migrations", "-database", &pg.db.url, "up"]);
    crate::support::output(cmd).ok();
    assert!(used_tls(&pg), "DATABASE_SSL=true requires TLS");
    pg.run_with("sslmode=disable", &["down", "-all"]).ok();
    // ...but the URL's own sslmode is more specific and wins.
    let mut cmd = pg.p.bare();
    cmd.env("DATABASE_SSL", "true").args([
        "-path",
        "migrations",
        "-database",
        &pg.db.url_with("sslmode=disable"),
        "up",
    ]);
    crate::support::output(cmd).ok();
    assert!(
        !used_tls(&pg),
        "sslmode=disable in the URL wins over DATABASE_SSL=true"
    );

    // The certificate names `localhost`; the URL says 127.0.0.1 — with a password in it.
    let url = pg.db.url_as("postgres", Some(SECRET)).replace(
        &format!("/{}", pg.db.name),
        &format!("/{}?sslmode=verify-full&sslrootcert={ca}", pg.db.name),
    );
    let out = pg.p.run_on(&url, &["version"]);
    out.code(1).never_shows(SECRET);
    let line = one_clear_line(&out, true);
    assert!(line.contains("TLS handshake failed"), "{}", out.stderr);
    out.stderr_has("names the host");
    // By the name the certificate lists, verify-full connects.
    pg.p.run_on(&url.replace("127.0.0.1", "localhost"), &["version"])
        .ok();
}

#[test]
fn pg_drop_f_removes_every_kind_of_object_and_up_works_again() {
    let pg = pg!();
    pg.p.pair(
        "1",
        "all",
        "CREATE TYPE mood AS ENUM ('ok', 'sad');\n\
         CREATE DOMAIN positive AS int CHECK (VALUE > 0);\n\
         CREATE SEQUENCE counter;\n\
         CREATE TABLE t (id serial PRIMARY KEY, m mood, n positive);\n\
         CREATE TABLE child (id int REFERENCES t (id));\n\
         CREATE VIEW v AS SELECT * FROM t;\n\
         CREATE MATERIALIZED VIEW mv AS SELECT count(*) FROM t;\n\
         CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n\
         CREATE PROCEDURE p() LANGUAGE sql AS $$ SELECT 1 $$;\n",
        "DROP TABLE child, t CASCADE;",
    );
    let mut c = pg.db.client();
    c.batch_execute("CREATE SCHEMA other; CREATE TABLE other.keep (id int);")
        .unwrap();
    pg.run(&["up"]).ok();
    pg.run(&["-verbose", "drop", "-f"])
        .ok()
        .stderr_has("dropped");
    let mut count = |sql: &str| -> i64 { c.query_one(sql, &[]).unwrap().get(0) };
    assert_eq!(
        count(
            "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace \
             AND relkind IN ('r','v','m','S','p','f')"
        ),
        0,
        "tables, views, sequences"
    );
    assert_eq!(
        count("SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace"),
        0,
        "functions and procedures"
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM pg_type WHERE typnamespace = 'public'::regnamespace \
             AND typtype IN ('e','d')"
        ),
        0,
        "types and domains"
    );
    assert_eq!(
        count("SELECT count(*) FROM other.keep"),
        0,
        "another schema is untouched"
    );
    // From scratch again.
    assert_eq!(pg.compat_in_public_or_none(), None);
    pg.run(&["up"]).ok().stderr_has("1/u all (");
    assert_eq!(pg.compat(), [(1, false)]);
    assert_eq!(pg.ledger_versions(), [1]);
}

#[test]
fn pg_drop_without_f_and_without_terminal_refuses() {
    let pg = pg!();
    three(&pg.p);
    pg.run(&["up"]).ok();
    pg.run(&["drop"])
        .code(1)
        .stderr_has("Aborted dropping the entire database schema");
    assert_eq!(pg.tables(), ["a", "b", "c"]);
}

impl crate::pg::Pg {
    /// golang-migrate's row, or None when the table itself is gone.
    fn compat_in_public_or_none(&self) -> Option<Vec<(i64, bool)>> {
        let exists: bool = self
            .db
            .client()
            .query_one(
                "SELECT to_regclass('public.schema_migrations') IS NOT NULL",
                &[],
            )
            .unwrap()
            .get(0);
        exists.then(|| self.compat())
    }
}

#[test]
fn pg_quoted_migrations_table_in_another_schema_and_drop_starts_over() {
    let pg = pg!();
    three(&pg.p);
    pg.db.client().batch_execute("CREATE SCHEMA mig").unwrap();
    let query = "x-migrations-table-quoted=true&x-migrations-table=%22mig%22.%22sm%22";
    pg.run_with(query, &["up"]).ok();
    assert_eq!(pg.all_tables_in("mig"), ["sm", "sm_ledger", "sm_log"]);
    assert_eq!(pg.all_tables_in("public"), ["a", "b", "c"]);
    assert_eq!(pg.compat_in("mig", "sm"), [(3, false)]);
    pg.run_with(query, &["drop", "-f"]).ok();
    assert!(pg.all_tables_in("public").is_empty());
    // golang-migrate leaves a stale row here, and `up` would then do nothing.
    assert_eq!(pg.compat_in("mig", "sm"), []);
    pg.run_with(query, &["up"]).ok().stderr_has("1/u create_a");
    assert_eq!(pg.all_tables_in("public"), ["a", "b", "c"]);
    assert_eq!(pg.compat_in("mig", "sm"), [(3, false)]);
}

#[test]
fn pg_an_old_ledger_the_role_does_not_own_is_used_without_down_checksums() {
    let pg = pg!();
    let Some((user, password)) = password_role(&pg) else {
        eprintln!("skipped: no password role on an external server");
        return;
    };
    three(&pg.p);
    // An older Strata, run by the admin, wrote the ledger: no down_checksum column, and the
    // tables belong to the admin. The application's role may read and write them (and create
    // its own tables), but only their owner may alter them.
    pg.run(&["up", "1"]).ok();
    pg.db
        .client()
        .batch_execute(&format!(
            "ALTER TABLE schema_migrations_ledger DROP COLUMN down_checksum; \
             GRANT ALL ON ALL TABLES IN SCHEMA public TO {user}; \
             GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {user}"
        ))
        .unwrap();
    let url = pg.db.url_as(user, Some(password));
    let out = pg.p.run_on(&url, &["up"]);
    out.ok()
        .stderr_has("3/u create_c")
        .stderr_has("ALTER TABLE \"public\".\"schema_migrations_ledger\" ADD COLUMN IF NOT EXISTS down_checksum text NULL");
    assert_eq!(
        out.stderr.matches("warning: ").count(),
        1,
        "one warning:\n{}",
        out.stderr
    );
    assert!(!out.stderr.contains("CREATE on schema"), "{}", out.stderr);
    assert_eq!(pg.ledger_versions(), vec![1, 2, 3]);
    pg.p.run_on(&url, &["down", "1"]).ok();
    pg.p.run_on(&url, &["status"]).ok().stdout_has("version 2;");
    assert_eq!(pg.ledger_versions(), vec![1, 2]);
    // Commands without run events warn too.
    pg.p.run_on(&url, &["force", "2"])
        .ok()
        .stderr_has("warning: the migrations ledger has no down_checksum column");
    // Once the owner adds the column, down checksums are recorded again, with no warning.
    pg.db
        .client()
        .batch_execute("ALTER TABLE schema_migrations_ledger ADD COLUMN down_checksum text NULL")
        .unwrap();
    let out = pg.p.run_on(&url, &["up"]);
    out.ok();
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    let n: i64 = pg
        .db
        .client()
        .query_one(
            "SELECT count(*) FROM schema_migrations_ledger WHERE down_checksum IS NOT NULL",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}
