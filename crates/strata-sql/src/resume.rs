//! Lexing a token that the end of a chunk cut, without holding its text: what
//! [`crate::StreamSplitter`] keeps of a long comment, string or dollar quote is a few bytes of
//! state, never the token.
//!
//! Each rule here continues one rule of [`crate::lexer`] from the middle of a token and decides
//! only what the bytes at hand decide: where the in-memory lexer would look past the end of the
//! chunk, it stops and says which bytes to look at again (`Step::More`). A property test checks
//! that streamed splitting equals [`crate::split`] for any chunking.
use crate::lexer::TokenKind;
use crate::Dialect;

/// Where a cut token stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Open {
    /// A run of bytes of one class: whitespace, a word, a parameter, a `--` comment's body.
    Run(Class),
    /// Inside `/* ... */` at nesting `depth`.
    Block { depth: usize, nest: bool },
    /// Inside a quoted run closed by `quote` (doubled quotes stand for themselves).
    Quoted { quote: u8, backslash: bool },
    /// Inside a SQLite `[identifier]`.
    Bracket,
    /// Inside a dollar quote closed by `delim`.
    Dollar { delim: String },
    /// Inside a number.
    Number(Phase),
}

/// Which bytes a [`Open::Run`] goes on with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Space,
    NotNewline,
    IdentCont,
    Digit,
}

impl Class {
    fn has(self, c: u8) -> bool {
        match self {
            Class::Space => crate::lexer::is_space(c),
            Class::NotNewline => c != b'\n',
            Class::IdentCont => crate::lexer::is_ident_cont(c),
            Class::Digit => c.is_ascii_digit(),
        }
    }
}

/// The part of a number being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Int,
    Frac,
    Exp,
    Hex,
}

/// What [`resume`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// The token ends at `end`; `terminated` is false for a quote or comment the input's end cut.
    Done { end: usize, terminated: bool },
    /// The token goes on past the bytes at hand: those before `keep` (a char boundary) are
    /// settled as part of it; lexing goes on at `keep` with the updated state.
    More { keep: usize },
}

/// The state of the token `text` (as the lexer found it, from its first byte) after its opening
/// delimiter, and the offset in `text` where its body starts; `None` for a token that cannot be
/// long (punctuation, `;`).
pub(crate) fn open(kind: TokenKind, text: &str, dialect: Dialect) -> Option<(Open, usize)> {
    let b = text.as_bytes();
    let first = *b.first()?;
    let second = b.get(1).copied();
    Some(match kind {
        TokenKind::Whitespace => (Open::Run(Class::Space), 0),
        TokenKind::LineComment if first == b'#' => (Open::Run(Class::NotNewline), 1),
        TokenKind::LineComment => (Open::Run(Class::NotNewline), 2),
        TokenKind::BlockComment => (
            Open::Block {
                depth: 1,
                nest: dialect == Dialect::Postgres,
            },
            2,
        ),
        // MySQL: `'...'` and `"..."`, both with backslash escapes.
        TokenKind::String if dialect == Dialect::Mysql => (
            Open::Quoted {
                quote: first,
                backslash: true,
            },
            1,
        ),
        TokenKind::String if first == b'\'' => (
            Open::Quoted {
                quote: b'\'',
                backslash: false,
            },
            1,
        ),
        TokenKind::String => (
            Open::Quoted {
                quote: b'\'',
                backslash: true,
            },
            2,
        ),
        TokenKind::QuotedIdentifier if first == b'[' => (Open::Bracket, 1),
        TokenKind::QuotedIdentifier => (
            Open::Quoted {
                quote: first,
                backslash: false,
            },
            1,
        ),
        TokenKind::DollarString => {
            let close = text[1..].find('$')? + 2;
            (
                Open::Dollar {
                    delim: text[..close].to_string(),
                },
                close,
            )
        }
        TokenKind::Word => (Open::Run(Class::IdentCont), 1),
        TokenKind::Parameter => match (first, second) {
            (b'$' | b'?', Some(c)) if c.is_ascii_digit() => (Open::Run(Class::Digit), 1),
            (b'?', _) => (Open::Run(Class::Digit), 1),
            _ => (Open::Run(Class::IdentCont), 1),
        },
        TokenKind::Number => {
            let hex = first == b'0'
                && matches!(second, Some(b'x' | b'X' | b'o' | b'O' | b'b' | b'B'))
                && b.get(2).is_some_and(|c| c.is_ascii_hexdigit());
            if hex {
                (Open::Number(Phase::Hex), 2)
            } else {
                (Open::Number(Phase::Int), 0)
            }
        }
        // Short by construction, or (a `DELIMITER` line) held whole: the splitter reads it.
        TokenKind::Semicolon
        | TokenKind::Punct
        | TokenKind::ExecutableComment
        | TokenKind::Delimiter => return None,
    })
}

/// Go on lexing the token `state` describes at byte `from` of `text` (a char boundary); `eof`:
/// no input follows `text`.
pub(crate) fn resume(state: &mut Open, text: &str, from: usize, eof: bool) -> Step {
    let b = text.as_bytes();
    let len = b.len();
    let at = |i: usize| b.get(i).copied();
    let done = |end: usize| Step::Done {
        end,
        terminated: true,
    };
    let cut = Step::Done {
        end: len,
        terminated: false,
    };
    let more = |keep: usize| Step::More {
        keep: floor_char_boundary(text, keep.min(len)),
    };
    let run = |i: usize, pred: &dyn Fn(u8) -> bool| {
        let mut j = i;
        while j < len && pred(b[j]) {
            j += 1;
        }
        j
    };
    match state {
        Open::Run(class) => {
            let class = *class;
            let j = run(from, &|c| class.has(c));
            if j < len || eof {
                done(j)
            } else {
                more(len)
            }
        }
        Open::Block { depth, nest } => {
            let mut i = from;
            while i + 1 < len {
                match (b[i], b[i + 1]) {
                    (b'*', b'/') => {
                        *depth -= 1;
                        i += 2;
                        if *depth == 0 {
                            return done(i);
                        }
                    }
                    (b'/', b'*') if *nest => {
                        *depth += 1;
                        i += 2;
                    }
                    _ => i += 1,
                }
            }
            if eof {
                cut
            } else {
                more(i)
            }
        }
        Open::Quoted { quote, backslash } => {
            let mut i = from;
            while i < len {
                let c = b[i];
                if *backslash && c == b'\\' {
                    if i + 1 >= len && !eof {
                        return more(i);
                    }
                    i += 2;
                } else if c == *quote {
                    match at(i + 1) {
                        Some(n) if n == *quote => i += 2,
                        Some(_) => return done(i + 1),
                        None if eof => return done(i + 1),
                        None => return more(i),
                    }
                } else {
                    i += 1;
                }
            }
            if eof {
                cut
            } else {
                more(i)
            }
        }
        Open::Bracket => match b[from.min(len)..].iter().position(|&c| c == b']') {
            Some(i) => done(from + i + 1),
            None if eof => cut,
            None => more(len),
        },
        Open::Dollar { delim } => match text[from..].find(delim.as_str()) {
            Some(i) => done(from + i + delim.len()),
            None if eof => cut,
            // An occurrence may start in the last `delim.len() - 1` bytes.
            None => more(from.max(len.saturating_sub(delim.len() - 1))),
        },
        Open::Number(phase) => {
            let digits = |c: u8| c.is_ascii_digit() || c == b'_';
            let mut i = from;
            loop {
                match phase {
                    Phase::Hex | Phase::Exp => {
                        let j = if *phase == Phase::Hex {
                            run(i, &|c| c.is_ascii_hexdigit() || c == b'_')
                        } else {
                            run(i, &digits)
                        };
                        return if j < len || eof { done(j) } else { more(len) };
                    }
                    Phase::Int | Phase::Frac => {
                        let j = run(i, &digits);
                        if j == len && !eof {
                            return more(len);
                        }
                        if *phase == Phase::Int && at(j) == Some(b'.') {
                            match at(j + 1) {
                                None if !eof => return more(j),
                                Some(b'.') => {}
                                _ => {
                                    *phase = Phase::Frac;
                                    i = j + 1;
                                    continue;
                                }
                            }
                        }
                        if matches!(at(j), Some(b'e' | b'E')) {
                            let next = at(j + 1);
                            if next.is_none() && !eof {
                                return more(j);
                            }
                            let sign = usize::from(matches!(next, Some(b'+' | b'-')));
                            match at(j + 1 + sign) {
                                None if !eof => return more(j),
                                Some(c) if c.is_ascii_digit() => {
                                    *phase = Phase::Exp;
                                    i = j + 1 + sign;
                                    continue;
                                }
                                _ => {}
                            }
                        }
                        return done(j);
                    }
                }
            }
        }
    }
}

/// The largest char boundary of `text` at or before `i`.
pub(crate) fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::Lexer;

    /// Lex the first token of `text` by opening it on its first `cut` bytes and resuming on the
    /// rest one byte at a time (keeping what `More` says): the token's end must be the lexer's.
    fn resumed_end(text: &str, cut: usize, dialect: Dialect) -> Option<usize> {
        let (_, token) = Lexer::new(text, dialect).next()?;
        let head = floor_char_boundary(text, cut.max(token.len.min(3)).min(text.len()));
        let (_, short) = Lexer::new(&text[..head], dialect).next()?;
        let (mut state, body) = open(short.kind, &text[..head], dialect)?;
        if short.kind != token.kind {
            return None;
        }
        // Feed on: the window starts at `kept` (absolute) and ends at `end`.
        let mut kept = 0;
        let mut end = head;
        let mut from = body;
        loop {
            let eof = end == text.len();
            match resume(&mut state, &text[kept..end], from - kept, eof) {
                Step::Done { end: e, .. } => return Some(kept + e),
                Step::More { keep } => {
                    kept += keep;
                    from = kept;
                    end = (end + 1).min(text.len());
                    while !text.is_char_boundary(end) {
                        end += 1;
                    }
                }
            }
        }
    }

    #[test]
    fn resumed_tokens_end_where_the_lexer_ends_them() {
        let cases = [
            "/* a /* b */ c */ x",
            "/* a **/ x",
            "/* é*/*/x",
            "'it''s é' x",
            "'a''",
            r"E'a\'b\\' x",
            "\"q\"\"x\" y",
            "$tag$ a $ta $tag$ x",
            "$$ é $$x",
            "   \n\t x",
            "-- comment é\nx",
            "abcdé$x y",
            "12_345.67e+10x",
            "1..2",
            "1.e",
            "1e+",
            "0x1F_ab x",
            ".5e3 x",
            "$12 x",
        ];
        for text in cases {
            for dialect in [Dialect::Postgres, Dialect::Sqlite] {
                let (_, token) = Lexer::new(text, dialect).next().unwrap();
                for cut in 1..=text.len() {
                    if let Some(end) = resumed_end(text, cut, dialect) {
                        assert_eq!(end, token.len, "{text:?} {dialect:?} cut {cut}");
                    }
                }
            }
        }
    }
}
