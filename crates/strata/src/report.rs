//! What a run did.

use std::time::Duration;

/// Which way a migration ran.
///
/// ```
/// # static M: strata::Migrations = strata::embed!("tests/migrations");
/// # let dir = tempfile::tempdir().unwrap();
/// # let url = format!("sqlite://{}", dir.path().join("a.db").display());
/// strata::Migrator::new(&M).up(&url)?;
/// let report = strata::Migrator::new(&M).down(&url, 1)?;
/// assert_eq!(report.migrations[0].direction, strata::Direction::Down);
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Applied.
    Up,
    /// Reverted.
    Down,
}

impl From<strata_core::Direction> for Direction {
    fn from(d: strata_core::Direction) -> Self {
        match d {
            strata_core::Direction::Up => Direction::Up,
            strata_core::Direction::Down => Direction::Down,
        }
    }
}

/// How a migration ran, decided by the file (directives, or what its SQL requires).
///
/// ```
/// # static M: strata::Migrations = strata::embed!("tests/migrations");
/// # let dir = tempfile::tempdir().unwrap();
/// # let url = format!("sqlite://{}", dir.path().join("a.db").display());
/// let report = strata::Migrator::new(&M).up(&url)?;
/// assert_eq!(report.migrations[0].mode, Some(strata::Mode::Transaction));
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mode {
    /// In one transaction with its ledger records (the default).
    Transaction,
    /// Statement by statement outside a transaction (e.g. `CREATE INDEX CONCURRENTLY`).
    NoTransaction,
    /// As written: the file has its own `BEGIN`/`COMMIT`.
    SelfManaged,
}

impl From<strata_core::TxMode> for Mode {
    fn from(m: strata_core::TxMode) -> Self {
        match m {
            strata_core::TxMode::Transaction => Mode::Transaction,
            strata_core::TxMode::NoTransaction => Mode::NoTransaction,
            strata_core::TxMode::SelfManaged => Mode::SelfManaged,
        }
    }
}

/// One migration that ran.
///
/// ```
/// # static M: strata::Migrations = strata::embed!("tests/migrations");
/// # let dir = tempfile::tempdir().unwrap();
/// # let url = format!("sqlite://{}", dir.path().join("a.db").display());
/// let report = strata::Migrator::new(&M).up(&url)?;
/// let first = &report.migrations[0];
/// assert_eq!((first.version, first.direction), (1, strata::Direction::Up));
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Applied {
    /// Its version.
    pub version: u64,
    /// Its name.
    pub name: String,
    /// Which way.
    pub direction: Direction,
    /// How it ran (`None`: no script that way, only the ledger was written).
    pub mode: Option<Mode>,
    /// How long it took.
    pub duration: Duration,
}

impl From<strata_core::StepReport> for Applied {
    fn from(s: strata_core::StepReport) -> Self {
        Applied {
            version: s.version,
            name: s.name,
            direction: s.direction.into(),
            mode: s.mode.map(Mode::from),
            duration: s.duration,
        }
    }
}

/// Everything a run did.
///
/// ```
/// # static M: strata::Migrations = strata::embed!("tests/migrations");
/// # let dir = tempfile::tempdir().unwrap();
/// # let url = format!("sqlite://{}", dir.path().join("a.db").display());
/// strata::Migrator::new(&M).up(&url)?;
/// assert!(strata::Migrator::new(&M).up(&url)?.is_empty()); // nothing left to do
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// The migrations that ran, in order.
    pub migrations: Vec<Applied>,
    /// Ledger rows adopted from golang-migrate's table (nothing was run for them).
    pub reconciled: usize,
}

impl Report {
    /// Whether nothing changed.
    ///
    /// ```
    /// # static M: strata::Migrations = strata::embed!("tests/migrations");
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let url = format!("sqlite://{}", dir.path().join("a.db").display());
    /// assert!(!strata::Migrator::new(&M).up(&url)?.is_empty());
    /// assert!(strata::Migrator::new(&M).up(&url)?.is_empty());
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.migrations.is_empty() && self.reconciled == 0
    }
}

impl From<strata_core::Report> for Report {
    fn from(r: strata_core::Report) -> Self {
        Report {
            migrations: r.steps.into_iter().map(Applied::from).collect(),
            reconciled: r.reconciled,
        }
    }
}
