//! Statement splitting on top of the lexer.
//!
//! A `;` ends a statement unless it is inside a token (string, dollar quote, quoted identifier,
//! comment) or inside a block whose body legitimately contains semicolons:
//!
//! * PostgreSQL: SQL-standard routine bodies, `CREATE [OR REPLACE] FUNCTION|PROCEDURE ...
//!   BEGIN ATOMIC ... END` (CREATE FUNCTION, "sql_body"), and parentheses, e.g. the multi-action
//!   `CREATE RULE ... DO (INSERT ...; INSERT ...)`. Both mirror psql's own splitter (psqlscan.l
//!   tracks `paren_depth` and `begin_depth`, counting `CASE ... END` inside a body).
//! * SQLite: `CREATE [TEMP|TEMPORARY] TRIGGER ... BEGIN ...; ...; END` (the trigger body is a
//!   list of `;`-terminated statements), again counting `CASE ... END` inside the body.
//!
//! * MySQL: the bodies of `CREATE|ALTER ... PROCEDURE|FUNCTION|TRIGGER|EVENT` and MariaDB's
//!   `BEGIN NOT ATOMIC` blocks, as the server parses them when a file is sent whole
//!   (golang-migrate's way): `BEGIN` and `CASE` open, `END` closes, `END IF|LOOP|WHILE|REPEAT|FOR`
//!   closes what was not counted. And the `mysql` client's `DELIMITER` lines: a `DELIMITER //`
//!   line is no statement (it ends one in progress, as the client sends what it holds), and
//!   from then on only `//` ends a statement, whatever the nesting; the custom delimiter is
//!   not part of the statement (the server never sees it), a `;` one is.
//!
//! After a `COPY ... FROM STDIN` statement, the lines up to a line that is exactly `\.` are data,
//! not SQL (as psql and pg_dump treat them): they are never lexed, and the statement carries
//! their range in [`Statement::copy_data`].
use crate::lexer::{delimiter_arg, BadDelimiter, Lexer, TokenKind};
use crate::span::Cursor;
use crate::{Dialect, LineCol};
use std::ops::Range;

mod mysql;

/// One statement: a byte range into the input, including its terminating `;` if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Byte range of the statement text (leading whitespace and comments excluded, the `;`
    /// included).
    pub range: Range<usize>,
    /// Position of the first byte of `range`.
    pub start: LineCol,
    /// For `COPY ... FROM STDIN`: the data block that follows it (`None` for every other
    /// statement).
    pub copy_data: Option<CopyData>,
}

/// The data block of a `COPY ... FROM STDIN` statement: the lines after the statement's line up
/// to, not including, a line that is exactly `\.`. It is data (tab-separated text, CSV...), never
/// SQL: it may contain quotes, `$$`, `;` and `--` freely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyData {
    /// Byte range of the data (every row with its newline; the `\.` line excluded). Empty when
    /// the `\.` line follows the statement's line directly.
    pub range: Range<usize>,
    /// Just past the `\.` line and its newline: where SQL resumes. The input's end when the
    /// block is unterminated.
    pub end: usize,
    /// Whether a `\.` line ended the block (else a diagnostic says so and the data runs to the
    /// end of the input).
    pub terminated: bool,
}

impl Statement {
    /// The statement's text within `input` (the string that was split). For a COPY, the data
    /// block is not part of it (see [`Statement::copy_data`]).
    pub fn text<'a>(&self, input: &'a str) -> &'a str {
        &input[self.range.clone()]
    }

    /// Where the statement's input ends: after its COPY data block and the `\.` line if it has
    /// one, else at the end of [`Statement::range`].
    pub fn end_with_data(&self) -> usize {
        self.copy_data.as_ref().map_or(self.range.end, |c| c.end)
    }
}

/// What kind of problem a diagnostic reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DiagnosticKind {
    /// A `'...'` or `E'...'` string that never ends.
    UnterminatedString,
    /// A `"..."` identifier (or SQLite `[...]`, `` `...` ``) that never ends.
    UnterminatedIdentifier,
    /// A `$tag$ ... $tag$` body that never ends.
    UnterminatedDollarQuote,
    /// A `/* ... */` comment that never ends.
    UnterminatedComment,
    /// A `BEGIN ATOMIC` routine body or SQLite trigger body with no matching `END`: the rest of
    /// the input became one statement.
    UnterminatedBlock,
    /// A PostgreSQL `(` never closed although a `;` followed it: the rest of the input became
    /// one statement.
    UnclosedParenthesis,
    /// A `COPY ... FROM STDIN` data block with no `\.` line: the rest of the input became data.
    UnterminatedCopyData,
    /// Text other than a `--` comment after `COPY ... FROM STDIN;` on the same line (the data
    /// starts on the next line, so that text would be neither SQL nor data).
    TextAfterCopy,
    /// MySQL: a `DELIMITER` line with no delimiter, or one holding a backslash or a blank; the
    /// delimiter in force is kept.
    InvalidDelimiter,
}

/// A problem found while splitting; never fatal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// What went wrong.
    pub kind: DiagnosticKind,
    /// Where the offending construct started (its opening delimiter or keyword).
    pub range: Range<usize>,
    /// Position of `range.start`.
    pub start: LineCol,
    /// A human message.
    pub message: String,
}

/// The result of [`split`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Split {
    /// Statements in order. Whitespace-and-comment-only pieces are not statements.
    pub statements: Vec<Statement>,
    /// Problems found, in input order; empty for well-formed input.
    pub diagnostics: Vec<Diagnostic>,
}

/// Split `sql` into statements.
///
/// Never fails: unterminated constructs are reported in [`Split::diagnostics`] and run to the end
/// of the input, which then counts as (part of) the last statement.
///
/// ```
/// use strata_sql::{split, Dialect};
/// let sql = "-- setup\nCREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC SELECT 1; END;\nSELECT ';' ; ;";
/// let out = split(sql, Dialect::Postgres);
/// let texts: Vec<&str> = out.statements.iter().map(|s| s.text(sql)).collect();
/// assert_eq!(texts, [
///     "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC SELECT 1; END;",
///     "SELECT ';' ;",
/// ]);
/// assert_eq!(out.statements[0].start.line, 2);
/// assert!(out.diagnostics.is_empty());
///
/// let bad = split("SELECT 1;\nSELECT 'oops;", Dialect::Sqlite);
/// assert_eq!(bad.statements.len(), 2);
/// assert_eq!((bad.diagnostics[0].start.line, bad.diagnostics[0].start.column), (2, 8));
/// ```
pub fn split(sql: &str, dialect: Dialect) -> Split {
    // Tokens are consumed as they are lexed (never collected): memory stays proportional to the
    // statements found, not to the input's tokens.
    let mut lexer = Lexer::new(sql, dialect);
    let mut cursor = Cursor::new(sql);
    let mut out = Split::default();
    let mut current: Option<Pending> = None;
    while let Some((offset, token)) = lexer.next() {
        let text = &sql[offset..offset + token.len];
        if !token.terminated {
            let start = cursor.line_col(offset);
            out.diagnostics
                .push(unterminated(token.kind, text, offset, start));
        }
        if token.is_trivia() {
            continue;
        }
        if token.kind == TokenKind::Delimiter {
            if let Some(p) = current.take() {
                unclosed(&p, &mut cursor, &mut out.diagnostics);
                out.statements.push(p.finish(p.end));
            }
            if let Err(bad) = delimiter_arg(text) {
                out.diagnostics
                    .push(invalid_delimiter(bad, offset, cursor.line_col(offset)));
            }
            continue;
        }
        if token.kind == TokenKind::Semicolon {
            // Only MySQL's `DELIMITER` makes another text a delimiter; it ends a statement
            // whatever the nesting, and is not sent.
            let custom = text != ";";
            match &mut current {
                // An empty statement (`;;`) is not a statement.
                None => {}
                Some(p) if custom || (p.depth == 0 && p.paren == 0) => {
                    let mut statement = p.finish(if custom { p.end } else { offset + 1 });
                    if p.copy_from_stdin {
                        let copy = copy_block(sql, &statement, &mut cursor, &mut out.diagnostics);
                        lexer.seek(copy.end);
                        statement.copy_data = Some(copy);
                    }
                    out.statements.push(statement);
                    current = None;
                }
                Some(p) => {
                    p.end = offset + 1;
                    p.swallowed = true;
                    p.semicolon();
                }
            }
            continue;
        }
        let p = current.get_or_insert_with(|| Pending::new(offset, cursor.line_col(offset)));
        p.end = offset + token.len;
        let ahead = lexer.clone();
        p.feed(dialect, token.kind, text, offset, || next_word(sql, ahead));
    }
    if let Some(p) = current {
        unclosed(&p, &mut cursor, &mut out.diagnostics);
        out.statements.push(p.finish(p.end));
    }
    out.diagnostics.sort_by_key(|d| d.range.start);
    out
}

/// The diagnostics for a statement that the input's end (or a MySQL `DELIMITER` line) cut
/// while a block or a parenthesis was open.
fn unclosed(p: &Pending, cursor: &mut Cursor, diagnostics: &mut Vec<Diagnostic>) {
    if let Some(begin) = p.depth_opened.filter(|_| p.depth > 0) {
        diagnostics.push(unclosed_block(begin, cursor.line_col(begin)));
    }
    if let Some(open) = p.paren_opened.filter(|_| p.paren > 0 && p.swallowed) {
        diagnostics.push(unclosed_paren(open, cursor.line_col(open)));
    }
}

pub(crate) fn unclosed_block(begin: usize, start: LineCol) -> Diagnostic {
    Diagnostic {
        kind: DiagnosticKind::UnterminatedBlock,
        range: begin..begin + "BEGIN".len(),
        start,
        message: "this BEGIN block is never closed by END; the rest of the input became one \
                  statement"
            .into(),
    }
}

pub(crate) fn unclosed_paren(open: usize, start: LineCol) -> Diagnostic {
    Diagnostic {
        kind: DiagnosticKind::UnclosedParenthesis,
        range: open..open + 1,
        start,
        message: "this `(` is never closed, so the `;` after it did not end the statement".into(),
    }
}

/// The diagnostic for a `DELIMITER` line at `offset` that sets no delimiter.
pub(crate) fn invalid_delimiter(bad: BadDelimiter, offset: usize, start: LineCol) -> Diagnostic {
    let message = match bad {
        BadDelimiter::Missing => "DELIMITER must be followed by the delimiter to use",
        BadDelimiter::Forbidden => "a delimiter may hold no backslash and no blank",
    };
    Diagnostic {
        kind: DiagnosticKind::InvalidDelimiter,
        range: offset..offset + "DELIMITER".len(),
        start,
        message: format!("{message}; the delimiter in force is kept"),
    }
}

/// The next non-trivia token, if it is a word.
fn next_word<'a>(sql: &'a str, mut rest: Lexer<'_>) -> Option<&'a str> {
    let (offset, token) = rest.find(|(_, t)| !t.is_trivia())?;
    (token.kind == TokenKind::Word).then(|| &sql[offset..offset + token.len])
}

/// The data block after `statement`, a `COPY ... FROM STDIN` whose `;` ends its range: from the
/// next line up to a line that is exactly `\.` (a `\r` before its newline tolerated, as psql
/// does). Reports text after the `;` on the statement's own line, and a missing `\.` line.
fn copy_block(
    sql: &str,
    statement: &Statement,
    cursor: &mut Cursor,
    diagnostics: &mut Vec<Diagnostic>,
) -> CopyData {
    let after = statement.range.end;
    let line_end = find_newline(sql, after);
    let rest = &sql[after..line_end];
    // SQL's whitespace, as the lexer has it: a no-break space is text here, as it is to the server.
    let space = |c: char| c.is_ascii() && crate::lexer::is_space(c as u8);
    let trimmed = rest.trim_start_matches(space);
    if !trimmed.trim_end_matches(space).is_empty() && !trimmed.starts_with("--") {
        let from = after + (rest.len() - trimmed.len());
        let to = after + rest.trim_end_matches(space).len();
        diagnostics.push(Diagnostic {
            kind: DiagnosticKind::TextAfterCopy,
            range: from..to,
            start: cursor.line_col(from),
            message: "nothing but a `--` comment may follow `COPY ... FROM stdin;` on its line: \
                      the data starts on the next line"
                .into(),
        });
    }
    let data_start = (line_end + 1).min(sql.len());
    let mut line = data_start;
    while line < sql.len() {
        let end = find_newline(sql, line);
        if matches!(&sql[line..end], "\\." | "\\.\r") {
            return CopyData {
                range: data_start..line,
                end: (end + 1).min(sql.len()),
                terminated: true,
            };
        }
        line = end + 1;
    }
    let keyword = statement.range.start..statement.range.start + "COPY".len();
    diagnostics.push(Diagnostic {
        kind: DiagnosticKind::UnterminatedCopyData,
        range: keyword,
        start: statement.start,
        message: "the data of this COPY ... FROM stdin is never ended by a line `\\.`".into(),
    });
    CopyData {
        range: data_start..sql.len(),
        end: sql.len(),
        terminated: false,
    }
}

/// The offset of the next `\n` at or after `from`, or the input's end.
fn find_newline(sql: &str, from: usize) -> usize {
    sql.as_bytes()[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(sql.len(), |i| from + i)
}

/// The diagnostic for an unterminated token `text` (its start at least: the opening delimiter)
/// at `offset`, whose position is `start`.
pub(crate) fn unterminated(
    kind: TokenKind,
    text: &str,
    offset: usize,
    start: LineCol,
) -> Diagnostic {
    let (kind, open, message) = match kind {
        TokenKind::String => {
            // `'` or MySQL's `"`; else PostgreSQL's `E'`.
            let open = if text.starts_with(['\'', '"']) { 1 } else { 2 };
            (
                DiagnosticKind::UnterminatedString,
                open,
                "string literal is never closed".to_string(),
            )
        }
        TokenKind::DollarString => {
            let open = text[1..].find('$').map_or(1, |i| i + 2);
            let message = format!(
                "dollar-quoted string is never closed by `{}`",
                &text[..open]
            );
            (DiagnosticKind::UnterminatedDollarQuote, open, message)
        }
        TokenKind::BlockComment => (
            DiagnosticKind::UnterminatedComment,
            2,
            "block comment is never closed by `*/`".into(),
        ),
        _ => {
            let close = match text.as_bytes()[0] {
                b'[' => ']',
                b'`' => '`',
                _ => '"',
            };
            let message = format!("quoted identifier is never closed by `{close}`");
            (DiagnosticKind::UnterminatedIdentifier, 1, message)
        }
    };
    Diagnostic {
        kind,
        range: offset..offset + open,
        start,
        message,
    }
}

/// The statement being accumulated.
pub(crate) struct Pending {
    pub(crate) start: usize,
    start_pos: LineCol,
    /// End of the last non-trivia token so far (trailing comments are not part of a statement
    /// that has no `;`).
    pub(crate) end: usize,
    /// The first few words, upper-cased (`""` for a non-word token), to recognise
    /// `CREATE ... FUNCTION` and `CREATE ... TRIGGER`.
    lead: [String; 4],
    lead_len: usize,
    /// `BEGIN ... END` / `CASE ... END` nesting inside a block body.
    pub(crate) depth: usize,
    pub(crate) depth_opened: Option<usize>,
    /// PostgreSQL parenthesis nesting.
    pub(crate) paren: usize,
    pub(crate) paren_opened: Option<usize>,
    /// Whether a `;` was kept inside the statement.
    pub(crate) swallowed: bool,
    /// The previous significant token was `FROM` at parenthesis depth 0 (in a COPY).
    after_from: bool,
    /// `COPY ... FROM STDIN`: a data block follows the statement.
    pub(crate) copy_from_stdin: bool,
    /// Streaming: a routine's `BEGIN` at this offset whose next word is not known yet.
    begin_at: Option<usize>,
    /// MySQL: a routine, trigger or event (or `BEGIN NOT ATOMIC`) whose body nests.
    compound: bool,
    /// MySQL: significant tokens seen (the routine keyword comes within the first few).
    seen: usize,
    /// MySQL: parenthesis nesting (only to keep column names out of the routine keyword test).
    mparen: usize,
    /// MySQL: the previous token was an `END` word; whether it closed a counted block.
    after_end: Option<bool>,
}

impl Pending {
    fn new(start: usize, start_pos: LineCol) -> Self {
        Pending {
            start,
            start_pos,
            end: start,
            lead: Default::default(),
            lead_len: 0,
            depth: 0,
            depth_opened: None,
            paren: 0,
            paren_opened: None,
            swallowed: false,
            after_from: false,
            copy_from_stdin: false,
            begin_at: None,
            compound: false,
            seen: 0,
            mparen: 0,
            after_end: None,
        }
    }

    pub(crate) fn new_at(start: usize, start_pos: LineCol) -> Self {
        Pending::new(start, start_pos)
    }

    pub(crate) fn finish(&self, end: usize) -> Statement {
        Statement {
            range: self.start..end,
            start: self.start_pos,
            copy_data: None,
        }
    }

    fn lead_is(&self, words: &[&str]) -> bool {
        self.lead_len >= words.len() && self.lead.iter().zip(words).all(|(a, b)| a == b)
    }

    /// `CREATE [OR REPLACE] FUNCTION|PROCEDURE`, the statements psql watches for BEGIN.
    fn is_routine(&self) -> bool {
        ["FUNCTION", "PROCEDURE"]
            .iter()
            .any(|w| self.lead_is(&["CREATE", w]) || self.lead_is(&["CREATE", "OR", "REPLACE", w]))
    }

    /// `CREATE [TEMP|TEMPORARY] TRIGGER` (SQLite has no `OR REPLACE` for triggers).
    fn is_trigger(&self) -> bool {
        self.lead_is(&["CREATE", "TRIGGER"])
            || self.lead_is(&["CREATE", "TEMP", "TRIGGER"])
            || self.lead_is(&["CREATE", "TEMPORARY", "TRIGGER"])
    }

    fn feed<'a>(
        &mut self,
        dialect: Dialect,
        kind: TokenKind,
        text: &str,
        offset: usize,
        next_word: impl FnOnce() -> Option<&'a str>,
    ) {
        let word = kind == TokenKind::Word;
        if self.lead_len < self.lead.len() {
            if word {
                self.lead[self.lead_len] = text.to_ascii_uppercase();
            }
            self.lead_len += 1;
        }
        // `COPY ... FROM STDIN` (any options after it); not `FROM 'file'`, `FROM PROGRAM`, `TO
        // STDOUT`, nor a `FROM stdin` inside a parenthesised query.
        if self.paren == 0 && dialect != Dialect::Mysql && self.lead_is(&["COPY"]) {
            if word && self.after_from && text.eq_ignore_ascii_case("STDIN") {
                self.copy_from_stdin = true;
            }
            self.after_from = word && text.eq_ignore_ascii_case("FROM");
        }
        match dialect {
            Dialect::Postgres => {
                match text {
                    "(" if kind == TokenKind::Punct => {
                        if self.paren == 0 {
                            self.paren_opened = Some(offset);
                        }
                        self.paren += 1;
                        return;
                    }
                    ")" if kind == TokenKind::Punct => {
                        self.paren = self.paren.saturating_sub(1);
                        return;
                    }
                    _ => {}
                }
                if !word || self.paren > 0 || !self.is_routine() {
                    return;
                }
                let opens = text.eq_ignore_ascii_case("BEGIN")
                    && next_word().is_some_and(|w| w.eq_ignore_ascii_case("ATOMIC"));
                self.count(text, opens, offset);
            }
            Dialect::Sqlite => {
                if word && self.is_trigger() {
                    self.count(text, text.eq_ignore_ascii_case("BEGIN"), offset);
                }
            }
            Dialect::Mysql => self.feed_mysql(kind, text, offset),
        }
    }

    /// [`feed`](Self::feed) for a splitter that cannot look ahead: a routine's `BEGIN` is
    /// decided by the next significant token, which must be passed here (or to
    /// [`semicolon`](Self::semicolon)) in order.
    pub(crate) fn feed_streamed(
        &mut self,
        dialect: Dialect,
        kind: TokenKind,
        text: &str,
        offset: usize,
    ) {
        if let Some(at) = self.begin_at.take() {
            if kind == TokenKind::Word && text.eq_ignore_ascii_case("ATOMIC") {
                self.count("BEGIN", true, at);
            }
        }
        let mut asked = false;
        self.feed(dialect, kind, text, offset, || {
            asked = true;
            None
        });
        if asked {
            self.begin_at = Some(offset);
        }
    }

    /// A `;` is the next significant token: a pending `BEGIN` is not `BEGIN ATOMIC`.
    pub(crate) fn semicolon(&mut self) {
        self.begin_at = None;
        self.after_end = None;
    }

    /// Track block nesting. `CASE` only counts inside a body (as in psql), since outside one its
    /// `END` cannot be confused with the body's.
    fn count(&mut self, word: &str, opens: bool, offset: usize) {
        if opens || (self.depth > 0 && word.eq_ignore_ascii_case("CASE")) {
            if self.depth == 0 {
                self.depth_opened = Some(offset);
            }
            self.depth += 1;
        } else if word.eq_ignore_ascii_case("END") {
            self.depth = self.depth.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Dialect::{Postgres as Pg, Sqlite};

    /// Split, assert there are no diagnostics, and return the statement texts.
    fn split_ok(sql: &str, dialect: Dialect) -> Vec<&str> {
        let out = split(sql, dialect);
        assert!(
            out.diagnostics.is_empty(),
            "unexpected diagnostics: {:?}",
            out.diagnostics
        );
        out.statements.iter().map(|s| s.text(sql)).collect()
    }

    fn lc(line: usize, column: usize) -> LineCol {
        LineCol { line, column }
    }

    #[test]
    fn split_separates_statements_on_semicolon() {
        assert_eq!(
            split_ok("SELECT 1; SELECT 2;\nSELECT 3;", Pg),
            ["SELECT 1;", "SELECT 2;", "SELECT 3;"]
        );
    }

    #[test]
    fn split_keeps_trailing_statement_without_semicolon() {
        assert_eq!(
            split_ok("SELECT 1;\nSELECT 2  -- tail\n", Pg),
            ["SELECT 1;", "SELECT 2"]
        );
    }

    #[test]
    fn split_excludes_leading_whitespace_and_comments() {
        let sql = "\n  -- a\n/* b */ SELECT 1 /* inner */ ; -- after";
        assert_eq!(split_ok(sql, Pg), ["SELECT 1 /* inner */ ;"]);
    }

    #[test]
    fn split_skips_empty_and_comment_only_pieces() {
        assert!(split_ok("", Pg).is_empty());
        assert!(split_ok(" ;; \n-- only a comment\n/* and */ ;", Pg).is_empty());
        assert_eq!(split_ok(";;SELECT 1;;", Sqlite), ["SELECT 1;"]);
    }

    #[test]
    fn split_keeps_semicolon_inside_string() {
        assert_eq!(
            split_ok("SELECT 'a;''b'; SELECT 2", Pg),
            ["SELECT 'a;''b';", "SELECT 2"]
        );
    }

    #[test]
    fn split_keeps_semicolon_inside_escape_string() {
        assert_eq!(
            split_ok(r"SELECT E'it\'s; ok'; SELECT 2", Pg),
            [r"SELECT E'it\'s; ok';", "SELECT 2"]
        );
    }

    #[test]
    fn split_ends_standard_string_at_backslash_quote() {
        assert_eq!(
            split_ok(r"SELECT 'a\'; SELECT 2", Pg),
            [r"SELECT 'a\';", "SELECT 2"]
        );
    }

    #[test]
    fn split_keeps_semicolon_inside_dollar_quote() {
        let sql = "CREATE FUNCTION f() RETURNS void AS $$ BEGIN PERFORM 1; END; $$ LANGUAGE plpgsql;\nSELECT 1;";
        assert_eq!(
            split_ok(sql, Pg),
            [
                "CREATE FUNCTION f() RETURNS void AS $$ BEGIN PERFORM 1; END; $$ LANGUAGE plpgsql;",
                "SELECT 1;"
            ]
        );
    }

    #[test]
    fn split_keeps_semicolon_inside_tagged_dollar_quote() {
        let sql = "DO $body$ BEGIN RAISE NOTICE '$$;'; END $body$; SELECT $1;";
        assert_eq!(
            split_ok(sql, Pg),
            [
                "DO $body$ BEGIN RAISE NOTICE '$$;'; END $body$;",
                "SELECT $1;"
            ]
        );
    }

    #[test]
    fn split_keeps_semicolon_inside_comments() {
        assert_eq!(
            split_ok("SELECT 1 -- x;\n; SELECT /* ; */ 2;", Pg),
            ["SELECT 1 -- x;\n;", "SELECT /* ; */ 2;"]
        );
    }

    #[test]
    fn split_keeps_semicolon_inside_nested_comment_in_postgres() {
        assert_eq!(
            split_ok("SELECT /* a /* ; */ ; */ 1; SELECT 2", Pg),
            ["SELECT /* a /* ; */ ; */ 1;", "SELECT 2"]
        );
    }

    #[test]
    fn split_does_not_nest_comments_in_sqlite() {
        assert_eq!(
            split_ok("SELECT /* a /* */ 1; SELECT 2", Sqlite),
            ["SELECT /* a /* */ 1;", "SELECT 2"]
        );
    }

    #[test]
    fn split_keeps_semicolon_inside_quoted_identifiers() {
        assert_eq!(
            split_ok(r#"SELECT "a;""b" FROM t; SELECT 2"#, Pg),
            [r#"SELECT "a;""b" FROM t;"#, "SELECT 2"]
        );
        assert_eq!(
            split_ok("SELECT [a;b], `c;` FROM t; SELECT 2", Sqlite),
            ["SELECT [a;b], `c;` FROM t;", "SELECT 2"]
        );
    }

    #[test]
    fn split_keeps_begin_atomic_body_together() {
        let f = "CREATE OR REPLACE FUNCTION f(a int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  INSERT INTO t VALUES (a);\n  SELECT a + 1;\nEND;";
        let sql = format!("{f}\nSELECT 1;");
        assert_eq!(split_ok(&sql, Pg), [f, "SELECT 1;"]);
        let p = "create procedure p() begin atomic; insert into t values (1); end;";
        assert_eq!(split_ok(p, Pg), [p]);
    }

    #[test]
    fn split_counts_case_inside_begin_atomic() {
        let f = "CREATE FUNCTION f(x int) RETURNS text LANGUAGE sql BEGIN ATOMIC\n  SELECT CASE WHEN x > 0 THEN 'pos' ELSE CASE WHEN x < 0 THEN 'neg' END END;\n  SELECT 'done';\nEND;";
        assert_eq!(split_ok(&format!("{f} SELECT 2;"), Pg), [f, "SELECT 2;"]);
    }

    #[test]
    fn split_ignores_atomic_keywords_inside_strings() {
        let sql = "CREATE FUNCTION f() RETURNS text LANGUAGE sql RETURN 'BEGIN ATOMIC'; SELECT 1;";
        assert_eq!(split_ok(sql, Pg).len(), 2);
    }

    #[test]
    fn split_treats_plain_begin_as_its_own_statement() {
        assert_eq!(
            split_ok("BEGIN; SELECT 1; COMMIT;", Pg),
            ["BEGIN;", "SELECT 1;", "COMMIT;"]
        );
        assert_eq!(
            split_ok("BEGIN; SELECT 1; END;", Sqlite),
            ["BEGIN;", "SELECT 1;", "END;"]
        );
    }

    #[test]
    fn split_keeps_begin_without_atomic_outside_routines_separate() {
        // `BEGIN ATOMIC` only opens a body in CREATE FUNCTION/PROCEDURE.
        assert_eq!(
            split_ok("DO 'x'; BEGIN; SELECT 1;", Pg),
            ["DO 'x';", "BEGIN;", "SELECT 1;"]
        );
    }

    #[test]
    fn split_keeps_semicolon_inside_parentheses_in_postgres() {
        let rule = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));";
        assert_eq!(
            split_ok(&format!("{rule}\nSELECT 1;"), Pg),
            [rule, "SELECT 1;"]
        );
    }

    #[test]
    fn split_keeps_sqlite_trigger_body_together() {
        let t = "CREATE TRIGGER trg AFTER INSERT ON t\nBEGIN\n  UPDATE t SET n = n + 1;\n  INSERT INTO log VALUES ('x;');\nEND;";
        assert_eq!(
            split_ok(&format!("{t}\nSELECT 1;"), Sqlite),
            [t, "SELECT 1;"]
        );
    }

    #[test]
    fn split_keeps_sqlite_temp_trigger_body_together() {
        for kw in ["TEMP", "temporary"] {
            let t = format!("CREATE {kw} TRIGGER IF NOT EXISTS trg BEFORE DELETE ON t BEGIN SELECT 1; SELECT 2; END;");
            assert_eq!(
                split_ok(&format!("{t} SELECT 3"), Sqlite),
                [t.as_str(), "SELECT 3"]
            );
        }
    }

    #[test]
    fn split_counts_case_inside_sqlite_trigger() {
        let t = "CREATE TRIGGER trg AFTER UPDATE ON t WHEN CASE WHEN new.a THEN 1 END\nBEGIN\n  UPDATE t SET b = CASE WHEN new.a > 0 THEN 1 ELSE 0 END;\n  SELECT CASE new.a WHEN 1 THEN RAISE(ABORT, 'no;') END;\nEND;";
        assert_eq!(
            split_ok(&format!("{t}\nSELECT 1;"), Sqlite),
            [t, "SELECT 1;"]
        );
    }

    #[test]
    fn split_does_not_track_parentheses_in_sqlite() {
        assert_eq!(
            split_ok("SELECT (1; SELECT 2)", Sqlite),
            ["SELECT (1;", "SELECT 2)"]
        );
    }

    #[test]
    fn split_reports_statement_positions_in_chars() {
        let sql = "-- héllo\n  SELECT 'é';  SELECT 2;\n\n\tINSERT INTO \"日本\" VALUES (1)";
        let out = split(sql, Pg);
        let starts: Vec<LineCol> = out.statements.iter().map(|s| s.start).collect();
        assert_eq!(starts, [lc(2, 3), lc(2, 16), lc(4, 2)]);
        assert_eq!(
            out.statements[2].text(sql),
            "INSERT INTO \"日本\" VALUES (1)"
        );
    }

    #[test]
    fn split_handles_unicode_text() {
        assert_eq!(
            split_ok(
                "INSERT INTO t VALUES ('日本語;ß'); SELECT 'ü' AS \"ü;\"; SELECT é",
                Pg
            ),
            [
                "INSERT INTO t VALUES ('日本語;ß');",
                "SELECT 'ü' AS \"ü;\";",
                "SELECT é"
            ]
        );
    }

    #[test]
    fn split_reports_unterminated_string_where_it_starts() {
        let sql = "SELECT 1;\nSELECT 'é', 'abc; SELECT 2;";
        let out = split(sql, Pg);
        assert_eq!(out.statements.len(), 2);
        assert_eq!(out.statements[1].text(sql), "SELECT 'é', 'abc; SELECT 2;");
        let d = &out.diagnostics[0];
        assert_eq!(d.kind, DiagnosticKind::UnterminatedString);
        assert_eq!(&sql[d.range.clone()], "'");
        assert_eq!(d.start, lc(2, 13));
    }

    #[test]
    fn split_reports_unterminated_escape_string_with_prefix() {
        let out = split("SELECT E'abc\\'", Pg);
        assert_eq!(out.diagnostics[0].range, 7..9);
    }

    #[test]
    fn split_reports_unterminated_dollar_quote_with_tag() {
        let sql = "DO $fn$ BEGIN; END $f$;";
        let out = split(sql, Pg);
        let d = &out.diagnostics[0];
        assert_eq!(
            (d.kind, &sql[d.range.clone()], d.start),
            (DiagnosticKind::UnterminatedDollarQuote, "$fn$", lc(1, 4))
        );
        assert!(d.message.contains("$fn$"), "{}", d.message);
        assert_eq!(out.statements.len(), 1);
    }

    #[test]
    fn split_reports_unterminated_comment_and_identifier() {
        let out = split("SELECT 1;\n  /* a /* b */", Pg);
        assert_eq!(out.statements.len(), 1);
        let d = &out.diagnostics[0];
        assert_eq!(
            (d.kind, d.range.clone(), d.start),
            (DiagnosticKind::UnterminatedComment, 12..14, lc(2, 3))
        );

        let out = split("SELECT \"a; SELECT [b", Sqlite);
        assert_eq!(out.diagnostics.len(), 1);
        assert_eq!(
            out.diagnostics[0].kind,
            DiagnosticKind::UnterminatedIdentifier
        );
        let out = split("SELECT [b", Sqlite);
        assert_eq!(
            (
                out.diagnostics[0].range.clone(),
                out.diagnostics[0].message.contains(']')
            ),
            (7..8, true)
        );
    }

    #[test]
    fn split_reports_unterminated_trigger_body() {
        let sql = "CREATE TRIGGER t AFTER INSERT ON x\nBEGIN SELECT 1;\nSELECT 2;";
        let out = split(sql, Sqlite);
        assert_eq!(out.statements.len(), 1);
        let d = &out.diagnostics[0];
        assert_eq!(
            (d.kind, d.start),
            (DiagnosticKind::UnterminatedBlock, lc(2, 1))
        );
    }

    #[test]
    fn split_reports_unclosed_parenthesis_only_when_it_swallowed_a_semicolon() {
        let out = split("SELECT (1;\nSELECT 2;", Pg);
        assert_eq!(out.statements.len(), 1);
        assert_eq!(
            (out.diagnostics[0].kind, out.diagnostics[0].range.clone()),
            (DiagnosticKind::UnclosedParenthesis, 7..8)
        );
        let out = split("SELECT (1", Pg);
        assert!(out.diagnostics.is_empty());
    }

    /// `(statement text, data text)` of every statement.
    fn split_copy(sql: &str) -> Vec<(&str, Option<&str>)> {
        split_ok(sql, Pg);
        split(sql, Pg)
            .statements
            .iter()
            .map(|s| {
                let data = s.copy_data.as_ref().map(|c| &sql[c.range.clone()]);
                (s.text(sql), data)
            })
            .collect()
    }

    #[test]
    fn split_keeps_copy_data_block_apart_from_sql() {
        let data = "1\ta;b\t$$x\n2\t'it''s\t-- no\n3\t\\N\t/* ; */ \"q\n";
        let sql = format!(
            "SET x = 1;\nCOPY public.t (id, name, note) FROM stdin;\n{data}\\.\nSELECT 'after';\n"
        );
        assert_eq!(
            split_copy(&sql),
            [
                ("SET x = 1;", None),
                ("COPY public.t (id, name, note) FROM stdin;", Some(data)),
                ("SELECT 'after';", None),
            ]
        );
        let out = split(&sql, Pg);
        let copy = out.statements[1].copy_data.as_ref().unwrap();
        assert!(copy.terminated);
        assert_eq!(&sql[copy.end..], "SELECT 'after';\n");
        assert_eq!(out.statements[1].end_with_data(), copy.end);
        assert_eq!(out.statements[2].start, lc(7, 1));
    }

    #[test]
    fn split_recognises_copy_from_stdin_forms_only() {
        for copy in [
            "copy t from STDIN;",
            "COPY t (a, \"b\") FROM stdin WITH (FORMAT csv, HEADER true);",
            "COPY t FROM STDIN (FORMAT csv, DELIMITER ';');",
            "-- lead\nCOPY s.t FROM stdin; -- trailing comment",
        ] {
            let sql = format!("{copy}\n1;2\n\\.\nSELECT 1;");
            let out = split(&sql, Pg);
            assert!(out.diagnostics.is_empty(), "{copy}: {:?}", out.diagnostics);
            assert_eq!(out.statements.len(), 2, "{copy}");
            let data = out.statements[0].copy_data.as_ref().expect(copy);
            assert_eq!(&sql[data.range.clone()], "1;2\n", "{copy}");
        }
        for not_copy in [
            "COPY t FROM '/tmp/f';",
            "COPY t TO STDOUT;",
            "COPY (SELECT a FROM stdin) TO STDOUT;",
            "COPY t FROM PROGRAM 'cat';",
            "SELECT 1 FROM stdin;",
        ] {
            let out = split(not_copy, Pg);
            assert_eq!(out.statements[0].copy_data, None, "{not_copy}");
        }
    }

    #[test]
    fn split_accepts_empty_data_block_and_block_at_end_of_input() {
        assert_eq!(
            split_copy("COPY t FROM stdin;\n\\.\nSELECT 1;"),
            [("COPY t FROM stdin;", Some("")), ("SELECT 1;", None)]
        );
        let sql = "COPY t FROM stdin;\n1\n\\.";
        assert_eq!(split_copy(sql), [("COPY t FROM stdin;", Some("1\n"))]);
        let out = split(sql, Pg);
        assert_eq!(out.statements[0].end_with_data(), sql.len());
        // `\.` must be the whole line: `\.x` and ` \.` are data.
        assert_eq!(
            split_copy("COPY t FROM stdin;\n\\.x\n \\.\n\\.\r\nSELECT 2;"),
            [
                ("COPY t FROM stdin;", Some("\\.x\n \\.\n")),
                ("SELECT 2;", None)
            ]
        );
    }

    #[test]
    fn split_reports_unterminated_copy_data_at_the_copy() {
        let sql = "SELECT 1;\n\nCOPY t FROM stdin;\n1\t'x\n2\t$$\n";
        let out = split(sql, Pg);
        assert_eq!(out.statements.len(), 2);
        let copy = out.statements[1].copy_data.as_ref().unwrap();
        assert!(!copy.terminated);
        assert_eq!(&sql[copy.range.clone()], "1\t'x\n2\t$$\n");
        assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
        let d = &out.diagnostics[0];
        assert_eq!(
            (d.kind, &sql[d.range.clone()], d.start),
            (DiagnosticKind::UnterminatedCopyData, "COPY", lc(3, 1))
        );
        assert!(d.message.contains("\\."), "{}", d.message);
        // A COPY as the very last line has no data at all.
        let out = split("COPY t FROM stdin;", Sqlite);
        assert_eq!(
            out.diagnostics[0].kind,
            DiagnosticKind::UnterminatedCopyData
        );
    }

    #[test]
    fn split_reports_text_after_copy_on_its_line() {
        let sql = "COPY t FROM stdin; SELECT 1;\n1\n\\.\n";
        let out = split(sql, Pg);
        assert_eq!(out.statements.len(), 1);
        let d = &out.diagnostics[0];
        assert_eq!(
            (d.kind, &sql[d.range.clone()]),
            (DiagnosticKind::TextAfterCopy, "SELECT 1;")
        );
        assert_eq!(
            &sql[out.statements[0].copy_data.as_ref().unwrap().range.clone()],
            "1\n"
        );
    }

    #[test]
    fn a_no_break_space_after_copy_is_text_not_whitespace() {
        // The lexer (and the server) read U+00A0 as part of a word, so it is reported, not
        // passed over as trailing space; spaces and tabs still are.
        let sql = "COPY t FROM stdin; \u{a0}\n1\n\\.\n";
        let d = &split(sql, Pg).diagnostics;
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(
            (d[0].kind, &sql[d[0].range.clone()]),
            (DiagnosticKind::TextAfterCopy, "\u{a0}")
        );
        assert!(split("COPY t FROM stdin; \t \n1\n\\.\n", Pg)
            .diagnostics
            .is_empty());
    }
}
