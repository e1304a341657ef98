//! Which objects a step of `verify` touched, so the schema after it is the schema before it with
//! only those objects read again.
//!
//! Event triggers (`ddl_command_end`, `sql_drop`) log every DDL command into a temporary table.
//! They are created inside `verify`'s transaction, so its rollback removes them with everything
//! else (on a scratch database they are committed, and dropped at the end); creating them needs
//! a superuser, and without one every step takes a full snapshot.
//! Savepoints undo the log with the schema: after `ROLLBACK TO SAVEPOINT` the log is again what
//! it was when the schema was what the caller holds.
//!
//! Each logged object is traced to the snapshot entry that holds it (an index to its table, a
//! default to its table, a domain check to its domain), and so is every object that depends on
//! it (a view over a table whose column was renamed prints the new name). Anything that cannot
//! be traced that way (a renamed table, a schema renamed, an extension, a `GRANT`, an operator)
//! makes the step take a full snapshot instead: correctness first.

use super::catalog::{self, Scope};
use super::prepared::Prepared;
use postgres::types::Type;
use postgres::Client;
use std::collections::BTreeSet;

const TEXT_ARRAY: Type = Type::TEXT_ARRAY;
use strata_core::schema::{Entries, Named, Refreshed, Snapshot};

/// The log and the two event trigger functions (all temporary objects).
const SETUP: &str = r#"
CREATE TEMPORARY TABLE strata_verify_log (
    id bigserial PRIMARY KEY, dropped boolean NOT NULL, classid oid, objid oid, tag text,
    object_type text, schema_name text, object_name text, address_names text[]);
-- A migration may SET ROLE: the log stays writable (only this session sees a temporary table).
GRANT ALL ON pg_temp.strata_verify_log TO PUBLIC;
GRANT ALL ON SEQUENCE pg_temp.strata_verify_log_id_seq TO PUBLIC;
CREATE FUNCTION pg_temp.strata_verify_ddl() RETURNS event_trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog AS $f$
BEGIN
    INSERT INTO pg_temp.strata_verify_log (dropped, classid, objid, tag)
    SELECT false, classid, objid, command_tag FROM pg_event_trigger_ddl_commands();
END $f$;
CREATE FUNCTION pg_temp.strata_verify_drop() RETURNS event_trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog AS $f$
BEGIN
    INSERT INTO pg_temp.strata_verify_log (dropped, classid, objid, tag, object_type,
        schema_name, object_name, address_names)
    SELECT true, classid, objid, NULL, object_type, schema_name, object_name, address_names
    FROM pg_event_trigger_dropped_objects();
END $f$;
"#;

/// What the log holds past the mark (`strata.verify_mark`, then moved to the end), each logged
/// object (and each object depending on it) traced to its owner: the table, view, sequence,
/// type or function a snapshot keeps it under (`rel`, `type`, `func`), `schema`, `full`
/// (cannot be traced), or none (gone since). One set-based query (no function call per row),
/// prepared, with no parameter (so never planned per call).
///
/// Its first row holds the session's `search_path` and `plan_cache_mode`, which it sets for the
/// catalog reader (empty, and generic plans: a custom plan would be made on every call); the
/// caller restores them.
///
/// The log is never deleted from (inside one transaction deleted rows stay behind as dead rows
/// every later read would scan). The mark is a setting, so a rollback to a savepoint takes it
/// back with the rows logged since; ids come from a sequence, which a rollback does not take
/// back, so newer rows never reuse those ids.
const DRAIN: &str = r#"
WITH path AS MATERIALIZED (
    SELECT pg_catalog.current_setting('search_path') AS saved,
        pg_catalog.current_setting('plan_cache_mode') AS plans,
        pg_catalog.current_setting('strata.verify_mark')::int8 AS mark),
cleared AS MATERIALIZED (
    SELECT pg_catalog.set_config('search_path', '', false),
        pg_catalog.set_config('plan_cache_mode', 'force_generic_plan', false) FROM path),
gone AS (
    -- Each id past the mark, looked up in the index: a scan with `id > mark` would read the
    -- whole log, since the planner has no statistics to tell how little is new.
    SELECT l.* FROM pg_catalog.generate_series((SELECT mark FROM path) + 1,
        (SELECT last_value FROM pg_temp.strata_verify_log_id_seq)) s(i),
    LATERAL (SELECT * FROM pg_temp.strata_verify_log x WHERE x.id = s.i OFFSET 0) l),
seen AS (
    SELECT 'ddl'::text AS source, g.tag, g.classid, g.objid FROM gone g WHERE NOT g.dropped
    UNION ALL
    -- Row by row through the index (OFFSET keeps it from becoming a scan of pg_depend).
    SELECT DISTINCT 'dep', NULL::text, d.classid, d.objid FROM gone g,
    LATERAL (SELECT x.classid, x.objid FROM pg_catalog.pg_depend x
             WHERE x.refclassid = g.classid AND x.refobjid = g.objid AND x.deptype <> 'e'
             OFFSET 0) d
    WHERE NOT g.dropped),
part AS MATERIALIZED (
    SELECT s.*,
        CASE s.classid
            WHEN 'pg_catalog.pg_class'::pg_catalog.regclass THEN s.objid
            WHEN 'pg_catalog.pg_constraint'::pg_catalog.regclass THEN
                (SELECT nullif(k.conrelid, 0) FROM pg_catalog.pg_constraint k WHERE k.oid = s.objid)
            WHEN 'pg_catalog.pg_trigger'::pg_catalog.regclass THEN
                (SELECT t.tgrelid FROM pg_catalog.pg_trigger t WHERE t.oid = s.objid)
            WHEN 'pg_catalog.pg_policy'::pg_catalog.regclass THEN
                (SELECT p.polrelid FROM pg_catalog.pg_policy p WHERE p.oid = s.objid)
            WHEN 'pg_catalog.pg_attrdef'::pg_catalog.regclass THEN
                (SELECT a.adrelid FROM pg_catalog.pg_attrdef a WHERE a.oid = s.objid)
            WHEN 'pg_catalog.pg_rewrite'::pg_catalog.regclass THEN
                (SELECT r.ev_class FROM pg_catalog.pg_rewrite r WHERE r.oid = s.objid)
        END AS rel,
        CASE s.classid
            WHEN 'pg_catalog.pg_constraint'::pg_catalog.regclass THEN
                (SELECT nullif(k.contypid, 0) FROM pg_catalog.pg_constraint k WHERE k.oid = s.objid)
            WHEN 'pg_catalog.pg_type'::pg_catalog.regclass THEN s.objid
        END AS typ
    FROM seen s),
-- A table's row type stands for the table.
owner AS MATERIALIZED (
    SELECT p.*, CASE WHEN p.typ IS NULL THEN p.rel ELSE
        (SELECT c.oid FROM pg_catalog.pg_type t JOIN pg_catalog.pg_class c ON c.oid = t.typrelid
         WHERE t.oid = p.typ AND c.relkind <> 'c') END AS owner_rel
    FROM part p),
-- Each lookup is by oid, row by row (LIMIT keeps the planner from turning it into a join
-- that scans a whole catalog).
traced AS (
    SELECT o.source, o.tag, o.classid, o.objid,
        CASE
            WHEN coalesce(o.classid, 0) = 0 THEN 'full'
            WHEN o.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass THEN
                CASE WHEN f.oid IS NOT NULL THEN 'func' END
            WHEN o.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass THEN 'schema'
            WHEN o.classid NOT IN ('pg_catalog.pg_class'::pg_catalog.regclass,
                'pg_catalog.pg_constraint'::pg_catalog.regclass,
                'pg_catalog.pg_trigger'::pg_catalog.regclass,
                'pg_catalog.pg_policy'::pg_catalog.regclass,
                'pg_catalog.pg_attrdef'::pg_catalog.regclass,
                'pg_catalog.pg_rewrite'::pg_catalog.regclass,
                'pg_catalog.pg_type'::pg_catalog.regclass) THEN 'full'
            WHEN o.typ IS NOT NULL AND o.owner_rel IS NULL THEN
                CASE WHEN ty.oid IS NOT NULL THEN 'type' END
            WHEN r.oid IS NOT NULL THEN CASE WHEN r.relkind = 'c' THEN 'type' ELSE 'rel' END
        END AS kind,
        coalesce(f.oid, ty.oid, CASE WHEN r.relkind = 'c' THEN r.reltype ELSE r.oid END) AS id,
        coalesce(f.nsp, ty.nsp, r.nsp) AS nsp,
        coalesce(f.name, ty.name, r.name) AS name
    FROM owner o
    LEFT JOIN LATERAL (
        SELECT x.oid, n.nspname::text AS nsp, x.proname::text AS name
        FROM pg_catalog.pg_proc x JOIN pg_catalog.pg_namespace n ON n.oid = x.pronamespace
        WHERE o.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND x.oid = o.objid
        LIMIT 1) f ON true
    LEFT JOIN LATERAL (
        SELECT x.oid, n.nspname::text AS nsp, x.typname::text AS name
        FROM pg_catalog.pg_type x JOIN pg_catalog.pg_namespace n ON n.oid = x.typnamespace
        WHERE o.owner_rel IS NULL AND x.oid = o.typ
        LIMIT 1) ty ON true
    LEFT JOIN LATERAL (
        SELECT x.oid, x.relkind, x.reltype, n.nspname::text AS nsp, x.relname::text AS name
        FROM pg_catalog.pg_class x JOIN pg_catalog.pg_namespace n ON n.oid = x.relnamespace
        WHERE x.oid = coalesce((SELECT i.indrelid FROM pg_catalog.pg_index i
                                WHERE i.indexrelid = o.owner_rel), o.owner_rel)
          AND x.relkind <> 't'
        LIMIT 1) r ON true)
-- First: the session's search path, which it then empties for the catalog reader.
SELECT 'path', p.saved, false, NULL, NULL, p.plans, NULL, NULL,
    pg_catalog.set_config('strata.verify_mark',
        (SELECT last_value FROM pg_temp.strata_verify_log_id_seq)::text, false), NULL, NULL
FROM path p, cleared
UNION ALL
SELECT t.source, t.tag,
    t.source = 'ddl' AND t.classid IN ('pg_catalog.pg_class'::pg_catalog.regclass,
        'pg_catalog.pg_type'::pg_catalog.regclass, 'pg_catalog.pg_proc'::pg_catalog.regclass)
        AND t.objid = t.id,
    t.kind,
    CASE WHEN t.kind IN ('rel', 'type', 'func') THEN t.id END,
    CASE WHEN t.kind IN ('rel', 'type', 'func') THEN t.nsp END,
    CASE WHEN t.kind IN ('rel', 'type', 'func') THEN t.name END,
    NULL::text, NULL::text, NULL::text[], NULL::int8
FROM traced t
UNION ALL
SELECT 'drop', NULL, false, NULL, NULL, g.schema_name, g.object_name, g.object_type, NULL,
    g.address_names, NULL
FROM gone g WHERE g.dropped
"#;

/// Start logging DDL (inside the caller's transaction). `false`: the role may not create event
/// triggers (or they do not fire), nothing was left behind.
pub(super) fn install(c: &mut Client) -> Result<bool, postgres::Error> {
    c.batch_execute("SAVEPOINT strata_verify_track")?;
    let pid: i32 = c
        .query_one("SELECT pg_catalog.pg_backend_pid()", &[])?
        .get(0);
    let triggers = format!(
        "CREATE EVENT TRIGGER strata_verify_ddl_{pid} ON ddl_command_end \
           EXECUTE FUNCTION pg_temp.strata_verify_ddl();
         ALTER EVENT TRIGGER strata_verify_ddl_{pid} ENABLE ALWAYS;
         CREATE EVENT TRIGGER strata_verify_drop_{pid} ON sql_drop \
           EXECUTE FUNCTION pg_temp.strata_verify_drop();
         ALTER EVENT TRIGGER strata_verify_drop_{pid} ENABLE ALWAYS;
         COMMENT ON TABLE pg_temp.strata_verify_log IS NULL;"
    );
    let made = c
        .batch_execute(SETUP)
        .and_then(|()| c.batch_execute(&triggers));
    // The comment above is a probe: event triggers may be switched off (`event_triggers`).
    let fired = match made {
        Ok(()) => {
            let row = c.query_one(
                "SELECT is_called, pg_catalog.set_config('strata.verify_mark', \
                   last_value::text, false) FROM pg_temp.strata_verify_log_id_seq",
                &[],
            )?;
            row.get::<_, bool>(0)
        }
        Err(_) => false,
    };
    if fired {
        c.batch_execute("RELEASE SAVEPOINT strata_verify_track")?;
    } else {
        c.batch_execute(
            "ROLLBACK TO SAVEPOINT strata_verify_track; RELEASE SAVEPOINT strata_verify_track",
        )?;
    }
    Ok(fired)
}

/// Stop logging: drop the event triggers where a commit kept them (a scratch database; after a
/// rollback they are already gone).
pub(super) fn uninstall(c: &mut Client) -> Result<(), postgres::Error> {
    let pid: i32 = c
        .query_one("SELECT pg_catalog.pg_backend_pid()", &[])?
        .get(0);
    c.batch_execute(&format!(
        "SET client_min_messages = warning;
         DROP EVENT TRIGGER IF EXISTS strata_verify_ddl_{pid};
         DROP EVENT TRIGGER IF EXISTS strata_verify_drop_{pid};
         DROP TABLE IF EXISTS pg_temp.strata_verify_log;
         RESET client_min_messages;"
    ))
}

/// Forget what the log holds (a full snapshot is about to be taken).
pub(super) fn clear(c: &mut Client) -> Result<(), postgres::Error> {
    c.batch_execute(
        "SELECT pg_catalog.set_config('strata.verify_mark', last_value::text, false) \
         FROM pg_temp.strata_verify_log_id_seq",
    )
}

/// The session settings a drain changed for the catalog reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Saved {
    search_path: String,
    plan_cache_mode: String,
}

impl Saved {
    /// The SQL that puts them back.
    pub(super) fn restore_sql(&self) -> String {
        format!(
            "SELECT pg_catalog.set_config('search_path', {}, false), \
             pg_catalog.set_config('plan_cache_mode', {}, false)",
            super::sql::quote_literal(&self.search_path),
            super::sql::quote_literal(&self.plan_cache_mode)
        )
    }
}

/// Bring `schema` up to date, when it was the schema at the last drain: only the touched
/// entries are read again, or everything when the log says something that cannot be traced.
/// Leaves the settings the drain changed for the reader: the caller restores them.
pub(super) fn refresh(
    c: &mut Client,
    prepared: &mut Prepared,
    exclude: &[(String, String)],
    schema: &mut Snapshot,
) -> Result<(Refreshed, Option<Saved>), postgres::Error> {
    let rows = prepared.query(c, DRAIN, &[], &[])?;
    let (path, rows) = match rows.split_first() {
        Some((first, rest)) => (
            Some(Saved {
                search_path: first.get(1),
                plan_cache_mode: first.get(5),
            }),
            rest,
        ),
        None => (None, &rows[..]),
    };
    let events: Vec<Event> = rows.iter().map(Event::from_row).collect();
    refreshed(c, prepared, exclude, schema, &events).map(|r| (r, path))
}

fn refreshed(
    c: &mut Client,
    prepared: &mut Prepared,
    exclude: &[(String, String)],
    schema: &mut Snapshot,
    events: &[Event],
) -> Result<Refreshed, postgres::Error> {
    let (targets, schemas) = match plan(schema, events) {
        Plan::Same => {
            return Ok(Refreshed {
                entries: Entries::none(),
                before: Snapshot::default(),
            })
        }
        Plan::Full => {
            let now = catalog::snapshot(c, exclude)?;
            return Ok(Refreshed {
                entries: Entries::All,
                before: std::mem::replace(schema, now),
            });
        }
        Plan::Patch { targets, schemas } => (targets, schemas),
    };
    let entries = entries(&targets, schemas);
    let before = schema.take(&entries);
    let mut scope = Scope {
        schemas,
        ..Scope::default()
    };
    if !targets.is_empty() {
        let pick = |k: Kind| -> (Vec<&str>, Vec<&str>) {
            targets
                .iter()
                .filter(|t| t.kind == k)
                .map(|t| (t.schema.as_str(), t.name.as_str()))
                .unzip()
        };
        let (rs, rn) = pick(Kind::Rel);
        let (ts, tn) = pick(Kind::Type);
        let (fs, fname) = pick(Kind::Func);
        for r in prepared.query(
            c,
            "SELECT 'r', c.oid FROM unnest($1::text[], $2::text[]) k(s, n) \
               JOIN pg_catalog.pg_namespace n ON n.nspname = k.s \
               JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = k.n \
             UNION ALL SELECT 't', t.oid FROM unnest($3::text[], $4::text[]) k(s, n) \
               JOIN pg_catalog.pg_namespace n ON n.nspname = k.s \
               JOIN pg_catalog.pg_type t ON t.typnamespace = n.oid AND t.typname = k.n \
             UNION ALL SELECT 'f', p.oid FROM unnest($5::text[], $6::text[]) k(s, n) \
               JOIN pg_catalog.pg_namespace n ON n.nspname = k.s \
               JOIN pg_catalog.pg_proc p ON p.pronamespace = n.oid AND p.proname = k.n",
            &[TEXT_ARRAY; 6],
            &[&rs, &rn, &ts, &tn, &fs, &fname],
        )? {
            let oid: u32 = r.get(1);
            match r.get::<_, &str>(0) {
                "r" => scope.rels.push(oid),
                "t" => scope.types.push(oid),
                _ => scope.procs.push(oid),
            }
        }
    }
    if scope.schemas || !scope.rels.is_empty() || !scope.types.is_empty() || !scope.procs.is_empty()
    {
        // Else only removals: what was dropped is gone.
        schema.put(catalog::read_scoped_in_empty_path(
            c, prepared, exclude, &scope,
        )?);
    }
    Ok(Refreshed { entries, before })
}

/// The snapshot entries `targets` name (and the schema-level maps, when `schemas`).
fn entries(targets: &BTreeSet<Target>, schemas: bool) -> Entries {
    let mut named = Named {
        schemas,
        ..Named::default()
    };
    for t in targets {
        match t.kind {
            Kind::Rel => &mut named.rels,
            Kind::Type => &mut named.types,
            Kind::Func => &mut named.funcs,
        }
        .insert(t.key());
    }
    Entries::Some(named)
}

/// Where a logged row came from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// `ddl_command_end`: an object created or changed (it exists, or was dropped later).
    Ddl,
    /// An object depending on one created or changed.
    Dependent,
    /// `sql_drop`: an object dropped.
    Drop,
}

/// One row of the drained log.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Event {
    source: Source,
    /// The command tag (`CREATE TABLE`, `ALTER TABLE`, ...).
    tag: Option<String>,
    /// The command is about the owner itself (not one of its parts).
    is_owner: bool,
    /// `rel`, `type`, `func`, `schema`, `full` (cannot be traced) or none (gone since).
    kind: Option<String>,
    /// The owner's oid.
    id: Option<u32>,
    /// The owner's schema (for a drop: the dropped object's).
    schema: Option<String>,
    /// The owner's name (for a drop: the dropped object's, when it has one of its own).
    name: Option<String>,
    /// For a drop: what kind of object (`table`, `index`, `table column`, ...).
    object_type: Option<String>,
    /// For a drop: its address (`[schema, table, column]`, ...).
    address: Vec<String>,
}

impl Event {
    fn from_row(r: &postgres::Row) -> Event {
        Event {
            source: match r.get::<_, &str>(0) {
                "ddl" => Source::Ddl,
                "dep" => Source::Dependent,
                _ => Source::Drop,
            },
            tag: r.get(1),
            is_owner: r.get::<_, Option<bool>>(2).unwrap_or(false),
            kind: r.get(3),
            id: r.get(4),
            schema: r.get(5),
            name: r.get(6),
            object_type: r.get(7),
            address: r.get::<_, Option<Vec<String>>>(9).unwrap_or_default(),
        }
    }
}

/// What kind of snapshot entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// A table, view or sequence.
    Rel,
    /// A type.
    Type,
    /// Functions and procedures of one name (all their overloads).
    Func,
}

/// A snapshot entry to read again.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Target {
    kind: Kind,
    schema: String,
    name: String,
}

impl Target {
    fn key(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    fn in_snapshot(&self, s: &Snapshot) -> bool {
        let key = self.key();
        match self.kind {
            Kind::Rel => {
                s.tables.contains_key(&key)
                    || s.views.contains_key(&key)
                    || s.sequences.contains_key(&key)
            }
            Kind::Type => s.types.contains_key(&key),
            Kind::Func => {
                let prefix = format!("{key}(");
                s.functions
                    .range(prefix.clone()..)
                    .next()
                    .is_some_and(|(k, _)| k.starts_with(&prefix))
            }
        }
    }
}

/// What to do after a step.
#[derive(Debug, PartialEq, Eq)]
enum Plan {
    /// Nothing logged: the schema is `base`.
    Same,
    /// Take a full snapshot.
    Full,
    /// Read these entries again (and the schemas, when `schemas`).
    Patch {
        targets: BTreeSet<Target>,
        schemas: bool,
    },
}

/// A system schema: nothing in it is in a snapshot.
fn system(schema: &str) -> bool {
    schema.starts_with("pg_") || schema == "information_schema"
}

/// From the drained log, what to read again. Pure.
fn plan(base: &Snapshot, events: &[Event]) -> Plan {
    if events.is_empty() {
        return Plan::Same;
    }
    // Owners created in this step (by a command about themselves).
    let created: BTreeSet<(String, u32)> = events
        .iter()
        .filter(|e| e.source == Source::Ddl && e.is_owner)
        .filter(|e| e.tag.as_deref().is_some_and(|t| t.starts_with("CREATE")))
        .filter_map(|e| Some((e.kind.clone()?, e.id?)))
        .collect();
    let mut targets = BTreeSet::new();
    let mut schemas = false;
    for e in events {
        let target = |kind| {
            Some(Target {
                kind,
                schema: e.schema.clone()?,
                name: e.name.clone()?,
            })
        };
        match e.source {
            Source::Ddl | Source::Dependent => {
                let kind = match e.kind.as_deref() {
                    None => continue,
                    Some("rel") => Kind::Rel,
                    Some("type") => Kind::Type,
                    Some("func") => Kind::Func,
                    Some("schema") if e.tag.as_deref() == Some("ALTER SCHEMA") => {
                        return Plan::Full
                    }
                    Some("schema") => {
                        schemas = true;
                        continue;
                    }
                    Some(_) if e.source == Source::Dependent => continue,
                    Some(_) => return Plan::Full,
                };
                let Some(t) = target(kind) else { continue };
                if system(&t.schema) {
                    continue;
                }
                // Known before, under another name: renamed, and the old name is not logged.
                let new = e
                    .kind
                    .clone()
                    .zip(e.id)
                    .is_some_and(|k| created.contains(&k));
                if e.source == Source::Ddl && !new && !t.in_snapshot(base) {
                    return Plan::Full;
                }
                targets.insert(t);
            }
            Source::Drop => {
                let schema = e.schema.clone().unwrap_or_default();
                if system(&schema) {
                    continue;
                }
                let owner = |kind: Kind| -> Option<Target> {
                    Some(Target {
                        kind,
                        schema: e.address.first()?.clone(),
                        name: e.address.get(1)?.clone(),
                    })
                };
                let t = match e.object_type.as_deref().unwrap_or_default() {
                    "table" | "view" | "materialized view" | "sequence" | "foreign table" => {
                        target(Kind::Rel)
                    }
                    "type" => target(Kind::Type),
                    "function" | "procedure" => owner(Kind::Func),
                    "table column" | "default value" | "table constraint" | "trigger"
                    | "policy" | "rule" => owner(Kind::Rel),
                    "index" => e
                        .name
                        .as_deref()
                        .and_then(|n| index_owner(base, &schema, n)),
                    "schema" => {
                        schemas = true;
                        None
                    }
                    _ => return Plan::Full,
                };
                targets.extend(t);
            }
        }
    }
    Plan::Patch { targets, schemas }
}

/// The table or materialized view in `base` that has index `schema.name`.
fn index_owner(base: &Snapshot, schema: &str, name: &str) -> Option<Target> {
    let owner = |n: &strata_core::schema::Name| Target {
        kind: Kind::Rel,
        schema: n.schema.clone(),
        name: n.name.clone(),
    };
    base.tables
        .values()
        .filter(|t| t.name.schema == schema && t.indexes.contains_key(name))
        .map(|t| owner(&t.name))
        .chain(
            base.views
                .values()
                .filter(|v| v.name.schema == schema && v.indexes.contains_key(name))
                .map(|v| owner(&v.name)),
        )
        .next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_core::schema::{Index, Name, Table};

    fn base() -> Snapshot {
        let mut s = Snapshot::default();
        let mut t = Table {
            name: Name::new("public", "users"),
            ..Table::default()
        };
        t.indexes.insert(
            "idx_a".into(),
            Index {
                name: "idx_a".into(),
                ..Index::default()
            },
        );
        s.tables.insert("public.users".into(), t);
        s
    }

    fn ddl(tag: &str, is_owner: bool, kind: &str, id: u32, name: &str) -> Event {
        Event {
            source: Source::Ddl,
            tag: Some(tag.into()),
            is_owner,
            kind: Some(kind.into()),
            id: Some(id),
            schema: Some("public".into()),
            name: Some(name.into()),
            object_type: None,
            address: vec![],
        }
    }

    fn dropped(object_type: &str, name: Option<&str>, address: &[&str]) -> Event {
        Event {
            source: Source::Drop,
            tag: None,
            is_owner: false,
            kind: None,
            id: None,
            schema: Some("public".into()),
            name: name.map(String::from),
            object_type: Some(object_type.into()),
            address: address.iter().map(|a| a.to_string()).collect(),
        }
    }

    fn rel(name: &str) -> Target {
        Target {
            kind: Kind::Rel,
            schema: "public".into(),
            name: name.into(),
        }
    }

    fn patch(targets: &[Target]) -> Plan {
        Plan::Patch {
            targets: targets.iter().cloned().collect(),
            schemas: false,
        }
    }

    #[test]
    fn nothing_logged_is_the_same_schema() {
        assert_eq!(plan(&base(), &[]), Plan::Same);
    }

    #[test]
    fn created_objects_and_changed_ones_are_read_again() {
        let events = [
            ddl("CREATE TABLE", true, "rel", 10, "t"),
            ddl("CREATE INDEX", false, "rel", 10, "t"),
            ddl("ALTER TABLE", true, "rel", 1, "users"),
        ];
        assert_eq!(plan(&base(), &events), patch(&[rel("t"), rel("users")]));
    }

    #[test]
    fn a_dropped_part_names_its_owner() {
        let events = [
            dropped("index", Some("idx_a"), &["public", "idx_a"]),
            dropped("trigger", None, &["public", "users", "trg"]),
        ];
        assert_eq!(plan(&base(), &events), patch(&[rel("users")]));
        // An index the snapshot does not hold (a constraint's) names nothing.
        let events = [dropped(
            "index",
            Some("users_pkey"),
            &["public", "users_pkey"],
        )];
        assert_eq!(plan(&base(), &events), patch(&[]));
    }

    #[test]
    fn a_rename_or_anything_untraceable_takes_a_full_snapshot() {
        // Changed, not created, and not in the snapshot under this name: renamed.
        let renamed = [ddl("ALTER TABLE", true, "rel", 1, "people")];
        assert_eq!(plan(&base(), &renamed), Plan::Full);
        let grant = [ddl("GRANT", false, "full", 0, "")];
        assert_eq!(plan(&base(), &grant), Plan::Full);
        let schema = [ddl("ALTER SCHEMA", true, "schema", 5, "app")];
        assert_eq!(plan(&base(), &schema), Plan::Full);
        let domain_check = [dropped("domain constraint", None, &["public.d"])];
        assert_eq!(plan(&base(), &domain_check), Plan::Full);
        // A dependent that cannot be traced is not in a snapshot: ignored.
        let mut dep = ddl("", false, "full", 0, "");
        dep.source = Source::Dependent;
        dep.tag = None;
        assert_eq!(plan(&base(), &[dep]), patch(&[]));
    }

    #[test]
    fn system_schemas_are_ignored_and_schema_changes_read_the_schemas() {
        let mut toast = dropped("toast table", Some("pg_toast_1"), &[]);
        toast.schema = Some("pg_toast".into());
        let mut schema = ddl("CREATE SCHEMA", true, "schema", 5, "app");
        schema.name = None;
        assert_eq!(
            plan(&base(), &[toast, schema]),
            Plan::Patch {
                targets: BTreeSet::new(),
                schemas: true
            }
        );
    }
}
