//! The MySQL rules of the splitter: compound-statement bodies (the `DELIMITER` handling is in
//! [`split`](super::split), beside the other statement ends, and in the lexer).
use super::Pending;
use crate::lexer::TokenKind;

impl Pending {
    /// MySQL's compound statements: a routine's body is `BEGIN ... END` with `IF ... END IF`,
    /// `CASE ... END CASE`, loops and labels inside (MySQL 15.6). Only `BEGIN`, `CASE` and
    /// `END` are counted; the keyword after an `END` tells what it closed.
    pub(super) fn feed_mysql(&mut self, kind: TokenKind, text: &str, offset: usize) {
        let word = kind == TokenKind::Word;
        let after_end = self.after_end.take();
        if self.seen < 12 {
            self.seen += 1;
            match text {
                "(" if kind == TokenKind::Punct => self.mparen += 1,
                ")" if kind == TokenKind::Punct => self.mparen = self.mparen.saturating_sub(1),
                _ => {}
            }
            let routine = ["PROCEDURE", "FUNCTION", "TRIGGER", "EVENT"]
                .iter()
                .any(|w| text.eq_ignore_ascii_case(w));
            if word
                && routine
                && self.mparen == 0
                && (self.lead_is(&["CREATE"]) || self.lead_is(&["ALTER"]))
            {
                self.compound = true;
            }
            // MariaDB's anonymous block: `BEGIN NOT ATOMIC ... END`.
            if self.seen == 3 && self.lead_is(&["BEGIN", "NOT", "ATOMIC"]) {
                self.compound = true;
                self.depth = 1;
                self.depth_opened = Some(self.start);
                return;
            }
        }
        if !word || !self.compound {
            return;
        }
        if let Some(closed) = after_end {
            let keyword = |w: &[&str]| w.iter().any(|k| text.eq_ignore_ascii_case(k));
            if keyword(&["IF", "LOOP", "WHILE", "REPEAT", "FOR"]) {
                // `END IF` closed an `IF`, which was not counted: undo the `END`.
                if closed {
                    self.depth += 1;
                }
                return;
            }
            if keyword(&["CASE"]) {
                // `END CASE`: the `END` closed the `CASE` statement.
                return;
            }
        }
        if text.eq_ignore_ascii_case("END") {
            self.after_end = Some(self.depth > 0);
            self.depth = self.depth.saturating_sub(1);
            return;
        }
        self.count(text, text.eq_ignore_ascii_case("BEGIN"), offset);
    }
}

#[cfg(test)]
mod tests {
    use crate::split::{DiagnosticKind, Split};
    use crate::{Dialect, LineCol};

    fn split(sql: &str) -> Split {
        crate::split::split(sql, Dialect::Mysql)
    }

    fn split_ok(sql: &str) -> Vec<&str> {
        let out = split(sql);
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        out.statements.iter().map(|s| s.text(sql)).collect()
    }

    fn lc(line: usize, column: usize) -> LineCol {
        LineCol { line, column }
    }

    #[test]
    fn split_mysql_keeps_semicolons_in_backticks_double_quotes_and_hash_comments() {
        let sql = "INSERT INTO `a;b` VALUES (\"x\\\";\", 'y\\';'); # c;\nSELECT 1 -- d;\n;";
        assert_eq!(
            split_ok(sql),
            [
                "INSERT INTO `a;b` VALUES (\"x\\\";\", 'y\\';');",
                "SELECT 1 -- d;\n;"
            ]
        );
    }

    #[test]
    fn split_mysql_ends_statement_after_dash_dash_without_blank() {
        assert_eq!(
            split_ok("SELECT 1--1; SELECT 2"),
            ["SELECT 1--1;", "SELECT 2"]
        );
    }

    #[test]
    fn split_mysql_keeps_executable_comment_statements() {
        let sql =
            "/*!40101 SET NAMES utf8 */;\n/*!50001 CREATE VIEW v AS SELECT 1 */;\n/* gone */;";
        assert_eq!(
            split_ok(sql),
            [
                "/*!40101 SET NAMES utf8 */;",
                "/*!50001 CREATE VIEW v AS SELECT 1 */;"
            ]
        );
    }

    #[test]
    fn split_mysql_delimiter_block_is_one_statement_without_its_delimiter() {
        let sql = "CREATE TABLE t (a int);\nDELIMITER //\nCREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND//\nDELIMITER ;\nCALL p();";
        let out = split(sql);
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        let texts: Vec<&str> = out.statements.iter().map(|s| s.text(sql)).collect();
        assert_eq!(
            texts,
            [
                "CREATE TABLE t (a int);",
                "CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND",
                "CALL p();"
            ]
        );
        assert_eq!(out.statements[1].start, lc(3, 1));
        assert_eq!(out.statements[2].start, lc(9, 1));
    }

    #[test]
    fn split_mysql_dollar_delimiter_after_end_and_several_per_block() {
        let sql = "DELIMITER $$\nCREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; END$$\nSELECT 1; SELECT 2 $$\n";
        assert_eq!(
            split_ok(sql),
            [
                "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; END",
                "SELECT 1; SELECT 2"
            ]
        );
    }

    #[test]
    fn split_mysql_delimiter_line_ends_the_statement_in_progress() {
        assert_eq!(
            split_ok("SELECT 1\nDELIMITER //\nSELECT 2//"),
            ["SELECT 1", "SELECT 2"]
        );
    }

    #[test]
    fn split_mysql_reports_invalid_delimiter_and_keeps_the_old_one() {
        let sql = "DELIMITER\nSELECT 1; DELIMITER x\\y\nSELECT 2;";
        let out = split(sql);
        let texts: Vec<&str> = out.statements.iter().map(|s| s.text(sql)).collect();
        // `DELIMITER` mid-line is no command.
        assert_eq!(texts, ["SELECT 1;", "DELIMITER x\\y\nSELECT 2;"]);
        assert_eq!(out.diagnostics.len(), 1);
        assert_eq!(out.diagnostics[0].kind, DiagnosticKind::InvalidDelimiter);
        assert_eq!(out.diagnostics[0].start, lc(1, 1));
        let out = split("DELIMITER x\\y\nSELECT 1;");
        assert_eq!(out.diagnostics[0].kind, DiagnosticKind::InvalidDelimiter);
        assert_eq!(out.statements.len(), 1);
    }

    #[test]
    fn split_mysql_keeps_routine_body_without_delimiter() {
        // golang-migrate sends a file whole: the server parses compound statements itself.
        let sql = "CREATE DEFINER=`root`@`%` PROCEDURE p(IN x int)\nBEGIN\n  IF x > 0 THEN SELECT 1; ELSE SELECT CASE x WHEN 0 THEN 'z' END; END IF;\n  lbl: LOOP LEAVE lbl; END LOOP lbl;\n  CASE x WHEN 1 THEN SELECT 1; END CASE;\n  WHILE x > 0 DO SET x = x - 1; END WHILE;\n  BEGIN SELECT 2; END;\nEND;\nSELECT 3;";
        let texts = split_ok(sql);
        assert_eq!(texts.len(), 2, "{texts:#?}");
        assert!(texts[0].ends_with("BEGIN SELECT 2; END;\nEND;"));
        assert_eq!(texts[1], "SELECT 3;");
    }

    #[test]
    fn split_mysql_single_statement_trigger_and_plain_begin() {
        assert_eq!(
            split_ok(
                "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET NEW.a = 1; BEGIN; COMMIT;"
            ),
            [
                "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET NEW.a = 1;",
                "BEGIN;",
                "COMMIT;"
            ]
        );
        // A column named `event` or `begin` makes no routine.
        assert_eq!(
            split_ok("CREATE TABLE t (event int, begin int); SELECT 1;"),
            ["CREATE TABLE t (event int, begin int);", "SELECT 1;"]
        );
    }

    #[test]
    fn split_mysql_mariadb_anonymous_block() {
        assert_eq!(
            split_ok("BEGIN NOT ATOMIC SELECT 1; SELECT 2; END; SELECT 3;"),
            ["BEGIN NOT ATOMIC SELECT 1; SELECT 2; END;", "SELECT 3;"]
        );
    }

    #[test]
    fn split_mysql_reports_unterminated_routine_body() {
        let out = split("CREATE PROCEDURE p() BEGIN SELECT 1;");
        assert_eq!(out.diagnostics[0].kind, DiagnosticKind::UnterminatedBlock);
        let out = split("CREATE PROCEDURE p() BEGIN SELECT 1;\nDELIMITER //\nx//");
        assert_eq!(out.diagnostics[0].kind, DiagnosticKind::UnterminatedBlock);
        assert_eq!(out.statements.len(), 2);
    }

    #[test]
    fn split_mysql_has_no_copy_data() {
        assert_eq!(
            split_ok("COPY t FROM stdin;\nSELECT 1;"),
            ["COPY t FROM stdin;", "SELECT 1;"]
        );
    }

    #[test]
    fn split_mysql_reports_unterminated_double_quoted_string_at_its_quote() {
        let out = split("SELECT \"abc");
        assert_eq!(out.diagnostics[0].kind, DiagnosticKind::UnterminatedString);
        assert_eq!(out.diagnostics[0].range, 7..8);
    }
}
