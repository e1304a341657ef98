//! `validate`: everything wrong between the files and the database, changing nothing.

use super::{down_drift, drift, reconcile, Conflict};
use crate::ledger::LedgerState;
use crate::source::Source;

/// Everything wrong between the files and the database, without changing anything (`validate`):
/// a dirty row, applied files that were edited or are missing, pending migrations older than
/// the newest applied one (unless `allow_out_of_order`). Empty when all is well.
pub fn validate(source: &Source, state: &LedgerState, allow_out_of_order: bool) -> Vec<Conflict> {
    let mut problems = Vec::new();
    let view = match reconcile(source, state, "") {
        Ok((_, view)) => view,
        Err(c) => {
            problems.push(c);
            state.clone()
        }
    };
    problems.extend(drift(source, &view));
    problems.extend(down_drift(source, &view));
    if !allow_out_of_order {
        if let Some(head) = view.head() {
            for m in &source.migrations {
                if m.version < head && view.get(m.version).is_none() {
                    problems.push(Conflict::OutOfOrder {
                        version: m.version,
                        name: m.name.clone(),
                        head,
                    });
                }
            }
        }
    }
    problems.dedup();
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{CompatRow, Origin};
    use crate::plan::ledger_row;
    use crate::plan::test_fixtures::*;

    #[test]
    fn validate_is_empty_when_files_and_database_agree() {
        let src = fixture();
        assert!(validate(&src, &LedgerState::default(), false).is_empty());
        let state = applied(&src, &[1, 3, 4], 1);
        assert!(
            validate(&src, &state, false).is_empty(),
            "pending above the head is fine"
        );
    }

    #[test]
    fn validate_reports_edited_missing_out_of_order_and_dirty_together() {
        let src = source(&[(1, true, true), (2, true, true), (3, true, true)]);
        let mut state = applied(&src, &[1, 3], 1);
        state.applied[0].checksum = Some("0".repeat(64));
        state
            .applied
            .push(ledger_row(src.get(3).unwrap(), 1, 1, "t", Origin::Applied));
        state.applied[2].version = 4;
        state.compat = Some(CompatRow {
            version: 4,
            dirty: true,
        });
        let problems = validate(&src, &state, false);
        assert!(
            matches!(problems[0], Conflict::Dirty { version: 4, .. }),
            "{problems:?}"
        );
        assert!(problems
            .iter()
            .any(|c| matches!(c, Conflict::Edited { version: 1, .. })));
        assert!(problems
            .iter()
            .any(|c| matches!(c, Conflict::Missing { version: 4, .. })));
        assert!(problems.iter().any(|c| matches!(
            c,
            Conflict::OutOfOrder {
                version: 2,
                head: 4,
                ..
            }
        )));
        assert_eq!(problems.len(), 4);
        let allowed = validate(&src, &state, true);
        assert_eq!(allowed.len(), 3, "out-of-order allowed: {allowed:?}");
    }
}
