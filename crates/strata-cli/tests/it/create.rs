//! `create` names the new migration the way its folder does, where `-dir` or `MIGRATION_DIR`
//! says, and the result is a migration Strata runs.

use crate::support::{output, Project};

fn names(p: &Project, dir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(p.path().join(dir))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn create_without_dir_uses_migration_dir() {
    let p = Project::new();
    let mut cmd = p.bare();
    cmd.env("MIGRATION_DIR", "db/migrations")
        .args(["create", "-ext", "sql", "-seq", "init"]);
    output(cmd)
        .ok()
        .stdout_has("db/migrations/000001_init.up.sql");
    assert_eq!(
        names(&p, "db/migrations"),
        ["000001_init.down.sql", "000001_init.up.sql"]
    );
    // -dir still wins.
    let mut cmd = p.bare();
    cmd.env("MIGRATION_DIR", "db/migrations")
        .args(["create", "-ext", "sql", "-dir", "other", "-seq", "init"]);
    output(cmd).ok();
    assert_eq!(names(&p, "other").len(), 2);
    assert_eq!(names(&p, "db/migrations").len(), 2);
}

#[test]
fn create_beside_single_files_with_markers_writes_one_more_like_them() {
    let p = Project::new();
    p.file(
        "001_init.sql",
        "-- migrate:up\nCREATE TABLE a (id INTEGER);\n\n-- migrate:down\nDROP TABLE a;\n",
    );
    let mut cmd = p.bare();
    cmd.args([
        "create",
        "-ext",
        "sql",
        "-dir",
        "migrations",
        "-seq",
        "add_b",
    ]);
    output(cmd).ok().stdout_has("002_add_b.sql");
    assert_eq!(names(&p, "migrations"), ["001_init.sql", "002_add_b.sql"]);
    let text = std::fs::read_to_string(p.path().join("migrations/002_add_b.sql")).unwrap();
    assert_eq!(text, "-- migrate:up\n\n-- migrate:down\n");
    p.run(&["status"]).ok().stdout_has("add_b");
    // What it wrote is a migration Strata reads, applies and reverts.
    std::fs::write(
        p.path().join("migrations/002_add_b.sql"),
        "-- migrate:up\nCREATE TABLE b (id INTEGER);\n\n-- migrate:down\nDROP TABLE b;\n",
    )
    .unwrap();
    p.run(&["up"]).ok();
    assert_eq!(p.tables(), ["a", "b"]);
    assert_eq!(p.ledger_versions(), [1, 2]);
    p.run(&["down", "1"]).ok();
    assert_eq!(p.tables(), ["a"]);
}

#[test]
fn create_beside_unpadded_pairs_keeps_their_width() {
    let p = Project::new();
    p.pair("1", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;");
    let mut cmd = p.bare();
    cmd.args(["create", "-ext", "sql", "-dir", "migrations", "-seq", "b"]);
    output(cmd).ok();
    assert_eq!(
        names(&p, "migrations"),
        ["1_a.down.sql", "1_a.up.sql", "2_b.down.sql", "2_b.up.sql"]
    );
}
