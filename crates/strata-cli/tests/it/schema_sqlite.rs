//! `verify` and `dump` on SQLite.

use crate::support::Project;

#[test]
fn sqlite_verify_finds_a_table_left_behind_and_leaves_the_file_unchanged() {
    let p = Project::new();
    p.pair("1", "t", "CREATE TABLE t (a int);\n", "DROP TABLE t;\n");
    p.pair(
        "2",
        "left",
        "CREATE TABLE groupchannels (id int);\n",
        "SELECT 1;\n",
    );
    p.run(&["up", "1"]).ok();
    let out = p.run(&["verify"]);
    assert_eq!(out.code, 3, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("    table groupchannels is left behind"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("1/u"), "{}", out.stdout);
    assert_eq!(p.tables(), ["t"]);
    // --all needs a scratch database: the applied ones are already on the target.
    let out = p.run(&["verify", "--all"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("--all needs --scratch ADMIN_URL"),
        "{}",
        out.stderr
    );
}

#[test]
fn sqlite_dump_round_trips_and_check_detects_a_manual_change() {
    let p = Project::new();
    p.pair(
        "1",
        "t",
        "CREATE TABLE t (id integer PRIMARY KEY, name text NOT NULL DEFAULT 'x');\n\
         CREATE INDEX t_name ON t (name) WHERE id > 0;\n\
         CREATE VIEW v AS SELECT id FROM t;\n\
         CREATE TRIGGER t_trg AFTER INSERT ON t BEGIN SELECT 1; END;\n",
        "DROP TABLE t;\n",
    );
    p.run(&["up"]).ok();
    let first = p.run(&["dump"]);
    first.ok();
    assert!(
        first
            .stdout
            .contains("CREATE INDEX t_name ON t (name) WHERE id > 0;"),
        "{}",
        first.stdout
    );
    assert!(
        first
            .stdout
            .contains("INSERT INTO \"schema_migrations\" (version, dirty) VALUES (1, 0);"),
        "{}",
        first.stdout
    );
    // Loaded into an empty file, then dumped: the same bytes.
    let other = p.path().join("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch(&first.stdout)
        .unwrap();
    let url = format!("sqlite://{}", other.display());
    let second = p.run_on(&url, &["dump"]);
    second.ok();
    // The reloaded file has golang-migrate's table but no ledger.
    let strip = |s: &str| {
        s.lines()
            .filter(|l| !l.starts_with("-- applied"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&first.stdout), strip(&second.stdout));
    std::fs::write(p.path().join("schema.sql"), &first.stdout).unwrap();
    p.run(&["dump", "--check", "schema.sql"]).ok();
    p.db()
        .execute_batch("ALTER TABLE t ADD COLUMN extra int;")
        .unwrap();
    let out = p.run(&["dump", "--check", "schema.sql"]);
    assert_eq!(out.code, 3, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("column t.extra is in the database, not in schema.sql"),
        "{}",
        out.stderr
    );
}
