//! PostgreSQL: a template database per migration set, cloned per test.

use super::{fingerprint_for, names, spares, Error, Kind, Pruned, TestDb, ACTOR};
use crate::migrations::Migrations;
use postgres::error::SqlState;
use postgres::Client;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};
use strata_drivers::url::with_database;

/// The comment on a template database: this, then the Unix time it was built.
const BUILT: &str = "strata test template, built at ";
use strata_drivers::postgres::PostgresDriver;
use strata_drivers::{ConnectOptions, DatabaseUrl};
use strata_sql::Dialect;

/// First key of the two-key advisory locks taken while a template is built: the two-key space
/// is apart from the one-key locks golang-migrate and Strata's migrator take.
const LOCK_CLASS: i32 = 0x7374_7274; // "strt"

/// How test databases are copied from the template on PostgreSQL 15 and later: WAL_LOG (15's
/// default) writes the template's blocks to the WAL, one flush at commit; FILE_COPY copies the
/// files but forces two checkpoints (flushing every dirty buffer of the whole server) and syncs
/// each file, which took 1.7-3.4 s a clone against 0.15-0.2 s for WAL_LOG on a busy disk, see
/// bench/RESULTS-testdb.md.
const STRATEGY: &str = "WAL_LOG";

/// Open admin sessions, by admin URL, for the next test of this process: connecting (TLS
/// included) costs more than cloning a small template.
static POOL: Mutex<Vec<Admin>> = Mutex::new(Vec::new());

pub(super) struct Admin {
    url: String,
    pub(super) driver: PostgresDriver<'static>,
    /// `server_version_num`.
    pub(super) version: i32,
}

/// Run `f` on an admin session of `admin_url`, pooled for the next call unless it broke.
fn with_admin<T>(
    admin_url: &str,
    f: impl FnOnce(&mut Client, i32) -> Result<T, Error>,
) -> Result<T, Error> {
    let pooled = POOL.lock().ok().and_then(|mut pool| {
        let i = pool.iter().position(|a| a.url == admin_url)?;
        Some(pool.swap_remove(i))
    });
    let mut admin = match pooled {
        Some(a) => a,
        None => connect(admin_url)?,
    };
    let result = f(admin.driver.client(), admin.version);
    if !admin.driver.client().is_closed() {
        if let Ok(mut pool) = POOL.lock() {
            pool.push(admin);
        }
    }
    result
}

pub(super) fn connect(admin_url: &str) -> Result<Admin, Error> {
    let url = DatabaseUrl::parse(admin_url).map_err(|source| Error::Url {
        url: strata_drivers::url::redact(admin_url),
        source,
    })?;
    let options = ConnectOptions {
        application_name: "strata-testing".into(),
        ..ConnectOptions::default()
    };
    let mut driver = PostgresDriver::connect(&url, &options).map_err(|e| Error::Connect {
        url: url.redacted(),
        source: Box::new(e),
    })?;
    let version = driver
        .client()
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .map_err(admin("reading the server version"))?
        .get(0);
    Ok(Admin {
        url: admin_url.to_string(),
        driver,
        version,
    })
}

pub(super) fn admin(action: impl Into<String>) -> impl FnOnce(postgres::Error) -> Error {
    let action = action.into();
    move |source| Error::Admin { action, source }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `CREATE DATABASE name TEMPLATE template`, with the clone strategy where the server has one.
pub(super) fn clone_sql(name: &str, template: &str, version: i32) -> String {
    let strategy = if version >= 150000 {
        format!(" STRATEGY {STRATEGY}")
    } else {
        String::new()
    };
    format!(
        "CREATE DATABASE {} TEMPLATE {}{strategy}",
        quote(name),
        quote(template)
    )
}

/// A test database of `migrations`: a spare renamed when `spares` > 0 and one is left, else a
/// clone of the template, building the template first if it is missing or half-built. With
/// `spares` > 0 the pool is refilled in the background.
pub fn create(
    migrations: &Migrations,
    admin_url: &str,
    url: &DatabaseUrl,
    spares: usize,
) -> Result<TestDb, Error> {
    let fp = fingerprint_for(migrations, Dialect::Postgres, url)?;
    let template = names::template(&fp);
    let name = names::test(&fp, SystemTime::now());
    let from_spare =
        spares > 0 && with_admin(admin_url, |client, _| spares::claim(client, &fp, &name))?;
    let built_template = if from_spare {
        false
    } else {
        clone_template(migrations, admin_url, &fp, &template, &name)?
    };
    if spares > 0 {
        spares::refill_in_background(admin_url, &fp, &template, spares);
    }
    let test_url = with_database(admin_url, &name);
    let redacted = DatabaseUrl::parse(&test_url)
        .map(|u| u.redacted())
        .unwrap_or_else(|_| strata_drivers::url::redact(&test_url));
    Ok(TestDb {
        name,
        url: test_url,
        redacted,
        template,
        built_template,
        from_spare,
        kind: Kind::Postgres {
            admin_url: admin_url.to_string(),
        },
        keep: false,
    })
}

/// Build the template of `migrations` if needed, then make `spares` spares of it now; the
/// number of spares made.
pub fn fill_spares(
    migrations: &Migrations,
    admin_url: &str,
    url: &DatabaseUrl,
    spares: usize,
) -> Result<usize, Error> {
    let fp = fingerprint_for(migrations, Dialect::Postgres, url)?;
    let template = names::template(&fp);
    with_admin(admin_url, |client, version| {
        ensure_template(client, migrations, admin_url, &fp, &template)?;
        spares::fill(client, version, &fp, &template, spares)
    })
}

/// Clone `template` as `name`; `true` if this call built the template.
fn clone_template(
    migrations: &Migrations,
    admin_url: &str,
    fp: &str,
    template: &str,
    name: &str,
) -> Result<bool, Error> {
    with_admin(admin_url, |client, version| {
        let clone = clone_sql(name, template, version);
        let mut built = ensure_template(client, migrations, admin_url, fp, template)?;
        let mut cloned = client.batch_execute(&clone);
        // Dropped since by `prune` or `testdb drop` (another process): build it again, once.
        if cloned.as_ref().err().and_then(|e| e.code()) == Some(&SqlState::UNDEFINED_DATABASE) {
            built = ensure_template(client, migrations, admin_url, fp, template)?;
            cloned = client.batch_execute(&clone);
        }
        cloned.map_err(admin(format!("creating {name} from template {template}")))?;
        Ok(built)
    })
}

/// `None`: no such database; `Some(true)`: a complete template; `Some(false)`: a database of
/// that name not (yet) marked complete.
pub(super) fn template_state(client: &mut Client, template: &str) -> Result<Option<bool>, Error> {
    let rows = client
        .query(
            "SELECT datistemplate FROM pg_database WHERE datname = $1",
            &[&template],
        )
        .map_err(admin(format!("reading the state of template {template}")))?;
    Ok(rows.first().map(|r| r.get(0)))
}

fn lock_key(fp: &str) -> i32 {
    u32::from_str_radix(&fp[..8], 16).unwrap_or(0) as i32
}

/// Make sure the complete template exists; `true` if this call built it.
fn ensure_template(
    client: &mut Client,
    migrations: &Migrations,
    admin_url: &str,
    fp: &str,
    template: &str,
) -> Result<bool, Error> {
    if template_state(client, template)? == Some(true) {
        return Ok(false);
    }
    let key = lock_key(fp);
    client
        .execute("SELECT pg_advisory_lock($1, $2)", &[&LOCK_CLASS, &key])
        .map_err(admin(format!("locking template {template}")))?;
    let result = build_locked(client, migrations, admin_url, fp, template);
    let unlocked = client
        .execute("SELECT pg_advisory_unlock($1, $2)", &[&LOCK_CLASS, &key])
        .map_err(admin(format!("unlocking template {template}")));
    let built = result?;
    unlocked?;
    Ok(built)
}

/// Under the template's lock: another session may have finished it meanwhile; a database of
/// its name without the completion mark is what a killed build left, and is rebuilt. Spares
/// left from a build before (its template dropped by hand) are dropped first: they may not
/// hold what this build makes.
fn build_locked(
    client: &mut Client,
    migrations: &Migrations,
    admin_url: &str,
    fp: &str,
    template: &str,
) -> Result<bool, Error> {
    match template_state(client, template)? {
        Some(true) => return Ok(false),
        Some(false) => drop_database(client, template, false)?,
        None => {}
    }
    spares::drop_all(client, fp)?;
    client
        .batch_execute(&format!("CREATE DATABASE {}", quote(template)))
        .map_err(admin(format!("creating template {template}")))?;
    let migrated = crate::Migrator::new(migrations)
        .actor(ACTOR)
        .up(&with_database(admin_url, template));
    if let Err(e) = migrated {
        // Best effort: left behind, it is unmarked, so the next build drops it anyway.
        let _ = drop_database(client, template, false);
        return Err(Error::Migrate {
            template: template.to_string(),
            source: Box::new(e),
        });
    }
    // The completion mark; no connections either, as a session left on a template would make
    // every clone wait for it.
    // The build time is for `prune`, which leaves recently built templates to the runs
    // that may still clone them.
    let built = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    client
        .batch_execute(&format!(
            "COMMENT ON DATABASE {0} IS '{BUILT}{built}'; \
             ALTER DATABASE {0} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false",
            quote(template)
        ))
        .map_err(admin(format!("marking template {template} complete")))?;
    Ok(true)
}

/// Drop `name` (a template first loses its mark: PostgreSQL refuses to drop a template),
/// ending its sessions.
pub(super) fn drop_database(
    client: &mut Client,
    name: &str,
    is_template: bool,
) -> Result<(), Error> {
    if is_template {
        client
            .batch_execute(&format!(
                "ALTER DATABASE {} WITH IS_TEMPLATE false",
                quote(name)
            ))
            .map_err(admin(format!("unmarking template {name}")))?;
    }
    client
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote(name)
        ))
        .map_err(admin(format!("dropping {name}")))
}

/// Drop test database `name` (from [`TestDb`]'s `Drop`).
pub fn drop_named(admin_url: &str, name: &str) -> Result<(), Error> {
    with_admin(admin_url, |client, _| drop_database(client, name, false))
}

/// Drop the test database, spare or template `name`, if it exists; a template with its
/// spares (after it: no refill can clone it any more).
pub fn drop_parsed(admin_url: &str, name: &str, kind: &names::Parsed) -> Result<(), Error> {
    with_admin(admin_url, |client, _| match kind {
        names::Parsed::Test { .. } | names::Parsed::Spare { .. } => {
            drop_database(client, name, false)
        }
        names::Parsed::Template { fingerprint } => {
            if let Some(marked) = template_state(client, name)? {
                drop_database(client, name, marked)?;
            }
            spares::drop_all(client, fingerprint).map(|_| ())
        }
    })
}

/// When the template `name` was built (Unix seconds) by its comment; 0 when unmarked (half-built
/// and not being built: prune takes the build lock first), so that it counts as old.
fn built_at(comment: &str) -> u64 {
    comment
        .strip_prefix(BUILT)
        .and_then(|t| t.parse().ok())
        .unwrap_or(0)
}

/// `Some(marked)` when the template `name` still exists and was built before `cutoff`.
fn stale_template(client: &mut Client, name: &str, cutoff: u64) -> Result<Option<bool>, Error> {
    let rows = client
        .query(
            "SELECT datistemplate, coalesce(shobj_description(oid, 'pg_database'), '') \
             FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .map_err(admin(format!("reading the state of template {name}")))?;
    Ok(rows.first().and_then(|r| {
        let comment: String = r.get(1);
        (built_at(&comment) <= cutoff).then(|| r.get(0))
    }))
}

/// Drop templates of other fingerprints than `current` built before `cutoff` (Unix seconds;
/// not while being built) with their spares, test databases created before `cutoff`, and
/// spares whose template is gone; list the spares left.
pub fn prune(admin_url: &str, current: &str, cutoff: u64) -> Result<Pruned, Error> {
    with_admin(admin_url, |client, _| {
        let rows = client
            .query(
                "SELECT datname::text, coalesce(shobj_description(oid, 'pg_database'), '') \
                 FROM pg_database ORDER BY datname",
                &[],
            )
            .map_err(admin("listing databases"))?;
        let mut pruned = Pruned::default();
        for row in rows {
            let name: String = row.get(0);
            let comment: String = row.get(1);
            match names::parse(&name) {
                Some(names::Parsed::Template { fingerprint })
                    if fingerprint != current && built_at(&comment) <= cutoff =>
                {
                    let key = lock_key(&fingerprint);
                    let free: bool = client
                        .query_one("SELECT pg_try_advisory_lock($1, $2)", &[&LOCK_CLASS, &key])
                        .map_err(admin(format!("locking template {name}")))?
                        .get(0);
                    if !free {
                        continue; // being built right now
                    }
                    // Read again under the lock: a build may have finished since the listing.
                    let dropped = match stale_template(client, &name, cutoff) {
                        Ok(Some(marked)) => drop_database(client, &name, marked).map(|()| true),
                        Ok(None) => Ok(false),
                        Err(e) => Err(e),
                    };
                    client
                        .execute("SELECT pg_advisory_unlock($1, $2)", &[&LOCK_CLASS, &key])
                        .map_err(admin(format!("unlocking template {name}")))?;
                    if dropped? {
                        pruned.templates.push(name);
                        // After the template: a refill running now cannot clone it again.
                        pruned
                            .spares
                            .extend(spares::drop_all(client, &fingerprint)?);
                    }
                }
                Some(names::Parsed::Test { created }) if created <= cutoff => {
                    drop_database(client, &name, false)?;
                    pruned.databases.push(name);
                }
                _ => {}
            }
        }
        // Spares whose template is gone (dropped by hand, e.g. to force a rebuild, or by an
        // older version): orphans, of the current set too, as they may hold an older build.
        // A spare is only made from a complete template, and the template's drops take its
        // spares after it, so none of these belongs to a template being built now.
        let orphans = client
            .query(
                "SELECT s.datname::text FROM pg_database s WHERE s.datname LIKE 'strata\\_spare\\_%' \
                 AND NOT EXISTS (SELECT 1 FROM pg_database t \
                   WHERE t.datname = 'strata_tpl_' || split_part(substr(s.datname, 14), '_', 1)) \
                 ORDER BY 1",
                &[],
            )
            .map_err(admin("listing spare databases"))?;
        for row in orphans {
            let name: String = row.get(0);
            if let Some(names::Parsed::Spare { .. }) = names::parse(&name) {
                drop_database(client, &name, false)?;
                pruned.spares.push(name);
            }
        }
        pruned.kept_spares = spares::list_all(client)?;
        Ok(pruned)
    })
}
