//! Each subcommand's `--help` lists its own flags and only the global flags it uses, ends with
//! two examples and shows `[env: VAR]` next to flags a variable can set; pinned with `insta`
//! (`snapshots/help_*.snap`). The global flags a subcommand's help leaves out still parse.

use crate::support::{output, Project};

/// `strata ARGS`, help wrapped at 100 columns whatever terminal runs the tests.
fn help(p: &Project, args: &[&str]) -> String {
    let mut cmd = p.bare();
    cmd.args(args).env("COLUMNS", "100");
    for var in [
        "STRATA_LOCK_TIMEOUT",
        "STRATA_LOCK_RETRIES",
        "STRATA_WAIT_TIMEOUT",
    ] {
        cmd.env_remove(var);
    }
    let out = output(cmd);
    out.ok();
    out.stdout
}

#[track_caller]
fn pin(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

#[test]
fn up_lint_and_create_help_list_only_their_flags() {
    let p = Project::new();
    let up = help(&p, &["up", "--help"]);
    let lint = help(&p, &["lint", "--help"]);
    let create = help(&p, &["create", "--help"]);
    pin("help_up", &up);
    pin("help_lint", &lint);
    pin("help_create", &create);
    for (text, has, lacks) in [
        (
            &up,
            &["--lock-retries", "--database", "[env: DATABASE_URL]"][..],
            &["--ext"][..],
        ),
        (
            &lint,
            &["--dialect", "--database", "[env: MIGRATION_DIR="],
            &["--single-transaction", "--lock-retries", "--wait"],
        ),
        (
            &create,
            &["--ext", "--seq", "[env: STRATA_CONFIG="],
            &["--database", "--path", "--lock-timeout", "--wait"],
        ),
    ] {
        assert_eq!(
            text.matches("\n  strata ").count(),
            2,
            "two examples:\n{text}"
        );
        for flag in has {
            assert!(text.contains(flag), "{flag} missing:\n{text}");
        }
        for flag in lacks {
            assert!(!text.contains(flag), "{flag} listed:\n{text}");
        }
    }
    // The top-level help still lists every global flag.
    let top = help(&p, &["--help"]);
    for flag in ["--lock-retries", "--wait-timeout", "--single-transaction"] {
        assert!(top.contains(flag), "{flag} missing:\n{top}");
    }
}

#[test]
fn a_global_flag_left_out_of_a_subcommands_help_still_works_there() {
    let p = Project::new();
    std::fs::create_dir(p.path().join("m")).unwrap();
    // `create` does not use -database (not listed in its help), but golang-migrate accepts it
    // anywhere, so it still parses, before and after the command.
    for args in [
        &[
            "-database",
            "sqlite://x.db",
            "create",
            "-ext",
            "sql",
            "-dir",
            "m",
            "-seq",
            "a",
        ][..],
        &[
            "create",
            "-ext",
            "sql",
            "-dir",
            "m",
            "-seq",
            "b",
            "-database",
            "sqlite://x.db",
        ],
    ] {
        let mut cmd = p.bare();
        cmd.args(args);
        output(cmd).ok();
    }
    let mut names: Vec<_> = std::fs::read_dir(p.path().join("m"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "000001_a.down.sql",
            "000001_a.up.sql",
            "000002_b.down.sql",
            "000002_b.up.sql"
        ]
    );
}
