//! `COPY ... FROM stdin` data blocks (pg_dump's plain format) through the binary: applied on
//! PostgreSQL in the migration's transaction, bad rows located by file line, unterminated
//! blocks refused before anything runs, and SQLite refusing COPY by file and line.

use crate::pg::pg;
use crate::support::Project;

/// A pg_dump-style file: settings, a table, a COPY block whose rows hold `;`, `$$`, quotes,
/// `--`, `\N` and escaped tabs, the `\.` line, then more SQL. Rows start on line 8.
const DUMP: &str = "SET statement_timeout = 0;\n\
SELECT pg_catalog.set_config('search_path', 'public', false);\n\
\n\
CREATE TABLE public.t (id integer PRIMARY KEY, name text);\n\
\n\
-- Data for Name: t; Type: TABLE DATA\n\
COPY public.t (id, name) FROM stdin;\n\
1\tsemi;colon\n\
2\t$$dollar$$ body; DROP TABLE t;\n\
3\tit's \"quoted\" -- not a comment\n\
4\t\\N\n\
5\ta\\ttab and /* not a comment\n\
\\.\n\
\n\
CREATE INDEX t_name ON public.t (name);\n\
INSERT INTO public.t VALUES (6, 'after the block');\n";

#[test]
fn pg_copy_from_stdin_block_is_applied_with_its_rows() {
    let pg = pg!();
    pg.p.pair("1", "dump", DUMP, "DROP TABLE public.t;");
    pg.run(&["up"]).ok().stderr_has("1/u dump (");
    let mut c = pg.db.client();
    let rows: Vec<(i32, Option<String>)> = c
        .query("SELECT id, name FROM public.t ORDER BY id", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let want: Vec<(i32, Option<String>)> = vec![
        (1, Some("semi;colon".into())),
        (2, Some("$$dollar$$ body; DROP TABLE t;".into())),
        (3, Some("it's \"quoted\" -- not a comment".into())),
        (4, None),
        (5, Some("a\ttab and /* not a comment".into())),
        (6, Some("after the block".into())),
    ];
    assert_eq!(rows, want);
    let index: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_indexes WHERE indexname = 't_name'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(index, 1);
    assert_eq!(
        pg.ledger(),
        [(1, "applied".to_string(), "transaction".to_string())]
    );
}

#[test]
fn pg_bad_copy_row_names_its_file_line_and_leaves_nothing() {
    let pg = pg!();
    // Line 4 holds the bad row (`x` is not an integer).
    pg.p.pair(
        "1",
        "bad",
        "CREATE TABLE t (id integer, name text);\n\
         COPY t (id, name) FROM stdin;\n\
         1\tfine\n\
         x\tbad id\n\
         3\tnever reached\n\
         \\.\n\
         INSERT INTO t VALUES (9, 'after');\n",
        "DROP TABLE t;",
    );
    pg.run(&["up"])
        .code(1)
        .stderr_has("1_bad.up.sql:4:")
        .stderr_has("invalid input syntax for type integer");
    // The transaction rolled back: no table, no ledger row, golang-migrate's row not dirty.
    assert!(pg.tables().is_empty(), "{:?}", pg.tables());
    assert!(pg.ledger().is_empty());
    assert!(pg.compat().iter().all(|(_, dirty)| !dirty));
}

#[test]
fn pg_unterminated_copy_block_is_refused_before_anything_runs() {
    let pg = pg!();
    pg.p.pair("1", "ok", "CREATE TABLE a (x int);", "DROP TABLE a;");
    pg.p.pair(
        "2",
        "cut",
        "CREATE TABLE t (id int);\n\nCOPY t (id) FROM stdin;\n1\n2\n",
        "DROP TABLE t;",
    );
    pg.run(&["up"])
        .code(1)
        .stderr_has("2_cut.up.sql:3:")
        .stderr_has("never ended by a line `\\.`");
    // Refused while reading the folder: not even the migrations tables were created.
    let tables: i64 = pg
        .db
        .client()
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(tables, 0);
}

#[test]
fn pg_copy_block_in_no_transaction_migration_is_applied() {
    let pg = pg!();
    pg.p.pair(
        "1",
        "notx",
        "-- strata:no-transaction\n\
         CREATE TABLE t (id int, note text);\n\
         COPY t FROM stdin WITH (FORMAT csv);\n\
         1,\"a;b\"\n\
         2,\"c\"\"d\"\n\
         \\.\n\
         CREATE INDEX CONCURRENTLY t_id ON t (id);\n",
        "DROP TABLE t;",
    );
    pg.run(&["up"]).ok();
    let n: i64 = pg
        .db
        .client()
        .query_one("SELECT count(*) FROM t WHERE note IN ('a;b', 'c\"d')", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 2);
    assert_eq!(pg.ledger()[0].2, "no-transaction");
}

#[test]
fn sqlite_refuses_copy_from_stdin_naming_file_and_line() {
    let p = Project::new();
    p.pair(
        "1",
        "dump",
        "CREATE TABLE t (id int);\n\nCOPY t (id) FROM stdin;\n1\n\\.\n",
        "DROP TABLE t;",
    );
    p.run(&["up"])
        .code(1)
        .stderr_has("1_dump.up.sql:3:")
        .stderr_has("COPY ... FROM stdin is PostgreSQL-only");
    assert!(p.ledger_versions().is_empty());
    assert!(p.tables().iter().all(|t| t != "t"), "{:?}", p.tables());
}
