//! Which entries of a [`Snapshot`] a step may have changed, named the way a catalog reader
//! reads them again: relations (a table, view or sequence) and types by `schema.name`,
//! functions by `schema.name` (all their overloads), and the schema-level maps (schemas,
//! extensions, servers) as one piece.
//!
//! `verify` holds one snapshot of the whole schema and, per step, only the entries the step
//! touched: taking them out, putting them back and comparing them costs what the step
//! touched, not what the schema holds.

use super::model::Snapshot;
use std::collections::{BTreeMap, BTreeSet};

/// A set of snapshot entries. Privileges are not entries: a step that changes them makes the
/// reader take a full snapshot ([`Entries::All`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Entries {
    /// Every entry (a full snapshot was taken).
    #[default]
    All,
    /// These, and nothing else.
    Some(Named),
}

/// Entries by name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Named {
    /// The schemas, extensions and servers maps, whole.
    pub schemas: bool,
    /// `schema.name` of tables, views and sequences.
    pub rels: BTreeSet<String>,
    /// `schema.name` of types.
    pub types: BTreeSet<String>,
    /// `schema.name` of functions and procedures (every overload).
    pub funcs: BTreeSet<String>,
}

impl Entries {
    /// No entry.
    pub fn none() -> Entries {
        Entries::Some(Named::default())
    }

    /// No entry at all.
    pub fn is_empty(&self) -> bool {
        match self {
            Entries::All => false,
            Entries::Some(n) => {
                !n.schemas && n.rels.is_empty() && n.types.is_empty() && n.funcs.is_empty()
            }
        }
    }

    /// Both sets.
    pub fn union(&self, other: &Entries) -> Entries {
        match (self, other) {
            (Entries::Some(a), Entries::Some(b)) => Entries::Some(Named {
                schemas: a.schemas || b.schemas,
                rels: a.rels.union(&b.rels).cloned().collect(),
                types: a.types.union(&b.types).cloned().collect(),
                funcs: a.funcs.union(&b.funcs).cloned().collect(),
            }),
            _ => Entries::All,
        }
    }
}

/// A function's key (`schema.name(args)`) is one of `schema.name`'s overloads.
fn overloads<'a, V>(
    map: &'a BTreeMap<String, V>,
    name: &str,
) -> impl Iterator<Item = &'a String> + 'a {
    let prefix = format!("{name}(");
    map.range(prefix.clone()..)
        .map(|(k, _)| k)
        .take_while(move |k| k.starts_with(&prefix))
}

impl Snapshot {
    /// A copy of the entries in `entries` (the others left out).
    pub fn restrict(&self, entries: &Entries) -> Snapshot {
        let Entries::Some(n) = entries else {
            return self.clone();
        };
        let mut out = Snapshot::default();
        if n.schemas {
            out.schemas = self.schemas.clone();
            out.extensions = self.extensions.clone();
            out.servers = self.servers.clone();
        }
        for r in &n.rels {
            copy_one(&self.tables, &mut out.tables, r);
            copy_one(&self.views, &mut out.views, r);
            copy_one(&self.sequences, &mut out.sequences, r);
        }
        for t in &n.types {
            copy_one(&self.types, &mut out.types, t);
        }
        for f in &n.funcs {
            for k in overloads(&self.functions, f) {
                out.functions.insert(k.clone(), self.functions[k].clone());
            }
        }
        out
    }

    /// Take the entries in `entries` out (returned; the others stay).
    pub fn take(&mut self, entries: &Entries) -> Snapshot {
        let Entries::Some(n) = entries else {
            return std::mem::take(self);
        };
        let mut out = Snapshot::default();
        if n.schemas {
            out.schemas = std::mem::take(&mut self.schemas);
            out.extensions = std::mem::take(&mut self.extensions);
            out.servers = std::mem::take(&mut self.servers);
        }
        for r in &n.rels {
            move_one(&mut self.tables, &mut out.tables, r);
            move_one(&mut self.views, &mut out.views, r);
            move_one(&mut self.sequences, &mut out.sequences, r);
        }
        for t in &n.types {
            move_one(&mut self.types, &mut out.types, t);
        }
        for f in &n.funcs {
            let keys: Vec<String> = overloads(&self.functions, f).cloned().collect();
            for k in keys {
                move_one(&mut self.functions, &mut out.functions, &k);
            }
        }
        out
    }

    /// Put `part`'s entries in (replacing any of the same key). With
    /// [`take`](Snapshot::take), `s.take(e)` then `s.put(p)` makes `s` hold `p` for `e`.
    pub fn put(&mut self, part: Snapshot) {
        let Snapshot {
            schemas,
            extensions,
            types,
            sequences,
            tables,
            views,
            functions,
            servers,
            privileges,
        } = part;
        self.schemas.extend(schemas);
        self.extensions.extend(extensions);
        self.types.extend(types);
        self.sequences.extend(sequences);
        self.tables.extend(tables);
        self.views.extend(views);
        self.functions.extend(functions);
        self.servers.extend(servers);
        self.privileges.extend(privileges);
    }

    /// Make `entries` hold what they hold in `part` (which holds nothing else): entries not in
    /// `part` are removed.
    pub fn replace(&mut self, entries: &Entries, part: Snapshot) {
        self.take(entries);
        self.put(part);
    }
}

fn copy_one<V: Clone>(from: &BTreeMap<String, V>, to: &mut BTreeMap<String, V>, key: &str) {
    if let Some(v) = from.get(key) {
        to.insert(key.to_string(), v.clone());
    }
}

fn move_one<V>(from: &mut BTreeMap<String, V>, to: &mut BTreeMap<String, V>, key: &str) {
    if let Some((k, v)) = from.remove_entry(key) {
        to.insert(k, v);
    }
}

/// The schema before two steps, for the entries either touched: `first` holds the entries
/// `first_entries` as they were before the first step, `second` the entries the second step
/// touched as they were before it (after the first). Pure.
pub fn before_both(first: &Snapshot, first_entries: &Entries, second: &Snapshot) -> Snapshot {
    let mut out = second.clone();
    out.replace(first_entries, first.clone());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::model::{Function, Name, Table, View};

    fn snap() -> Snapshot {
        let mut s = Snapshot::default();
        for t in ["public.a", "public.b", "app.c"] {
            let (schema, name) = t.split_once('.').unwrap();
            s.tables.insert(
                t.into(),
                Table {
                    name: Name::new(schema, name),
                    ..Table::default()
                },
            );
        }
        s.views.insert(
            "public.v".into(),
            View {
                name: Name::new("public", "v"),
                ..View::default()
            },
        );
        for f in [
            "public.f(integer)",
            "public.f(text)",
            "public.fg()",
            "public.g()",
        ] {
            s.functions.insert(f.into(), Function::default());
        }
        s.schemas.insert("app".into(), None);
        s
    }

    fn named(rels: &[&str], funcs: &[&str], schemas: bool) -> Entries {
        Entries::Some(Named {
            schemas,
            rels: rels.iter().map(|s| s.to_string()).collect(),
            funcs: funcs.iter().map(|s| s.to_string()).collect(),
            ..Named::default()
        })
    }

    #[test]
    fn restrict_keeps_only_the_named_entries_and_every_overload() {
        let s = snap();
        let r = s.restrict(&named(
            &["public.a", "public.v", "public.gone"],
            &["public.f"],
            false,
        ));
        assert_eq!(r.tables.keys().collect::<Vec<_>>(), ["public.a"]);
        assert_eq!(r.views.keys().collect::<Vec<_>>(), ["public.v"]);
        // `public.fg()` shares the prefix `public.f` but is another function.
        assert_eq!(
            r.functions.keys().collect::<Vec<_>>(),
            ["public.f(integer)", "public.f(text)"]
        );
        assert!(r.schemas.is_empty());
        assert_eq!(s.restrict(&named(&[], &[], true)).schemas.len(), 1);
        assert_eq!(s.restrict(&Entries::All), s);
    }

    #[test]
    fn take_then_put_gives_back_the_snapshot() {
        let whole = snap();
        for e in [
            named(&["public.a", "app.c"], &["public.f"], true),
            named(&[], &[], false),
            Entries::All,
        ] {
            let mut s = whole.clone();
            let part = s.take(&e);
            assert_eq!(part, whole.restrict(&e));
            assert!(s.restrict(&e).tables.is_empty() || e == Entries::none());
            s.put(part);
            assert_eq!(s, whole, "{e:?}");
        }
    }

    #[test]
    fn replace_removes_what_the_part_no_longer_has() {
        let mut s = snap();
        let e = named(&["public.a", "public.new"], &[], false);
        let mut part = Snapshot::default();
        part.tables.insert("public.new".into(), Table::default());
        s.replace(&e, part);
        assert!(!s.tables.contains_key("public.a"));
        assert!(s.tables.contains_key("public.new"));
        assert!(s.tables.contains_key("public.b"));
    }

    #[test]
    fn union_of_anything_with_all_is_all() {
        let a = named(&["public.a"], &[], false);
        let b = named(&["public.b"], &["public.f"], true);
        assert_eq!(a.union(&Entries::All), Entries::All);
        assert_eq!(
            a.union(&b),
            named(&["public.a", "public.b"], &["public.f"], true)
        );
        assert!(Entries::none().is_empty());
        assert!(!b.is_empty());
    }

    #[test]
    fn before_both_is_the_state_before_the_earlier_step() {
        // Step 1 changed a (old: s0's a); step 2 then changed b. Before step 1, for {a, b}:
        // a as s0 had it, b as step 1 left it.
        let s0 = snap();
        let e1 = named(&["public.a"], &[], false);
        let old1 = s0.restrict(&e1);
        let mut s1 = s0.clone();
        s1.tables.remove("public.a");
        let e2 = named(&["public.b"], &[], false);
        let old2 = s1.restrict(&e2);
        let got = before_both(&old1, &e1, &old2);
        assert_eq!(got, s0.restrict(&e1.union(&e2)));
    }
}
