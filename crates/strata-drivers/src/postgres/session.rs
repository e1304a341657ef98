//! The driver's session: a `postgres::Client` that counts round trips.
//!
//! Issue 5 asks for a count tests can assert ("1,000 migrations, at most K round trips"), not a
//! time. Every call the driver makes goes through the counting methods below, which shadow the
//! client's own (method resolution finds them before `Deref`): a simple-query message
//! (`batch_execute`, `simple_query`) is one round trip; a query with parameters is two, because
//! the client first prepares the unnamed statement (Parse/Describe/Sync) and then binds and
//! executes it (Bind/Execute/Sync). Not counted: connection start-up (TLS, authentication and
//! the session settings `connect::open` applies) and cancel requests.

use super::deadline::Watchdog;
use postgres::types::ToSql;
use postgres::{Client, CopyInWriter, Error, Row, SimpleQueryMessage, ToStatement};
use std::ops::{Deref, DerefMut};

/// The session's client: opened by the driver, or the application's own, borrowed for a run.
enum Conn<'c> {
    // Boxed: a client is ~300 bytes, a borrowed one a pointer.
    Owned(Box<Client>),
    Borrowed(&'c mut Client),
}

impl Deref for Conn<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        match self {
            Conn::Owned(c) => c,
            Conn::Borrowed(c) => c,
        }
    }
}

impl DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        match self {
            Conn::Owned(c) => c,
            Conn::Borrowed(c) => c,
        }
    }
}

/// A client plus its round-trip count.
pub struct Session<'c> {
    client: Conn<'c>,
    round_trips: u64,
    /// Bounds each call's wait for the server when a statement timeout is set.
    watchdog: Option<Watchdog>,
}

impl Session<'static> {
    /// Wrap a connected client.
    pub fn new(client: Client) -> Session<'static> {
        Session::watched(client, None)
    }

    /// Wrap a connected client whose calls `watchdog` bounds.
    pub fn watched(client: Client, watchdog: Option<Watchdog>) -> Session<'static> {
        Session {
            client: Conn::Owned(Box::new(client)),
            round_trips: 0,
            watchdog,
        }
    }
}

impl<'c> Session<'c> {
    /// The application's own client, for as long as it lends it.
    pub fn borrowed(client: &'c mut Client) -> Session<'c> {
        Session {
            client: Conn::Borrowed(client),
            round_trips: 0,
            watchdog: None,
        }
    }

    /// Whether the client is the application's own (see [`Session::borrowed`]).
    pub fn is_borrowed(&self) -> bool {
        matches!(self.client, Conn::Borrowed(_))
    }

    /// A script's own `statement_timeout` directive: calls may wait that long (plus a grace).
    pub fn allow_statement_timeout(&self, timeout: Option<std::time::Duration>) {
        if let (Some(dog), Some(t)) = (&self.watchdog, timeout) {
            dog.allow(t);
        }
    }

    /// Run one call under the watchdog; when it cut the call, the error conversion on this
    /// thread is told why ([`super::errors::note_stall`]).
    fn guarded<T>(
        &mut self,
        call: impl FnOnce(&mut Client) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let Some(dog) = &self.watchdog else {
            return call(&mut self.client);
        };
        dog.arm();
        let out = call(&mut self.client);
        if let Some(limit) = dog.disarm() {
            if out.is_err() {
                super::errors::note_stall(limit);
            }
        }
        out
    }

    /// The client itself, for tests: calls through it are not counted.
    pub fn client_mut(&mut self) -> &mut Client {
        &mut self.client
    }

    /// Round trips made so far.
    pub fn round_trips(&self) -> u64 {
        self.round_trips
    }

    /// One simple-query message, results discarded: one round trip.
    pub fn batch_execute(&mut self, query: &str) -> Result<(), Error> {
        self.round_trips += 1;
        self.guarded(|c| c.batch_execute(query))
    }

    /// One simple-query message, rows returned as text: one round trip.
    pub fn simple_query(&mut self, query: &str) -> Result<Vec<SimpleQueryMessage>, Error> {
        self.round_trips += 1;
        self.guarded(|c| c.simple_query(query))
    }

    /// A statement with parameters: two round trips (prepare, then execute).
    pub fn execute<T: ?Sized + ToStatement>(
        &mut self,
        query: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, Error> {
        self.round_trips += 2;
        self.guarded(|c| c.execute(query, params))
    }

    /// A query with parameters: two round trips.
    pub fn query<T: ?Sized + ToStatement>(
        &mut self,
        query: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, Error> {
        self.round_trips += 2;
        self.guarded(|c| c.query(query, params))
    }

    /// A query returning exactly one row: two round trips.
    pub fn query_one<T: ?Sized + ToStatement>(
        &mut self,
        query: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, Error> {
        self.round_trips += 2;
        self.guarded(|c| c.query_one(query, params))
    }

    /// A query returning at most one row: two round trips.
    pub fn query_opt<T: ?Sized + ToStatement>(
        &mut self,
        query: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, Error> {
        self.round_trips += 2;
        self.guarded(|c| c.query_opt(query, params))
    }

    /// `COPY ... FROM STDIN`: prepare, then the copy itself (its data streams without waiting).
    pub fn copy_in<T: ?Sized + ToStatement>(
        &mut self,
        query: &T,
    ) -> Result<CopyInWriter<'_>, Error> {
        self.round_trips += 2;
        self.client.copy_in(query)
    }
}

impl Deref for Session<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}
