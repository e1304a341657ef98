//! `force V`: set golang-migrate's row to V and make the ledger agree, running nothing.

use super::ledger_row;
use crate::ledger::{Action, CompatRow, LedgerState, LedgerWrite, LogEntry, Origin};
use crate::migration::Version;
use crate::source::Source;

/// The writes `force V` makes: golang-migrate's row becomes `(V, clean)` (or empty for -1), and
/// the ledger is made to agree: rows above V are removed, files up to V without a row are
/// recorded as forced. Nothing is run.
pub fn plan_force(
    source: &Source,
    state: &LedgerState,
    version: i64,
    actor: &str,
) -> Vec<LedgerWrite> {
    let mut writes = Vec::new();
    for row in state.applied.iter().filter(|r| r.version as i64 > version) {
        writes.push(LedgerWrite::Delete(row.version));
    }
    let batch = state.last_batch() + 1;
    for m in source
        .migrations
        .iter()
        .filter(|m| m.version as i64 <= version)
    {
        if state.get(m.version).is_none() {
            writes.push(LedgerWrite::Insert(ledger_row(
                m,
                batch,
                0,
                actor,
                Origin::Forced,
            )));
        }
    }
    writes.push(LedgerWrite::SetCompat(if version < 0 {
        None
    } else {
        Some(CompatRow {
            version,
            dirty: false,
        })
    }));
    let from = match state.compat {
        None => "nothing applied".to_string(),
        Some(c) if c.dirty => format!("{} (dirty)", c.version),
        Some(c) => c.version.to_string(),
    };
    writes.push(LedgerWrite::Log(LogEntry {
        action: Action::Force,
        version: (version >= 0).then_some(version as Version),
        name: source
            .get(version.max(0) as Version)
            .filter(|_| version >= 0)
            .map(|m| m.name.clone())
            .unwrap_or_default(),
        batch: None,
        checksum: None,
        duration_ms: 0,
        actor: actor.to_string(),
        detail: format!("forced from {from}"),
    }));
    writes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::test_fixtures::*;

    #[test]
    fn force_rewrites_ledger_to_agree_with_the_forced_version() {
        let src = fixture();
        let state = applied(&src, &[1, 3, 4, 5, 7], 1);
        let w = plan_force(&src, &state, 3, "t");
        assert!(w.contains(&LedgerWrite::Delete(7)));
        assert!(w.contains(&LedgerWrite::Delete(4)));
        assert!(w.contains(&LedgerWrite::SetCompat(Some(CompatRow {
            version: 3,
            dirty: false
        }))));
        let w = plan_force(&src, &LedgerState::default(), 4, "t");
        let forced: Vec<_> = w
            .iter()
            .filter_map(|w| match w {
                LedgerWrite::Insert(r) => Some((r.version, r.origin)),
                _ => None,
            })
            .collect();
        assert_eq!(
            forced,
            [
                (1, Origin::Forced),
                (3, Origin::Forced),
                (4, Origin::Forced)
            ]
        );
        let w = plan_force(&src, &state, -1, "t");
        assert!(w.contains(&LedgerWrite::SetCompat(None)));
    }
}
