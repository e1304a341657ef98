//! A [`Snapshot`] as SQL: the text `strata dump` writes. Pure and deterministic: the same
//! snapshot gives the same bytes, objects sorted by name within each kind and the kinds in
//! dependency order (schemas, extensions, servers, types, sequences, functions, tables
//! (parents first; any of these four after those of them it uses: the `order` module),
//! children's own column settings, functions using tables' row types, keys
//! and checks, indexes, views with the functions using their row types, foreign keys,
//! triggers, policies, ownership, comments, privileges).

use super::diff::policy_text;
use super::model::*;
use super::order::{early_order, late_order, view_order, Early, Late};
use std::collections::BTreeSet;
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
    section(out, s.servers.values().map(server_sql).collect());
    // Types, sequences, functions and tables: consecutive objects of one kind (but tables) in
    // one section, each table in its own; after the last table, children's own settings.
    let early = early_order(s);
    let last_table = early.iter().rposition(|e| matches!(e, Early::Table(_)));
    let mut run: (u8, Vec<String>) = (0, Vec::new());
    for (i, item) in early.into_iter().enumerate() {
        let (kind, st) = match item {
            Early::Type(t) => (1, type_sql(t)),
            Early::Sequence(q) => (2, sequence_sql(q)),
            Early::Function(f) => (3, f.definition.clone()),
            Early::Table(t) => (4, table_sql(t)),
        };
        if kind != run.0 || kind == 4 {
            section(out, std::mem::take(&mut run.1));
            run.0 = kind;
        }
        run.1.push(st);
        if Some(i) == last_table {
            section(out, std::mem::take(&mut run.1));
            section(
                out,
                s.tables.values().flat_map(|t| overrides(s, t)).collect(),
            );
        }
    }
    section(out, run.1);
    let parents: BTreeSet<&str> = s
        .tables
        .values()
        .flat_map(|t| {
            t.inherits
                .iter()
                .chain(t.partition_of.iter().map(|(p, _)| p))
        })
        .map(|p| p.as_str())
        .collect();
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
                // On a parent, the constraint goes to its children too, as it was created.
                let only = if parents.contains(t.name.key().as_str()) {
                    ""
                } else {
                    "ONLY "
                };
                cs.into_iter().map(move |c| {
                    format!(
                        "ALTER TABLE {only}{} ADD CONSTRAINT {} {}{}",
                        qualified(&t.name),
                        ident(&c.name),
                        c.definition,
                        if c.valid { "" } else { " NOT VALID" }
                    )
                })
            })
            .collect()
    };
    let mut keys = constraints(false);
    // A column cannot declare a `NOT NULL` not validated: it is added the way it was made.
    keys.extend(s.tables.values().flat_map(|t| {
        let only = if parents.contains(t.name.key().as_str()) {
            ""
        } else {
            "ONLY "
        };
        t.columns
            .iter()
            .filter(|c| c.not_null_not_valid && !c.inherited)
            .map(move |c| {
                format!(
                    "ALTER TABLE {only}{} ADD NOT NULL {} NOT VALID",
                    qualified(&t.name),
                    ident(&c.name)
                )
            })
    }));
    section(out, keys);
    section(
        out,
        s.tables
            .values()
            .flat_map(|t| t.indexes.values().map(|i| i.definition.clone()))
            .collect(),
    );
    for item in late_order(s) {
        let v = match item {
            Late::View(v) => v,
            Late::Function(f) => {
                section(out, vec![f.definition.clone()]);
                continue;
            }
        };
        let mut st = format!(
            "CREATE {}VIEW {}{} AS\n{}",
            if v.materialized { "MATERIALIZED " } else { "" },
            qualified(&v.name),
            with_sql(&v.options),
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
    section(out, s.privileges.iter().map(grant_sql).collect());
}

fn grant_sql(g: &Grant) -> String {
    let privileges = g.privileges.join(", ");
    if g.defaults {
        let action = if g.granted {
            let option = if g.grant_option {
                " WITH GRANT OPTION"
            } else {
                ""
            };
            format!("GRANT {privileges} ON {} TO {}{option}", g.kind, g.grantee)
        } else {
            format!("REVOKE {privileges} ON {} FROM {}", g.kind, g.grantee)
        };
        return format!("ALTER DEFAULT PRIVILEGES {} {action}", g.object);
    }
    if g.granted {
        format!(
            "GRANT {privileges} ON {} {} TO {}{}",
            g.kind,
            g.object,
            g.grantee,
            if g.grant_option {
                " WITH GRANT OPTION"
            } else {
                ""
            }
        )
    } else {
        format!(
            "REVOKE {privileges} ON {} {} FROM {}",
            g.kind, g.object, g.grantee
        )
    }
}

fn server_sql(v: &Server) -> String {
    let mut st = format!("CREATE SERVER {}", ident(&v.name));
    if let Some(t) = &v.server_type {
        let _ = write!(st, " TYPE {}", literal(t));
    }
    if let Some(t) = &v.version {
        let _ = write!(st, " VERSION {}", literal(t));
    }
    let _ = write!(st, " FOREIGN DATA WRAPPER {}", ident(&v.wrapper));
    st.push_str(&options_sql(&v.options));
    st
}

/// ` WITH (name = 'value', ...)`, or nothing.
fn with_sql(options: &[(String, String)]) -> String {
    if options.is_empty() {
        return String::new();
    }
    let list: Vec<String> = options
        .iter()
        .map(|(k, v)| format!("{} = {}", ident(k), literal(v)))
        .collect();
    format!(" WITH ({})", list.join(", "))
}

/// ` OPTIONS (name 'value', ...)`, or nothing.
fn options_sql(options: &[(String, String)]) -> String {
    if options.is_empty() {
        return String::new();
    }
    let list: Vec<String> = options
        .iter()
        .map(|(k, v)| format!("{} {}", ident(k), literal(v)))
        .collect();
    format!(" OPTIONS ({})", list.join(", "))
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
        .filter(|c| !c.inherited)
        .map(|c| {
            let mut l = format!("    {} {}", ident(&c.name), c.data_type);
            l.push_str(&options_sql(&c.options));
            if let Some(coll) = &c.collation {
                let _ = write!(l, " COLLATE {coll}");
            }
            if let Some(g) = &c.generated {
                let kind = if c.virtual_generated {
                    "VIRTUAL"
                } else {
                    "STORED"
                };
                let _ = write!(l, " GENERATED ALWAYS AS ({g}) {kind}");
            }
            if let Some(i) = &c.identity {
                let _ = write!(l, " GENERATED {} AS IDENTITY", i.to_uppercase());
            }
            if let Some(d) = &c.default {
                let _ = write!(l, " DEFAULT {d}");
            }
            if c.not_null && !c.not_null_not_valid {
                l.push_str(" NOT NULL");
            }
            l
        })
        .collect();
    let mut st = format!(
        "CREATE {}TABLE {}",
        if t.foreign.is_some() { "FOREIGN " } else { "" },
        qualified(&t.name)
    );
    match &t.partition_of {
        // A partition's columns are its parent's.
        Some((parent, bound)) => {
            let _ = write!(st, " PARTITION OF {} {bound}", key_sql(parent));
        }
        None if cols.is_empty() => st.push_str(" ()"),
        None => {
            let _ = write!(st, " (\n{}\n)", cols.join(",\n"));
        }
    }
    if !t.inherits.is_empty() {
        let parents: Vec<String> = t.inherits.iter().map(|p| key_sql(p)).collect();
        let _ = write!(st, " INHERITS ({})", parents.join(", "));
    }
    if let Some(p) = &t.partition_by {
        let _ = write!(st, " PARTITION BY {p}");
    }
    st.push_str(&with_sql(&t.options));
    if let Some(f) = &t.foreign {
        let _ = write!(
            st,
            " SERVER {}{}",
            ident(&f.server),
            options_sql(&f.options)
        );
    }
    st
}

/// What a child changed on a column it inherits (its own default, `NOT NULL`): its statement
/// does not list the column.
fn overrides(s: &Snapshot, t: &Table) -> Vec<String> {
    let parents: Vec<&Table> = t
        .partition_of
        .iter()
        .map(|(p, _)| p)
        .chain(&t.inherits)
        .filter_map(|p| s.tables.get(p))
        .collect();
    let mut out = Vec::new();
    for c in t.columns.iter().filter(|c| c.inherited) {
        let Some(from) = parents
            .iter()
            .find_map(|p| p.columns.iter().find(|pc| pc.name == c.name))
        else {
            continue;
        };
        let alter = format!(
            "ALTER TABLE ONLY {} ALTER COLUMN {}",
            qualified(&t.name),
            ident(&c.name)
        );
        if c.default != from.default && c.generated.is_none() && c.identity.is_none() {
            out.push(match &c.default {
                Some(d) => format!("{alter} SET DEFAULT {d}"),
                None => format!("{alter} DROP DEFAULT"),
            });
        }
        if c.not_null && !from.not_null {
            out.push(format!("{alter} SET NOT NULL"));
        }
    }
    out
}

/// A `schema.name` key quoted as SQL.
fn key_sql(key: &str) -> String {
    match key.split_once('.') {
        Some((schema, name)) => qualified(&Name::new(schema, name)),
        None => ident(key),
    }
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

    fn table(key: &str) -> Table {
        let (schema, name) = key.split_once('.').unwrap();
        Table {
            name: Name::new(schema, name),
            columns: vec![Column {
                name: "id".into(),
                data_type: "integer".into(),
                ..Column::default()
            }],
            ..Table::default()
        }
    }

    #[test]
    fn children_after_parents_and_row_type_functions_after_tables() {
        let mut s = Snapshot::default();
        let mut part = table("public.a_part");
        part.partition_of = Some(("public.z_parent".into(), "DEFAULT".into()));
        part.columns[0].inherited = true;
        part.columns[0].default = Some("7".into());
        part.columns[0].not_null = true;
        let mut parent = table("public.z_parent");
        parent.partition_by = Some("LIST (id)".into());
        parent.constraints.insert(
            "c".into(),
            Constraint {
                name: "c".into(),
                kind: ConstraintKind::Check,
                definition: "CHECK ((id > 0))".into(),
                valid: true,
                comment: None,
            },
        );
        let mut child = table("public.b_child");
        child.inherits = vec!["public.z_parent".into()];
        let mut ext = table("public.ext");
        ext.foreign = Some(ForeignTable {
            server: "files".into(),
            options: vec![("filename".into(), "/dev/null".into())],
        });
        ext.columns[0].options = vec![("column_name".into(), "ID".into())];
        for t in [part, parent, child, ext] {
            s.tables.insert(t.name.key(), t);
        }
        let f = |name: &str, deps: &[&str]| Function {
            name: Name::new("public", name),
            definition: format!("CREATE FUNCTION public.{name}()"),
            depends_on: deps.iter().map(|d| d.to_string()).collect(),
            ..Function::default()
        };
        s.functions.insert(
            "public.all_rows()".into(),
            f("all_rows", &["public.z_parent"]),
        );
        s.functions.insert("public.plain()".into(), f("plain", &[]));
        s.functions
            .insert("public.of_view()".into(), f("of_view", &["public.v"]));
        s.views.insert(
            "public.v".into(),
            View {
                name: Name::new("public", "v"),
                definition: " SELECT * FROM public.all_rows()".into(),
                depends_on: vec!["public.all_rows()".into()],
                ..View::default()
            },
        );
        let out = render(&s, Flavor::Postgres, &DumpData::default());
        let at = |needle: &str| {
            out.find(needle)
                .unwrap_or_else(|| panic!("{needle:?} not in:\n{out}"))
        };
        assert!(at("CREATE FUNCTION public.plain()") < at("CREATE TABLE \"public\".\"a_part\""));
        assert!(at("CREATE TABLE \"public\".\"z_parent\"") < at("CREATE TABLE \"public\".\"a_part\" PARTITION OF \"public\".\"z_parent\" DEFAULT;"));
        assert!(at("CREATE TABLE \"public\".\"z_parent\"") < at("CREATE TABLE \"public\".\"b_child\" (\n    \"id\" integer\n) INHERITS (\"public\".\"z_parent\");"));
        assert!(at(") PARTITION BY LIST (id);") > at("\"z_parent\""));
        assert!(
            at("CREATE TABLE \"public\".\"b_child\"") < at("CREATE FUNCTION public.all_rows()")
        );
        assert!(at("CREATE FUNCTION public.all_rows()") < at("CREATE VIEW \"public\".\"v\""));
        assert!(at("CREATE FUNCTION public.all_rows()") < at("ADD CONSTRAINT"));
        assert!(at("CREATE VIEW \"public\".\"v\"") < at("CREATE FUNCTION public.of_view()"));
        at("CREATE FOREIGN TABLE \"public\".\"ext\" (\n    \"id\" integer OPTIONS (\"column_name\" 'ID')\n) SERVER \"files\" OPTIONS (\"filename\" '/dev/null');");
        // A partition's own default and NOT NULL on a column it inherits.
        at("ALTER TABLE ONLY \"public\".\"a_part\" ALTER COLUMN \"id\" SET DEFAULT 7;\nALTER TABLE ONLY \"public\".\"a_part\" ALTER COLUMN \"id\" SET NOT NULL;\n");
        assert!(at("SET NOT NULL") < at("ADD CONSTRAINT"));
        // A parent's constraint is added to its children too (no ONLY).
        at("ALTER TABLE \"public\".\"z_parent\" ADD CONSTRAINT \"c\" CHECK ((id > 0));");
        assert!(!out.contains("GRANT"), "{out}");
        s.privileges.insert(Grant {
            defaults: false,
            kind: "TABLE".into(),
            object: "\"public\".\"ext\"".into(),
            grantee: "\"reader\"".into(),
            granted: true,
            grant_option: true,
            privileges: vec!["SELECT".into()],
        });
        s.privileges.insert(Grant {
            defaults: false,
            kind: "FUNCTION".into(),
            object: "\"public\".\"plain\"()".into(),
            grantee: "PUBLIC".into(),
            granted: false,
            grant_option: false,
            privileges: vec!["EXECUTE".into()],
        });
        let out = render(&s, Flavor::Postgres, &DumpData::default());
        assert!(out.ends_with("\nREVOKE EXECUTE ON FUNCTION \"public\".\"plain\"() FROM PUBLIC;\nGRANT SELECT ON TABLE \"public\".\"ext\" TO \"reader\" WITH GRANT OPTION;\n"), "{out}");
    }
}
