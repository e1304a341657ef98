//! `strata::testing` (feature `testing`): template databases built once per migration set,
//! cloned per test, dropped unless the test failed.
#![cfg(feature = "testing")]

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};
use strata::testing::{drop_database, prune, TestDb};
use strata::{Migrations, Migrator};

/// A migration set no other test (or earlier run) has: its fingerprint, so its template, is new.
fn unique_set(tag: &str) -> (tempfile::TempDir, Migrations) {
    let dir = tempfile::tempdir().unwrap();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let marker = format!("-- {tag} {} {nanos}\n", std::process::id());
    write(
        dir.path(),
        "1_users.up.sql",
        &format!("{marker}CREATE TABLE users (id int);\n"),
    );
    write(
        dir.path(),
        "2_posts.up.sql",
        "CREATE TABLE posts (id int);\n",
    );
    let m = Migrations::from_dir(dir.path()).unwrap();
    (dir, m)
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// When the test database's name says it was created at Unix time 1.
fn ancient(name: &str) -> String {
    let mut parts: Vec<&str> = name.split('_').collect();
    parts[3] = "1";
    parts.join("_")
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::*;

    fn admin(cache: &tempfile::TempDir) -> String {
        format!("sqlite://{}", cache.path().display())
    }

    fn tables(url: &str) -> Vec<String> {
        let path = url.strip_prefix("sqlite://").unwrap();
        let c = rusqlite::Connection::open(path).unwrap();
        let mut s = c
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        s.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn a_copy_is_independent_of_the_template_and_of_other_copies() {
        let cache = tempfile::tempdir().unwrap();
        let (_dir, m) = unique_set("sqlite-copy");
        let a = TestDb::new(&m, &admin(&cache)).unwrap();
        let b = TestDb::new(&m, &admin(&cache)).unwrap();
        assert!(a.built_template() && !b.built_template());
        assert_eq!(a.template(), b.template());
        assert_ne!(a.url(), b.url());
        let template = cache.path().join(format!("{}.db", a.template()));
        let before = std::fs::read(&template).unwrap();
        let path = a.url().strip_prefix("sqlite://").unwrap();
        rusqlite::Connection::open(path)
            .unwrap()
            .execute_batch("CREATE TABLE only_in_a (x int)")
            .unwrap();
        assert!(tables(a.url()).contains(&"only_in_a".to_string()));
        assert!(!tables(b.url()).contains(&"only_in_a".to_string()));
        assert_eq!(std::fs::read(&template).unwrap(), before);
        let c = TestDb::new(&m, &admin(&cache)).unwrap();
        assert!(!tables(c.url()).contains(&"only_in_a".to_string()));
        assert!(Migrator::new(&m).status(c.url()).unwrap().is_up_to_date());
    }

    #[test]
    fn drop_removes_the_copy() {
        let cache = tempfile::tempdir().unwrap();
        let (_dir, m) = unique_set("sqlite-drop");
        let db = TestDb::new(&m, &admin(&cache)).unwrap();
        let path = std::path::PathBuf::from(db.url().strip_prefix("sqlite://").unwrap());
        assert!(path.exists());
        drop(db);
        assert!(!path.exists());
    }

    #[test]
    fn a_half_built_template_is_rebuilt_not_copied() {
        let cache = tempfile::tempdir().unwrap();
        let (_dir, m) = unique_set("sqlite-half");
        let template = TestDb::new(&m, &admin(&cache))
            .unwrap()
            .template()
            .to_string();
        // A build killed half way leaves only its partial file behind.
        let final_path = cache.path().join(format!("{template}.db"));
        std::fs::remove_file(&final_path).unwrap();
        let partial = cache.path().join(format!("{template}.db.partial"));
        rusqlite::Connection::open(&partial)
            .unwrap()
            .execute_batch("CREATE TABLE leftover (x int)")
            .unwrap();
        let db = TestDb::new(&m, &admin(&cache)).unwrap();
        assert!(db.built_template());
        assert!(!tables(db.url()).contains(&"leftover".to_string()));
        assert!(Migrator::new(&m).status(db.url()).unwrap().is_up_to_date());
    }

    #[test]
    fn prune_removes_other_templates_and_old_copies_only() {
        let cache = tempfile::tempdir().unwrap();
        let (dir, old) = unique_set("sqlite-prune");
        let old_template = TestDb::new(&old, &admin(&cache))
            .unwrap()
            .template()
            .to_string();
        write(dir.path(), "3_tags.up.sql", "CREATE TABLE tags (id int);\n");
        let new = Migrations::from_dir(dir.path()).unwrap();
        let fresh = TestDb::new(&new, &admin(&cache)).unwrap();
        let stale = TestDb::new(&new, &admin(&cache)).unwrap();
        let stale_name = ancient(stale.name());
        let stale_path = cache.path().join(format!("{}.db", stale.name()));
        let renamed = cache.path().join(format!("{stale_name}.db"));
        drop(stale.keep());
        std::fs::rename(stale_path, &renamed).unwrap();
        std::fs::write(cache.path().join("someone_elses.db"), "x").unwrap();
        // Built long ago (a template built recently is left to the runs still using it).
        std::fs::File::options()
            .write(true)
            .open(cache.path().join(format!("{old_template}.db")))
            .unwrap()
            .set_modified(UNIX_EPOCH + std::time::Duration::from_secs(1))
            .unwrap();

        let (_other_dir, other) = unique_set("sqlite-prune-recent");
        let recent_template = TestDb::new(&other, &admin(&cache))
            .unwrap()
            .template()
            .to_string();

        let pruned = prune(&new, &admin(&cache), std::time::Duration::from_secs(3600)).unwrap();
        assert_eq!(pruned.templates, [old_template]);
        assert!(cache.path().join(format!("{recent_template}.db")).exists());
        assert_eq!(pruned.databases, [stale_name]);
        assert!(!renamed.exists());
        assert!(cache.path().join("someone_elses.db").exists());
        assert!(cache
            .path()
            .join(format!("{}.db", fresh.template()))
            .exists());
        assert!(Path::new(fresh.url().strip_prefix("sqlite://").unwrap()).exists());
    }

    #[test]
    fn drop_database_refuses_what_strata_did_not_create() {
        let cache = tempfile::tempdir().unwrap();
        let victim = cache.path().join("app.db");
        std::fs::write(&victim, "x").unwrap();
        let err = drop_database(&admin(&cache), &format!("sqlite://{}", victim.display()));
        assert!(
            matches!(err, Err(strata::testing::Error::NotATestDatabase { .. })),
            "{err:?}"
        );
        assert!(victim.exists());
    }
}

#[cfg(feature = "postgres")]
mod postgres {
    use super::*;
    use strata::testing::fill_spares;
    use strata_testkit::postgres::Client;

    /// `prune` drops what is old or orphaned in the whole cluster, so another test's `prune`
    /// would take what one of these tests set up for its own: they run one at a time.
    fn pruning() -> std::sync::MutexGuard<'static, ()> {
        static PRUNING: std::sync::Mutex<()> = std::sync::Mutex::new(());
        PRUNING.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn server() -> Option<&'static strata_testkit::Server> {
        match strata_testkit::server() {
            Ok(s) => Some(s),
            Err(reason) => {
                eprintln!("skipped: {reason}");
                None
            }
        }
    }

    fn exists(admin: &mut Client, name: &str) -> bool {
        admin
            .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
            .unwrap()
            .is_some()
    }

    /// Each migration's version and when it was applied: equal in two clones of one build.
    fn ledger(server: &strata_testkit::Server, db: &TestDb) -> String {
        server
            .connect(db.name())
            .unwrap()
            .query_one(
                "SELECT string_agg(version || '@' || applied_at, ',' ORDER BY version) \
                 FROM schema_migrations_ledger",
                &[],
            )
            .unwrap()
            .get(0)
    }

    /// Drop the templates a test built: each test's migration set is new, so they would pile up
    /// in the cluster the test runs share.
    fn drop_templates(server: &strata_testkit::Server, templates: &[&str]) {
        for t in templates {
            drop_database(&server.admin_url, t).unwrap();
        }
    }

    fn has_table(server: &strata_testkit::Server, db: &str, table: &str) -> bool {
        server
            .connect(db)
            .unwrap()
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
            .unwrap()
            .get(0)
    }

    #[test]
    fn the_template_is_reused_across_test_databases_of_one_set() {
        let Some(server) = server() else { return };
        let (_dir, m) = unique_set("pg-reuse");
        let a = TestDb::new(&m, &server.admin_url).unwrap();
        let b = TestDb::new(&m, &server.admin_url).unwrap();
        assert!(a.built_template() && !b.built_template());
        assert_eq!(a.template(), b.template());
        assert_ne!(a.name(), b.name());
        assert_eq!(ledger(server, &a), ledger(server, &b));
        assert!(Migrator::new(&m).status(b.url()).unwrap().is_up_to_date());
        drop_templates(server, &[a.template()]);
    }

    #[test]
    fn editing_a_file_builds_a_new_template_and_leaves_the_old_one() {
        let Some(server) = server() else { return };
        let (dir, m) = unique_set("pg-edit");
        let a = TestDb::new(&m, &server.admin_url).unwrap();
        write(
            dir.path(),
            "2_posts.up.sql",
            "CREATE TABLE articles (id int);\n",
        );
        let edited = Migrations::from_dir(dir.path()).unwrap();
        let b = TestDb::new(&edited, &server.admin_url).unwrap();
        assert!(b.built_template());
        assert_ne!(a.template(), b.template());
        assert!(has_table(server, b.name(), "articles"));
        assert!(!has_table(server, b.name(), "posts"));
        let mut admin = server.connect("postgres").unwrap();
        assert!(exists(&mut admin, a.template()), "left for prune");
        drop_templates(server, &[a.template(), b.template()]);
    }

    #[test]
    fn eight_threads_build_the_template_once() {
        let Some(server) = server() else { return };
        let (_dir, m) = unique_set("pg-threads");
        let barrier = std::sync::Barrier::new(8);
        let dbs: Vec<TestDb> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        TestDb::new(&m, &server.admin_url).unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(dbs.iter().filter(|d| d.built_template()).count(), 1);
        // Every clone carries the very same ledger rows (applied_at included): one build.
        let first = ledger(server, &dbs[0]);
        assert!(first.contains("1@") && first.contains("2@"), "{first}");
        for db in &dbs[1..] {
            assert_eq!(ledger(server, db), first);
        }
        drop_templates(server, &[dbs[0].template()]);
    }

    #[test]
    fn a_half_built_template_is_rebuilt_not_cloned() {
        let Some(server) = server() else { return };
        let (_dir, m) = unique_set("pg-half");
        // No spares: they would be clones of the complete template, claimed instead.
        let template = TestDb::with_spares(&m, &server.admin_url, 0)
            .unwrap()
            .template()
            .to_string();
        // What a build killed half way leaves: the database, without the completion mark.
        let mut admin = server.connect("postgres").unwrap();
        for sql in [
            format!("ALTER DATABASE \"{template}\" WITH IS_TEMPLATE false"),
            format!("DROP DATABASE \"{template}\""),
            format!("CREATE DATABASE \"{template}\""),
        ] {
            admin.batch_execute(&sql).unwrap();
        }
        server
            .connect(&template)
            .unwrap()
            .batch_execute("CREATE TABLE leftover (x int)")
            .unwrap();
        let db = TestDb::new(&m, &server.admin_url).unwrap();
        assert!(db.built_template());
        assert!(!has_table(server, db.name(), "leftover"));
        assert!(Migrator::new(&m).status(db.url()).unwrap().is_up_to_date());
        drop_templates(server, &[db.template()]);
    }

    #[test]
    fn drop_removes_the_database() {
        let Some(server) = server() else { return };
        let (_dir, m) = unique_set("pg-drop");
        let db = TestDb::new(&m, &server.admin_url).unwrap();
        let (name, template) = (db.name().to_string(), db.template().to_string());
        let mut admin = server.connect("postgres").unwrap();
        assert!(exists(&mut admin, &name));
        drop(db);
        assert!(!exists(&mut admin, &name));
        drop_templates(server, &[&template]);
    }

    /// With a password in the admin URL (the cluster trusts the admin role, so any works).
    fn admin_with_password(server: &strata_testkit::Server) -> String {
        server
            .admin_url
            .replacen("postgres@", "postgres:hunter2-secret@", 1)
    }

    #[test]
    fn the_url_keeps_the_password_and_printing_hides_it() {
        let Some(server) = server() else { return };
        let (_dir, m) = unique_set("pg-redact");
        let db = TestDb::new(&m, &admin_with_password(server)).unwrap();
        assert!(db.url().contains("hunter2-secret"));
        let shown = format!("{db} {db:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains(db.name()),
            "{shown}"
        );
        drop_templates(server, &[db.template()]);
    }

    /// Run as a child process by the next test: a failing test holding a TestDb.
    #[test]
    fn child_panics_holding_a_test_database() {
        let Ok(admin) = std::env::var("STRATA_TESTING_CHILD_ADMIN") else {
            return;
        };
        let (_dir, m) = unique_set("pg-child");
        let _db = TestDb::new(&m, &admin).unwrap();
        panic!("the test failed");
    }

    #[test]
    fn a_failed_test_keeps_its_database_and_prints_its_name() {
        let Some(server) = server() else { return };
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "postgres::child_panics_holding_a_test_database",
                "--nocapture",
            ])
            .env("STRATA_TESTING_CHILD_ADMIN", admin_with_password(server))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{stderr}");
        let line = stderr
            .lines()
            .find(|l| l.contains("kept test database"))
            .unwrap_or_else(|| panic!("{stderr}"));
        assert!(!stderr.contains("hunter2"), "{stderr}");
        let name = line
            .split_whitespace()
            .find(|w| w.starts_with("strata_test_"))
            .unwrap();
        let mut admin = server.connect("postgres").unwrap();
        assert!(exists(&mut admin, name), "{line}");
        drop_database(&server.admin_url, name).unwrap();
        assert!(!exists(&mut admin, name));
    }

    #[test]
    fn prune_drops_other_templates_and_old_test_databases_only() {
        let Some(server) = server() else { return };
        let _one_at_a_time = pruning();
        let (dir, old) = unique_set("pg-prune");
        let old_template = TestDb::new(&old, &server.admin_url)
            .unwrap()
            .template()
            .to_string();
        write(dir.path(), "3_tags.up.sql", "CREATE TABLE tags (id int);\n");
        let new = Migrations::from_dir(dir.path()).unwrap();
        let fresh = TestDb::new(&new, &server.admin_url).unwrap();
        let stale = TestDb::new(&new, &server.admin_url).unwrap();
        let stale_name = ancient(stale.name());
        let mut admin = server.connect("postgres").unwrap();
        // Built long ago (a template built recently is left to the runs still using it).
        admin
            .batch_execute(&format!(
                "COMMENT ON DATABASE \"{old_template}\" IS 'strata test template, built at 1'"
            ))
            .unwrap();
        admin
            .batch_execute(&format!(
                "ALTER DATABASE \"{}\" RENAME TO \"{stale_name}\"",
                stale.name()
            ))
            .unwrap();
        drop(stale.keep());
        let pruned = prune(
            &new,
            &server.admin_url,
            std::time::Duration::from_secs(3600),
        )
        .unwrap();
        // Other tests' templates and databases may be pruned too; ours must be.
        assert!(pruned.templates.contains(&old_template), "{pruned:?}");
        assert!(pruned.databases.contains(&stale_name), "{pruned:?}");
        assert!(!exists(&mut admin, &old_template) && !exists(&mut admin, &stale_name));
        assert!(exists(&mut admin, fresh.template()) && exists(&mut admin, fresh.name()));
        assert!(!pruned.databases.contains(&fresh.name().to_string()));
        drop_templates(server, &[fresh.template()]);
    }

    /// The spares of `template`'s migration set, by name, with their database oids.
    fn spares(admin: &mut Client, template: &str) -> Vec<(String, u32)> {
        let fp = template.trim_start_matches("strata_tpl_");
        admin
            .query(
                "SELECT datname::text, oid FROM pg_database WHERE datname LIKE $1 ORDER BY 1",
                &[&format!("strata\\_spare\\_{fp}\\_%")],
            )
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    }

    fn oid(admin: &mut Client, name: &str) -> Option<u32> {
        admin
            .query_opt("SELECT oid FROM pg_database WHERE datname = $1", &[&name])
            .unwrap()
            .map(|r| r.get(0))
    }

    #[test]
    fn parallel_claims_never_get_the_same_spare() {
        let Some(server) = server() else { return };
        let (_dir, m) = unique_set("pg-spares-race");
        assert_eq!(fill_spares(&m, &server.admin_url, 6).unwrap(), 6);
        // Eight sessions (what eight test processes are to the server) race for six spares.
        let barrier = std::sync::Barrier::new(8);
        let dbs: Vec<TestDb> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        TestDb::with_spares(&m, &server.admin_url, 6).unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        // A claimer only misses when every spare it saw went to another: at least six won.
        assert!(dbs.iter().filter(|d| d.from_spare()).count() >= 6);
        let mut admin = server.connect("postgres").unwrap();
        let mut oids: Vec<u32> = dbs
            .iter()
            .map(|d| oid(&mut admin, d.name()).unwrap_or_else(|| panic!("{} missing", d.name())))
            .collect();
        oids.sort_unstable();
        oids.dedup();
        assert_eq!(oids.len(), 8, "two tests share a database");
        let template = dbs[0].template().to_string();
        drop(dbs);
        drop_templates(server, &[&template]);
    }

    #[test]
    fn a_claimed_spare_is_at_the_latest_version_and_empty_of_test_data() {
        let Some(server) = server() else { return };
        let (_dir, m) = unique_set("pg-spares-clean");
        let built = TestDb::with_spares(&m, &server.admin_url, 0).unwrap();
        fill_spares(&m, &server.admin_url, 2).unwrap();
        let a = TestDb::with_spares(&m, &server.admin_url, 2).unwrap();
        assert!(a.from_spare() && !a.built_template());
        assert!(Migrator::new(&m).status(a.url()).unwrap().is_up_to_date());
        assert_eq!(ledger(server, &a), ledger(server, &built));
        let mut conn = server.connect(a.name()).unwrap();
        conn.batch_execute("INSERT INTO users VALUES (1)").unwrap();
        let b = TestDb::with_spares(&m, &server.admin_url, 2).unwrap();
        assert!(b.from_spare());
        let rows: i64 = server
            .connect(b.name())
            .unwrap()
            .query_one("SELECT count(*) FROM users", &[])
            .unwrap()
            .get(0);
        assert_eq!(rows, 0);
        drop(conn);
        drop_templates(server, &[a.template()]);
    }

    #[test]
    fn with_no_spares_every_database_is_a_clone() {
        let Some(server) = server() else { return };
        let (_dir, m) = unique_set("pg-spares-off");
        assert_eq!(fill_spares(&m, &server.admin_url, 2).unwrap(), 2);
        let mut admin = server.connect("postgres").unwrap();
        let template = TestDb::with_spares(&m, &server.admin_url, 0)
            .unwrap()
            .template()
            .to_string();
        let before = spares(&mut admin, &template);
        let off = TestDb::with_spares(&m, &server.admin_url, 0).unwrap();
        assert!(!off.from_spare());
        assert_eq!(spares(&mut admin, &template), before, "untouched");
        let on = TestDb::with_spares(&m, &server.admin_url, 2).unwrap();
        assert!(on.from_spare());
        drop_templates(server, &[&template]);
    }

    #[test]
    fn dropping_a_template_drops_its_spares() {
        let Some(server) = server() else { return };
        let (_dir, m) = unique_set("pg-spares-drop");
        fill_spares(&m, &server.admin_url, 2).unwrap();
        let template = TestDb::with_spares(&m, &server.admin_url, 0)
            .unwrap()
            .template()
            .to_string();
        let mut admin = server.connect("postgres").unwrap();
        assert_eq!(spares(&mut admin, &template).len(), 2);
        drop_database(&server.admin_url, &template).unwrap();
        assert_eq!(spares(&mut admin, &template), vec![]);
    }

    #[test]
    fn prune_drops_the_spares_of_the_templates_it_drops() {
        let Some(server) = server() else { return };
        let _one_at_a_time = pruning();
        let (dir, old) = unique_set("pg-spares-prune");
        assert_eq!(fill_spares(&old, &server.admin_url, 3).unwrap(), 3);
        let old_template = TestDb::with_spares(&old, &server.admin_url, 0)
            .unwrap()
            .template()
            .to_string();
        write(dir.path(), "3_tags.up.sql", "CREATE TABLE tags (id int);\n");
        let new = Migrations::from_dir(dir.path()).unwrap();
        assert_eq!(fill_spares(&new, &server.admin_url, 1).unwrap(), 1);
        let new_template = TestDb::with_spares(&new, &server.admin_url, 0)
            .unwrap()
            .template()
            .to_string();
        let mut admin = server.connect("postgres").unwrap();
        let old_spares = spares(&mut admin, &old_template);
        let new_spares = spares(&mut admin, &new_template);
        admin
            .batch_execute(&format!(
                "COMMENT ON DATABASE \"{old_template}\" IS 'strata test template, built at 1'"
            ))
            .unwrap();
        let pruned = prune(
            &new,
            &server.admin_url,
            std::time::Duration::from_secs(3600),
        )
        .unwrap();
        assert_eq!(old_spares.len(), 3);
        for (name, _) in &old_spares {
            assert!(pruned.spares.contains(name), "{pruned:?}");
        }
        assert_eq!(spares(&mut admin, &old_template), vec![]);
        assert_eq!(spares(&mut admin, &new_template), new_spares, "kept");
        drop_templates(server, &[&new_template]);
    }

    #[test]
    fn prune_drops_orphaned_spares_even_of_the_current_set_and_lists_those_it_keeps() {
        let Some(server) = server() else { return };
        let _one_at_a_time = pruning();
        let (_dir, current) = unique_set("pg-spares-orphan");
        let (_other_dir, other) = unique_set("pg-spares-kept");
        assert_eq!(fill_spares(&current, &server.admin_url, 2).unwrap(), 2);
        assert_eq!(fill_spares(&other, &server.admin_url, 2).unwrap(), 2);
        let template = |m: &Migrations| {
            TestDb::with_spares(m, &server.admin_url, 0)
                .unwrap()
                .template()
                .to_string()
        };
        let (current_template, other_template) = (template(&current), template(&other));
        let mut admin = server.connect("postgres").unwrap();
        let orphans = spares(&mut admin, &current_template);
        let kept = spares(&mut admin, &other_template);
        // Dropped by hand (to force a rebuild): its spares hold the old build.
        admin
            .batch_execute(&format!(
                "ALTER DATABASE \"{current_template}\" WITH IS_TEMPLATE false"
            ))
            .unwrap();
        admin
            .batch_execute(&format!(
                "DROP DATABASE \"{current_template}\" WITH (FORCE)"
            ))
            .unwrap();
        let pruned = prune(
            &current,
            &server.admin_url,
            std::time::Duration::from_secs(3600),
        )
        .unwrap();
        assert_eq!(orphans.len(), 2);
        for (name, _) in &orphans {
            assert!(pruned.spares.contains(name), "{pruned:?}");
            assert!(!pruned.kept_spares.contains(name), "{pruned:?}");
        }
        assert_eq!(spares(&mut admin, &current_template), vec![]);
        // The other set's template was built just now: it stays, and so do its spares, listed.
        assert_eq!(spares(&mut admin, &other_template), kept, "kept");
        for (name, _) in &kept {
            assert!(pruned.kept_spares.contains(name), "{pruned:?}");
            assert!(!pruned.spares.contains(name), "{pruned:?}");
        }
        drop_templates(server, &[&other_template]);
    }

    #[test]
    fn a_rebuilt_template_never_hands_out_a_spare_of_the_build_before() {
        let Some(server) = server() else { return };
        let (_dir, m) = unique_set("pg-spares-rebuild");
        assert_eq!(fill_spares(&m, &server.admin_url, 1).unwrap(), 1);
        let template = TestDb::with_spares(&m, &server.admin_url, 0)
            .unwrap()
            .template()
            .to_string();
        let mut admin = server.connect("postgres").unwrap();
        let old = spares(&mut admin, &template);
        assert_eq!(old.len(), 1);
        server
            .connect(&old[0].0)
            .unwrap()
            .batch_execute("CREATE TABLE old_build (id int)")
            .unwrap();
        // Dropped by hand to force a rebuild (something the fingerprint does not cover changed).
        admin
            .batch_execute(&format!(
                "ALTER DATABASE \"{template}\" WITH IS_TEMPLATE false"
            ))
            .unwrap();
        admin
            .batch_execute(&format!("DROP DATABASE \"{template}\" WITH (FORCE)"))
            .unwrap();
        let db = TestDb::with_spares(&m, &server.admin_url, 1).unwrap();
        assert!(!db.from_spare() && db.built_template());
        assert!(!has_table(server, db.name(), "old_build"));
        assert!(
            !exists(&mut admin, &old[0].0),
            "the old build's spare is dropped"
        );
        drop(db);
        drop_templates(server, &[&template]);
    }
}
