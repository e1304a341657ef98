//! The records that commit with a migration: its ledger row (or its removal), golang-migrate's
//! row and the log entry; and the log entry of a failure.

use crate::ledger::{Action, LedgerWrite, LogEntry, Origin};
use crate::migration::{Direction, Migration, TxMode};
use crate::plan::{self, Plan, Request, Step};
use std::time::Duration;

/// The ledger, compatibility-row and log writes that commit with `step`, which runs in `mode`
/// (`None`: no script in its direction).
pub(super) fn records(
    plan: &Plan,
    step: &Step,
    m: &Migration,
    mode: Option<TxMode>,
    actor: &str,
) -> Vec<LedgerWrite> {
    let mut records = match step.direction {
        Direction::Up => {
            let mut row = plan::ledger_row(m, step.batch, 0, actor, Origin::Applied);
            row.mode = mode.unwrap_or(TxMode::Transaction);
            vec![LedgerWrite::Insert(row)]
        }
        Direction::Down => vec![LedgerWrite::Delete(step.version)],
    };
    records.push(LedgerWrite::SetCompat(step.compat_after));
    let how = mode.map_or("no script in this direction", TxMode::as_str);
    let detail = match (step.action, plan.request) {
        (Action::Rollback, _) => format!("rollback of batch {}; {how}", step.batch),
        (_, Request::Redo) => format!("redo; {how}"),
        (_, Request::Refresh) => format!("refresh; {how}"),
        _ => how.to_string(),
    };
    let detail = if step.out_of_order {
        format!("{detail}; applied out of order (older than the newest applied version)")
    } else {
        detail
    };
    records.push(LedgerWrite::Log(plan::log(
        step.action,
        m,
        Some(step.batch),
        actor,
        &detail,
    )));
    records
}

/// The log entry of a failed step: `detail` says where and why, `duration` how long it ran.
pub(super) fn failure_entry(
    step: &Step,
    m: &Migration,
    actor: &str,
    detail: &str,
    duration: Duration,
) -> LogEntry {
    LogEntry {
        action: Action::Fail,
        duration_ms: duration.as_millis() as i64,
        ..plan::log(Action::Fail, m, Some(step.batch), actor, detail)
    }
}
