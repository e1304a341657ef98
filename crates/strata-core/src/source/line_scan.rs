//! The line-by-line part of reading a streamed file ([`super::stream::scan`]): where the
//! `-- strata:` directive lines are and whether `-- strata:out-of-order` leads the file, by the
//! same rules as the whole-file scan ([`super::markers::CommentLines`] and the directive scan),
//! fed the text in pieces. A line is never held whole: at most its first [`LINE_HEAD`] bytes,
//! and a few bytes of state, whatever its length.

/// How much of a line is kept: a directive line's text, at most.
pub(super) const LINE_HEAD: usize = 4096;
/// At most this many `-- strata:` lines are kept from a streamed file (each is checked).
const MAX_DIRECTIVE_LINES: usize = 1000;
const STRATA: &[u8] = b"strata:";

/// Where a line stands for [`super::markers::CommentLines::is_comment`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comment {
    /// Only blanks (and closed `/* */` comments) so far.
    Start,
    /// After a first `-`.
    Dash,
    /// After a first `/`.
    Slash,
    /// After `--`: the rest is comment.
    Rest,
    /// Inside a `/*` opened on this line (`star`: the last character was `*`).
    Block { star: bool },
    /// Inside a block comment opened on an earlier line (`closed`: `*/` seen on this line).
    Carried { star: bool, closed: bool },
    /// SQL on this line.
    Sql,
}

/// See the module documentation.
#[derive(Debug)]
pub(super) struct LineScan {
    /// Lines finished.
    n: usize,
    /// The current line's first bytes, whether it is longer, whether all past `head` is blank.
    head: String,
    long: bool,
    rest_blank: bool,
    /// Its first non-blank characters (two at most), and whether `strata:` occurs in it.
    lead: String,
    strata: bool,
    /// The line's last bytes (to find `strata:` across pieces).
    carry: Vec<u8>,
    comment: Comment,
    /// Inside a block comment at the start of the current line.
    in_block: bool,
    /// Past the first line that is neither blank nor a comment.
    past_first: bool,
    /// Past the leading `--`/blank lines (where `-- strata:out-of-order` counts).
    past_leading: bool,
    /// Lines that may hold a directive: (1-based number, text (its first [`LINE_HEAD`] bytes),
    /// whether only comments and blank lines come before it).
    pub(super) directives: Vec<(usize, String, bool)>,
    /// `-- strata:out-of-order` among the leading comment lines.
    pub(super) out_of_order: bool,
}

impl Default for LineScan {
    fn default() -> Self {
        LineScan {
            n: 0,
            head: String::new(),
            long: false,
            rest_blank: true,
            lead: String::new(),
            strata: false,
            carry: Vec::new(),
            comment: Comment::Start,
            in_block: false,
            past_first: false,
            past_leading: false,
            directives: Vec::new(),
            out_of_order: false,
        }
    }
}

impl LineScan {
    /// The next piece of the text.
    pub(super) fn feed(&mut self, text: &str) {
        let mut rest = text;
        while let Some(i) = rest.find('\n') {
            self.piece(&rest[..i]);
            self.end_line();
            rest = &rest[i + 1..];
        }
        if !rest.is_empty() {
            self.piece(rest);
        }
    }

    /// The text ended (a last line without its newline counts).
    pub(super) fn finish(&mut self) {
        if !self.head.is_empty() {
            self.end_line();
        }
    }

    /// Bytes held for the current line.
    pub(super) fn held(&self) -> usize {
        self.head.capacity() + self.carry.capacity() + self.lead.capacity()
    }

    /// Part of the current line (no newline in it).
    fn piece(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        let room = LINE_HEAD.saturating_sub(self.head.len());
        let mut cut = room.min(s.len());
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        self.head.push_str(&s[..cut]);
        if cut < s.len() {
            self.long = true;
            self.rest_blank = self.rest_blank && s[cut..].trim().is_empty();
        }
        // The trimmed line's first two characters.
        if self.lead.chars().count() < 2 {
            for c in s.chars() {
                if self.lead.is_empty() && c.is_whitespace() {
                    continue;
                }
                self.lead.push(c);
                if self.lead.chars().count() == 2 {
                    break;
                }
            }
        }
        if !self.strata {
            let b = s.as_bytes();
            let mut edge = self.carry.clone();
            edge.extend_from_slice(&b[..b.len().min(STRATA.len() - 1)]);
            self.strata = contains(&edge, STRATA) || contains(b, STRATA);
            let mut tail = std::mem::take(&mut self.carry);
            tail.extend_from_slice(&b[b.len().saturating_sub(STRATA.len() - 1)..]);
            self.carry = tail[tail.len().saturating_sub(STRATA.len() - 1)..].to_vec();
        }
        if !self.past_first {
            self.comment_piece(s);
        }
    }

    /// Run the comment rules over part of the line.
    fn comment_piece(&mut self, mut s: &str) {
        loop {
            match self.comment {
                Comment::Rest | Comment::Sql | Comment::Carried { closed: true, .. } => return,
                Comment::Carried { star, .. } => {
                    // The whole line is comment; only whether `*/` occurs in it matters.
                    let closed = (star && s.starts_with('/')) || s.contains("*/");
                    self.comment = Comment::Carried {
                        star: s.ends_with('*'),
                        closed,
                    };
                    return;
                }
                Comment::Block { star } => {
                    let after = if star && s.starts_with('/') {
                        Some(1)
                    } else {
                        s.find("*/").map(|j| j + 2)
                    };
                    let Some(after) = after else {
                        self.comment = Comment::Block {
                            star: s.ends_with('*'),
                        };
                        return;
                    };
                    self.comment = Comment::Start;
                    s = &s[after..];
                }
                Comment::Start | Comment::Dash | Comment::Slash => {
                    let Some(c) = s.chars().next() else {
                        return;
                    };
                    s = &s[c.len_utf8()..];
                    self.comment = match (self.comment, c) {
                        (Comment::Start, c) if c.is_whitespace() => Comment::Start,
                        (Comment::Start, '-') => Comment::Dash,
                        (Comment::Start, '/') => Comment::Slash,
                        (Comment::Dash, '-') => Comment::Rest,
                        (Comment::Slash, '*') => Comment::Block { star: false },
                        _ => Comment::Sql,
                    };
                }
            }
        }
    }

    /// The current line ended: apply the line rules.
    fn end_line(&mut self) {
        self.n += 1;
        if !self.past_first {
            let comment = match self.comment {
                Comment::Start | Comment::Rest => true,
                Comment::Dash | Comment::Slash | Comment::Sql => false,
                Comment::Block { .. } => {
                    self.in_block = true;
                    true
                }
                Comment::Carried { closed, .. } => {
                    self.in_block = !closed;
                    true
                }
            };
            if !comment {
                self.past_first = true;
            }
        }
        let blank = self.lead.is_empty();
        let dashes = self.lead == "--";
        if !self.past_leading {
            if blank || dashes {
                let t = self.head.trim();
                if (!self.long || self.rest_blank)
                    && t.strip_prefix("--").map(str::trim)
                        == Some(super::assemble::OUT_OF_ORDER_DIRECTIVE)
                {
                    self.out_of_order = true;
                }
            } else {
                self.past_leading = true;
            }
        }
        if dashes && self.strata && self.directives.len() < MAX_DIRECTIVE_LINES {
            self.directives
                .push((self.n, std::mem::take(&mut self.head), !self.past_first));
        }
        self.head = String::new();
        self.long = false;
        self.rest_blank = true;
        self.lead.clear();
        self.strata = false;
        self.carry.clear();
        self.comment = if self.in_block {
            Comment::Carried {
                star: false,
                closed: false,
            }
        } else {
            Comment::Start
        };
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::markers::CommentLines;
    use proptest::prelude::*;

    /// The whole-text rules ([`super::super::stream`] kept them line by line before).
    fn whole(text: &str) -> (Vec<(usize, String, bool)>, bool) {
        let mut comments = CommentLines::default();
        let mut past_first = false;
        let mut past_leading = false;
        let mut directives = Vec::new();
        let mut out_of_order = false;
        let lines: Vec<&str> = if text.is_empty() {
            Vec::new()
        } else {
            text.strip_suffix('\n')
                .unwrap_or(text)
                .split('\n')
                .collect()
        };
        for (i, line) in lines.into_iter().enumerate() {
            if !past_first && !comments.is_comment(line) {
                past_first = true;
            }
            let t = line.trim();
            if !past_leading {
                if t.is_empty() || t.starts_with("--") {
                    if t.strip_prefix("--").map(str::trim)
                        == Some(crate::source::assemble::OUT_OF_ORDER_DIRECTIVE)
                    {
                        out_of_order = true;
                    }
                } else {
                    past_leading = true;
                }
            }
            if t.starts_with("--") && t.contains("strata:") {
                directives.push((i + 1, line.to_string(), !past_first));
            }
        }
        (directives, out_of_order)
    }

    fn pieces(text: &str, sizes: &[usize]) -> (Vec<(usize, String, bool)>, bool, usize) {
        let mut scan = LineScan::default();
        let mut at = 0;
        let mut i = 0;
        let mut held = 0;
        while at < text.len() {
            let mut end = (at + sizes[i % sizes.len()].max(1)).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            scan.feed(&text[at..end]);
            held = held.max(scan.held());
            at = end;
            i += 1;
        }
        scan.finish();
        (scan.directives, scan.out_of_order, held)
    }

    fn lineish() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            "--",
            "-",
            "/*",
            "*/",
            "/",
            "*",
            " ",
            "\t",
            "\n",
            "x",
            "é",
            "strata:",
            "strat",
            "a:",
            "-- strata:out-of-order",
            "SELECT 1;",
            "\u{a0}",
        ]);
        prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn line_scan_in_pieces_equals_the_whole_text_rules(
            text in lineish(),
            sizes in prop::collection::vec(1usize..12, 1..4),
        ) {
            let (d, o, _) = pieces(&text, &sizes);
            prop_assert_eq!((d, o), whole(&text));
        }
    }

    #[test]
    fn line_scan_holds_a_bounded_part_of_a_long_line() {
        // Lines far longer than the pieces and than LINE_HEAD: a block comment, a directive,
        // a statement.
        let long = "x".repeat(20 * LINE_HEAD);
        let text = format!(
            "/* {long}\n{long} */ -- c\n-- strata:no-transaction {long}\n-- strata:out-of-order\nSELECT '{long}';\n"
        );
        let (d, o, held) = pieces(&text, &[100, 37]);
        let (wd, wo) = whole(&text);
        assert_eq!(o, wo);
        assert_eq!(d.len(), 2);
        assert_eq!(d.len(), wd.len());
        for (d, w) in d.iter().zip(&wd) {
            assert_eq!((d.0, d.2), (w.0, w.2));
            assert!(w.1.starts_with(&d.1) && d.1.len() <= LINE_HEAD);
        }
        assert!(held <= 2 * LINE_HEAD + 64, "held {held}");
    }
}
