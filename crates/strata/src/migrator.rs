//! The builder a program uses to run its migrations.

use crate::connection::{lend, Connection};
use crate::error::Error;
use crate::event::Event;
use crate::migrations::Migrations;
use crate::plan::{Conflict, Plan, PlanStep};
use crate::report::{Mode, Report};
use crate::status::Status;
use std::any::Any;
use std::borrow::Cow;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use strata_core::plan::{PlanOptions, Request};
use strata_core::runner::{self, RunOptions};
use strata_core::{Driver, Source};
use strata_drivers::{Backend, ConnectOptions, DatabaseUrl};
use strata_sql::Dialect;

type Callback<'m> = Box<dyn FnMut(&Event) + Send + 'm>;

/// Runs a set of [`Migrations`] against a database, under Strata's migration lock.
///
/// ```
/// use std::time::Duration;
/// static MIGRATIONS: strata::Migrations = strata::embed!("tests/migrations");
/// # let dir = tempfile::tempdir().unwrap();
/// # let url = format!("sqlite://{}", dir.path().join("app.db").display());
/// let report = strata::Migrator::new(&MIGRATIONS)
///     .lock_timeout(Duration::from_secs(30))
///     .actor("deploy@ci")
///     .on_event(|e| eprintln!("{e:?}"))
///     .up(&url)?;
/// assert_eq!(report.migrations.len(), MIGRATIONS.list()?.len());
/// # Ok::<(), strata::Error>(())
/// ```
///
/// The lock is released whatever happens: an error, a failing migration, or a panic in the
/// [`on_event`](Migrator::on_event) callback (what was sent to the database finishes, nothing
/// further starts, the lock is released, then the panic resumes in the caller).
pub struct Migrator<'m> {
    migrations: Cow<'m, Migrations>,
    lock_timeout: Duration,
    table_lock_timeout: Option<Duration>,
    lock_retries: u32,
    actor: Option<String>,
    resume: bool,
    on_event: Option<Callback<'m>>,
}

impl std::fmt::Debug for Migrator<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Migrator")
            .field("dir", &self.migrations.dir())
            .field("lock_timeout", &self.lock_timeout)
            .field("table_lock_timeout", &self.table_lock_timeout)
            .field("lock_retries", &self.lock_retries)
            .field("actor", &self.actor)
            .field("on_event", &self.on_event.is_some())
            .finish()
    }
}

impl<'m> Migrator<'m> {
    /// A migrator for `migrations`, with a 15 s lock timeout, the actor `user@host` and no
    /// callback.
    ///
    /// ```
    /// static M: strata::Migrations = strata::embed!("tests/migrations");
    /// let migrator = strata::Migrator::new(&M);
    /// # let _ = migrator;
    /// ```
    pub fn new(migrations: &'m Migrations) -> Migrator<'m> {
        Migrator {
            migrations: Cow::Borrowed(migrations),
            lock_timeout: RunOptions::default().lock_timeout,
            table_lock_timeout: None,
            lock_retries: 0,
            actor: None,
            resume: false,
            on_event: None,
        }
    }

    /// A migrator that owns its migrations (e.g. read by [`Migrations::from_dir`] and handed
    /// to an async run, which needs `'static`).
    ///
    /// ```
    /// let m = strata::Migrations::from_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/migrations"))?;
    /// let migrator: strata::Migrator<'static> = strata::Migrator::owning(m);
    /// # let _ = migrator;
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn owning(migrations: Migrations) -> Migrator<'static> {
        Migrator {
            migrations: Cow::Owned(migrations),
            lock_timeout: RunOptions::default().lock_timeout,
            table_lock_timeout: None,
            lock_retries: 0,
            actor: None,
            resume: false,
            on_event: None,
        }
    }

    /// How long to wait for the migration lock held by another runner before failing with
    /// [`Error::LockTimeout`].
    ///
    /// ```
    /// # static M: strata::Migrations = strata::embed!("tests/migrations");
    /// let migrator = strata::Migrator::new(&M).lock_timeout(std::time::Duration::from_secs(60));
    /// # let _ = migrator;
    /// ```
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// PostgreSQL: how long a migration statement may wait for a table lock (the session's
    /// `lock_timeout`) before it fails, instead of queueing every other query on that table
    /// behind it. Default: the server's. With [`lock_retries`](Migrator::lock_retries), a
    /// transactional migration that timed out is retried.
    ///
    /// ```
    /// # static M: strata::Migrations = strata::embed!("tests/migrations");
    /// use std::time::Duration;
    /// let migrator = strata::Migrator::new(&M)
    ///     .table_lock_timeout(Duration::from_secs(2))
    ///     .lock_retries(3);
    /// # let _ = migrator;
    /// ```
    pub fn table_lock_timeout(mut self, timeout: Duration) -> Self {
        self.table_lock_timeout = Some(timeout);
        self
    }

    /// How many times to retry a transactional migration (or, statement by statement, the one
    /// statement) that timed out waiting for a table lock, with back-off (1 s, 2 s, 4 s, ...); each retry is an [`Event::Retry`]. Default 0.
    ///
    /// ```
    /// # static M: strata::Migrations = strata::embed!("tests/migrations");
    /// let migrator = strata::Migrator::new(&M).lock_retries(2);
    /// # let _ = migrator;
    /// ```
    pub fn lock_retries(mut self, retries: u32) -> Self {
        self.lock_retries = retries;
        self
    }

    /// Who runs the migrations, recorded in the ledger. Default: `user@host`, computed as the
    /// `strata` command does.
    ///
    /// ```
    /// # static M: strata::Migrations = strata::embed!("tests/migrations");
    /// let migrator = strata::Migrator::new(&M).actor("api@pod-7");
    /// # let _ = migrator;
    /// ```
    pub fn actor(mut self, actor: impl Into<String>) -> Self {
        self.actor = Some(actor.into());
        self
    }

    /// `up` on a database left dirty by an interrupted migration run statement by statement
    /// (`-- strata:no-transaction`) goes on at the statement it stopped at, once the cause is
    /// fixed, after checking that the statements before it are unchanged since they ran
    /// (else [`ConflictKind::NotResumable`](crate::ConflictKind::NotResumable)). On a clean
    /// database it changes nothing. Default: off, as golang-migrate (a dirty database is
    /// refused).
    ///
    /// ```
    /// # static M: strata::Migrations = strata::embed!("tests/migrations");
    /// let migrator = strata::Migrator::new(&M).resume(true);
    /// # let _ = migrator;
    /// ```
    pub fn resume(mut self, resume: bool) -> Self {
        self.resume = resume;
        self
    }

    /// Call `callback` for each [`Event`] of a run, as it happens, on the thread running the
    /// migrations. A panic in it stops the run once what was sent to the database has finished
    /// (the running migration; on PostgreSQL, possibly a batch of transactional ones sent in one
    /// round trip), releases the lock, and then resumes in the caller.
    ///
    /// ```
    /// # static M: strata::Migrations = strata::embed!("tests/migrations");
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let url = format!("sqlite://{}", dir.path().join("a.db").display());
    /// let mut started = 0;
    /// strata::Migrator::new(&M)
    ///     .on_event(|e| if let strata::Event::Started { .. } = e { started += 1 })
    ///     .up(&url)?;
    /// assert!(started > 0);
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn on_event(mut self, callback: impl FnMut(&Event) + Send + 'm) -> Self {
        self.on_event = Some(Box::new(callback));
        self
    }

    /// Apply every pending migration.
    ///
    /// ```
    /// # static M: strata::Migrations = strata::embed!("tests/migrations");
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let url = format!("sqlite://{}", dir.path().join("a.db").display());
    /// let report = strata::Migrator::new(&M).up(&url)?;
    /// assert!(!report.is_empty());
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn up(&mut self, url: &str) -> Result<Report, Error> {
        self.run(url, Request::Up(None))
    }

    /// Apply pending migrations up to and including `version`. Refused with
    /// [`Error::WouldRevert`] when a newer version is already applied.
    ///
    /// ```
    /// # static M: strata::Migrations = strata::embed!("tests/migrations");
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let url = format!("sqlite://{}", dir.path().join("a.db").display());
    /// let report = strata::Migrator::new(&M).up_to(&url, 1)?;
    /// assert_eq!(report.migrations.len(), 1);
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn up_to(&mut self, url: &str, version: u64) -> Result<Report, Error> {
        self.run(url, Request::Goto(version))
    }

    /// Revert the newest `n` applied migrations, newest first.
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
    pub fn down(&mut self, url: &str, n: u64) -> Result<Report, Error> {
        self.run(url, Request::Down(Some(n)))
    }

    /// Where the database stands: every migration with its state. Creates nothing (a SQLite
    /// file that does not exist reads as empty).
    ///
    /// ```
    /// # static M: strata::Migrations = strata::embed!("tests/migrations");
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let url = format!("sqlite://{}", dir.path().join("a.db").display());
    /// strata::Migrator::new(&M).up(&url)?;
    /// assert!(strata::Migrator::new(&M).status(&url)?.is_up_to_date());
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn status(&mut self, url: &str) -> Result<Status, Error> {
        let target = Target::open(url, true, None)?;
        let source = self.migrations.source(target.dialect())?;
        let mut driver = target.driver;
        let mut engine =
            runner::Migrator::new(&mut *driver, &source, self.run_options(&target.url));
        let state = engine.state().map_err(Error::from_engine)?;
        Ok(strata_core::status::status(&source, &state).into())
    }

    /// What [`up`](Migrator::up) would run now, and every reason it would refuse, without
    /// running anything: no lock is taken and nothing is created (a SQLite file that does not
    /// exist reads as empty).
    ///
    /// ```
    /// # static M: strata::Migrations = strata::embed!("tests/migrations");
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let url = format!("sqlite://{}", dir.path().join("a.db").display());
    /// strata::Migrator::new(&M).up_to(&url, 1)?;
    /// let plan = strata::Migrator::new(&M).plan(&url)?;
    /// let versions: Vec<u64> = plan.steps.iter().map(|s| s.version).collect();
    /// assert_eq!(versions, [2, 3]);
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn plan(&mut self, url: &str) -> Result<Plan, Error> {
        let target = Target::open(url, true, None)?;
        let source = self.migrations.source(target.dialect())?;
        let options = self.run_options(&target.url);
        let statement_mode = options.plan.statement_mode;
        let mut driver = target.driver;
        let mut engine = runner::Migrator::new(&mut *driver, &source, options);
        match engine.plan(Request::Up(None)) {
            Ok(plan) => Ok(Plan {
                steps: plan
                    .steps
                    .into_iter()
                    .map(|step| {
                        let script = source
                            .get(step.version)
                            .and_then(|m| m.script(step.direction));
                        PlanStep {
                            why: script.and_then(|s| s.run_mode_reason(statement_mode)),
                            version: step.version,
                            name: step.name,
                            direction: step.direction.into(),
                            mode: step.mode.map(Mode::from),
                        }
                    })
                    .collect(),
                conflicts: Vec::new(),
            }),
            Err(strata_core::Error::Conflicts { conflicts }) => Ok(Plan {
                steps: Vec::new(),
                conflicts: conflicts.into_iter().map(Conflict::from).collect(),
            }),
            Err(e) => Err(Error::from_engine(e)),
        }
    }

    fn run_options(&self, url: &DatabaseUrl) -> RunOptions {
        self.options(url.multi_statement())
    }

    fn options(&self, statement_mode: bool) -> RunOptions {
        RunOptions {
            lock_timeout: self.lock_timeout,
            plan: PlanOptions {
                allow_out_of_order: false,
                actor: self
                    .actor
                    .clone()
                    .unwrap_or_else(strata_core::actor::default_actor),
                statement_mode,
                resume: self.resume,
            },
            lock_retries: self.lock_retries,
            ..RunOptions::default()
        }
    }

    /// Apply every pending migration on a connection the application already has, instead of
    /// opening one from a URL: `rusqlite::Connection` (feature `sqlite`) or `postgres::Client`
    /// (feature `postgres`). The tables are `schema_migrations` & co. in the connection's
    /// current schema.
    ///
    /// The session is left as it was found: the migration lock is released (on PostgreSQL, the
    /// advisory lock, checked in `pg_locks`; errors and a panic in the callback included), and
    /// the driver sets no session setting of its own (`application_name`, `search_path`,
    /// `lock_timeout` and `statement_timeout` stay as they were; a migration's own timeout
    /// directives are set for that migration and then restored). What the migrations' SQL
    /// itself changes in the session is theirs. On PostgreSQL, server notices go to the
    /// client's own notice callback (no [`Event::Notice`]), and migrations run one per round
    /// trip. An async `up_with` (tokio-postgres) is not offered: use
    /// `up_async` (feature `tokio`) with a URL.
    ///
    /// ```
    /// # static M: strata::Migrations = strata::embed!("tests/migrations");
    /// let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    /// let report = strata::Migrator::new(&M).up_with(&mut conn)?;
    /// assert_eq!(report.migrations.len(), 3);
    /// // The same connection, migrated, is the application's again.
    /// conn.execute("INSERT INTO users (id, email) VALUES (1, 'a@example.com')", []).unwrap();
    /// # Ok::<(), strata::Error>(())
    /// ```
    ///
    /// On PostgreSQL (feature `postgres`):
    ///
    /// ```no_run
    /// # #[cfg(feature = "postgres")] {
    /// # static M: strata::Migrations = strata::embed!("tests/migrations");
    /// let mut client = postgres::Client::connect("host=localhost user=app", postgres::NoTls).unwrap();
    /// strata::Migrator::new(&M).up_with(&mut client)?;
    /// # }
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn up_with<C: Connection>(&mut self, connection: &mut C) -> Result<Report, Error> {
        let opts = ConnectOptions {
            lock_timeout: self.table_lock_timeout,
            ..ConnectOptions::default()
        };
        let (mut driver, dialect) = lend(connection, &opts)?;
        let source = self.migrations.source(dialect)?;
        let options = self.options(false);
        run_on(
            &mut self.on_event,
            &mut *driver,
            &source,
            options,
            Request::Up(None),
        )
    }

    fn run(&mut self, url: &str, request: Request) -> Result<Report, Error> {
        let target = Target::open(url, false, self.table_lock_timeout)?;
        let source = self.migrations.source(target.dialect())?;
        let options = self.run_options(&target.url);
        let mut driver = target.driver;
        run_on(&mut self.on_event, &mut *driver, &source, options, request)
    }
}

/// Run `request` on `driver`, forwarding events to `on_event`; a panic in it resumes once the
/// lock is released.
fn run_on(
    on_event: &mut Option<Callback<'_>>,
    driver: &mut dyn Driver,
    source: &Source,
    options: RunOptions,
    request: Request,
) -> Result<Report, Error> {
    let stop = AtomicBool::new(false);
    let mut events = Forward {
        callback: on_event.as_mut(),
        panic: None,
        stop: &stop,
    };
    let mut engine = runner::Migrator::new(driver, source, options).with_stop_flag(&stop);
    if let Request::Goto(target) = request {
        refuse_revert(&mut engine, target)?;
    }
    let result = engine.run(request, &mut |e| events.send(e));
    if let Some(panic) = events.panic.take() {
        // The engine has released the lock; the caller sees its own panic.
        drop(engine);
        resume_unwind(panic);
    }
    let report: Report = result.map_err(Error::from_engine)?.into();
    events.emit(&Event::Finished(report.clone()));
    if let Some(panic) = events.panic.take() {
        resume_unwind(panic);
    }
    Ok(report)
}

/// `up_to` must not turn into a `down`: checked on the plan before the run (the run plans
/// again under the lock).
fn refuse_revert(engine: &mut runner::Migrator<'_>, target: u64) -> Result<(), Error> {
    let state = engine.state().map_err(Error::from_engine)?;
    match state.head() {
        Some(current) if current > target => Err(Error::WouldRevert { target, current }),
        _ => Ok(()),
    }
}

/// Hands engine events to the caller's callback; a panic in it is kept, and stops the run.
struct Forward<'c, 'm> {
    callback: Option<&'c mut Callback<'m>>,
    panic: Option<Box<dyn Any + Send>>,
    stop: &'c AtomicBool,
}

impl Forward<'_, '_> {
    fn send(&mut self, e: strata_core::Event) {
        if let Some(event) = Event::from_engine(e) {
            self.emit(&event);
        }
    }

    fn emit(&mut self, event: &Event) {
        if self.panic.is_some() {
            return;
        }
        let Some(callback) = self.callback.as_mut() else {
            return;
        };
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| callback(event))) {
            self.panic = Some(panic);
            self.stop.store(true, Ordering::SeqCst);
        }
    }
}

/// A parsed URL and its open driver.
struct Target {
    url: DatabaseUrl,
    driver: strata_drivers::Connection,
}

impl Target {
    fn open(
        raw: &str,
        read_only: bool,
        table_lock_timeout: Option<Duration>,
    ) -> Result<Target, Error> {
        let url = DatabaseUrl::parse(raw).map_err(Error::Url)?;
        match url.backend() {
            Backend::Postgres if !cfg!(feature = "postgres") => {
                return Err(Error::BackendNotBuilt {
                    backend: "PostgreSQL",
                    feature: "postgres",
                })
            }
            Backend::Sqlite if !cfg!(feature = "sqlite") => {
                return Err(Error::BackendNotBuilt {
                    backend: "SQLite",
                    feature: "sqlite",
                })
            }
            Backend::Mysql if !cfg!(feature = "mysql") => {
                return Err(Error::BackendNotBuilt {
                    backend: "MySQL",
                    feature: "mysql",
                })
            }
            _ => {}
        }
        let options = ConnectOptions {
            statement_timeout: url.statement_timeout(),
            lock_timeout: table_lock_timeout,
            read_only,
            ..ConnectOptions::default()
        };
        let driver =
            strata_drivers::connect(&url, &options).map_err(|e| Error::Connect(Box::new(e)))?;
        Ok(Target { url, driver })
    }

    fn dialect(&self) -> Dialect {
        self.url.dialect()
    }
}
