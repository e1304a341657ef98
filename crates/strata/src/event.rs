//! Progress of a run, delivered to [`Migrator::on_event`](crate::Migrator::on_event).

use crate::report::{Applied, Direction, Report};
use std::time::Duration;

/// A migration the run is about to apply or revert.
///
/// ```
/// # static M: strata::Migrations = strata::embed!("tests/migrations");
/// # let dir = tempfile::tempdir().unwrap();
/// # let url = format!("sqlite://{}", dir.path().join("a.db").display());
/// let mut planned = Vec::new();
/// strata::Migrator::new(&M)
///     .on_event(|e| if let strata::Event::Planned { migrations } = e {
///         planned = migrations.iter().map(|m| m.version).collect();
///     })
///     .up(&url)?;
/// assert_eq!(planned, [1, 2, 3]);
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlannedMigration {
    /// Its version.
    pub version: u64,
    /// Its name.
    pub name: String,
    /// Which way it will run.
    pub direction: Direction,
}

/// Something that happened during a run, as it happens.
///
/// ```
/// # static M: strata::Migrations = strata::embed!("tests/migrations");
/// # let dir = tempfile::tempdir().unwrap();
/// # let url = format!("sqlite://{}", dir.path().join("a.db").display());
/// strata::Migrator::new(&M)
///     .on_event(|e| match e {
///         strata::Event::Applied(m) => println!("{} {} took {:?}", m.version, m.name, m.duration),
///         strata::Event::Notice { message, .. } => println!("notice: {message}"),
///         _ => {}
///     })
///     .up(&url)?;
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Under the migration lock, the plan was made: these migrations will run, in order.
    /// Not sent when there is nothing to do (decided without taking the lock).
    Planned {
        /// The migrations, in the order they will run.
        migrations: Vec<PlannedMigration>,
    },
    /// A migration is about to run.
    Started {
        /// Its version.
        version: u64,
        /// Its name.
        name: String,
        /// Which way.
        direction: Direction,
    },
    /// A migration finished, with its duration and mode.
    Applied(Applied),
    /// The server sent a notice while a migration ran.
    Notice {
        /// The migration's version.
        version: u64,
        /// The notice's text.
        message: String,
    },
    /// A transactional migration timed out waiting for a table lock and will be retried.
    Retry {
        /// The migration's version.
        version: u64,
        /// This retry's number (1-based).
        attempt: u32,
        /// How many retries are allowed.
        retries: u32,
        /// How long the runner waits first.
        wait: Duration,
        /// The failure, naming the blocking session where the server could.
        message: String,
    },
    /// The run ended successfully; the same report is returned.
    Finished(Report),
}

impl Event {
    /// The facade's event for an engine event (`None` for events this API does not expose).
    pub(crate) fn from_engine(e: strata_core::Event) -> Option<Event> {
        use strata_core::Event as E;
        Some(match e {
            E::Planned { steps } => Event::Planned {
                migrations: steps
                    .into_iter()
                    .map(|(version, name, direction)| PlannedMigration {
                        version,
                        name,
                        direction: direction.into(),
                    })
                    .collect(),
            },
            E::Started {
                version,
                name,
                direction,
            } => Event::Started {
                version,
                name,
                direction: direction.into(),
            },
            E::Finished(step) => Event::Applied(step.into()),
            E::Notice { version, message } => Event::Notice { version, message },
            E::Retry {
                version,
                attempt,
                retries,
                wait,
                message,
            } => Event::Retry {
                version,
                attempt,
                retries,
                wait,
                message,
            },
            _ => return None,
        })
    }
}
