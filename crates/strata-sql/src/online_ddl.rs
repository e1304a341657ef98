//! How MySQL and MariaDB (InnoDB) run a DDL statement online: the algorithm (`INSTANT`,
//! `INPLACE`, `COPY`), the strongest `LOCK` clause the operation allows (`NONE`: reads and
//! writes go on; `SHARED`: reads only; `EXCLUSIVE`: neither) and whether the table is rebuilt.
//! Read from the statement's leading keywords (no parser, no catalog), by one table ([`ROWS`])
//! with a line per operation and, per server, the version from which each behaviour holds.
//!
//! Sources (the rows follow them; anything they do not document is "unknown", never guessed):
//! * MySQL 8.0 Reference Manual, "Online DDL Operations" (tables of index, primary key, column,
//!   foreign key and table operations):
//!   <https://dev.mysql.com/doc/refman/8.0/en/innodb-online-ddl-operations.html>
//! * MariaDB, "InnoDB Online DDL Operations with the INSTANT Alter Algorithm" and "... with
//!   the INPLACE Alter Algorithm":
//!   <https://mariadb.com/kb/en/innodb-online-ddl-operations-with-the-instant-alter-algorithm/>,
//!   <https://mariadb.com/kb/en/innodb-online-ddl-operations-with-the-inplace-alter-algorithm/>
//!
//! An explicit `ALGORITHM=` / `LOCK=` clause in the statement wins over the table. Several
//! operations in one `ALTER TABLE` run with the least efficient algorithm any of them needs and
//! the strongest lock (the server picks one algorithm for the whole statement). Every online
//! operation still takes a short exclusive metadata lock at its start and end, which waits
//! behind open transactions on the table (`lock_wait_timeout`).
mod rows;
mod server;
mod session;

use crate::words::Words;
use crate::Dialect;
use rows::Op;
pub use rows::{Behaviour, Row, Since, ROWS};
pub use server::{Flavor, Server};
pub use session::sets_foreign_key_checks;

/// How the server changes the table, most efficient first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Algorithm {
    /// Only the data dictionary changes.
    Instant,
    /// MariaDB: in place without rebuilding the clustered index (a subset of `INPLACE`).
    Nocopy,
    /// In the storage engine, with concurrent DML when the lock allows it.
    Inplace,
    /// A copy of the table, row by row; writes wait.
    Copy,
}

impl Algorithm {
    /// The clause's keyword, e.g. `INSTANT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Instant => "INSTANT",
            Algorithm::Nocopy => "NOCOPY",
            Algorithm::Inplace => "INPLACE",
            Algorithm::Copy => "COPY",
        }
    }
}

/// The concurrency the operation allows (the `LOCK` clause), weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DdlLock {
    /// `LOCK=NONE`: reads and writes go on.
    None,
    /// `LOCK=SHARED`: reads go on, writes wait.
    Shared,
    /// `LOCK=EXCLUSIVE`: reads and writes wait.
    Exclusive,
}

impl DdlLock {
    /// The clause's keyword, e.g. `NONE`.
    pub fn as_str(self) -> &'static str {
        match self {
            DdlLock::None => "NONE",
            DdlLock::Shared => "SHARED",
            DdlLock::Exclusive => "EXCLUSIVE",
        }
    }

    /// What other sessions can do meanwhile, for people.
    pub fn effect(self) -> &'static str {
        match self {
            DdlLock::None => "reads and writes go on",
            DdlLock::Shared => "reads go on, writes wait",
            DdlLock::Exclusive => "blocks reads and writes",
        }
    }
}

/// What a statement does to its table, online.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnlineDdl {
    /// The table, as written.
    pub table: String,
    /// The operations recognised, e.g. `["ADD COLUMN", "ADD INDEX"]`; an operation not in
    /// [`ROWS`] is listed as written (its first words) and makes the result unknown.
    pub operations: Vec<String>,
    /// The algorithm; `None`: unknown.
    pub algorithm: Option<Algorithm>,
    /// The least restrictive lock it allows; `None`: unknown.
    pub lock: Option<DdlLock>,
    /// Whether the table is rebuilt; `None`: unknown.
    pub rebuilds: Option<bool>,
    /// Whether `algorithm` / `lock` came from the statement's own clause.
    pub explicit_algorithm: bool,
    /// See `explicit_algorithm`.
    pub explicit_lock: bool,
    /// Conditions and version differences, for people.
    pub notes: Vec<String>,
}

/// How `statement` (MySQL dialect) runs online on `server` (`None`: unknown; the answer is then
/// the one current MySQL and MariaDB agree on, older versions in the notes), given whether
/// `foreign_key_checks` is on in the session. `None` for a statement that is not an online
/// DDL operation on an existing table (`CREATE TABLE`, DML, ...).
///
/// ```
/// use strata_sql::{online_ddl, Algorithm, DdlLock};
/// let d = online_ddl("ALTER TABLE `users` ADD INDEX i (email);", None, true).unwrap();
/// assert_eq!((d.table.as_str(), d.algorithm, d.lock), ("`users`", Some(Algorithm::Inplace), Some(DdlLock::None)));
/// let d = online_ddl("ALTER TABLE t MODIFY a bigint, ALGORITHM=INPLACE, LOCK=NONE", None, true).unwrap();
/// assert_eq!(d.algorithm, Some(Algorithm::Inplace)); // the statement's clause wins
/// ```
pub fn online_ddl(
    statement: &str,
    server: Option<Server>,
    foreign_key_checks: bool,
) -> Option<OnlineDdl> {
    let t = Words::new(statement, Dialect::Mysql);
    let (table, ops, clauses) = match t.get(0) {
        "ALTER" => {
            let i = t.skip(1, &[&["ONLINE"], &["IGNORE"]]);
            if t.get(i) != "TABLE" {
                return None;
            }
            let i = t.skip(i + 1, &[&["IF", "EXISTS"]]);
            let table = t.name_at(i)?;
            let start = i + 2 * name_parts(&t, i) - 1;
            let mut ops = Vec::new();
            let mut clauses = Clauses::default();
            for (from, to) in subcommands(&t, start) {
                if !clauses.read(&t, from) {
                    ops.push(alter_op(&t, from, to, foreign_key_checks));
                }
            }
            (table, ops, clauses)
        }
        "CREATE" => {
            let i = t.skip(1, &[&["OR", "REPLACE"], &["ONLINE"]]);
            let op = match t.get(i) {
                "UNIQUE" => Op::AddIndex,
                "FULLTEXT" => Op::AddFulltextIndex,
                "SPATIAL" => Op::AddSpatialIndex,
                _ => Op::AddIndex,
            };
            let i = t.skip(i, &[&["UNIQUE"], &["FULLTEXT"], &["SPATIAL"]]);
            if t.get(i) != "INDEX" {
                return None;
            }
            let on = (i..t.len()).find(|&j| t.get(j) == "ON")?;
            let table = t.name_at(on + 1)?;
            (table, vec![Ok(op)], Clauses::after(&t, on + 1))
        }
        "DROP" if t.get(1) == "INDEX" => {
            let on = (2..t.len()).find(|&j| t.get(j) == "ON")?;
            let name = t.name_at(t.skip(2, &[&["ONLINE"], &["IF", "EXISTS"]]))?;
            let op = if name.trim_matches('`').eq_ignore_ascii_case("PRIMARY") {
                Op::DropPrimaryKey
            } else {
                Op::DropIndex
            };
            (t.name_at(on + 1)?, vec![Ok(op)], Clauses::after(&t, on + 1))
        }
        "RENAME" if t.get(1) == "TABLE" => {
            (t.name_at(2)?, vec![Ok(Op::RenameTable)], Clauses::default())
        }
        "OPTIMIZE" => {
            let i = t.skip(1, &[&["NO_WRITE_TO_BINLOG"], &["LOCAL"]]);
            if t.get(i) != "TABLE" {
                return None;
            }
            (t.name_at(i + 1)?, vec![Ok(Op::Rebuild)], Clauses::default())
        }
        _ => return None,
    };
    Some(judge(table, ops, clauses, server))
}

/// Combine the operations' rows and the statement's clauses into one answer.
fn judge(
    table: String,
    mut ops: Vec<Result<Op, String>>,
    clauses: Clauses,
    server: Option<Server>,
) -> OnlineDdl {
    // Replacing the primary key in one statement is one in-place rebuild.
    if ops.contains(&Ok(Op::DropPrimaryKey)) && ops.contains(&Ok(Op::AddPrimaryKey)) {
        ops.retain(|o| *o != Ok(Op::DropPrimaryKey) && *o != Ok(Op::AddPrimaryKey));
        ops.push(Ok(Op::ReplacePrimaryKey));
    }
    let mut notes = Vec::new();
    let mut behaviours = Vec::new();
    let mut known = !ops.is_empty();
    let mut operations = Vec::new();
    for op in &ops {
        match op {
            Ok(op) => {
                let row = op.row();
                operations.push(row.operation.to_string());
                if let Some(c) = row.caveat {
                    notes.push(format!("{}: {c}", row.operation));
                }
                match behaviour(row, server, &mut notes) {
                    Some(b) => behaviours.push(b),
                    None => known = false,
                }
            }
            Err(words) => {
                operations.push(words.clone());
                known = false;
            }
        }
    }
    // One algorithm runs the whole statement: an operation that alone would be faster (an
    // instant ADD COLUMN beside an ADD INDEX) runs as its slower form does (in place, rebuilt).
    let slowest = behaviours.iter().map(|b| b.algorithm).max();
    if let Some(slowest) = slowest {
        behaviours = ops
            .iter()
            .filter_map(|op| op.as_ref().ok())
            .filter_map(|op| at_least(op.row(), server, slowest))
            .collect();
    }
    let combined = (known && !behaviours.is_empty()).then(|| Behaviour {
        algorithm: behaviours
            .iter()
            .map(|b| b.algorithm)
            .max()
            .expect("one op"),
        lock: behaviours.iter().map(|b| b.lock).max().expect("one op"),
        rebuilds: behaviours.iter().any(|b| b.rebuilds),
    });
    let mut algorithm = combined.map(|b| b.algorithm);
    let mut lock = combined.map(|b| b.lock);
    let mut rebuilds = combined.map(|b| b.rebuilds);
    if let Some(asked) = clauses.algorithm {
        match algorithm {
            Some(needed) if asked < needed => notes.push(format!(
                "the server refuses ALGORITHM={}: this needs {}",
                asked.as_str(),
                needed.as_str()
            )),
            Some(needed) if asked == needed => {}
            _ => rebuilds = (asked == Algorithm::Copy).then_some(true),
        }
        algorithm = Some(asked);
    }
    if let Some(asked) = clauses.lock {
        if let Some(needed) = lock.filter(|&needed| asked < needed) {
            notes.push(format!(
                "the server refuses LOCK={}: this needs LOCK={}",
                asked.as_str(),
                needed.as_str()
            ));
        }
        lock = Some(asked);
    } else if algorithm == Some(Algorithm::Copy) {
        lock = lock.max(Some(DdlLock::Shared));
    }
    OnlineDdl {
        table,
        operations,
        algorithm,
        lock,
        rebuilds,
        explicit_algorithm: clauses.algorithm.is_some(),
        explicit_lock: clauses.lock.is_some(),
        notes,
    }
}

/// The row's behaviour on `server`; with no server, the newest behaviour when MySQL and MariaDB
/// agree on it (older versions go to `notes`), else unknown.
fn behaviour(row: &Row, server: Option<Server>, notes: &mut Vec<String>) -> Option<Behaviour> {
    match server {
        Some(s) => {
            let list = match s.flavor {
                Flavor::Mysql => row.mysql,
                Flavor::Mariadb => row.mariadb,
            };
            list.iter()
                .find(|e| e.version <= s.version)
                .map(|e| e.behaviour)
        }
        None => {
            let (my, maria) = (row.mysql.first()?, row.mariadb.first()?);
            if my.behaviour != maria.behaviour {
                return None;
            }
            for (server, list) in [("MySQL", row.mysql), ("MariaDB", row.mariadb)] {
                for pair in list.windows(2) {
                    let (v, older) = (pair[0].version, pair[1].behaviour);
                    notes.push(format!(
                        "{}: before {server} {}.{}.{}: {}{}",
                        row.operation,
                        v.0,
                        v.1,
                        v.2,
                        older.algorithm.as_str(),
                        if older.rebuilds {
                            ", rebuilds the table"
                        } else {
                            ""
                        }
                    ));
                }
            }
            Some(my.behaviour)
        }
    }
}

/// The row's behaviour on `server` when the statement runs with algorithm `slowest` or slower:
/// its newest behaviour that slow, else its newest (an in-place-only operation inside a copy).
/// With no server, MySQL's and MariaDB's must agree.
fn at_least(row: &Row, server: Option<Server>, slowest: Algorithm) -> Option<Behaviour> {
    let pick = |list: &[Since], version: Option<(u16, u16, u16)>| {
        let applicable = list
            .iter()
            .filter(|e| version.is_none_or(|v| e.version <= v));
        let newest = applicable.clone().next()?.behaviour;
        Some(
            applicable
                .map(|e| e.behaviour)
                .find(|b| b.algorithm >= slowest)
                .unwrap_or(newest),
        )
    };
    match server {
        Some(s) => pick(
            match s.flavor {
                Flavor::Mysql => row.mysql,
                Flavor::Mariadb => row.mariadb,
            },
            Some(s.version),
        ),
        None => {
            let my = pick(row.mysql, None)?;
            (pick(row.mariadb, None)? == my).then_some(my)
        }
    }
}

/// The statement's own `ALGORITHM=` and `LOCK=` clauses (`DEFAULT`: none).
#[derive(Debug, Default, Clone, Copy)]
struct Clauses {
    algorithm: Option<Algorithm>,
    lock: Option<DdlLock>,
}

impl Clauses {
    /// Read a clause starting at `i`; false if there is none.
    fn read(&mut self, t: &Words, i: usize) -> bool {
        let value = t.get(if t.get(i + 1) == "=" { i + 2 } else { i + 1 });
        match t.get(i) {
            "ALGORITHM" => {
                self.algorithm = match value {
                    "INSTANT" => Some(Algorithm::Instant),
                    "NOCOPY" => Some(Algorithm::Nocopy),
                    "INPLACE" => Some(Algorithm::Inplace),
                    "COPY" => Some(Algorithm::Copy),
                    _ => None,
                };
                true
            }
            "LOCK" => {
                self.lock = match value {
                    "NONE" => Some(DdlLock::None),
                    "SHARED" => Some(DdlLock::Shared),
                    "EXCLUSIVE" => Some(DdlLock::Exclusive),
                    _ => None,
                };
                true
            }
            _ => false,
        }
    }

    /// The clauses anywhere after `i` (`CREATE INDEX ... ALGORITHM=INPLACE LOCK=NONE`).
    fn after(t: &Words, i: usize) -> Clauses {
        let mut c = Clauses::default();
        let mut depth = 0i32;
        for j in i..t.len() {
            match t.get(j) {
                "(" => depth += 1,
                ")" => depth -= 1,
                _ if depth == 0 => {
                    c.read(t, j);
                }
                _ => {}
            }
        }
        c
    }
}

/// The token ranges of an `ALTER TABLE`'s subcommands, split at top-level commas.
fn subcommands(t: &Words, start: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut from = start;
    for j in start..=t.len() {
        match t.get(j) {
            "(" => depth += 1,
            ")" => depth -= 1,
            "," if depth == 0 => {
                out.push((from, j));
                from = j + 1;
            }
            "" | ";" if depth <= 0 => {
                out.push((from, j));
                break;
            }
            _ => {}
        }
    }
    out.retain(|(a, b)| a < b);
    out
}

/// One `ALTER TABLE` subcommand (tokens `from..to`): its operation, or its first words when
/// no row describes it.
fn alter_op(t: &Words, from: usize, to: usize, foreign_key_checks: bool) -> Result<Op, String> {
    let w = |k: usize| if from + k < to { t.get(from + k) } else { "" };
    let has = |word: &str| (from..to).any(|j| t.get(j) == word);
    let unknown = || {
        let words: Vec<&str> = (from..to.min(from + 3)).map(|j| t.get(j)).collect();
        Err(words.join(" "))
    };
    // `CONSTRAINT [name]` before a key or check.
    let after_constraint = |k: usize| {
        if w(k) != "CONSTRAINT" {
            return k;
        }
        match w(k + 1) {
            "PRIMARY" | "UNIQUE" | "FOREIGN" | "CHECK" => k + 1,
            _ => k + 2,
        }
    };
    match w(0) {
        "ADD" => {
            let k = after_constraint(1);
            match w(k) {
                "PRIMARY" => Ok(Op::AddPrimaryKey),
                "UNIQUE" | "INDEX" | "KEY" => Ok(Op::AddIndex),
                "FULLTEXT" => Ok(Op::AddFulltextIndex),
                "SPATIAL" => Ok(Op::AddSpatialIndex),
                "FOREIGN" if foreign_key_checks => Ok(Op::AddForeignKey),
                "FOREIGN" => Ok(Op::AddForeignKeyUnchecked),
                "CHECK" | "PARTITION" | "PERIOD" | "SYSTEM" | "CONSTRAINT" => unknown(),
                _ => {
                    if has("AUTO_INCREMENT") {
                        Ok(Op::AddAutoIncrementColumn)
                    } else if has("AS") && (has("STORED") || has("PERSISTENT")) {
                        Ok(Op::AddStoredColumn)
                    } else if has("AS") {
                        // A virtual generated column: not a row of ours.
                        unknown()
                    } else if has("FIRST") || has("AFTER") {
                        Ok(Op::AddColumnPositioned)
                    } else {
                        Ok(Op::AddColumnLast)
                    }
                }
            }
        }
        "DROP" => match w(1) {
            "PRIMARY" => Ok(Op::DropPrimaryKey),
            "INDEX" | "KEY" => Ok(Op::DropIndex),
            "FOREIGN" => Ok(Op::DropForeignKey),
            "CONSTRAINT" | "CHECK" | "PARTITION" | "SYSTEM" | "PERIOD" | "DEFAULT" => unknown(),
            _ => Ok(Op::DropColumn),
        },
        "RENAME" => match w(1) {
            "COLUMN" => Ok(Op::RenameColumn),
            "INDEX" | "KEY" => Ok(Op::RenameIndex),
            _ => Ok(Op::RenameTable),
        },
        "MODIFY" | "CHANGE" => Ok(Op::ModifyColumn),
        "ALTER" => {
            let k = if w(1) == "COLUMN" { 3 } else { 2 };
            match (w(1), w(k), w(k + 1)) {
                ("INDEX" | "KEY" | "CONSTRAINT" | "CHECK", _, _) => unknown(),
                (_, "SET" | "DROP", "DEFAULT") => Ok(Op::ColumnDefault),
                _ => unknown(),
            }
        }
        "CONVERT" => Ok(Op::ConvertCharset),
        "DEFAULT" | "CHARACTER" | "CHARSET" if has("CHARACTER") || has("CHARSET") => {
            Ok(Op::TableCharset)
        }
        "FORCE" => Ok(Op::Rebuild),
        "ENGINE" => {
            let value = if w(1) == "=" { w(2) } else { w(1) };
            if value == "INNODB" {
                Ok(Op::Rebuild)
            } else {
                Ok(Op::ChangeEngine)
            }
        }
        "AUTO_INCREMENT" => Ok(Op::AutoIncrementValue),
        "ROW_FORMAT" | "KEY_BLOCK_SIZE" => Ok(Op::RowFormat),
        _ => unknown(),
    }
}

/// How many dotted parts the name at `i` has.
fn name_parts(t: &Words, mut i: usize) -> usize {
    let mut n = 1;
    while t.get(i + 1) == "." {
        n += 1;
        i += 2;
    }
    n
}

#[cfg(test)]
mod tests;
