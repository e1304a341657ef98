//! The order `dump` creates objects in where one depends on another: types, sequences,
//! functions and tables in one order (a type may hold a table's row type, a table a column of
//! another table's row type, a domain's check may call a function, a function take a table's
//! row type); views after the views and functions they use, functions using a view's row type
//! after the view. Pure.
//!
//! What a type, a column or a signature uses is read from the names in its text
//! ([`super::names`]): the catalog prints every name outside `pg_catalog` qualified
//! (`public.t[]`, `public.f(VALUE)`).

use super::model::*;
use super::names::qualified_names;
use std::collections::{BTreeMap, BTreeSet};

/// Created before the tables' keys and indexes: types, sequences, functions that use no
/// view's row type, and tables.
pub(super) enum Early<'a> {
    /// A user-defined type.
    Type(&'a TypeDef),
    /// A sequence.
    Sequence(&'a Sequence),
    /// A function or procedure.
    Function(&'a Function),
    /// A table.
    Table(&'a Table),
}

/// Enums, ranges, domains, composites, sequences, functions, tables (parents first), then
/// functions using tables' row types, each kind by name; an object using one that comes later
/// in that order follows it.
pub(super) fn early_order(s: &Snapshot) -> Vec<Early<'_>> {
    // Function names as text names them (`public.f`) to their keys (`public.f(i integer)`).
    let mut functions: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (k, f) in s.functions.iter().filter(|(_, f)| !late(s, f)) {
        functions.entry(f.name.key()).or_default().push(k.as_str());
    }
    let uses = |texts: &[&str]| -> Vec<&str> {
        let mut deps = Vec::new();
        for name in texts.iter().flat_map(|t| qualified_names(t)) {
            if let Some((k, _)) = s.types.get_key_value(&name) {
                deps.push(k.as_str());
            } else if let Some((k, _)) = s.tables.get_key_value(&name) {
                deps.push(k.as_str());
            } else if let Some(ks) = functions.get(&name) {
                deps.extend(ks.iter().copied());
            }
        }
        deps
    };
    let mut nodes: BTreeMap<&str, (u8, Vec<&str>, Early<'_>)> = BTreeMap::new();
    for (k, t) in &s.types {
        let (rank, deps) = match &t.kind {
            TypeKind::Enum { .. } => (0, vec![]),
            TypeKind::Range { subtype } => (1, uses(&[subtype])),
            TypeKind::Domain {
                base,
                default,
                checks,
                ..
            } => {
                let mut texts = vec![base.as_str()];
                texts.extend(default.as_deref());
                texts.extend(checks.iter().map(|(_, c)| c.as_str()));
                (2, uses(&texts))
            }
            TypeKind::Composite { attributes } => (
                3,
                uses(
                    &attributes
                        .iter()
                        .map(|(_, t)| t.as_str())
                        .collect::<Vec<_>>(),
                ),
            ),
        };
        nodes.insert(k.as_str(), (rank, deps, Early::Type(t)));
    }
    for (k, q) in &s.sequences {
        nodes.insert(k.as_str(), (4, vec![], Early::Sequence(q)));
    }
    for (k, f) in s.functions.iter().filter(|(_, f)| !late(s, f)) {
        // Its head names itself (and its overloads): not a dependency.
        let own = format!("{}(", f.name.key());
        let mut deps: Vec<&str> = f.depends_on.iter().map(|d| d.as_str()).collect();
        let (head, body) = split_definition(&f.definition);
        deps.extend(
            uses(&[head, body.unwrap_or_default()])
                .into_iter()
                .filter(|d| !d.starts_with(&own)),
        );
        // Those using tables' row types after the tables, so that keys, checks and indexes
        // may call them.
        let rank = if f.depends_on.is_empty() { 5 } else { 7 };
        nodes.insert(k.as_str(), (rank, deps, Early::Function(f)));
    }
    for (k, t) in &s.tables {
        let mut deps: Vec<&str> = t
            .inherits
            .iter()
            .chain(t.partition_of.iter().map(|(p, _)| p))
            .map(|p| p.as_str())
            .collect();
        // Column types, defaults and generation expressions.
        let texts: Vec<&str> = t
            .columns
            .iter()
            .flat_map(|c| {
                [
                    Some(c.data_type.as_str()),
                    c.default.as_deref(),
                    c.generated.as_deref(),
                ]
            })
            .flatten()
            .collect();
        deps.extend(uses(&texts).into_iter().filter(|d| *d != k.as_str()));
        nodes.insert(k.as_str(), (6, deps, Early::Table(t)));
    }
    ranked(nodes)
}

/// A function's definition as the server prints it, split into its head (the lines
/// `CREATE OR REPLACE FUNCTION ...(...)`, ` RETURNS ...`, ...) and, for an SQL-standard body
/// (`BEGIN ATOMIC ... END`, `RETURN ...`), that body: the server resolves the names in it when
/// the function is created, unlike a body in a string (`AS $function$...`).
fn split_definition(definition: &str) -> (&str, Option<&str>) {
    let Some(end) = definition.match_indices('\n').map(|(i, _)| i).find(|&i| {
        let rest = &definition[i + 1..];
        rest.starts_with("AS ") || rest.starts_with("BEGIN") || rest.starts_with("RETURN ")
    }) else {
        return (definition, None);
    };
    let body = &definition[end + 1..];
    (
        &definition[..end],
        (!body.starts_with("AS ")).then_some(body),
    )
}

/// The views an SQL-standard body reads.
fn body_views<'a>(s: &'a Snapshot, f: &Function) -> Vec<&'a str> {
    let Some(body) = split_definition(&f.definition).1 else {
        return vec![];
    };
    qualified_names(body)
        .iter()
        .filter_map(|n| s.views.get_key_value(n).map(|(k, _)| k.as_str()))
        .collect()
}

/// A function created with the views: its signature uses a view's row type, or its
/// SQL-standard body reads a view.
fn late(s: &Snapshot, f: &Function) -> bool {
    !on_tables_only(s, f) || !body_views(s, f).is_empty()
}

/// A function whose signature uses no view's row type (or no row type at all).
fn on_tables_only(s: &Snapshot, f: &Function) -> bool {
    f.depends_on.iter().all(|d| s.tables.contains_key(d))
}

/// What is created after the tables, in dependency order: views, and functions whose
/// signature uses a view's row type.
pub(super) enum Late<'a> {
    /// A view or materialized view.
    View(&'a View),
    /// A function or procedure.
    Function(&'a Function),
}

pub(super) fn late_order(s: &Snapshot) -> Vec<Late<'_>> {
    let mut nodes: BTreeMap<&str, (Vec<&str>, Late<'_>)> = BTreeMap::new();
    for (k, v) in &s.views {
        let deps = v.depends_on.iter().map(|d| d.as_str()).collect();
        nodes.insert(k.as_str(), (deps, Late::View(v)));
    }
    for (k, f) in s.functions.iter().filter(|(_, f)| late(s, f)) {
        let mut deps: Vec<&str> = f.depends_on.iter().map(|d| d.as_str()).collect();
        deps.extend(body_views(s, f));
        nodes.insert(k.as_str(), (deps, Late::Function(f)));
    }
    topological(nodes)
}

/// The nodes, each after those of its dependencies that are nodes too; otherwise by key.
fn topological<'a, T>(left: BTreeMap<&'a str, (Vec<&'a str>, T)>) -> Vec<T> {
    ranked(
        left.into_iter()
            .map(|(k, (deps, t))| (k, (0, deps, t)))
            .collect(),
    )
}

/// The nodes, each after those of its dependencies that are nodes too; otherwise by rank, then
/// by key. In rounds: each round takes every ready node of the lowest rank among the ready ones.
fn ranked<'a, T>(mut left: BTreeMap<&'a str, (u8, Vec<&'a str>, T)>) -> Vec<T> {
    let keys: BTreeSet<&str> = left.keys().copied().collect();
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut order = Vec::new();
    while !left.is_empty() {
        let ready: Vec<(u8, &str)> = left
            .iter()
            .filter(|(_, (_, deps, _))| deps.iter().all(|d| done.contains(d) || !keys.contains(d)))
            .map(|(k, (rank, _, _))| (*rank, *k))
            .collect();
        // A cycle cannot be created in a database; if the model has one, keep rank and key order.
        let take: Vec<&str> = match ready.iter().map(|(r, _)| *r).min() {
            Some(low) => ready
                .iter()
                .filter(|(r, _)| *r == low)
                .map(|(_, k)| *k)
                .collect(),
            None => {
                let (k, _) = left
                    .iter()
                    .min_by_key(|(k, (rank, _, _))| (*rank, **k))
                    .expect("not empty");
                vec![*k]
            }
        };
        for k in take {
            order.push(left.remove(k).expect("present").2);
            done.insert(k);
        }
    }
    order
}

/// Views after the views they read; otherwise by name.
pub(super) fn view_order(s: &Snapshot) -> Vec<&View> {
    let nodes = s
        .views
        .iter()
        .map(|(k, v)| {
            (
                k.as_str(),
                (v.depends_on.iter().map(|d| d.as_str()).collect(), v),
            )
        })
        .collect();
    topological(nodes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn early_names(s: &Snapshot) -> Vec<String> {
        early_order(s)
            .iter()
            .map(|e| match e {
                Early::Type(t) => t.name.name.clone(),
                Early::Sequence(q) => q.name.name.clone(),
                Early::Function(f) => f.name.name.clone(),
                Early::Table(t) => t.name.name.clone(),
            })
            .collect()
    }

    fn table(name: &str, types: &[&str]) -> Table {
        Table {
            name: Name::new("public", name),
            columns: types
                .iter()
                .enumerate()
                .map(|(i, t)| Column {
                    name: format!("c{i}"),
                    data_type: t.to_string(),
                    ..Column::default()
                })
                .collect(),
            ..Table::default()
        }
    }

    fn type_def(name: &str, kind: TypeKind) -> TypeDef {
        TypeDef {
            name: Name::new("public", name),
            kind,
            comment: None,
        }
    }

    fn function(name: &str, arguments: &str, returns: &str) -> Function {
        Function {
            name: Name::new("public", name),
            arguments: arguments.into(),
            definition: format!(
                "CREATE OR REPLACE FUNCTION public.{name}({arguments})\n RETURNS {returns}\n \
                 LANGUAGE sql\nAS $function$ SELECT public.t_rows() $function$"
            ),
            ..Function::default()
        }
    }

    #[test]
    fn types_tables_and_functions_come_after_what_they_use_otherwise_by_kind_and_name() {
        let mut s = Snapshot::default();
        let mut add_type = |t: TypeDef| {
            s.types.insert(t.name.key(), t);
        };
        add_type(type_def("mood", TypeKind::Enum { labels: vec![] }));
        add_type(type_def(
            "a_pair",
            TypeKind::Composite {
                attributes: vec![
                    ("a".into(), "public.t".into()),
                    ("b".into(), "integer".into()),
                ],
            },
        ));
        add_type(type_def(
            "a_row",
            TypeKind::Domain {
                base: "public.t[]".into(),
                default: None,
                not_null: false,
                checks: vec![],
            },
        ));
        add_type(type_def(
            "a_pos",
            TypeKind::Domain {
                base: "integer".into(),
                default: None,
                not_null: false,
                checks: vec![("c".into(), "CHECK (public.z_is_pos(VALUE))".into())],
            },
        ));
        add_type(type_def(
            "a_labelled",
            TypeKind::Domain {
                base: "public.t".into(),
                default: None,
                not_null: false,
                checks: vec![(
                    "c".into(),
                    "CHECK ((public.z_label(VALUE) <> ''::text))".into(),
                )],
            },
        ));
        add_type(type_def(
            "plain",
            TypeKind::Composite {
                attributes: vec![("m".into(), "public.mood".into())],
            },
        ));
        for t in [
            table("t", &["integer"]),
            table(
                "a_holder",
                &["public.t[]", "public.a_pair", "public.z_item"],
            ),
            table("z_item", &["public.plain"]),
            {
                let mut t = table("a_made", &["text"]);
                t.columns[0].default = Some("public.z_label(NULL::public.t)".into());
                t
            },
        ] {
            s.tables.insert(t.name.key(), t);
        }
        for f in [
            function("z_is_pos", "i integer", "boolean"),
            function("a_def", "x boolean DEFAULT public.z_is_pos(1)", "boolean"),
            function("a_first", "p public.a_pair", "integer"),
            function("a_make", "", "public.a_pair"),
            function("b_mood", "m public.mood", "public.plain"),
            Function {
                depends_on: vec!["public.t".into()],
                ..function("z_label", "r public.t", "text")
            },
        ] {
            s.functions
                .insert(format!("{}({})", f.name.key(), f.arguments), f);
        }
        assert_eq!(
            early_names(&s),
            [
                "mood",
                "plain",
                "b_mood",
                "z_is_pos",
                "a_pos",
                "a_def",
                "t",
                "z_item",
                "a_row",
                "a_pair",
                "a_first",
                "a_make",
                "a_holder",
                "z_label",
                "a_labelled",
                "a_made",
            ]
        );
    }

    #[test]
    fn sql_standard_bodies_are_dependencies_string_bodies_are_not() {
        let head = "CREATE OR REPLACE FUNCTION public.f()\n RETURNS bigint\n LANGUAGE sql";
        let atomic =
            format!("{head}\nBEGIN ATOMIC\n SELECT count(*) AS count\n    FROM public.v;\nEND");
        assert_eq!(
            split_definition(&atomic),
            (
                head,
                Some("BEGIN ATOMIC\n SELECT count(*) AS count\n    FROM public.v;\nEND")
            )
        );
        let string = format!("{head}\nAS $function$ SELECT count(*) FROM public.v $function$");
        assert_eq!(split_definition(&string), (head, None));
        let mut s = Snapshot::default();
        s.views.insert(
            "public.v".into(),
            View {
                name: Name::new("public", "v"),
                ..View::default()
            },
        );
        for (name, definition) in [("f", &atomic), ("g", &string)] {
            let f = Function {
                name: Name::new("public", name),
                definition: definition.replace("public.f()", &format!("public.{name}()")),
                ..Function::default()
            };
            s.functions.insert(format!("public.{name}()"), f);
        }
        // The body in a string is not read: that function is created early.
        assert_eq!(early_names(&s), ["g"]);
        let late: Vec<&str> = late_order(&s)
            .iter()
            .map(|l| match l {
                Late::View(v) => v.name.name.as_str(),
                Late::Function(f) => f.name.name.as_str(),
            })
            .collect();
        assert_eq!(late, ["v", "f"]);
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
}
