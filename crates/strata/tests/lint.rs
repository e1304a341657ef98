//! `Migrations::lint` (feature `lint`): squawk's and Strata's rules, with the file and line.
#![cfg(feature = "lint")]

use strata::Migrations;

#[test]
fn lint_finds_a_required_column_and_a_blocking_index_with_their_lines() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("1_users.up.sql"),
        "CREATE TABLE users (id bigint);\n",
    )
    .unwrap();
    std::fs::write(tmp.path().join("1_users.down.sql"), "DROP TABLE users;\n").unwrap();
    std::fs::write(
        tmp.path().join("2_users_email.up.sql"),
        "-- add the email\nALTER TABLE users ADD COLUMN email text NOT NULL;\nCREATE INDEX users_email ON users (email);\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("2_users_email.down.sql"),
        "ALTER TABLE users DROP COLUMN email;\n",
    )
    .unwrap();
    let findings = Migrations::from_dir(tmp.path()).unwrap().lint().unwrap();
    let found: Vec<(u64, &str, usize, bool)> = findings
        .iter()
        .map(|f| (f.version, f.rule.as_str(), f.line, f.squawk))
        .collect();
    assert!(
        found.contains(&(2, "adding-required-field", 2, true)),
        "{found:?}"
    );
    assert!(
        found.contains(&(2, "require-concurrent-index-creation", 3, true)),
        "{found:?}"
    );
    // Version 1 is clean: nothing is reported for it.
    assert!(found.iter().all(|f| f.0 == 2), "{found:?}");
    let f = findings.iter().find(|f| f.line == 2).unwrap();
    assert_eq!(f.path, tmp.path().join("2_users_email.up.sql"));
}
