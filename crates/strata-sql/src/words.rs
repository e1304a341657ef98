//! A statement's significant tokens as words, for keyword matching (`classify`, `locks`):
//! keywords and identifiers upper-cased, punctuation as written, quoted text a placeholder that
//! matches no keyword, comments and whitespace dropped. Raw text is kept for names.

use crate::lexer::{Lexer, TokenKind};
use crate::Dialect;

pub(crate) struct Words<'a> {
    items: Vec<(TokenKind, String, &'a str)>,
}

impl<'a> Words<'a> {
    pub(crate) fn new(statement: &'a str, dialect: Dialect) -> Self {
        let items = Lexer::new(statement, dialect)
            .filter(|(_, t)| !t.is_trivia())
            .map(|(offset, t)| {
                let raw = &statement[offset..offset + t.len];
                let upper = match t.kind {
                    TokenKind::Word | TokenKind::Punct | TokenKind::Semicolon => {
                        raw.to_ascii_uppercase()
                    }
                    _ => "\u{0}".to_string(),
                };
                (t.kind, upper, raw)
            })
            .collect();
        Words { items }
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// The `i`th significant token, upper-cased (`""` past the end; quoted text is a
    /// placeholder that matches no keyword).
    pub(crate) fn get(&self, i: usize) -> &str {
        self.items.get(i).map_or("", |t| t.1.as_str())
    }

    /// The `i`th significant token as written (`""` past the end).
    pub(crate) fn raw(&self, i: usize) -> &str {
        self.items.get(i).map_or("", |t| t.2)
    }

    /// Skip, in any order, each optional keyword sequence once, starting at `i`.
    pub(crate) fn skip(&self, mut i: usize, optional: &[&[&str]]) -> usize {
        let mut moved = true;
        while moved {
            moved = false;
            for seq in optional {
                if seq.iter().enumerate().all(|(j, w)| self.get(i + j) == *w) {
                    i += seq.len();
                    moved = true;
                }
            }
        }
        i
    }

    /// Index just past a parenthesised list starting at `i`, or `i` if there is none.
    pub(crate) fn skip_parens(&self, i: usize) -> usize {
        if self.get(i) != "(" {
            return i;
        }
        let mut depth = 0usize;
        for j in i..self.len() {
            match self.get(j) {
                "(" => depth += 1,
                ")" => {
                    depth -= 1;
                    if depth == 0 {
                        return j + 1;
                    }
                }
                _ => {}
            }
        }
        self.len()
    }

    pub(crate) fn has_top_level_comma(&self, from: usize) -> bool {
        let mut depth = 0i32;
        for j in from..self.len() {
            match self.get(j) {
                "(" => depth += 1,
                ")" => depth -= 1,
                "," if depth == 0 => return true,
                _ => {}
            }
        }
        false
    }

    /// A possibly qualified name (`a`, `s.a`, `"S"."A"`) starting at `i`, as written.
    pub(crate) fn name_at(&self, mut i: usize) -> Option<String> {
        let mut name = String::new();
        loop {
            let (kind, _, raw) = self.items.get(i)?;
            if !matches!(kind, TokenKind::Word | TokenKind::QuotedIdentifier) {
                return None;
            }
            name.push_str(raw);
            if self.get(i + 1) == "." {
                name.push('.');
                i += 2;
            } else {
                return Some(name);
            }
        }
    }

    /// The names after the first in a list `a, ONLY b *, s.c` whose first name starts at `i`,
    /// as written (`DROP INDEX a, b`, `TRUNCATE a, b`); empty when no comma follows it.
    pub(crate) fn more_names_at(&self, mut i: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut first = true;
        while let Some(name) = self.name_at(i) {
            // A qualified name spans two tokens per dot.
            i += 2 * name_parts(self, i) - 1;
            if !first {
                out.push(name);
            }
            first = false;
            if self.get(i) == "*" {
                i += 1;
            }
            if self.get(i) != "," {
                break;
            }
            i = self.skip(i + 1, &[&["ONLY"]]);
        }
        out
    }

    /// Whether the tokens from `i` on start with `words`.
    pub(crate) fn at(&self, i: usize, words: &[&str]) -> bool {
        words.iter().enumerate().all(|(j, w)| self.get(i + j) == *w)
    }

    /// Whether the statement ends at token `i` (nothing left but a `;`).
    pub(crate) fn ends_at(&self, i: usize) -> bool {
        matches!(self.get(i), "" | ";")
    }

    /// Whether `word` is one of the tokens.
    pub(crate) fn contains(&self, word: &str) -> bool {
        self.items.iter().any(|t| t.1 == word)
    }
}

/// How many dotted parts the name at `i` has.
fn name_parts(words: &Words<'_>, mut i: usize) -> usize {
    let mut n = 1;
    while words.get(i + 1) == "." {
        n += 1;
        i += 2;
    }
    n
}
