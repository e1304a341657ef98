//! The planner: a pure function from (migrations on disk, ledger, request, options) to a
//! [`Plan`] or the complete list of [`Conflict`]s.
//!
//! Dry-run, `status` and the real run share this code, so what `plan` prints is exactly what
//! `up` does. Nothing here does IO.
//!
//! Before planning, the ledger is [`reconcile`]d with golang-migrate's one-row table, so a team
//! can switch between golang-migrate and Strata on a live database in either direction:
//! - a database golang-migrate left at version V (clean) and no ledger yet: every file up to V
//!   is adopted (ledger rows with origin `adopted`, batch 0);
//! - golang-migrate ran `up` after Strata: the versions between the ledger's head and V are
//!   adopted;
//! - golang-migrate ran `down` after Strata: ledger rows above V are removed.
//!
//! A dirty row is never reconciled: it is a [`Conflict::Dirty`] with the fix.

mod accept;
mod baseline;
mod conflict;
mod force;
mod planner;
mod reconcile;
mod records;
mod request;
#[cfg(test)]
mod test_fixtures;
mod validate;

pub use accept::plan_accept;
pub use baseline::plan_baseline;
pub use conflict::Conflict;
pub use force::plan_force;
pub use planner::{plan, rollback_order, Plan, Step};
pub use reconcile::reconcile;
pub use records::{ledger_row, log};
pub use request::{PlanOptions, Request};
pub use validate::validate;

pub use crate::drift::{down_drift, drift, row_drift, RowDrift};
