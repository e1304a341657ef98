//! `--targets-query SQL`: the target list from the catalog of tenants a team already keeps,
//! read by running SQL on `-database` (PostgreSQL). The rows are turned into targets by the
//! pure [`targets::from_rows`].

use super::targets::{self, Target};
use crate::commands;
use crate::settings::Settings;
use crate::CliError;
use postgres::SimpleQueryMessage;

/// How long a query may be before errors show it shortened.
const SHOWN_CHARS: usize = 60;

/// Run `sql` on `-database` and read its rows as targets.
pub fn targets(settings: &Settings, sql: &str) -> Result<Vec<Target>, CliError> {
    let source_name = shown(sql);
    let base = settings.require_database().map_err(|_| {
        CliError::Usage(format!(
            "{source_name} runs on -database: pass -database URL (the catalog's database)"
        ))
    })?;
    let mut open = commands::open_read_only(settings)?;
    let Some(pg) = open.driver.postgres() else {
        return Err(CliError::Usage(format!(
            "{source_name} needs a PostgreSQL -database (its server is asked for the list)"
        )));
    };
    // The simple protocol returns every column as text, whatever its type.
    let messages = pg.client().simple_query(sql).map_err(|e| {
        // The server's words, not the client's bare "db error".
        let detail = match e.as_db_error() {
            Some(db) => format!("{}: {}", db.severity(), db.message()),
            None => e.to_string(),
        };
        CliError::Failed(format!("{source_name}: {detail}"))
    })?;
    let rows: Vec<Vec<Option<String>>> = messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(
                (0..row.len())
                    .map(|i| row.get(i).map(str::to_string))
                    .collect(),
            ),
            _ => None,
        })
        .collect();
    let base = base.to_string();
    drop(open);
    targets::from_rows(&rows, &base, &source_name).map_err(|e| CliError::Usage(e.to_string()))
}

/// `--targets-query "SQL"`, the SQL on one line and shortened.
fn shown(sql: &str) -> String {
    let one_line = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    let short: String = one_line.chars().take(SHOWN_CHARS).collect();
    let ellipsis = if one_line.chars().count() > SHOWN_CHARS {
        "..."
    } else {
        ""
    };
    format!(
        "--targets-query \"{}{ellipsis}\"",
        strata_core::printable::printable(&short)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_long_query_is_shown_on_one_line_and_shortened() {
        assert_eq!(
            super::shown("SELECT datname\n  FROM pg_database"),
            "--targets-query \"SELECT datname FROM pg_database\""
        );
        let long = format!("SELECT '{}'", "x".repeat(100));
        let shown = super::shown(&long);
        assert!(shown.ends_with("xxx...\""), "{shown}");
        assert_eq!(shown.chars().count(), "--targets-query \"\"...".len() + 60);
    }
}
