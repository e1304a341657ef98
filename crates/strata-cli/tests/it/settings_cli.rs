//! Settings through the real binary: `.env`, `strata.toml` (found upward, `[env.NAME]`),
//! their order against flags and the environment, `strata config`, completions, the manual.

use crate::support::{output, three, Project};

fn write(p: &Project, name: &str, text: &str) {
    let path = p.path().join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn dotenv_supplies_settings_and_the_environment_wins_over_it() {
    let p = Project::new();
    three(&p);
    write(
        &p,
        ".env",
        "DATABASE_URL=sqlite://dotenv.db\nMIGRATION_DIR=migrations\n",
    );
    let mut cmd = p.bare();
    cmd.args(["up", "1"]);
    output(cmd).ok();
    assert!(p.path().join("dotenv.db").exists());

    let mut cmd = p.bare();
    cmd.env("DATABASE_URL", "sqlite://process.db")
        .args(["up", "1"]);
    output(cmd).ok();
    assert!(p.path().join("process.db").exists());

    let mut cmd = p.bare();
    cmd.args(["--no-dotenv", "up"]);
    output(cmd).code(2).stderr_has("no database");

    write(
        &p,
        "ci.env",
        "DATABASE_URL=sqlite://ci.db\nMIGRATION_DIR=migrations\n",
    );
    let mut cmd = p.bare();
    cmd.args(["--env-file", "ci.env", "up"]);
    output(cmd).ok();
    assert!(p.path().join("ci.db").exists());

    let mut cmd = p.bare();
    cmd.args(["--env-file", "missing.env", "up"]);
    output(cmd).code(2).stderr_has("missing.env");
}

#[test]
fn a_bad_dotenv_line_is_named_by_file_and_line() {
    let p = Project::new();
    write(&p, ".env", "A=1\nDATABASE_URL='postgres://u:hunter2@h/db\n");
    let mut cmd = p.bare();
    cmd.args(["version"]);
    output(cmd)
        .code(2)
        .stderr_has(".env line 2: cannot parse")
        .never_shows("hunter2");
}

#[test]
fn strata_toml_is_found_upward_and_env_sections_are_chosen_with_env() {
    let p = Project::new();
    three(&p);
    write(
        &p,
        "strata.toml",
        "path = \"migrations\"\ndatabase = \"sqlite://${DB_NAME:-main}.db\"\nmigrations_table = \"my_versions\"\n\n[env.staging]\ndatabase = \"sqlite://staging.db\"\n",
    );
    std::fs::create_dir_all(p.path().join("sub/dir")).unwrap();
    let mut cmd = p.bare();
    cmd.current_dir(p.path().join("sub/dir")).args(["up", "1"]);
    output(cmd).ok();
    let db = rusqlite::Connection::open(p.path().join("main.db")).unwrap();
    let v: i64 = db
        .query_row("SELECT version FROM my_versions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, 1);

    let mut cmd = p.bare();
    cmd.args(["--env", "staging", "up"]);
    output(cmd).ok();
    assert!(p.path().join("staging.db").exists());

    // ${VAR} from .env; a flag beats the file.
    write(&p, ".env", "DB_NAME=fromdotenv\n");
    let mut cmd = p.bare();
    cmd.args(["up", "1"]);
    output(cmd).ok();
    assert!(p.path().join("fromdotenv.db").exists());
    let mut cmd = p.bare();
    cmd.args(["-database", "sqlite://flag.db", "up", "1"]);
    output(cmd).ok();
    assert!(p.path().join("flag.db").exists());

    let mut cmd = p.bare();
    cmd.args(["--env", "prod", "version"]);
    output(cmd)
        .code(2)
        .stderr_has("no [env.prod] section (it has: staging)");
}

#[test]
fn bad_strata_toml_values_name_the_file_and_line() {
    let p = Project::new();
    write(
        &p,
        "strata.toml",
        "path = \"m\"\n\nlock_timeout = \"soon\"\n",
    );
    let mut cmd = p.bare();
    cmd.args(["version"]);
    output(cmd).code(2).stderr_has("strata.toml line 3: ");
    write(
        &p,
        "strata.toml",
        "path = \"m\"\ndatabse = \"sqlite://x.db\"\n",
    );
    let mut cmd = p.bare();
    cmd.args(["version"]);
    output(cmd)
        .code(2)
        .stderr_has("line 2")
        .stderr_has("databse");
    write(&p, "strata.toml", "database = \"${NOT_SET_ANYWHERE}\"\n");
    let mut cmd = p.bare();
    cmd.args(["version"]);
    output(cmd)
        .code(2)
        .stderr_has("strata.toml line 1: ${NOT_SET_ANYWHERE}: NOT_SET_ANYWHERE is not set");
}

#[test]
fn config_shows_each_setting_with_its_origin_and_no_password() {
    let p = Project::new();
    write(
        &p,
        "strata.toml",
        "path = \"migrations\"\nlock_timeout = 20\n",
    );
    write(
        &p,
        ".env",
        "DATABASE_URL=postgres://app:hunter2@db.internal/app\n",
    );
    let mut cmd = p.bare();
    cmd.args(["config"])
        .env("PGPASSWORD", "topsecret")
        .env("PGPORT", "6543");
    let out = output(cmd);
    out.ok()
        .never_shows("hunter2")
        .never_shows("topsecret")
        .stdout_has("postgres://app:***@db.internal/app?port=6543")
        .stdout_has("DATABASE_URL (.env)")
        .stdout_has("strata.toml line 2");
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("  port") && l.contains("6543") && l.ends_with("(PGPORT)")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("lock_timeout") && l.contains("20s")),
        "{}",
        out.stdout
    );
}

#[test]
fn help_shows_environment_variables_without_their_values() {
    let p = Project::new();
    let mut cmd = p.bare();
    cmd.args(["--help"])
        .env("DATABASE_URL", "postgres://u:hunter2@h/db");
    output(cmd)
        .ok()
        .stdout_has("[env: DATABASE_URL]")
        .stdout_has("[env: MIGRATION_DIR")
        .never_shows("hunter2");
}

#[test]
fn bash_can_source_the_completion_script() {
    let p = Project::new();
    let mut cmd = p.bare();
    cmd.args(["completions", "bash"]);
    let out = output(cmd);
    out.ok();
    let script = p.path().join("strata.bash");
    std::fs::write(&script, &out.stdout).unwrap();
    let check = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("source {} && complete -p strata", script.display()))
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(String::from_utf8_lossy(&check.stdout).contains("strata"));
    for shell in ["zsh", "fish", "powershell"] {
        let mut cmd = p.bare();
        cmd.args(["completions", shell]);
        output(cmd).ok().stdout_has("up");
    }
}

#[test]
fn man_prints_a_manual_page() {
    let p = Project::new();
    let mut cmd = p.bare();
    cmd.args(["man"]);
    output(cmd)
        .ok()
        .stdout_has(".TH strata")
        .stdout_has("completions");
}

/// A file of the repository's `examples/docker`.
fn docker_example(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/docker")
        .join(name)
}

#[test]
fn the_container_entrypoint_waits_then_runs_up_or_the_given_command() {
    let p = Project::new();
    three(&p);
    let run = |args: &[&str]| {
        let mut cmd = std::process::Command::new("sh");
        cmd.current_dir(p.path())
            .arg(docker_example("entrypoint.sh"))
            .args(args)
            .env("STRATA_BIN", assert_cmd::cargo::cargo_bin("strata"))
            .env("DATABASE_URL", "sqlite://app.db")
            .env("MIGRATION_DIR", "migrations")
            .env("PGPASSFILE", p.path().join("no-pgpass"));
        crate::support::output(assert_cmd::Command::from_std(cmd))
    };
    run(&[]).ok();
    run(&["version"]).ok().stdout_has("3");
    run(&["down", "1"]).ok();
    run(&["version"]).ok().stdout_has("2");
}

#[test]
fn the_makefile_targets_run_strata_through_migrate_bin() {
    if std::process::Command::new("make")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no make");
        return;
    }
    let p = Project::new();
    three(&p);
    let bin = assert_cmd::cargo::cargo_bin("strata");
    let migrate_bin = format!(
        "{} -path migrations -database sqlite://app.db",
        bin.display()
    );
    for (target, expect) in [("migrate-up", None), ("migrate-version", Some("3"))] {
        let mut cmd = assert_cmd::Command::new("make");
        cmd.current_dir(p.path())
            .arg("-s")
            .arg("-f")
            .arg(docker_example("Makefile"))
            .arg(target)
            .arg(format!("MIGRATE_BIN={migrate_bin}"))
            .env("PGPASSFILE", p.path().join("no-pgpass"));
        let out = output(cmd);
        out.ok();
        if let Some(e) = expect {
            out.stdout_has(e);
        }
    }
}

#[test]
fn config_of_a_key_value_string_redacts_its_password() {
    let p = Project::new();
    let mut cmd = p.bare();
    cmd.args([
        "-database",
        "host=db.internal user=app password='hunter 2' dbname=app",
        "config",
    ]);
    output(cmd)
        .ok()
        .never_shows("hunter")
        .stdout_has("password=***")
        .stdout_has("host=db");
}

/// A database URL with a port that is not a number (and a password that must never show).
const BAD_URL: &str = "postgres://u:hunter2@h:notaport/db";

#[test]
fn a_bad_database_url_names_the_flag_or_variable_or_file_line_it_came_from() {
    let p = Project::new();
    three(&p);

    let mut cmd = p.bare();
    cmd.args(["--database", BAD_URL, "wait"]);
    output(cmd)
        .code(1)
        .stderr_has("--database: invalid port")
        .never_shows("hunter2");

    let mut cmd = p.bare();
    cmd.env("DATABASE_URL", BAD_URL)
        .args(["-path", "migrations", "up"]);
    output(cmd)
        .code(1)
        .stderr_has("DATABASE_URL (environment): invalid port")
        .never_shows("hunter2");

    write(&p, ".env", &format!("A=1\nDATABASE_URL={BAD_URL}\n"));
    let mut cmd = p.bare();
    cmd.args(["wait"]);
    output(cmd)
        .code(1)
        .stderr_has("DATABASE_URL (")
        .stderr_has(".env): invalid port")
        .never_shows("hunter2");
    std::fs::remove_file(p.path().join(".env")).unwrap();

    write(
        &p,
        "strata.toml",
        &format!("path = \"migrations\"\ndatabase = \"{BAD_URL}\"\n"),
    );
    let mut cmd = p.bare();
    cmd.args(["status"]);
    output(cmd)
        .code(1)
        .stderr_has("strata.toml line 2: invalid port")
        .never_shows("hunter2");
}

#[test]
fn a_bad_key_value_connection_string_names_the_variable_it_came_from() {
    let p = Project::new();
    let mut cmd = p.bare();
    cmd.env("DATABASE_URL", "host=h password=hunter2 port='5432")
        .args(["wait"]);
    output(cmd)
        .code(2)
        .stderr_has("DATABASE_URL (environment): the key=value connection string")
        .never_shows("hunter2");
}

#[test]
fn config_as_json_lists_each_setting_with_its_origin_and_no_password() {
    let p = Project::new();
    write(&p, "strata.toml", "lock_timeout = 20\n");
    write(
        &p,
        ".env",
        "DATABASE_URL=postgres://app:hunter2@db.internal/app\n",
    );
    let mut cmd = p.bare();
    cmd.args(["config", "--format", "json"])
        .env("PGPASSWORD", "topsecret")
        .env("PGPORT", "6543");
    let out = output(cmd);
    out.ok().never_shows("hunter2").never_shows("topsecret");
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("config prints JSON");
    assert_eq!(v["schema_version"], 1);
    let settings = v["settings"].as_array().unwrap();
    let find = |name: &str| {
        settings
            .iter()
            .find(|s| s["setting"] == name)
            .unwrap_or_else(|| panic!("no {name} in {v}"))
    };
    let db = find("database");
    // The URL's own password wins over PGPASSWORD.
    assert_eq!(db["value"], "postgres://app:***@db.internal/app?port=6543");
    assert_eq!(db["origin"], "DATABASE_URL (.env)");
    assert!(db.get("parent").is_none());
    let port = find("port");
    assert_eq!(port["value"], "6543");
    assert_eq!(port["origin"], "PGPORT");
    assert_eq!(port["parent"], "database");
    assert_eq!(find("lock_timeout")["value"], "20s");
    assert!(find("lock_timeout")["origin"]
        .as_str()
        .unwrap()
        .ends_with("strata.toml line 1"));
    assert_eq!(v["missing"], serde_json::json!(["path"]));
}

#[test]
fn up_help_ends_with_two_examples() {
    let p = Project::new();
    for flag in ["--help", "-h"] {
        let mut cmd = p.bare();
        cmd.args(["up", flag]);
        let out = output(cmd);
        out.ok()
            .stdout_has(
                "Examples:\n  strata -path migrations -database postgres://app@localhost/app up\n",
            )
            .stdout_has("  strata up 2 --format json");
    }
}
