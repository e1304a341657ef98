//! Masking the literals of a statement, so that another session's query can be shown in a
//! diagnostic without the values it carries (`UPDATE users SET pw = 'hunter2'`).

use crate::lexer::{Lexer, TokenKind};
use crate::Dialect;

/// `sql` with every string, dollar-quoted string and number replaced by `?`, and every comment
/// by one space (a comment can hold anything). Keywords, identifiers (quoted or not),
/// parameters and punctuation are kept. An unterminated literal (a query text cut short by the
/// server) is masked to the end.
///
/// ```
/// use strata_sql::{mask_literals, Dialect};
/// assert_eq!(
///     mask_literals("UPDATE users SET pw = 'hunter2' WHERE id = 42", Dialect::Postgres),
///     "UPDATE users SET pw = ? WHERE id = ?"
/// );
/// ```
pub fn mask_literals(sql: &str, dialect: Dialect) -> String {
    let mut out = String::with_capacity(sql.len());
    for (start, token) in Lexer::new(sql, dialect) {
        match token.kind {
            TokenKind::String | TokenKind::DollarString | TokenKind::Number => out.push('?'),
            TokenKind::LineComment | TokenKind::BlockComment => out.push(' '),
            _ => out.push_str(&sql[start..start + token.len]),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(sql: &str) -> String {
        mask_literals(sql, Dialect::Postgres)
    }

    #[test]
    fn strings_numbers_and_dollar_quotes_are_masked() {
        assert_eq!(
            pg("UPDATE users SET pw = 'hunter2' WHERE id = 42"),
            "UPDATE users SET pw = ? WHERE id = ?"
        );
        assert_eq!(pg("SELECT E'a\\'b', 1.5e3, $x$secret$x$"), "SELECT ?, ?, ?");
        assert_eq!(pg("SELECT 'it''s'"), "SELECT ?");
    }

    #[test]
    fn names_parameters_and_punctuation_are_kept() {
        assert_eq!(
            pg("INSERT INTO \"t 1\" (a, b2) VALUES ($1, $2)"),
            "INSERT INTO \"t 1\" (a, b2) VALUES ($1, $2)"
        );
        assert_eq!(
            mask_literals("SELECT [col], `x` FROM t WHERE a = :name", Dialect::Sqlite),
            "SELECT [col], `x` FROM t WHERE a = :name"
        );
    }

    #[test]
    fn comments_and_cut_short_literals_are_masked() {
        assert_eq!(pg("SELECT 1 -- pw hunter2\n"), "SELECT ?  \n");
        assert_eq!(pg("SELECT /* hunter2 */ a"), "SELECT   a");
        // pg_stat_activity cuts long query texts: the open string runs to the end.
        assert_eq!(
            pg("UPDATE u SET pw = 'hunter2 and more"),
            "UPDATE u SET pw = ?"
        );
    }
}
