//! Files too large to hold in memory are streamed (issue 5). `STRATA_STREAM_THRESHOLD` lowers
//! the threshold so a ~1.3 MiB file takes the streamed path: read in 1 MiB chunks, so a `$$`
//! body (PostgreSQL) or a trigger body (SQLite) is cut by a chunk's edge, and sent in ~1 MiB
//! batches. The same file applied below the threshold (read whole) must give the same rows and
//! the same ledger checksum; a bad statement near the end names its file line and leaves
//! nothing.

use crate::pg::pg;
use crate::support::{output, Output, Project};

const CHUNK: usize = 1 << 20;

/// A file of INSERTs (with `;` inside strings) whose `body` statement straddles the first
/// 1 MiB chunk edge, then `middle`, then more INSERTs, then `tail`. Starts with a BOM and uses
/// CRLF in its first lines (the checksum ignores both). Returns the text and the 1-based line
/// of `tail`'s first line.
fn big_file(body: &str, middle: &str, tail: &str) -> (String, usize) {
    let mut s = String::from("\u{feff}CREATE TABLE t (id int PRIMARY KEY, note text);\r\n\r\n");
    let mut id = 0;
    let insert = |id: i32| format!("INSERT INTO t VALUES ({id}, 'row {id}; with a semicolon');\n");
    // Stop early enough that `body` starts before the edge and ends after it.
    while s.len() + insert(id).len() < CHUNK - body.len() / 2 {
        s.push_str(&insert(id));
        id += 1;
    }
    s.push_str(&"-".repeat(CHUNK - body.len() / 2 - s.len()));
    s.push('\n');
    assert!(s.len() < CHUNK && s.len() + body.len() > CHUNK);
    s.push_str(body);
    s.push_str(middle);
    for _ in 0..4000 {
        s.push_str(&insert(id));
        id += 1;
    }
    let line = s.matches('\n').count() + 1;
    s.push_str(tail);
    (s, line)
}

/// `strata ... ARGS` on `url` with the stream threshold at 1000 bytes.
fn run_streamed(p: &Project, url: &str, args: &[&str]) -> Output {
    let mut cmd = p.bare();
    cmd.env("STRATA_STREAM_THRESHOLD", "1000")
        .args(["-path", "migrations", "-database", url])
        .args(args);
    output(cmd)
}

const PG_FUNCTION: &str = "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\n\
BEGIN\n  -- a comment; with a semicolon\n  PERFORM 1; PERFORM 2; PERFORM 3; PERFORM 4; PERFORM 5;\n  PERFORM 6; PERFORM 7; PERFORM 8; PERFORM 9; PERFORM 10;\n  RETURN 42;\nEND;\n$$;\n";

const PG_COPY: &str = "COPY t (id, note) FROM stdin;\n\
100000\tcopied; $$ 'quoted' -- not a comment\n\
100001\t\\N\n\
\\.\n";

#[test]
fn pg_streamed_file_applies_like_one_read_whole() {
    let a = pg!();
    let b = pg!();
    let (file, _) = big_file(PG_FUNCTION, PG_COPY, "CREATE INDEX t_note ON t (note);\n");
    for pg in [&a, &b] {
        pg.p.pair("1", "big", &file, "DROP TABLE t; DROP FUNCTION f();");
    }
    run_streamed(&a.p, &a.db.url, &["up"]).ok();
    b.run(&["up"]).ok();
    let facts = |pg: &crate::pg::Pg| {
        let mut c = pg.db.client();
        let rows: i64 = c.query_one("SELECT count(*) FROM t", &[]).unwrap().get(0);
        let copied: String = c
            .query_one("SELECT note FROM t WHERE id = 100000", &[])
            .unwrap()
            .get(0);
        let f: i32 = c.query_one("SELECT f()", &[]).unwrap().get(0);
        let checksum: String = c
            .query_one(
                "SELECT checksum FROM schema_migrations_ledger WHERE version = 1",
                &[],
            )
            .unwrap()
            .get(0);
        (rows, copied, f, checksum)
    };
    let (streamed, whole) = (facts(&a), facts(&b));
    assert_eq!(streamed, whole);
    assert!(streamed.0 > 20_000, "{streamed:?}");
    assert_eq!(streamed.1, "copied; $$ 'quoted' -- not a comment");
    assert_eq!(streamed.2, 42);
    assert_eq!(
        a.ledger(),
        [(1, "applied".to_string(), "transaction".to_string())]
    );
    // `status` on the streamed database sees no drift (same checksum).
    run_streamed(&a.p, &a.db.url, &["validate"]).ok();
}

#[test]
fn pg_streamed_file_failing_near_the_end_names_its_line_and_leaves_nothing() {
    let pg = pg!();
    let (file, line) = big_file(
        PG_FUNCTION,
        PG_COPY,
        "INSERT INTO t VALUES (-1, 'fine');\nINSERT INTO nope VALUES (1);\nSELECT 1;\n",
    );
    pg.p.pair("1", "big", &file, "DROP TABLE t;");
    run_streamed(&pg.p, &pg.db.url, &["up"])
        .code(1)
        .stderr_has(&format!("1_big.up.sql:{}:", line + 1))
        .stderr_has("\"nope\" does not exist");
    assert!(pg.tables().is_empty(), "{:?}", pg.tables());
    assert!(pg.ledger().is_empty());
    assert!(pg.compat().iter().all(|(_, dirty)| !dirty));
}

#[test]
fn pg_streamed_error_without_position_names_its_line() {
    let pg = pg!();
    // A duplicate key has no server position: the statement is found by replaying the file
    // (the table exists only thanks to the first batch).
    let (file, line) = big_file(
        PG_FUNCTION,
        PG_COPY,
        "INSERT INTO t VALUES (-1, 'fine');\nINSERT INTO t VALUES (7, 'duplicate');\nSELECT 1;\n",
    );
    pg.p.pair("1", "big", &file, "DROP TABLE t;");
    run_streamed(&pg.p, &pg.db.url, &["up"])
        .code(1)
        .stderr_has(&format!("1_big.up.sql:{}:", line + 1))
        .stderr_has("duplicate key value");
    assert!(pg.tables().is_empty(), "{:?}", pg.tables());
    assert!(pg.ledger().is_empty());
}

#[test]
fn pg_streamed_bad_copy_row_names_its_file_line() {
    let pg = pg!();
    let copy = "COPY t (id, note) FROM stdin;\n1000000\tfine\nnot-a-number\tbad\n\\.\n";
    let (file, _) = big_file(PG_FUNCTION, copy, "SELECT 1;\n");
    let bad = file[..file.find("not-a-number").unwrap()]
        .matches('\n')
        .count()
        + 1;
    pg.p.pair("1", "big", &file, "DROP TABLE t;");
    run_streamed(&pg.p, &pg.db.url, &["up"])
        .code(1)
        .stderr_has(&format!("1_big.up.sql:{bad}:"))
        .stderr_has("invalid input syntax for type integer");
    assert!(pg.tables().is_empty(), "{:?}", pg.tables());
}

const SQLITE_TRIGGER: &str = "CREATE TRIGGER t_log AFTER INSERT ON t WHEN new.id < 0\nBEGIN\n  \
UPDATE t SET note = 'seen; once' WHERE id = new.id;\n  UPDATE t SET note = note || '!' WHERE id = new.id;\n  \
SELECT CASE WHEN new.id = -2 THEN RAISE(ABORT, 'no; never') END;\nEND;\n";

fn sqlite_checksum(p: &Project) -> String {
    p.db()
        .query_row(
            "SELECT checksum FROM schema_migrations_ledger WHERE version = 1",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn sqlite_streamed_file_applies_like_one_read_whole() {
    let (file, _) = big_file(SQLITE_TRIGGER, "", "INSERT INTO t VALUES (-1, 'x');\n");
    let (a, b) = (Project::new(), Project::new());
    for p in [&a, &b] {
        p.pair("1", "big", &file, "DROP TABLE t;");
    }
    run_streamed(&a, "sqlite://app.db", &["up"]).ok();
    b.run(&["up"]).ok();
    let facts = |p: &Project| {
        let c = p.db();
        let rows: i64 = c
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        let note: String = c
            .query_row("SELECT note FROM t WHERE id = -1", [], |r| r.get(0))
            .unwrap();
        (rows, note, sqlite_checksum(p))
    };
    let streamed = facts(&a);
    assert_eq!(streamed, facts(&b));
    assert_eq!(streamed.1, "seen; once!");
}

#[test]
fn sqlite_streamed_file_failing_near_the_end_names_its_line_and_leaves_nothing() {
    let (file, line) = big_file(
        SQLITE_TRIGGER,
        "",
        "INSERT INTO t VALUES (-1, 'x');\nINSERT INTO nope VALUES (1);\n",
    );
    let p = Project::new();
    p.pair("1", "big", &file, "DROP TABLE t;");
    run_streamed(&p, "sqlite://app.db", &["up"])
        .code(1)
        .stderr_has(&format!("1_big.up.sql:{}:", line + 1))
        .stderr_has("no such table: nope");
    assert!(p.ledger_versions().is_empty());
    assert!(p.tables().iter().all(|t| t != "t"), "{:?}", p.tables());
}

#[test]
fn sqlite_streamed_no_transaction_file_is_refused_before_it_runs() {
    let (file, _) = big_file(SQLITE_TRIGGER, "", "");
    let p = Project::new();
    p.pair(
        "1",
        "big",
        &format!("-- strata:no-transaction\n{file}"),
        "DROP TABLE t;",
    );
    run_streamed(&p, "sqlite://app.db", &["up"])
        .code(1)
        .stderr_has("streamed files run only in a transaction");
    assert!(p.tables().iter().all(|t| t != "t"), "{:?}", p.tables());
    // (Read whole, below the threshold, the same file runs: over 20,000 statements one by one in
    // autocommit, each with its progress record — a minute of fsyncs, so not repeated here; the
    // no-transaction path has its own tests.)
}

/// Lines longer than the 1 MiB read chunk (a block comment, a literal, a line of many
/// statements, a trailing `--` comment): the streamed run lexes them as they arrive (never held
/// whole) and must apply what the file read whole applies.
#[test]
fn sqlite_streamed_lines_longer_than_a_chunk_apply_like_one_read_whole() {
    let long = |c: &str| c.repeat(CHUNK * 5 / 2);
    let file = format!(
        "/* {} */ CREATE TABLE t (id int PRIMARY KEY, note text);\n\
         INSERT INTO t VALUES (1, '{}'); {}\n-- {}\nINSERT INTO t VALUES (0, 'tail');\n",
        long("c"),
        long("n"),
        (2..20_000)
            .map(|i| format!("INSERT INTO t VALUES ({i}, 'x;{i}');"))
            .collect::<String>(),
        long("d"),
    );
    let (a, b) = (Project::new(), Project::new());
    for p in [&a, &b] {
        p.pair("1", "long", &file, "DROP TABLE t;");
    }
    run_streamed(&a, "sqlite://app.db", &["up"]).ok();
    run_streamed(&a, "sqlite://app.db", &["status"]).ok();
    b.run(&["up"]).ok();
    let facts = |p: &Project| {
        let c = p.db();
        let rows: i64 = c
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        let note: i64 = c
            .query_row("SELECT length(note) FROM t WHERE id = 1", [], |r| r.get(0))
            .unwrap();
        (rows, note, sqlite_checksum(p))
    };
    let streamed = facts(&a);
    assert_eq!(streamed, facts(&b));
    assert_eq!((streamed.0, streamed.1), (20_000, (CHUNK * 5 / 2) as i64));
}
