//! `drop_all`: everything in the schema goes, nothing outside it.

use crate::support::{driver, pg};
use strata_core::{Driver, DriverError};

const EVERYTHING: &str = r#"
CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TYPE pair AS (a int, b int);
CREATE TYPE floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
CREATE SEQUENCE counter;
CREATE TABLE parent (id serial PRIMARY KEY, m mood, n posint);
CREATE TABLE child (id bigint GENERATED ALWAYS AS IDENTITY, parent_id int REFERENCES parent (id));
ALTER TABLE parent ADD COLUMN favourite_child bigint;
CREATE TABLE cyc_a (id int PRIMARY KEY, b int);
CREATE TABLE cyc_b (id int PRIMARY KEY, a int REFERENCES cyc_a (id));
ALTER TABLE cyc_a ADD FOREIGN KEY (b) REFERENCES cyc_b (id);
CREATE VIEW parent_view AS SELECT id, m FROM parent;
CREATE VIEW view_on_view AS SELECT id FROM parent_view;
CREATE MATERIALIZED VIEW parent_mat AS SELECT count(*) AS n FROM parent;
CREATE FUNCTION twice(x int) RETURNS int LANGUAGE sql AS $$ SELECT x * 2 $$;
CREATE FUNCTION happy() RETURNS mood LANGUAGE sql AS $$ SELECT 'happy'::mood $$;
CREATE PROCEDURE noop() LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE AGGREGATE my_sum(int) (sfunc = int4pl, stype = int, initcond = '0');
CREATE TABLE uses_fn (x int DEFAULT twice(2));
CREATE TABLE measurements (at date, v int) PARTITION BY RANGE (at);
CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');

CREATE SCHEMA other;
CREATE TYPE other.colour AS ENUM ('red');
CREATE TABLE other.keep (id int, c other.colour);
CREATE FUNCTION other.keep_fn() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
CREATE VIEW other.keep_view AS SELECT id FROM other.keep;
CREATE SEQUENCE other.keep_seq;
"#;

fn count_in(db: &strata_testkit::TestDb, schema: &str) -> (i64, i64, i64) {
    let row = db
        .client()
        .query_one(
            "SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1), \
                    (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1), \
                    (SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = $1)",
            &[&schema],
        )
        .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

#[test]
fn drop_all_removes_every_kind_of_object_and_leaves_other_schemas() {
    let db = pg!();
    db.client().batch_execute(EVERYTHING).unwrap();
    let mut d = driver(&db, "");
    d.ensure_tables().unwrap();
    let other_before = count_in(&db, "other");
    let report = d.drop_all().unwrap();
    for expected in [
        "table parent",
        "table child",
        "table cyc_a",
        "table cyc_b",
        "table measurements",
        "table schema_migrations",
        "table schema_migrations_ledger",
        "view parent_view",
        "view view_on_view",
        "materialized view parent_mat",
        "sequence counter",
        "function twice(x integer)",
        "function happy()",
        "procedure noop()",
        "aggregate my_sum(integer)",
        "type mood",
        "type pair",
        "type floatrange",
        "domain posint",
    ] {
        assert!(
            report.dropped.iter().any(|x| x == expected),
            "{expected} not in {:?}",
            report.dropped
        );
    }
    assert_eq!(count_in(&db, "public"), (0, 0, 0), "public is empty");
    assert_eq!(
        count_in(&db, "other"),
        other_before,
        "other schema untouched"
    );
    let schema_exists: bool = db
        .client()
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public')",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(schema_exists, "the schema itself stays");
    // Dropping an empty schema is fine.
    assert!(d.drop_all().unwrap().dropped.is_empty());
}

#[test]
fn drop_all_refuses_to_reach_into_another_schema() {
    let db = pg!();
    db.client()
        .batch_execute(
            "CREATE TABLE t (id int); CREATE TABLE u (id int); \
             CREATE SCHEMA other; CREATE VIEW other.v AS SELECT id FROM public.t;",
        )
        .unwrap();
    let mut d = driver(&db, "");
    let err = d.drop_all().unwrap_err();
    match &err {
        DriverError::DropBlocked { schema, detail, .. } => {
            assert_eq!(schema, "public");
            assert!(
                detail.as_deref().unwrap_or("").contains("other.v"),
                "{err:?}"
            );
            assert_eq!(
                err.fix(),
                Some(strata_core::Fix::DropOutsideDependents {
                    schema: "public".into()
                })
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        crate::support::relation_exists(&db, "public.u"),
        "rolled back"
    );
    assert!(crate::support::relation_exists(&db, "other.v"));
}
