//! The bad-input corpus (issue 6): every broken input gets a clear error (or correct handling),
//! never a panic, never a half-applied migration — on SQLite, and on PostgreSQL when a server
//! is available. Cases already covered in `bad_input.rs` (two files for one version, non-UTF-8,
//! unknown URL scheme, down before up) are not repeated. Inputs are generated at test time (the
//! 50 MB file and the symlink loop cannot sensibly be committed).

use crate::faults::{run, State};
use crate::support::{Output, Project};
use strata_testkit::TestDb;

struct Case {
    name: &'static str,
    setup: fn(&Project),
    /// Checks the output of `up` and the user tables afterwards.
    check: fn(&Output, &[String]),
}

fn raw(p: &Project, name: &str, bytes: &[u8]) {
    std::fs::write(p.path().join("migrations").join(name), bytes).unwrap();
}

fn a(p: &Project) {
    p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
}

#[track_caller]
fn fails(o: &Output, needle: &str) {
    assert_eq!(o.code, 1, "expected exit 1:\n{}", o.stderr);
    o.stderr_has(needle);
}

const CASES: &[Case] = &[
    Case {
        name: "names that are not migrations are ignored",
        setup: |p| {
            a(p);
            for n in [
                "abc.up.sql",
                "_x.up.sql",
                ".hidden.up.sql",
                "README.md",
                "1_a.up",
                "x1_a.up.sql",
            ] {
                raw(p, n, b"DROP TABLE a;");
            }
        },
        check: |o, t| {
            o.ok();
            assert_eq!(t, ["a"]);
        },
    },
    Case {
        name: "a version too large for bigint",
        setup: |p| {
            a(p);
            raw(
                p,
                "99999999999999999999_big.up.sql",
                b"CREATE TABLE big (id int);",
            );
        },
        check: |o, t| {
            fails(o, "99999999999999999999_big.up.sql");
            o.stderr_has("too large");
            assert!(t.is_empty(), "nothing runs when a file is bad: {t:?}");
        },
    },
    Case {
        name: "a backup copy claims the same version",
        setup: |p| {
            a(p);
            raw(p, "1_a.up.sql.bak", b"CREATE TABLE old (id int);");
        },
        check: |o, t| {
            fails(o, "1_a.up.sql.bak");
            assert!(t.is_empty(), "{t:?}");
        },
    },
    Case {
        name: "unterminated quote",
        setup: |p| {
            a(p);
            raw(
                p,
                "2_q.up.sql",
                b"CREATE TABLE b (id int);\nINSERT INTO b VALUES (1);\nSELECT 'oops;\n",
            );
        },
        check: |o, t| {
            fails(o, "2_q.up.sql:3");
            o.stderr_has("rolled back");
            assert_eq!(t, ["a"], "migration 2 left nothing");
        },
    },
    Case {
        name: "unterminated dollar quote",
        setup: |p| {
            a(p);
            raw(
                p,
                "2_f.up.sql",
                b"CREATE TABLE b (id int);\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 1;\n",
            );
        },
        check: |o, t| {
            fails(o, "2_f.up.sql:");
            assert_eq!(t, ["a"], "migration 2 left nothing");
        },
    },
    Case {
        name: "a marker file with two up sections",
        setup: |p| {
            a(p);
            raw(
                p,
                "2_m.sql",
                b"-- +goose Up\nCREATE TABLE b (id int);\n-- +goose Up\nCREATE TABLE c (id int);\n",
            );
        },
        check: |o, t| {
            fails(o, "2_m.sql:3: a second up section");
            assert!(t.is_empty(), "{t:?}");
        },
    },
    Case {
        name: "a 0-byte file is an empty migration",
        setup: |p| {
            raw(p, "1_empty.up.sql", b"");
            raw(p, "2_b.up.sql", b"CREATE TABLE b (id int);");
        },
        check: |o, t| {
            o.ok().stderr_has("1/u empty").stderr_has("2/u b");
            assert_eq!(t, ["b"]);
        },
    },
    Case {
        name: "a UTF-8 BOM is not SQL",
        setup: |p| raw(p, "1_a.up.sql", b"\xef\xbb\xbfCREATE TABLE a (id int);\n"),
        check: |o, t| {
            o.ok();
            assert_eq!(t, ["a"]);
        },
    },
    Case {
        name: "CRLF line endings in a marker file",
        setup: |p| {
            raw(
                p,
                "1_a.sql",
                b"-- +goose Up\r\nCREATE TABLE a (id int);\r\n-- +goose Down\r\nDROP TABLE a;\r\n",
            )
        },
        check: |o, t| {
            o.ok();
            assert_eq!(t, ["a"]);
        },
    },
    Case {
        name: "a symlink loop",
        setup: |p| {
            a(p);
            std::os::unix::fs::symlink("2_loop.up.sql", p.path().join("migrations/2_loop.up.sql"))
                .unwrap();
        },
        check: |o, t| {
            fails(o, "2_loop.up.sql");
            o.stderr_has("symbolic links");
            assert!(t.is_empty(), "{t:?}");
        },
    },
    Case {
        name: "a directory symlink loop and a directory named like a migration",
        setup: |p| {
            a(p);
            std::os::unix::fs::symlink(".", p.path().join("migrations/sub")).unwrap();
            std::fs::create_dir(p.path().join("migrations/2_dir.up.sql")).unwrap();
        },
        check: |o, t| {
            o.ok();
            assert_eq!(t, ["a"]);
        },
    },
];

/// Every case on SQLite, and on PostgreSQL when there is a server.
#[test]
fn bad_input_corpus() {
    for case in CASES {
        let p = Project::new();
        (case.setup)(&p);
        let out = run(&p, "sqlite://app.db", &["up"]);
        let tables = if p.db_path().exists() {
            p.tables()
        } else {
            vec![]
        };
        eprintln!("sqlite: {}", case.name);
        (case.check)(&out, &tables);
    }
    for case in CASES {
        let Some(db) = TestDb::postgres() else { return };
        let p = Project::new();
        (case.setup)(&p);
        let out = run(&p, &db.url, &["up"]);
        eprintln!("postgres: {}", case.name);
        (case.check)(&out, &State::read(&mut db.client()).tables);
    }
}

#[test]
fn directory_named_like_a_migration_is_listed_as_ignored() {
    let p = Project::new();
    a(&p);
    std::fs::create_dir(p.path().join("migrations/2_dir.up.sql")).unwrap();
    run(&p, "sqlite://app.db", &["status"])
        .ok()
        .stdout_has("2_dir.up.sql (directory named like a migration");
}

#[test]
fn a_50_mb_single_line_file_is_handled() {
    let p = Project::new();
    let mut sql = String::with_capacity(50 * 1024 * 1024 + 64);
    sql.push_str("CREATE TABLE big (id int); -- ");
    sql.push_str(&"x".repeat(50 * 1024 * 1024));
    raw(&p, "1_big.up.sql", sql.as_bytes());
    drop(sql);
    let start = std::time::Instant::now();
    run(&p, "sqlite://app.db", &["up"])
        .ok()
        .stderr_has("1/u big");
    assert!(start.elapsed() < std::time::Duration::from_secs(30));
    assert_eq!(p.tables(), ["big"]);
}

#[test]
fn malformed_sslmode_is_named_and_hides_the_password() {
    let p = Project::new();
    a(&p);
    let out = run(
        &p,
        "postgres://u:Sup3r-s3cret@127.0.0.1:1/db?sslmode=bogus",
        &["up"],
    );
    out.code(1)
        .stderr_has("invalid value \"bogus\" for sslmode")
        .never_shows("Sup3r-s3cret");
}

/// `x-migrations-table` is an identifier, quoted, never SQL.
#[test]
fn injection_in_x_migrations_table_is_just_a_strange_table_name() {
    let evil = "foo%22%3B%20DROP%20TABLE%20a%3B%20--";
    let name = "foo\"; DROP TABLE a; --";
    let expected = [
        "a".to_string(),
        "b".to_string(),
        name.to_string(),
        format!("{name}_ledger"),
        format!("{name}_log"),
    ];
    let p = Project::new();
    a(&p);
    p.pair("2", "b", "CREATE TABLE b (id int);", "DROP TABLE b;");
    let url = format!("sqlite://app.db?x-migrations-table={evil}");
    run(&p, &url, &["up", "1"]).ok();
    run(&p, &url, &["up"]).ok();
    assert_eq!(p.tables(), expected);
    let Some(db) = TestDb::postgres() else { return };
    let url = db.url_with(&format!("x-migrations-table={evil}"));
    run(&p, &url, &["up", "1"]).ok();
    run(&p, &url, &["up"]).ok();
    assert_eq!(State::read(&mut db.client()).tables, expected);
    assert_eq!(run(&p, &url, &["version"]).ok().stdout, "2\n");
}
