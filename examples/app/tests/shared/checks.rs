// The checks both example programs pass, included by each one's tests/run.rs after it defines
// `BIN` (its binary, as cargo built it) and `NAME` (the name it prints in errors).

use std::process::Command;
use strata_testkit::TestDb;

static MIGRATIONS: strata::Migrations = strata::embed!("migrations");

fn app(cwd: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn migrates_sqlite_at_start_up_from_any_working_directory() {
    let cwd = tempfile::tempdir().unwrap();
    let (ok, out) = app(cwd.path(), &[]);
    assert!(ok, "{out}");
    assert!(
        out.contains("applied 1 todos") && out.contains("2 migration(s) applied"),
        "{out}"
    );
    let url = format!("sqlite://{}", cwd.path().join("app.db").display());
    assert!(strata::Migrator::new(&MIGRATIONS)
        .status(&url)
        .unwrap()
        .is_up_to_date());
    let (ok, out) = app(cwd.path(), &[]);
    assert!(ok && out.contains("0 migration(s) applied"), "{out}");
}

#[test]
fn migrates_postgres_given_a_url() {
    let Some(db) = TestDb::postgres() else { return };
    let cwd = tempfile::tempdir().unwrap();
    let (ok, out) = app(cwd.path(), &[&db.url]);
    assert!(ok && out.contains("2 migration(s) applied"), "{out}");
    assert!(strata::Migrator::new(&MIGRATIONS)
        .status(&db.url)
        .unwrap()
        .is_up_to_date());
}

#[test]
fn a_bad_url_fails_with_a_message() {
    let cwd = tempfile::tempdir().unwrap();
    let (ok, out) = app(cwd.path(), &["oracle://h/db"]);
    assert!(
        !ok && out.contains(&format!("{NAME}: invalid database URL: ")),
        "{out}"
    );
}
