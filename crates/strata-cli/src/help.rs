//! Which global flags each subcommand's `--help` lists.
//!
//! Every setting is a global flag, so that golang-migrate's order (`strata -path X -database Y
//! up 2`) and the GNU one (`strata up 2 --path X`) both parse. clap would then list all of them
//! under every subcommand; here each subcommand's help keeps only the global flags it uses. The
//! others are hidden, not removed: they still parse wherever they are written, as before.

use crate::args::Cli;
use clap::CommandFactory;

/// Every command that reads settings (all but `completions` and `man`).
const ALL: &[&str] = &[
    "create", "goto", "up", "down", "drop", "force", "version", "status", "rollback", "reset",
    "refresh", "redo", "history", "baseline", "validate", "lint", "plan", "rehearse", "verify",
    "dump", "accept", "config", "wait", "renumber", "adopt", "testdb",
];

/// Commands that run migrations (or rehearse or plan a run): the run's settings apply.
const RUNS: &[&str] = &[
    "goto", "up", "down", "rollback", "reset", "refresh", "redo", "plan", "rehearse", "verify",
    "testdb", "config",
];

/// Commands that take the migration lock (they change the database or its records).
const LOCKS: &[&str] = &[
    "goto", "up", "down", "drop", "force", "rollback", "reset", "refresh", "redo", "baseline",
    "accept", "adopt", "renumber", "testdb", "config",
];

/// Global flag (clap id) → the subcommands whose help lists it. A global flag missing here is
/// listed everywhere (and a test names it, so that its commands get chosen).
const USED_BY: &[(&str, Uses)] = &[
    ("config", Uses::All),
    ("env", Uses::All),
    ("env_file", Uses::All),
    ("no_dotenv", Uses::All),
    ("color", Uses::All),
    // What each migration does as it starts, and the round trips (see commands/migrate.rs).
    (
        "verbose",
        Uses::Only(&[
            "goto", "up", "down", "drop", "rollback", "reset", "refresh", "redo", "config",
        ]),
    ),
    // `create` writes into -dir; `wait` only connects.
    ("source", Uses::AllBut(&["create", "wait"])),
    ("path", Uses::AllBut(&["create", "wait"])),
    ("database", Uses::AllBut(&["create"])),
    // `lint` and `config` never connect first; `create` never connects.
    ("wait", Uses::AllBut(&["create", "lint", "config"])),
    ("wait_timeout", Uses::AllBut(&["create", "lint", "config"])),
    ("lock_timeout", Uses::Only(LOCKS)),
    ("ddl_lock_timeout", Uses::Only(RUNS)),
    ("lock_retries", Uses::Only(RUNS)),
    ("drop_invalid_indexes", Uses::Only(RUNS)),
    ("single_transaction", Uses::Only(RUNS)),
    ("allow_out_of_order", Uses::Only(RUNS)),
    // Hidden everywhere already.
    ("prefetch", Uses::Only(&[])),
];

/// Which subcommands use a global flag.
#[derive(Debug, Clone, Copy)]
enum Uses {
    All,
    AllBut(&'static [&'static str]),
    Only(&'static [&'static str]),
}

/// Whether subcommand `command`'s help lists global flag `flag`.
fn listed(command: &str, flag: &str) -> bool {
    let Some((_, uses)) = USED_BY.iter().find(|(f, _)| *f == flag) else {
        return true;
    };
    let settings_reader = ALL.contains(&command);
    match uses {
        Uses::All => settings_reader,
        Uses::AllBut(not) => settings_reader && !not.contains(&command),
        Uses::Only(only) => only.contains(&command),
    }
}

/// The command-line grammar, with each subcommand's help (and completions) listing only the
/// global flags it uses.
pub fn command() -> clap::Command {
    let mut cmd = Cli::command();
    // Global flags are copied into the subcommands when the command is built.
    cmd.build();
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(&name, |sub| hide_unused(sub, &name));
    }
    cmd
}

/// The heading of the global flags a subcommand's help lists, after its own flags.
const GLOBAL_HEADING: &str = "Global options (also before the command)";

/// Hide in `sub` (and its own subcommands, e.g. `testdb create`) the global flags that
/// top-level subcommand `top` does not use; list the others after its own flags.
fn hide_unused(sub: clap::Command, top: &str) -> clap::Command {
    let mut sub = sub.mut_args(|a| {
        if !a.is_global_set() {
            a
        } else if listed(top, a.get_id().as_str()) {
            a.help_heading(GLOBAL_HEADING)
        } else {
            a.hide(true)
        }
    });
    let names: Vec<String> = sub
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        sub = sub.mut_subcommand(&name, |s| hide_unused(s, top));
    }
    sub
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_global_flag_and_subcommand_is_classified() {
        let cmd = Cli::command();
        let unclassified: Vec<_> = cmd
            .get_arguments()
            .filter(|a| a.is_global_set())
            .map(|a| a.get_id().to_string())
            .filter(|id| !USED_BY.iter().any(|(f, _)| f == id))
            .collect();
        assert!(
            unclassified.is_empty(),
            "global flags with no entry in USED_BY: {unclassified:?}"
        );
        let unknown: Vec<_> = cmd
            .get_subcommands()
            .map(|s| s.get_name().to_string())
            .filter(|n| !ALL.contains(&n.as_str()) && n != "completions" && n != "man")
            .collect();
        assert!(
            unknown.is_empty(),
            "subcommands missing from ALL: {unknown:?}"
        );
    }

    #[test]
    fn a_subcommand_lists_the_flags_it_uses_and_not_the_others() {
        assert!(listed("up", "lock_retries") && listed("up", "database"));
        assert!(!listed("create", "database") && !listed("create", "path"));
        assert!(listed("create", "config"));
        assert!(!listed("lint", "single_transaction") && !listed("lint", "wait"));
        assert!(listed("lint", "database") && listed("lint", "path"));
        assert!(!listed("completions", "config") && !listed("man", "color"));
        assert!(listed("up", "an_unclassified_flag"));
    }

    #[test]
    fn hidden_flags_still_parse_after_the_subcommand() {
        let m = command()
            .try_get_matches_from(["strata", "create", "--database", "sqlite://x.db", "a"])
            .expect("a hidden global flag still parses");
        assert_eq!(
            m.get_one::<String>("database").map(String::as_str),
            Some("sqlite://x.db")
        );
    }
}
