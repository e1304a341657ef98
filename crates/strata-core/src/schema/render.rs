//! A [`Snapshot`] as SQL: the text `strata dump` writes. Pure and deterministic: the same
//! snapshot gives the same bytes, objects sorted by name within each kind and the kinds in
//! dependency order (schemas, extensions, types, sequences, functions, tables, keys and
//! checks, indexes, views, foreign keys, triggers, policies, ownership, comments).

use super::diff::policy_text;
use super::model::*;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Which SQL to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// PostgreSQL: statements built from the model.
    Postgres,
    /// SQLite: the statements SQLite stored.
    Sqlite,
}

/// The version data appended after the schema.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DumpData {
    /// golang-migrate's table (qualified key `schema.name`, or the bare name on SQLite) and its
    /// row `(version, dirty)`, when the table exists.
    pub compat: Option<(String, Option<(i64, bool)>)>,
    /// The versions Strata's ledger records as applied, ascending (`None`: no ledger).
    pub applied: Option<Vec<u64>>,
}

/// `name` quoted as an SQL identifier (always quoted: safe for keywords and any case).
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `schema.name` quoted.
pub fn qualified(n: &Name) -> String {
    if n.schema.is_empty() {
        ident(&n.name)
    } else {
        format!("{}.{}", ident(&n.schema), ident(&n.name))
    }
}

/// `text` as an SQL string literal.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The dump: a header line, the schema, then `data`.
pub fn render(s: &Snapshot, flavor: Flavor, data: &DumpData) -> String {
    let mut out =
        String::from("-- Schema written by `strata dump`: load it into an empty database.\n");
    match flavor {
        Flavor::Postgres => postgres(&mut out, s),
        Flavor::Sqlite => sqlite(&mut out, s),
    }
    render_data(&mut out, flavor, data);
    out
}

fn section(out: &mut String, statements: Vec<String>) {
    if statements.is_empty() {
        return;
    }
    out.push('\n');
    for st in statements {
        out.push_str(st.trim_end());
        if !st.trim_end().ends_with(';') {
            out.push(';');
        }
        out.push('\n');
    }
}

fn postgres(out: &mut String, s: &Snapshot) {
    out.push_str("SET check_function_bodies = false;\n");
    section(
        out,
        s.schemas
            .keys()
            .map(|n| format!("CREATE SCHEMA {}", ident(n)))
            .collect(),
    );
    section(
        out,
        s.extensions
            .iter()
            .map(|(n, schema)| {
                format!(
                    "CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {}",
                    ident(n),
                    ident(schema)
                )
            })
            .collect(),
    );
    // Enums and ranges first: domains and composites may use them; composites may use domains.
    let rank = |t: &TypeDef| match t.kind {
        TypeKind::Enum { .. } => 0,
        TypeKind::Range { .. } => 1,
        TypeKind::Domain { .. } => 2,
        TypeKind::Composite { .. } => 3,
    };
    let mut types: Vec<&TypeDef> = s.types.values().collect();
    types.sort_by_key(|t| (rank(t), t.name.clone()));
    section(out, types.iter().map(|t| type_sql(t)).collect());
    section(out, s.sequences.values().map(sequence_sql).collect());
    section(
        out,
        s.functions.values().map(|f| f.definition.clone()).collect(),
    );
    for t in s.tables.values() {
        section(out, vec![table_sql(t)]);
    }
    let constraints = |fk: bool| -> Vec<String> {
        s.tables
            .values()
            .flat_map(|t| {
                let mut cs: Vec<&Constraint> = t
                    .constraints
                    .values()
                    .filter(|c| (c.kind == ConstraintKind::ForeignKey) == fk)
                    .collect();
                // Primary key first: a unique constraint is no stand-in for it.
                cs.sort_by_key(|c| (c.kind, c.name.clone()));
                cs.into_iter().map(move |c| {
                    format!(
                        "ALTER TABLE ONLY {} ADD CONSTRAINT {} {}{}",
                        qualified(&t.name),
                        ident(&c.name),
                        c.definition,
                        if c.valid { "" } else { " NOT VALID" }
                    )
                })
            })
            .collect()
    };
    section(out, constraints(false));
    section(
        out,
        s.tables
            .values()
            .flat_map(|t| t.indexes.values().map(|i| i.definition.clone()))
            .collect(),
    );
    for v in view_order(s) {
        let mut st = format!(
            "CREATE {}VIEW {} AS\n{}",
            if v.materialized { "MATERIALIZED " } else { "" },
            qualified(&v.name),
            v.definition.trim_end().trim_end_matches(';')
        );
        if v.materialized {
            st.push_str("\n  WITH NO DATA");
        }
        let mut statements = vec![st];
        statements.extend(v.indexes.values().map(|i| i.definition.clone()));
        section(out, statements);
    }
    section(out, constraints(true));
    section(
        out,
        s.tables
            .values()
            .flat_map(|t| t.triggers.values().map(|tr| tr.definition.clone()))
            .collect(),
    );
    let mut rls = Vec::new();
    for t in s.tables.values() {
        if t.row_security {
            rls.push(format!(
                "ALTER TABLE {} ENABLE ROW LEVEL SECURITY",
                qualified(&t.name)
            ));
        }
        if t.force_row_security {
            rls.push(format!(
                "ALTER TABLE {} FORCE ROW LEVEL SECURITY",
                qualified(&t.name)
            ));
        }
        for p in t.policies.values() {
            rls.push(format!(
                "CREATE POLICY {} ON {} {}",
                ident(&p.name),
                qualified(&t.name),
                policy_text(p)
            ));
        }
    }
    section(out, rls);
    section(
        out,
        s.sequences
            .values()
            .filter_map(|q| {
                let (table, column) = q.owned_by.as_ref()?;
                let t = s.tables.get(table).map(|t| qualified(&t.name))?;
                Some(format!(
                    "ALTER SEQUENCE {} OWNED BY {t}.{}",
                    qualified(&q.name),
                    ident(column)
                ))
            })
            .collect(),
    );
    section(out, comments(s));
}

fn type_sql(t: &TypeDef) -> String {
    let n = qualified(&t.name);
    match &t.kind {
        TypeKind::Enum { labels } => format!(
            "CREATE TYPE {n} AS ENUM ({})",
            labels
                .iter()
                .map(|l| literal(l))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TypeKind::Range { subtype } => format!("CREATE TYPE {n} AS RANGE (SUBTYPE = {subtype})"),
        TypeKind::Composite { attributes } => format!(
            "CREATE TYPE {n} AS ({})",
            attributes
                .iter()
                .map(|(a, ty)| format!("{} {ty}", ident(a)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TypeKind::Domain {
            base,
            default,
            not_null,
            checks,
        } => {
            let mut st = format!("CREATE DOMAIN {n} AS {base}");
            if let Some(d) = default {
                let _ = write!(st, " DEFAULT {d}");
            }
            if *not_null {
                st.push_str(" NOT NULL");
            }
            for (name, def) in checks {
                let _ = write!(st, " CONSTRAINT {} {def}", ident(name));
            }
            st
        }
    }
}

fn sequence_sql(q: &Sequence) -> String {
    format!(
        "CREATE SEQUENCE {} AS {} START WITH {} INCREMENT BY {} MINVALUE {} MAXVALUE {} CACHE {}{}",
        qualified(&q.name),
        q.data_type,
        q.start,
        q.increment,
        q.min,
        q.max,
        q.cache,
        if q.cycle { " CYCLE" } else { " NO CYCLE" }
    )
}

fn table_sql(t: &Table) -> String {
    let cols: Vec<String> = t
        .columns
        .iter()
        .map(|c| {
            let mut l = format!("    {} {}", ident(&c.name), c.data_type);
            if let Some(coll) = &c.collation {
                let _ = write!(l, " COLLATE {coll}");
            }
            if let Some(g) = &c.generated {
                let _ = write!(l, " GENERATED ALWAYS AS ({g}) STORED");
            }
            if let Some(i) = &c.identity {
                let _ = write!(l, " GENERATED {} AS IDENTITY", i.to_uppercase());
            }
            if let Some(d) = &c.default {
                let _ = write!(l, " DEFAULT {d}");
            }
            if c.not_null {
                l.push_str(" NOT NULL");
            }
            l
        })
        .collect();
    if cols.is_empty() {
        return format!("CREATE TABLE {} ()", qualified(&t.name));
    }
    format!(
        "CREATE TABLE {} (\n{}\n)",
        qualified(&t.name),
        cols.join(",\n")
    )
}

/// Views after the views they read; otherwise by name.
fn view_order(s: &Snapshot) -> Vec<&View> {
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut order = Vec::new();
    let mut left: BTreeMap<&str, &View> = s.views.iter().map(|(k, v)| (k.as_str(), v)).collect();
    while !left.is_empty() {
        let ready: Vec<&str> = left
            .iter()
            .filter(|(_, v)| {
                v.depends_on
                    .iter()
                    .all(|d| done.contains(d.as_str()) || !s.views.contains_key(d))
            })
            .map(|(k, _)| *k)
            .collect();
        // A cycle cannot be created in a database; if the model has one, keep name order.
        let take = if ready.is_empty() {
            vec![*left.keys().next().expect("not empty")]
        } else {
            ready
        };
        for k in take {
            order.push(left.remove(k).expect("present"));
            done.insert(k);
        }
    }
    order
}

fn comments(s: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    let mut on = |what: String, c: &Option<String>| {
        if let Some(c) = c {
            out.push(format!("COMMENT ON {what} IS {}", literal(c)));
        }
    };
    for (n, c) in &s.schemas {
        on(format!("SCHEMA {}", ident(n)), c);
    }
    for t in s.types.values() {
        let kind = if matches!(t.kind, TypeKind::Domain { .. }) {
            "DOMAIN"
        } else {
            "TYPE"
        };
        on(format!("{kind} {}", qualified(&t.name)), &t.comment);
    }
    for q in s.sequences.values() {
        on(format!("SEQUENCE {}", qualified(&q.name)), &q.comment);
    }
    for f in s.functions.values() {
        let kind = if f.procedure { "PROCEDURE" } else { "FUNCTION" };
        on(
            format!("{kind} {}({})", qualified(&f.name), f.arguments),
            &f.comment,
        );
    }
    for t in s.tables.values() {
        let tn = qualified(&t.name);
        on(format!("TABLE {tn}"), &t.comment);
        for c in &t.columns {
            on(format!("COLUMN {tn}.{}", ident(&c.name)), &c.comment);
        }
        for c in t.constraints.values() {
            on(format!("CONSTRAINT {} ON {tn}", ident(&c.name)), &c.comment);
        }
        for i in t.indexes.values() {
            on(
                format!("INDEX {}", qualified(&Name::new(&t.name.schema, &i.name))),
                &i.comment,
            );
        }
        for tr in t.triggers.values() {
            on(format!("TRIGGER {} ON {tn}", ident(&tr.name)), &tr.comment);
        }
    }
    for v in s.views.values() {
        let kind = if v.materialized {
            "MATERIALIZED VIEW"
        } else {
            "VIEW"
        };
        on(format!("{kind} {}", qualified(&v.name)), &v.comment);
        for i in v.indexes.values() {
            on(
                format!("INDEX {}", qualified(&Name::new(&v.name.schema, &i.name))),
                &i.comment,
            );
        }
    }
    out
}

fn sqlite(out: &mut String, s: &Snapshot) {
    for t in s.tables.values() {
        let mut statements: Vec<String> = t.definition.iter().cloned().collect();
        statements.extend(t.indexes.values().map(|i| i.definition.clone()));
        section(out, statements);
    }
    section(
        out,
        view_order(s)
            .into_iter()
            .map(|v| v.definition.clone())
            .collect(),
    );
    section(
        out,
        s.tables
            .values()
            .flat_map(|t| t.triggers.values().map(|tr| tr.definition.clone()))
            .collect(),
    );
}

fn render_data(out: &mut String, flavor: Flavor, data: &DumpData) {
    let Some((table, row)) = &data.compat else {
        return;
    };
    let name = match table.split_once('.') {
        Some((schema, name)) if flavor == Flavor::Postgres => qualified(&Name::new(schema, name)),
        _ => ident(table),
    };
    out.push_str("\n-- golang-migrate's version\n");
    match flavor {
        // golang-migrate's own statements for its table.
        Flavor::Postgres => {
            let _ = writeln!(out, "CREATE TABLE IF NOT EXISTS {name} (version bigint not null primary key, dirty boolean not null);");
        }
        Flavor::Sqlite => {
            let _ = writeln!(
                out,
                "CREATE TABLE IF NOT EXISTS {name} (version uint64, dirty bool);"
            );
            let index = ident(&format!("{table}_version_unique"));
            let _ = writeln!(
                out,
                "CREATE UNIQUE INDEX IF NOT EXISTS {index} ON {name} (version);"
            );
        }
    }
    if let Some((version, dirty)) = row {
        let dirty = match (flavor, dirty) {
            (Flavor::Postgres, d) => d.to_string(),
            (Flavor::Sqlite, d) => (*d as i32).to_string(),
        };
        let _ = writeln!(
            out,
            "INSERT INTO {name} (version, dirty) VALUES ({version}, {dirty});"
        );
    }
    if let Some(applied) = &data.applied {
        let list: Vec<String> = applied.iter().map(|v| v.to_string()).collect();
        let _ = writeln!(
            out,
            "-- applied in Strata's ledger: {}",
            if list.is_empty() {
                "none".into()
            } else {
                list.join(", ")
            }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_and_literals_are_quoted() {
        assert_eq!(ident("Order\"s"), "\"Order\"\"s\"");
        assert_eq!(literal("it's"), "'it''s'");
    }

    #[test]
    fn views_come_after_the_views_they_read() {
        let mut s = Snapshot::default();
        let v = |name: &str, deps: &[&str]| View {
            name: Name::new("public", name),
            definition: " SELECT 1".into(),
            depends_on: deps.iter().map(|d| d.to_string()).collect(),
            ..View::default()
        };
        s.views.insert("public.a".into(), v("a", &["public.b"]));
        s.views.insert("public.b".into(), v("b", &["public.t"]));
        let order: Vec<&str> = view_order(&s)
            .iter()
            .map(|v| v.name.name.as_str())
            .collect();
        assert_eq!(order, ["b", "a"]);
    }

    #[test]
    fn same_snapshot_same_bytes_and_keys_before_foreign_keys() {
        let mut t = Table {
            name: Name::new("public", "t"),
            columns: vec![Column {
                name: "id".into(),
                data_type: "integer".into(),
                not_null: true,
                ..Column::default()
            }],
            ..Table::default()
        };
        for (name, kind, def) in [
            (
                "t_fk",
                ConstraintKind::ForeignKey,
                "FOREIGN KEY (id) REFERENCES public.t(id)",
            ),
            ("t_pkey", ConstraintKind::PrimaryKey, "PRIMARY KEY (id)"),
        ] {
            t.constraints.insert(
                name.into(),
                Constraint {
                    name: name.into(),
                    kind,
                    definition: def.into(),
                    valid: true,
                    comment: None,
                },
            );
        }
        let mut s = Snapshot::default();
        s.tables.insert("public.t".into(), t);
        let data = DumpData {
            compat: Some(("public.schema_migrations".into(), Some((3, false)))),
            applied: Some(vec![1, 3]),
        };
        let a = render(&s, Flavor::Postgres, &data);
        assert_eq!(a, render(&s.clone(), Flavor::Postgres, &data));
        let pk = a.find("PRIMARY KEY (id)").unwrap();
        let fk = a.find("FOREIGN KEY (id)").unwrap();
        assert!(pk < fk, "{a}");
        assert!(
            a.contains("CREATE TABLE \"public\".\"t\" (\n    \"id\" integer NOT NULL\n);\n"),
            "{a}"
        );
        assert!(a.ends_with("INSERT INTO \"public\".\"schema_migrations\" (version, dirty) VALUES (3, false);\n-- applied in Strata's ledger: 1, 3\n"), "{a}");
    }
}
