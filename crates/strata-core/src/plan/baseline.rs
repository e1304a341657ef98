//! `baseline V`: record the files up to V as applied without running them.

use super::{ledger_row, log, Conflict};
use crate::ledger::{compat_for, Action, LedgerState, LedgerWrite, LogEntry, Origin};
use crate::migration::Version;
use crate::source::Source;

/// The writes `baseline V` makes: every file up to `version` that has no ledger row is recorded
/// as applied (origin `baseline`, batch 0, logged) without running anything, and
/// golang-migrate's row becomes `(V, clean)`.
///
/// A database that already has migration records (ledger rows, or a golang-migrate row) is
/// refused unless `force`; forced, ledger rows above `version` are removed (not reverted).
pub fn plan_baseline(
    source: &Source,
    state: &LedgerState,
    version: Version,
    force: bool,
    actor: &str,
) -> Result<Vec<LedgerWrite>, Vec<Conflict>> {
    let mut conflicts = Vec::new();
    if source.get(version).is_none() {
        conflicts.push(Conflict::UnknownTarget { version });
    }
    if !force && (!state.applied.is_empty() || state.compat.is_some()) {
        conflicts.push(Conflict::AlreadyTracked {
            rows: state.applied.len(),
            version: state.compat.map(|c| c.version),
        });
    }
    if !conflicts.is_empty() {
        return Err(conflicts);
    }
    let mut writes = Vec::new();
    for row in state.applied.iter().filter(|r| r.version > version) {
        writes.push(LedgerWrite::Delete(row.version));
        writes.push(LedgerWrite::Log(LogEntry {
            action: Action::Baseline,
            version: Some(row.version),
            name: row.name.clone(),
            batch: Some(row.batch),
            checksum: row.checksum.clone(),
            duration_ms: 0,
            actor: actor.to_string(),
            detail: format!("removed from the ledger by baseline {version} --force; not reverted"),
        }));
    }
    for m in source.migrations.iter().filter(|m| m.version <= version) {
        if state.get(m.version).is_none() {
            writes.push(LedgerWrite::Insert(ledger_row(
                m,
                0,
                0,
                actor,
                Origin::Baseline,
            )));
            writes.push(LedgerWrite::Log(log(
                Action::Baseline,
                m,
                Some(0),
                actor,
                &format!("baseline {version}: recorded as applied, not run"),
            )));
        }
    }
    writes.push(LedgerWrite::SetCompat(compat_for(Some(version))));
    Ok(writes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::test_fixtures::*;

    #[test]
    fn baseline_records_files_up_to_v_as_baseline_without_running_them() {
        let src = fixture();
        let w = plan_baseline(&src, &LedgerState::default(), 4, false, "t").unwrap();
        let rows: Vec<_> = w
            .iter()
            .filter_map(|w| match w {
                LedgerWrite::Insert(r) => Some((r.version, r.origin, r.batch)),
                _ => None,
            })
            .collect();
        assert_eq!(
            rows,
            [
                (1, Origin::Baseline, 0),
                (3, Origin::Baseline, 0),
                (4, Origin::Baseline, 0)
            ]
        );
        let logged = w
            .iter()
            .filter(|w| matches!(w, LedgerWrite::Log(e) if e.action == Action::Baseline))
            .count();
        assert_eq!(logged, 3);
        assert_eq!(w.last(), Some(&LedgerWrite::SetCompat(compat_for(Some(4)))));
    }

    #[test]
    fn baseline_refuses_a_tracked_database_unless_forced_and_an_unknown_version() {
        let src = fixture();
        let state = applied(&src, &[1, 3, 4, 5], 1);
        let err = plan_baseline(&src, &state, 3, false, "t").unwrap_err();
        assert_eq!(
            err,
            vec![Conflict::AlreadyTracked {
                rows: 4,
                version: Some(5)
            }]
        );
        let golang_only = LedgerState {
            compat: compat_for(Some(1)),
            applied: vec![],
            reached: None,
        };
        assert!(plan_baseline(&src, &golang_only, 3, false, "t").is_err());
        let w = plan_baseline(&src, &state, 3, true, "t").unwrap();
        assert!(w.contains(&LedgerWrite::Delete(4)));
        assert!(w.contains(&LedgerWrite::Delete(5)));
        assert!(
            !w.iter().any(|w| matches!(w, LedgerWrite::Insert(_))),
            "1 and 3 stay as they are"
        );
        let err = plan_baseline(&src, &LedgerState::default(), 6, false, "t").unwrap_err();
        assert_eq!(err, vec![Conflict::UnknownTarget { version: 6 }]);
    }
}
