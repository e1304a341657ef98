//! `plan [up [N] | down [N] | goto V | rollback [N] | redo]`: what the command would run, from
//! the same `Plan` value the run uses, with each statement's table lock and, on PostgreSQL, the
//! live size, row estimate and current users of each table; on MySQL/MariaDB, each statement's
//! online DDL behaviour (algorithm, lock, rebuild) instead of PostgreSQL's lock levels. Changes
//! nothing (no lock, no table creation).

use super::online_ddl::{OnlineDdlPlanner, OnlineDdlView};
use super::{migrator, open_read_only_with_source};
use crate::args::OutputFormat;
use crate::settings::Settings;
use crate::CliError;
use serde::Serialize;
use std::fmt::Write as _;
use strata_core::migration::TxMode;
use strata_core::plan::Request;
use strata_core::printable::printable;
use strata_core::Direction;
use strata_drivers::postgres::TableInfo;

/// One statement of a planned migration.
#[derive(Debug, Serialize)]
struct PlannedStatement {
    /// 1-based line in the file.
    line: usize,
    /// The statement's first line.
    text: String,
    /// The table it works on (and locks), as written; for `DROP INDEX`, the index's table as
    /// the plan or the catalog tells (`None`: unknown).
    table: Option<String>,
    /// The index it names (`DROP INDEX`), as written.
    index: Option<String>,
    /// The further tables (or indexes) it names in the same list (`DROP INDEX a, b`), each
    /// taking the same lock.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    more: Vec<LockTarget>,
    /// What it is (`ALTER TABLE`, `CREATE INDEX CONCURRENTLY`, ...).
    verb: Option<&'static str>,
    /// The table lock it takes.
    lock: Option<&'static str>,
    blocks_reads: bool,
    blocks_writes: bool,
    /// MySQL/MariaDB: how the statement runs online (PostgreSQL's `lock` is then empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    online_ddl: Option<OnlineDdlView>,
}

/// A further table (or index) a statement locks, as [`PlannedStatement`] has the first.
#[derive(Debug, Serialize)]
struct LockTarget {
    table: Option<String>,
    index: Option<String>,
}

/// One planned migration.
#[derive(Debug, Serialize)]
struct PlannedStep {
    version: u64,
    name: String,
    direction: Direction,
    mode: Option<&'static str>,
    mode_reason: Option<String>,
    path: Option<String>,
    statements: Vec<PlannedStatement>,
}

/// Parse the words after `plan`.
pub fn request(args: &[String]) -> Result<Request, CliError> {
    let n = |i: usize| -> Result<Option<u64>, CliError> {
        args.get(i)
            .map(|s| {
                s.parse::<u64>()
                    .map_err(|_| CliError::Usage(format!("plan: {s:?} is not a number")))
            })
            .transpose()
    };
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let max = match words.first().copied() {
        None | Some("up") | Some("down") | Some("rollback") | Some("goto") => 2,
        _ => 1,
    };
    if words.len() > max {
        return Err(CliError::Usage("plan: too many arguments".into()));
    }
    Ok(match words.first().copied() {
        None | Some("up") => Request::Up(n(1)?),
        Some("down") => Request::Down(n(1)?),
        Some("goto") => Request::Goto(
            n(1)?.ok_or_else(|| CliError::Usage("plan goto: please specify version V".into()))?,
        ),
        Some("rollback") => Request::Rollback {
            batches: n(1)?.unwrap_or(1),
        },
        Some("redo") => Request::Redo,
        Some(other) => {
            return Err(CliError::Usage(format!(
                "plan: unknown command {other:?} (expected up [N], down [N], goto V, rollback [N] or redo)"
            )))
        }
    })
}

/// `plan ...`.
pub fn plan(settings: &Settings, args: &[String], format: OutputFormat) -> Result<(), CliError> {
    let request = request(args)?;
    let (mut target, source) = open_read_only_with_source(settings)?;
    let dialect = target.driver.dialect();
    let plan = migrator(&mut target, &source, settings).plan(request)?;
    let mut steps = Vec::new();
    let mut tables: Vec<String> = Vec::new();
    // Indexes built earlier in the plan and their tables: a later `DROP INDEX` locks that table,
    // which the catalog cannot tell yet.
    let mut built: Vec<(String, String)> = Vec::new();
    let mysql = dialect == strata_sql::Dialect::Mysql;
    // The server's version decides what its online DDL does (INSTANT came in later releases).
    let server = target
        .driver
        .mysql()
        .and_then(|m| strata_sql::Server::parse(m.server_version()));
    let mut online = OnlineDdlPlanner::new(server);
    for step in &plan.steps {
        let script = source
            .get(step.version)
            .and_then(|m| m.script(step.direction));
        let mut statements = Vec::new();
        // A streamed script (too large to hold in memory) lists no statements.
        if let Some(script) = script.filter(|s| s.streamed.is_none()) {
            // A COPY's data is not SQL: its statement is classified without it.
            for range in script.statement_spans(dialect).into_iter().map(|s| s.sql) {
                let text = &script.sql[range.clone()];
                let trimmed = skip_trivia(text, dialect);
                if trimmed.is_empty() {
                    continue;
                }
                let start = range.start + (text.len() - trimmed.len());
                let line = script.first_line + strata_sql::line_col(&script.sql, start).line - 1;
                // PostgreSQL's lock levels mean nothing on MySQL: its online DDL says instead.
                let lock = (!mysql)
                    .then(|| strata_sql::table_lock(trimmed, dialect))
                    .flatten();
                let online_ddl = mysql.then(|| online.next(trimmed)).flatten();
                let mut targets = Vec::new();
                if let Some(l) = &lock {
                    for name in std::iter::once(&l.table).chain(&l.more) {
                        targets.push(if l.index {
                            LockTarget {
                                table: index_table(&mut target.driver, &built, name)?,
                                index: Some(name.clone()),
                            }
                        } else {
                            LockTarget {
                                table: Some(name.clone()),
                                index: None,
                            }
                        });
                    }
                }
                for t in targets.iter().filter_map(|t| t.table.as_ref()) {
                    if !tables.contains(t) {
                        tables.push(t.clone());
                    }
                }
                let mut targets = targets.into_iter();
                let (table, index) = targets.next().map_or_else(
                    || (online_ddl.as_ref().map(|o| o.table.clone()), None),
                    |t| (t.table, t.index),
                );
                built.extend(strata_sql::created_index(trimmed, dialect));
                statements.push(PlannedStatement {
                    line,
                    text: trimmed.lines().next().unwrap_or("").trim_end().to_string(),
                    table,
                    index,
                    more: targets.collect(),
                    verb: lock.as_ref().map(|l| l.verb),
                    lock: lock.as_ref().map(|l| l.lock.as_str()),
                    blocks_reads: lock.as_ref().is_some_and(|l| l.lock.blocks_reads())
                        || online_ddl.as_ref().and_then(|o| o.blocks_reads) == Some(true),
                    blocks_writes: lock.as_ref().is_some_and(|l| l.lock.blocks_writes())
                        || online_ddl.as_ref().and_then(|o| o.blocks_writes) == Some(true),
                    online_ddl,
                });
            }
        }
        // What the run does: DDL commits by itself on MySQL, so a transactional file runs
        // statement by statement there, each recorded (as the executor decides).
        let (mode, mode_reason) = match step.mode {
            Some(TxMode::Transaction) if mysql => (
                Some(TxMode::NoTransaction),
                Some("DDL commits by itself on MySQL/MariaDB: runs statement by statement, each recorded".to_string()),
            ),
            mode => (
                mode,
                script.and_then(|s| s.run_mode_reason(target.url.multi_statement())),
            ),
        };
        steps.push(PlannedStep {
            version: step.version,
            name: step.name.clone(),
            direction: step.direction,
            mode: mode.map(|m| m.as_str()),
            mode_reason,
            path: script.map(|s| s.path.display().to_string()),
            statements,
        });
    }
    // Sizes and sessions come from PostgreSQL's catalog; other backends show no live columns.
    let infos = match target.driver.postgres() {
        Some(pg) => pg.inspect_tables(&tables)?,
        None => Vec::new(),
    };
    match format {
        OutputFormat::Json => {
            let value = serde_json::json!({
                "schema_version": 1,
                "request": plan.request,
                "steps": steps,
                "tables": infos,
            });
            outln!(
                "{}",
                serde_json::to_string_pretty(&value).expect("plan serialises")
            );
        }
        OutputFormat::Text => out!("{}", text(&steps, &infos)),
    }
    if steps.is_empty() {
        errln!("no change");
    }
    Ok(())
}

/// The table of index `index`: from a `CREATE INDEX` earlier in the plan (the newest one), else
/// from the catalog.
fn index_table(
    driver: &mut strata_drivers::Connection,
    built: &[(String, String)],
    index: &str,
) -> Result<Option<String>, CliError> {
    let key = strata_sql::fold_name(index);
    if let Some((_, table)) = built
        .iter()
        .rev()
        .find(|(i, _)| strata_sql::fold_name(i) == key)
    {
        return Ok(Some(table.clone()));
    }
    Ok(driver.index_table(index)?)
}

/// The statement text after leading whitespace and comments.
fn skip_trivia(text: &str, dialect: strata_sql::Dialect) -> &str {
    let mut offset = 0;
    for t in strata_sql::tokenize(text, dialect) {
        if !t.is_trivia() {
            break;
        }
        offset += t.len;
    }
    &text[offset..]
}

fn text(steps: &[PlannedStep], infos: &[TableInfo]) -> String {
    let mut out = String::new();
    for s in steps {
        let name = if s.name.is_empty() {
            "<empty>".into()
        } else {
            printable(&s.name)
        };
        let mode = match (s.mode, &s.mode_reason) {
            (Some(m), Some(why)) => format!("{m}: {}", printable(why)),
            (Some(m), None) => m.to_string(),
            (None, _) => "nothing to run".to_string(),
        };
        let _ = writeln!(
            out,
            "{}/{} {name} ({mode})",
            s.version,
            s.direction.letter()
        );
        if let Some(path) = &s.path {
            let _ = writeln!(out, "  file: {}", printable(path));
        }
        for st in &s.statements {
            let _ = writeln!(out, "  {:>4} | {}", st.line, printable(&st.text));
            for line in st.online_ddl.iter().flat_map(super::online_ddl::text) {
                let _ = writeln!(out, "{line}");
            }
            let Some(lock) = st.lock else {
                continue;
            };
            let effect = if st.blocks_reads {
                "blocks reads and writes"
            } else if st.blocks_writes {
                "blocks writes"
            } else {
                "reads and writes go on"
            };
            let first = (&st.table, &st.index);
            let more = st.more.iter().map(|t| (&t.table, &t.index));
            for (table, index) in std::iter::once(first).chain(more) {
                if let Some(line) = lock_line(lock, effect, table, index, infos) {
                    let _ = writeln!(out, "{line}");
                }
            }
        }
    }
    out
}

/// `lock: LEVEL on TABLE (effect); live facts` for one table a statement locks.
fn lock_line(
    lock: &str,
    effect: &str,
    table: &Option<String>,
    index: &Option<String>,
    infos: &[TableInfo],
) -> Option<String> {
    let on = match (
        table.as_deref().map(printable),
        index.as_deref().map(printable),
    ) {
        (Some(table), Some(index)) => format!("{table}, the table of index {index}"),
        (Some(table), None) => table.into_owned(),
        (None, Some(index)) => format!("the table of index {index}"),
        (None, None) => return None,
    };
    let mut line = format!("       lock: {lock} on {on} ({effect})");
    match (table, index) {
        (Some(table), _) => {
            if let Some(info) = infos.iter().find(|i| &i.name == table) {
                line.push_str(&format!("; {}", live(info)));
            }
        }
        (None, Some(index)) => {
            line.push_str(&format!("; index {} does not exist yet", printable(index)));
        }
        (None, None) => {}
    }
    Some(line)
}

/// Size, rows and users of a table, for people.
fn live(info: &TableInfo) -> String {
    if !info.exists {
        return "table does not exist yet".into();
    }
    let mut parts = vec![format!(
        "size {}",
        info.size_bytes
            .map(human_bytes)
            .unwrap_or_else(|| "?".into())
    )];
    parts.push(match info.row_estimate {
        Some(r) => format!("~{r} rows"),
        None => "rows unknown (never analysed)".into(),
    });
    if info.sessions.is_empty() {
        parts.push("no other session using it".into());
    } else {
        let users: Vec<String> = info
            .sessions
            .iter()
            .map(|s| {
                format!(
                    "pid {} {}{}, {} {}",
                    s.pid,
                    if s.application_name.is_empty() {
                        "-".into()
                    } else {
                        printable(&s.application_name)
                    },
                    if s.state.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", printable(&s.state))
                    },
                    s.mode,
                    if s.granted { "held" } else { "waiting" }
                )
            })
            .collect();
        parts.push(format!("in use by: {}", users.join("; ")));
    }
    parts.join(", ")
}

fn human_bytes(b: i64) -> String {
    const UNITS: [&str; 5] = ["bytes", "kB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{b} bytes")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn request_words_map_to_the_run_requests() {
        assert_eq!(request(&[]).unwrap(), Request::Up(None));
        assert_eq!(request(&words(&["up", "2"])).unwrap(), Request::Up(Some(2)));
        assert_eq!(
            request(&words(&["down", "1"])).unwrap(),
            Request::Down(Some(1))
        );
        assert_eq!(request(&words(&["goto", "3"])).unwrap(), Request::Goto(3));
        assert_eq!(
            request(&words(&["rollback"])).unwrap(),
            Request::Rollback { batches: 1 }
        );
        assert!(request(&words(&["goto"])).is_err());
        assert!(request(&words(&["sideways"])).is_err());
        assert!(request(&words(&["up", "x"])).is_err());
    }

    #[test]
    fn sizes_for_people() {
        assert_eq!(human_bytes(8192), "8.0 kB");
        assert_eq!(human_bytes(12), "12 bytes");
        assert_eq!(human_bytes(5 * 1024 * 1024), "5.0 MB");
    }
}
