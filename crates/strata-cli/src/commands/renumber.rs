//! `strata renumber`: after two branches each added the same version (`003_*` twice), or a
//! merge brought in a migration older than the newest applied one, give the unapplied
//! migration(s) new versions after the newest in the folder, keeping a pair's two files
//! together and the folder's digit width. An applied migration is never renamed.
//!
//! [`plan`] decides from file names and the applied (version, name) rows alone; the command
//! reads those and renames.

use super::open_read_only;
use crate::settings::Settings;
use crate::CliError;
use std::collections::{BTreeMap, BTreeSet};
use strata_core::printable::printable;
use strata_core::source::filename::{classify_name, NameKind};
use strata_core::Source;

/// One migration as files: its version digits, title and file names (a pair has two).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Unit {
    digits: String,
    version: u64,
    title: String,
    files: Vec<String>,
}

/// The renames to make, `(old name, new name)`, in order. `applied`: the applied migrations'
/// (version, name). Err: why nothing can be renamed safely.
pub fn plan(names: &[String], applied: &[(u64, String)]) -> Result<Vec<(String, String)>, String> {
    let mut units: BTreeMap<(u64, String), Unit> = BTreeMap::new();
    for name in names {
        let (digits, version, title) = match classify_name(name) {
            NameKind::Pair(p) => (p.digits, p.version, p.title),
            NameKind::Single(s) => (s.digits, s.version, s.title),
            _ => continue,
        };
        let Some(version) = version else { continue };
        let unit = units
            .entry((version, title.to_string()))
            .or_insert_with(|| Unit {
                digits: digits.to_string(),
                version,
                title: title.to_string(),
                files: Vec::new(),
            });
        unit.files.push(name.clone());
    }
    let applied_versions: BTreeSet<u64> = applied.iter().map(|(v, _)| *v).collect();
    let newest_applied = applied_versions.iter().next_back().copied();
    let is_applied = |u: &Unit| {
        applied
            .iter()
            .any(|(v, n)| *v == u.version && *n == u.title)
    };

    let mut by_version: BTreeMap<u64, Vec<&Unit>> = BTreeMap::new();
    for u in units.values() {
        by_version.entry(u.version).or_default().push(u);
    }
    let mut moving: Vec<&Unit> = Vec::new();
    for (version, group) in &by_version {
        if applied_versions.contains(version) {
            if !group.iter().any(|u| is_applied(u)) {
                let names: Vec<&str> = group.iter().map(|u| u.title.as_str()).collect();
                return Err(format!(
                    "version {version} is applied under a name no file has (files: {}): fix the folder by hand",
                    names.join(", ")
                ));
            }
            moving.extend(group.iter().filter(|u| !is_applied(u)));
        } else if newest_applied.is_some_and(|n| *version < n) {
            // Pending, but older than the newest applied: it would run out of order.
            moving.extend(group.iter());
        } else {
            // Not applied anywhere yet: the first (by title) keeps the version.
            moving.extend(group.iter().skip(1));
        }
    }
    if moving.is_empty() {
        return Ok(Vec::new());
    }
    let newest = units.values().map(|u| u.version).max().unwrap_or(0);
    let width = units
        .values()
        .filter(|u| u.version == newest)
        .map(|u| u.digits.len())
        .max()
        .unwrap_or(1);
    moving.sort_by(|a, b| (a.version, &a.title).cmp(&(b.version, &b.title)));
    let mut renames = Vec::new();
    for (i, u) in moving.iter().enumerate() {
        let new_version = newest + 1 + i as u64;
        let digits = format!("{new_version:0width$}");
        for file in &u.files {
            renames.push((file.clone(), format!("{digits}{}", &file[u.digits.len()..])));
        }
    }
    let taken: BTreeSet<&String> = names.iter().collect();
    if let Some((_, new)) = renames.iter().find(|(_, new)| taken.contains(new)) {
        return Err(format!("{new} already exists"));
    }
    Ok(renames)
}

/// `renumber [--dry-run]`.
pub fn renumber(settings: &Settings, dry_run: bool) -> Result<(), CliError> {
    let dir = settings.require_dir()?.clone();
    let applied: Vec<(u64, String)> = match settings.database {
        Some(_) => {
            let mut target = open_read_only(settings)?;
            let source = Source::default();
            let mut m = super::migrator(&mut target, &source, settings);
            m.state()?
                .applied
                .into_iter()
                .map(|a| (a.version, a.name))
                .collect()
        }
        None => {
            errln!("warning: no database given: nothing counts as applied");
            Vec::new()
        }
    };
    let entries = std::fs::read_dir(&dir)
        .map_err(|e| CliError::Failed(format!("cannot read {}: {e}", dir.display())))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry =
            entry.map_err(|e| CliError::Failed(format!("cannot read {}: {e}", dir.display())))?;
        if let Ok(name) = entry.file_name().into_string() {
            names.push(name);
        }
    }
    names.sort();
    let renames = plan(&names, &applied).map_err(CliError::Failed)?;
    if renames.is_empty() {
        errln!("nothing to renumber");
        return Ok(());
    }
    for (old, new) in &renames {
        if !dry_run {
            std::fs::rename(dir.join(old), dir.join(new)).map_err(|e| {
                CliError::Failed(format!(
                    "cannot rename {} to {}: {e}",
                    printable(old),
                    printable(new)
                ))
            })?;
        }
        outln!("{} -> {}", printable(old), printable(new));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_duplicate_unapplied_pair_moves_after_the_newest_keeping_width() {
        let files = names(&[
            "001_a.up.sql",
            "001_a.down.sql",
            "003_b.up.sql",
            "003_b.down.sql",
            "003_c.up.sql",
            "003_c.down.sql",
        ]);
        let applied = [(1, "a".to_string()), (3, "c".to_string())];
        assert_eq!(
            plan(&files, &applied).unwrap(),
            [
                ("003_b.up.sql".to_string(), "004_b.up.sql".to_string()),
                ("003_b.down.sql".into(), "004_b.down.sql".into()),
            ]
        );
        // Nothing applied: the first by title keeps 003.
        assert_eq!(plan(&files, &[]).unwrap()[0].1, "004_c.up.sql");
    }

    #[test]
    fn pending_migrations_older_than_the_newest_applied_move_too() {
        let files = names(&["1_a.sql", "2_b.sql", "3_c.sql"]);
        let applied = [(1, "a".to_string()), (3, "c".to_string())];
        assert_eq!(
            plan(&files, &applied).unwrap(),
            [("2_b.sql".to_string(), "4_b.sql".to_string())]
        );
        assert!(
            plan(&files, &[(1, "a".into()), (2, "b".into()), (3, "c".into())])
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn an_applied_version_no_file_names_is_refused() {
        let files = names(&["1_a.sql", "1_b.sql"]);
        let e = plan(&files, &[(1, "zzz".to_string())]).unwrap_err();
        assert!(
            e.contains("version 1 is applied under a name no file has"),
            "{e}"
        );
    }
}
