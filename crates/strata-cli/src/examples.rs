//! Two examples per main subcommand, shown at the end of its `--help`. Each is a complete
//! command line (a unit test parses every one), with a short note after `#`.

/// `strata up --help`.
pub const UP: &str = "Examples:
  strata -path migrations -database postgres://app@localhost/app up
  strata up 2 --format json          # apply the next two, report as JSON";

/// `strata create --help`.
pub const CREATE: &str = "Examples:
  strata create -ext sql -dir migrations -seq add_users   # 000001_add_users.up.sql + .down.sql
  strata create --ext sql --dir db/migrations add_index   # timestamped: 20260102150405_add_index";

/// `strata down --help`.
pub const DOWN: &str = "Examples:
  strata down 1                      # revert the newest applied migration
  strata down --all                  # revert everything without asking";

/// `strata status --help`.
pub const STATUS: &str = "Examples:
  strata status
  strata status --check              # exit 3 if anything is pending or in conflict (CI)";

/// `strata plan --help`.
pub const PLAN: &str = "Examples:
  strata plan                        # what `up` would run, and the locks it takes
  strata plan down 2 --format json";

/// `strata lint --help`.
pub const LINT: &str = "Examples:
  strata lint                        # the pending migrations of -path against -database
  strata lint --dialect sqlite --format line migrations/";

/// `strata verify --help`.
pub const VERIFY: &str = "Examples:
  strata verify                      # each pending down undoes its up (rolled back)
  strata verify --all --scratch postgres://admin@localhost/postgres";

/// `strata dump --help`.
pub const DUMP: &str = "Examples:
  strata dump -o schema.sql
  strata dump --check schema.sql     # exit 3 when the live schema differs";

/// `strata testdb --help`.
pub const TESTDB: &str = "Examples:
  strata -database postgres://admin@localhost/postgres testdb create
  strata testdb prune --older-than 30m";

/// `strata config --help`.
pub const CONFIG: &str = "Examples:
  strata config                      # each setting and where it came from
  strata --env staging config --format json";

/// `strata wait --help`.
pub const WAIT: &str = "Examples:
  strata wait --wait-timeout 30s     # in a container entrypoint, before `up`
  strata --wait up                   # wait (up to 60s), then migrate";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{normalize, Cli};
    use clap::Parser;
    use std::ffi::OsString;

    const ALL: [&str; 11] = [
        UP, CREATE, DOWN, STATUS, PLAN, LINT, VERIFY, DUMP, TESTDB, CONFIG, WAIT,
    ];

    #[test]
    fn each_command_has_two_examples_and_each_parses() {
        for text in ALL {
            let lines: Vec<&str> = text
                .lines()
                .filter_map(|l| l.trim_start().strip_prefix("strata "))
                .collect();
            assert_eq!(lines.len(), 2, "{text}");
            for line in lines {
                let command = line.split(" #").next().unwrap();
                let argv = std::iter::once("strata")
                    .chain(command.split_whitespace())
                    .map(OsString::from);
                if let Err(e) = Cli::try_parse_from(normalize(argv)) {
                    panic!("example `strata {command}` does not parse: {e}");
                }
            }
        }
    }
}
