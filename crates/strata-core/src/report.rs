//! What a run did, as data: returned to programs, rendered by the CLI.

use crate::migration::{Direction, TxMode, Version};
use serde::Serialize;
use std::time::Duration;

/// One migration that ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepReport {
    /// Its version.
    pub version: Version,
    /// Its name.
    pub name: String,
    /// Which way.
    pub direction: Direction,
    /// How it ran (`None`: nothing to run in that direction, only records written).
    pub mode: Option<TxMode>,
    /// How long it took.
    #[serde(serialize_with = "as_millis")]
    pub duration: Duration,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1000.0)
}

/// Everything a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Migrations run, in order.
    pub steps: Vec<StepReport>,
    /// Ledger rows adopted from (or removed after) golang-migrate runs.
    pub reconciled: usize,
}

impl Report {
    /// Whether nothing happened (golang-migrate's "no change").
    pub fn is_no_change(&self) -> bool {
        self.steps.is_empty() && self.reconciled == 0
    }
}

/// Something that happened during a run, delivered as it happens (for progress output).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The plan was made under the migration lock: these migrations will run, in this order.
    Planned {
        /// `(version, name, direction)` of each migration to run.
        steps: Vec<(Version, String, Direction)>,
    },
    /// A migration is about to run.
    Started {
        /// Its version.
        version: Version,
        /// Its name.
        name: String,
        /// Which way.
        direction: Direction,
    },
    /// A migration finished.
    Finished(StepReport),
    /// The server sent a notice while a migration ran.
    Notice {
        /// The migration's version.
        version: Version,
        /// The notice text.
        message: String,
    },
    /// The driver goes on in a degraded way (see [`crate::Driver::take_warnings`]).
    Warning {
        /// What it cannot do, and what would fix it.
        message: String,
    },
    /// A transactional migration timed out waiting for a table lock and will be retried.
    Retry {
        /// The migration's version.
        version: Version,
        /// This retry's number (1-based).
        attempt: u32,
        /// How many retries are allowed.
        retries: u32,
        /// How long the runner waits first.
        wait: Duration,
        /// The failure, naming the blocking session where the driver could.
        message: String,
    },
}
