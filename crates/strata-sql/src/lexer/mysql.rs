//! The MySQL rules of the lexer, as the `mysql` client and the server read them: `#` and
//! `-- ` comments, `"strings"` and backslash escapes (default `sql_mode`), executed
//! `/*! ... */` comments, and the client's `DELIMITER` command.
use super::{is_ident_cont, Lexer, TokenKind};

impl Lexer<'_> {
    /// The MySQL rules that differ from SQLite's (the rest is shared), as the `mysql` client
    /// reads them (`add_line` in mysql.cc: the delimiter is looked for before comments, and
    /// nowhere inside strings or comments).
    pub(super) fn mysql(&self, start: usize) -> Option<(TokenKind, usize, bool)> {
        let b = self.bytes[start];
        let next = self.at(start + 1);
        let line_end = || self.find_byte(start, b'\n').unwrap_or(self.bytes.len());
        if self.sql[start..].starts_with(self.delim) {
            return Some((TokenKind::Semicolon, start + self.delim.len(), true));
        }
        Some(match b {
            b';' => (TokenKind::Punct, start + 1, true),
            b'#' => (TokenKind::LineComment, line_end(), true),
            // "The -- comment style requires the second dash to be followed by at least one
            // whitespace or control character": `1--1` is arithmetic.
            b'-' if next == Some(b'-') => {
                if self.at(start + 2).is_none_or(|c| c <= b' ' || c == 0x7f) {
                    (TokenKind::LineComment, line_end(), true)
                } else {
                    (TokenKind::Punct, start + 1, true)
                }
            }
            b'/' if next == Some(b'*') => {
                let bang = match (self.at(start + 2), self.at(start + 3)) {
                    (Some(b'!'), _) => Some(start + 3),
                    (Some(b'M'), Some(b'!')) => Some(start + 4),
                    _ => None,
                };
                match bang {
                    Some(i) => {
                        let digits = self.scan_while(i, |c| c.is_ascii_digit());
                        (TokenKind::ExecutableComment, digits.min(i + 6), true)
                    }
                    None => return None,
                }
            }
            b'\'' | b'"' => self.quoted(start + 1, b, TokenKind::String, true),
            b'$' => (
                TokenKind::Word,
                self.scan_while(start + 1, is_ident_cont),
                true,
            ),
            b'd' | b'D' if self.delimiter_command(start) => {
                (TokenKind::Delimiter, line_end(), true)
            }
            _ => return None,
        })
    }

    /// `DELIMITER` at `start`, at the start of its line (blanks before it allowed) and followed
    /// by a blank or the line's end: the `mysql` client's command.
    fn delimiter_command(&self, start: usize) -> bool {
        const WORD: &str = "delimiter";
        let end = start + WORD.len();
        if !self
            .sql
            .get(start..end)
            .is_some_and(|w| w.eq_ignore_ascii_case(WORD))
            || self
                .at(end)
                .is_some_and(|c| !matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
        {
            return false;
        }
        let before = &self.bytes[..start];
        match before.iter().rposition(|&c| c == b'\n') {
            Some(i) => before[i + 1..]
                .iter()
                .all(|&c| matches!(c, b' ' | b'\t' | b'\r')),
            None => self.blank_before && before.iter().all(|&c| matches!(c, b' ' | b'\t' | b'\r')),
        }
    }
}

/// Why a `DELIMITER` line sets no delimiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadDelimiter {
    /// Nothing follows `DELIMITER`.
    Missing,
    /// The delimiter holds a backslash (the `mysql` client refuses it too) or a blank (the
    /// splitter would never find it).
    Forbidden,
}

/// The delimiter a `DELIMITER` line (`line`, the token's text) sets, as the `mysql` client's
/// `get_arg` reads it: the first blank-separated word, or a quoted text without its quotes.
pub(crate) fn delimiter_arg(line: &str) -> Result<&str, BadDelimiter> {
    let rest = line["delimiter".len()..].trim_matches(|c| matches!(c, ' ' | '\t' | '\r'));
    let arg = match rest.as_bytes().first() {
        None => return Err(BadDelimiter::Missing),
        Some(&q @ (b'\'' | b'"' | b'`')) => {
            let body = &rest[1..];
            &body[..body.find(q as char).unwrap_or(body.len())]
        }
        Some(_) => &rest[..rest.find([' ', '\t']).unwrap_or(rest.len())],
    };
    if arg.is_empty() {
        Err(BadDelimiter::Missing)
    } else if arg.contains(|c: char| c == '\\' || c.is_whitespace()) {
        Err(BadDelimiter::Forbidden)
    } else {
        Ok(arg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::tests::{kinds, significant};
    use crate::Dialect;
    use TokenKind::*;

    #[test]
    fn lex_mysql_hash_comment_runs_to_line_end() {
        assert_eq!(
            kinds("# a; b\nx", Dialect::Mysql),
            [
                (LineComment, "# a; b", true),
                (Whitespace, "\n", true),
                (Word, "x", true)
            ]
        );
        // Not a comment elsewhere.
        assert_eq!(significant("#", Dialect::Postgres), [(Punct, "#")]);
    }

    #[test]
    fn lex_mysql_double_dash_needs_a_blank_or_control_after_it() {
        assert_eq!(
            significant("1--1;", Dialect::Mysql),
            [
                (Number, "1"),
                (Punct, "-"),
                (Punct, "-"),
                (Number, "1"),
                (Semicolon, ";")
            ]
        );
        assert_eq!(
            significant("1 -- c;\n--\tx\n--", Dialect::Mysql),
            [
                (Number, "1"),
                (LineComment, "-- c;"),
                (LineComment, "--\tx"),
                (LineComment, "--")
            ]
        );
    }

    #[test]
    fn lex_mysql_double_quotes_are_strings_with_backslash_escapes() {
        assert_eq!(
            significant(r#""a\";" 'b\';' "c""d" x"#, Dialect::Mysql),
            [
                (String, r#""a\";""#),
                (String, r"'b\';'"),
                (String, r#""c""d""#),
                (Word, "x")
            ]
        );
        assert_eq!(
            kinds(r#""a\""#, Dialect::Mysql),
            [(String, r#""a\""#, false)]
        );
    }

    #[test]
    fn lex_mysql_backticks_double_and_brackets_are_punctuation() {
        assert_eq!(
            significant("`a``;b` [c]", Dialect::Mysql),
            [
                (QuotedIdentifier, "`a``;b`"),
                (Punct, "["),
                (Word, "c"),
                (Punct, "]")
            ]
        );
    }

    #[test]
    fn lex_mysql_keeps_executable_comments_significant() {
        assert_eq!(
            significant(
                "/*!40101 SET x=1 */ /*M!100100 y */ /* z */",
                Dialect::Mysql
            ),
            [
                (ExecutableComment, "/*!40101"),
                (Word, "SET"),
                (Word, "x"),
                (Punct, "="),
                (Number, "1"),
                (Punct, "*"),
                (Punct, "/"),
                (ExecutableComment, "/*M!100100"),
                (Word, "y"),
                (Punct, "*"),
                (Punct, "/"),
                (BlockComment, "/* z */")
            ]
        );
        assert_eq!(
            significant("/*!*/", Dialect::Mysql)[0],
            (ExecutableComment, "/*!")
        );
        // An ordinary comment in the other dialects.
        assert_eq!(
            significant("/*!1 */", Dialect::Sqlite),
            [(BlockComment, "/*!1 */")]
        );
    }

    #[test]
    fn lex_mysql_delimiter_line_changes_the_delimiter() {
        assert_eq!(
            significant(
                "DELIMITER //\nSELECT 1; END//\n  delimiter ;\nx;",
                Dialect::Mysql
            ),
            [
                (Delimiter, "DELIMITER //"),
                (Word, "SELECT"),
                (Number, "1"),
                (Punct, ";"),
                (Word, "END"),
                (Semicolon, "//"),
                (Delimiter, "delimiter ;"),
                (Word, "x"),
                (Semicolon, ";")
            ]
        );
    }

    #[test]
    fn lex_mysql_finds_the_delimiter_inside_words() {
        assert_eq!(
            significant("DELIMITER $$\nEND$$ a$b", Dialect::Mysql),
            [
                (Delimiter, "DELIMITER $$"),
                (Word, "END"),
                (Semicolon, "$$"),
                (Word, "a$b")
            ]
        );
        // Never inside strings or comments.
        assert_eq!(
            significant("DELIMITER $$\n'$$' # $$\n", Dialect::Mysql),
            [
                (Delimiter, "DELIMITER $$"),
                (String, "'$$'"),
                (LineComment, "# $$")
            ]
        );
    }

    #[test]
    fn lex_mysql_delimiter_only_at_line_start() {
        assert_eq!(
            significant("SELECT delimiter //", Dialect::Mysql),
            [
                (Word, "SELECT"),
                (Word, "delimiter"),
                (Punct, "/"),
                (Punct, "/")
            ]
        );
        assert_eq!(
            significant("delimiters //", Dialect::Mysql)[0],
            (Word, "delimiters")
        );
        assert_eq!(
            significant("DELIMITER //", Dialect::Sqlite)[0],
            (Word, "DELIMITER")
        );
    }

    #[test]
    fn delimiter_arg_reads_first_word_or_quoted_text() {
        assert_eq!(delimiter_arg("DELIMITER //"), Ok("//"));
        assert_eq!(delimiter_arg("delimiter \t$$ trailing\r"), Ok("$$"));
        assert_eq!(delimiter_arg("DELIMITER ';;'"), Ok(";;"));
        assert_eq!(delimiter_arg("DELIMITER"), Err(BadDelimiter::Missing));
        assert_eq!(delimiter_arg("DELIMITER   "), Err(BadDelimiter::Missing));
        assert_eq!(delimiter_arg("DELIMITER \\"), Err(BadDelimiter::Forbidden));
        assert_eq!(
            delimiter_arg("DELIMITER 'a b'"),
            Err(BadDelimiter::Forbidden)
        );
    }
}
