//! What differs between two [`Snapshot`]s, object by object, as data. Pure.
//!
//! `before` is what was expected (the schema before `up`, the dump file), `after` what is (the
//! schema after `down`, the live database). [`super::words`] says each difference in words.

use super::model::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// One difference between two snapshots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// The object, as people say it: `table groupchannels`, `column users.email`.
    pub subject: String,
    /// What differs.
    pub change: Change,
}

/// How an object differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "change")]
pub enum Change {
    /// In `after` only (left behind by a down, added outside migrations).
    Extra,
    /// In `before` only (dropped, never created).
    Missing,
    /// One aspect differs: e.g. aspect `default`, now `now()`, was `NULL`.
    Changed {
        /// What about it: `is on`, `default`, `is`, `has values`.
        aspect: String,
        /// The value in `after`.
        now: String,
        /// The value in `before`.
        was: String,
    },
    /// A table's columns are the same but in another order.
    ColumnOrder {
        /// Column names in `after`.
        now: Vec<String>,
        /// Column names in `before`.
        was: Vec<String>,
    },
}

impl Difference {
    /// Only the order of a table's columns differs (not a failure of `verify` unless strict).
    pub fn order_only(&self) -> bool {
        matches!(self.change, Change::ColumnOrder { .. })
    }
}

/// Every difference from `before` to `after`, in a stable order (by kind of object, then name).
pub fn diff(before: &Snapshot, after: &Snapshot) -> Vec<Difference> {
    let mut out = Out::default();
    map(
        &mut out,
        &before.schemas,
        &after.schemas,
        |k| format!("schema {k}"),
        |o, s, b, a| o.opt(s, "comment", b, a),
    );
    map(
        &mut out,
        &before.extensions,
        &after.extensions,
        |k| format!("extension {k}"),
        |o, s, b, a| {
            o.val(s, "is in schema", b, a);
        },
    );
    map(
        &mut out,
        &before.types,
        &after.types,
        |k| type_subject(k, &after.types, &before.types),
        types,
    );
    map(
        &mut out,
        &before.sequences,
        &after.sequences,
        |k| subject("sequence", k),
        sequences,
    );
    map(
        &mut out,
        &before.tables,
        &after.tables,
        |k| subject("table", k),
        tables,
    );
    map(
        &mut out,
        &before.views,
        &after.views,
        |k| view_subject(k, &after.views, &before.views),
        views,
    );
    map(
        &mut out,
        &before.functions,
        &after.functions,
        |k| {
            let kind = after
                .functions
                .get(k)
                .or(before.functions.get(k))
                .is_some_and(|f| f.procedure);
            format!(
                "{} {}",
                if kind { "procedure" } else { "function" },
                short(k)
            )
        },
        |o, s, b, a| {
            o.val(s, "is defined as", &b.definition, &a.definition);
            o.opt(s, "comment", &b.comment, &a.comment);
        },
    );
    map(
        &mut out,
        &before.servers,
        &after.servers,
        |k| format!("server {k}"),
        servers,
    );
    for g in before.privileges.difference(&after.privileges) {
        out.push(&grant_subject(g), Change::Missing);
    }
    for g in after.privileges.difference(&before.privileges) {
        out.push(&grant_subject(g), Change::Extra);
    }
    out.0
}

/// `grant SELECT, INSERT on TABLE "public"."t" to "reader"`, `revoke EXECUTE on ... from PUBLIC`.
fn grant_subject(g: &Grant) -> String {
    let option = if g.grant_option {
        " with grant option"
    } else {
        ""
    };
    format!(
        "{}{} {} on {} {} {} {}{option}",
        if g.defaults {
            "default privileges: "
        } else {
            ""
        },
        if g.granted { "grant" } else { "revoke" },
        g.privileges.join(", "),
        g.kind,
        g.object,
        if g.granted { "to" } else { "from" },
        g.grantee
    )
}

fn options_text(options: &[(String, String)]) -> String {
    list(
        &options
            .iter()
            .map(|(k, v)| format!("{k} '{v}'"))
            .collect::<Vec<_>>(),
    )
}

fn servers(o: &mut Out, s: &str, b: &Server, a: &Server) {
    o.val(s, "uses wrapper", &b.wrapper, &a.wrapper);
    o.opt(s, "type", &b.server_type, &a.server_type);
    o.opt(s, "version", &b.version, &a.version);
    o.val(
        s,
        "has options",
        &options_text(&b.options),
        &options_text(&a.options),
    );
}

#[derive(Default)]
struct Out(Vec<Difference>);

impl Out {
    fn push(&mut self, subject: &str, change: Change) {
        self.0.push(Difference {
            subject: subject.to_string(),
            change,
        });
    }

    /// Record `aspect` when `was != now`; true when it did.
    fn val<T: PartialEq + std::fmt::Display>(
        &mut self,
        subject: &str,
        aspect: &str,
        was: &T,
        now: &T,
    ) -> bool {
        if was == now {
            return false;
        }
        self.push(
            subject,
            Change::Changed {
                aspect: aspect.to_string(),
                now: now.to_string(),
                was: was.to_string(),
            },
        );
        true
    }

    fn opt(&mut self, subject: &str, aspect: &str, was: &Option<String>, now: &Option<String>) {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
        self.val(subject, aspect, &show(was), &show(now));
    }
}

/// The name as people say it: `public.users` -> `users`, `app.users` stays.
fn short(key: &str) -> &str {
    key.strip_prefix("public.")
        .or_else(|| key.strip_prefix("main."))
        .unwrap_or(key)
}

fn subject(kind: &str, key: &str) -> String {
    format!("{kind} {}", short(key))
}

fn type_subject(key: &str, a: &BTreeMap<String, TypeDef>, b: &BTreeMap<String, TypeDef>) -> String {
    let kind = a
        .get(key)
        .or(b.get(key))
        .map_or("type", |t| t.kind.as_str());
    subject(kind, key)
}

fn view_subject(key: &str, a: &BTreeMap<String, View>, b: &BTreeMap<String, View>) -> String {
    let m = a.get(key).or(b.get(key)).is_some_and(|v| v.materialized);
    subject(if m { "materialized view" } else { "view" }, key)
}

/// Extra and missing keys, then `same` on keys in both.
fn map<T>(
    out: &mut Out,
    before: &BTreeMap<String, T>,
    after: &BTreeMap<String, T>,
    name: impl Fn(&str) -> String,
    same: impl Fn(&mut Out, &str, &T, &T),
) {
    for (k, b) in before {
        match after.get(k) {
            None => out.push(&name(k), Change::Missing),
            Some(a) => same(out, &name(k), b, a),
        }
    }
    for k in after.keys().filter(|k| !before.contains_key(*k)) {
        out.push(&name(k), Change::Extra);
    }
}

fn list(items: &[String]) -> String {
    format!("({})", items.join(", "))
}

fn types(o: &mut Out, s: &str, b: &TypeDef, a: &TypeDef) {
    match (&b.kind, &a.kind) {
        (TypeKind::Enum { labels: lb }, TypeKind::Enum { labels: la }) => {
            let q = |v: &Vec<String>| list(&v.iter().map(|l| format!("'{l}'")).collect::<Vec<_>>());
            o.val(s, "has values", &q(lb), &q(la));
        }
        (TypeKind::Composite { attributes: ab }, TypeKind::Composite { attributes: aa }) => {
            let q = |v: &Vec<(String, String)>| {
                list(
                    &v.iter()
                        .map(|(n, t)| format!("{n} {t}"))
                        .collect::<Vec<_>>(),
                )
            };
            o.val(s, "has attributes", &q(ab), &q(aa));
        }
        (
            TypeKind::Domain {
                base: bb,
                default: bd,
                not_null: bn,
                checks: bc,
            },
            TypeKind::Domain {
                base: ab,
                default: ad,
                not_null: an,
                checks: ac,
            },
        ) => {
            o.val(s, "is over", bb, ab);
            o.opt(s, "default", bd, ad);
            o.val(s, "is", &nullability(*bn), &nullability(*an));
            let q = |v: &Vec<(String, String)>| {
                list(
                    &v.iter()
                        .map(|(n, d)| format!("{n} {d}"))
                        .collect::<Vec<_>>(),
                )
            };
            o.val(s, "has checks", &q(bc), &q(ac));
        }
        (TypeKind::Range { subtype: bs }, TypeKind::Range { subtype: as_ }) => {
            o.val(s, "is a range of", bs, as_);
        }
        (bk, ak) => {
            o.val(s, "is", &bk.as_str().to_string(), &ak.as_str().to_string());
        }
    }
    o.opt(s, "comment", &b.comment, &a.comment);
}

fn nullability(not_null: bool) -> String {
    if not_null { "NOT NULL" } else { "nullable" }.to_string()
}

fn sequences(o: &mut Out, s: &str, b: &Sequence, a: &Sequence) {
    o.val(s, "is of type", &b.data_type, &a.data_type);
    o.val(s, "starts with", &b.start, &a.start);
    o.val(s, "increments by", &b.increment, &a.increment);
    o.val(s, "has minimum", &b.min, &a.min);
    o.val(s, "has maximum", &b.max, &a.max);
    o.val(s, "caches", &b.cache, &a.cache);
    o.val(s, "cycles", &b.cycle, &a.cycle);
    let owner = |v: &Option<(String, String)>| v.as_ref().map(|(t, c)| format!("{}.{c}", short(t)));
    o.opt(s, "is owned by", &owner(&b.owned_by), &owner(&a.owned_by));
    o.opt(s, "comment", &b.comment, &a.comment);
}

fn tables(o: &mut Out, s: &str, b: &Table, a: &Table) {
    let before = o.0.len();
    let table = s.strip_prefix("table ").unwrap_or(s);
    let bc: BTreeMap<String, &Column> = b.columns.iter().map(|c| (c.name.clone(), c)).collect();
    let ac: BTreeMap<String, &Column> = a.columns.iter().map(|c| (c.name.clone(), c)).collect();
    map(
        o,
        &bc,
        &ac,
        |c| format!("column {table}.{c}"),
        |o, s, b, a| columns(o, s, b, a),
    );
    let columns_differ = o.0.len() > before;
    let order = |t: &Table| t.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
    if !columns_differ && order(a) != order(b) {
        o.push(
            s,
            Change::ColumnOrder {
                now: order(a),
                was: order(b),
            },
        );
    }
    map(
        o,
        &b.constraints,
        &a.constraints,
        |c| {
            let kind = a
                .constraints
                .get(c)
                .or(b.constraints.get(c))
                .map_or("constraint", |c| c.kind.as_str());
            format!("{kind} {c} on {table}")
        },
        |o, s, b, a| {
            o.val(s, "is", &b.definition, &a.definition);
            o.val(s, "is", &validity(b.valid), &validity(a.valid));
            o.opt(s, "comment", &b.comment, &a.comment);
        },
    );
    map(o, &b.indexes, &a.indexes, |i| format!("index {i}"), indexes);
    map(
        o,
        &b.triggers,
        &a.triggers,
        |t| format!("trigger {t} on {table}"),
        |o, s, b, a| {
            o.val(s, "is", &b.definition, &a.definition);
            o.opt(s, "comment", &b.comment, &a.comment);
        },
    );
    map(
        o,
        &b.policies,
        &a.policies,
        |p| format!("policy {p} on {table}"),
        |o, s, b, a| {
            o.val(s, "is", &policy_text(b), &policy_text(a));
        },
    );
    o.val(
        s,
        "has row level security",
        &on_off(b.row_security),
        &on_off(a.row_security),
    );
    o.val(
        s,
        "has forced row level security",
        &on_off(b.force_row_security),
        &on_off(a.force_row_security),
    );
    let partitioned = |t: &Table| match &t.partition_by {
        Some(p) => format!("partitioned by {p}"),
        None => "not partitioned".into(),
    };
    o.val(s, "is", &partitioned(b), &partitioned(a));
    let partition = |t: &Table| match &t.partition_of {
        Some((parent, bound)) => format!("a partition of {} {bound}", short(parent)),
        None => "not a partition".into(),
    };
    o.val(s, "is", &partition(b), &partition(a));
    let parents = |t: &Table| {
        if t.inherits.is_empty() {
            return "nothing".to_string();
        }
        let names: Vec<&str> = t.inherits.iter().map(|p| short(p)).collect();
        names.join(", ")
    };
    o.val(s, "inherits from", &parents(b), &parents(a));
    let foreign = |t: &Table| match &t.foreign {
        Some(f) if f.options.is_empty() => format!("a foreign table on server {}", f.server),
        Some(f) => format!(
            "a foreign table on server {} with options {}",
            f.server,
            options_text(&f.options)
        ),
        None => "not a foreign table".into(),
    };
    o.val(s, "is", &foreign(b), &foreign(a));
    o.val(
        s,
        "has options",
        &options_text(&b.options),
        &options_text(&a.options),
    );
    o.opt(s, "comment", &b.comment, &a.comment);
    // The stored statement (SQLite) says again what the columns said; only a difference the
    // model does not see is reported from it.
    if o.0.len() == before {
        o.opt(s, "is defined as", &b.definition, &a.definition);
    }
}

fn validity(valid: bool) -> String {
    if valid { "validated" } else { "NOT VALID" }.to_string()
}

fn on_off(on: bool) -> String {
    if on { "on" } else { "off" }.to_string()
}

/// A policy as one line, for comparing and showing.
pub(crate) fn policy_text(p: &Policy) -> String {
    let mut t = format!(
        "AS {} FOR {} TO {}",
        if p.permissive {
            "PERMISSIVE"
        } else {
            "RESTRICTIVE"
        },
        p.command,
        p.roles.join(", ")
    );
    if let Some(u) = &p.using {
        t.push_str(&format!(" USING ({u})"));
    }
    if let Some(w) = &p.with_check {
        t.push_str(&format!(" WITH CHECK ({w})"));
    }
    t
}

fn columns(o: &mut Out, s: &str, b: &Column, a: &Column) {
    o.val(s, "is of type", &b.data_type, &a.data_type);
    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "NULL".into());
    o.val(s, "default", &show(&b.default), &show(&a.default));
    let null = |c: &Column| {
        let n = nullability(c.not_null);
        if c.not_null_not_valid {
            format!("{n} NOT VALID")
        } else {
            n
        }
    };
    o.val(s, "is", &null(b), &null(a));
    o.opt(s, "identity", &b.identity, &a.identity);
    o.opt(s, "is generated as", &b.generated, &a.generated);
    if b.generated.is_some() && a.generated.is_some() {
        let kind = |c: &Column| {
            if c.virtual_generated {
                "virtual"
            } else {
                "stored"
            }
            .to_string()
        };
        o.val(s, "is", &kind(b), &kind(a));
    }
    o.opt(s, "collation", &b.collation, &a.collation);
    o.opt(s, "comment", &b.comment, &a.comment);
    o.val(
        s,
        "has options",
        &options_text(&b.options),
        &options_text(&a.options),
    );
}

fn indexes(o: &mut Out, s: &str, b: &Index, a: &Index) {
    let n = o.0.len();
    o.val(s, "is on", &b.keys, &a.keys);
    o.val(s, "is", &uniqueness(b.unique), &uniqueness(a.unique));
    o.val(s, "uses", &b.method, &a.method);
    o.opt(s, "includes", &b.include, &a.include);
    o.opt(s, "has predicate", &b.predicate, &a.predicate);
    if o.0.len() == n {
        o.val(s, "is", &b.definition, &a.definition);
    }
    o.opt(s, "comment", &b.comment, &a.comment);
}

fn uniqueness(unique: bool) -> String {
    if unique { "unique" } else { "not unique" }.to_string()
}

fn views(o: &mut Out, s: &str, b: &View, a: &View) {
    o.val(s, "is defined as", &b.definition, &a.definition);
    o.val(
        s,
        "has options",
        &options_text(&b.options),
        &options_text(&a.options),
    );
    map(o, &b.indexes, &a.indexes, |i| format!("index {i}"), indexes);
    o.opt(s, "comment", &b.comment, &a.comment);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, ty: &str) -> Column {
        Column {
            name: name.into(),
            data_type: ty.into(),
            ..Column::default()
        }
    }

    fn table(name: &str, cols: Vec<Column>) -> Table {
        Table {
            name: Name::new("public", name),
            columns: cols,
            ..Table::default()
        }
    }

    fn with_table(t: Table) -> Snapshot {
        let mut s = Snapshot::default();
        s.tables.insert(t.name.key(), t);
        s
    }

    #[test]
    fn equal_snapshots_have_no_difference() {
        let s = with_table(table("t", vec![col("a", "integer")]));
        assert_eq!(diff(&s, &s.clone()), vec![]);
    }

    #[test]
    fn a_table_left_behind_is_extra_and_a_dropped_one_missing() {
        let empty = Snapshot::default();
        let s = with_table(table("groupchannels", vec![col("a", "integer")]));
        let d = diff(&empty, &s);
        assert_eq!(
            d,
            vec![Difference {
                subject: "table groupchannels".into(),
                change: Change::Extra
            }]
        );
        let d = diff(&s, &empty);
        assert_eq!(d[0].change, Change::Missing);
    }

    #[test]
    fn a_generated_column_stored_instead_of_virtual_is_named() {
        let generated = |virtual_generated| Column {
            generated: Some("(a * 2)".into()),
            virtual_generated,
            ..col("v", "integer")
        };
        let d = diff(
            &with_table(table("t", vec![generated(true)])),
            &with_table(table("t", vec![generated(false)])),
        );
        assert_eq!(
            d,
            vec![Difference {
                subject: "column t.v".into(),
                change: Change::Changed {
                    aspect: "is".into(),
                    now: "stored".into(),
                    was: "virtual".into()
                }
            }]
        );
    }

    #[test]
    fn a_not_null_validated_since_is_named() {
        let column = |not_null_not_valid| Column {
            not_null: true,
            not_null_not_valid,
            ..col("n", "integer")
        };
        let d = diff(
            &with_table(table("t", vec![column(true)])),
            &with_table(table("t", vec![column(false)])),
        );
        assert_eq!(
            d,
            vec![Difference {
                subject: "column t.n".into(),
                change: Change::Changed {
                    aspect: "is".into(),
                    now: "NOT NULL".into(),
                    was: "NOT NULL NOT VALID".into()
                }
            }]
        );
    }

    #[test]
    fn column_default_and_not_null_changes_are_named() {
        let mut before = col("c", "timestamp with time zone");
        before.not_null = true;
        let mut after = col("c", "timestamp with time zone");
        after.default = Some("now()".into());
        let d = diff(
            &with_table(table("t", vec![before])),
            &with_table(table("t", vec![after])),
        );
        assert_eq!(
            d,
            vec![
                Difference {
                    subject: "column t.c".into(),
                    change: Change::Changed {
                        aspect: "default".into(),
                        now: "now()".into(),
                        was: "NULL".into()
                    }
                },
                Difference {
                    subject: "column t.c".into(),
                    change: Change::Changed {
                        aspect: "is".into(),
                        now: "nullable".into(),
                        was: "NOT NULL".into()
                    }
                },
            ]
        );
    }

    #[test]
    fn only_column_order_is_classified_apart() {
        let b = with_table(table("t", vec![col("a", "integer"), col("b", "text")]));
        let a = with_table(table("t", vec![col("b", "text"), col("a", "integer")]));
        let d = diff(&b, &a);
        assert_eq!(d.len(), 1);
        assert!(d[0].order_only());
        // A changed column as well: the order is not reported on its own.
        let a = with_table(table("t", vec![col("b", "integer"), col("a", "integer")]));
        let d = diff(&b, &a);
        assert!(d.iter().all(|d| !d.order_only()), "{d:?}");
    }

    #[test]
    fn an_index_on_another_column_names_both() {
        let idx = |keys: &str| Index {
            name: "idx_a".into(),
            method: "btree".into(),
            keys: keys.into(),
            definition: format!("CREATE INDEX idx_a ON public.t USING btree {keys}"),
            ..Index::default()
        };
        let mut b = table("t", vec![]);
        b.indexes.insert("idx_a".into(), idx("(userid)"));
        let mut a = b.clone();
        a.indexes.insert("idx_a".into(), idx("(type)"));
        let d = diff(&with_table(b), &with_table(a));
        assert_eq!(
            d,
            vec![Difference {
                subject: "index idx_a".into(),
                change: Change::Changed {
                    aspect: "is on".into(),
                    now: "(type)".into(),
                    was: "(userid)".into()
                }
            }]
        );
    }

    #[test]
    fn enum_values_and_extensions_are_compared() {
        let mut b = Snapshot::default();
        let e = |labels: &[&str]| TypeDef {
            name: Name::new("public", "mood"),
            kind: TypeKind::Enum {
                labels: labels.iter().map(|l| l.to_string()).collect(),
            },
            comment: None,
        };
        b.types.insert("public.mood".into(), e(&["a", "b"]));
        let mut a = b.clone();
        a.types.insert("public.mood".into(), e(&["a", "b", "c"]));
        a.extensions.insert("pg_trgm".into(), "public".into());
        let d = diff(&b, &a);
        assert_eq!(
            d[0],
            Difference {
                subject: "extension pg_trgm".into(),
                change: Change::Extra
            }
        );
        assert_eq!(d[1].subject, "enum mood");
        assert_eq!(
            d[1].change,
            Change::Changed {
                aspect: "has values".into(),
                now: "('a', 'b', 'c')".into(),
                was: "('a', 'b')".into()
            }
        );
    }

    #[test]
    fn names_outside_public_keep_their_schema() {
        let mut t = table("t", vec![]);
        t.name = Name::new("app", "t");
        let d = diff(&Snapshot::default(), &with_table(t));
        assert_eq!(d[0].subject, "table app.t");
    }

    #[test]
    fn partitions_parents_foreign_tables_and_grants_are_said_in_words() {
        use crate::schema::words::{sentence, Side};
        let mut b = Snapshot::default();
        let mut child = table("events_old", vec![]);
        child.partition_of = Some(("public.events".into(), "DEFAULT".into()));
        child.inherits = vec![];
        let mut parted = table("events", vec![]);
        parted.partition_by = Some("RANGE (at)".into());
        let mut item = table("item", vec![]);
        item.inherits = vec!["public.base".into(), "app.other".into()];
        let mut ext = table("ext", vec![]);
        ext.foreign = Some(ForeignTable {
            server: "files".into(),
            options: vec![("filename".into(), "/dev/null".into())],
        });
        for t in [child, parted, item, ext] {
            b.tables.insert(t.name.key(), t);
        }
        b.servers.insert(
            "files".into(),
            Server {
                name: "files".into(),
                wrapper: "file_fdw".into(),
                ..Server::default()
            },
        );
        let grant = Grant {
            defaults: false,
            kind: "TABLE".into(),
            object: "\"public\".\"events\"".into(),
            grantee: "\"reader\"".into(),
            granted: true,
            grant_option: false,
            privileges: vec!["INSERT".into(), "SELECT".into()],
        };
        b.privileges.insert(grant.clone());
        let mut a = b.clone();
        for t in a.tables.values_mut() {
            t.partition_of = None;
            t.partition_by = None;
            t.inherits.truncate(1);
            if let Some(f) = &mut t.foreign {
                f.options[0].1 = "/etc/hosts".into();
            }
        }
        a.servers.get_mut("files").unwrap().wrapper = "postgres_fdw".into();
        a.privileges.clear();
        let side = Side::File("schema.sql".into());
        let words: Vec<String> = diff(&b, &a).iter().map(|d| sentence(d, &side)).collect();
        assert_eq!(
            words,
            [
                "table events is not partitioned in the database, partitioned by RANGE (at) in schema.sql",
                "table events_old is not a partition in the database, a partition of events DEFAULT in schema.sql",
                "table ext is a foreign table on server files with options (filename '/etc/hosts') in the database, a foreign table on server files with options (filename '/dev/null') in schema.sql",
                "table item inherits from base in the database, base, app.other in schema.sql",
                "server files uses wrapper postgres_fdw in the database, file_fdw in schema.sql",
                "grant INSERT, SELECT on TABLE \"public\".\"events\" to \"reader\" is in schema.sql, not in the database",
            ]
        );
        let words: Vec<String> = diff(&a, &b)
            .iter()
            .map(|d| sentence(d, &Side::RoundTrip))
            .collect();
        assert!(
            words.contains(
                &"table events_old is a partition of events DEFAULT, was not a partition"
                    .to_string()
            ),
            "{words:?}"
        );
    }
}
