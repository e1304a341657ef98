//! `strata testdb create|drop|prune` on SQLite and on the real PostgreSQL test cluster.

use crate::support::Project;

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
