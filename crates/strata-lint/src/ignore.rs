//! Suppression comments.
//!
//! * `-- strata:ignore rule-a, rule-b` suppresses those rules for the next statement (put it on
//!   the lines right before the statement; a file-level finding such as `missing-down` points at
//!   the first statement, so an ignore before the first statement covers it).
//! * `-- strata:ignore-file rule-a` anywhere in a script suppresses those rules in the whole
//!   script.
//! * `all` instead of rule ids suppresses every rule.
//!
//! Only line comments count; words in strings or block comments never do. An id that names no
//! rule suppresses nothing; it is kept so the caller can warn about the typo.
use std::ops::Range;
use strata_sql::{Dialect, TokenKind};

/// The suppressions of one script.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ignores {
    file: Vec<String>,
    /// Statement byte range and the rules ignored in it.
    statements: Vec<(Range<usize>, Vec<String>)>,
    /// Byte offset of the comment and each id in it that names no rule.
    unknown: Vec<(usize, String)>,
}

impl Ignores {
    /// Find the suppression comments of `sql`.
    pub fn parse(sql: &str, dialect: Dialect) -> Ignores {
        // Not `Script::statement_spans`: a comment attaches to where the lexer starts the next
        // statement (after comments), which explicit blocks do not mark.
        let statements = strata_sql::split(sql, dialect).statements;
        let mut out = Ignores::default();
        let mut offset = 0;
        for token in strata_sql::tokenize(sql, dialect) {
            let at = offset;
            offset += token.len;
            if token.kind != TokenKind::LineComment {
                continue;
            }
            let body = sql[at + 2..offset].trim();
            let (rest, whole_file) = if let Some(rest) = body.strip_prefix("strata:ignore-file") {
                (rest, true)
            } else if let Some(rest) = body.strip_prefix("strata:ignore") {
                (rest, false)
            } else {
                continue;
            };
            let ids = ids(rest);
            out.unknown.extend(
                ids.iter()
                    .filter(|id| !is_known(id))
                    .map(|id| (at, id.clone())),
            );
            if whole_file {
                out.file.extend(ids);
            } else if let Some(s) = statements.iter().find(|s| s.range.start >= offset) {
                // The next statement starting after the comment (a comment inside a statement
                // belongs to the one after it, which is rarely meant; keep the rule simple).
                out.statements.push((s.range.clone(), ids));
            }
        }
        out
    }

    /// Each id that names no rule (a typo suppresses nothing), with the byte offset of its
    /// comment.
    pub fn unknown(&self) -> &[(usize, String)] {
        &self.unknown
    }

    /// Whether `rule` is suppressed at byte `offset` of the script.
    pub fn suppresses(&self, rule: &str, offset: usize) -> bool {
        let hit = |ids: &[String]| ids.iter().any(|id| id == rule || id == "all");
        hit(&self.file)
            || self
                .statements
                .iter()
                .any(|(range, ids)| range.contains(&offset) && hit(ids))
    }
}

/// `all`, or a rule of Strata's or squawk's.
fn is_known(id: &str) -> bool {
    id == "all"
        || crate::rules::STRATA_RULES.iter().any(|r| r.id == id)
        || crate::squawk::is_rule(id)
}

fn ids(list: &str) -> Vec<String> {
    list.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_ignore_covers_only_the_next_statement() {
        let sql = "CREATE TABLE a (x int);\n-- strata:ignore rule-a, rule-b\nALTER TABLE a ADD y int;\nALTER TABLE a ADD z int;";
        let i = Ignores::parse(sql, Dialect::Postgres);
        let second = sql.find("ALTER TABLE a ADD y").unwrap();
        let third = sql.find("ALTER TABLE a ADD z").unwrap();
        assert!(i.suppresses("rule-a", second) && i.suppresses("rule-b", second + 5));
        assert!(!i.suppresses("rule-c", second));
        assert!(!i.suppresses("rule-a", third));
        assert!(!i.suppresses("rule-a", 0));
    }

    #[test]
    fn file_ignore_and_all() {
        let sql =
            "SELECT 1;\n-- strata:ignore-file rule-a\nSELECT 2;\n-- strata:ignore all\nSELECT 3;";
        let i = Ignores::parse(sql, Dialect::Postgres);
        assert!(i.suppresses("rule-a", 0));
        assert!(!i.suppresses("rule-b", 0));
        assert!(i.suppresses("rule-z", sql.find("SELECT 3").unwrap()));
    }

    #[test]
    fn unknown_ids_are_kept_with_their_comment() {
        let sql = "-- strata:ignore-file nosuchfile, missing-down\nSELECT 1;\n-- strata:ignore all nosuchrule ban-drop-table\nSELECT 2;";
        let i = Ignores::parse(sql, Dialect::Postgres);
        let second = sql.find("-- strata:ignore all").unwrap();
        assert_eq!(
            i.unknown(),
            [
                (0, "nosuchfile".to_string()),
                (second, "nosuchrule".to_string())
            ]
        );
    }

    #[test]
    fn words_in_strings_do_not_suppress() {
        let sql = "SELECT '-- strata:ignore-file rule-a';";
        assert!(!Ignores::parse(sql, Dialect::Postgres).suppresses("rule-a", 0));
    }
}
