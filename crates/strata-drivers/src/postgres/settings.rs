//! The settings a migration runs under: the URL's session settings and the script's
//! `lock_timeout` and `statement_timeout`, set per transaction, or for the session and restored.

use super::errors::db_error;
use super::{connect, PostgresDriver};
use crate::url::DatabaseUrl;
use strata_core::{DriverError, Script};

impl PostgresDriver<'_> {
    /// A script's timeouts: its directives', else the run's (`--ddl-lock-timeout`,
    /// `MIGRATION_TIMEOUT`, `x-statement-timeout`). Set with each migration, not only once for
    /// the session, so that a migration resetting the session (`RESET ALL`) does
    /// not lift them for the migrations after it.
    fn timeouts(&self, script: &Script) -> Timeouts {
        Timeouts {
            lock: script.lock_timeout.or(self.opts.lock_timeout),
            statement: script
                .statement_timeout
                .or(self.opts.statement_timeout)
                .or(self.url.statement_timeout()),
        }
    }

    /// What a migration's transaction sets first, after `BEGIN`: the URL's session settings
    /// (`?search_path=app`), then the script's timeouts ([`Self::timeouts`]), each for this
    /// transaction only. Set with each migration so that one resetting the session does not
    /// change where or how the later ones run.
    pub(super) fn transaction_settings(&self, script: &Script) -> String {
        let mut out = url_settings_sql(&self.url);
        if self.sessionless {
            out.push_str(&client_check_sql());
        }
        out.push_str(&set_local_sql(self.timeouts(script)));
        out
    }

    /// The URL's session settings, set again for the session (before a no-transaction
    /// migration: an earlier one may have reset them).
    fn reapply_url_settings(&mut self) -> Result<(), DriverError> {
        let settings: Vec<(String, String)> = self
            .url
            .session_settings()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        for (k, v) in &settings {
            self.client
                .query_one("SELECT set_config($1, $2, false)", &[k, v])
                .map_err(|e| db_error(&e))?;
        }
        Ok(())
    }

    /// Before a migration outside a transaction: the URL's settings again, then the script's
    /// timeouts for the session, keeping the values they replace for [`Self::restore_session`].
    pub(super) fn apply_script_settings(&mut self, script: &Script) -> Result<(), DriverError> {
        self.reapply_url_settings()?;
        let timeouts = self.timeouts(script);
        if timeouts == Timeouts::default() {
            return Ok(());
        }
        let row = self
            .client
            .query_one(
                "SELECT current_setting('lock_timeout'), current_setting('statement_timeout')",
                &[],
            )
            .map_err(|e| db_error(&e))?;
        self.saved_settings = Some((row.get(0), row.get(1)));
        self.client
            .allow_statement_timeout(script.statement_timeout);
        let set = set_local_sql(timeouts).replace("SET LOCAL", "SET");
        self.client.batch_execute(&set).map_err(|e| db_error(&e))
    }

    /// Without session state (`x-lock-strategy=lease`), a script outside a transaction has no
    /// way to carry settings: each of its statements may run on another server session, and a
    /// session `SET` would stay behind for another client there. Refused when it needs any,
    /// naming them, rather than run without them.
    pub(super) fn refuse_session_settings(&self, script: &Script) -> Result<(), DriverError> {
        let timeouts = self.timeouts(script);
        let mut needs: Vec<String> = self
            .url
            .session_settings()
            .iter()
            .map(|(k, _)| format!("{k} (database URL)"))
            .collect();
        if timeouts.lock.is_some() {
            needs.push("lock_timeout".into());
        }
        if timeouts.statement.is_some() {
            needs.push("statement_timeout".into());
        }
        if needs.is_empty() {
            return Ok(());
        }
        Err(DriverError::Connect {
            message: format!(
                "cannot run a migration outside a transaction with session settings ({}) under x-lock-strategy=lease: \
                 its statements may each run on another server session; drop the settings for this \
                 migration, run it in a transaction, or use x-lock-strategy=advisory on a direct connection",
                needs.join(", ")
            ),
            fix: None,
            cause: None,
        })
    }

    /// After a migration outside a transaction: the session's `lock_timeout` and
    /// `statement_timeout` as they were before [`Self::apply_script_settings`].
    pub(super) fn restore_session(&mut self) -> Result<(), DriverError> {
        let Some((lock, statement)) = self.saved_settings.take() else {
            return Ok(());
        };
        self.client
            .query(
                "SELECT set_config('lock_timeout', $1, false), set_config('statement_timeout', $2, false)",
                &[&lock, &statement],
            )
            .map(|_| ())
            .map_err(|e| db_error(&e))
    }
}

/// The URL's session settings (`?search_path=app`) for the transaction only: a `DO` block after
/// `BEGIN` (empty when there are none).
pub(super) fn url_settings_sql(url: &DatabaseUrl) -> String {
    let mut out = String::new();
    let settings = url.session_settings();
    if !settings.is_empty() {
        // A DO block returns no rows; names and values go hex-encoded, so that no text of
        // theirs can end the block.
        let text = |s: &str| {
            let hex: String = s.bytes().map(|b| format!("{b:02x}")).collect();
            format!("convert_from(decode('{hex}', 'hex'), 'UTF8')")
        };
        out.push_str(" DO $strata$BEGIN ");
        for (k, v) in settings {
            out.push_str(&format!(
                "PERFORM set_config({}, {}, true); ",
                text(k),
                text(v)
            ));
        }
        out.push_str("END$strata$;");
    }
    out
}

/// Without session settings (`x-lock-strategy=lease`), `client_connection_check_interval` for
/// the transaction (PostgreSQL 14+), as `connect::open` sets it for a session: a killed runner's
/// statement then ends within about a second rather than run on, holding its locks and, behind
/// a pooler, a server session.
fn client_check_sql() -> String {
    format!(
        " DO $strata$BEGIN IF current_setting('server_version_num')::int >= 140000 THEN \
         PERFORM set_config('client_connection_check_interval', '{}', true); END IF; END$strata$;",
        connect::CLIENT_CHECK_INTERVAL.as_millis()
    )
}

/// The `lock_timeout` and `statement_timeout` a script runs under.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Timeouts {
    /// `lock_timeout`, if any.
    pub lock: Option<std::time::Duration>,
    /// `statement_timeout`, if any.
    pub statement: Option<std::time::Duration>,
}

/// `SET LOCAL` statements (each after a `;`, on one line) for the timeouts a script runs under;
/// empty when there are none.
pub fn set_local_sql(timeouts: Timeouts) -> String {
    let mut out = String::new();
    if let Some(t) = timeouts.lock {
        out.push_str(&format!(" SET LOCAL lock_timeout = '{}ms';", t.as_millis()));
    }
    if let Some(t) = timeouts.statement {
        out.push_str(&format!(
            " SET LOCAL statement_timeout = '{}ms';",
            t.as_millis()
        ));
    }
    out
}
