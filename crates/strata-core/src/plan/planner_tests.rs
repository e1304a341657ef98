//! Tests of the planner: up, down, goto, rollback, redo, refresh and their conflicts.

use super::*;
use crate::checksum::Checksum;
use crate::ledger::Origin;
use crate::plan::test_fixtures::*;
use crate::plan::{ledger_row, plan_accept, validate};

#[test]
fn steps_carry_the_mode_the_run_uses() {
    let src = source(&[(1, true, true)]);
    let state = applied(&src, &[], 0);
    let p = plan(&src, &state, Request::Up(None), &opts()).unwrap();
    assert_eq!(p.steps[0].mode, Some(TxMode::Transaction));
    let o = PlanOptions {
        statement_mode: true,
        ..opts()
    };
    let p = plan(&src, &state, Request::Up(None), &o).unwrap();
    assert_eq!(p.steps[0].mode, Some(TxMode::NoTransaction));
}

#[test]
fn up_from_nothing_applies_every_version_in_order() {
    let src = fixture();
    let p = plan(&src, &LedgerState::default(), Request::Up(None), &opts()).unwrap();
    assert_eq!(
        versions(&p),
        [(1, 'u'), (3, 'u'), (4, 'u'), (5, 'u'), (7, 'u')]
    );
    assert_eq!(p.steps[3].mode, None, "v5 has no up part: records only");
    assert_eq!(
        p.steps[4].compat_after,
        Some(CompatRow {
            version: 7,
            dirty: false
        })
    );
    assert_eq!(p.batch, 1);
}

#[test]
fn up_n_reports_how_many_are_short() {
    let src = fixture();
    let state = applied(&src, &[1, 3, 4, 5], 1);
    let p = plan(&src, &state, Request::Up(Some(2)), &opts()).unwrap();
    assert_eq!(versions(&p), [(7, 'u')]);
    assert_eq!(p.short, 1);
    assert_eq!(p.batch, 2);
}

#[test]
fn up_at_head_is_an_empty_plan() {
    let src = fixture();
    let state = applied(&src, &[1, 3, 4, 5, 7], 1);
    let p = plan(&src, &state, Request::Up(None), &opts()).unwrap();
    assert!(p.is_empty());
}

#[test]
fn up_with_no_migrations_at_all_is_a_conflict() {
    let err = plan(
        &Source::default(),
        &LedgerState::default(),
        Request::Up(None),
        &opts(),
    );
    assert_eq!(err.unwrap_err(), vec![Conflict::NoMigrations]);
}

#[test]
fn down_all_refuses_versions_without_down_part_and_names_them() {
    let src = fixture();
    let state = applied(&src, &[1, 3, 4, 5, 7], 1);
    let err = plan(&src, &state, Request::Down(None), &opts()).unwrap_err();
    assert_eq!(
        err,
        vec![Conflict::NoDown {
            version: 3,
            name: "m3".into()
        }]
    );
}

#[test]
fn down_n_reverts_newest_first_with_golang_migrate_dirty_targets() {
    let src = fixture();
    let state = applied(&src, &[1, 3, 4, 5, 7], 1);
    let p = plan(&src, &state, Request::Down(Some(3)), &opts()).unwrap();
    assert_eq!(versions(&p), [(7, 'd'), (5, 'd'), (4, 'd')]);
    // A failed down of 7 leaves golang-migrate's row at the predecessor, dirty.
    assert_eq!(
        p.steps[0].compat_dirty,
        CompatRow {
            version: 5,
            dirty: true
        }
    );
    assert_eq!(
        p.steps[2].compat_after,
        Some(CompatRow {
            version: 3,
            dirty: false
        })
    );
}

#[test]
fn down_of_first_version_empties_compat_row_and_dirty_is_minus_one() {
    let src = source(&[(1, true, true)]);
    let state = applied(&src, &[1], 1);
    let p = plan(&src, &state, Request::Down(Some(1)), &opts()).unwrap();
    assert_eq!(p.steps[0].compat_after, None);
    assert_eq!(
        p.steps[0].compat_dirty,
        CompatRow {
            version: -1,
            dirty: true
        }
    );
}

#[test]
fn goto_goes_up_or_down_and_keeps_the_target_applied() {
    let src = fixture();
    let p = plan(&src, &LedgerState::default(), Request::Goto(4), &opts()).unwrap();
    assert_eq!(versions(&p), [(1, 'u'), (3, 'u'), (4, 'u')]);
    let state = applied(&src, &[1, 3, 4, 5, 7], 1);
    let p = plan(&src, &state, Request::Goto(4), &opts()).unwrap();
    assert_eq!(versions(&p), [(7, 'd'), (5, 'd')]);
    let p = plan(&src, &state, Request::Goto(7), &opts()).unwrap();
    assert!(p.is_empty());
}

#[test]
fn goto_unknown_version_is_a_conflict() {
    let src = fixture();
    let err = plan(&src, &LedgerState::default(), Request::Goto(6), &opts()).unwrap_err();
    assert_eq!(err, vec![Conflict::UnknownTarget { version: 6 }]);
}

#[test]
fn plan_reports_all_conflicts_not_just_first() {
    let src = source(&[
        (1, true, true),
        (2, true, true),
        (3, true, true),
        (5, true, true),
    ]);
    let mut state = applied(&src, &[1, 3, 5], 1);
    state.applied[0].checksum = Some("0".repeat(64)); // 1 edited
    state
        .applied
        .push(ledger_row(src.get(5).unwrap(), 1, 1, "t", Origin::Applied));
    state.applied[3].version = 4; // 4 applied but no file
    state.applied.sort_by_key(|a| a.version);
    let err = plan(&src, &state, Request::Up(None), &opts()).unwrap_err();
    assert_eq!(err.len(), 3, "{err:?}");
    assert!(matches!(err[0], Conflict::Edited { version: 1, .. }));
    assert!(matches!(err[1], Conflict::Missing { version: 4, .. }));
    assert!(matches!(
        err[2],
        Conflict::OutOfOrder {
            version: 2,
            head: 5,
            ..
        }
    ));
}

#[test]
fn out_of_order_pending_is_applied_when_allowed_without_moving_compat_head() {
    let src = source(&[(1, true, true), (2, true, true), (3, true, true)]);
    let state = applied(&src, &[1, 3], 1);
    let o = PlanOptions {
        allow_out_of_order: true,
        ..opts()
    };
    let p = plan(&src, &state, Request::Up(None), &o).unwrap();
    assert_eq!(versions(&p), [(2, 'u')]);
    assert_eq!(
        p.steps[0].compat_after,
        Some(CompatRow {
            version: 3,
            dirty: false
        })
    );
}

#[test]
fn dirty_database_is_a_conflict_naming_the_version() {
    let src = fixture();
    let state = LedgerState {
        compat: Some(CompatRow {
            version: 4,
            dirty: true,
        }),
        applied: vec![],
        reached: None,
    };
    let err = plan(&src, &state, Request::Up(None), &opts()).unwrap_err();
    assert_eq!(
        err,
        vec![Conflict::Dirty {
            version: 4,
            reached: None
        }]
    );
    assert_eq!(
        err[0].to_string(),
        "Dirty database version 4. Fix and force version."
    );
}

#[test]
fn rollback_reverts_the_whole_last_batch_newest_first_and_leaves_earlier_batches() {
    // The worked example: 001 in batch 1, 002 and 003 in batch 2.
    let src = source(&[(1, true, true), (2, true, true), (3, true, true)]);
    let state = batches(&src, &[(1, 1), (2, 2), (3, 2)]);
    let p = plan(&src, &state, Request::Rollback { batches: 1 }, &opts()).unwrap();
    assert_eq!(
        actions(&p),
        [(3, 'd', Action::Rollback, 2), (2, 'd', Action::Rollback, 2)]
    );
    assert_eq!(p.steps[1].compat_after, compat_for(Some(1)));
}

#[test]
fn rollback_n_batches_orders_by_batch_then_version() {
    // Out-of-order: 2 was applied in batch 3, after 4 in batch 2.
    let src = source(&[
        (1, true, true),
        (2, true, true),
        (3, true, true),
        (4, true, true),
    ]);
    let state = batches(&src, &[(1, 1), (2, 3), (3, 2), (4, 2)]);
    let p = plan(&src, &state, Request::Rollback { batches: 2 }, &opts()).unwrap();
    let order: Vec<_> = p.steps.iter().map(|s| s.version).collect();
    assert_eq!(order, [2, 4, 3]);
    let p = plan(&src, &state, Request::Rollback { batches: 9 }, &opts()).unwrap();
    assert_eq!(
        p.steps.len(),
        4,
        "more batches than exist: all of them, no error"
    );
    assert_eq!(p.short, 0);
}

#[test]
fn rollback_never_reverts_batch_zero_and_with_nothing_applied_is_empty() {
    let src = source(&[(1, true, true), (2, true, true)]);
    let state = batches(&src, &[(1, 0), (2, 0)]);
    let p = plan(&src, &state, Request::Rollback { batches: 1 }, &opts()).unwrap();
    assert!(p.is_empty());
    let p = plan(
        &src,
        &LedgerState::default(),
        Request::Rollback { batches: 1 },
        &opts(),
    );
    assert!(p.unwrap().is_empty());
    let state = batches(&src, &[(1, 0), (2, 1)]);
    let p = plan(&src, &state, Request::Rollback { batches: 5 }, &opts()).unwrap();
    assert_eq!(versions(&p), [(2, 'd')]);
}

#[test]
fn rollback_of_a_batch_with_a_migration_without_down_is_refused_naming_it() {
    let src = source(&[(1, true, true), (2, true, false), (3, true, true)]);
    let state = batches(&src, &[(1, 1), (2, 2), (3, 2)]);
    let err = plan(&src, &state, Request::Rollback { batches: 1 }, &opts()).unwrap_err();
    assert_eq!(
        err,
        vec![Conflict::NoDown {
            version: 2,
            name: "m2".into()
        }]
    );
}

#[test]
fn redo_reverts_and_reapplies_the_newest_migration_in_a_new_batch() {
    let src = source(&[(1, true, true), (2, true, true)]);
    let state = batches(&src, &[(1, 1), (2, 1)]);
    let p = plan(&src, &state, Request::Redo, &opts()).unwrap();
    assert_eq!(
        actions(&p),
        [(2, 'd', Action::Down, 1), (2, 'u', Action::Up, 2)]
    );
    assert_eq!(p.steps[0].compat_after, compat_for(Some(1)));
    assert_eq!(p.steps[1].compat_after, compat_for(Some(2)));
    let p = plan(&src, &LedgerState::default(), Request::Redo, &opts()).unwrap();
    assert!(p.is_empty(), "nothing applied: nothing to redo");
    let src = source(&[(1, true, true), (2, true, false)]);
    let state = batches(&src, &[(1, 1), (2, 1)]);
    let err = plan(&src, &state, Request::Redo, &opts()).unwrap_err();
    assert!(matches!(err[..], [Conflict::NoDown { version: 2, .. }]));
}

#[test]
fn refresh_reverts_everything_then_applies_everything() {
    let src = source(&[(1, true, true), (2, true, true), (3, true, true)]);
    let state = batches(&src, &[(1, 1), (2, 2)]);
    let p = plan(&src, &state, Request::Refresh, &opts()).unwrap();
    assert_eq!(
        versions(&p),
        [(2, 'd'), (1, 'd'), (1, 'u'), (2, 'u'), (3, 'u')]
    );
    assert_eq!(p.steps[1].compat_after, None);
    assert!(p.steps[2..].iter().all(|s| s.batch == 3));
    // A missing down part anywhere stops it before anything runs.
    let src = source(&[(1, true, false), (2, true, true)]);
    let state = batches(&src, &[(1, 1), (2, 1)]);
    let err = plan(&src, &state, Request::Refresh, &opts()).unwrap_err();
    assert!(matches!(err[..], [Conflict::NoDown { version: 1, .. }]));
}

#[test]
fn status_validate_and_plans_stay_linear_in_the_ledger_size() {
    use crate::ledger::probes;
    // 20,000 applied migrations, one pending: a linear search of the ledger per migration
    // looks at ~2 * 10^8 rows; a binary search at ~15 per lookup.
    let n: u64 = 20_000;
    let spec: Vec<(Version, bool, bool)> = (1..=n + 1).map(|v| (v, true, true)).collect();
    let src = source(&spec);
    let all: Vec<Version> = (1..=n).collect();
    let state = applied(&src, &all, 1);
    let budget = 4 * n * (u64::from(n.ilog2()) + 2);

    let mut status = None;
    let rows = probes::during(|| status = Some(crate::status::status(&src, &state)));
    assert_eq!(status.unwrap().unsettled(), 1);
    assert!(rows <= budget, "status looked at {rows} ledger rows");

    let rows = probes::during(|| assert!(validate(&src, &state, false).is_empty()));
    assert!(rows <= budget, "validate looked at {rows} ledger rows");

    for request in [Request::Up(None), Request::Down(None)] {
        let rows = probes::during(|| {
            plan(&src, &state, request, &opts()).unwrap();
        });
        assert!(rows <= budget, "{request:?} looked at {rows} ledger rows");
    }

    // First contact with a database golang-migrate migrated: every file is adopted.
    let fresh = LedgerState {
        compat: compat_for(Some(n)),
        ..LedgerState::default()
    };
    let rows = probes::during(|| {
        let (writes, next) = reconcile(&src, &fresh, "t").unwrap();
        assert_eq!(
            (writes.len(), next.applied.len()),
            (2 * n as usize, n as usize)
        );
    });
    assert!(rows <= budget, "reconcile looked at {rows} ledger rows");
}

#[test]
fn an_edited_or_deleted_down_file_refuses_the_plans_that_run_it() {
    let src = source(&[(1, true, true), (2, true, true), (3, true, true)]);
    let state = applied(&src, &[1, 2], 1);
    let mut edited = src.clone();
    edited.migrations[1].down_checksum = Some(Checksum::of(b"-- down 2, edited"));
    edited.migrations[0].down = None;
    edited.migrations[0].down_checksum = None;

    let problems = validate(&edited, &state, false);
    assert!(
        matches!(&problems[..], [Conflict::DownMissing { version: 1, .. }, Conflict::DownEdited { version: 2, applied, now, .. }]
            if *applied == Checksum::of(b"-- down 2").to_hex() && *now == Checksum::of(b"-- down 2, edited").to_hex()),
        "{problems:?}"
    );
    assert!(problems[1]
        .to_string()
        .starts_with("the down file x.sql of migration 2 (m2) was edited"));
    assert!(problems[1].hint().unwrap().contains("strata accept 2"));

    // `up` never runs a down file: it goes on.
    let p = plan(&edited, &state, Request::Up(None), &opts()).unwrap();
    assert_eq!(versions(&p), [(3, 'u')]);
    // Every plan that would run the edited down file is refused, naming it.
    for request in [
        Request::Down(Some(1)),
        Request::Redo,
        Request::Rollback { batches: 1 },
    ] {
        let err = plan(&edited, &state, request, &opts()).unwrap_err();
        assert!(
            matches!(err[0], Conflict::DownEdited { version: 2, .. }),
            "{request:?}: {err:?}"
        );
    }
    let err = plan(&edited, &state, Request::Down(None), &opts()).unwrap_err();
    assert!(
        matches!(
            err[..],
            [
                Conflict::DownEdited { version: 2, .. },
                Conflict::DownMissing { version: 1, .. }
            ]
        ),
        "{err:?}"
    );

    // `accept` records the down file as it is now; then nothing is reported.
    let writes = plan_accept(&edited, &state, 2, "t").unwrap();
    let Some(row) = writes.iter().find_map(|w| match w {
        LedgerWrite::Insert(row) => Some(row),
        _ => None,
    }) else {
        panic!("{writes:?}")
    };
    assert_eq!(
        row.down_checksum,
        Some(Checksum::of(b"-- down 2, edited").to_hex())
    );
    match writes.last() {
        Some(LedgerWrite::Log(e)) => assert!(e.detail.contains("; down file "), "{}", e.detail),
        other => panic!("{other:?}"),
    }
}
