//! The facade on a MySQL URL: with the `mysql` feature it migrates a real MariaDB (the folder
//! read in MySQL's dialect), with `tokio` too from an async runtime; without it, a typed error
//! naming the feature. `scripts/test.sh` runs it both ways (`-p strata --features mysql,tokio`).

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

/// `err`, its `Debug` form and every cause's message: where a password could show.
#[cfg(all(feature = "mysql", feature = "tokio"))]
fn every_text_of(err: &strata::Error) -> String {
    let mut text = format!("{err}\n{err:?}");
    let mut cause = std::error::Error::source(err);
    while let Some(c) = cause {
        text.push_str(&format!("\n{c}"));
        cause = c.source();
    }
    text
}

#[cfg(all(feature = "mysql", feature = "tokio"))]
#[test]
fn up_async_on_mariadb_from_a_tokio_runtime_and_its_errors_are_typed_without_the_password() {
    use strata::{Error, Event};
    use strata_testkit::mariadb::{TestMariaDb, PASSWORD};
    let Some(db) = TestMariaDb::new() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("1_a.up.sql"), "CREATE TABLE a (id int);\n").unwrap();
    std::fs::write(
        dir.path().join("2_b.up.sql"),
        "CREATE TABLE b (id int);\n# a MySQL comment; with a semicolon\nCREATE TABLE `b 2` (id int);\n",
    )
    .unwrap();
    let m = Migrations::from_dir(dir.path()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (thread_tx, thread_rx) = std::sync::mpsc::channel();
    let wrong = "Wr0ng-pa55word";
    rt.block_on(async {
        let report = Migrator::owning(m.clone())
            .on_event(move |e| {
                if let Event::Started { .. } = e {
                    let name = std::thread::current().name().map(str::to_string);
                    let _ = thread_tx.send(name);
                }
            })
            .up_async(&db.url)
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(report.migrations.len(), 2);
        let status = Migrator::owning(m.clone())
            .status_async(&db.url)
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(status.version, Some(2), "{status:?}");

        let refused = db.url.replacen(PASSWORD, wrong, 1);
        assert_ne!(refused, db.url);
        let err = Migrator::owning(m.clone())
            .up_async(&refused)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Connect(_)), "{err:?}");
        let text = every_text_of(&err);
        assert!(!text.contains(wrong), "{text}");
        assert!(text.contains("Access denied"), "{text}");

        // Not a port: the URL is refused before any connection, its password unshown.
        let malformed = format!("mysql://strata:{wrong}@tcp(127.0.0.1:port)/{}", db.name);
        let err = Migrator::owning(m.clone())
            .up_async(&malformed)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Url(_)), "{err:?}");
        let text = every_text_of(&err);
        assert!(!text.contains(wrong), "{text}");
    });
    let threads: Vec<Option<String>> = thread_rx.try_iter().collect();
    assert_eq!(threads.len(), 2);
    assert!(
        threads
            .iter()
            .all(|t| t.as_deref() == Some("strata-migrate")),
        "the migrations ran on {threads:?}, not on the migration thread"
    );
    let ledger = db
        .server
        .admin(&format!(
            "SELECT version, dirty FROM `{}`.schema_migrations",
            db.name
        ))
        .unwrap();
    assert_eq!(ledger.trim(), "2\t0");
}
