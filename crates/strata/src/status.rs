//! Where a database stands against a set of migrations.

/// The state of one migration.
///
/// ```
/// # static M: strata::Migrations = strata::embed!("tests/migrations");
/// # let dir = tempfile::tempdir().unwrap();
/// # let url = format!("sqlite://{}", dir.path().join("a.db").display());
/// strata::Migrator::new(&M).up_to(&url, 1)?;
/// let status = strata::Migrator::new(&M).status(&url)?;
/// assert_eq!(status.migrations[0].state, strata::State::Applied);
/// assert_eq!(status.migrations[1].state, strata::State::Pending);
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    /// Applied, and its file is unchanged.
    Applied,
    /// Not applied yet.
    Pending,
    /// Not applied, and older than the newest applied one (`up` refuses it).
    OutOfOrder,
    /// Applied, but its file was edited since.
    Edited,
    /// Applied, but its file is gone.
    Missing,
    /// Applied, but its down script was edited since.
    DownEdited,
    /// Applied, but its down script was deleted since.
    DownMissing,
    /// Started outside a transaction and did not finish: the database is dirty.
    Dirty,
}

impl From<strata_core::status::State> for State {
    fn from(s: strata_core::status::State) -> Self {
        use strata_core::status::State as S;
        match s {
            S::Applied => State::Applied,
            S::Pending => State::Pending,
            S::OutOfOrder => State::OutOfOrder,
            S::Edited => State::Edited,
            S::Missing => State::Missing,
            S::DownEdited => State::DownEdited,
            S::DownMissing => State::DownMissing,
            S::Dirty => State::Dirty,
        }
    }
}

/// One migration's row in a [`Status`].
///
/// ```
/// # static M: strata::Migrations = strata::embed!("tests/migrations");
/// # let dir = tempfile::tempdir().unwrap();
/// # let url = format!("sqlite://{}", dir.path().join("a.db").display());
/// strata::Migrator::new(&M).actor("ci@runner").up(&url)?;
/// let row = &strata::Migrator::new(&M).status(&url)?.migrations[0];
/// assert_eq!((row.version, row.applied_by.as_deref()), (1, Some("ci@runner")));
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrationStatus {
    /// Its version.
    pub version: u64,
    /// Its name.
    pub name: String,
    /// Its state.
    pub state: State,
    /// When it was applied (RFC 3339, UTC), if it was.
    pub applied_at: Option<String>,
    /// Who applied it (see [`Migrator::actor`](crate::Migrator::actor)).
    pub applied_by: Option<String>,
}

/// Every migration in the files or in the database, with its state.
///
/// ```
/// # static M: strata::Migrations = strata::embed!("tests/migrations");
/// # let dir = tempfile::tempdir().unwrap();
/// # let url = format!("sqlite://{}", dir.path().join("a.db").display());
/// let status = strata::Migrator::new(&M).status(&url)?;
/// assert_eq!(status.version, None); // nothing applied yet
/// assert!(status.pending() > 0);
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Status {
    /// The newest applied version (`None`: nothing applied).
    pub version: Option<i64>,
    /// Whether a migration started outside a transaction and did not finish.
    pub dirty: bool,
    /// One row per version, ascending.
    pub migrations: Vec<MigrationStatus>,
    /// While dirty: where the interrupted statement-by-statement migration stopped, when Strata
    /// recorded it.
    pub stopped_at: Option<StoppedAt>,
}

/// Where an interrupted migration run statement by statement stopped: statements before
/// `statement` completed, `statement` may have partly.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoppedAt {
    /// The migration.
    pub version: u64,
    /// Which way it ran.
    pub direction: crate::Direction,
    /// The statement it stopped at (1-based).
    pub statement: usize,
    /// How many statements the file had.
    pub total: usize,
    /// The file.
    pub path: String,
    /// The statement's first line in the file.
    pub line: usize,
    /// Whether [`Migrator::resume`](crate::Migrator::resume) can go on from it (an up whose
    /// record carries the hash of the statements that ran), once the statement is fixed.
    pub resumable: bool,
}

impl Status {
    /// How many migrations `up` would apply (pending or out of order).
    ///
    /// ```
    /// # static M: strata::Migrations = strata::embed!("tests/migrations");
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let url = format!("sqlite://{}", dir.path().join("a.db").display());
    /// strata::Migrator::new(&M).up_to(&url, 1)?;
    /// assert_eq!(strata::Migrator::new(&M).status(&url)?.pending(), 2);
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn pending(&self) -> usize {
        self.migrations
            .iter()
            .filter(|m| matches!(m.state, State::Pending | State::OutOfOrder))
            .count()
    }

    /// Whether everything is applied, unchanged, and the database is not dirty.
    ///
    /// ```
    /// # static M: strata::Migrations = strata::embed!("tests/migrations");
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let url = format!("sqlite://{}", dir.path().join("a.db").display());
    /// strata::Migrator::new(&M).up(&url)?;
    /// assert!(strata::Migrator::new(&M).status(&url)?.is_up_to_date());
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn is_up_to_date(&self) -> bool {
        !self.dirty && self.migrations.iter().all(|m| m.state == State::Applied)
    }
}

impl From<strata_core::status::Status> for Status {
    fn from(s: strata_core::status::Status) -> Self {
        Status {
            version: s.version,
            dirty: s.dirty,
            migrations: s
                .migrations
                .into_iter()
                .map(|r| MigrationStatus {
                    version: r.version,
                    name: r.name,
                    state: r.state.into(),
                    applied_at: r.applied_at,
                    applied_by: r.applied_by,
                })
                .collect(),
            stopped_at: s.reached.map(|r| StoppedAt {
                version: r.version,
                direction: r.direction.into(),
                statement: r.statement,
                total: r.total,
                path: r.path,
                line: r.line,
                resumable: r.prefix.is_some() && r.direction == strata_core::Direction::Up,
            }),
        }
    }
}
