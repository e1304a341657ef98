//! [`split`](crate::split) for input that arrives in chunks (a file too large to hold in memory).
//!
//! [`StreamSplitter`] lexes the input token by token as it arrives and carries the lexer's
//! state across chunk edges, so what it holds is bounded whatever the input's line or token
//! length:
//!
//! * the window: input not lexed yet (at most a chunk, plus a short token the chunk edge cut,
//!   and the tag of a dollar quote);
//! * a long token the chunk edge cut (a comment, a string, a dollar quote...) is not held: only
//!   its lexer state ([`crate::resume`]) and its first bytes;
//! * the text of the statement in progress, up to the splitter's limit
//!   ([`StreamSplitter::with_limit`]); a longer statement is handed on with its start only
//!   (`whole: false`). Comments between statements are never held;
//! * a COPY data block is not held: it is handed on as it arrives ([`Event::CopyData`]).
//!
//! Offsets in events are absolute (into the whole input); the statements, data ranges and
//! diagnostics are exactly those [`split`](crate::split) gives on the whole input (a property
//! test checks it for random inputs and chunk sizes).
use crate::lexer::delimiter_arg;
use crate::lexer::{Lexer, TokenKind};
use crate::resume::{self, floor_char_boundary, Open, Step};
use crate::span::LineCol;
use crate::split::{
    invalid_delimiter, unclosed_block, unclosed_paren, unterminated, CopyData, Diagnostic,
    DiagnosticKind, Pending, Statement,
};
use crate::Dialect;
use std::borrow::Cow;

/// A token ending closer than this to the end of the window may still change with more input
/// (the lexer looks up to three bytes past a token's end, e.g. `1e+5`).
const MARGIN: usize = 3;
/// A token cut by the window's end is waited for while shorter than this, and lexed on from its
/// state ([`crate::resume`]) once longer; also how many of its first bytes are kept.
const HOLD: usize = 64;
/// How much of a statement longer than the limit is kept (and handed on as its text).
const OVER_HEAD: usize = 64 << 10;

/// What the splitter found, in input order.
#[derive(Debug)]
pub enum Event<'a> {
    /// A finished statement and its text. For `COPY ... FROM stdin` (`copy` is true), its
    /// `copy_data` is still `None`: the data follows as [`Event::CopyData`] pieces, then an
    /// [`Event::CopyEnd`].
    Statement {
        /// The statement (absolute byte range and position).
        statement: Statement,
        /// Its text (`;` included); only its start when `whole` is false. A long statement's
        /// text is handed over owned (`into_owned` takes it without a copy).
        text: Cow<'a, str>,
        /// `text` is the statement's whole text: false when the statement is longer than the
        /// splitter's limit (`statement.range` still tells its length).
        whole: bool,
        /// A COPY data block follows.
        copy: bool,
    },
    /// A piece of the current COPY data block: whole rows, or part of a long row. Pieces are
    /// contiguous and cover the block's data exactly.
    CopyData {
        /// Absolute byte offset of `text`.
        offset: usize,
        /// The data.
        text: &'a str,
    },
    /// The current COPY data block ended (at a `\.` line, or at the end of the input).
    CopyEnd(CopyData),
}

enum State {
    /// Lexing SQL.
    Sql,
    /// After a COPY statement's `;`: the rest of its line.
    CopyLine(CopyLine),
    /// Inside a COPY data block that started at `data_start`.
    CopyData {
        statement: Statement,
        data_start: usize,
        /// The window starts inside a row (its start was already handed on).
        mid_line: bool,
    },
}

/// The rest of a COPY statement's line, read as it arrives.
struct CopyLine {
    statement: Statement,
    /// The first non-blank character: offset, position, whether `--` starts there.
    first: Option<(usize, LineCol, bool)>,
    /// Just past the last non-blank character.
    last_end: usize,
}

/// A long token cut by the window's end.
struct Cut {
    kind: TokenKind,
    start: usize,
    pos: LineCol,
    /// Its first bytes (its opening delimiter at least).
    head: String,
    state: Open,
}

/// A resumable [`split`](crate::split): feed chunks with [`feed`](StreamSplitter::feed), then
/// call [`finish`](StreamSplitter::finish).
///
/// ```
/// use strata_sql::{Dialect, StreamEvent, StreamSplitter};
/// let mut s = StreamSplitter::new(Dialect::Postgres);
/// let mut texts = Vec::new();
/// let mut sink = |e: StreamEvent<'_>| -> Result<(), ()> {
///     if let StreamEvent::Statement { text, .. } = e {
///         texts.push(text.to_string());
///     }
///     Ok(())
/// };
/// for chunk in ["SELECT 'a;", "b'; SEL", "ECT 2;"] {
///     s.feed(chunk, &mut sink).unwrap();
/// }
/// let diagnostics = s.finish(&mut sink).unwrap();
/// assert!(diagnostics.is_empty());
/// assert_eq!(texts, ["SELECT 'a;b';", "SELECT 2;"]);
/// ```
pub struct StreamSplitter {
    dialect: Dialect,
    /// `buf[at..]` is the input from absolute offset `base` on, not lexed yet.
    buf: String,
    at: usize,
    base: usize,
    /// The position of `buf[pos_idx]` (`pos_idx <= at`): positions are counted only when one
    /// is needed (a statement's start, a diagnostic), over every byte since the last one.
    pos_idx: usize,
    pos: LineCol,
    state: State,
    cut: Option<Cut>,
    /// The statement in progress.
    current: Option<Pending>,
    /// Positions of the statement's first unclosed block and parenthesis.
    depth_pos: Option<LineCol>,
    paren_pos: Option<LineCol>,
    /// The last `BEGIN` word: offset and position (a `BEGIN ATOMIC` opens there).
    begin_pos: Option<(usize, LineCol)>,
    /// The statement's text so far, while within `limit`.
    text: String,
    /// Comments and blanks after the statement's last token: part of it only if a token follows.
    trivia: String,
    /// `trivia` outgrew the limit (and was dropped).
    trivia_over: bool,
    /// The statement outgrew the limit: `text` is its start only.
    over: bool,
    limit: usize,
    high_water: usize,
    diagnostics: Vec<Diagnostic>,
    scratch: String,
    /// MySQL: the delimiter in force (a `DELIMITER` line sets it).
    delim: String,
    /// MySQL: only blanks precede the window's start on its line.
    line_blank: bool,
}

impl StreamSplitter {
    /// A splitter at the start of the input that hands on every statement's whole text.
    pub fn new(dialect: Dialect) -> Self {
        StreamSplitter::with_limit(dialect, usize::MAX)
    }

    /// A splitter that holds at most `limit` bytes of a statement: a longer one is handed on
    /// with `whole: false` and only its first `limit` bytes (at most 64 KiB of them).
    pub fn with_limit(dialect: Dialect, limit: usize) -> Self {
        StreamSplitter {
            dialect,
            buf: String::new(),
            at: 0,
            base: 0,
            pos_idx: 0,
            pos: LineCol { line: 1, column: 1 },
            state: State::Sql,
            cut: None,
            current: None,
            depth_pos: None,
            paren_pos: None,
            begin_pos: None,
            text: String::new(),
            trivia: String::new(),
            trivia_over: false,
            over: false,
            limit,
            high_water: 0,
            diagnostics: Vec::new(),
            scratch: String::new(),
            delim: ";".to_string(),
            line_blank: true,
        }
    }

    /// Bytes of input held in the window (not lexed yet).
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.at
    }

    /// The most bytes held at once so far: window, statement text and trivia (for tests and
    /// memory checks).
    #[doc(hidden)]
    pub fn high_water(&self) -> usize {
        self.high_water
    }

    fn note_held(&mut self) {
        let held = self.buf.len()
            + self.text.len()
            + self.trivia.len()
            + self.cut.as_ref().map_or(0, |c| c.head.len());
        self.high_water = self.high_water.max(held);
    }

    /// Append `chunk` (the next part of the input) and hand `sink` every event it completes.
    /// Stops at the sink's first error.
    pub fn feed<E>(
        &mut self,
        chunk: &str,
        sink: &mut dyn FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.at > 0 {
            self.base_pos();
            self.buf.drain(..self.at);
            self.at = 0;
            self.pos_idx = 0;
        }
        if self.buf.capacity() > 2 * (self.buf.len() + chunk.len()).max(1 << 16) {
            self.buf.shrink_to(self.buf.len() + chunk.len());
        }
        self.buf.push_str(chunk);
        self.note_held();
        self.pump(false, sink)
    }

    /// The input ended: hand on what is left and return every diagnostic, in input order (as
    /// [`split`](crate::split) reports them).
    pub fn finish<E>(
        mut self,
        sink: &mut dyn FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<Vec<Diagnostic>, E> {
        self.pump(true, sink)?;
        let mut d = std::mem::take(&mut self.diagnostics);
        d.sort_by_key(|d| d.range.start);
        Ok(d)
    }

    fn window(&self) -> &str {
        &self.buf[self.at..]
    }

    /// The position of `base` (the window's start).
    fn base_pos(&mut self) -> LineCol {
        let gone = &self.buf[self.pos_idx..self.at];
        let newlines = gone.bytes().filter(|&b| b == b'\n').count();
        // Columns count characters: every byte but UTF-8 continuation bytes.
        let chars = |s: &[u8]| s.iter().filter(|&&b| b & 0xc0 != 0x80).count();
        if newlines > 0 {
            let last = gone.bytes().rposition(|b| b == b'\n').unwrap_or(0);
            self.pos.line += newlines;
            self.pos.column = chars(&gone.as_bytes()[last + 1..]) + 1;
        } else {
            self.pos.column += chars(gone.as_bytes());
        }
        self.pos_idx = self.at;
        self.pos
    }

    /// The position of window byte `i`.
    fn pos_of(&mut self, i: usize) -> LineCol {
        let base = self.base_pos();
        let at = crate::line_col(self.window(), i);
        if at.line == 1 {
            LineCol {
                line: base.line,
                column: base.column + at.column - 1,
            }
        } else {
            LineCol {
                line: base.line + at.line - 1,
                column: at.column,
            }
        }
    }

    /// Drop the first `n` bytes of the window.
    fn consume(&mut self, n: usize) {
        if self.dialect == Dialect::Mysql {
            let gone = &self.buf.as_bytes()[self.at..self.at + n];
            let blank = |s: &[u8]| s.iter().all(|&c| matches!(c, b' ' | b'\t' | b'\r'));
            self.line_blank = match gone.iter().rposition(|&c| c == b'\n') {
                Some(i) => blank(&gone[i + 1..]),
                None => self.line_blank && blank(gone),
            };
        }
        self.base += n;
        self.at += n;
    }

    /// Settle the window's first `n` bytes as part of the current token (`trivia`: a comment or
    /// blanks): into the statement's text if a statement is in progress, then consume them.
    fn settle(&mut self, n: usize, trivia: bool) {
        if self.current.is_some() {
            let piece = self.at..self.at + n;
            if trivia {
                if !self.over && !self.trivia_over {
                    if self.text.len() + self.trivia.len() + n > self.limit {
                        self.trivia_over = true;
                        self.trivia = String::new();
                    } else {
                        self.trivia.push_str(&self.buf[piece]);
                    }
                }
            } else {
                if self.trivia_over {
                    self.overflow();
                } else if !self.trivia.is_empty() {
                    self.text.push_str(&self.trivia);
                    self.trivia.clear();
                }
                if !self.over {
                    if self.text.len() + n > self.limit {
                        let room = self.limit.min(OVER_HEAD).saturating_sub(self.text.len());
                        let piece = &self.buf[piece];
                        self.text
                            .push_str(&piece[..floor_char_boundary(piece, room)]);
                        self.overflow();
                    } else {
                        self.text.push_str(&self.buf[piece]);
                    }
                }
            }
            self.note_held();
        }
        self.consume(n);
    }

    /// The statement in progress is longer than the limit: keep its start only.
    fn overflow(&mut self) {
        self.over = true;
        let keep = floor_char_boundary(&self.text, self.limit.min(OVER_HEAD));
        self.text.truncate(keep);
        self.text.shrink_to_fit();
        self.trivia = String::new();
        self.trivia_over = false;
    }

    fn pump<E>(
        &mut self,
        eof: bool,
        sink: &mut dyn FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        loop {
            let progressed = match std::mem::replace(&mut self.state, State::Sql) {
                State::Sql => self.sql(eof, sink)?,
                State::CopyLine(line) => self.copy_line(line, eof),
                State::CopyData {
                    statement,
                    data_start,
                    mid_line,
                } => self.copy_data(statement, data_start, mid_line, eof, sink)?,
            };
            if !progressed {
                return Ok(());
            }
        }
    }

    /// Lex the window token by token. Returns whether to go on (a COPY statement switched the
    /// state).
    fn sql<E>(
        &mut self,
        eof: bool,
        sink: &mut dyn FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<bool, E> {
        loop {
            // A long token cut by the previous window's end goes on.
            if let Some(mut cut) = self.cut.take() {
                let step = resume::resume(&mut cut.state, self.window(), 0, eof);
                let trivia = is_trivia(cut.kind);
                match step {
                    Step::More { keep } => {
                        self.settle(keep, trivia);
                        self.cut = Some(cut);
                        return Ok(false);
                    }
                    Step::Done { end, terminated } => {
                        self.settle(end, trivia);
                        let head = std::mem::take(&mut cut.head);
                        if self.token(cut.kind, &head, cut.start, cut.pos, terminated, sink)? {
                            return Ok(true);
                        }
                        continue;
                    }
                }
            }
            let window = self.window();
            let lexer = Lexer::resumed(window, self.dialect, &self.delim, self.line_blank);
            let Some((_, t)) = { lexer }.next() else {
                if eof {
                    self.end_of_input(sink)?;
                }
                return Ok(false);
            };
            // A MySQL delimiter may be longer than the lexer's look-ahead, and is looked for
            // inside words.
            let ahead = MARGIN.max(self.delim.len());
            let settled = eof
                || (t.len + ahead <= window.len()
                    && !(self.dialect == Dialect::Postgres && dollar_tag_cut(window)));
            let custom = self.delim != ";";
            let start = self.base;
            if !settled {
                let pos = self.base_pos();
                let window = self.window();
                // A custom delimiter may end a word, number or parameter anywhere: those are
                // waited for whole.
                let delimited = custom
                    && matches!(
                        t.kind,
                        TokenKind::Word | TokenKind::Number | TokenKind::Parameter
                    );
                let opened = (t.len >= HOLD && !delimited)
                    .then(|| resume::open(t.kind, &window[..t.len], self.dialect))
                    .flatten();
                let Some((mut state, body)) = opened else {
                    // Short: wait for more input (the window holds it).
                    return Ok(false);
                };
                let head = window[..floor_char_boundary(window, body.max(HOLD))].to_string();
                let trivia = is_trivia(t.kind);
                let step = resume::resume(&mut state, window, body, false);
                if !trivia && self.current.is_none() {
                    self.current = Some(Pending::new_at(start, pos));
                }
                match step {
                    Step::More { keep } => {
                        self.settle(keep, trivia);
                        self.cut = Some(Cut {
                            kind: t.kind,
                            start,
                            pos,
                            head,
                            state,
                        });
                        self.note_held();
                        return Ok(false);
                    }
                    Step::Done { end, terminated } => {
                        self.settle(end, trivia);
                        if self.token(t.kind, &head, start, pos, terminated, sink)? {
                            return Ok(true);
                        }
                        continue;
                    }
                }
            }
            // One buffer for every token's head (no allocation per token).
            let head_len = token_head(window, t.kind, t.len).len();
            let mut head = std::mem::take(&mut self.scratch);
            head.clear();
            head.push_str(&self.buf[self.at..self.at + head_len]);
            // A position is counted only where the statement rules may need it.
            let needs_pos = !t.terminated
                || t.kind == TokenKind::Delimiter
                || (!t.is_trivia()
                    && t.kind != TokenKind::Semicolon
                    && (self.current.is_none()
                        || head == "("
                        || head.eq_ignore_ascii_case("BEGIN")));
            let pos = if needs_pos {
                self.base_pos()
            } else {
                LineCol::default()
            };
            let unsent =
                t.kind == TokenKind::Delimiter || (custom && t.kind == TokenKind::Semicolon);
            if !t.is_trivia() && t.kind != TokenKind::Semicolon && !unsent && self.current.is_none()
            {
                self.current = Some(Pending::new_at(start, pos));
            }
            // Not part of a statement's text: a `DELIMITER` line, a custom delimiter.
            self.settle(t.len, t.is_trivia() || unsent);
            let copy = self.token(t.kind, &head, start, pos, t.terminated, sink);
            self.scratch = head;
            if copy? {
                return Ok(true);
            }
        }
    }

    /// A whole token (already settled): `head` is its start (all of it when short). Returns
    /// whether a COPY statement ended (the state changed).
    fn token<E>(
        &mut self,
        kind: TokenKind,
        head: &str,
        offset: usize,
        pos: LineCol,
        terminated: bool,
        sink: &mut dyn FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<bool, E> {
        if !terminated {
            self.diagnostics.push(unterminated(kind, head, offset, pos));
        }
        if is_trivia(kind) {
            return Ok(false);
        }
        if kind == TokenKind::Delimiter {
            self.end_of_input(sink)?;
            match delimiter_arg(head) {
                Ok(delim) => {
                    self.delim.clear();
                    self.delim.push_str(delim);
                }
                Err(bad) => self.diagnostics.push(invalid_delimiter(bad, offset, pos)),
            }
            return Ok(false);
        }
        let end = self.base;
        if kind == TokenKind::Semicolon {
            let custom = head != ";";
            let Some(p) = self.current.as_mut() else {
                return Ok(false);
            };
            p.semicolon();
            if !custom && (p.depth > 0 || p.paren > 0) {
                p.end = end;
                p.swallowed = true;
                return Ok(false);
            }
            let copy = p.copy_from_stdin;
            let statement = p.finish(if custom { p.end } else { end });
            self.emit(statement.clone(), copy, sink)?;
            if copy {
                self.state = State::CopyLine(CopyLine {
                    statement,
                    first: None,
                    last_end: self.base,
                });
                return Ok(true);
            }
            return Ok(false);
        }
        if kind == TokenKind::Word && head.eq_ignore_ascii_case("BEGIN") {
            self.begin_pos = Some((offset, pos));
        }
        let p = self
            .current
            .get_or_insert_with(|| Pending::new_at(offset, pos));
        p.end = end;
        let (depth_before, paren_before) = (p.depth_opened, p.paren_opened);
        p.feed_streamed(self.dialect, kind, head, offset);
        let (depth_after, paren_after) = (p.depth_opened, p.paren_opened);
        if depth_after != depth_before {
            self.depth_pos = depth_after.map(|o| match self.begin_pos {
                Some((b, bpos)) if b == o => bpos,
                _ => pos,
            });
        }
        if paren_after != paren_before {
            self.paren_pos = Some(pos);
        }
        Ok(false)
    }

    /// Hand on the statement in progress and forget it.
    fn emit<E>(
        &mut self,
        statement: Statement,
        copy: bool,
        sink: &mut dyn FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.current = None;
        self.depth_pos = None;
        self.paren_pos = None;
        self.trivia = String::new();
        self.trivia_over = false;
        let whole = !self.over;
        self.over = false;
        // A long text is given away (held once, by whoever runs it); a short one's buffer is
        // kept for the next statement.
        let text = if self.text.capacity() > 1 << 20 {
            // Shrinking a large allocation remaps it (no copy) and drops the growth slack.
            self.text.shrink_to_fit();
            Cow::Owned(std::mem::take(&mut self.text))
        } else {
            Cow::Borrowed(self.text.as_str())
        };
        let result = sink(Event::Statement {
            statement,
            text,
            whole,
            copy,
        });
        self.text.clear();
        result
    }

    /// No more input: the statement in progress ends at its last token.
    fn end_of_input<E>(
        &mut self,
        sink: &mut dyn FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let Some(p) = self.current.take() else {
            return Ok(());
        };
        if let Some(begin) = p.depth_opened.filter(|_| p.depth > 0) {
            let start = self.depth_pos.unwrap_or_default();
            self.diagnostics.push(unclosed_block(begin, start));
        }
        if let Some(open) = p.paren_opened.filter(|_| p.paren > 0 && p.swallowed) {
            let start = self.paren_pos.unwrap_or_default();
            self.diagnostics.push(unclosed_paren(open, start));
        }
        let statement = p.finish(p.end);
        self.emit(statement, false, sink)
    }

    /// The rest of a COPY statement's line (only a `--` comment may stand there), read as it
    /// arrives.
    fn copy_line(&mut self, mut line: CopyLine, eof: bool) -> bool {
        let window = self.window();
        let mut scanned = window.len();
        let mut newline = None;
        let mut found = None;
        for (i, c) in window.char_indices() {
            if c == '\n' {
                newline = Some(i);
                scanned = i;
                break;
            }
            // SQL's whitespace, as `split` has it (a no-break space is text).
            if c.is_ascii() && crate::lexer::is_space(c as u8) {
                continue;
            }
            if line.first.is_none() && found.is_none() {
                if c == '-' && i + 1 == window.len() && !eof {
                    // `--` or not: the next chunk tells.
                    scanned = i;
                    break;
                }
                found = Some((i, window[i..].starts_with("--")));
            }
            line.last_end = self.base + i + c.len_utf8();
        }
        if let Some((i, comment)) = found {
            line.first = Some((self.base + i, self.pos_of(i), comment));
        }
        if newline.is_none() && !eof {
            self.consume(scanned);
            self.state = State::CopyLine(line);
            return false;
        }
        if let Some((from, start, false)) = line.first {
            self.diagnostics.push(Diagnostic {
                kind: DiagnosticKind::TextAfterCopy,
                range: from..line.last_end,
                start,
                message: "nothing but a `--` comment may follow `COPY ... FROM stdin;` on its \
                          line: the data starts on the next line"
                    .into(),
            });
        }
        self.consume(newline.map_or(scanned, |i| i + 1));
        self.state = State::CopyData {
            statement: line.statement,
            data_start: self.base,
            mid_line: false,
        };
        true
    }

    /// Hand on the data rows in the window, up to a `\.` line.
    fn copy_data<E>(
        &mut self,
        statement: Statement,
        data_start: usize,
        mut mid_line: bool,
        eof: bool,
        sink: &mut dyn FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<bool, E> {
        let window = self.window();
        let bytes = window.as_bytes();
        let mut line = 0;
        // `Some((start, end of its newline or input))` once the `\.` line is found.
        let mut stop = None;
        loop {
            let end = bytes[line..].iter().position(|&b| b == b'\n');
            let text_end = end.map_or(bytes.len(), |i| line + i);
            if end.is_none() && !eof {
                break;
            }
            if !mid_line && matches!(&window[line..text_end], "\\." | "\\.\r") {
                stop = Some((line, end.map_or(text_end, |_| text_end + 1)));
                break;
            }
            mid_line = false;
            match end {
                Some(_) => line = text_end + 1,
                None => {
                    line = text_end;
                    break;
                }
            }
        }
        // A trailing partial row that cannot become a `\.` line is data already.
        let mut data_end = stop.map_or(line, |(s, _)| s);
        if stop.is_none() && !eof {
            let partial = &window[line..];
            if !partial.is_empty() && (mid_line || !"\\.\r".starts_with(partial)) {
                data_end = window.len();
            }
        }
        if data_end > 0 {
            sink(Event::CopyData {
                offset: self.base,
                text: &window[..data_end],
            })?;
        }
        match stop {
            Some((start, after)) => {
                let end = CopyData {
                    range: data_start..start + self.base,
                    end: after + self.base,
                    terminated: true,
                };
                self.consume(after);
                sink(Event::CopyEnd(end))?;
                self.state = State::Sql;
                Ok(true)
            }
            None if eof => {
                let all = window.len();
                let len = self.base + all;
                self.consume(all);
                self.diagnostics.push(Diagnostic {
                    kind: DiagnosticKind::UnterminatedCopyData,
                    range: statement.range.start..statement.range.start + "COPY".len(),
                    start: statement.start,
                    message: "the data of this COPY ... FROM stdin is never ended by a line `\\.`"
                        .into(),
                });
                sink(Event::CopyEnd(CopyData {
                    range: data_start..len,
                    end: len,
                    terminated: false,
                }))?;
                self.state = State::Sql;
                Ok(false)
            }
            None => {
                let mid = data_end > line;
                self.consume(data_end);
                self.state = State::CopyData {
                    statement,
                    data_start,
                    mid_line: mid,
                };
                Ok(false)
            }
        }
    }
}

fn is_trivia(kind: TokenKind) -> bool {
    matches!(
        kind,
        TokenKind::Whitespace | TokenKind::LineComment | TokenKind::BlockComment
    )
}

/// The first bytes of the token of `kind` and length `len` that starts `window`: all of a short
/// one, the opening delimiter of a long one (what a diagnostic and the statement rules look at).
fn token_head(window: &str, kind: TokenKind, len: usize) -> &str {
    let delim = match kind {
        TokenKind::DollarString => window[1..len].find('$').map_or(len, |i| i + 2),
        // Held whole (never cut): the delimiter it sets is read from it.
        TokenKind::Delimiter => len,
        _ => 0,
    };
    &window[..floor_char_boundary(window, delim.max(HOLD).min(len))]
}

/// The window starts with `$` and a would-be dollar-quote tag that runs to its end: whether it
/// is a dollar quote depends on what follows.
fn dollar_tag_cut(window: &str) -> bool {
    let b = window.as_bytes();
    b.first() == Some(&b'$')
        && b[1..]
            .iter()
            .all(|&c| c != b'$' && crate::lexer::is_ident_cont(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::split::split;

    /// Split `sql` fed in chunks of `size` bytes (rounded up to char boundaries) into a
    /// [`crate::Split`]-like result.
    fn streamed(sql: &str, size: usize, dialect: Dialect) -> crate::Split {
        let mut s = StreamSplitter::new(dialect);
        let mut statements: Vec<Statement> = Vec::new();
        let mut data = String::new();
        let mut sink = |e: Event<'_>| -> Result<(), ()> {
            match e {
                Event::Statement { statement, .. } => statements.push(statement),
                Event::CopyData { offset, text } => {
                    assert_eq!(&sql[offset..offset + text.len()], text);
                    data.push_str(text);
                }
                Event::CopyEnd(c) => {
                    assert_eq!(&sql[c.range.clone()], data);
                    data.clear();
                    statements.last_mut().unwrap().copy_data = Some(c);
                }
            }
            Ok(())
        };
        let mut at = 0;
        while at < sql.len() {
            let mut end = (at + size).min(sql.len());
            while !sql.is_char_boundary(end) {
                end += 1;
            }
            s.feed(&sql[at..end], &mut sink).unwrap();
            at = end;
        }
        let diagnostics = s.finish(&mut sink).unwrap();
        crate::Split {
            statements,
            diagnostics,
        }
    }

    #[test]
    fn stream_split_matches_split_on_copy_and_dollar_quotes_across_chunks() {
        let sql = "SET x = 1;\nCREATE FUNCTION f() RETURNS int AS $body$ BEGIN; RETURN 1; END $body$ LANGUAGE plpgsql;\n\
                   COPY t (a) FROM stdin; -- rows\n1\t$$\n\\.x\n\\.\r\nINSERT INTO t VALUES ('é;'); SELECT 'tail";
        for size in 1..sql.len() + 1 {
            assert_eq!(
                streamed(sql, size, Dialect::Postgres),
                split(sql, Dialect::Postgres),
                "{size}"
            );
        }
    }

    #[test]
    fn stream_split_reports_unterminated_copy_and_text_after_copy() {
        for sql in [
            "COPY t FROM stdin;",
            "COPY t FROM stdin; SELECT 1;\n1\n\\.",
            "SELECT 1;\nCOPY t FROM stdin;\n1\n2",
        ] {
            for size in 1..sql.len() + 1 {
                assert_eq!(
                    streamed(sql, size, Dialect::Postgres),
                    split(sql, Dialect::Postgres),
                    "{sql:?} {size}"
                );
            }
        }
    }

    #[test]
    fn stream_split_reports_a_no_break_space_after_copy_as_split_does() {
        let sql = "COPY t FROM stdin; \u{a0}\n1\n\\.\n";
        assert_eq!(split(sql, Dialect::Postgres).diagnostics.len(), 1);
        for size in 1..sql.len() + 1 {
            assert_eq!(
                streamed(sql, size, Dialect::Postgres),
                split(sql, Dialect::Postgres),
                "{size}"
            );
        }
    }

    #[test]
    fn stream_split_does_not_buffer_copy_data() {
        let mut s = StreamSplitter::new(Dialect::Postgres);
        let mut sink = |_: Event<'_>| -> Result<(), ()> { Ok(()) };
        s.feed("COPY t FROM stdin;\n", &mut sink).unwrap();
        for _ in 0..1000 {
            s.feed("1\tsome row data\n", &mut sink).unwrap();
            assert!(s.buffered() < 64, "{}", s.buffered());
        }
        s.feed("a very long row without its newline yet", &mut sink)
            .unwrap();
        assert!(s.buffered() < 64);
    }

    #[test]
    fn stream_split_matches_split_on_mysql_delimiters_across_chunks() {
        let sql = "/*!40101 SET NAMES utf8 */;\n# c;\nDELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT \"a$$\"; END$$\n  delimiter //\nSELECT `x//`//\nDELIMITER\nDELIMITER ;\nCREATE FUNCTION f() RETURNS int BEGIN RETURN 1; END;\nSELECT 1--1;\nSELECT 'tail";
        for size in 1..sql.len() + 1 {
            assert_eq!(
                streamed(sql, size, Dialect::Mysql),
                split(sql, Dialect::Mysql),
                "{size}"
            );
        }
        assert_eq!(split(sql, Dialect::Mysql).statements.len(), 6);
    }
}
