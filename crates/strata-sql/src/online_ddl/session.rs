//! The session setting that changes how `ADD FOREIGN KEY` runs.

use super::subcommands;
use crate::words::Words;
use crate::Dialect;

/// The `foreign_key_checks` value a `SET` statement gives the session (`SET foreign_key_checks
/// = 0`, `SET SESSION ...`, `SET @@foreign_key_checks = OFF`), or `None` if it sets no such
/// thing. `SET GLOBAL` does not change the current session.
///
/// ```
/// assert_eq!(strata_sql::sets_foreign_key_checks("SET FOREIGN_KEY_CHECKS=0;"), Some(false));
/// assert_eq!(strata_sql::sets_foreign_key_checks("SET GLOBAL foreign_key_checks = 0"), None);
/// ```
pub fn sets_foreign_key_checks(statement: &str) -> Option<bool> {
    let t = Words::new(statement, Dialect::Mysql);
    if t.get(0) != "SET" {
        return None;
    }
    let mut found = None;
    for (from, _) in subcommands(&t, 1) {
        // `@@x` lexes as `@` and the parameter `@x`: compare the words without their `@`s.
        let word = |i: usize| t.raw(i).trim_start_matches('@').to_ascii_uppercase();
        let mut i = from;
        let mut global = false;
        loop {
            match word(i).as_str() {
                "" | "SESSION" | "LOCAL" | "." if i < t.len() => i += 1,
                "GLOBAL" | "PERSIST" | "PERSIST_ONLY" => {
                    global = true;
                    i += 1
                }
                _ => break,
            }
        }
        if word(i) != "FOREIGN_KEY_CHECKS" || global {
            continue;
        }
        let at = match (t.get(i + 1), t.get(i + 2)) {
            ("=", _) => i + 2,
            (":", "=") => i + 3,
            _ => i + 1,
        };
        found = match t.raw(at).to_ascii_uppercase().as_str() {
            "0" | "OFF" | "FALSE" => Some(false),
            "1" | "ON" | "TRUE" => Some(true),
            _ => found,
        };
    }
    found
}
