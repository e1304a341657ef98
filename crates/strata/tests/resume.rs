//! `Migrator::resume` on SQLite: where a statement-by-statement migration stopped is in
//! `status`, and resuming runs the rest only, or is refused after an edit to what ran.

use strata::{ConflictKind, Error, Migrations, Migrator};
use strata_testkit::TestDb;

fn six(fourth: &str, second: &str) -> String {
    format!(
        "-- strata:no-transaction\nINSERT INTO hits VALUES (1);\n{second}\nINSERT INTO hits VALUES (3);\n{fourth}\nINSERT INTO hits VALUES (5);\nINSERT INTO hits VALUES (6);\n"
    )
}

const TWO: &str = "INSERT INTO hits VALUES (2);";

fn folder(dir: &std::path::Path, second_file: &str) -> Migrations {
    std::fs::write(dir.join("1_hits.up.sql"), "CREATE TABLE hits (n int);\n").unwrap();
    std::fs::write(dir.join("2_six.up.sql"), second_file).unwrap();
    Migrations::from_dir(dir).unwrap()
}

fn hits(path: &std::path::Path) -> Vec<i64> {
    let db = rusqlite::Connection::open(path).unwrap();
    let mut stmt = db.prepare("SELECT n FROM hits ORDER BY n").unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

fn conflict_kinds(e: Error) -> Vec<ConflictKind> {
    match e {
        Error::Conflicts { conflicts, .. } => conflicts
            .into_iter()
            .map(|c| strata::Conflict::from(c).kind)
            .collect(),
        other => panic!("conflicts, got {other:?}"),
    }
}

#[test]
fn status_says_where_it_stopped_and_resume_runs_the_rest_once_fixed() {
    let db = TestDb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let failing = folder(
        dir.path(),
        &six("INSERT INTO no_such_table VALUES (4);", TWO),
    );
    Migrator::new(&failing).up(&db.url).unwrap_err();
    let file = db.sqlite_path().expect("a SQLite file");
    assert_eq!(hits(file), [1, 2, 3]);

    let status = Migrator::new(&failing).status(&db.url).unwrap();
    let at = status.stopped_at.expect("where it stopped");
    assert_eq!((at.version, at.statement, at.total, at.line), (2, 4, 6, 5));
    assert!(at.resumable);

    // Without resume: refused as golang-migrate does.
    let fixed = folder(dir.path(), &six("INSERT INTO hits VALUES (4);", TWO));
    assert_eq!(
        conflict_kinds(Migrator::new(&fixed).up(&db.url).unwrap_err()),
        [ConflictKind::Dirty]
    );
    // Statement 2 edited: refused, nothing runs.
    let edited = folder(
        dir.path(),
        &six(
            "INSERT INTO hits VALUES (4);",
            "INSERT INTO hits VALUES (22);",
        ),
    );
    assert_eq!(
        conflict_kinds(Migrator::new(&edited).resume(true).up(&db.url).unwrap_err()),
        [ConflictKind::NotResumable]
    );
    assert_eq!(hits(file), [1, 2, 3]);

    let fixed = folder(dir.path(), &six("INSERT INTO hits VALUES (4);", TWO));
    let report = Migrator::new(&fixed).resume(true).up(&db.url).unwrap();
    assert_eq!(report.migrations.len(), 1);
    assert_eq!(hits(file), [1, 2, 3, 4, 5, 6]);
    let status = Migrator::new(&fixed).status(&db.url).unwrap();
    assert!(!status.dirty && status.stopped_at.is_none());
    assert_eq!(status.version, Some(2));
}
