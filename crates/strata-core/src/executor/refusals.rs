//! Runs refused before anything changes: a plan whose migrations cannot run as asked.

use super::Backend;
use crate::driver::SessionHooks;
use crate::error::{Error, NotRunnableReason, OneTransactionBlocker};
use crate::migration::{Script, TxMode};
use crate::plan::{Conflict, Plan, Step};
use crate::resume::{check_prefix, ResumeRefusal};
use crate::source::Source;

fn script_of<'s>(source: &'s Source, step: &Step) -> Option<&'s Script> {
    source
        .get(step.version)
        .and_then(|m| m.script(step.direction))
}

/// Why the plan cannot run at all, if it cannot: a streamed script that would run outside a
/// transaction. Decided before anything is created.
pub(super) fn refusal(source: &Source, plan: &Plan, statement_mode: bool) -> Option<Error> {
    let script_of = |step: &Step| script_of(source, step);
    for step in &plan.steps {
        if let Some(reason) = script_of(step).and_then(|s| streamed_refusal(s, statement_mode)) {
            return Some(Error::NotRunnable {
                version: step.version,
                direction: step.direction,
                name: step.name.clone(),
                reason,
            });
        }
    }
    None
}

/// Why the plan cannot run on this session, if it cannot: a script that runs outside a
/// transaction which `hooks` refuse ([`SessionHooks::refusal`]). Asked before anything is
/// created, as the other refusals are, rather than when that migration's turn comes.
pub(crate) fn session_refusal(
    source: &Source,
    plan: &Plan,
    statement_mode: bool,
    caps: &Backend,
    hooks: &dyn SessionHooks,
) -> Option<Error> {
    plan.steps.iter().find_map(|step| {
        let script = script_of(source, step)?;
        if super::run_mode(script, statement_mode, caps) == TxMode::Transaction {
            return None;
        }
        let why = hooks.refusal(script)?;
        Some(Error::NotRunnable {
            version: step.version,
            direction: step.direction,
            name: step.name.clone(),
            reason: NotRunnableReason::Session(why),
        })
    })
}

/// Why a resumed step cannot go on at its statement, if it cannot: its file now runs whole
/// (self-managed), or statements that already ran were edited since.
pub(super) fn resume_refusal(
    source: &Source,
    plan: &Plan,
    statement_mode: bool,
    dialect: strata_sql::Dialect,
) -> Option<Error> {
    plan.steps.iter().find_map(|step| {
        let point = step.resume.as_ref()?;
        let refuse = |reason| Error::Conflicts {
            conflicts: vec![Conflict::NotResumable {
                version: step.version as i64,
                reason,
            }],
        };
        let Some(script) = script_of(source, step) else {
            return Some(refuse(ResumeRefusal::FileMissing));
        };
        let mode = script.run_mode(statement_mode);
        if mode == TxMode::SelfManaged {
            return Some(not_resumable(step, mode));
        }
        check_prefix(script, point, dialect).err().map(refuse)
    })
}

/// A resumed step whose file now runs as `mode`, not statement by statement.
pub(super) fn not_resumable(step: &Step, mode: TxMode) -> Error {
    Error::Conflicts {
        conflicts: vec![Conflict::NotResumable {
            version: step.version as i64,
            reason: ResumeRefusal::NotStatementByStatement { mode },
        }],
    }
}

/// Why the plan cannot run in one transaction, if it cannot: a driver that cannot, or a step
/// that cannot go inside it.
pub(super) fn single_transaction_refusal(
    source: &Source,
    plan: &Plan,
    statement_mode: bool,
    caps: &Backend,
) -> Option<Error> {
    let script_of = |step: &Step| script_of(source, step);
    if !caps.single_transaction {
        return Some(Error::SingleTransactionUnavailable);
    }
    plan.steps.iter().find_map(|step| {
        one_transaction_blocker(script_of(step), statement_mode).map(|reason| {
            Error::NotInOneTransaction {
                version: step.version,
                direction: step.direction,
                name: step.name.clone(),
                reason,
            }
        })
    })
}

/// Why a streamed script cannot run (only transactional runs stream).
fn streamed_refusal(script: &Script, statement_mode: bool) -> Option<NotRunnableReason> {
    let bytes = script.streamed?.len;
    let mode = script.run_mode(statement_mode);
    (mode != TxMode::Transaction).then(|| NotRunnableReason::StreamedOutsideTransaction {
        path: script.path.clone(),
        bytes,
        mode,
        mode_reason: script.mode_reason.clone(),
    })
}

/// Why a step cannot go inside the one transaction of a single-transaction run.
fn one_transaction_blocker(
    script: Option<&Script>,
    statement_mode: bool,
) -> Option<OneTransactionBlocker> {
    let Some(s) = script else {
        return Some(OneTransactionBlocker::NoScript);
    };
    let mode = s.run_mode(statement_mode);
    if mode != TxMode::Transaction {
        return Some(OneTransactionBlocker::Mode {
            mode,
            reason: s.run_mode_reason(statement_mode),
        });
    }
    if s.streamed.is_some() {
        return Some(OneTransactionBlocker::Streamed {
            path: s.path.clone(),
        });
    }
    if !s.batchable {
        return Some(OneTransactionBlocker::NotBatchable {
            path: s.path.clone(),
        });
    }
    None
}
