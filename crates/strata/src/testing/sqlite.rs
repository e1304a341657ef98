//! SQLite: the template is a file in a cache folder, copied per test.

use super::{fingerprint_for, names, Error, Kind, Pruned, TestDb, ACTOR};
use crate::migrations::Migrations;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use strata_drivers::DatabaseUrl;
use strata_sql::Dialect;

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.to_path_buf();
    move |source| Error::Io {
        action,
        path,
        source,
    }
}

/// `sqlite://<path>` with the admin URL's query (`x-migrations-table`, ...).
fn url_of(path: &Path, query: &str) -> String {
    let mut url = format!("sqlite://{}", path.display());
    if !query.is_empty() {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// The fingerprint of `migrations` with the ledger tables the admin URL's query names.
pub fn fingerprint(migrations: &Migrations, query: &str) -> Result<String, Error> {
    let probe = url_of(Path::new("/fingerprint.db"), query);
    let url = DatabaseUrl::parse(&probe).map_err(|source| Error::Url {
        url: strata_drivers::url::redact(&probe),
        source,
    })?;
    fingerprint_for(migrations, Dialect::Sqlite, &url)
}

/// A copy of the template of `migrations` in `dir`, building the template first if missing.
pub fn create(migrations: &Migrations, dir: &Path, query: &str) -> Result<TestDb, Error> {
    fs::create_dir_all(dir).map_err(io("creating the cache folder", dir))?;
    let dir = std::path::absolute(dir).map_err(io("resolving the cache folder", dir))?;
    let fp = fingerprint(migrations, query)?;
    let template = names::template(&fp);
    let template_path = dir.join(format!("{template}.db"));
    let built_template = if template_path.exists() {
        false
    } else {
        build(migrations, &dir, &template, &template_path, query)?
    };
    let name = names::test(&fp, SystemTime::now());
    let path = dir.join(format!("{name}.db"));
    // On Linux std::fs::copy uses copy_file_range, which clones (reflinks) on filesystems that
    // can (btrfs, XFS) and copies in the kernel elsewhere.
    fs::copy(&template_path, &path).map_err(io("copying the template to", &path))?;
    let url = url_of(&path, query);
    Ok(TestDb {
        name,
        redacted: strata_drivers::url::redact(&url),
        url,
        template,
        built_template,
        from_spare: false,
        kind: Kind::Sqlite { path },
        keep: false,
    })
}

/// Build the template under an exclusive lock on `<template>.lock`; the file appears under
/// its final name (a rename) only once migrated, so a killed build is never copied.
fn build(
    migrations: &Migrations,
    dir: &Path,
    template: &str,
    template_path: &Path,
    query: &str,
) -> Result<bool, Error> {
    let lock_path = dir.join(format!("{template}.lock"));
    let lock = File::create(&lock_path).map_err(io("creating the lock file", &lock_path))?;
    lock.lock()
        .map_err(io("locking the template's lock file", &lock_path))?;
    if template_path.exists() {
        return Ok(false);
    }
    let partial = dir.join(format!("{template}.db.partial"));
    if partial.exists() {
        fs::remove_file(&partial).map_err(io("removing a half-built template", &partial))?;
    }
    let migrated = crate::Migrator::new(migrations)
        .actor(ACTOR)
        .up(&url_of(&partial, query));
    if let Err(e) = migrated {
        let _ = fs::remove_file(&partial);
        return Err(Error::Migrate {
            template: template_path.display().to_string(),
            source: Box::new(e),
        });
    }
    fs::rename(&partial, template_path).map_err(io("completing the template", template_path))?;
    let _ = fs::remove_file(sidecar(&partial));
    Ok(true)
}

/// The SQLite driver's migration-lock file next to database `path`.
fn sidecar(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".strata-lock");
    PathBuf::from(p)
}

/// Remove a database file and its driver's lock file (gone already is fine).
pub fn remove(path: &Path) -> Result<(), Error> {
    let _ = fs::remove_file(sidecar(path));
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(io("removing the test database", path)(e))
        }
        _ => Ok(()),
    }
}

/// Remove templates of other fingerprints than `current` last written before `cutoff` (Unix
/// seconds; not while being built) and test copies created before `cutoff`.
pub fn prune(dir: &Path, current: &str, cutoff: u64) -> Result<Pruned, Error> {
    let mut pruned = Pruned::default();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(pruned),
        Err(e) => return Err(io("reading the cache folder", dir)(e)),
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "db"))
        .collect();
    paths.sort();
    for path in paths {
        let Some(name) = path.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
            continue;
        };
        match names::parse(&name) {
            Some(names::Parsed::Template { fingerprint })
                if fingerprint != current && modified(&path) <= cutoff =>
            {
                let lock_path = dir.join(format!("{name}.lock"));
                let lock =
                    File::create(&lock_path).map_err(io("creating the lock file", &lock_path))?;
                if lock.try_lock().is_err() {
                    continue; // being built right now
                }
                remove(&path)?;
                let _ = fs::remove_file(&lock_path);
                pruned.templates.push(name);
            }
            Some(names::Parsed::Test { created }) if created <= cutoff => {
                remove(&path)?;
                pruned.databases.push(name);
            }
            _ => {}
        }
    }
    Ok(pruned)
}

/// When `path` was last written (Unix seconds; 0 if unknown).
fn modified(path: &Path) -> u64 {
    fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs())
}
