//! Sources, ledger states and plan summaries shared by the planner's unit tests.

use super::{ledger_row, Plan, PlanOptions};
use crate::checksum::Checksum;
use crate::ledger::{compat_for, Action, LedgerState, Origin};
use crate::migration::{Format, Migration, Script, TxMode, Version};
use crate::source::Source;
use std::path::PathBuf;

pub(super) fn script(sql: &str) -> Script {
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

/// Source with versions; `spec` is (version, has_up, has_down).
pub(super) fn source(spec: &[(Version, bool, bool)]) -> Source {
    Source {
        dir: PathBuf::from("m"),
        migrations: spec
            .iter()
            .map(|&(v, up, down)| Migration {
                version: v,
                name: format!("m{v}"),
                up: up.then(|| script(&format!("-- up {v}"))),
                down: down.then(|| script(&format!("-- down {v}"))),
                checksum: Checksum::of(format!("-- up {v}").as_bytes()),
                down_checksum: down.then(|| Checksum::of(format!("-- down {v}").as_bytes())),
                format: Format::Pair,
                allow_out_of_order: false,
            })
            .collect(),
        ignored: vec![],
        warnings: vec![],
    }
}

pub(super) fn applied(src: &Source, versions: &[Version], batch: i64) -> LedgerState {
    let rows: Vec<_> = versions
        .iter()
        .map(|v| ledger_row(src.get(*v).unwrap(), batch, 1, "t", Origin::Applied))
        .collect();
    LedgerState {
        compat: compat_for(versions.iter().max().copied()),
        applied: rows,
        reached: None,
    }
}

pub(super) fn opts() -> PlanOptions {
    PlanOptions {
        allow_out_of_order: false,
        actor: "t".into(),
        statement_mode: false,
        resume: false,
    }
}

pub(super) fn versions(p: &Plan) -> Vec<(Version, char)> {
    p.steps
        .iter()
        .map(|s| (s.version, s.direction.letter()))
        .collect()
}

// The worked example from golang-migrate's test fixture (compat §3.6).
pub(super) fn fixture() -> Source {
    source(&[
        (1, true, true),
        (3, true, false),
        (4, true, true),
        (5, false, true),
        (7, true, true),
    ])
}

/// `applied` with a batch per version.
pub(super) fn batches(src: &Source, spec: &[(Version, i64)]) -> LedgerState {
    let versions: Vec<Version> = spec.iter().map(|(v, _)| *v).collect();
    let mut state = applied(src, &versions, 1);
    for (row, (_, b)) in state.applied.iter_mut().zip(spec) {
        row.batch = *b;
    }
    state
}

pub(super) fn actions(p: &Plan) -> Vec<(Version, char, Action, i64)> {
    p.steps
        .iter()
        .map(|s| (s.version, s.direction.letter(), s.action, s.batch))
        .collect()
}
