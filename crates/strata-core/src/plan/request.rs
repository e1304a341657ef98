//! What the user asked the planner for, and the switches that change what it accepts.

use crate::migration::Version;
use serde::Serialize;

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "command", content = "argument")]
pub enum Request {
    /// Apply all pending migrations, or the next `limit`.
    Up(Option<u64>),
    /// Revert all applied migrations (`None`) or the last `limit`.
    Down(Option<u64>),
    /// Migrate up or down so that `version` is the newest applied.
    Goto(Version),
    /// Revert the last `batches` batches (each `up` run is one batch), newest first. Batch 0
    /// (rows adopted from golang-migrate or recorded by `baseline`, which Strata never ran) is
    /// never rolled back: use `down N` for those.
    Rollback {
        /// How many batches, counted from the newest.
        batches: u64,
    },
    /// Revert the newest applied migration and apply it again.
    Redo,
    /// Revert everything, then apply everything (one plan: conflicts anywhere stop it before
    /// anything runs).
    Refresh,
}

/// Switches that change what the planner accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Apply pending migrations older than the newest applied one (golang-migrate silently skips
    /// them forever; Strata refuses unless this is set).
    pub allow_out_of_order: bool,
    /// Who runs the plan (`user@host`), recorded in the ledger.
    pub actor: String,
    /// golang-migrate's `x-multi-statement=true`: run transactional migrations statement by
    /// statement in autocommit (split by the real lexer, not at every `;`); see
    /// [`crate::Script::run_mode`].
    pub statement_mode: bool,
    /// `up --resume`: a database left dirty by an interrupted statement-by-statement migration
    /// goes on at the statement it stopped at (see [`crate::resume`]); a clean one plans as
    /// usual.
    pub resume: bool,
}
