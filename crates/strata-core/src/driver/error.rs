//! What can go wrong in a driver, and what the user can do about it.

use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

/// An error from the database, with whatever structure the server gave.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum DriverError {
    /// Could not connect (refused, authentication, unknown database, TLS...), or the connection
    /// cannot be used safely (a transaction-pooling proxy).
    #[error("{message}")]
    Connect {
        /// One-line cause (never contains a password).
        message: String,
        /// What to do about it, as data (the CLI words it).
        fix: Option<Fix>,
        /// The client library's error, where there is one (its text never holds a password).
        #[source]
        cause: Option<Cause>,
    },
    /// A statement failed.
    #[error("{message}")]
    Statement {
        /// The server's message.
        message: String,
        /// SQLSTATE, where the backend has one.
        code: Option<String>,
        /// The server's DETAIL.
        detail: Option<String>,
        /// The server's HINT.
        hint: Option<String>,
        /// Byte range (within the SQL the driver was given) of the failing statement, if known.
        statement: Option<Range<usize>>,
        /// Byte offset (within the SQL the driver was given) the server pointed at, if any.
        position: Option<usize>,
    },
    /// The migration lock could not be taken in time.
    #[error("timeout: can't acquire database lock after {waited:?}{}", holder.as_ref().map(|h| format!(" (held by {h})")).unwrap_or_default())]
    LockTimeout {
        /// How long we waited.
        waited: Duration,
        /// Who holds it, if the backend can tell.
        holder: Option<String>,
    },
    /// A transaction that was to apply or record a migration found the migration lock no longer
    /// held by the server session running it, and stopped before doing anything.
    #[error("the migration lock is not held by this session: a transaction-pooling proxy (PgBouncer pool_mode=transaction) or a migration that released it ({detail})")]
    LockLost {
        /// What the check saw (which server session, which lock).
        detail: String,
    },
    /// A transaction that was to apply or record a migration found that this runner's lease
    /// (`x-lock-strategy=lease`) had expired or been taken over, and stopped before committing
    /// anything: the runner was paused, cut off or too slow to renew it.
    #[error("lease lost: this runner no longer holds the migration lease ({detail}); nothing more was applied")]
    LeaseLost {
        /// What the check saw.
        detail: String,
    },
    /// Recording a migration as applied found it already recorded: another run applied it at
    /// the same time (the migration lock did not hold). Nothing was overwritten; the transaction
    /// recording it was rolled back.
    #[error("the ledger already records this migration as applied: another run applied it at the same time, so the migration lock did not hold; the second record was refused ({detail})")]
    AlreadyApplied {
        /// The database's words.
        detail: String,
    },
    /// A migration would recreate indexes that a failed `CREATE INDEX CONCURRENTLY` left
    /// INVALID; nothing ran.
    #[error("index {} exists but is INVALID (left by an earlier failed CREATE INDEX CONCURRENTLY); rerunning would fail with \"already exists\" (or, with IF NOT EXISTS, keep the broken index)", indexes.join(", "))]
    InvalidIndexes {
        /// The indexes, as the migration names them.
        indexes: Vec<String>,
    },
    /// The session to the server was lost (or stalled, and the driver closed it).
    #[error("{message}")]
    ConnectionLost {
        /// What was seen, one line.
        message: String,
        /// The client library's error, if there was one.
        #[source]
        cause: Option<Cause>,
    },
    /// The client library failed outside any statement (TLS or protocol errors mid-session, a
    /// thread that could not start).
    #[error("{message}")]
    Client {
        /// What failed, one line.
        message: String,
        /// The client library's error.
        #[source]
        cause: Option<Cause>,
    },
    /// The server answered something the driver cannot read (no row where one is due, a value
    /// of the wrong type).
    #[error("{0}")]
    Protocol(String),
    /// Reading or writing a file failed: a SQLite lock file, a data file a migration streams.
    #[error("{context}: {cause}")]
    Io {
        /// The file and what was being done with it.
        context: String,
        /// The operating system's error.
        #[source]
        cause: std::sync::Arc<std::io::Error>,
    },
    /// A file the driver reads is not what it must be (not UTF-8, a malformed COPY block).
    #[error("{0}")]
    BadFile(String),
    /// The tables Strata keeps hold a row it cannot read (a negative version, an unknown mode
    /// or action): edited by hand, or written by a newer Strata.
    #[error("{0}")]
    Ledger(String),
    /// A table with the name of one of Strata's tables has another layout (another tool's).
    #[error("{0}")]
    ForeignTable(String),
    /// `drop` found objects outside the schema depending on objects inside it (PostgreSQL
    /// `dependent_objects_still_exist`); nothing was dropped.
    #[error("cannot drop everything in schema \"{schema}\": {message}")]
    DropBlocked {
        /// The schema being emptied.
        schema: String,
        /// The server's message.
        message: String,
        /// The server's DETAIL (which objects depend on which).
        detail: Option<String>,
    },
    /// The driver could not make sure that a commit is durable, or learn what became of a
    /// lost session's transaction.
    #[error("{0}")]
    Durability(String),
    /// This backend cannot do this.
    #[error("this database driver cannot {what}")]
    Unsupported {
        /// What was asked, e.g. `rehearse migrations (PostgreSQL can)`.
        what: &'static str,
    },
    /// The connection was lost (the cause) before the server said whether a migration's
    /// transaction committed, and no other session could tell: it may have committed.
    #[error("{0}")]
    Unconfirmed(Box<DriverError>),
}

impl DriverError {
    /// The same error with its statement range and position moved `by` bytes: from a piece of
    /// SQL to the script it was cut from.
    pub fn shifted(mut self, by: usize) -> DriverError {
        if let DriverError::Statement {
            statement,
            position,
            ..
        } = &mut self
        {
            *statement = statement.take().map(|r| r.start + by..r.end + by);
            *position = position.map(|p| p + by);
        }
        self
    }

    /// A statement error placed on the statement at `statement` of the script (and at byte
    /// `position` of the script, when the server told one); other errors unchanged.
    pub fn in_statement(mut self, range: Range<usize>, at: Option<usize>) -> DriverError {
        if let DriverError::Statement {
            statement,
            position,
            ..
        } = &mut self
        {
            *statement = Some(range);
            *position = at;
        }
        self
    }

    /// What the user can do about this error, where the driver knows.
    pub fn fix(&self) -> Option<Fix> {
        match self {
            DriverError::Connect { fix, .. } => fix.clone(),
            DriverError::LockTimeout { holder, .. } => Some(Fix::WaitForLockHolder {
                holder: holder.clone(),
            }),
            DriverError::LockLost { .. } => Some(Fix::KeepLockSession),
            DriverError::LeaseLost { .. } => Some(Fix::LongerLease),
            DriverError::InvalidIndexes { indexes } => Some(Fix::DropInvalidIndexes {
                indexes: indexes.clone(),
            }),
            DriverError::DropBlocked { schema, .. } => Some(Fix::DropOutsideDependents {
                schema: schema.clone(),
            }),
            DriverError::Unconfirmed(inner) => inner.fix(),
            _ => None,
        }
    }

    /// An [`DriverError::Io`] on `context` (the file and what was being done with it).
    pub fn io(context: impl Into<String>, cause: std::io::Error) -> DriverError {
        DriverError::Io {
            context: context.into(),
            cause: std::sync::Arc::new(cause),
        }
    }

    /// A [`DriverError::Statement`] with only a message.
    pub fn statement(message: impl Into<String>) -> DriverError {
        DriverError::Statement {
            message: message.into(),
            code: None,
            detail: None,
            hint: None,
            statement: None,
            position: None,
        }
    }
}

/// The cause of a driver error, kept as the client library gave it (shared, so errors stay
/// cheap to clone into reports).
pub type Cause = Arc<dyn std::error::Error + Send + Sync>;

/// What the user can do about an error, as data: the library names the situation, the CLI (or
/// an embedding program) words it with its own flag and setting names.
///
/// Not `#[non_exhaustive]` on purpose: a new fix must fail to compile where it is worded, not
/// fall through to a generic text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fix {
    /// The password (or user name) was refused.
    CheckPassword {
        /// The user it was refused for.
        user: String,
    },
    /// The server's `pg_hba.conf` has no entry for this connection.
    CheckHostBasedAuth,
    /// The database does not exist.
    CreateDatabase {
        /// Its name.
        database: String,
    },
    /// The role lacks a privilege it needs to connect.
    GrantConnect {
        /// The database.
        database: String,
        /// The role.
        user: String,
    },
    /// The server has no free connection slots.
    WaitForConnectionSlot,
    /// The server is starting up or shutting down.
    WaitForServerStart,
    /// Nothing listens at the address (connection refused).
    StartServer,
    /// No server socket in the directory the URL names.
    StartServerOnSocket,
    /// TLS is required but the server does not offer it.
    EnableServerTls,
    /// The server certificate does not name the host connected to.
    CertificateName,
    /// The server certificate is not signed by the configured CA.
    CertificateIssuer,
    /// Some other TLS failure: check the TLS settings.
    CheckTls,
    /// The client's TLS files (root certificate, certificate, key) could not be used.
    CheckTlsFiles,
    /// TLS to a MySQL server failed: its URL's TLS parameters (`tls`, `x-tls-ca`, ...) are the
    /// settings to check.
    CheckMysqlTls,
    /// Connecting timed out.
    CheckNetwork,
    /// The server accepted the connection but did not finish start-up in time.
    RaiseConnectTimeout,
    /// The host name does not resolve.
    CheckHostName,
    /// A session setting from the URL was refused by the server.
    CheckUrlSettings,
    /// The search path names no existing schema.
    CreateSchema,
    /// The connection goes through a transaction-pooling proxy (or the lock was released by a
    /// migration): connect directly or through session pooling.
    UseSessionPooling,
    /// The migration lock was lost mid-run: the session goes through a transaction-pooling
    /// proxy, or a migration released it.
    KeepLockSession,
    /// The runner's lease expired before it was renewed: a longer lease (or a runner that is
    /// not paused or cut off) keeps it.
    LongerLease,
    /// Another run holds the migration lock: wait for it, or wait longer.
    WaitForLockHolder {
        /// Who holds it, if the backend can tell.
        holder: Option<String>,
    },
    /// INVALID indexes block a rerun: drop them first (or let Strata drop them).
    DropInvalidIndexes {
        /// The indexes.
        indexes: Vec<String>,
    },
    /// Objects outside the schema being emptied depend on objects inside it.
    DropOutsideDependents {
        /// The schema.
        schema: String,
    },
    /// The folder of a SQLite database file does not exist.
    CreateFolder,
    /// This build lacks a backend.
    RebuildWithFeature {
        /// The cargo feature.
        feature: &'static str,
    },
}
