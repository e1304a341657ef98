//! The compatibility table, ledger and log: creation and the write/read round trip.

use crate::support::{driver, pg};
use strata_core::{
    Action, AppliedMigration, CompatRow, Driver, DriverError, LedgerWrite, LogEntry, Origin, TxMode,
};

fn applied(version: u64, name: &str) -> AppliedMigration {
    AppliedMigration {
        version,
        name: name.into(),
        checksum: Some(format!("sha256:{version}")),
        down_checksum: None,
        batch: 1,
        applied_at: String::new(),
        duration_ms: 12,
        applied_by: "me@host".into(),
        mode: TxMode::Transaction,
        origin: Origin::Applied,
    }
}

#[test]
fn ensure_tables_twice_is_idempotent() {
    let db = pg!();
    let mut d = driver(&db, "");
    d.ensure_tables().unwrap();
    d.write(&[LedgerWrite::SetCompat(Some(CompatRow {
        version: 1,
        dirty: false,
    }))])
    .unwrap();
    d.ensure_tables().unwrap();
    assert!(
        d.take_notices().is_empty(),
        "the driver's own notices are not the user's"
    );
    let n: i64 = db
        .client()
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' \
             AND table_name IN ('schema_migrations', 'schema_migrations_ledger', 'schema_migrations_log')",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(n, 3);
    assert_eq!(
        d.read_state().unwrap().compat,
        Some(CompatRow {
            version: 1,
            dirty: false
        })
    );
}

#[test]
fn compat_table_has_golang_migrates_exact_columns() {
    let db = pg!();
    let mut d = driver(&db, "");
    d.ensure_tables().unwrap();
    let cols: Vec<(String, String, String)> = db
        .client()
        .query(
            "SELECT column_name::text, data_type::text, is_nullable::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = 'schema_migrations' ORDER BY ordinal_position",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        cols,
        vec![
            ("version".into(), "bigint".into(), "NO".into()),
            ("dirty".into(), "boolean".into(), "NO".into()),
        ]
    );
    let pk: String = db
        .client()
        .query_one(
            "SELECT conname::text FROM pg_constraint WHERE conrelid = 'public.schema_migrations'::regclass AND contype = 'p'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(pk, "schema_migrations_pkey");
}

#[test]
fn write_and_read_state_round_trip() {
    let db = pg!();
    let mut d = driver(&db, "");
    d.ensure_tables().unwrap();
    assert_eq!(d.read_state().unwrap(), Default::default());
    d.write(&[
        LedgerWrite::SetCompat(Some(CompatRow {
            version: 3,
            dirty: false,
        })),
        LedgerWrite::Insert(applied(3, "second")),
        LedgerWrite::Insert(applied(1, "first")),
        LedgerWrite::Log(LogEntry {
            action: Action::Up,
            version: Some(3),
            name: "second".into(),
            batch: Some(1),
            checksum: None,
            duration_ms: 5,
            actor: "me@host".into(),
            detail: String::new(),
        }),
    ])
    .unwrap();
    let state = d.read_state().unwrap();
    assert_eq!(
        state.compat,
        Some(CompatRow {
            version: 3,
            dirty: false
        })
    );
    assert_eq!(
        state.applied.iter().map(|a| a.version).collect::<Vec<_>>(),
        vec![1, 3]
    );
    let first = &state.applied[0];
    assert_eq!(first.name, "first");
    assert_eq!(first.checksum.as_deref(), Some("sha256:1"));
    assert_eq!((first.batch, first.duration_ms), (1, 12));
    assert_eq!(first.applied_by, "me@host");
    assert_eq!(
        (first.mode, first.origin),
        (TxMode::Transaction, Origin::Applied)
    );
    // RFC 3339 UTC, e.g. 2026-01-02T03:04:05Z
    let at = &first.applied_at;
    assert_eq!(at.len(), 20, "{at}");
    assert!(at.ends_with('Z') && &at[10..11] == "T", "{at}");

    // Recording a version again is refused, whole, and overwrites nothing.
    let mut again = applied(3, "second-renamed");
    again.origin = Origin::Forced;
    let err = d
        .write(&[LedgerWrite::Delete(1), LedgerWrite::Insert(again.clone())])
        .unwrap_err();
    assert!(
        matches!(&err, DriverError::AlreadyApplied { detail } if detail.contains("(version)=(3)")),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with(
            "the ledger already records this migration as applied: another run applied it at the same time"
        ),
        "{err}"
    );
    let state = d.read_state().unwrap();
    assert_eq!(state.applied.len(), 2, "rolled back: 1 is still there");
    assert_eq!(state.applied[1].name, "second");
    // Replacing is a delete then an insert (accept); delete removes; the log is appended.
    d.write(&[
        LedgerWrite::Delete(3),
        LedgerWrite::Insert(again),
        LedgerWrite::Delete(1),
    ])
    .unwrap();
    let state = d.read_state().unwrap();
    assert_eq!(state.applied.len(), 1);
    assert_eq!(state.applied[0].name, "second-renamed");
    assert_eq!(state.applied[0].origin, Origin::Forced);
    let log: Vec<(String, Option<i64>)> = db
        .client()
        .query(
            "SELECT action, version FROM schema_migrations_log ORDER BY id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(log, vec![("up".to_string(), Some(3))]);
}

#[test]
fn set_compat_follows_golang_migrates_minus_one_rule() {
    let db = pg!();
    let mut d = driver(&db, "");
    d.ensure_tables().unwrap();
    let rows = |db: &strata_testkit::TestDb| -> Vec<(i64, bool)> {
        db.client()
            .query("SELECT version, dirty FROM schema_migrations", &[])
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    };
    d.write(&[LedgerWrite::SetCompat(Some(CompatRow {
        version: 5,
        dirty: true,
    }))])
    .unwrap();
    assert_eq!(rows(&db), vec![(5, true)]);
    d.write(&[LedgerWrite::SetCompat(Some(CompatRow {
        version: -1,
        dirty: true,
    }))])
    .unwrap();
    assert_eq!(rows(&db), vec![(-1, true)]);
    d.write(&[LedgerWrite::SetCompat(Some(CompatRow {
        version: -1,
        dirty: false,
    }))])
    .unwrap();
    assert_eq!(rows(&db), vec![]);
    d.write(&[LedgerWrite::SetCompat(Some(CompatRow {
        version: 2,
        dirty: false,
    }))])
    .unwrap();
    d.write(&[LedgerWrite::SetCompat(None)]).unwrap();
    assert_eq!(rows(&db), vec![]);
    assert_eq!(d.read_state().unwrap().compat, None);
}

#[test]
fn read_state_without_tables_is_empty_and_reads_a_golang_migrate_table() {
    let db = pg!();
    let mut d = driver(&db, "");
    assert_eq!(d.read_state().unwrap(), Default::default());
    // What golang-migrate leaves behind: its table only.
    db.client()
        .batch_execute(
            "CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null); \
             INSERT INTO schema_migrations VALUES (20240101120000, false);",
        )
        .unwrap();
    let state = d.read_state().unwrap();
    assert_eq!(
        state.compat,
        Some(CompatRow {
            version: 20240101120000,
            dirty: false
        })
    );
    assert!(state.applied.is_empty());
    d.ensure_tables().unwrap();
    assert_eq!(
        d.read_state().unwrap().compat.unwrap().version,
        20240101120000
    );
}

#[test]
fn a_write_that_fails_changes_nothing() {
    let db = pg!();
    let mut d = driver(&db, "");
    d.ensure_tables().unwrap();
    d.write(&[LedgerWrite::SetCompat(Some(CompatRow {
        version: 1,
        dirty: false,
    }))])
    .unwrap();
    let err = d
        .write(&[
            LedgerWrite::SetCompat(Some(CompatRow {
                version: 2,
                dirty: false,
            })),
            LedgerWrite::Insert(applied(u64::MAX, "too big")),
        ])
        .unwrap_err();
    assert!(err.to_string().contains("too large"), "{err}");
    assert_eq!(
        d.read_state().unwrap().compat,
        Some(CompatRow {
            version: 1,
            dirty: false
        })
    );
}

#[test]
fn read_only_role_can_read_state_without_creating_tables() {
    let db = pg!();
    let mut d = driver(&db, "");
    d.ensure_tables().unwrap();
    d.write(&[LedgerWrite::SetCompat(Some(CompatRow {
        version: 4,
        dirty: false,
    }))])
    .unwrap();
    let role = format!("ro_{}", &db.name[db.name.len() - 8..]);
    db.client()
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN; REVOKE CREATE ON SCHEMA public FROM PUBLIC; \
             GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role};"
        ))
        .unwrap();
    let url = strata_drivers::DatabaseUrl::parse(&db.url_as(&role, None)).unwrap();
    let mut ro =
        strata_drivers::postgres::PostgresDriver::connect(&url, &Default::default()).unwrap();
    ro.ensure_tables().unwrap();
    assert_eq!(
        ro.read_state().unwrap().compat,
        Some(CompatRow {
            version: 4,
            dirty: false
        })
    );
    drop(ro);
    db.client()
        .batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .unwrap();
}

#[test]
fn a_ledger_without_the_down_checksum_is_read_and_upgraded_in_place() {
    let db = pg!();
    // The ledger as Strata created it before the down file's checksum was recorded.
    db.client()
        .batch_execute(
            "CREATE TABLE schema_migrations_ledger (version bigint PRIMARY KEY, \
             name text NOT NULL DEFAULT '', checksum text NULL, batch bigint NOT NULL DEFAULT 0, \
             applied_at timestamptz NOT NULL DEFAULT now(), duration_ms bigint NOT NULL DEFAULT 0, \
             applied_by text NOT NULL DEFAULT '', mode text NOT NULL DEFAULT 'transaction', \
             origin text NOT NULL DEFAULT 'applied');
             INSERT INTO schema_migrations_ledger (version, name, checksum) VALUES (1, 'old', 'aa');",
        )
        .unwrap();
    let mut d = driver(&db, "");
    // Read-only commands read it as it is: no down checksum, nothing changed.
    let old = d.read_state().unwrap();
    assert_eq!(
        (
            old.applied[0].checksum.as_deref(),
            &old.applied[0].down_checksum
        ),
        (Some("aa"), &None)
    );
    d.ensure_tables().unwrap();
    d.ensure_tables().unwrap();
    d.write(&[LedgerWrite::Insert(AppliedMigration {
        down_checksum: Some("dd".into()),
        ..applied(2, "new")
    })])
    .unwrap();
    let state = d.read_state().unwrap();
    let downs: Vec<Option<&str>> = state
        .applied
        .iter()
        .map(|a| a.down_checksum.as_deref())
        .collect();
    assert_eq!(downs, [None, Some("dd")]);
}
