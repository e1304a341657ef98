//! Rendering for people: per-migration lines, errors with source excerpts, the status table.
//! Data goes to stdout; progress, warnings and errors to stderr (the callers choose the stream).

use std::fmt::Write as _;
use std::time::Duration;
use strata_core::adopt::AdoptError;
use strata_core::error::NotRunnableReason;
use strata_core::plan::Conflict;
use strata_core::printable::{printable, printable_path};
use strata_core::report::StepReport;
use strata_core::status::{State, Status};
use strata_core::{Action, Aftermath, DriverError, Error, Fix, IgnoredFile, LogRecord};

/// A duration for people, the one format of every duration Strata prints (progress lines,
/// `status`, `history`, `rehearse`): Go's style, as golang-migrate's lines show it (`12.51ms`,
/// `1.2s`), with whole microseconds below 1 ms (`845µs`). Zero is `<1ms`: the durations the
/// database measures and the ledger keeps are whole milliseconds, so zero means "under 1 ms".
/// (JSON output keeps numbers.)
pub fn duration_text(d: Duration) -> String {
    let ns = d.as_nanos();
    let (value, unit) = if ns == 0 {
        return "<1ms".into();
    } else if ns < 1_000 {
        return "<1µs".into();
    } else if ns < 1_000_000 {
        return format!("{}µs", ns / 1_000);
    } else if ns < 1_000_000_000 {
        (ns as f64 / 1e6, "ms")
    } else {
        (ns as f64 / 1e9, "s")
    };
    let s = format!("{value:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}{unit}")
}

/// [`duration_text`] of a whole number of milliseconds (the ledger's and the log's).
pub fn millis_text(ms: i64) -> String {
    duration_text(Duration::from_millis(ms.max(0) as u64))
}

/// golang-migrate's per-migration line: `1/u create_users_table (12.51ms)`.
pub fn step_line(step: &StepReport) -> String {
    let name = if step.name.is_empty() {
        "<empty>".into()
    } else {
        printable(&step.name)
    };
    format!(
        "{}/{} {} ({})",
        step.version,
        step.direction.letter(),
        name,
        duration_text(step.duration)
    )
}

pub use crate::excerpt::excerpt;

/// Render an engine error for people. Returns the text after `error: `.
pub fn engine_error(err: &Error) -> String {
    match err {
        Error::Migration {
            version,
            name,
            direction,
            aftermath,
            location,
            cause,
            report,
            unconfirmed,
        } => {
            let mut out = format!(
                "migration failed: {version}/{} {}: {}\n",
                direction.letter(),
                printable(name),
                cause_message(cause)
            );
            if let Some(loc) = location {
                out.push_str(&excerpt(loc));
            }
            if let DriverError::Statement {
                code, detail, hint, ..
            } = cause
            {
                if let Some(code) = code {
                    let _ = writeln!(out, "  = code: {code}");
                }
                if let Some(detail) = detail {
                    let _ = writeln!(out, "  = detail: {detail}");
                }
                if let Some(hint) = hint {
                    let _ = writeln!(out, "  = hint: {hint}");
                }
            }
            if let (DriverError::InvalidIndexes { .. }, Some(fix)) = (cause, cause.fix()) {
                let _ = writeln!(out, "  = hint: {}", fix_text(&fix));
            }
            if !unconfirmed.is_empty() {
                let list: Vec<String> = unconfirmed.iter().map(|v| v.to_string()).collect();
                let _ = writeln!(
                    out,
                    "note: the connection was lost before the server said how it ended, and no new session could tell: \
                     migration(s) {} may have committed; `strata status` tells",
                    list.join(", ")
                );
            } else {
                let _ = writeln!(out, "note: {}", aftermath_note(*aftermath, *version));
            }
            if !report.steps.is_empty() {
                let done: Vec<String> =
                    report.steps.iter().map(|s| s.version.to_string()).collect();
                let _ = writeln!(
                    out,
                    "note: applied before the failure{}: {}",
                    if unconfirmed.is_empty() {
                        ""
                    } else {
                        " (confirmed)"
                    },
                    done.join(", ")
                );
            }
            out.trim_end().to_string()
        }
        Error::Conflicts { conflicts } => conflicts_text(conflicts),
        Error::Driver(cause) => cause_message(cause),
        Error::LimitShort { short, report } => format!(
            "limit {short} short ({} applied, then no more migrations)",
            report.steps.len()
        ),
        Error::Interrupted { report } => {
            let done: Vec<String> = report.steps.iter().map(|s| s.version.to_string()).collect();
            format!(
                "interrupted: stopped after {} migration(s){}; the database is consistent, run the command again to continue",
                done.len(),
                if done.is_empty() { String::new() } else { format!(" ({})", done.join(", ")) }
            )
        }
        Error::NotRunnable {
            reason: NotRunnableReason::StreamedOutsideTransaction { .. },
            ..
        } => format!("{err} (split the file, or move that statement into a file of its own)"),
        Error::NotInOneTransaction { .. } => {
            format!("--single-transaction: {err}; run without --single-transaction")
        }
        Error::SingleTransactionUnavailable => {
            "--single-transaction is not available for this database (PostgreSQL has it); run without it".into()
        }
        Error::ForceVersionOutOfRange { version } => {
            format!("argument V must be >= -1 (got {version})")
        }
        Error::Adopt(e) => adopt_error(e),
        other => other.to_string(),
    }
}

/// A refused `adopt`, with the flag or setting that gets past it.
fn adopt_error(e: &AdoptError) -> String {
    match e {
        AdoptError::NoTable {
            table_named: false, ..
        } => format!("{e}; name it with --table"),
        AdoptError::Layout { table, cause, .. } => format!("{table}: {cause}"),
        AdoptError::CompatTable { .. } => format!(
            "{e}; give Strata another table, e.g. add x-migrations-table=strata_migrations to the database URL"
        ),
        other => other.to_string(),
    }
}

/// What a failed migration left behind, in words (from what the runner observed).
fn aftermath_note(aftermath: Aftermath, version: u64) -> String {
    match aftermath {
        Aftermath::Dirty => format!(
            "this migration runs outside a transaction, so the database is left dirty at version {version}: \
             check what it changed, then run `force {version}` if it completed or `force <previous version>` if not"
        ),
        Aftermath::NotStarted => {
            "none of this migration's statements ran: the database is as it was before it (not dirty)"
                .to_string()
        }
        Aftermath::Applied => format!(
            "the migration itself completed and is recorded as applied (version {version}); what failed came after it"
        ),
        Aftermath::RolledBack => "the migration ran in a transaction and was rolled back: the database is as it was before it"
            .to_string(),
    }
}

/// A driver error for people: its message, then a `hint:` line wording its [`Fix`] (a refused
/// INVALID index's fix goes under the excerpt instead, with the server's fields).
fn cause_message(cause: &DriverError) -> String {
    let head = match cause {
        // golang-migrate's words, a readable wait (not `1.000763781s`) and the holder.
        DriverError::LockTimeout { waited, holder } => format!(
            "timeout: can't acquire database lock after {}{}",
            duration_text(*waited),
            holder
                .as_ref()
                .map(|h| format!(" (held by {h})"))
                .unwrap_or_default()
        ),
        other => other.to_string(),
    };
    match cause.fix() {
        Some(fix) if !matches!(cause, DriverError::InvalidIndexes { .. }) => {
            format!("{head}\nhint: {}", fix_text(&fix))
        }
        _ => head,
    }
}

/// What to do, in the CLI's words: its flag and setting names (`-lock-timeout`, `DATABASE_URL`,
/// `--drop-invalid-indexes`), which the library never names.
pub fn fix_text(fix: &Fix) -> String {
    match fix {
        Fix::CheckPassword { .. } => "check the user name and password in the database URL \
             (percent-encode reserved characters such as @ : / ? in the password)"
            .into(),
        Fix::CheckHostBasedAuth => "the server's pg_hba.conf has no entry for this host, user, database \
             and TLS setting; check sslmode and the server's pg_hba.conf"
            .into(),
        Fix::CreateDatabase { .. } => {
            "check the database name in the URL path, or create it (createdb)".into()
        }
        Fix::GrantConnect { database, user } => format!(
            "grant the role the privilege it needs, e.g. GRANT CONNECT ON DATABASE \"{}\" TO \"{}\"",
            printable(database),
            printable(user)
        ),
        Fix::WaitForConnectionSlot => {
            "the server has no free connection slots; retry later or raise max_connections".into()
        }
        Fix::WaitForServerStart => {
            "the server is starting up or shutting down; retry in a moment".into()
        }
        Fix::StartServer => "is PostgreSQL running and accepting TCP connections there? \
             check the host and port in the database URL"
            .into(),
        Fix::StartServerOnSocket => {
            "is PostgreSQL running, with its unix_socket_directories set to that directory?".into()
        }
        Fix::EnableServerTls => "sslmode (or DATABASE_SSL=true) requires TLS; enable ssl on the server \
             or use sslmode=prefer/disable"
            .into(),
        Fix::CertificateName => "sslmode=verify-full checks that the server certificate names the host \
             in the URL; connect by a name the certificate lists, or use sslmode=verify-ca"
            .into(),
        Fix::CertificateIssuer => {
            "the server certificate was not signed by the CA in sslrootcert; check sslrootcert".into()
        }
        Fix::CheckTls => "check sslmode, sslrootcert, sslcert and sslkey".into(),
        Fix::CheckTlsFiles => "check sslrootcert, sslcert and sslkey in the database URL".into(),
        Fix::CheckMysqlTls => "check tls and x-tls-ca (the CA that signed the server's certificate), x-tls-cert and x-tls-key in the database URL; tls=skip-verify encrypts without checking the certificate".into(),
        Fix::CheckNetwork => {
            "check the host and port, firewalls, and connect_timeout in the database URL".into()
        }
        Fix::RaiseConnectTimeout => "check that the host and port are PostgreSQL's (not a stalled proxy \
             or firewall); a slow server needs a larger connect_timeout=SECONDS in the database URL"
            .into(),
        Fix::CheckHostName => "check the host name in the database URL".into(),
        Fix::CheckUrlSettings => "check the query parameters of the database URL: unknown keys are \
             passed to the server as settings"
            .into(),
        Fix::CreateSchema => "create the schema, or fix search_path (in the database URL or the \
             role's settings)"
            .into(),
        Fix::UseSessionPooling => "use a direct connection to PostgreSQL or a session-pooled port \
             (PgBouncer pool_mode=session) in -database / DATABASE_URL, or lock with a lease \
             instead of a session lock: add x-lock-strategy=lease to the URL"
            .into(),
        Fix::KeepLockSession => "connect directly to PostgreSQL or through a session-pooled port \
             (PgBouncer pool_mode=session); a migration must not run DISCARD ALL or pg_advisory_unlock_all()"
            .into(),
        Fix::LongerLease => "the runner was paused, cut off or too slow to renew its lease before it \
             expired; rerun (the next run goes on where this one stopped), or raise x-lock-lease in the \
             database URL (default 30s)"
            .into(),
        Fix::WaitForLockHolder { .. } => "another migration run holds the lock; wait for it to finish, \
             or raise -lock-timeout (seconds, default 15)"
            .into(),
        Fix::DropInvalidIndexes { indexes } => {
            let drops: Vec<String> = indexes
                .iter()
                .map(|n| format!("DROP INDEX CONCURRENTLY {};", printable(n)))
                .collect();
            format!(
                "drop it first ({}) or rerun with --drop-invalid-indexes",
                drops.join(" ")
            )
        }
        Fix::DropOutsideDependents { schema } => format!(
            "objects outside schema \"{}\" depend on objects inside it; drop or change them first (nothing was dropped)",
            printable(schema)
        ),
        Fix::CreateFolder => "create the folder, or check the path in the database URL".into(),
        Fix::RebuildWithFeature { feature } => {
            format!("rebuild with the `{feature}` cargo feature")
        }
    }
}

/// Conflicts for people: one line each (a count first when several), then the hints. Names
/// read from the database are escaped (each conflict is one line).
pub fn conflicts_text(conflicts: &[Conflict]) -> String {
    let mut out = String::new();
    if conflicts.len() > 1 {
        let _ = writeln!(out, "{} problems, nothing was changed:", conflicts.len());
        for c in conflicts {
            let _ = writeln!(out, "  - {}", printable(&c.to_string()));
        }
    } else if let Some(c) = conflicts.first() {
        let _ = writeln!(out, "{}", printable(&c.to_string()));
    }
    let mut hints: Vec<String> = conflicts.iter().filter_map(hint).collect();
    hints.dedup();
    for h in hints {
        let _ = writeln!(out, "hint: {}", printable(&h));
    }
    out.trim_end().to_string()
}

/// What the user can do about a conflict: the library's hint, except where the way out is a
/// Strata command the library does not name.
pub fn hint(conflict: &Conflict) -> Option<String> {
    match conflict {
        Conflict::Edited { version, path, .. } => Some(format!(
            "restore {} as it was applied (e.g. from version control), or, if the edit is \
             intended, run `strata accept {version}` to record its new checksum",
            path.display()
        )),
        other => other.hint(),
    }
}

/// Files that look like migrations but match no layout, one `warning:` line each (for stderr).
pub fn warnings_text(warnings: &[IgnoredFile]) -> String {
    let mut out = String::new();
    for w in warnings {
        let _ = writeln!(
            out,
            "warning: {} is not read as a migration: {}",
            printable_path(&w.path),
            printable(&w.reason)
        );
    }
    out
}

/// The summary under the status table: what is not applied, then applied migrations whose files
/// changed, by state (`version 3; 0 not applied; 1 edited`).
pub fn status_summary(status: &Status) -> String {
    let version = match status.version {
        None => "nothing applied".to_string(),
        Some(v) if status.dirty => format!("version {v} (dirty)"),
        Some(v) => format!("version {v}"),
    };
    let mut out = format!("{version}; {} not applied", status.not_applied());
    let changed: Vec<String> = [
        State::Dirty,
        State::Edited,
        State::Missing,
        State::DownEdited,
        State::DownMissing,
    ]
    .into_iter()
    .map(|state| (status.count(state), state))
    .filter(|(n, _)| *n > 0)
    .map(|(n, state)| format!("{n} {}", state.as_str()))
    .collect();
    if !changed.is_empty() {
        let _ = write!(out, "; {}", changed.join(", "));
    }
    out
}

/// The status table.
pub fn status_table(status: &Status) -> String {
    let header = [
        "VERSION",
        "NAME",
        "STATE",
        "BATCH",
        "APPLIED AT",
        "DURATION",
        "BY",
    ];
    let rows: Vec<Vec<String>> = status
        .migrations
        .iter()
        .map(|r| {
            let mut state = r.state.as_str().to_string();
            if r.origin.is_some_and(|o| o != strata_core::Origin::Applied) {
                state = format!("{state} ({})", r.origin.unwrap().as_str());
            }
            vec![
                r.version.to_string(),
                printable(&r.name).into_owned(),
                state,
                r.batch.map(|b| b.to_string()).unwrap_or_default(),
                r.applied_at.clone().unwrap_or_default(),
                r.duration_ms.map(millis_text).unwrap_or_default(),
                printable(r.applied_by.as_deref().unwrap_or_default()).into_owned(),
            ]
        })
        .collect();
    let mut out = crate::table::table(&header, &rows);
    for f in &status.ignored {
        let _ = writeln!(
            out,
            "ignored: {} ({})",
            printable_path(&f.path),
            printable(&f.reason)
        );
    }
    let _ = writeln!(out, "{}", status_summary(status));
    if let Some(r) = &status.reached {
        let _ = writeln!(out, "dirty: {}", printable(&r.to_string()));
        if let Some(line) = resume_hint(r) {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

/// How to go on from where an interrupted up stopped, when its record allows `--resume`.
fn resume_hint(r: &strata_core::Reached) -> Option<String> {
    (r.prefix.is_some() && r.direction == strata_core::Direction::Up).then(|| {
        let k = r.statement;
        let ran = match k {
            0 | 1 => String::new(),
            2 => "statement 1 completed; ".into(),
            _ => format!("statements 1 to {} completed; ", k - 1),
        };
        format!(
            "hint: {ran}once statement {k} is fixed, `strata up --resume` runs statements {k} to {}",
            r.total
        )
    })
}

/// The history table, newest first as given.
pub fn history_table(records: &[LogRecord]) -> String {
    let header = [
        "ID", "AT", "ACTION", "VERSION", "NAME", "BATCH", "DURATION", "BY", "DETAIL",
    ];
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            let e = &r.entry;
            vec![
                r.id.to_string(),
                r.at.clone(),
                e.action.as_str().to_string(),
                e.version.map(|v| v.to_string()).unwrap_or_default(),
                printable(&e.name).into_owned(),
                e.batch.map(|b| b.to_string()).unwrap_or_default(),
                match e.action {
                    Action::Up | Action::Down | Action::Rollback | Action::Fail => {
                        millis_text(e.duration_ms)
                    }
                    _ => String::new(),
                },
                printable(&e.actor).into_owned(),
                printable(&e.detail.split_whitespace().collect::<Vec<_>>().join(" ")).into_owned(),
            ]
        })
        .collect();
    let mut out = crate::table::table(&header, &rows);
    if records.is_empty() {
        out.push_str("(no actions recorded)\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_have_one_format_with_microseconds_below_a_millisecond() {
        assert_eq!(duration_text(Duration::ZERO), "<1ms");
        assert_eq!(duration_text(Duration::from_nanos(500)), "<1µs");
        assert_eq!(duration_text(Duration::from_nanos(845_200)), "845µs");
        assert_eq!(duration_text(Duration::from_micros(12_510)), "12.51ms");
        assert_eq!(duration_text(Duration::from_millis(1200)), "1.2s");
        // The ledger's whole milliseconds read the same as a measured duration.
        assert_eq!(millis_text(0), "<1ms");
        assert_eq!(millis_text(7), "7ms");
        assert_eq!(millis_text(1234), "1.23s");
        assert_eq!(millis_text(-1), "<1ms");
    }

    fn failed_after(done: &[u64], unconfirmed: Vec<u64>) -> Error {
        let step = |version| strata_core::StepReport {
            version,
            name: format!("m{version}"),
            direction: strata_core::Direction::Up,
            mode: Some(strata_core::TxMode::Transaction),
            duration: Duration::ZERO,
        };
        Error::Migration {
            version: 3,
            name: "m3".into(),
            direction: strata_core::Direction::Up,
            aftermath: strata_core::Aftermath::RolledBack,
            location: None,
            cause: DriverError::ConnectionLost {
                message: "the connection to the server was lost".into(),
                cause: None,
            },
            report: strata_core::Report {
                steps: done.iter().map(|v| step(*v)).collect(),
                reconciled: 0,
            },
            unconfirmed,
        }
    }

    #[test]
    fn refusals_are_worded_with_the_cli_flags_that_get_past_them() {
        use strata_core::adopt::{LayoutError, Tool};
        assert_eq!(
            engine_error(&Error::SingleTransactionUnavailable),
            "--single-transaction is not available for this database (PostgreSQL has it); run without it"
        );
        assert_eq!(
            engine_error(&Error::ForceVersionOutOfRange { version: -2 }),
            "argument V must be >= -1 (got -2)"
        );
        let refused = Error::NotInOneTransaction {
            version: 2,
            direction: strata_core::Direction::Up,
            name: "idx".into(),
            reason: strata_core::OneTransactionBlocker::NoScript,
        };
        assert_eq!(
            engine_error(&refused),
            "--single-transaction: migration 2/u idx cannot run inside the one transaction: \
             it has no script in this direction; run without --single-transaction"
        );
        let no_table = |table_named| {
            engine_error(&Error::Adopt(AdoptError::NoTable {
                tool: Tool::Goose,
                tables: vec!["goose_db_version".into()],
                table_named,
            }))
        };
        assert_eq!(
            no_table(false),
            "no table goose_db_version (goose's tracking table) in the database; name it with --table"
        );
        assert_eq!(
            no_table(true),
            "no table goose_db_version (goose's tracking table) in the database"
        );
        let layout = Error::Adopt(AdoptError::Layout {
            table: "schema_migrations".into(),
            tool: Tool::Dbmate,
            cause: LayoutError::GolangMigrateTable,
        });
        assert!(
            engine_error(&layout).starts_with("schema_migrations: this is golang-migrate's table")
        );
    }

    #[test]
    fn an_unknown_outcome_is_never_called_a_rollback() {
        let text = engine_error(&failed_after(&[1, 2], vec![3, 4]));
        assert!(!text.contains("rolled back"), "{text}");
        assert!(
            text.contains("migration(s) 3, 4 may have committed; `strata status` tells"),
            "{text}"
        );
        assert!(
            text.contains("applied before the failure (confirmed): 1, 2"),
            "{text}"
        );
        let known = engine_error(&failed_after(&[1, 2], Vec::new()));
        assert!(known.contains("was rolled back"), "{known}");
        assert!(!known.contains("may have committed"), "{known}");
    }

    #[test]
    fn history_table_aligns_columns_and_flattens_multiline_details() {
        let record = |id, action, detail: &str| LogRecord {
            id,
            at: "2026-01-02T03:04:05.678Z".into(),
            entry: strata_core::LogEntry {
                action,
                version: Some(2),
                name: "create_b".into(),
                batch: Some(1),
                checksum: None,
                duration_ms: 0,
                actor: "me@host".into(),
                detail: detail.into(),
            },
        };
        let text = history_table(&[
            record(12, Action::Rollback, "rollback of batch 1; transaction"),
            record(3, Action::Fail, "line one\n  line two"),
        ]);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("ID  AT  "), "{text}");
        assert!(
            lines[1].starts_with("12  2026-01-02T03:04:05.678Z  rollback  2"),
            "{text}"
        );
        assert!(lines[2].ends_with("line one line two"), "{text}");
        assert_eq!(
            history_table(&[]).lines().last(),
            Some("(no actions recorded)")
        );
    }

    #[test]
    fn every_fix_has_its_words_with_the_cli_flag_names() {
        let cases: Vec<(Fix, &str)> = vec![
            (
                Fix::CheckPassword { user: "bob".into() },
                "check the user name and password in the database URL (percent-encode reserved characters such as @ : / ? in the password)",
            ),
            (
                Fix::CheckHostBasedAuth,
                "the server's pg_hba.conf has no entry for this host, user, database and TLS setting; check sslmode and the server's pg_hba.conf",
            ),
            (
                Fix::CreateDatabase { database: "app".into() },
                "check the database name in the URL path, or create it (createdb)",
            ),
            (
                Fix::GrantConnect { database: "app".into(), user: "bob".into() },
                "grant the role the privilege it needs, e.g. GRANT CONNECT ON DATABASE \"app\" TO \"bob\"",
            ),
            (
                Fix::WaitForConnectionSlot,
                "the server has no free connection slots; retry later or raise max_connections",
            ),
            (
                Fix::WaitForServerStart,
                "the server is starting up or shutting down; retry in a moment",
            ),
            (
                Fix::StartServer,
                "is PostgreSQL running and accepting TCP connections there? check the host and port in the database URL",
            ),
            (
                Fix::StartServerOnSocket,
                "is PostgreSQL running, with its unix_socket_directories set to that directory?",
            ),
            (
                Fix::EnableServerTls,
                "sslmode (or DATABASE_SSL=true) requires TLS; enable ssl on the server or use sslmode=prefer/disable",
            ),
            (
                Fix::CertificateName,
                "sslmode=verify-full checks that the server certificate names the host in the URL; connect by a name the certificate lists, or use sslmode=verify-ca",
            ),
            (
                Fix::CertificateIssuer,
                "the server certificate was not signed by the CA in sslrootcert; check sslrootcert",
            ),
            (Fix::CheckTls, "check sslmode, sslrootcert, sslcert and sslkey"),
            (
                Fix::CheckMysqlTls,
                "check tls and x-tls-ca (the CA that signed the server's certificate), x-tls-cert and x-tls-key in the database URL; tls=skip-verify encrypts without checking the certificate",
            ),
            (
                Fix::CheckTlsFiles,
                "check sslrootcert, sslcert and sslkey in the database URL",
            ),
            (
                Fix::CheckNetwork,
                "check the host and port, firewalls, and connect_timeout in the database URL",
            ),
            (
                Fix::RaiseConnectTimeout,
                "check that the host and port are PostgreSQL's (not a stalled proxy or firewall); a slow server needs a larger connect_timeout=SECONDS in the database URL",
            ),
            (Fix::CheckHostName, "check the host name in the database URL"),
            (
                Fix::CheckUrlSettings,
                "check the query parameters of the database URL: unknown keys are passed to the server as settings",
            ),
            (
                Fix::CreateSchema,
                "create the schema, or fix search_path (in the database URL or the role's settings)",
            ),
            (
                Fix::UseSessionPooling,
                "use a direct connection to PostgreSQL or a session-pooled port (PgBouncer pool_mode=session) in -database / DATABASE_URL, or lock with a lease instead of a session lock: add x-lock-strategy=lease to the URL",
            ),
            (
                Fix::KeepLockSession,
                "connect directly to PostgreSQL or through a session-pooled port (PgBouncer pool_mode=session); a migration must not run DISCARD ALL or pg_advisory_unlock_all()",
            ),
            (
                Fix::LongerLease,
                "the runner was paused, cut off or too slow to renew its lease before it expired; rerun (the next run goes on where this one stopped), or raise x-lock-lease in the database URL (default 30s)",
            ),
            (
                Fix::WaitForLockHolder { holder: Some("pid 7".into()) },
                "another migration run holds the lock; wait for it to finish, or raise -lock-timeout (seconds, default 15)",
            ),
            (
                Fix::DropInvalidIndexes { indexes: vec!["a_i".into(), "s.b_i".into()] },
                "drop it first (DROP INDEX CONCURRENTLY a_i; DROP INDEX CONCURRENTLY s.b_i;) or rerun with --drop-invalid-indexes",
            ),
            (
                Fix::DropOutsideDependents {
                    schema: "public".into(),
                },
                "objects outside schema \"public\" depend on objects inside it; drop or change them first (nothing was dropped)",
            ),
            (
                Fix::CreateFolder,
                "create the folder, or check the path in the database URL",
            ),
            (
                Fix::RebuildWithFeature { feature: "sqlite" },
                "rebuild with the `sqlite` cargo feature",
            ),
        ];
        for (fix, words) in cases {
            assert_eq!(fix_text(&fix), words, "{fix:?}");
        }
    }

    #[test]
    fn a_driver_error_with_a_fix_gets_one_hint_line_and_one_without_gets_none() {
        let timeout = engine_error(&Error::Driver(DriverError::LockTimeout {
            waited: Duration::from_millis(1500),
            holder: Some("pid 7".into()),
        }));
        assert_eq!(
            timeout,
            "timeout: can't acquire database lock after 1.5s (held by pid 7)\n\
             hint: another migration run holds the lock; wait for it to finish, or raise -lock-timeout (seconds, default 15)"
        );
        let refused = engine_error(&Error::Driver(DriverError::Connect {
            message: "cannot connect to h:1 as user \"bob\" (sslmode=disable): connection refused"
                .into(),
            fix: Some(Fix::StartServer),
            cause: None,
        }));
        assert_eq!(refused.lines().count(), 2, "{refused}");
        assert!(refused.ends_with("hint: is PostgreSQL running and accepting TCP connections there? check the host and port in the database URL"));
        let plain = engine_error(&Error::Driver(DriverError::Protocol(
            "the server answered no row".into(),
        )));
        assert_eq!(plain, "the server answered no row");
    }

    #[test]
    fn a_refused_invalid_index_names_the_flag_under_the_migration_error() {
        let text = engine_error(&Error::Migration {
            version: 2,
            name: "idx".into(),
            direction: strata_core::Direction::Up,
            aftermath: strata_core::Aftermath::NotStarted,
            location: None,
            cause: DriverError::InvalidIndexes {
                indexes: vec!["users_email".into()],
            },
            report: strata_core::Report::default(),
            unconfirmed: Vec::new(),
        });
        assert!(
            text.starts_with("migration failed: 2/u idx: index users_email exists but is INVALID"),
            "{text}"
        );
        assert!(
            text.contains("\n  = hint: drop it first (DROP INDEX CONCURRENTLY users_email;) or rerun with --drop-invalid-indexes\n"),
            "{text}"
        );
    }
}
