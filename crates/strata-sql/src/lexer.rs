//! A lossless SQL lexer: the tokens' lengths always add up to the input's length.
//!
//! The lexer only knows enough to find where quoted text, comments and statements end; it does
//! not validate SQL. Every byte of the input belongs to exactly one token, every token boundary
//! is a `char` boundary, and unterminated constructs run to the end of the input with
//! [`Token::terminated`] set to `false` instead of failing.
use crate::Dialect;

mod mysql;
pub(crate) use mysql::{delimiter_arg, BadDelimiter};

/// What a [`Token`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenKind {
    /// A run of ASCII whitespace (space, `\t`, `\n`, `\r`, `\x0b`, `\x0c`).
    Whitespace,
    /// `-- ...` up to, not including, the end of the line; in MySQL also `# ...`, and `--` only
    /// when a blank or control character follows it.
    LineComment,
    /// `/* ... */`; nested in PostgreSQL, not in SQLite.
    BlockComment,
    /// `'...'` (with `''` doubling), or a PostgreSQL `E'...'` string with backslash escapes.
    String,
    /// A PostgreSQL dollar-quoted string, `$$...$$` or `$tag$...$tag$`.
    DollarString,
    /// A quoted identifier: `"..."` (with `""` doubling); in SQLite also `[...]` and `` `...` ``.
    QuotedIdentifier,
    /// A numeric literal such as `42`, `3.14`, `1e-9`, `0x1F`.
    Number,
    /// A keyword or unquoted identifier (letters, digits, `_`, `$`, any non-ASCII text).
    Word,
    /// A positional or named parameter: `$1`; in SQLite also `?`, `?1`, `:name`, `@name`,
    /// `$name`.
    Parameter,
    /// `;`, or in MySQL the delimiter a `DELIMITER` line set (e.g. `//`).
    Semicolon,
    /// MySQL: the opening of an executed comment, `/*!` or `/*M!` with its optional version
    /// number (`/*!50001`). Its body is SQL that the server runs; its closing `*/` lexes as
    /// punctuation.
    ExecutableComment,
    /// MySQL: a `mysql` client `DELIMITER <text>` line (from `DELIMITER`, at the start of a
    /// line, up to, not including, the newline). The client consumes it; the server never sees
    /// it.
    Delimiter,
    /// Any other single character (operators, parentheses, commas, ...).
    Punct,
}

/// One lexical token: a kind and a length in bytes. Offsets are implied by the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Token {
    /// What the token is.
    pub kind: TokenKind,
    /// Its length in bytes (always at least 1, always ending on a `char` boundary).
    pub len: usize,
    /// `false` when a quote, dollar quote, quoted identifier or block comment never closes; the
    /// token then runs to the end of the input.
    pub terminated: bool,
}

impl Token {
    /// Whether the token is whitespace or a comment, i.e. has no meaning to the statement.
    pub fn is_trivia(&self) -> bool {
        matches!(
            self.kind,
            TokenKind::Whitespace | TokenKind::LineComment | TokenKind::BlockComment
        )
    }
}

/// Split `sql` into tokens covering it exactly, so that joining the tokens' slices in order
/// gives back `sql`.
///
/// ```
/// use strata_sql::{tokenize, Dialect, TokenKind};
/// let sql = "SELECT 'it''s'; -- done";
/// let tokens = tokenize(sql, Dialect::Postgres);
/// assert_eq!(tokens.iter().map(|t| t.len).sum::<usize>(), sql.len());
/// assert_eq!(tokens[2].kind, TokenKind::String);
/// assert_eq!(tokens[2].len, "'it''s'".len());
/// ```
pub fn tokenize(sql: &str, dialect: Dialect) -> Vec<Token> {
    Lexer::new(sql, dialect).map(|(_, t)| t).collect()
}

/// An iterator over `(byte offset, token)` pairs; the crate's other modules build on it. Cloning
/// it is cheap (a position into borrowed text), which is how the splitter looks ahead.
#[derive(Clone)]
pub(crate) struct Lexer<'a> {
    sql: &'a str,
    bytes: &'a [u8],
    pos: usize,
    dialect: Dialect,
    /// The statement delimiter (MySQL's `DELIMITER`; always `;` elsewhere).
    delim: &'a str,
    /// Only blanks precede offset 0 on its line (or it is the input's start).
    blank_before: bool,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(sql: &'a str, dialect: Dialect) -> Self {
        Lexer {
            sql,
            bytes: sql.as_bytes(),
            pos: 0,
            dialect,
            delim: ";",
            blank_before: true,
        }
    }

    /// A lexer for text that continues an input: `delim` is the MySQL delimiter in force and
    /// `blank_before` whether only blanks precede the text on its first line.
    pub(crate) fn resumed(
        sql: &'a str,
        dialect: Dialect,
        delim: &'a str,
        blank_before: bool,
    ) -> Self {
        Lexer {
            delim,
            blank_before,
            ..Lexer::new(sql, dialect)
        }
    }

    /// Continue lexing at byte `pos` (a `char` boundary), e.g. after a COPY data block that is
    /// not SQL.
    pub(crate) fn seek(&mut self, pos: usize) {
        self.pos = pos.min(self.bytes.len());
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.bytes.get(i).copied()
    }

    /// Lex one token starting at `self.pos` and return `(kind, end, terminated)`.
    fn lex(&self) -> (TokenKind, usize, bool) {
        let start = self.pos;
        let b = self.bytes[start];
        let next = self.at(start + 1);
        let pg = self.dialect == Dialect::Postgres;
        if self.dialect == Dialect::Mysql {
            if let Some(lexed) = self.mysql(start) {
                return lexed;
            }
        }
        match b {
            _ if is_space(b) => (
                TokenKind::Whitespace,
                self.scan_while(start, is_space),
                true,
            ),
            b'-' if next == Some(b'-') => {
                let end = self.find_byte(start, b'\n').unwrap_or(self.bytes.len());
                (TokenKind::LineComment, end, true)
            }
            b'/' if next == Some(b'*') => self.block_comment(start),
            b'\'' => self.quoted(start + 1, b'\'', TokenKind::String, false),
            // PostgreSQL escape strings (4.1.2.2): backslash escapes are only honoured after the
            // `E` prefix; plain strings follow standard_conforming_strings (on since 9.1).
            b'e' | b'E' if pg && next == Some(b'\'') => {
                self.quoted(start + 2, b'\'', TokenKind::String, true)
            }
            b'"' => self.quoted(start + 1, b'"', TokenKind::QuotedIdentifier, false),
            // SQLite keyword docs: `[name]` (MS Access/SQL Server) and `` `name` `` (MySQL).
            b'[' if self.dialect == Dialect::Sqlite => match self.find_byte(start + 1, b']') {
                Some(i) => (TokenKind::QuotedIdentifier, i + 1, true),
                None => (TokenKind::QuotedIdentifier, self.bytes.len(), false),
            },
            b'`' if !pg => self.quoted(start + 1, b'`', TokenKind::QuotedIdentifier, false),
            b'$' => self.dollar(start),
            b'?' if !pg => (
                TokenKind::Parameter,
                self.scan_while(start + 1, |c| c.is_ascii_digit()),
                true,
            ),
            b':' | b'@' if !pg && next.is_some_and(is_ident_start) => (
                TokenKind::Parameter,
                self.scan_while(start + 1, is_ident_cont),
                true,
            ),
            b'0'..=b'9' => (TokenKind::Number, self.number(start), true),
            b'.' if next.is_some_and(|c| c.is_ascii_digit()) => {
                (TokenKind::Number, self.number(start), true)
            }
            b';' => (TokenKind::Semicolon, start + 1, true),
            _ if is_ident_start(b) => (
                TokenKind::Word,
                self.scan_while(start + 1, is_ident_cont),
                true,
            ),
            // Everything left is a single ASCII byte: bytes >= 0x80 are identifier characters.
            _ => (TokenKind::Punct, start + 1, true),
        }
    }

    fn scan_while(&self, mut i: usize, pred: impl Fn(u8) -> bool) -> usize {
        while i < self.bytes.len() && pred(self.bytes[i]) {
            i += 1;
        }
        i
    }

    fn find_byte(&self, from: usize, needle: u8) -> Option<usize> {
        self.bytes[from.min(self.bytes.len())..]
            .iter()
            .position(|&c| c == needle)
            .map(|i| from + i)
    }

    /// A quoted run closed by `quote`, where a doubled quote stands for itself (SQL standard;
    /// PostgreSQL 4.1.2.1 and 4.1.1). With `backslash`, `\x` escapes any character.
    fn quoted(
        &self,
        body: usize,
        quote: u8,
        kind: TokenKind,
        backslash: bool,
    ) -> (TokenKind, usize, bool) {
        let mut i = body;
        while i < self.bytes.len() {
            let c = self.bytes[i];
            if backslash && c == b'\\' {
                // Skipping one byte is enough to stay on char boundaries: the bytes we stop at
                // (quote, backslash) are ASCII and never continuation bytes.
                i += 2;
            } else if c == quote {
                if self.at(i + 1) == Some(quote) {
                    i += 2;
                } else {
                    return (kind, i + 1, true);
                }
            } else {
                i += 1;
            }
        }
        (kind, self.bytes.len(), false)
    }

    /// `/* ... */`. PostgreSQL nests them (4.1.5: "block comments nest, as specified in the SQL
    /// standard but unlike C"); SQLite does not.
    fn block_comment(&self, start: usize) -> (TokenKind, usize, bool) {
        let nest = self.dialect == Dialect::Postgres;
        let mut depth = 1usize;
        let mut i = start + 2;
        while i + 1 < self.bytes.len() {
            match (self.bytes[i], self.bytes[i + 1]) {
                (b'*', b'/') => {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        return (TokenKind::BlockComment, i, true);
                    }
                }
                (b'/', b'*') if nest => {
                    depth += 1;
                    i += 2;
                }
                _ => i += 1,
            }
        }
        (TokenKind::BlockComment, self.bytes.len(), false)
    }

    /// `$`: a PostgreSQL dollar quote (4.1.2.4), a `$1` parameter, a SQLite `$name` parameter,
    /// or a lone `$`.
    fn dollar(&self, start: usize) -> (TokenKind, usize, bool) {
        let next = self.at(start + 1);
        if next.is_some_and(|c| c.is_ascii_digit()) {
            return (
                TokenKind::Parameter,
                self.scan_while(start + 1, |c| c.is_ascii_digit()),
                true,
            );
        }
        if self.dialect == Dialect::Sqlite {
            return if next.is_some_and(is_ident_cont) {
                (
                    TokenKind::Parameter,
                    self.scan_while(start + 1, is_ident_cont),
                    true,
                )
            } else {
                (TokenKind::Punct, start + 1, true)
            };
        }
        // The tag follows identifier rules but may not contain `$` (and cannot start with a
        // digit, handled above).
        let tag_end = self.scan_while(start + 1, |c| c != b'$' && is_ident_cont(c));
        if self.at(tag_end) != Some(b'$') {
            return (TokenKind::Punct, start + 1, true);
        }
        let delim = &self.sql[start..=tag_end];
        let body = tag_end + 1;
        match self.sql[body..].find(delim) {
            Some(i) => (TokenKind::DollarString, body + i + delim.len(), true),
            None => (TokenKind::DollarString, self.bytes.len(), false),
        }
    }

    /// A numeric constant (PostgreSQL 4.1.2.6): digits with `_` separators, an optional
    /// fraction and exponent, or a `0x`/`0o`/`0b` integer. Trailing letters become a new word.
    fn number(&self, start: usize) -> usize {
        let digits = |c: u8| c.is_ascii_digit() || c == b'_';
        if self.bytes[start] == b'0'
            && matches!(
                self.at(start + 1),
                Some(b'x' | b'X' | b'o' | b'O' | b'b' | b'B')
            )
            && self.at(start + 2).is_some_and(|c| c.is_ascii_hexdigit())
        {
            return self.scan_while(start + 2, |c| c.is_ascii_hexdigit() || c == b'_');
        }
        let mut i = self.scan_while(start, digits);
        if self.at(i) == Some(b'.') && self.at(i + 1) != Some(b'.') {
            i = self.scan_while(i + 1, digits);
        }
        if matches!(self.at(i), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(self.at(i + 1), Some(b'+' | b'-')));
            if self.at(i + 1 + sign).is_some_and(|c| c.is_ascii_digit()) {
                i = self.scan_while(i + 1 + sign, digits);
            }
        }
        i
    }
}

impl Iterator for Lexer<'_> {
    type Item = (usize, Token);

    fn next(&mut self) -> Option<(usize, Token)> {
        if self.pos >= self.bytes.len() {
            return None;
        }
        let start = self.pos;
        let (kind, end, terminated) = self.lex();
        // Defensive: never stall and never stop inside a character, whatever a rule returned.
        let mut end = end.clamp(start + 1, self.bytes.len());
        while !self.sql.is_char_boundary(end) {
            end += 1;
        }
        if self.dialect == Dialect::Mysql
            && matches!(
                kind,
                TokenKind::Word | TokenKind::Number | TokenKind::Parameter | TokenKind::Punct
            )
        {
            // The client finds the delimiter at any byte outside quotes and comments:
            // `END$$` is `END` and the delimiter `$$`.
            if let Some(at) =
                (start + 1..end).find(|&i| self.bytes[i..].starts_with(self.delim.as_bytes()))
            {
                end = at;
            }
        }
        if kind == TokenKind::Delimiter {
            if let Ok(delim) = delimiter_arg(&self.sql[start..end]) {
                self.delim = delim;
            }
        }
        self.pos = end;
        Some((
            start,
            Token {
                kind,
                len: end - start,
                terminated,
            },
        ))
    }
}

/// PostgreSQL's `space` class in scan.l; SQLite accepts the same set.
pub(crate) fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// `ident_start` in PostgreSQL's scan.l: letters, `_`, and any byte of a non-ASCII character.
fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

/// `ident_cont`: also digits and `$` (4.1.1: "letters, underscores, digits (0-9), or dollar
/// signs"), which is why `a$b$` is one identifier and not the start of a dollar quote.
pub(crate) fn is_ident_cont(c: u8) -> bool {
    is_ident_start(c) || c.is_ascii_digit() || c == b'$'
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Every token of `sql`: kind, text, terminated. Shared with the dialects' own tests.
    pub(crate) fn kinds(sql: &str, dialect: Dialect) -> Vec<(TokenKind, &str, bool)> {
        Lexer::new(sql, dialect)
            .map(|(off, t)| (t.kind, &sql[off..off + t.len], t.terminated))
            .collect()
    }

    /// The tokens of `sql` that are not whitespace: kind and text.
    pub(crate) fn significant(sql: &str, dialect: Dialect) -> Vec<(TokenKind, &str)> {
        kinds(sql, dialect)
            .into_iter()
            .filter(|(k, _, _)| *k != TokenKind::Whitespace)
            .map(|(k, s, _)| (k, s))
            .collect()
    }

    use TokenKind::*;

    #[test]
    fn lex_doubles_quote_inside_standard_string() {
        assert_eq!(
            significant("'it''s' x", Dialect::Postgres),
            [(String, "'it''s'"), (Word, "x")]
        );
    }

    #[test]
    fn lex_ignores_backslash_in_standard_string() {
        // standard_conforming_strings: `\` is an ordinary character, so the string ends at `\'`.
        assert_eq!(
            significant(r"'a\' ;", Dialect::Postgres),
            [(String, r"'a\'"), (Semicolon, ";")]
        );
        assert_eq!(
            significant(r"'a\' ;", Dialect::Sqlite),
            [(String, r"'a\'"), (Semicolon, ";")]
        );
    }

    #[test]
    fn lex_honours_backslash_in_escape_string() {
        assert_eq!(
            significant(r"E'a\'b' e'\\' x", Dialect::Postgres),
            [(String, r"E'a\'b'"), (String, r"e'\\'"), (Word, "x")]
        );
    }

    #[test]
    fn lex_treats_e_prefix_as_word_in_sqlite() {
        assert_eq!(
            significant("E'a'", Dialect::Sqlite),
            [(Word, "E"), (String, "'a'")]
        );
    }

    #[test]
    fn lex_reads_empty_and_tagged_dollar_quotes() {
        assert_eq!(
            significant("$$a;'b$$ $fn$ $$ ; $fn$", Dialect::Postgres),
            [(DollarString, "$$a;'b$$"), (DollarString, "$fn$ $$ ; $fn$")]
        );
    }

    #[test]
    fn lex_reads_positional_parameter_not_dollar_quote() {
        assert_eq!(
            significant("$1 + $23", Dialect::Postgres),
            [(Parameter, "$1"), (Punct, "+"), (Parameter, "$23")]
        );
    }

    #[test]
    fn lex_keeps_dollar_inside_identifier() {
        assert_eq!(
            significant("a$b$ c", Dialect::Postgres),
            [(Word, "a$b$"), (Word, "c")]
        );
    }

    #[test]
    fn lex_reads_lone_dollar_as_punct() {
        assert_eq!(
            significant("$ $x", Dialect::Postgres),
            [(Punct, "$"), (Punct, "$"), (Word, "x")]
        );
    }

    #[test]
    fn lex_reads_sqlite_parameters() {
        assert_eq!(
            significant("? ?2 :a @b $c", Dialect::Sqlite),
            [
                (Parameter, "?"),
                (Parameter, "?2"),
                (Parameter, ":a"),
                (Parameter, "@b"),
                (Parameter, "$c")
            ]
        );
    }

    #[test]
    fn lex_reads_line_comment_without_newline() {
        assert_eq!(
            kinds("-- c;\nx", Dialect::Postgres),
            [
                (LineComment, "-- c;", true),
                (Whitespace, "\n", true),
                (Word, "x", true)
            ]
        );
    }

    #[test]
    fn lex_nests_block_comments_in_postgres() {
        assert_eq!(
            significant("/* a /* b */ ; */ x", Dialect::Postgres),
            [(BlockComment, "/* a /* b */ ; */"), (Word, "x")]
        );
    }

    #[test]
    fn lex_does_not_nest_block_comments_in_sqlite() {
        assert_eq!(
            significant("/* a /* b */ ; */", Dialect::Sqlite),
            [
                (BlockComment, "/* a /* b */"),
                (Semicolon, ";"),
                (Punct, "*"),
                (Punct, "/")
            ]
        );
    }

    #[test]
    fn lex_reads_quoted_identifiers() {
        assert_eq!(
            significant(r#""a""b;""#, Dialect::Postgres),
            [(QuotedIdentifier, r#""a""b;""#)]
        );
        assert_eq!(
            significant("[a;b] `c``;`", Dialect::Sqlite),
            [(QuotedIdentifier, "[a;b]"), (QuotedIdentifier, "`c``;`")]
        );
        assert_eq!(
            significant("[a]", Dialect::Postgres),
            [(Punct, "["), (Word, "a"), (Punct, "]")]
        );
    }

    #[test]
    fn lex_reads_numbers() {
        assert_eq!(
            significant("42 3.14 .5 1e-9 1_000 0x1F 1..2", Dialect::Postgres),
            [
                (Number, "42"),
                (Number, "3.14"),
                (Number, ".5"),
                (Number, "1e-9"),
                (Number, "1_000"),
                (Number, "0x1F"),
                (Number, "1"),
                (Punct, "."),
                (Number, ".2")
            ]
        );
    }

    #[test]
    fn lex_marks_unterminated_constructs() {
        for (sql, kind) in [
            ("'abc", String),
            ("E'a\\'", String),
            ("\"abc", QuotedIdentifier),
            ("$t$ abc $t", DollarString),
            ("/* a /* b */", BlockComment),
        ] {
            assert_eq!(kinds(sql, Dialect::Postgres), [(kind, sql, false)], "{sql}");
        }
        assert_eq!(
            kinds("[abc", Dialect::Sqlite),
            [(QuotedIdentifier, "[abc", false)]
        );
        assert_eq!(
            kinds("`abc", Dialect::Sqlite),
            [(QuotedIdentifier, "`abc", false)]
        );
    }

    #[test]
    fn lex_survives_trailing_backslash_in_escape_string() {
        assert_eq!(kinds("E'\\", Dialect::Postgres), [(String, "E'\\", false)]);
    }

    #[test]
    fn lex_keeps_unicode_in_words_and_strings() {
        assert_eq!(
            significant("café 'ñ;' \"日本\" $é$ x $é$", Dialect::Postgres),
            [
                (Word, "café"),
                (String, "'ñ;'"),
                (QuotedIdentifier, "\"日本\""),
                (DollarString, "$é$ x $é$")
            ]
        );
    }

    #[test]
    fn tokenize_lengths_cover_input() {
        let sql = "SELECT 'a', $$b$$ /* c */ -- d\n;";
        let total: usize = tokenize(sql, Dialect::Postgres).iter().map(|t| t.len).sum();
        assert_eq!(total, sql.len());
    }
}
