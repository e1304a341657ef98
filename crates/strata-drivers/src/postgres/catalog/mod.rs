//! Read a [`Snapshot`] from PostgreSQL's catalog: one query per kind of object, definitions as
//! the server prints them (`pg_get_indexdef`, `pg_get_constraintdef`, `pg_get_viewdef`,
//! `pg_get_functiondef`, `pg_get_triggerdef`, `format_type`).
//!
//! The queries run with an empty `search_path` (restored afterwards), so every name the server
//! prints is schema-qualified: the text is the same whatever search path the session had.
//! System schemas, objects belonging to extensions and the tables named in `exclude` (Strata's
//! ledger and log, golang-migrate's table) are left out. What a child gets from its parent
//! (inherited columns and constraints, a partition's copies of its parent's indexes, keys and
//! triggers) is read on the parent only: loading the parent's statements recreates it.

mod reader;

use super::prepared::Prepared;
use postgres::Client;
pub(super) use reader::Scope;
use reader::{Filter, Reader};
use std::collections::BTreeMap;
use strata_core::schema::{
    Column, Constraint, ConstraintKind, ForeignTable, Function, Index, Name, Policy, Sequence,
    Server, Snapshot, Table, Trigger, TypeDef, TypeKind, View,
};

/// Namespaces that hold user objects.
pub(super) const USER_NS: &str =
    "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') \
     AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'";

/// Not a member of an extension (`$CLASS` is the catalog holding the object).
pub(super) fn not_extension(class: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = '{class}'::regclass \
         AND e.objid = {oid} AND e.deptype = 'e')"
    )
}

/// The schema as the catalog has it, without the tables in `exclude` (`(schema, table)`).
pub fn snapshot(
    client: &mut Client,
    exclude: &[(String, String)],
) -> Result<Snapshot, postgres::Error> {
    // Read, then empty, in one query: the subquery runs first.
    let saved: String = client
        .query_typed(
            "SELECT s, pg_catalog.set_config('search_path', '', false) \
             FROM (SELECT pg_catalog.current_setting('search_path') AS s OFFSET 0) x",
            &[],
        )?
        .first()
        .map(|r| r.get(0))
        .unwrap_or_default();
    let scope = Scope::all();
    let mut reader = Reader::new(client, None, &scope);
    let read = read(&mut reader, exclude, &scope, Snapshot::default());
    let client = reader.into_client();
    let restored = client.query_typed(
        "SELECT pg_catalog.set_config('search_path', $1, false)",
        &[(&saved, postgres::types::Type::TEXT)],
    );
    let snapshot = read?;
    restored?;
    Ok(snapshot)
}

/// The objects in `scope`, read in one round trip, for a caller that has emptied `search_path`
/// itself (and restores it).
pub(super) fn read_scoped_in_empty_path(
    client: &mut Client,
    prepared: &mut Prepared,
    exclude: &[(String, String)],
    scope: &Scope,
) -> Result<Snapshot, postgres::Error> {
    let mut reader = Reader::new(client, Some(prepared), scope);
    reader.combined(|r| read(r, exclude, scope, Snapshot::default()))
}

/// Read the objects in `scope` into `s` (which must not hold them already).
fn read(
    c: &mut Reader<'_>,
    exclude: &[(String, String)],
    scope: &Scope,
    mut s: Snapshot,
) -> Result<Snapshot, postgres::Error> {
    if scope.schemas {
        schemas(c, &mut s)?;
    }
    if let Some(f) = scope.types("t.oid") {
        types(c, &mut s, &f)?;
    }
    if let Some(f) = scope.rels("c.oid") {
        tables(c, &mut s, exclude, &f)?;
        sequences(c, &mut s, exclude, &f)?;
        let version = c.version()?;
        views(c, &mut s, version, &f)?;
        indexes(c, &mut s, &f)?;
    }
    if let Some(f) = scope.procs("p.oid") {
        functions(c, &mut s, &f)?;
    }
    Ok(s)
}

fn schemas(c: &mut Reader<'_>, s: &mut Snapshot) -> Result<(), postgres::Error> {
    s.schemas.clear();
    s.extensions.clear();
    s.servers.clear();
    servers(c, s)?;
    let ns_ext = not_extension("pg_namespace", "n.oid");
    for r in c.rows(
        &format!(
            "SELECT n.nspname::text, pg_catalog.obj_description(n.oid, 'pg_namespace') \
             FROM pg_catalog.pg_namespace n WHERE {USER_NS} AND n.nspname <> 'public' AND {ns_ext}"
        ),
        None,
    )? {
        s.schemas.insert(r.get(0), r.get(1));
    }
    for r in c.rows(
        "SELECT e.extname::text, n.nspname::text FROM pg_catalog.pg_extension e \
         JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql'",
        None,
    )? {
        s.extensions.insert(r.get(0), r.get(1));
    }
    Ok(())
}

fn types(c: &mut Reader<'_>, s: &mut Snapshot, scope: &Filter) -> Result<(), postgres::Error> {
    let ext = not_extension("pg_type", "t.oid");
    let rows = c.rows(
        &format!(
            "SELECT n.nspname::text, t.typname::text, t.typtype::text, \
               pg_catalog.obj_description(t.oid, 'pg_type'), \
               ARRAY(SELECT enumlabel::text FROM pg_catalog.pg_enum WHERE enumtypid = t.oid ORDER BY enumsortorder), \
               ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum), \
               ARRAY(SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum), \
               CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END, \
               pg_catalog.pg_get_expr(t.typdefaultbin, 0), t.typnotnull, \
               ARRAY(SELECT k.conname::text FROM pg_catalog.pg_constraint k WHERE k.contypid = t.oid AND k.contype = 'c' ORDER BY k.conname), \
               ARRAY(SELECT pg_catalog.pg_get_constraintdef(k.oid) FROM pg_catalog.pg_constraint k WHERE k.contypid = t.oid AND k.contype = 'c' ORDER BY k.conname), \
               (SELECT pg_catalog.format_type(r.rngsubtype, NULL) FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid) \
             FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
             WHERE {USER_NS} AND {ext} AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND \
               (SELECT relkind FROM pg_catalog.pg_class WHERE oid = t.typrelid) = 'c')) AND {scope}"
        ),
        Some(scope),
    )?;
    for r in rows {
        let name = Name::new(r.get::<String>(0), r.get::<String>(1));
        let kind = match r.get::<String>(2).as_str() {
            "e" => TypeKind::Enum { labels: r.get(4) },
            "c" => {
                let names: Vec<String> = r.get(5);
                let types: Vec<String> = r.get(6);
                TypeKind::Composite {
                    attributes: names.into_iter().zip(types).collect(),
                }
            }
            "d" => {
                let names: Vec<String> = r.get(10);
                let defs: Vec<String> = r.get(11);
                TypeKind::Domain {
                    base: r.get(7),
                    default: r.get(8),
                    not_null: r.get(9),
                    checks: names.into_iter().zip(defs).collect(),
                }
            }
            _ => TypeKind::Range {
                subtype: r.get::<Option<String>>(12).unwrap_or_default(),
            },
        };
        s.types.insert(
            name.key(),
            TypeDef {
                name,
                kind,
                comment: r.get(3),
            },
        );
    }
    Ok(())
}

fn tables(
    c: &mut Reader<'_>,
    s: &mut Snapshot,
    exclude: &[(String, String)],
    scope: &Filter,
) -> Result<(), postgres::Error> {
    let ext = not_extension("pg_class", "c.oid");
    let rows = c.rows(
        &format!(
            "SELECT n.nspname::text, c.relname::text, c.relrowsecurity, c.relforcerowsecurity, \
               pg_catalog.obj_description(c.oid, 'pg_class'), \
               CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END, \
               CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END, \
               ARRAY(SELECT pn.nspname::text || '.' || pc.relname::text FROM pg_catalog.pg_inherits h \
                 JOIN pg_catalog.pg_class pc ON pc.oid = h.inhparent \
                 JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace \
                 WHERE h.inhrelid = c.oid ORDER BY h.inhseqno), \
               (SELECT v.srvname::text FROM pg_catalog.pg_foreign_table f \
                 JOIN pg_catalog.pg_foreign_server v ON v.oid = f.ftserver WHERE f.ftrelid = c.oid), \
               (SELECT f.ftoptions::text[] FROM pg_catalog.pg_foreign_table f WHERE f.ftrelid = c.oid), \
               c.reloptions::text[] \
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p', 'f') AND {USER_NS} AND {ext} AND {scope}"
        ),
        Some(scope),
    )?;
    for r in rows {
        let (schema, name): (String, String) = (r.get(0), r.get(1));
        if exclude.iter().any(|(s, n)| *s == schema && *n == name) {
            continue;
        }
        let name = Name::new(schema, name);
        let mut inherits: Vec<String> = r.get(7);
        let partition_of = r
            .get::<Option<String>>(6)
            .and_then(|bound| Some((inherits.pop()?, bound)));
        let foreign = r.get::<Option<String>>(8).map(|server| ForeignTable {
            server,
            options: options(r.get(9)),
        });
        s.tables.insert(
            name.key(),
            Table {
                name,
                row_security: r.get(2),
                force_row_security: r.get(3),
                comment: r.get(4),
                partition_by: r.get(5),
                partition_of,
                inherits,
                foreign,
                options: options(r.get(10)),
                ..Table::default()
            },
        );
    }
    let key = "n.nspname::text || '.' || c.relname::text";
    for r in c.rows(
        &format!(
            "SELECT {key}, a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod), \
               pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attnotnull, a.attidentity::text, \
               a.attgenerated::text, \
               CASE WHEN a.attcollation <> t.typcollation THEN \
                 pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END, \
               pg_catalog.col_description(a.attrelid, a.attnum), NOT a.attislocal OR c.relispartition, \
               a.attfdwoptions::text[], \
               EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conrelid = a.attrelid \
                 AND k.contype = 'n' AND k.conkey[1] = a.attnum AND NOT k.convalidated) \
             FROM pg_catalog.pg_attribute a \
             JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
             LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation \
             LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace \
             WHERE c.relkind IN ('r', 'p', 'f') AND a.attnum > 0 AND NOT a.attisdropped AND {USER_NS} AND {scope} \
             ORDER BY 1, a.attnum"
        ),
        Some(scope),
    )? {
        let Some(t) = s.tables.get_mut(&r.get::<String>(0)) else { continue };
        let expr: Option<String> = r.get(3);
        // `s` stored, `v` virtual (18+).
        let generated_as = r.get::<String>(6);
        let generated = generated_as == "s" || generated_as == "v";
        let identity = match r.get::<String>(5).as_str() {
            "a" => Some("always".to_string()),
            "d" => Some("by default".to_string()),
            _ => None,
        };
        t.columns.push(Column {
            name: r.get(1),
            data_type: r.get(2),
            default: if generated { None } else { expr.clone() },
            not_null: r.get(4),
            // Not-null constraints are in pg_constraint from 18 on, where they may be NOT VALID.
            not_null_not_valid: r.get(11),
            identity,
            generated: if generated { expr } else { None },
            virtual_generated: generated_as == "v",
            collation: r.get(7),
            comment: r.get(8),
            inherited: r.get(9),
            options: options(r.get(10)),
        });
    }
    for r in c.rows(
        &format!(
            "SELECT {key}, k.conname::text, k.contype::text, pg_catalog.pg_get_constraintdef(k.oid), \
               k.convalidated, pg_catalog.obj_description(k.oid, 'pg_constraint') \
             FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid = k.conrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE k.contype IN ('p', 'u', 'c', 'f', 'x') AND k.conislocal AND k.conparentid = 0 \
               AND {USER_NS} AND {scope}"
        ),
        Some(scope),
    )? {
        let Some(t) = s.tables.get_mut(&r.get::<String>(0)) else { continue };
        let kind = match r.get::<String>(2).as_str() {
            "p" => ConstraintKind::PrimaryKey,
            "u" => ConstraintKind::Unique,
            "c" => ConstraintKind::Check,
            "f" => ConstraintKind::ForeignKey,
            _ => ConstraintKind::Exclusion,
        };
        let def: String = r.get(3);
        let valid: bool = r.get(4);
        let definition = match def.strip_suffix(" NOT VALID") {
            Some(d) if !valid => d.to_string(),
            _ => def,
        };
        let name: String = r.get(1);
        t.constraints.insert(
            name.clone(),
            Constraint { name, kind, definition, valid, comment: r.get(5) },
        );
    }
    for r in c.rows(
        &format!(
            "SELECT {key}, g.tgname::text, pg_catalog.pg_get_triggerdef(g.oid), \
               pg_catalog.obj_description(g.oid, 'pg_trigger') \
             FROM pg_catalog.pg_trigger g JOIN pg_catalog.pg_class c ON c.oid = g.tgrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE NOT g.tgisinternal AND g.tgparentid = 0 AND {USER_NS} AND {scope}"
        ),
        Some(scope),
    )? {
        let Some(t) = s.tables.get_mut(&r.get::<String>(0)) else {
            continue;
        };
        let name: String = r.get(1);
        t.triggers.insert(
            name.clone(),
            Trigger {
                name,
                definition: r.get(2),
                comment: r.get(3),
            },
        );
    }
    for r in c.rows(
        &format!(
            "SELECT {key}, p.polname::text, p.polpermissive, \
               CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' \
                 WHEN 'd' THEN 'DELETE' ELSE 'ALL' END, \
               ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_catalog.quote_ident(o.rolname) END \
                 FROM unnest(p.polroles) r LEFT JOIN pg_catalog.pg_roles o ON o.oid = r ORDER BY 1), \
               pg_catalog.pg_get_expr(p.polqual, p.polrelid), pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) \
             FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid = p.polrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE {USER_NS} AND {scope}"
        ),
        Some(scope),
    )? {
        let Some(t) = s.tables.get_mut(&r.get::<String>(0)) else { continue };
        let name: String = r.get(1);
        t.policies.insert(
            name.clone(),
            Policy {
                name,
                permissive: r.get(2),
                command: r.get(3),
                roles: r.get(4),
                using: r.get(5),
                with_check: r.get(6),
            },
        );
    }
    Ok(())
}

fn sequences(
    c: &mut Reader<'_>,
    s: &mut Snapshot,
    exclude: &[(String, String)],
    scope: &Filter,
) -> Result<(), postgres::Error> {
    let ext = not_extension("pg_class", "c.oid");
    for r in c.rows(
        &format!(
            "SELECT n.nspname::text, c.relname::text, pg_catalog.format_type(q.seqtypid, NULL), \
               q.seqstart, q.seqincrement, q.seqmin, q.seqmax, q.seqcache, q.seqcycle, \
               (SELECT tn.nspname::text || '.' || t.relname::text FROM pg_catalog.pg_depend d \
                 JOIN pg_catalog.pg_class t ON t.oid = d.refobjid JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace \
                 WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass \
                   AND d.deptype = 'a' AND d.refobjsubid > 0), \
               (SELECT a.attname::text FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_attribute a \
                 ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
                 WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass \
                   AND d.deptype = 'a' AND d.refobjsubid > 0), \
               pg_catalog.obj_description(c.oid, 'pg_class'), \
               EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_class'::regclass \
                 AND d.objid = c.oid AND d.deptype = 'i') \
             FROM pg_catalog.pg_sequence q JOIN pg_catalog.pg_class c ON c.oid = q.seqrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE {USER_NS} AND {ext} AND {scope}"
        ),
        Some(scope),
    )? {
        // An identity column's sequence is part of the column.
        if r.get::<bool>(12) {
            continue;
        }
        let owned_by = match (r.get::<Option<String>>(9), r.get::<Option<String>>(10)) {
            (Some(t), Some(col)) => Some((t, col)),
            _ => None,
        };
        // Owned by a table left out (Strata's log): left out with it. (Not "a table the
        // snapshot lacks": a refresh reads a sequence without its table.)
        if owned_by.as_ref().is_some_and(|(t, _)| {
            exclude
                .iter()
                .any(|(schema, table)| t.split_once('.') == Some((schema, table)))
        }) {
            continue;
        }
        let name = Name::new(r.get::<String>(0), r.get::<String>(1));
        s.sequences.insert(
            name.key(),
            Sequence {
                name,
                data_type: r.get(2),
                start: r.get(3),
                increment: r.get(4),
                min: r.get(5),
                max: r.get(6),
                cache: r.get(7),
                cycle: r.get(8),
                owned_by,
                comment: r.get(11),
            },
        );
    }
    Ok(())
}

/// `version`: the server's `server_version_num`.
fn views(
    c: &mut Reader<'_>,
    s: &mut Snapshot,
    version: i32,
    scope: &Filter,
) -> Result<(), postgres::Error> {
    let ext = not_extension("pg_class", "c.oid");
    for r in c.rows(
        &format!(
            "SELECT n.nspname::text, c.relname::text, c.relkind = 'm', pg_catalog.pg_get_viewdef(c.oid, true), \
               pg_catalog.obj_description(c.oid, 'pg_class'), \
               ARRAY(SELECT DISTINCT rn.nspname::text || '.' || rc.relname::text \
                 FROM pg_catalog.pg_rewrite w JOIN pg_catalog.pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid \
                 JOIN pg_catalog.pg_class rc ON rc.oid = d.refobjid AND d.refclassid = 'pg_class'::regclass \
                 JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace \
                 WHERE w.ev_class = c.oid AND rc.oid <> c.oid AND rc.relkind IN ('v', 'm') \
               UNION SELECT fn.nspname::text || '.' || f.proname::text || '(' || \
                   pg_catalog.pg_get_function_identity_arguments(f.oid) || ')' \
                 FROM pg_catalog.pg_rewrite w JOIN pg_catalog.pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid \
                 JOIN pg_catalog.pg_proc f ON f.oid = d.refobjid AND d.refclassid = 'pg_proc'::regclass \
                 JOIN pg_catalog.pg_namespace fn ON fn.oid = f.pronamespace \
                 WHERE w.ev_class = c.oid ORDER BY 1), \
               c.reloptions::text[] \
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('v', 'm') AND {USER_NS} AND {ext} AND {scope}"
        ),
        Some(scope),
    )? {
        let name = Name::new(r.get::<String>(0), r.get::<String>(1));
        let printed: String = r.get(3);
        let printed = printed.trim_end().trim_end_matches(';');
        let definition = if version < 160000 {
            super::viewdef::unqualify_single_relation(printed)
        } else {
            printed.to_string()
        };
        s.views.insert(
            name.key(),
            View {
                name,
                materialized: r.get(2),
                definition,
                comment: r.get(4),
                depends_on: r.get(5),
                indexes: BTreeMap::new(),
                options: options(r.get(6)),
            },
        );
    }
    Ok(())
}

fn indexes(c: &mut Reader<'_>, s: &mut Snapshot, scope: &Filter) -> Result<(), postgres::Error> {
    for r in c.rows(
        &format!(
            "SELECT n.nspname::text || '.' || c.relname::text, ic.relname::text, i.indisunique, am.amname::text, \
               '(' || (SELECT string_agg(pg_catalog.pg_get_indexdef(i.indexrelid, k, true), ', ' ORDER BY k) \
                 FROM generate_series(1, i.indnkeyatts) k) || ')', \
               '(' || (SELECT string_agg(pg_catalog.pg_get_indexdef(i.indexrelid, k, true), ', ' ORDER BY k) \
                 FROM generate_series(i.indnkeyatts + 1, i.indnatts) k) || ')', \
               pg_catalog.pg_get_expr(i.indpred, i.indrelid, true), \
               CASE WHEN c.relkind = 'p' THEN pg_catalog.replace(pg_catalog.pg_get_indexdef(i.indexrelid), \
                 ' ON ONLY ', ' ON ') ELSE pg_catalog.pg_get_indexdef(i.indexrelid) END, \
               pg_catalog.obj_description(i.indexrelid, 'pg_class') \
             FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid \
             JOIN pg_catalog.pg_class c ON c.oid = i.indrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             JOIN pg_catalog.pg_am am ON am.oid = ic.relam \
             WHERE {USER_NS} AND {scope} AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k \
               WHERE k.conrelid = i.indrelid AND k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x')) \
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h WHERE h.inhrelid = i.indexrelid)"
        ),
        Some(scope),
    )? {
        let key: String = r.get(0);
        let name: String = r.get(1);
        let index = Index {
            name: name.clone(),
            unique: r.get(2),
            method: r.get(3),
            keys: r.get(4),
            include: r.get(5),
            predicate: r.get(6),
            definition: r.get(7),
            comment: r.get(8),
        };
        if let Some(t) = s.tables.get_mut(&key) {
            t.indexes.insert(name, index);
        } else if let Some(v) = s.views.get_mut(&key) {
            v.indexes.insert(name, index);
        }
    }
    Ok(())
}

/// `name=value` option strings as the catalog stores them, as pairs.
fn options(raw: Option<Vec<String>>) -> Vec<(String, String)> {
    raw.unwrap_or_default()
        .into_iter()
        .map(|o| match o.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (o, String::new()),
        })
        .collect()
}

fn servers(c: &mut Reader<'_>, s: &mut Snapshot) -> Result<(), postgres::Error> {
    let ext = not_extension("pg_foreign_server", "v.oid");
    for r in c.rows(
        &format!(
            "SELECT v.srvname::text, w.fdwname::text, v.srvtype, v.srvversion, v.srvoptions::text[] \
             FROM pg_catalog.pg_foreign_server v \
             JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = v.srvfdw WHERE {ext}"
        ),
        None,
    )? {
        let name: String = r.get(0);
        s.servers.insert(
            name.clone(),
            Server {
                name,
                wrapper: r.get(1),
                server_type: r.get(2),
                version: r.get(3),
                options: options(r.get(4)),
            },
        );
    }
    Ok(())
}

/// A procedure's argument list as PostgreSQL 14+ prints it (every mode spelled out, `IN`
/// included), built from `pg_proc`'s arrays: 13 prints no `IN`, and the dump must not depend
/// on the server's version. `$DEFAULTS`: with `DEFAULT` expressions (the header) or without
/// (the identity arguments).
fn procedure_arguments(defaults: bool) -> String {
    let default = if defaults {
        " || COALESCE(' DEFAULT ' || pg_catalog.pg_get_function_arg_default(p.oid, k), '')"
    } else {
        ""
    };
    format!(
        "(SELECT COALESCE(string_agg(CASE COALESCE(p.proargmodes[k], 'i') WHEN 'i' THEN 'IN ' \
           WHEN 'o' THEN 'OUT ' WHEN 'b' THEN 'INOUT ' WHEN 'v' THEN 'VARIADIC ' ELSE '' END \
           || CASE WHEN COALESCE(p.proargnames[k], '') <> '' THEN pg_catalog.quote_ident(p.proargnames[k]) || ' ' ELSE '' END \
           || pg_catalog.format_type(COALESCE(p.proallargtypes[k], p.proargtypes[k - 1]), NULL){default}, \
           ', ' ORDER BY k), '') \
         FROM generate_series(1, COALESCE(array_length(p.proallargtypes, 1), p.pronargs)) k)"
    )
}

fn functions(c: &mut Reader<'_>, s: &mut Snapshot, scope: &Filter) -> Result<(), postgres::Error> {
    let ext = not_extension("pg_proc", "p.oid");
    let old_procedure = "p.prokind = 'p' AND current_setting('server_version_num')::int < 140000";
    let header = procedure_arguments(true);
    let identity = procedure_arguments(false);
    for r in c.rows(
        &format!(
            "SELECT n.nspname::text, p.proname::text, \
               CASE WHEN {old_procedure} THEN {identity} \
                 ELSE pg_catalog.pg_get_function_identity_arguments(p.oid) END, \
               p.prokind = 'p', pg_catalog.pg_get_functiondef(p.oid), pg_catalog.obj_description(p.oid, 'pg_proc'), \
               CASE WHEN {old_procedure} THEN pg_catalog.pg_get_function_arguments(p.oid) END, \
               CASE WHEN {old_procedure} THEN {header} END, \
               ARRAY(SELECT DISTINCT rn.nspname::text || '.' || rc.relname::text FROM pg_catalog.pg_depend d \
                 JOIN pg_catalog.pg_type t ON t.oid = d.refobjid \
                 JOIN pg_catalog.pg_class rc ON rc.oid = t.typrelid \
                 JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace \
                 WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid \
                   AND d.refclassid = 'pg_type'::regclass AND rc.relkind IN ('r', 'p', 'f', 'v', 'm') ORDER BY 1) \
             FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
             WHERE p.prokind IN ('f', 'p') AND {USER_NS} AND {ext} AND {scope} \
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend i WHERE i.classid = 'pg_proc'::regclass \
                 AND i.objid = p.oid AND i.deptype = 'i')"
        ),
        Some(scope),
    )? {
        let name = Name::new(r.get::<String>(0), r.get::<String>(1));
        let arguments: String = r.get(2);
        let mut definition: String = r.get(4);
        if let (Some(printed), Some(rebuilt)) =
            (r.get::<Option<String>>(6), r.get::<Option<String>>(7))
        {
            definition = definition.replacen(&format!("({printed})"), &format!("({rebuilt})"), 1);
        }
        s.functions.insert(
            format!("{}({arguments})", name.key()),
            Function {
                name,
                arguments,
                procedure: r.get(3),
                definition,
                comment: r.get(5),
                depends_on: r.get(8),
            },
        );
    }
    Ok(())
}
