//! `strata testdb create|drop|prune` on SQLite and on the real PostgreSQL test cluster.

use crate::support::{output, Project};
use std::sync::{Mutex, MutexGuard};

/// `prune` drops what is old or orphaned in the whole cluster, so another test's `prune` would
/// take what one of these tests set up for its own: they run one at a time.
fn pruning() -> MutexGuard<'static, ()> {
    static PRUNING: Mutex<()> = Mutex::new(());
    PRUNING.lock().unwrap_or_else(|e| e.into_inner())
}

fn project() -> Project {
    let p = Project::new();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    // A migration set of its own: its template is new.
    p.file(
        "1_users.up.sql",
        &format!("-- {nanos}\nCREATE TABLE users (id int);\n"),
    );
    p
}

#[test]
fn sqlite_create_drop_prune() {
    let p = project();
    let out = p.run_on("sqlite://cache", &["testdb", "create"]);
    out.ok();
    let url = out.stdout.trim().to_string();
    assert!(
        url.starts_with("sqlite:///") && url.contains("strata_test_"),
        "{url}"
    );
    p.run_on(&url, &["status", "--check"]).ok();
    let kept = url.strip_prefix("sqlite://").unwrap().to_string();

    p.run_on("sqlite://cache", &["testdb", "drop", "app.db"])
        .code(1)
        .stderr_has("not a test database created by Strata");
    p.run_on("sqlite://cache", &["testdb", "drop", &url]).ok();
    assert!(!std::path::Path::new(&kept).exists());

    let second = p.run_on("sqlite://cache", &["testdb", "create"]);
    second.ok();
    let out = p.run_on("sqlite://cache", &["testdb", "prune", "--older-than", "0s"]);
    out.ok().stdout_has("dropped database strata_test_");
    let copy = second
        .stdout
        .trim()
        .strip_prefix("sqlite://")
        .unwrap()
        .to_string();
    assert!(!std::path::Path::new(&copy).exists());
    p.run_on(
        "sqlite://cache",
        &["testdb", "prune", "--older-than", "soon"],
    )
    .code(2)
    .stderr_has("--older-than");
}

#[test]
fn postgres_create_drop_prune() {
    let Some(db) = strata_testkit::TestDb::postgres() else {
        return;
    };
    let _one_at_a_time = pruning();
    let server = strata_testkit::server().unwrap();
    let p = project();
    let admin = server
        .admin_url
        .replacen("postgres@", "postgres:hunter2-secret@", 1);
    let out = p.run_on(&admin, &["testdb", "create"]);
    out.ok()
        .never_shows("hunter2")
        .stderr_has("--with-password");
    let url = out.stdout.trim().to_string();
    assert!(url.contains("/strata_test_"), "{url}");
    p.run_on(&url, &["status", "--check"]).ok();

    let out = p.run_on(&admin, &["testdb", "create", "--with-password"]);
    out.ok();
    let with_password = out.stdout.trim().to_string();
    assert!(
        with_password.contains(":hunter2-secret@"),
        "{with_password}"
    );

    let mut c = db.admin_client();
    let exists = |c: &mut strata_testkit::postgres::Client, name: &str| {
        c.query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
            .unwrap()
            .is_some()
    };
    let name = url.rsplit('/').next().unwrap().split('?').next().unwrap();
    p.run_on(&admin, &["testdb", "drop", name])
        .ok()
        .never_shows("hunter2");
    assert!(!exists(&mut c, name));
    p.run_on(&admin, &["testdb", "drop", "postgres"])
        .code(1)
        .stderr_has("not a test database");

    let second = with_password
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap();
    // Created at Unix time 1, as its name says: older than prune's default hour. (The
    // cluster is shared with other tests: nothing recent of theirs is touched.)
    let mut parts: Vec<&str> = second.split('_').collect();
    parts[3] = "1";
    let old = parts.join("_");
    c.batch_execute(&format!("ALTER DATABASE \"{second}\" RENAME TO \"{old}\""))
        .unwrap();
    p.run_on(&admin, &["testdb", "prune"])
        .ok()
        .stdout_has(&format!("dropped database {old}"))
        .never_shows("hunter2");
    assert!(!exists(&mut c, &old));
}

#[test]
fn postgres_prune_lists_the_spares_it_keeps_and_drops_orphaned_ones() {
    let Some(db) = strata_testkit::TestDb::postgres() else {
        return;
    };
    let _one_at_a_time = pruning();
    let server = strata_testkit::server().unwrap();
    let p = project();
    // No background refill that could outlive the command: the spares are made below.
    let mut cmd = p.bare();
    cmd.args(["-path", "migrations", "-database", &server.admin_url])
        .args(["testdb", "create"])
        .env("STRATA_TESTDB_SPARES", "0");
    let out = output(cmd);
    out.ok();
    let url = out.stdout.trim().to_string();
    let test_db = url.rsplit('/').next().unwrap().split('?').next().unwrap();
    let short_fp = test_db.split('_').nth(2).unwrap();
    let mut c = db.admin_client();
    let template: String = c
        .query_one(
            "SELECT datname::text FROM pg_database WHERE datname LIKE $1",
            &[&format!("strata\\_tpl\\_{short_fp}%")],
        )
        .unwrap()
        .get(0);
    let fp = template.strip_prefix("strata_tpl_").unwrap();
    let spares: Vec<String> = (0..2)
        .map(|n| format!("strata_spare_{fp}_1_abcdef_{n}"))
        .collect();
    for s in &spares {
        c.batch_execute(&format!("CREATE DATABASE \"{s}\" TEMPLATE \"{template}\""))
            .unwrap();
    }
    let exists = |c: &mut strata_testkit::postgres::Client, name: &str| {
        c.query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
            .unwrap()
            .is_some()
    };

    let out = p.run_on(&server.admin_url, &["testdb", "prune"]);
    out.ok();
    for s in &spares {
        out.stdout_has(&format!("kept spare {s}\n"));
        assert!(exists(&mut c, s));
    }

    // The template dropped by hand (to force a rebuild): its spares hold the old build.
    c.batch_execute(&format!(
        "ALTER DATABASE \"{template}\" WITH IS_TEMPLATE false"
    ))
    .unwrap();
    c.batch_execute(&format!("DROP DATABASE \"{template}\" WITH (FORCE)"))
        .unwrap();
    let out = p.run_on(&server.admin_url, &["testdb", "prune"]);
    out.ok();
    for s in &spares {
        out.stdout_has(&format!("dropped spare {s}\n"));
        assert!(!exists(&mut c, s));
    }
    p.run_on(&server.admin_url, &["testdb", "drop", test_db])
        .ok();
}
