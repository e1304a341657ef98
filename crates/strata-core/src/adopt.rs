//! `adopt --from TOOL`: import another migration tool's tracking table into the ledger.
//!
//! The driver only reads the old table, generically ([`Driver::read_table`]: every column as
//! text). Everything else is decided here, without IO:
//! - [`foreign_rows`] turns the table into the versions the tool considers applied, following
//!   the tool's own rules (goose: the newest row per version decides; sqlx and Flyway: only
//!   successful rows; sql-migrate and Knex: the version is the leading digits of the id/name);
//! - [`plan_adopt`] matches them to migration files by version and returns the ledger writes:
//!   one row per version (origin `adopted`, keeping the old table's batch, time and user where it
//!   had them), one `adopt` log entry each, golang-migrate's row at the highest version (clean).
//!
//! The old table is never written. Rows that match no file are conflicts (listed, nothing
//! changed) unless ignored; a database Strata already tracks is refused unless forced.

use crate::driver::{Driver, RawTable};
use crate::error::Error;
use crate::ledger::{compat_for, Action, AppliedMigration, LedgerState, LedgerWrite, LogEntry};
use crate::migration::Version;
use crate::plan::{ledger_row, reconcile, Conflict};
use crate::source::Source;
use crate::Origin;
use std::collections::BTreeMap;

/// A migration tool whose tracking table can be adopted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// dbmate: `schema_migrations (version varchar)`.
    Dbmate,
    /// goose: `goose_db_version (id, version_id, is_applied, tstamp)`.
    Goose,
    /// sqlx: `_sqlx_migrations (version, description, installed_on, success, checksum,
    /// execution_time)`.
    Sqlx,
    /// sql-migrate: `gorp_migrations (id, applied_at)`.
    SqlMigrate,
    /// Knex-style `_migrations (id, name, batch, executed_at)` (Knex's own `knex_migrations`
    /// calls the time `migration_time`).
    Knex,
    /// Flyway: `flyway_schema_history (installed_rank, version, description, type, script,
    /// checksum, installed_by, installed_on, execution_time, success)`.
    Flyway,
}

impl Tool {
    /// Every tool, in the order `--help` lists them.
    pub const ALL: [Tool; 6] = [
        Tool::Dbmate,
        Tool::Goose,
        Tool::Sqlx,
        Tool::SqlMigrate,
        Tool::Knex,
        Tool::Flyway,
    ];

    /// The name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Tool::Dbmate => "dbmate",
            Tool::Goose => "goose",
            Tool::Sqlx => "sqlx",
            Tool::SqlMigrate => "sql-migrate",
            Tool::Knex => "knex",
            Tool::Flyway => "flyway",
        }
    }

    /// Parse [`Tool::as_str`]'s output (case-insensitive).
    pub fn parse(s: &str) -> Option<Tool> {
        Tool::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
    }

    /// The tool's default table names, tried in order.
    pub fn default_tables(self) -> &'static [&'static str] {
        match self {
            Tool::Dbmate => &["schema_migrations"],
            Tool::Goose => &["goose_db_version"],
            Tool::Sqlx => &["_sqlx_migrations"],
            Tool::SqlMigrate => &["gorp_migrations"],
            Tool::Knex => &["_migrations", "knex_migrations"],
            Tool::Flyway => &["flyway_schema_history"],
        }
    }

    /// Columns the table must have.
    fn required(self) -> &'static [&'static str] {
        match self {
            Tool::Dbmate => &["version"],
            Tool::Goose => &["version_id", "is_applied"],
            Tool::Sqlx => &["version", "success"],
            Tool::SqlMigrate => &["id"],
            Tool::Knex => &["name"],
            Tool::Flyway => &["version", "success"],
        }
    }
}

/// When the table Strata keeps golang-migrate's version in (`table`, with `columns`) does not
/// have golang-migrate's layout (`version`, `dirty`): what it is and the ways out. `None` when
/// it has that layout. Drivers check this before creating or reading anything, so a database
/// set up by another tool is refused untouched instead of failing on a missing column.
pub fn foreign_compat_table(table: &str, columns: &[String]) -> Option<String> {
    let has = |c: &str| columns.iter().any(|x| x.eq_ignore_ascii_case(c));
    if has("version") && has("dirty") {
        return None;
    }
    let listed = columns.join(", ");
    // The tool whose required columns are all there, the most specific first.
    let mut tools: Vec<Tool> = Tool::ALL
        .into_iter()
        .filter(|t| t.required().iter().all(|c| has(c)))
        .collect();
    tools.sort_by_key(|t| std::cmp::Reverse(t.required().len()));
    Some(match tools.first() {
        Some(tool) => format!(
            "{table} has {tool}'s layout (columns: {listed}), not golang-migrate's (version, dirty), \
             and Strata keeps golang-migrate's version in that table. To take over from {tool}, give \
             Strata a table of its own (add x-migrations-table=strata_migrations to the database URL) \
             and run `strata adopt --from {tool}` with it; to leave {table} alone, choose any free \
             name with x-migrations-table=NAME",
            tool = tool.as_str()
        ),
        None => format!(
            "{table} is not golang-migrate's table (columns: {listed}; golang-migrate's has version \
             and dirty), and Strata keeps golang-migrate's version in that table: give Strata a \
             table of its own with x-migrations-table=NAME in the database URL"
        ),
    })
}

/// One version the old tool considers applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignRow {
    /// How the old table names the row (dbmate's version, goose's version_id, sqlx's and
    /// Flyway's `version description`, sql-migrate's id, Knex's name).
    pub key: String,
    /// The version (`None`: the key has no leading digits, so it can match no file).
    pub version: Option<Version>,
    /// Knex's batch.
    pub batch: Option<i64>,
    /// When it was applied, RFC 3339 UTC (`None`: the table has no time, or it was unreadable).
    pub applied_at: Option<String>,
    /// Who applied it (Flyway's `installed_by`).
    pub applied_by: Option<String>,
    /// How long it took, in milliseconds (sqlx, Flyway).
    pub duration_ms: Option<i64>,
}

/// What `adopt` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdoptRequest {
    /// The tool.
    pub tool: Tool,
    /// The table (`schema.name` or `name`); `None`: the tool's default names.
    pub table: Option<String>,
    /// golang-migrate's table as Strata uses it (`TableNames::compat`): the old table must not
    /// be it (dbmate's default name is the same), since Strata writes that table.
    pub compat_table: String,
    /// Adopt although the database already has migration records.
    pub force: bool,
    /// Adopt the matched rows and leave out the rows that match no file.
    pub ignore_unmatched: bool,
}

/// Why `adopt` was refused (nothing was written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdoptError {
    /// None of the tables tried exists.
    #[error("no table {} ({}'s tracking table) in the database", tables.join(" or "), tool.as_str())]
    NoTable {
        /// The tool.
        tool: Tool,
        /// The tables tried, qualified as given.
        tables: Vec<String>,
        /// Whether the caller named the table (else the tool's default names were tried).
        table_named: bool,
    },
    /// The table does not have the tool's layout.
    #[error("{table} does not have {}'s layout", tool.as_str())]
    Layout {
        /// The table read.
        table: String,
        /// The tool.
        tool: Tool,
        /// What about its layout is wrong.
        #[source]
        cause: LayoutError,
    },
    /// The table is the one Strata keeps golang-migrate's version in (dbmate's default name is
    /// the same), which Strata writes: it cannot be adopted in place.
    #[error("{table} is the table Strata keeps golang-migrate's version in, so {} cannot be adopted from it in place", tool.as_str())]
    CompatTable {
        /// The table.
        table: String,
        /// The tool.
        tool: Tool,
    },
}

/// What is wrong with a tracking table's layout (see [`foreign_rows`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LayoutError {
    /// dbmate was named, but the table is golang-migrate's (`version`, `dirty`).
    #[error("this is golang-migrate's table (version, dirty), not dbmate's; Strata adopts it by itself on first contact (run `strata status` or `up`)")]
    GolangMigrateTable,
    /// Columns the tool's table has are missing.
    #[error("no column {} (columns: {}); is it {}'s tracking table?", missing.join(", "), columns.join(", "), tool.as_str())]
    MissingColumns {
        /// The tool.
        tool: Tool,
        /// The missing columns.
        missing: Vec<String>,
        /// The columns the table has.
        columns: Vec<String>,
    },
}

/// What `adopt` did (or would do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdoptPlan {
    /// The table read.
    pub table: String,
    /// The writes.
    pub writes: Vec<LedgerWrite>,
    /// The versions recorded as adopted, ascending.
    pub adopted: Vec<Version>,
    /// Rows of the old table left out because they match no file (`--ignore-unmatched`).
    pub unmatched: Vec<ForeignRow>,
    /// Versions the old table has that the ledger already had (kept as they were; `--force`).
    pub kept: Vec<Version>,
}

/// Read the old table through `driver`, plan, and write (the caller holds the lock). Nothing is
/// written when the plan is refused; the old table is only read.
pub fn run(
    driver: &mut dyn Driver,
    source: &Source,
    request: &AdoptRequest,
    actor: &str,
) -> Result<AdoptPlan, Error> {
    let tool = request.tool;
    let (schema, names): (Option<&str>, Vec<&str>) = match request.table.as_deref() {
        Some(t) => match t.split_once('.') {
            Some((s, n)) => (Some(s), vec![n]),
            None => (None, vec![t]),
        },
        None => (None, tool.default_tables().to_vec()),
    };
    let mut found = None;
    for name in &names {
        if let Some(raw) = driver.read_table(schema, name)? {
            found = Some((*name, raw));
            break;
        }
    }
    let qualified = |n: &str| schema.map_or(n.to_string(), |s| format!("{s}.{n}"));
    let Some((name, raw)) = found else {
        return Err(AdoptError::NoTable {
            tool,
            tables: names.iter().map(|n| qualified(n)).collect(),
            table_named: request.table.is_some(),
        }
        .into());
    };
    let table = qualified(name);
    let rows = foreign_rows(tool, &raw).map_err(|cause| AdoptError::Layout {
        table: table.clone(),
        tool,
        cause,
    })?;
    if schema.is_none() && name == request.compat_table {
        return Err(AdoptError::CompatTable { table, tool }.into());
    }
    let state = driver.read_state()?;
    let plan = plan_adopt(source, &state, &rows, request, &table, actor)
        .map_err(|conflicts| Error::Conflicts { conflicts })?;
    if !plan.writes.is_empty() {
        driver.ensure_tables()?;
        driver.write(&plan.writes)?;
    }
    Ok(plan)
}

/// The versions `tool` considers applied according to its table `raw`, in table order (the
/// order column where there is one). Errors say what about the table's layout is wrong.
pub fn foreign_rows(tool: Tool, raw: &RawTable) -> Result<Vec<ForeignRow>, LayoutError> {
    let col = |name: &str| {
        raw.columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))
    };
    if tool == Tool::Dbmate && col("dirty").is_some() {
        return Err(LayoutError::GolangMigrateTable);
    }
    let missing: Vec<String> = tool
        .required()
        .iter()
        .filter(|c| col(c).is_none())
        .map(|c| c.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(LayoutError::MissingColumns {
            tool,
            missing,
            columns: raw.columns.clone(),
        });
    }
    let get = |row: &[Option<String>], name: &str| -> Option<String> {
        col(name)
            .and_then(|i| row.get(i).cloned().flatten())
            .map(|v| v.trim().to_string())
    };
    let int = |row: &[Option<String>], name: &str| get(row, name).and_then(|v| v.parse().ok());
    let time = |row: &[Option<String>], names: &[&str]| {
        names
            .iter()
            .find_map(|n| get(row, n))
            .and_then(|t| normalize_timestamp(&t))
    };
    // Table order by the tool's own sequence column, where it has one.
    let order = match tool {
        Tool::Goose | Tool::Knex => Some("id"),
        Tool::Flyway => Some("installed_rank"),
        _ => None,
    };
    let mut table_rows: Vec<&Vec<Option<String>>> = raw.rows.iter().collect();
    if let Some(o) = order {
        table_rows.sort_by_key(|r| int(r, o).unwrap_or(i64::MAX));
    }
    // Keyed by version (or by key when there is none); later rows may remove earlier ones.
    let mut applied: BTreeMap<(Option<Version>, String), ForeignRow> = BTreeMap::new();
    // The first row of a version counts (a duplicate changes nothing).
    let add = |applied: &mut BTreeMap<_, _>, row: ForeignRow| {
        let id = (
            row.version,
            row.version
                .map_or_else(|| row.key.clone(), |_| String::new()),
        );
        applied.entry(id).or_insert(row);
    };
    for r in table_rows {
        let bare = |key: String, version: Option<Version>| ForeignRow {
            key,
            version,
            batch: None,
            applied_at: None,
            applied_by: None,
            duration_ms: None,
        };
        match tool {
            Tool::Dbmate => {
                let v = get(r, "version").unwrap_or_default();
                add(&mut applied, bare(v.clone(), whole_version(&v)));
            }
            Tool::Goose => {
                let v = get(r, "version_id").unwrap_or_default();
                let version = whole_version(&v);
                if version == Some(0) {
                    continue; // goose's own first row, written when it creates the table
                }
                if let Some(version) = version {
                    // The newest row of a version decides.
                    applied.remove(&(Some(version), String::new()));
                }
                if truthy(get(r, "is_applied").as_deref()) {
                    add(
                        &mut applied,
                        ForeignRow {
                            applied_at: time(r, &["tstamp"]),
                            ..bare(v, version)
                        },
                    );
                }
            }
            Tool::Sqlx | Tool::Flyway => {
                if !truthy(get(r, "success").as_deref()) {
                    continue;
                }
                let Some(v) = get(r, "version") else {
                    continue; // Flyway's repeatable migrations have no version
                };
                let kind = get(r, "type").unwrap_or_default().to_ascii_uppercase();
                if kind == "SCHEMA" {
                    continue; // Flyway's "schema created" marker
                }
                let version = whole_version(&v);
                if kind == "DELETE" || kind.starts_with("UNDO") {
                    if let Some(version) = version {
                        applied.remove(&(Some(version), String::new()));
                    }
                    continue;
                }
                let description = get(r, "description").unwrap_or_default();
                let ms = int(r, "execution_time").map(|t: i64| match tool {
                    Tool::Sqlx => t / 1_000_000, // nanoseconds
                    _ => t,
                });
                add(
                    &mut applied,
                    ForeignRow {
                        applied_at: time(r, &["installed_on"]),
                        applied_by: get(r, "installed_by").filter(|s| !s.is_empty()),
                        duration_ms: ms,
                        ..bare(format!("{v} {description}").trim().to_string(), version)
                    },
                );
            }
            Tool::SqlMigrate => {
                let id = get(r, "id").unwrap_or_default();
                let version = leading_version(&id);
                add(
                    &mut applied,
                    ForeignRow {
                        applied_at: time(r, &["applied_at"]),
                        ..bare(id, version)
                    },
                );
            }
            Tool::Knex => {
                let name = get(r, "name").unwrap_or_default();
                let version = leading_version(&name);
                add(
                    &mut applied,
                    ForeignRow {
                        batch: int(r, "batch"),
                        applied_at: time(r, &["executed_at", "migration_time"]),
                        ..bare(name, version)
                    },
                );
            }
        }
    }
    Ok(applied.into_values().collect())
}

/// The ledger writes that adopt `rows` (see the module docs).
///
/// Refused, with every conflict: a database that already has migration records (ledger rows
/// or a golang-migrate row) unless `request.force`; rows that match no migration file unless
/// `request.ignore_unmatched`. Forced, golang-migrate's versions are adopted first as on any
/// first contact, and versions already in the ledger are kept as they are.
pub fn plan_adopt(
    source: &Source,
    state: &LedgerState,
    rows: &[ForeignRow],
    request: &AdoptRequest,
    table: &str,
    actor: &str,
) -> Result<AdoptPlan, Vec<Conflict>> {
    let tool = request.tool.as_str();
    let mut conflicts = Vec::new();
    if !request.force && (!state.applied.is_empty() || state.compat.is_some()) {
        conflicts.push(Conflict::AlreadyTracked {
            rows: state.applied.len(),
            version: state.compat.map(|c| c.version),
        });
    }
    let (matched, unmatched): (Vec<&ForeignRow>, Vec<&ForeignRow>) = rows
        .iter()
        .partition(|r| r.version.is_some_and(|v| source.get(v).is_some()));
    if !request.ignore_unmatched {
        conflicts.extend(unmatched.iter().map(|r| Conflict::Unmatched {
            tool: tool.to_string(),
            table: table.to_string(),
            key: r.key.clone(),
            version: r.version,
        }));
    }
    let (mut writes, view) = match reconcile(source, state, actor) {
        Ok(ok) => ok,
        Err(c) => {
            conflicts.push(c);
            (Vec::new(), state.clone())
        }
    };
    if !conflicts.is_empty() {
        return Err(conflicts);
    }
    let mut adopted = Vec::new();
    let mut kept = Vec::new();
    let mut matched = matched;
    matched.sort_by_key(|r| r.version);
    for r in matched {
        let Some(m) = r.version.and_then(|v| source.get(v)) else {
            continue;
        };
        if view.get(m.version).is_some() || adopted.contains(&m.version) {
            kept.push(m.version);
            continue;
        }
        let row = AppliedMigration {
            applied_at: r.applied_at.clone().unwrap_or_default(),
            applied_by: r.applied_by.clone().unwrap_or_else(|| actor.to_string()),
            ..ledger_row(
                m,
                r.batch.unwrap_or(0),
                r.duration_ms.unwrap_or(0),
                actor,
                Origin::Adopted,
            )
        };
        let mut detail = format!("applied by {tool} (table {table}, row {:?}", r.key);
        if let Some(b) = r.batch {
            detail.push_str(&format!(", batch {b}"));
        }
        if let Some(at) = &r.applied_at {
            detail.push_str(&format!(", at {at}"));
        }
        if let Some(by) = &r.applied_by {
            detail.push_str(&format!(", by {by}"));
        }
        detail.push_str("); adopted, not run");
        writes.push(LedgerWrite::Insert(row.clone()));
        writes.push(LedgerWrite::Log(LogEntry {
            action: Action::Adopt,
            version: Some(m.version),
            name: m.name.clone(),
            batch: Some(row.batch),
            checksum: row.checksum.clone(),
            duration_ms: 0,
            actor: actor.to_string(),
            detail,
        }));
        adopted.push(m.version);
    }
    if !adopted.is_empty() {
        let head = view.head().into_iter().chain(adopted.iter().copied()).max();
        writes.push(LedgerWrite::SetCompat(compat_for(head)));
    }
    Ok(AdoptPlan {
        table: table.to_string(),
        writes,
        adopted,
        unmatched: unmatched.into_iter().cloned().collect(),
        kept,
    })
}

/// A version written as digits only (dbmate, goose, sqlx, Flyway); `None` otherwise (e.g.
/// Flyway's `1.1`).
fn whole_version(s: &str) -> Option<Version> {
    let s = s.trim();
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// The leading digits of a file-like name (`20240101_init.sql` → 20240101).
fn leading_version(s: &str) -> Option<Version> {
    let digits: String = s
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    whole_version(&digits)
}

/// A boolean as the backends render it (`true`/`t`/`1`...).
fn truthy(v: Option<&str>) -> bool {
    matches!(
        v.map(|s| s.trim().to_ascii_lowercase()).as_deref(),
        Some("true" | "t" | "1" | "yes" | "y" | "on")
    )
}

/// A timestamp as another tool stored it, as RFC 3339 UTC text with milliseconds
/// (`2024-01-02T03:04:05.000Z`, the form Strata's SQLite ledger uses). Accepts
/// `YYYY-MM-DD[T ]HH:MM[:SS[.fff]]` with an optional `Z`, `±HH[:MM]` offset and trailing zone
/// name (Go's `+0000 UTC`), where no offset means UTC; and Unix time in seconds or
/// milliseconds. `None` when it is none of these.
///
/// ```
/// use strata_core::adopt::normalize_timestamp;
/// assert_eq!(normalize_timestamp("2024-01-02 03:04:05").as_deref(), Some("2024-01-02T03:04:05.000Z"));
/// assert_eq!(normalize_timestamp("2024-01-02 01:00:00.5-03:00").as_deref(), Some("2024-01-02T04:00:00.500Z"));
/// ```
pub fn normalize_timestamp(text: &str) -> Option<String> {
    let t = text.trim();
    let ms: i64 = if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = t.parse().ok()?;
        if n >= 100_000_000_000 {
            n
        } else {
            n.checked_mul(1000)?
        }
    } else {
        parse_datetime(t)?
    };
    let days = ms.div_euclid(86_400_000);
    let rest = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    if !(1..=9999).contains(&y) {
        return None;
    }
    Some(format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3_600_000,
        rest / 60_000 % 60,
        rest / 1000 % 60,
        rest % 1000
    ))
}

/// Milliseconds since the Unix epoch of `YYYY-MM-DD[T ]HH:MM[:SS[.f]][ ][Z|±HH[:MM]][ zone]`.
fn parse_datetime(t: &str) -> Option<i64> {
    let b = t.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = t.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten()
    };
    if b.len() < 16 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi) = (num(11..13)?, num(14..16)?);
    if b[13] != b':' {
        return None;
    }
    let mut i = 16;
    let mut s = 0;
    let mut frac_ms = 0;
    if b.get(i) == Some(&b':') {
        s = num(i + 1..i + 3)?;
        i += 3;
        if b.get(i) == Some(&b'.') {
            let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            let frac = &t[i + 1..i + 1 + digits];
            frac_ms = format!("{frac:0<3}")[..3].parse().ok()?;
            i += 1 + digits;
        }
    }
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let zone = t[i..].trim_start();
    let zone = zone.split_whitespace().next().unwrap_or("");
    let offset_min = match zone {
        "" | "Z" | "z" | "UTC" | "GMT" => 0,
        z if z.starts_with(['+', '-']) => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let digits: String = z[1..].chars().filter(|c| *c != ':').collect();
            if !digits.bytes().all(|c| c.is_ascii_digit()) || digits.len() < 2 {
                return None;
            }
            let hh: i64 = digits[..2].parse().ok()?;
            let mm: i64 = digits.get(2..4).map_or(Some(0), |m| m.parse().ok())?;
            sign * (hh * 60 + mm)
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    Some((((days * 24 + h) * 60 + mi - offset_min) * 60 + s) * 1000 + frac_ms)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checksum::Checksum;
    use crate::ledger::CompatRow;
    use crate::migration::{Format, Migration, Script, TxMode};
    use std::path::PathBuf;

    fn source(versions: &[Version]) -> Source {
        Source {
            dir: PathBuf::from("m"),
            migrations: versions
                .iter()
                .map(|&v| Migration {
                    version: v,
                    name: format!("m{v}"),
                    up: Some(Script {
                        path: PathBuf::from("x.sql"),
                        sql: format!("-- up {v}"),
                        offset: 0,
                        first_line: 1,
                        mode: TxMode::Transaction,
                        mode_reason: None,
                        statements: None,
                        lock_timeout: None,
                        statement_timeout: None,
                        batchable: true,
                        streamed: None,
                    }),
                    down: None,
                    checksum: Checksum::of(format!("-- up {v}").as_bytes()),
                    down_checksum: None,
                    format: Format::Pair,
                    allow_out_of_order: false,
                })
                .collect(),
            ignored: vec![],
            warnings: vec![],
        }
    }

    fn table(columns: &[&str], rows: &[&[Option<&str>]]) -> RawTable {
        RawTable {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: rows
                .iter()
                .map(|r| r.iter().map(|v| v.map(str::to_string)).collect())
                .collect(),
        }
    }

    fn request(tool: Tool) -> AdoptRequest {
        AdoptRequest {
            tool,
            table: None,
            compat_table: "schema_migrations".into(),
            force: false,
            ignore_unmatched: false,
        }
    }

    fn versions(rows: &[ForeignRow]) -> Vec<Option<Version>> {
        rows.iter().map(|r| r.version).collect()
    }

    #[test]
    fn goose_newest_row_per_version_decides_and_its_first_row_is_skipped() {
        let t = table(
            &["id", "version_id", "is_applied", "tstamp"],
            &[
                &[
                    Some("1"),
                    Some("0"),
                    Some("true"),
                    Some("2024-01-01 00:00:00"),
                ],
                &[
                    Some("2"),
                    Some("1"),
                    Some("true"),
                    Some("2024-01-02 03:04:05"),
                ],
                &[Some("5"), Some("3"), Some("false"), None],
                &[Some("3"), Some("2"), Some("t"), Some("2024-01-03 00:00:00")],
                &[Some("4"), Some("3"), Some("1"), Some("2024-01-04 00:00:00")],
            ],
        );
        let rows = foreign_rows(Tool::Goose, &t).unwrap();
        assert_eq!(
            versions(&rows),
            [Some(1), Some(2)],
            "3 was reverted by row 5"
        );
        assert_eq!(
            rows[0].applied_at.as_deref(),
            Some("2024-01-02T03:04:05.000Z")
        );
    }

    #[test]
    fn sqlx_and_flyway_keep_only_successful_versioned_rows() {
        let t = table(
            &[
                "version",
                "description",
                "installed_on",
                "success",
                "execution_time",
            ],
            &[
                &[
                    Some("1"),
                    Some("init"),
                    Some("2024-01-02 03:04:05+00"),
                    Some("true"),
                    Some("5000000"),
                ],
                &[Some("2"), Some("two"), None, Some("false"), None],
            ],
        );
        let rows = foreign_rows(Tool::Sqlx, &t).unwrap();
        assert_eq!(versions(&rows), [Some(1)]);
        assert_eq!(
            (rows[0].key.as_str(), rows[0].duration_ms),
            ("1 init", Some(5))
        );
        let t = table(
            &[
                "installed_rank",
                "version",
                "description",
                "type",
                "installed_by",
                "success",
            ],
            &[
                &[
                    Some("1"),
                    Some("0"),
                    Some("<< Flyway Schema Creation >>"),
                    Some("SCHEMA"),
                    Some("x"),
                    Some("1"),
                ],
                &[
                    Some("2"),
                    Some("1"),
                    Some("init"),
                    Some("SQL"),
                    Some("alice"),
                    Some("1"),
                ],
                &[
                    Some("3"),
                    None,
                    Some("view"),
                    Some("SQL"),
                    Some("alice"),
                    Some("1"),
                ],
                &[
                    Some("4"),
                    Some("2"),
                    Some("two"),
                    Some("SQL"),
                    Some("bob"),
                    Some("0"),
                ],
                &[
                    Some("5"),
                    Some("1.1"),
                    Some("dotted"),
                    Some("SQL"),
                    Some("bob"),
                    Some("1"),
                ],
            ],
        );
        let rows = foreign_rows(Tool::Flyway, &t).unwrap();
        assert_eq!(versions(&rows), [None, Some(1)]);
        assert_eq!(rows[1].applied_by.as_deref(), Some("alice"));
        assert_eq!(rows[0].key, "1.1 dotted");
    }

    #[test]
    fn sql_migrate_and_knex_take_the_leading_digits_and_knex_keeps_batches() {
        let t = table(
            &["id", "applied_at"],
            &[
                &[Some("1_init.sql"), Some("2024-01-02T03:04:05Z")],
                &[Some("notes.sql"), None],
            ],
        );
        let rows = foreign_rows(Tool::SqlMigrate, &t).unwrap();
        assert_eq!(versions(&rows), [None, Some(1)]);
        let t = table(
            &["id", "name", "batch", "migration_time"],
            &[&[
                Some("1"),
                Some("20240101_init.js"),
                Some("2"),
                Some("1704067200000"),
            ]],
        );
        let rows = foreign_rows(Tool::Knex, &t).unwrap();
        assert_eq!(
            (
                rows[0].version,
                rows[0].batch,
                rows[0].applied_at.as_deref()
            ),
            (Some(20240101), Some(2), Some("2024-01-01T00:00:00.000Z"))
        );
    }

    #[test]
    fn a_foreign_compat_table_is_named_with_the_ways_out() {
        let cols = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            foreign_compat_table("schema_migrations", &cols(&["version", "dirty"])),
            None
        );
        assert_eq!(
            foreign_compat_table("schema_migrations", &cols(&["VERSION", "Dirty"])),
            None
        );
        let m = foreign_compat_table("schema_migrations", &cols(&["version"])).unwrap();
        assert!(
            m.starts_with("schema_migrations has dbmate's layout (columns: version)"),
            "{m}"
        );
        assert!(m.contains("`strata adopt --from dbmate`"), "{m}");
        assert!(m.contains("x-migrations-table=strata_migrations"), "{m}");
        let m = foreign_compat_table("t", &cols(&["version_id", "is_applied", "tstamp"])).unwrap();
        assert!(m.starts_with("t has goose's layout"), "{m}");
        let m = foreign_compat_table("t", &cols(&["a", "b"])).unwrap();
        assert!(
            m.starts_with("t is not golang-migrate's table (columns: a, b;"),
            "{m}"
        );
        assert!(m.contains("x-migrations-table=NAME"), "{m}");
    }

    #[test]
    fn layouts_are_checked_and_golang_migrates_table_is_not_dbmates() {
        let gm = table(&["version", "dirty"], &[&[Some("3"), Some("false")]]);
        let err = foreign_rows(Tool::Dbmate, &gm).unwrap_err();
        assert_eq!(err, LayoutError::GolangMigrateTable);
        let err = foreign_rows(Tool::Goose, &gm).unwrap_err().to_string();
        assert!(err.contains("no column version_id, is_applied"), "{err}");
        let dbmate = table(&["version"], &[&[Some("20240101120000")]]);
        assert_eq!(
            versions(&foreign_rows(Tool::Dbmate, &dbmate).unwrap()),
            [Some(20240101120000)]
        );
    }

    fn row(v: Version) -> ForeignRow {
        ForeignRow {
            key: v.to_string(),
            version: Some(v),
            batch: None,
            applied_at: Some("2024-01-02T03:04:05.000Z".into()),
            applied_by: None,
            duration_ms: None,
        }
    }

    #[test]
    fn plan_adopt_records_adopted_rows_logs_each_and_sets_compat_to_the_highest() {
        let src = source(&[1, 2, 3]);
        let mut two = row(2);
        two.batch = Some(4);
        two.applied_by = Some("alice".into());
        let p = plan_adopt(
            &src,
            &LedgerState::default(),
            &[row(1), two],
            &request(Tool::Knex),
            "t",
            "me",
        )
        .unwrap();
        assert_eq!(p.adopted, [1, 2]);
        let inserted: Vec<_> = p
            .writes
            .iter()
            .filter_map(|w| match w {
                LedgerWrite::Insert(r) => Some((
                    r.version,
                    r.origin,
                    r.batch,
                    r.applied_by.as_str(),
                    r.applied_at.as_str(),
                )),
                _ => None,
            })
            .collect();
        assert_eq!(
            inserted,
            [
                (1, Origin::Adopted, 0, "me", "2024-01-02T03:04:05.000Z"),
                (2, Origin::Adopted, 4, "alice", "2024-01-02T03:04:05.000Z")
            ]
        );
        let logs: Vec<_> = p
            .writes
            .iter()
            .filter_map(|w| match w {
                LedgerWrite::Log(e) => Some(e),
                _ => None,
            })
            .collect();
        assert_eq!(logs.len(), 2);
        assert!(logs
            .iter()
            .all(|e| e.action == Action::Adopt && e.detail.contains("knex")));
        assert_eq!(
            p.writes.last(),
            Some(&LedgerWrite::SetCompat(Some(CompatRow {
                version: 2,
                dirty: false
            })))
        );
    }

    #[test]
    fn plan_adopt_lists_unmatched_rows_unless_ignored() {
        let src = source(&[1, 2]);
        let mut none = row(0);
        none.version = None;
        none.key = "notes.sql".into();
        let rows = [row(1), row(9), none];
        let err = plan_adopt(
            &src,
            &LedgerState::default(),
            &rows,
            &request(Tool::SqlMigrate),
            "gorp_migrations",
            "me",
        )
        .unwrap_err();
        assert_eq!(err.len(), 2, "{err:?}");
        assert!(
            err[0].to_string().contains("\"9\"") && err[0].to_string().contains("gorp_migrations"),
            "{}",
            err[0]
        );
        assert!(
            matches!(&err[1], Conflict::Unmatched { key, version: None, .. } if key == "notes.sql")
        );
        let ignore = AdoptRequest {
            ignore_unmatched: true,
            ..request(Tool::SqlMigrate)
        };
        let p = plan_adopt(&src, &LedgerState::default(), &rows, &ignore, "t", "me").unwrap();
        assert_eq!(p.adopted, [1]);
        assert_eq!(p.unmatched.len(), 2);
    }

    #[test]
    fn plan_adopt_refuses_a_tracked_database_unless_forced_and_keeps_existing_rows() {
        let src = source(&[1, 2, 3]);
        let state = LedgerState {
            compat: compat_for(Some(1)),
            applied: vec![ledger_row(&src.migrations[0], 1, 0, "x", Origin::Applied)],
            reached: None,
        };
        let err = plan_adopt(
            &src,
            &state,
            &[row(1), row(2)],
            &request(Tool::Goose),
            "t",
            "me",
        )
        .unwrap_err();
        assert_eq!(
            err,
            vec![Conflict::AlreadyTracked {
                rows: 1,
                version: Some(1)
            }]
        );
        let forced = AdoptRequest {
            force: true,
            ..request(Tool::Goose)
        };
        let p = plan_adopt(&src, &state, &[row(1), row(2)], &forced, "t", "me").unwrap();
        assert_eq!(
            (p.adopted.as_slice(), p.kept.as_slice()),
            (&[2][..], &[1][..])
        );
        assert!(!p
            .writes
            .iter()
            .any(|w| matches!(w, LedgerWrite::Insert(r) if r.version == 1)));
        // golang-migrate's row alone is tracked too; forced, its versions are adopted first.
        let gm = LedgerState {
            compat: compat_for(Some(2)),
            applied: vec![],
            reached: None,
        };
        assert!(plan_adopt(&src, &gm, &[row(3)], &request(Tool::Goose), "t", "me").is_err());
        let p = plan_adopt(&src, &gm, &[row(3)], &forced, "t", "me").unwrap();
        assert_eq!(p.adopted, [3]);
        assert_eq!(
            p.writes
                .iter()
                .filter(|w| matches!(w, LedgerWrite::Insert(_)))
                .count(),
            3
        );
    }

    #[test]
    fn plan_adopt_of_an_empty_table_writes_nothing() {
        let p = plan_adopt(
            &source(&[1]),
            &LedgerState::default(),
            &[],
            &request(Tool::Dbmate),
            "t",
            "me",
        )
        .unwrap();
        assert!(p.writes.is_empty() && p.adopted.is_empty());
    }

    #[test]
    fn timestamps_are_normalised_to_utc() {
        let n = |s: &str| normalize_timestamp(s);
        assert_eq!(
            n("2024-02-29T23:30:00+01:00").as_deref(),
            Some("2024-02-29T22:30:00.000Z")
        );
        assert_eq!(
            n("2024-03-01 00:30:00.123456789 +0100 UTC").as_deref(),
            Some("2024-02-29T23:30:00.123Z")
        );
        assert_eq!(
            n("1999-12-31 23:59:59-0130").as_deref(),
            Some("2000-01-01T01:29:59.000Z")
        );
        assert_eq!(
            n("2024-01-02T03:04:05.000Z").as_deref(),
            Some("2024-01-02T03:04:05.000Z")
        );
        assert_eq!(n("1700000000").as_deref(), Some("2023-11-14T22:13:20.000Z"));
        assert_eq!(
            n("2024-01-02 03:04").as_deref(),
            Some("2024-01-02T03:04:00.000Z")
        );
        for bad in [
            "",
            "yesterday",
            "2024-13-01 00:00:00",
            "2024-01-02 03:04:05 nowhere",
        ] {
            assert_eq!(n(bad), None, "{bad}");
        }
        for days in [-719_468, -1, 0, 11_016, 19_782, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
