//! The binary's text and `--format json` outputs, pinned with `insta` snapshots (in
//! `snapshots/`): status, history, version, plan, lint, validate, a successful `up`, a failing
//! migration with its location and excerpt, a conflict list, a lock timeout, a refused
//! connection (password redacted) and usage errors; on SQLite, and on PostgreSQL where the
//! output differs. What varies between runs (durations, timestamps, temporary paths, ports,
//! pids, the actor's host, the test database's name) is replaced by a `[placeholder]`.
//!
//! To accept changed output: `INSTA_UPDATE=always cargo test -p strata-cli --test it --
//! snapshots`, then review each `.snap` diff by eye before committing it.

use crate::pg::pg;
use crate::support::{three, Output, Project};

/// Pin `out` (exit code, stdout, stderr) as snapshot `name`, with the varying parts filtered.
#[track_caller]
fn pin(name: &str, p: &Project, extra: &[(String, &str)], out: &Output) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    for (pattern, replacement) in extra {
        settings.add_filter(pattern, *replacement);
    }
    let dir = p.path().display().to_string();
    settings.add_filter(&regex_escape(&dir), "[project]");
    // RFC 3339 and `YYYY-MM-DD HH:MM:SS` timestamps, with or without fractions and zone.
    settings.add_filter(
        r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?",
        "[timestamp]",
    );
    // Durations as the CLI prints them (`12ms`, `1.5s`, `340µs`, `0.012 s`) and in JSON.
    // A table cell's padding follows the duration's width: it is cut to two spaces.
    settings.add_filter(r"<?\b\d+(\.\d+)?\s?(ns|µs|us|ms|s)\b {2,}", "[duration]  ");
    settings.add_filter(r"<?\b\d+(\.\d+)?\s?(ns|µs|us|ms|s)\b", "[duration]");
    settings.add_filter(
        r#""(duration_ms|duration_us|elapsed_ms)": \d+"#,
        r#""$1": [duration]"#,
    );
    // The actor `user@host` (the tests run as USER=tester on any host); its column's width
    // follows the host name's, so the padding around it is cut too.
    settings.add_filter(r"tester@[A-Za-z0-9._-]+ {2,}", "[actor]  ");
    settings.add_filter(r"tester@[A-Za-z0-9._-]+", "[actor]");
    settings.add_filter(r"\bBY {2,}DETAIL", "BY  DETAIL");
    settings.add_filter(r"\bpid \d+", "pid [pid]");
    settings.add_filter(r#""pid": \d+"#, r#""pid": [pid]"#);
    settings.add_filter(r"(localhost|127\.0\.0\.1|\[::1\]):\d{4,5}", "$1:[port]");
    settings.bind(|| {
        let text = format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            out.code, out.stdout, out.stderr
        );
        insta::assert_snapshot!(name, text);
    });
}

fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Three pairs, the second applied by a first run.
fn half_applied() -> Project {
    let p = Project::new();
    three(&p);
    p.run(&["up", "2"]).ok();
    p
}

#[test]
fn status_text_and_json() {
    let p = half_applied();
    pin("status_text", &p, &[], p.run(&["status"]).ok());
    pin(
        "status_json",
        &p,
        &[],
        p.run(&["status", "--format", "json"]).ok(),
    );
}

#[test]
fn history_text_and_json() {
    let p = half_applied();
    p.run(&["down", "1"]).ok();
    pin("history_text", &p, &[], p.run(&["history"]).ok());
    pin(
        "history_json",
        &p,
        &[],
        p.run(&["history", "--format", "json"]).ok(),
    );
}

#[test]
fn version_text_clean_dirty_and_none() {
    let p = Project::new();
    three(&p);
    pin("version_none", &p, &[], &p.run(&["version"]));
    p.run(&["up", "2"]).ok();
    pin("version_two", &p, &[], p.run(&["version"]).ok());
}

#[test]
fn plan_text_and_json() {
    let p = half_applied();
    p.file(
        "4_index.up.sql",
        "-- strata:no-transaction\nCREATE INDEX c_id ON c (id);\n",
    );
    pin("plan_text", &p, &[], p.run(&["plan"]).ok());
    pin(
        "plan_json",
        &p,
        &[],
        p.run(&["plan", "--format", "json"]).ok(),
    );
}

fn lint_project() -> Project {
    let p = Project::new();
    p.pair(
        "1",
        "users",
        "CREATE TABLE users (id int);\n",
        "DROP TABLE users;\n",
    );
    p.file(
        "2_users_email.up.sql",
        "-- the email\nALTER TABLE users ADD COLUMN email text NOT NULL;\nCREATE INDEX users_email ON users (email);\n",
    );
    p
}

#[test]
fn lint_text_and_json() {
    let p = lint_project();
    let lint = |format: &str| {
        let mut cmd = p.bare();
        cmd.args(["-path", "migrations", "lint", "--format", format]);
        crate::support::output(cmd)
    };
    pin("lint_text", &p, &[], lint("text").code(5));
    pin("lint_json", &p, &[], lint("json").code(5));
}

/// Version 1 applied, then its file edited and version 2's deleted: two conflicts.
fn conflicted() -> Project {
    let p = half_applied();
    p.file(
        "000001_create_a.up.sql",
        "CREATE TABLE a (id INTEGER, x INTEGER);",
    );
    p.remove("000002_create_b.up.sql");
    p.remove("000002_create_b.down.sql");
    p
}

#[test]
fn validate_text_and_json_list_every_conflict() {
    let p = conflicted();
    pin("validate_text", &p, &[], p.run(&["validate"]).code(3));
    pin(
        "validate_json",
        &p,
        &[],
        p.run(&["validate", "--format", "json"]).code(3),
    );
    let p = half_applied();
    pin("validate_clean_text", &p, &[], p.run(&["validate"]).ok());
}

#[test]
fn up_refused_by_conflicts_lists_them() {
    let p = conflicted();
    pin("up_conflicts", &p, &[], p.run(&["up"]).code(3));
}

#[test]
fn up_success_report() {
    let p = Project::new();
    three(&p);
    pin("up_success", &p, &[], p.run(&["up"]).ok());
    pin("up_nothing_to_do", &p, &[], p.run(&["up"]).ok());
}

#[test]
fn up_failure_names_the_file_line_and_shows_an_excerpt() {
    let p = Project::new();
    p.pair(
        "1",
        "a",
        "CREATE TABLE a (id INTEGER);\n",
        "DROP TABLE a;\n",
    );
    p.file(
        "2_bad.up.sql",
        "-- a comment\nCREATE TABLE b (id INTEGER);\nINSERT INTO nowhere VALUES (1);\n",
    );
    pin("up_failure", &p, &[], p.run(&["up"]).code(1));
}

#[test]
fn lock_timeout_has_its_own_exit_code() {
    let p = Project::new();
    three(&p);
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(p.path().join("app.db.strata-lock"))
        .unwrap();
    lock.lock().unwrap();
    let out = p.run(&["-lock-timeout", "1", "up"]);
    lock.unlock().unwrap();
    pin("lock_timeout", &p, &[], out.code(4));
}

#[test]
fn refused_connection_redacts_the_password() {
    let p = Project::new();
    three(&p);
    let url = "postgres://u:s3cret-PW@127.0.0.1:1/db?sslmode=disable&connect_timeout=5";
    let out = p.run_on(url, &["up"]);
    out.code(1).never_shows("s3cret-PW");
    pin("connection_refused", &p, &[], &out);
}

#[test]
fn usage_errors() {
    let p = Project::new();
    three(&p);
    pin(
        "usage_unknown_command",
        &p,
        &[],
        p.run(&["sideways"]).code(2),
    );
    pin("usage_plan_goto", &p, &[], p.run(&["plan", "goto"]).code(2));
    pin("usage_bad_limit", &p, &[], p.run(&["up", "many"]).code(2));
    let out = crate::support::output({
        let mut cmd = p.bare();
        cmd.arg("up");
        cmd
    });
    pin("usage_no_database", &p, &[], &out);
}

/// The test database's name varies: it is filtered out.
fn pg_filters(pg: &crate::pg::Pg) -> Vec<(String, &'static str)> {
    vec![(regex_escape(&pg.db.name), "[database]")]
}

#[test]
fn pg_status_plan_and_up() {
    let pg = pg!();
    three(&pg.p);
    let f = pg_filters(&pg);
    pg.run(&["up", "1"]).ok();
    pin("pg_status_text", &pg.p, &f, pg.run(&["status"]).ok());
    pin(
        "pg_status_json",
        &pg.p,
        &f,
        pg.run(&["status", "--format", "json"]).ok(),
    );
    pg.p.file(
        "4_index.up.sql",
        "CREATE INDEX CONCURRENTLY a_id ON a (id);\n",
    );
    pin("pg_plan_text", &pg.p, &f, pg.run(&["plan"]).ok());
    pin(
        "pg_plan_json",
        &pg.p,
        &f,
        pg.run(&["plan", "--format", "json"]).ok(),
    );
    pin("pg_up_success", &pg.p, &f, pg.run(&["up"]).ok());
}

#[test]
fn pg_up_failure_names_the_file_line_and_the_server_error() {
    let pg = pg!();
    pg.p.file(
        "1_bad.up.sql",
        "CREATE TABLE b (id int);\n-- the typo\nINSERT INTO nowhere VALUES (1);\n",
    );
    let f = pg_filters(&pg);
    pin("pg_up_failure", &pg.p, &f, pg.run(&["up"]).code(1));
}

#[test]
fn pg_lock_timeout_names_the_holder() {
    let pg = pg!();
    three(&pg.p);
    let key = strata_drivers::postgres::lock::advisory_lock_id(
        &format!("/{}", pg.db.name),
        &["public", "schema_migrations"],
    ) as i64;
    let mut holder = pg.db.client();
    holder
        .execute("SELECT pg_advisory_lock($1)", &[&key])
        .unwrap();
    let out = pg.run(&["-lock-timeout", "1", "up"]);
    holder
        .execute("SELECT pg_advisory_unlock($1)", &[&key])
        .unwrap();
    let f = pg_filters(&pg);
    pin("pg_lock_timeout", &pg.p, &f, out.code(4));
}
