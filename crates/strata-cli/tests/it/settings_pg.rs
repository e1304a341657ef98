//! libpq's conventions and `strata wait` through the real binary against real PostgreSQL:
//! `PG*` variables, `PGPASSWORD`, `.pgpass` (0600 used, 0644 ignored with a warning),
//! `PGSERVICE` with a service file, key=value connection strings, and waiting for a server
//! that starts later.

use crate::pg::{pg, Pg};
use crate::support::{output, three, Output};
use strata_drivers::{DatabaseUrl, Host};
use strata_testkit::cluster::PrivateCluster;

/// Host, port and database of the test database.
fn parts(pg: &Pg) -> (String, u16, String) {
    let url = DatabaseUrl::parse(&pg.db.url).unwrap();
    let (host, port) = match &url.hosts()[0] {
        (Host::Tcp(h), p) => (h.clone(), p.unwrap_or(5432)),
        (h, _) => panic!("a TCP test server, not {h}"),
    };
    (host, port, url.database().unwrap().to_string())
}

/// A role that logs in with a password and may create in `public` of the test database.
fn password_role(pg: &Pg) -> Option<(&'static str, &'static str)> {
    let role = pg.db.server()?.password_role()?;
    pg.db
        .client()
        .batch_execute(&format!(
            "GRANT ALL ON SCHEMA public TO {0}; GRANT CONNECT ON DATABASE \"{1}\" TO {0}",
            role.0, pg.db.name
        ))
        .unwrap();
    Some(role)
}

/// `strata -path migrations [-database URL] ARGS` with `vars` set.
fn run(pg: &Pg, database: Option<&str>, vars: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = pg.p.bare();
    cmd.args(["-path", "migrations"]);
    if let Some(d) = database {
        cmd.args(["-database", d]);
    }
    cmd.envs(vars.iter().copied()).args(args);
    output(cmd)
}

fn applied(pg: &Pg) -> i64 {
    pg.db
        .client()
        .query_one("SELECT count(*) FROM schema_migrations_ledger", &[])
        .unwrap()
        .get(0)
}

#[test]
fn pg_variables_alone_name_the_database() {
    let pg = pg!();
    three(&pg.p);
    let (host, port, db) = parts(&pg);
    let port = port.to_string();
    let vars = [
        ("PGHOST", host.as_str()),
        ("PGPORT", port.as_str()),
        ("PGDATABASE", db.as_str()),
        ("PGUSER", "postgres"),
        ("PGSSLMODE", "disable"),
        ("PGAPPNAME", "from-pgappname"),
    ];
    run(&pg, None, &vars, &["up"]).ok();
    assert_eq!(applied(&pg), 3);
    // The URL's own parts win: a wrong PGDATABASE does not override the URL's database.
    let url = format!("postgres://postgres@{host}:{port}/{db}");
    run(
        &pg,
        Some(&url),
        &[("PGDATABASE", "nope"), ("PGPORT", "1")],
        &["version"],
    )
    .ok()
    .stdout_has("3");
}

#[test]
fn pg_key_value_connection_strings_work() {
    let pg = pg!();
    three(&pg.p);
    let (host, port, db) = parts(&pg);
    let dsn = format!("host={host} port={port} dbname='{db}' user=postgres sslmode=disable");
    run(&pg, Some(&dsn), &[], &["up", "2"]).ok();
    assert_eq!(applied(&pg), 2);
    run(&pg, Some("host=h dbname"), &[], &["version"])
        .code(2)
        .stderr_has("key=value connection string");
}

#[test]
fn pg_password_comes_from_pgpassword_then_pgpass_with_its_permission_check() {
    let pg = pg!();
    let Some((user, password)) = password_role(&pg) else {
        eprintln!("skipped: no password role on an external server");
        return;
    };
    three(&pg.p);
    let (host, port, db) = parts(&pg);
    let url = format!("postgres://{user}@{host}:{port}/{db}?sslmode=disable");
    // No password anywhere: the client says so before asking the server.
    run(&pg, Some(&url), &[], &["version"])
        .code(1)
        .stderr_has("password missing");
    run(&pg, Some(&url), &[("PGPASSWORD", password)], &["up", "1"])
        .ok()
        .never_shows(password);
    assert_eq!(applied(&pg), 1);

    use std::os::unix::fs::PermissionsExt;
    let file = pg.p.path().join("pgpass");
    std::fs::write(&file, format!("{host}:{port}:{db}:{user}:{password}\n")).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let file_str = file.to_str().unwrap();
    run(&pg, Some(&url), &[("PGPASSFILE", file_str)], &["up", "1"])
        .ok()
        .never_shows(password);
    assert_eq!(applied(&pg), 2);

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    run(&pg, Some(&url), &[("PGPASSFILE", file_str)], &["up", "1"])
        .code(1)
        .stderr_has("has group or world access; permissions should be u=rw (0600) or less")
        .stderr_has("password missing")
        .never_shows(password);
    assert_eq!(applied(&pg), 2);
}

#[test]
fn pg_service_files_supply_connection_settings() {
    let pg = pg!();
    three(&pg.p);
    let (host, port, db) = parts(&pg);
    let file = pg.p.path().join("services.conf");
    std::fs::write(
        &file,
        format!("[other]\nhost=nowhere\n\n[app]\nhost={host}\nport={port}\ndbname={db}\nuser=postgres\nsslmode=disable\n"),
    )
    .unwrap();
    let file_str = file.to_str().unwrap();
    run(
        &pg,
        None,
        &[("PGSERVICEFILE", file_str), ("PGSERVICE", "app")],
        &["up"],
    )
    .ok();
    assert_eq!(applied(&pg), 3);
    run(
        &pg,
        Some("postgres://?service=app"),
        &[("PGSERVICEFILE", file_str)],
        &["version"],
    )
    .ok()
    .stdout_has("3");
    run(
        &pg,
        None,
        &[("PGSERVICEFILE", file_str), ("PGSERVICE", "nope")],
        &["version"],
    )
    .code(2)
    .stderr_has("PGSERVICE: definition of service \"nope\" not found");
    std::fs::write(&file, "[app]\nhots=x\n").unwrap();
    run(
        &pg,
        None,
        &[("PGSERVICEFILE", file_str), ("PGSERVICE", "app")],
        &["version"],
    )
    .code(2)
    .stderr_has("services.conf line 2: invalid connection option \"hots\"");
}

#[test]
fn pg_wait_waits_for_a_server_that_starts_later() {
    let pg = pg!();
    let cluster = match PrivateCluster::start() {
        Ok(c) => c,
        Err(e) => panic!("cannot start a private cluster: {e}"),
    };
    let url = cluster.url("postgres");
    cluster.stop_immediate().unwrap();
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("strata"));
    cmd.current_dir(pg.p.path())
        .env_remove("DATABASE_URL")
        .args(["-database", &url, "wait", "--wait-timeout", "120s"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_secs(2));
    cluster.restart().unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("waiting for the database"), "{stderr}");
    // `--wait` on a command, now that it is up.
    three(&pg.p);
    let mut cmd = pg.p.bare();
    cmd.args(["-path", "migrations", "-database", &url, "--wait", "up"]);
    output(cmd).ok();
}

#[test]
fn pg_wait_gives_up_at_the_timeout_and_never_retries_a_failed_login() {
    let pg = pg!();
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable");
    let mut cmd = pg.p.bare();
    cmd.args(["-database", &url, "wait", "--wait-timeout", "1s"]);
    output(cmd)
        .code(1)
        .stderr_has("did not accept connections within 1s (--wait-timeout)")
        .stderr_has("connection refused");
    if let Some((user, _)) = password_role(&pg) {
        let (host, port, db) = parts(&pg);
        let bad = format!("postgres://{user}:wrong@{host}:{port}/{db}?sslmode=disable");
        let mut cmd = pg.p.bare();
        cmd.args(["-database", &bad, "wait", "--wait-timeout", "600s"]);
        let out = output(cmd);
        out.code(1).stderr_has("password authentication failed");
        assert!(!out.stderr.contains("did not accept"), "{}", out.stderr);
    }
}
