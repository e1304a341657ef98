//! `strata renumber` through the real binary on SQLite: two branches' `000003_*`, a merged-in
//! migration older than the newest applied one, `--dry-run`.

use crate::support::{three, Project};

#[test]
fn renumber_moves_the_unapplied_duplicate_and_the_out_of_order_one_after_the_newest() {
    let p = Project::new();
    three(&p);
    p.run(&["up"]).ok();
    // The other branch's 000003, and an old one merged late.
    p.pair(
        "000003",
        "create_d",
        "CREATE TABLE d (id INTEGER);",
        "DROP TABLE d;",
    );
    p.pair(
        "000002",
        "create_e",
        "CREATE TABLE e (id INTEGER);",
        "DROP TABLE e;",
    );
    p.run(&["up"]).code(1);

    let dry = p.run(&["renumber", "--dry-run"]);
    dry.ok()
        .stdout_has("000002_create_e.up.sql -> 000004_create_e.up.sql")
        .stdout_has("000003_create_d.down.sql -> 000005_create_d.down.sql");
    assert!(p.path().join("migrations/000003_create_d.up.sql").exists());

    p.run(&["renumber"]).ok();
    for f in [
        "000004_create_e.up.sql",
        "000004_create_e.down.sql",
        "000005_create_d.up.sql",
        "000005_create_d.down.sql",
        "000003_create_c.up.sql",
    ] {
        assert!(p.path().join("migrations").join(f).exists(), "{f}");
    }
    assert!(!p.path().join("migrations/000003_create_d.up.sql").exists());
    p.run(&["up"]).ok();
    p.run(&["version"]).ok().stdout_has("5");
    p.run(&["renumber"]).ok();
    assert_eq!(p.ledger_versions(), [1, 2, 3, 4, 5]);
}
