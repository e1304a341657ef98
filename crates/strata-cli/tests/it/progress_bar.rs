//! The progress bar of a long run: drawn under a real pseudo-terminal (util-linux `script`),
//! absent when stderr is a pipe, where the output stays the plain lines.

use crate::support::{output, Project};

/// Five pairs: more than a few, so the bar shows from the start on a terminal.
fn five() -> Project {
    let p = Project::new();
    for (v, name) in ["a", "b", "c", "d", "e"].iter().enumerate() {
        p.pair(
            &(v + 1).to_string(),
            name,
            &format!("CREATE TABLE {name} (id int);"),
            &format!("DROP TABLE {name};"),
        );
    }
    p
}

/// `strata -path migrations -database sqlite://app.db up` with stdout and stderr on a
/// pseudo-terminal; what the terminal received.
fn up_on_a_terminal(p: &Project) -> String {
    let bin = assert_cmd::cargo::cargo_bin("strata");
    let line = format!(
        "'{}' -path migrations -database sqlite://app.db up",
        bin.display()
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .current_dir(p.path())
        .env("TERM", "xterm")
        .env_remove("DATABASE_URL")
        .env_remove("STRATA_CONFIG")
        .env_remove("STRATA_ENV")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("util-linux `script` runs");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_long_run_on_a_terminal_draws_the_bar_and_a_pipe_gets_only_the_lines() {
    let p = five();
    let tty = up_on_a_terminal(&p);
    assert!(tty.contains("[1/5] 1 a"), "no bar on the terminal: {tty:?}");
    assert!(tty.contains("[5/5] 5 e"), "no bar on the terminal: {tty:?}");
    assert!(tty.contains("[="), "no bar on the terminal: {tty:?}");
    // The lines are all there too, between the bar's redraws.
    for v in ["1/u a", "5/u e"] {
        assert!(tty.contains(v), "{v} missing: {tty:?}");
    }

    let q = five();
    let mut cmd = q.bare();
    cmd.args(["-path", "migrations", "-database", "sqlite://app.db", "up"]);
    let piped = output(cmd);
    piped.ok();
    assert!(!piped.stderr.contains('\x1b'), "{:?}", piped.stderr);
    assert!(!piped.stderr.contains("/5]"), "{:?}", piped.stderr);
    assert_eq!(piped.stderr.lines().count(), 5, "{:?}", piped.stderr);
}
