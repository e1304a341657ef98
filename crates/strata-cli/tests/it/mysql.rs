//! The real binary on a real MariaDB, with golang-migrate's command lines. Each test gets its
//! own database (`strata-testkit`); without a server they print "skipped" (fail under CI).

use crate::faults::{finish, run, spawn, strata, wait_for};
use crate::support::Project;
use std::time::Duration;
use strata_testkit::mariadb::{TestMariaDb, PASSWORD};

macro_rules! maria {
    () => {
        match TestMariaDb::new() {
            Some(db) => db,
            None => return,
        }
    };
}

/// `sql` in the test's database as root; tab-separated rows.
fn sql(db: &TestMariaDb, sql: &str) -> String {
    db.server
        .admin(&format!("USE `{}`; {sql}", db.name))
        .unwrap_or_else(|e| panic!("{e}"))
        .trim()
        .to_string()
}

/// golang-migrate's row as `version\tdirty`, empty when there is none.
fn compat(db: &TestMariaDb) -> String {
    sql(db, "SELECT version, dirty FROM schema_migrations")
}

fn tables(db: &TestMariaDb) -> String {
    sql(
        db,
        "SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME) FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE 'schema_migrations%'",
    )
}

fn three(p: &Project) {
    p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    p.pair(
        "2",
        "b",
        "CREATE TABLE b (id int);\n# a MySQL comment; with a semicolon\nCREATE TABLE `b 2` (id int);\n",
        "DROP TABLE `b 2`;\nDROP TABLE b;\n",
    );
    p.pair("3", "c", "CREATE TABLE c (id int);", "DROP TABLE c;");
}

#[test]
fn mysql_golang_migrate_command_lines_behave_on_mariadb_and_never_print_the_password() {
    let db = maria!();
    let p = Project::new();
    three(&p);
    let url = db.url.as_str();
    for out in [
        p.run_on(url, &["up"]),
        p.run_on(url, &["version"]),
        p.run_on(url, &["status"]),
        p.run_on(url, &["history"]),
    ] {
        out.ok().never_shows(PASSWORD);
    }
    assert_eq!(compat(&db), "3\t0");
    assert_eq!(tables(&db), "a,b,b 2,c");
    assert_eq!(p.run_on(url, &["version"]).ok().stdout.trim(), "3");
    p.run_on(url, &["down", "1"]).ok();
    assert_eq!(compat(&db), "2\t0");
    assert_eq!(tables(&db), "a,b,b 2");
    p.run_on(url, &["goto", "1"]).ok();
    assert_eq!(compat(&db), "1\t0");
    assert_eq!(tables(&db), "a");
    p.run_on(url, &["up"]).ok();
    assert_eq!(tables(&db), "a,b,b 2,c");
    assert_eq!(
        sql(&db, "SELECT GROUP_CONCAT(version ORDER BY version), MIN(mode) FROM schema_migrations_ledger"),
        "1,2,3\tno-transaction",
        "every migration ran statement by statement"
    );
    p.run_on(url, &["force", "2"]).ok().never_shows(PASSWORD);
    assert_eq!(compat(&db), "2\t0");
    p.run_on(url, &["history"])
        .ok()
        .stdout_has("force")
        .never_shows(PASSWORD);
    p.run_on(url, &["drop", "-f"]).ok().never_shows(PASSWORD);
    assert_eq!(
        sql(
            &db,
            "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
        ),
        "0"
    );
    // mariadb:// and the plain URL form reach the same database.
    let plain = url
        .replace("tcp(", "")
        .replace(")/", "/")
        .replacen("mysql", "mariadb", 1);
    p.run_on(&plain, &["up"]).ok().never_shows(PASSWORD);
    assert_eq!(compat(&db), "3\t0");
}

#[test]
fn mysql_a_custom_tls_configuration_without_its_ca_is_refused_naming_the_parameter() {
    let db = maria!();
    let p = Project::new();
    p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    let out = p.run_on(&format!("{}?tls=custom", db.url), &["up"]);
    assert_ne!(out.code, 0);
    out.stderr_has("x-tls-ca").never_shows(PASSWORD);
    assert_eq!(
        sql(
            &db,
            "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
        ),
        "0",
        "nothing ran"
    );
}

#[test]
fn mysql_a_failing_statement_leaves_the_row_dirty_naming_the_file_line_and_statement() {
    let db = maria!();
    let p = Project::new();
    p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    p.pair(
        "2",
        "bad",
        "CREATE TABLE s1 (id int);\n\nINSERT INTO a (id) -- statement two\n  VALUES (1, 2);\nCREATE TABLE s3 (id int);\n",
        "DROP TABLE s1;",
    );
    p.run_on(&db.url, &["up"])
        .code(1)
        .stderr_has("(statement 2 of 3)")
        .stderr_has("migrations/2_bad.up.sql:3")
        .never_shows(PASSWORD);
    // Statement 1 committed by itself (DDL on MySQL): the row is dirty and says where.
    assert_eq!(compat(&db), "2\t1");
    assert_eq!(tables(&db), "a,s1");
    p.run_on(&db.url, &["status"]).stdout_has(
        "statement 2 of 3 (migrations/2_bad.up.sql:3: INSERT INTO a (id) -- statement two)",
    );
    p.run_on(&db.url, &["up"])
        .code(3)
        .stderr_has("Dirty database version 2");
}

#[test]
fn mysql_sixteen_racing_runners_apply_every_migration_exactly_once() {
    let db = maria!();
    let p = Project::new();
    p.pair(
        "1",
        "counter",
        "CREATE TABLE counter (version int);",
        "DROP TABLE counter;",
    );
    for v in 2..=6 {
        p.pair(
            &v.to_string(),
            &format!("m{v}"),
            &format!("INSERT INTO counter VALUES ({v});\nCREATE TABLE t{v} (id int);\n"),
            &format!("DROP TABLE t{v};"),
        );
    }
    let runners: Vec<_> = (0..16)
        .map(|_| {
            let mut c = strata(&p, &db.url, &["up", "-lock-timeout", "60"]);
            c.env("STRATA_LOCK_TIMEOUT", "60s");
            spawn(c)
        })
        .collect();
    for child in runners {
        finish(child, Duration::from_secs(120))
            .ok()
            .never_shows(PASSWORD);
    }
    assert_eq!(
        sql(
            &db,
            "SELECT GROUP_CONCAT(version ORDER BY version), COUNT(*) FROM counter"
        ),
        "2,3,4,5,6\t5",
        "each migration ran once"
    );
    assert_eq!(compat(&db), "6\t0");
    assert_eq!(
        sql(&db, "SELECT COUNT(*) FROM schema_migrations_ledger"),
        "6"
    );
}

#[test]
fn mysql_an_alter_behind_an_open_transaction_times_out_naming_the_blocking_session() {
    let db = maria!();
    let p = Project::new();
    p.pair("1", "t", "CREATE TABLE t (id int);", "DROP TABLE t;");
    p.pair(
        "2",
        "alter",
        "ALTER TABLE t ADD COLUMN c int;",
        "ALTER TABLE t DROP COLUMN c;",
    );
    p.run_on(&db.url, &["up", "1"]).ok();
    // Another session holds the table's metadata lock in an open transaction.
    let holder = std::process::Command::new("mariadb")
        .arg("--no-defaults")
        .arg(format!("--socket={}", db.server.socket.display()))
        .args(["-u", "root", &db.name, "-e"])
        .arg("START TRANSACTION; SELECT COUNT(*) FROM t; DO SLEEP(60);")
        .stdout(std::process::Stdio::null())
        .spawn();
    let Ok(mut holder) = holder else {
        panic!("the mariadb client is needed to hold a transaction open")
    };
    let session = wait_for(Duration::from_secs(10), || {
        let id = sql(
            &db,
            "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'DO SLEEP%' AND DB = DATABASE()",
        );
        (!id.is_empty()).then_some(id)
    })
    .expect("the holding session runs");
    let out = run(&p, &db.url, &["--ddl-lock-timeout", "1s", "up"]);
    let _ = holder.kill();
    let _ = holder.wait();
    out.code(1)
        .stderr_has("Lock wait timeout exceeded")
        .stderr_has(&format!("connection {session} (root@localhost"))
        .never_shows(PASSWORD);
    assert_eq!(
        compat(&db),
        "2\t1",
        "dirty: the ALTER may or may not have run"
    );
}

#[test]
fn mysql_lock_retries_run_an_alter_again_once_the_blocking_transaction_ends() {
    let db = maria!();
    let p = Project::new();
    p.pair("1", "t", "CREATE TABLE t (id int);", "DROP TABLE t;");
    p.pair(
        "2",
        "alter",
        "INSERT INTO t VALUES (1);\nALTER TABLE t ADD COLUMN c int;\n",
        "ALTER TABLE t DROP COLUMN c;",
    );
    p.run_on(&db.url, &["up", "1"]).ok();
    // Another session holds the table's metadata lock for a few seconds, then its
    // transaction ends with it: the first attempt (1s lock wait) times out, a later one runs.
    let mut holder = std::process::Command::new("mariadb")
        .arg("--no-defaults")
        .arg(format!("--socket={}", db.server.socket.display()))
        .args(["-u", "root", &db.name, "-e"])
        .arg("START TRANSACTION; SELECT COUNT(*) FROM t; DO SLEEP(2);")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("the mariadb client is needed to hold a transaction open");
    let held = wait_for(Duration::from_secs(10), || {
        let n = sql(
            &db,
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'DO SLEEP(2)%' AND DB = DATABASE()",
        );
        (n != "0").then_some(())
    });
    assert!(held.is_some(), "the holding session never started");
    let out = run(
        &p,
        &db.url,
        &["--ddl-lock-timeout", "1s", "--lock-retries", "3", "up"],
    );
    let _ = holder.wait();
    out.ok()
        .stderr_has(
            "retry 1/3 of migration 2 in 1s after a lock timeout: Lock wait timeout exceeded",
        )
        .never_shows(PASSWORD);
    assert_eq!(compat(&db), "2\t0");
    assert_eq!(
        sql(&db, "SELECT COUNT(*), COUNT(c) FROM t"),
        "1\t0",
        "statement 1 ran once, the column exists"
    );
}

#[test]
fn mysql_sigkill_mid_migration_leaves_the_dirty_row_and_the_statement_reached() {
    let db = maria!();
    let p = Project::new();
    p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    p.pair(
        "2",
        "slow",
        "CREATE TABLE b (id int);\nDO SLEEP(30);\nCREATE TABLE b2 (id int);\n",
        "DROP TABLE b;",
    );
    let mut child = spawn(strata(&p, &db.url, &["up"]));
    let found = wait_for(Duration::from_secs(20), || {
        // Other tests sleep too: only this database's session counts.
        let n = sql(
            &db,
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'DO SLEEP(30)%' AND DB = DATABASE()",
        );
        (n != "0").then_some(())
    });
    assert!(found.is_some(), "statement 2 never started");
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(compat(&db), "2\t1", "golang-migrate's dirty row");
    assert_eq!(tables(&db), "a,b", "statement 1 stays committed");
    let progress = sql(
        &db,
        "SELECT detail FROM schema_migrations_log WHERE action = 'progress'",
    );
    // The hash of statement 1 sits between (what `up --resume` checks).
    assert!(
        progress.starts_with("up statement 2 of 3 after prefix ")
            && progress.ends_with(" at migrations/2_slow.up.sql:2: DO SLEEP(30);"),
        "{progress}"
    );
    p.run_on(&db.url, &["status"])
        .stdout_has("statement 2 of 3 (migrations/2_slow.up.sql:2: DO SLEEP(30);)");
    // The killed session's lock went with it: the next run is told the row is dirty at once.
    p.run_on(&db.url, &["up"])
        .code(3)
        .stderr_has("Dirty database version 2");
}

#[test]
fn mysql_a_server_restart_mid_migration_fails_clearly_and_leaves_the_row_dirty() {
    if TestMariaDb::new().is_none() {
        return;
    }
    // A server of its own: restarting the shared one would cut the other tests' sessions.
    let dir = tempfile::tempdir().unwrap();
    let server = strata_testkit::mariadb::private(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    struct Stop<'a>(&'a strata_testkit::mariadb::MariaDb);
    impl Drop for Stop<'_> {
        fn drop(&mut self) {
            let _ = self.0.shut_down();
        }
    }
    let _stop = Stop(&server);
    server.admin("CREATE DATABASE r").unwrap();
    let url = format!(
        "mysql://{}:{PASSWORD}@tcp(127.0.0.1:{})/r",
        strata_testkit::mariadb::USER,
        server.port
    );
    let p = Project::new();
    p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    p.pair(
        "2",
        "slow",
        "CREATE TABLE b (id int);\nDO SLEEP(30);\nCREATE TABLE b2 (id int);\n",
        "DROP TABLE b;",
    );
    let child = spawn(strata(&p, &url, &["up"]));
    let sleeping = wait_for(Duration::from_secs(20), || {
        let n = server
            .admin("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'DO SLEEP(30)%'")
            .unwrap_or_default();
        (n.trim() != "0").then_some(())
    });
    assert!(sleeping.is_some(), "statement 2 never started");
    server.shut_down().unwrap();
    let out = finish(child, Duration::from_secs(60));
    out.code(1).never_shows(PASSWORD);
    eprintln!("{}", out.stderr);
    assert!(
        out.stderr.to_lowercase().contains("shutdown") || out.stderr.contains("lost"),
        "{}",
        out.stderr
    );
    server.start_again().unwrap();
    assert_eq!(
        server
            .admin("SELECT version, dirty FROM r.schema_migrations")
            .unwrap()
            .trim(),
        "2\t1",
        "dirty, never clean over a half-applied file"
    );
    p.run_on(&url, &["status"])
        .stdout_has("statement 2 of 3 (migrations/2_slow.up.sql:2: DO SLEEP(30);)");
}

#[test]
fn mysql_x_statement_timeout_stops_a_long_statement_on_the_server() {
    let db = maria!();
    let p = Project::new();
    p.pair(
        "1",
        "slow",
        "CREATE TABLE a (id int);\nSELECT COUNT(*) FROM information_schema.COLUMNS x, information_schema.COLUMNS y, information_schema.COLUMNS z;\n",
        "DROP TABLE a;",
    );
    p.run_on(&format!("{}?x-statement-timeout=300", db.url), &["up"])
        .code(1)
        .stderr_has("max_statement_time exceeded")
        .stderr_has("code: 1969")
        .stderr_has("(statement 2 of 2)")
        .never_shows(PASSWORD);
    assert_eq!(compat(&db), "1\t1");
}
