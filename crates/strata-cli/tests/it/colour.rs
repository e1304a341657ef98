//! Colour: on terminals only, `NO_COLOR` and `CLICOLOR_FORCE` honoured, `--color` wins.

use crate::support::{output, Project};

const ESC: &str = "\u{1b}[";

/// `strata ARGS up` with no database (an `error:` line) and `vars` set; its stderr.
fn stderr_of(p: &Project, args: &[&str], vars: &[(&str, &str)]) -> String {
    let mut cmd = p.bare();
    cmd.env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR")
        .envs(vars.iter().copied())
        .args(args)
        .arg("up");
    let out = output(cmd);
    out.code(2).stderr_has("no database");
    out.stderr
}

#[test]
fn no_colour_in_pipes_unless_forced() {
    let p = Project::new();
    assert!(!stderr_of(&p, &[], &[]).contains(ESC));
    assert!(stderr_of(&p, &["--color", "always"], &[]).contains(ESC));
    assert!(stderr_of(&p, &[], &[("CLICOLOR_FORCE", "1")]).contains(ESC));
    assert!(!stderr_of(&p, &["--color", "never"], &[("CLICOLOR_FORCE", "1")]).contains(ESC));
    assert!(!stderr_of(&p, &[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).contains(ESC));
}

#[test]
fn colour_on_a_terminal_unless_no_color() {
    // `script` runs the command on a pseudo-terminal.
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no `script` to make a terminal");
        return;
    }
    let p = Project::new();
    let bin = assert_cmd::cargo::cargo_bin("strata");
    let on_tty = |no_color: bool| {
        let mut cmd = std::process::Command::new("script");
        cmd.current_dir(p.path())
            .args(["-qec", &format!("{} up", bin.display()), "/dev/null"])
            .env_remove("DATABASE_URL")
            .env_remove("CLICOLOR_FORCE")
            .env("TERM", "xterm");
        if no_color {
            cmd.env("NO_COLOR", "1");
        } else {
            cmd.env_remove("NO_COLOR");
        }
        let out = cmd.output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let coloured = on_tty(false);
    assert!(
        coloured.contains("no database") && coloured.contains(ESC),
        "{coloured:?}"
    );
    let plain = on_tty(true);
    assert!(
        plain.contains("no database") && !plain.contains(ESC),
        "{plain:?}"
    );
}
