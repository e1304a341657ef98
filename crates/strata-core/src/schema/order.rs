//! The order `dump` creates objects in where one kind depends on another of the same phase:
//! tables after their parents, views after the views and functions they use, functions after
//! the tables and views whose row types they take or return. Pure.

use super::model::*;
use std::collections::{BTreeMap, BTreeSet};

/// Tables after the tables they inherit from or are partitions of; otherwise by name.
pub(super) fn table_order(s: &Snapshot) -> Vec<&Table> {
    let nodes = s
        .tables
        .iter()
        .map(|(k, t)| {
            let deps = t
                .inherits
                .iter()
                .chain(t.partition_of.iter().map(|(p, _)| p))
                .map(|p| p.as_str())
                .collect();
            (k.as_str(), (deps, t))
        })
        .collect();
    topological(nodes)
}

pub(super) fn on_tables_only(s: &Snapshot, f: &Function) -> bool {
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
    for (k, f) in s
        .functions
        .iter()
        .filter(|(_, f)| !f.depends_on.is_empty() && !on_tables_only(s, f))
    {
        let deps = f.depends_on.iter().map(|d| d.as_str()).collect();
        nodes.insert(k.as_str(), (deps, Late::Function(f)));
    }
    topological(nodes)
}

/// The nodes, each after those of its dependencies that are nodes too; otherwise by key.
fn topological<'a, T>(mut left: BTreeMap<&'a str, (Vec<&'a str>, T)>) -> Vec<T> {
    let keys: BTreeSet<&str> = left.keys().copied().collect();
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut order = Vec::new();
    while !left.is_empty() {
        let ready: Vec<&str> = left
            .iter()
            .filter(|(_, (deps, _))| deps.iter().all(|d| done.contains(d) || !keys.contains(d)))
            .map(|(k, _)| *k)
            .collect();
        // A cycle cannot be created in a database; if the model has one, keep key order.
        let take = if ready.is_empty() {
            vec![*left.keys().next().expect("not empty")]
        } else {
            ready
        };
        for k in take {
            order.push(left.remove(k).expect("present").1);
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
