//! Bringing the ledger in line with golang-migrate's one-row table before planning.

use super::{ledger_row, log, Conflict};
use crate::ledger::{Action, CompatRow, LedgerState, LedgerWrite, LogEntry, Origin};
use crate::migration::Version;
use crate::source::Source;

/// Bring the ledger in line with golang-migrate's row (see the module docs). Returns the writes
/// to make and the state as it will be once they are made.
pub fn reconcile(
    source: &Source,
    state: &LedgerState,
    actor: &str,
) -> Result<(Vec<LedgerWrite>, LedgerState), Conflict> {
    if let Some(CompatRow {
        version,
        dirty: true,
    }) = state.compat
    {
        return Err(Conflict::Dirty {
            version,
            reached: state.reached.clone(),
        });
    }
    let compat_head = state.compat.map(|c| c.version).filter(|v| *v >= 0);
    let ledger_head = state.head().map(|v| v as i64);
    let mut writes = Vec::new();
    let mut next = state.clone();
    match (compat_head, ledger_head) {
        (a, b) if a == b => {}
        (Some(v), b) if b.is_none_or(|b| v > b) => {
            // golang-migrate applied up to v: adopt every file above the ledger's head up to v.
            if source.get(v as Version).is_none() {
                return Err(Conflict::Missing {
                    version: v as Version,
                    name: String::new(),
                });
            }
            for m in &source.migrations {
                let above = b.is_none_or(|b| m.version as i64 > b);
                if above && m.version as i64 <= v && next.get(m.version).is_none() {
                    let row = ledger_row(m, 0, 0, actor, Origin::Adopted);
                    writes.push(LedgerWrite::Insert(row.clone()));
                    writes.push(LedgerWrite::Log(log(
                        Action::Adopt,
                        m,
                        Some(0),
                        actor,
                        "applied by golang-migrate; adopted",
                    )));
                    next.applied.push(row);
                }
            }
            next.applied.sort_by_key(|a| a.version);
        }
        (a, _) => {
            // golang-migrate reverted below the ledger's head: forget what it reverted.
            let floor = a.unwrap_or(-1);
            for row in state.applied.iter().filter(|r| r.version as i64 > floor) {
                writes.push(LedgerWrite::Delete(row.version));
                writes.push(LedgerWrite::Log(LogEntry {
                    action: Action::Adopt,
                    version: Some(row.version),
                    name: row.name.clone(),
                    batch: None,
                    checksum: row.checksum.clone(),
                    duration_ms: 0,
                    actor: actor.to_string(),
                    detail: "reverted by golang-migrate; removed from the ledger".into(),
                }));
            }
            next.applied.retain(|r| r.version as i64 <= floor);
        }
    }
    Ok((writes, next))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::test_fixtures::*;
    use crate::plan::{plan, Request};

    #[test]
    fn reconcile_adopts_golang_migrate_database_on_first_contact() {
        let src = fixture();
        let state = LedgerState {
            compat: Some(CompatRow {
                version: 4,
                dirty: false,
            }),
            applied: vec![],
            reached: None,
        };
        let (writes, next) = reconcile(&src, &state, "t").unwrap();
        let adopted: Vec<_> = next
            .applied
            .iter()
            .map(|a| (a.version, a.origin, a.batch))
            .collect();
        assert_eq!(
            adopted,
            [
                (1, Origin::Adopted, 0),
                (3, Origin::Adopted, 0),
                (4, Origin::Adopted, 0)
            ]
        );
        assert_eq!(writes.len(), 6);
        let p = plan(&src, &state, Request::Up(None), &opts()).unwrap();
        assert_eq!(versions(&p), [(5, 'u'), (7, 'u')]);
    }

    #[test]
    fn reconcile_follows_golang_migrate_runs_in_both_directions() {
        let src = fixture();
        // Strata applied 1, 3; golang-migrate then went up to 5.
        let mut state = applied(&src, &[1, 3], 1);
        state.compat = Some(CompatRow {
            version: 5,
            dirty: false,
        });
        let (_, next) = reconcile(&src, &state, "t").unwrap();
        assert_eq!(
            next.applied.iter().map(|a| a.version).collect::<Vec<_>>(),
            [1, 3, 4, 5]
        );
        // Strata applied everything; golang-migrate then went down to 3.
        let mut state = applied(&src, &[1, 3, 4, 5, 7], 1);
        state.compat = Some(CompatRow {
            version: 3,
            dirty: false,
        });
        let (writes, next) = reconcile(&src, &state, "t").unwrap();
        assert_eq!(
            next.applied.iter().map(|a| a.version).collect::<Vec<_>>(),
            [1, 3]
        );
        assert!(writes.contains(&LedgerWrite::Delete(7)));
        // ... or all the way down (empty table).
        state.compat = None;
        let (_, next) = reconcile(&src, &state, "t").unwrap();
        assert!(next.applied.is_empty());
    }

    #[test]
    fn reconcile_refuses_a_version_not_on_disk() {
        let src = fixture();
        let state = LedgerState {
            compat: Some(CompatRow {
                version: 6,
                dirty: false,
            }),
            applied: vec![],
            reached: None,
        };
        assert!(matches!(
            reconcile(&src, &state, "t"),
            Err(Conflict::Missing { version: 6, .. })
        ));
    }
}
