//! `plan` on MySQL/MariaDB: each statement's online DDL behaviour ([`strata_sql::online_ddl`])
//! as `plan` shows it, in JSON and for people.

use serde::Serialize;
use strata_core::printable::printable;
use strata_sql::{DdlLock, OnlineDdl, Server};

/// How a statement runs online, as `plan --format json` shows it. `None` fields are unknown.
#[derive(Debug, Serialize)]
pub(crate) struct OnlineDdlView {
    pub table: String,
    pub operations: Vec<String>,
    /// `INSTANT`, `NOCOPY`, `INPLACE` or `COPY`.
    pub algorithm: Option<&'static str>,
    /// The least restrictive `LOCK` clause allowed: `NONE`, `SHARED` or `EXCLUSIVE`.
    pub lock: Option<&'static str>,
    #[serde(skip)]
    lock_level: Option<DdlLock>,
    pub rebuilds: Option<bool>,
    pub blocks_reads: Option<bool>,
    pub blocks_writes: Option<bool>,
    /// Whether the statement's own `ALGORITHM=` / `LOCK=` clause set them.
    pub explicit_algorithm: bool,
    pub explicit_lock: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Follows a plan's statements in order: the session's `foreign_key_checks` carries over from
/// one statement (and migration: one connection) to the next.
pub(crate) struct OnlineDdlPlanner {
    server: Option<Server>,
    foreign_key_checks: bool,
}

impl OnlineDdlPlanner {
    pub fn new(server: Option<Server>) -> Self {
        OnlineDdlPlanner {
            server,
            foreign_key_checks: true,
        }
    }

    /// The next statement's behaviour, if it is online DDL.
    pub fn next(&mut self, statement: &str) -> Option<OnlineDdlView> {
        if let Some(on) = strata_sql::sets_foreign_key_checks(statement) {
            self.foreign_key_checks = on;
        }
        strata_sql::online_ddl(statement, self.server, self.foreign_key_checks).map(view)
    }
}

fn view(d: OnlineDdl) -> OnlineDdlView {
    OnlineDdlView {
        table: d.table,
        operations: d.operations,
        algorithm: d.algorithm.map(|a| a.as_str()),
        lock: d.lock.map(|l| l.as_str()),
        lock_level: d.lock,
        rebuilds: d.rebuilds,
        blocks_reads: d.lock.map(|l| l == DdlLock::Exclusive),
        blocks_writes: d.lock.map(|l| l >= DdlLock::Shared),
        explicit_algorithm: d.explicit_algorithm,
        explicit_lock: d.explicit_lock,
        notes: d.notes,
    }
}

/// The lines under a statement in `plan`'s text output.
pub(crate) fn text(v: &OnlineDdlView) -> Vec<String> {
    let table = printable(&v.table);
    let what = printable(&v.operations.join(", ")).into_owned();
    let mut lines = vec![match (v.algorithm, v.lock_level) {
        (Some(algorithm), Some(lock)) => {
            let (effect, lock) = (lock.effect(), lock.as_str());
            let rebuild = match v.rebuilds {
                Some(true) => "; rebuilds the table",
                Some(false) => "; no rebuild",
                None => "; rebuild unknown",
            };
            format!(
                "       online DDL: {what} on {table}: ALGORITHM={algorithm}, LOCK={lock} ({effect}{rebuild})"
            )
        }
        (Some(algorithm), None) => format!(
            "       online DDL: {what} on {table}: ALGORITHM={algorithm}, lock unknown"
        ),
        _ => format!(
            "       online DDL: {what} on {table}: unknown (not in MySQL's or MariaDB's online DDL tables; try it with ALGORITHM=INPLACE, LOCK=NONE to have the server refuse rather than copy)"
        ),
    }];
    lines.extend(
        v.notes
            .iter()
            .map(|n| format!("       note: {}", printable(n))),
    );
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(statements: &[&str]) -> Vec<String> {
        let mut p = OnlineDdlPlanner::new(None);
        statements
            .iter()
            .filter_map(|s| p.next(s))
            .flat_map(|v| text(&v))
            .collect()
    }

    #[test]
    fn text_names_algorithm_lock_effect_and_rebuild() {
        assert_eq!(
            lines(&["ALTER TABLE `users` ADD INDEX i (email)"]),
            ["       online DDL: ADD INDEX on `users`: ALGORITHM=INPLACE, LOCK=NONE (reads and writes go on; no rebuild)"]
        );
        assert_eq!(
            lines(&["ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4"]),
            ["       online DDL: CONVERT TO CHARACTER SET on t: ALGORITHM=COPY, LOCK=SHARED (reads go on, writes wait; rebuilds the table)"]
        );
        let add = lines(&["ALTER TABLE t ADD COLUMN c int"]);
        assert_eq!(add[0], "       online DDL: ADD COLUMN on t: ALGORITHM=INSTANT, LOCK=NONE (reads and writes go on; no rebuild)");
        assert_eq!(
            add[1],
            "       note: ADD COLUMN: before MySQL 8.0.12: INPLACE, rebuilds the table"
        );
    }

    #[test]
    fn unknown_is_said_not_guessed() {
        let l = lines(&["ALTER TABLE t ADD CHECK (a > 0)"]);
        assert!(
            l[0].starts_with("       online DDL: ADD CHECK ( on t: unknown"),
            "{l:?}"
        );
        assert!(lines(&["CREATE TABLE t (a int)", "INSERT INTO t VALUES (1)"]).is_empty());
    }

    #[test]
    fn foreign_key_checks_carry_over_to_later_statements() {
        let fk = "ALTER TABLE t ADD FOREIGN KEY (p) REFERENCES p (id)";
        let checked = OnlineDdlPlanner::new(None).next(fk).unwrap();
        assert_eq!(checked.algorithm, Some("COPY"));
        let mut p = OnlineDdlPlanner::new(None);
        assert!(p.next("SET foreign_key_checks = 0").is_none());
        let unchecked = p.next(fk).unwrap();
        assert_eq!(
            (unchecked.algorithm, unchecked.rebuilds),
            (Some("INPLACE"), Some(false))
        );
        p.next("SET foreign_key_checks = 1");
        assert_eq!(p.next(fk).unwrap().algorithm, Some("COPY"));
    }

    #[test]
    fn json_view_says_what_other_sessions_can_do() {
        let mut p = OnlineDdlPlanner::new(None);
        let v = p.next("ALTER TABLE t MODIFY a bigint").unwrap();
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["algorithm"], "COPY");
        assert_eq!(json["lock"], "SHARED");
        assert_eq!(json["blocks_writes"], true);
        assert_eq!(json["blocks_reads"], false);
        assert_eq!(json["rebuilds"], true);
        let v = p.next("ALTER TABLE t ADD CHECK (a > 0)").unwrap();
        let json = serde_json::to_value(&v).unwrap();
        assert!(json["algorithm"].is_null() && json["blocks_writes"].is_null());
    }
}
