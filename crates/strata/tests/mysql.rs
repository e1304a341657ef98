//! The facade on a MySQL URL: with the `mysql` feature it migrates a real MariaDB (the folder
//! read in MySQL's dialect); without it, a typed error naming the feature.

use strata::{Migrations, Migrator};

#[cfg(not(feature = "mysql"))]
#[test]
fn a_mysql_url_without_the_feature_is_refused_naming_it() {
    use strata::Error;
    static EMBEDDED: Migrations = strata::embed!("tests/migrations");
    let err = Migrator::new(&EMBEDDED)
        .up("mysql://app:pw@tcp(127.0.0.1:1)/app")
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::BackendNotBuilt {
                backend: "MySQL",
                feature: "mysql"
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "this build has no MySQL support: enable the `mysql` feature of the strata crate"
    );
}

#[cfg(feature = "mysql")]
#[test]
fn up_and_status_on_mariadb_read_the_folder_as_mysql() {
    use strata_testkit::mariadb::TestMariaDb;
    let Some(db) = TestMariaDb::new() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("1_a.up.sql"), "CREATE TABLE a (id int);\n").unwrap();
    // `#` starts a comment only in MySQL: its semicolon must not split the statement.
    std::fs::write(
        dir.path().join("2_b.up.sql"),
        "CREATE TABLE b (id int);\n# a MySQL comment; with a semicolon\nCREATE TABLE `b 2` (id int);\n",
    )
    .unwrap();
    let m = Migrations::from_dir(dir.path()).unwrap();
    let report = Migrator::new(&m)
        .up(&db.url)
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(report.migrations.len(), 2);
    let sql = |q: &str| {
        db.server
            .admin(&format!("USE `{}`; {q}", db.name))
            .unwrap()
            .trim()
            .to_string()
    };
    assert_eq!(sql("SELECT version, dirty FROM schema_migrations"), "2\t0");
    assert_eq!(
        sql(
            "SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE 'schema_migrations%'"
        ),
        "a,b,b 2"
    );
    let status = Migrator::new(&m).status(&db.url).unwrap();
    assert_eq!(status.version, Some(2), "{status:?}");
}
