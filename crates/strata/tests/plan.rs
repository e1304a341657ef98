//! `Migrator::plan`: what `up` would run, with each step's mode and why, and every conflict,
//! on real SQLite and PostgreSQL databases; nothing is created or run.

use strata::{ConflictKind, Direction, Migrations, Migrator, Mode};
use strata_testkit::TestDb;

static EMBEDDED: Migrations = strata::embed!("tests/migrations");

fn steps(plan: &strata::Plan) -> Vec<(u64, &str, Direction, Option<Mode>)> {
    plan.steps
        .iter()
        .map(|s| (s.version, s.name.as_str(), s.direction, s.mode))
        .collect()
}

#[test]
fn plan_on_a_new_sqlite_database_lists_every_migration_and_creates_nothing() {
    let db = TestDb::sqlite();
    let plan = Migrator::new(&EMBEDDED).plan(&db.url).unwrap();
    let tx = Some(Mode::Transaction);
    assert_eq!(
        steps(&plan),
        [
            (1, "users", Direction::Up, tx),
            (2, "posts", Direction::Up, tx),
            (3, "posts_index", Direction::Up, tx),
        ]
    );
    assert!(plan.conflicts.is_empty());
    assert!(plan.steps.iter().all(|s| s.why.is_none()), "{plan:?}");
    assert!(!db.sqlite_path().unwrap().exists(), "plan created the file");
}

#[test]
fn plan_after_a_partial_run_lists_the_rest_and_is_empty_when_done() {
    let db = TestDb::sqlite();
    Migrator::new(&EMBEDDED).up_to(&db.url, 1).unwrap();
    let plan = Migrator::new(&EMBEDDED).plan(&db.url).unwrap();
    let versions: Vec<u64> = plan.steps.iter().map(|s| s.version).collect();
    assert_eq!(versions, [2, 3]);
    Migrator::new(&EMBEDDED).up(&db.url).unwrap();
    assert!(Migrator::new(&EMBEDDED).plan(&db.url).unwrap().is_empty());
}

#[test]
fn plan_reports_an_edited_file_as_a_conflict_and_no_steps() {
    let db = TestDb::sqlite();
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("1_a.up.sql");
    std::fs::write(&file, "CREATE TABLE a (x int);\n").unwrap();
    std::fs::write(tmp.path().join("2_b.up.sql"), "CREATE TABLE b (x int);\n").unwrap();
    Migrator::new(&Migrations::from_dir(tmp.path()).unwrap())
        .up_to(&db.url, 1)
        .unwrap();
    std::fs::write(&file, "CREATE TABLE a (x int, y int);\n").unwrap();
    let plan = Migrator::new(&Migrations::from_dir(tmp.path()).unwrap())
        .plan(&db.url)
        .unwrap();
    assert!(plan.steps.is_empty(), "{plan:?}");
    assert_eq!(plan.conflicts.len(), 1, "{plan:?}");
    let c = &plan.conflicts[0];
    assert_eq!((c.kind, c.version), (ConflictKind::Edited, Some(1)));
    assert!(c.message.contains("1_a.up.sql"), "{}", c.message);
}

#[cfg(feature = "postgres")]
#[test]
fn plan_on_postgres_gives_the_mode_and_why_and_creates_no_table() {
    let Some(db) = TestDb::postgres() else { return };
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("1_t.up.sql"), "CREATE TABLE t (x int);\n").unwrap();
    std::fs::write(
        tmp.path().join("2_t_x.up.sql"),
        "CREATE INDEX CONCURRENTLY t_x ON t (x);\n",
    )
    .unwrap();
    let m = Migrations::from_dir(tmp.path()).unwrap();
    let plan = Migrator::new(&m).plan(&db.url).unwrap();
    assert_eq!(
        steps(&plan),
        [
            (1, "t", Direction::Up, Some(Mode::Transaction)),
            (2, "t_x", Direction::Up, Some(Mode::NoTransaction)),
        ]
    );
    assert_eq!(plan.steps[0].why, None);
    let why = plan.steps[1].why.as_deref().unwrap_or_default();
    assert!(why.contains("CONCURRENTLY"), "{why:?}");
    let tables: i64 = db
        .client()
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(tables, 0, "plan created tables");
}
