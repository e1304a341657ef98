//! `accept V`: take the checksums of an applied migration's files as they are now.

use super::Conflict;
use crate::ledger::{Action, AppliedMigration, LedgerState, LedgerWrite, LogEntry};
use crate::migration::Version;
use crate::source::Source;

/// The writes `accept V` makes: the ledger row of `version` takes the checksum of the file as it
/// is now, logged with the old and the new checksum. Empty when the checksums already agree.
pub fn plan_accept(
    source: &Source,
    state: &LedgerState,
    version: Version,
    actor: &str,
) -> Result<Vec<LedgerWrite>, Conflict> {
    let row = state.get(version).ok_or(Conflict::NotApplied { version })?;
    let m = source.get(version).ok_or_else(|| Conflict::Missing {
        version,
        name: row.name.clone(),
    })?;
    let now = m.checksum.to_hex();
    let down_now = m.down_checksum.map(|c| c.to_hex());
    if row.checksum.as_deref() == Some(now.as_str()) && row.down_checksum == down_now {
        return Ok(Vec::new());
    }
    let old = row.checksum.clone().unwrap_or_else(|| "none".into());
    let down_change = match (&row.down_checksum, &down_now) {
        (a, b) if a == b => String::new(),
        (a, b) => format!(
            "; down file {} -> {}",
            a.as_deref().unwrap_or("none"),
            b.as_deref().unwrap_or("none")
        ),
    };
    let accepted = AppliedMigration {
        name: m.name.clone(),
        checksum: Some(now.clone()),
        down_checksum: down_now,
        // The database stamps the time of the accept; the original time stays in the log.
        applied_at: String::new(),
        ..row.clone()
    };
    // Delete, then insert: recording a version the ledger already holds is refused (the last
    // line of defence against a double apply), so replacing a row says so explicitly.
    Ok(vec![
        LedgerWrite::Delete(version),
        LedgerWrite::Insert(accepted),
        LedgerWrite::Log(LogEntry {
            action: Action::Accept,
            version: Some(version),
            name: m.name.clone(),
            batch: Some(row.batch),
            checksum: Some(now.clone()),
            duration_ms: 0,
            actor: actor.to_string(),
            detail: format!(
                "checksum {old} -> {now}{down_change} (applied {} by {})",
                if row.applied_at.is_empty() {
                    "?"
                } else {
                    &row.applied_at
                },
                row.applied_by
            ),
        }),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Origin;
    use crate::plan::test_fixtures::*;

    #[test]
    fn accept_rerecords_the_checksum_and_logs_old_and_new() {
        let src = fixture();
        let mut state = applied(&src, &[1, 3], 2);
        state.applied[0].checksum = Some("a".repeat(64));
        let w = plan_accept(&src, &state, 1, "t").unwrap();
        let new = src.get(1).unwrap().checksum.to_hex();
        match &w[..] {
            [LedgerWrite::Delete(1), LedgerWrite::Insert(row), LedgerWrite::Log(e)] => {
                assert_eq!(row.checksum.as_deref(), Some(new.as_str()));
                assert_eq!(
                    (row.batch, row.origin),
                    (2, Origin::Applied),
                    "row otherwise kept"
                );
                assert_eq!(e.action, Action::Accept);
                assert!(
                    e.detail.contains(&"a".repeat(64)) && e.detail.contains(&new),
                    "{}",
                    e.detail
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(
            plan_accept(&src, &state, 3, "t").unwrap().is_empty(),
            "unchanged: nothing"
        );
        assert_eq!(
            plan_accept(&src, &state, 4, "t"),
            Err(Conflict::NotApplied { version: 4 })
        );
    }
}
