//! `strata lint` end to end against a real PostgreSQL server: a folder mixing safe and dangerous
//! migrations, some already applied. Only pending migrations are linted, and each dangerous one is
//! named with its file, line, column and rule.

use crate::pg::pg;

#[test]
fn lint_end_to_end_on_a_mixed_folder_flags_only_dangerous_pending_migrations() {
    let pg = pg!();
    // Applied already: dangerous, but too late to lint, so it must not be reported.
    pg.p.pair(
        "1",
        "users",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);\nALTER TABLE users ADD COLUMN legacy text NOT NULL;\n",
        "DROP TABLE users;\n",
    );
    pg.run(&["up"]).ok();
    // Pending and safe.
    pg.p.pair(
        "2",
        "teams",
        "CREATE TABLE teams (id bigint PRIMARY KEY);\n",
        "DROP TABLE teams;\n",
    );
    // Pending and dangerous: each for a different reason.
    pg.p.pair(
        "3",
        "plan",
        "ALTER TABLE users ADD COLUMN plan text NOT NULL;\n",
        "ALTER TABLE users DROP COLUMN plan;\n",
    );
    pg.p.pair(
        "4",
        "email_index",
        "CREATE INDEX users_email ON users (email);\n",
        "DROP INDEX users_email;\n",
    );
    pg.p.pair(
        "5",
        "notx",
        "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY users_id2 ON users (id);\nALTER TABLE users ADD COLUMN note text;\n",
        "DROP INDEX users_id2;\n",
    );
    let out = pg.run(&["lint", "--format", "line"]);
    out.code(5)
        .stdout_has("migrations/3_plan.up.sql:1:19: adding-required-field:")
        .stdout_has("migrations/4_email_index.up.sql:1:1: require-concurrent-index-creation:")
        .stdout_has("migrations/5_notx.up.sql:2:1: mixed-no-transaction:")
        .stdout_has("migrations/5_notx.up.sql:3:1: mixed-no-transaction:");
    assert!(
        !out.stdout.contains("1_users"),
        "applied migrations are not linted:\n{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("2_teams"),
        "the safe migration has no finding:\n{}",
        out.stdout
    );
    // JSON for CI annotations carries the same findings.
    let out = pg.run(&["lint", "--format", "json"]);
    out.code(5);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let text = v.to_string();
    for rule in [
        "adding-required-field",
        "require-concurrent-index-creation",
        "mixed-no-transaction",
    ] {
        assert!(text.contains(rule), "{rule} missing from {text}");
    }
    // Linting changed nothing: 2..5 are still pending.
    assert_eq!(pg.ledger_versions(), [1]);
}

#[test]
fn lint_judges_migrations_as_x_multi_statement_runs_them() {
    let pg = pg!();
    pg.p.pair(
        "1",
        "two",
        "CREATE TABLE a (x bigint);\nCREATE TABLE b (x bigint);\n",
        "DROP TABLE b;\nDROP TABLE a;\n",
    );
    // In a transaction, two plain CREATE TABLEs are all or nothing: nothing to flag.
    pg.run(&["lint", "--format", "line"])
        .ok()
        .never_shows("mixed-no-transaction");
    // Statement by statement, a failure at b leaves a behind and a rerun fails on it.
    pg.run_with("x-multi-statement=true", &["lint", "--format", "line"])
        .code(5)
        .stdout_has("migrations/1_two.up.sql:1:1: mixed-no-transaction:")
        .stdout_has("x-multi-statement=true runs it statement by statement");
}
