//! PostgreSQL: spare clones of a template, made ahead of time so that a test claims one with
//! a rename (one round trip) instead of waiting for a clone. The pool lives on the server, not
//! in a process: every test process of a migration set shares it.
//!
//! A claim renames a spare to the test's name. PostgreSQL locks the database being renamed and
//! looks its name up again under the lock, so of two sessions renaming the same spare the
//! second finds it gone and moves on to the next: no two tests get one database.

use super::postgres::{admin, clone_sql, connect, template_state};
use super::{names, Error};
use postgres::error::SqlState;
use postgres::{Client, SimpleQueryMessage};
use std::sync::Mutex;

/// How many spares a migration set keeps when `STRATA_TESTDB_SPARES` is not set.
pub const DEFAULT: usize = 4;

/// Refills running in this process, by admin URL and fingerprint: one at a time per pool.
static REFILLING: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// Rename a spare of `fp` to `name`, in one round trip; `false` when none was left, or when
/// the complete template is not there: spares outliving their template (dropped by hand to
/// force a rebuild) may hold the build before, and the next build drops them.
pub fn claim(client: &mut Client, fp: &str, name: &str) -> Result<bool, Error> {
    // Spares are tried in random order so that parallel claimers rarely queue on one; a
    // spare that is gone (taken) or in use is skipped. `name`, the template's name and the
    // pattern are made of [a-z0-9_\%] only.
    let sql = format!(
        "DO $strata$ DECLARE s text; BEGIN \
           IF NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{template}' \
                          AND datistemplate) THEN RETURN; END IF; \
           FOR s IN SELECT datname FROM pg_database WHERE datname LIKE '{pattern}' \
                    ORDER BY random() LOOP \
             BEGIN \
               EXECUTE format('ALTER DATABASE %I RENAME TO %I', s, '{name}'); \
               RETURN; \
             EXCEPTION WHEN invalid_catalog_name OR object_in_use THEN NULL; \
             END; \
           END LOOP; \
         END $strata$; \
         SELECT count(*) FROM pg_database WHERE datname = '{name}'",
        pattern = names::spare_pattern(fp),
        template = names::template(fp),
    );
    let messages = client
        .simple_query(&sql)
        .map_err(admin(format!("claiming a spare database as {name}")))?;
    Ok(messages.iter().any(|m| match m {
        SimpleQueryMessage::Row(row) => row.get(0) == Some("1"),
        _ => false,
    }))
}

/// How many spares of `fp` exist.
fn count(client: &mut Client, fp: &str) -> Result<usize, Error> {
    let n: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname LIKE $1",
            &[&names::spare_pattern(fp)],
        )
        .map_err(admin("counting spare databases"))?
        .get(0);
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Clone `template` until `fp` has `spares` spares; the number made. Stops quietly when the
/// template is not complete or was dropped meanwhile (pruned): nothing to clone.
pub fn fill(
    client: &mut Client,
    version: i32,
    fp: &str,
    template: &str,
    spares: usize,
) -> Result<usize, Error> {
    if template_state(client, template)? != Some(true) {
        return Ok(0);
    }
    let mut made = 0;
    while count(client, fp)? < spares {
        let name = names::spare(fp);
        match client.batch_execute(&clone_sql(&name, template, version)) {
            Ok(()) => made += 1,
            Err(e) if e.code() == Some(&SqlState::UNDEFINED_DATABASE) => break,
            Err(e) => return Err(admin(format!("creating spare {name} from {template}"))(e)),
        }
    }
    Ok(made)
}

/// Refill the spares of `fp` on a thread of its own with its own session, unless a refill of
/// this pool already runs in this process. Its errors are printed: a test only loses speed.
pub fn refill_in_background(admin_url: &str, fp: &str, template: &str, spares: usize) {
    let key = (admin_url.to_string(), fp.to_string());
    {
        let Ok(mut running) = REFILLING.lock() else {
            return;
        };
        if running.contains(&key) {
            return;
        }
        running.push(key.clone());
    }
    let template = template.to_string();
    let spawned = std::thread::Builder::new()
        .name("strata-testdb-spares".into())
        .spawn(move || {
            let result = connect(&key.0).and_then(|mut session| {
                let version = session.version;
                fill(session.driver.client(), version, &key.1, &template, spares)
            });
            if let Ok(mut running) = REFILLING.lock() {
                running.retain(|k| k != &key);
            }
            if let Err(e) = result {
                eprintln!(
                    "strata::testing: cannot refill the spare databases of {template}: {}",
                    super::chain(&e)
                );
            }
        });
    if spawned.is_err() {
        if let Ok(mut running) = REFILLING.lock() {
            running.retain(|k| !(k.0 == admin_url && k.1 == fp));
        }
    }
}

/// Drop every spare of `fp`; their names.
pub fn drop_all(client: &mut Client, fp: &str) -> Result<Vec<String>, Error> {
    let rows = client
        .query(
            "SELECT datname::text FROM pg_database WHERE datname LIKE $1 ORDER BY datname",
            &[&names::spare_pattern(fp)],
        )
        .map_err(admin("listing spare databases"))?;
    let mut dropped = Vec::new();
    for row in rows {
        let name: String = row.get(0);
        super::postgres::drop_database(client, &name, false)?;
        dropped.push(name);
    }
    Ok(dropped)
}

/// The spares of every migration set, by name.
pub fn list_all(client: &mut Client) -> Result<Vec<String>, Error> {
    let rows = client
        .query(
            "SELECT datname::text FROM pg_database WHERE datname LIKE 'strata\\_spare\\_%' \
             ORDER BY datname",
            &[],
        )
        .map_err(admin("listing spare databases"))?;
    Ok(rows
        .into_iter()
        .map(|row| row.get::<_, String>(0))
        .filter(|name| matches!(names::parse(name), Some(names::Parsed::Spare { .. })))
        .collect())
}
