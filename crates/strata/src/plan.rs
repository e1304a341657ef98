//! What `up` would do, without doing it: [`Migrator::plan`](crate::Migrator::plan).

use crate::report::{Direction, Mode};

/// What [`Migrator::up`](crate::Migrator::up) would run against a database right now, or why it
/// would refuse.
///
/// ```
/// # static M: strata::Migrations = strata::embed!("tests/migrations");
/// # let dir = tempfile::tempdir().unwrap();
/// # let url = format!("sqlite://{}", dir.path().join("a.db").display());
/// let plan = strata::Migrator::new(&M).plan(&url)?;
/// assert!(plan.conflicts.is_empty());
/// for step in &plan.steps {
///     println!("{} {} {:?} ({:?})", step.version, step.name, step.direction, step.mode);
/// }
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Plan {
    /// The migrations `up` would run, in order. Empty when there are conflicts: `up` would run
    /// nothing until they are resolved.
    pub steps: Vec<PlanStep>,
    /// Every reason `up` would refuse to run (edited or missing files, a dirty database,
    /// out-of-order migrations, ...).
    pub conflicts: Vec<Conflict>,
}

impl Plan {
    /// Whether `up` would do nothing and refuse nothing.
    ///
    /// ```
    /// # static M: strata::Migrations = strata::embed!("tests/migrations");
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let url = format!("sqlite://{}", dir.path().join("a.db").display());
    /// strata::Migrator::new(&M).up(&url)?;
    /// assert!(strata::Migrator::new(&M).plan(&url)?.is_empty());
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.conflicts.is_empty()
    }
}

/// One migration of a [`Plan`].
///
/// ```
/// # static M: strata::Migrations = strata::embed!("tests/migrations");
/// # let dir = tempfile::tempdir().unwrap();
/// # let url = format!("sqlite://{}", dir.path().join("a.db").display());
/// let plan = strata::Migrator::new(&M).plan(&url)?;
/// let first = &plan.steps[0];
/// assert_eq!((first.version, first.direction), (1, strata::Direction::Up));
/// assert_eq!(first.mode, Some(strata::Mode::Transaction));
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlanStep {
    /// Its version.
    pub version: u64,
    /// Its name.
    pub name: String,
    /// Which way it would run.
    pub direction: Direction,
    /// How it would run (`None`: no script that way, only the ledger would be written).
    pub mode: Option<Mode>,
    /// Why it runs in that mode when not in the default transaction: the directive or the
    /// statement that decided it (e.g. `CREATE INDEX CONCURRENTLY at line 3`).
    pub why: Option<String>,
}

/// What kind of [`Conflict`] it is.
///
/// ```
/// let kind = strata::ConflictKind::Edited;
/// assert_ne!(kind, strata::ConflictKind::Dirty);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConflictKind {
    /// A migration started outside a transaction and did not finish: the database is dirty.
    Dirty,
    /// An applied migration's file was edited since it was applied.
    Edited,
    /// An applied migration's down file was edited since it was applied.
    DownEdited,
    /// An applied migration's down file was deleted since it was applied.
    DownMissing,
    /// An applied migration has no file any more.
    Missing,
    /// A pending migration is older than the newest applied one.
    OutOfOrder,
    /// A migration to revert has no down part.
    NoDown,
    /// [`Migrator::resume`](crate::Migrator::resume) cannot continue the dirty migration (no
    /// progress record, its file was edited before the statement it stopped at, ...).
    NotResumable,
    /// There are no migrations at all.
    NoMigrations,
    /// Any other reason (see the message).
    Other,
}

/// One reason a run would be refused.
///
/// ```
/// # static M: strata::Migrations = strata::embed!("tests/migrations");
/// # let dir = tempfile::tempdir().unwrap();
/// # let url = format!("sqlite://{}", dir.path().join("a.db").display());
/// # strata::Migrator::new(&M).up(&url)?;
/// let plan = strata::Migrator::new(&M).plan(&url)?;
/// for c in &plan.conflicts {
///     eprintln!("version {:?}: {} ({:?})", c.version, c.message, c.kind);
/// }
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Conflict {
    /// What kind it is.
    pub kind: ConflictKind,
    /// The migration it is about, where there is one (for [`ConflictKind::Dirty`], the version
    /// in golang-migrate's row).
    pub version: Option<i64>,
    /// What is wrong, for people.
    pub message: String,
}

impl From<strata_core::plan::Conflict> for Conflict {
    fn from(c: strata_core::plan::Conflict) -> Self {
        use strata_core::plan::Conflict as C;
        let message = c.to_string();
        let (kind, version) = match c {
            C::Dirty { version, .. } => (ConflictKind::Dirty, Some(version)),
            C::Edited { version, .. } => (ConflictKind::Edited, Some(version as i64)),
            C::DownEdited { version, .. } => (ConflictKind::DownEdited, Some(version as i64)),
            C::DownMissing { version, .. } => (ConflictKind::DownMissing, Some(version as i64)),
            C::Missing { version, .. } => (ConflictKind::Missing, Some(version as i64)),
            C::OutOfOrder { version, .. } => (ConflictKind::OutOfOrder, Some(version as i64)),
            C::NoDown { version, .. } => (ConflictKind::NoDown, Some(version as i64)),
            C::NotResumable { version, .. } => (ConflictKind::NotResumable, Some(version)),
            C::NoMigrations => (ConflictKind::NoMigrations, None),
            _ => (ConflictKind::Other, None),
        };
        Conflict {
            kind,
            version,
            message,
        }
    }
}
