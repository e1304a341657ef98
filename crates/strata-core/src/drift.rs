//! Drift: what changed in the files of applied migrations since they were applied. Pure.
//!
//! The ledger records the checksum of the file carrying a migration's up part and, for a pair,
//! of its `.down` file. An edited or missing up file refuses every plan; an edited or deleted
//! down file refuses only the plans that would run it (`up` never does).

use crate::ledger::{AppliedMigration, LedgerState};
use crate::migration::Migration;
use crate::plan::Conflict;
use crate::source::Source;

/// Applied migrations whose file (the up file of a pair) was edited or is missing: every plan
/// is refused while there are any.
pub fn drift(source: &Source, state: &LedgerState) -> Vec<Conflict> {
    state
        .applied
        .iter()
        .filter_map(|row| row_drift(row, source.get(row.version)).up)
        .collect()
}

/// Applied migrations whose `.down` pair file was edited or deleted since: plans that would run
/// it are refused, and `validate` reports them.
pub fn down_drift(source: &Source, state: &LedgerState) -> Vec<Conflict> {
    state
        .applied
        .iter()
        .filter_map(|row| row_drift(row, source.get(row.version)).down)
        .collect()
}

/// What changed in the files of one applied migration since it was applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowDrift {
    /// [`Conflict::Missing`] or [`Conflict::Edited`]: the file carrying the up part.
    pub up: Option<Conflict>,
    /// [`Conflict::DownEdited`] or [`Conflict::DownMissing`]: the `.down` pair file.
    pub down: Option<Conflict>,
}

/// Compare one ledger row with the migration now on disk (`None`: no file has its version).
///
/// Rows without a recorded checksum (adopted without a file) report no edit, and rows without a
/// recorded down checksum (written before Strata recorded it, or applied without a down file)
/// report no drift of the down part.
pub fn row_drift(row: &AppliedMigration, m: Option<&Migration>) -> RowDrift {
    let missing = || RowDrift {
        up: Some(Conflict::Missing {
            version: row.version,
            name: row.name.clone(),
        }),
        down: None,
    };
    let Some(m) = m else { return missing() };
    let now = m.checksum.to_hex();
    let edited = row.checksum.as_ref().filter(|c| **c != now);
    // Applied as a down-only version (its down file was its one file), or not.
    let down_only = row.down_checksum.is_some() && row.down_checksum == row.checksum;
    if m.up.is_none() && edited.is_some() && !down_only {
        // The up file is gone; what is left (the down file) is not an edit of it.
        return missing();
    }
    let up = edited.map(|applied| Conflict::Edited {
        version: row.version,
        name: m.name.clone(),
        path: m
            .up
            .as_ref()
            .or(m.down.as_ref())
            .map(|s| s.path.clone())
            .unwrap_or_default(),
        applied: applied.clone(),
        now,
    });
    let down = match (&row.down_checksum, m.down_checksum, &m.down) {
        _ if m.up.is_none() => None,
        (Some(applied), Some(now), Some(script)) if *applied != now.to_hex() => {
            Some(Conflict::DownEdited {
                version: row.version,
                name: m.name.clone(),
                path: script.path.clone(),
                applied: applied.clone(),
                now: now.to_hex(),
            })
        }
        (Some(_), _, None) => Some(Conflict::DownMissing {
            version: row.version,
            name: m.name.clone(),
        }),
        _ => None,
    };
    RowDrift { up, down }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checksum::Checksum;
    use crate::ledger::Origin;
    use crate::migration::{Format, Script, TxMode, Version};
    use crate::plan::ledger_row;
    use std::path::PathBuf;

    fn script(sql: &str) -> Script {
        Script {
            path: PathBuf::from("x.sql"),
            sql: sql.into(),
            offset: 0,
            first_line: 1,
            mode: TxMode::Transaction,
            mode_reason: None,
            statements: None,
            lock_timeout: None,
            statement_timeout: None,
            batchable: true,
            streamed: None,
        }
    }

    /// Source with versions; `spec` is (version, has_up, has_down), checksummed as the folder
    /// reader does (a down-only version by its down file).
    fn source(spec: &[(Version, bool, bool)]) -> Source {
        Source {
            dir: PathBuf::from("m"),
            migrations: spec
                .iter()
                .map(|&(v, up, down)| {
                    let down_checksum =
                        down.then(|| Checksum::of(format!("-- down {v}").as_bytes()));
                    Migration {
                        version: v,
                        name: format!("m{v}"),
                        up: up.then(|| script(&format!("-- up {v}"))),
                        down: down.then(|| script(&format!("-- down {v}"))),
                        checksum: match (up, down_checksum) {
                            (false, Some(c)) => c,
                            _ => Checksum::of(format!("-- up {v}").as_bytes()),
                        },
                        down_checksum,
                        format: Format::Pair,
                        allow_out_of_order: false,
                    }
                })
                .collect(),
            ignored: vec![],
            warnings: vec![],
        }
    }

    fn applied(src: &Source, versions: &[Version]) -> LedgerState {
        LedgerState {
            applied: versions
                .iter()
                .map(|v| ledger_row(src.get(*v).unwrap(), 1, 1, "t", Origin::Applied))
                .collect(),
            ..LedgerState::default()
        }
    }

    #[test]
    fn row_drift_tells_a_deleted_up_file_from_an_edit_and_trusts_old_rows() {
        let src = source(&[(1, true, true), (2, false, true)]);
        let state = applied(&src, &[1, 2]);
        let (one, two) = (&state.applied[0], &state.applied[1]);
        assert_eq!(row_drift(one, src.get(1)), RowDrift::default());
        assert_eq!(row_drift(two, src.get(2)), RowDrift::default());

        // The up file of a pair deleted, its down file left: missing, not edited.
        let mut gone = src.get(1).unwrap().clone();
        gone.up = None;
        gone.checksum = gone.down_checksum.unwrap();
        assert!(matches!(
            row_drift(one, Some(&gone)).up,
            Some(Conflict::Missing { version: 1, .. })
        ));
        // ...also for a row written before the down file's checksum was recorded.
        let old = AppliedMigration {
            down_checksum: None,
            ..one.clone()
        };
        assert!(matches!(
            row_drift(&old, Some(&gone)).up,
            Some(Conflict::Missing { version: 1, .. })
        ));
        // A down-only migration whose one file was edited is edited.
        let mut down_only = src.get(2).unwrap().clone();
        down_only.checksum = Checksum::of(b"-- down 2, edited");
        down_only.down_checksum = Some(down_only.checksum);
        assert!(matches!(
            row_drift(two, Some(&down_only)).up,
            Some(Conflict::Edited { version: 2, .. })
        ));
        // Old rows have no down checksum: an edited down file is not reported for them.
        let mut edited_down = src.get(1).unwrap().clone();
        edited_down.down_checksum = Some(Checksum::of(b"other"));
        assert_eq!(row_drift(&old, Some(&edited_down)), RowDrift::default());
        assert!(matches!(
            row_drift(one, Some(&edited_down)).down,
            Some(Conflict::DownEdited { .. })
        ));
    }
}
