//! The invariants the fuzz targets check, as plain functions, so that `cargo fuzz` (in
//! `fuzz/`, a nightly build) and the ordinary `cargo test` (stable) run the very same code: a
//! crash the fuzzer finds is saved under `fuzz/regressions/<target>/` and replayed by every
//! test run from then on (see `fuzz/README.md`). Not part of the crate's API.

use crate::{classify_with, line_col, split as split_sql, tokenize, Dialect, TokenKind};

/// Target `split`: the lexer, splitter and classifier on any UTF-8, both dialects. Panics when
/// an invariant breaks: nothing panics inside them, the tokens rejoin to the input, statements
/// are ascending, non-overlapping, non-empty and on token and `char` boundaries, everything
/// between statements is trivia or `;`, diagnostics lie within the input.
pub fn split(data: &[u8]) {
    let Ok(sql) = std::str::from_utf8(data) else {
        return;
    };
    for dialect in [Dialect::Postgres, Dialect::Sqlite] {
        let tokens = tokenize(sql, dialect);
        let mut offset = 0;
        let mut rejoined = String::with_capacity(sql.len());
        let mut spans = Vec::with_capacity(tokens.len());
        for t in &tokens {
            assert!(t.len > 0);
            rejoined.push_str(&sql[offset..offset + t.len]); // panics off a char boundary
            spans.push((offset, offset + t.len, *t));
            offset += t.len;
        }
        assert_eq!(offset, sql.len());
        assert_eq!(rejoined, sql);

        let out = split_sql(sql, dialect);
        let mut prev_end = 0;
        for s in &out.statements {
            assert!(prev_end <= s.range.start && s.range.start < s.range.end);
            assert!(s.range.end <= sql.len());
            assert_eq!(s.start, line_col(sql, s.range.start));
            prev_end = s.range.end;
            let _ = classify_with(s.text(sql), dialect);
        }
        for &(start, end, t) in &spans {
            let inside = out
                .statements
                .iter()
                .any(|s| s.range.start <= start && end <= s.range.end);
            let outside = out
                .statements
                .iter()
                .all(|s| end <= s.range.start || s.range.end <= start);
            assert!(inside || outside);
            if outside {
                assert!(t.is_trivia() || t.kind == TokenKind::Semicolon);
            }
        }
        for d in &out.diagnostics {
            assert!(d.range.start < d.range.end && d.range.end <= sql.len());
            let _ = &sql[d.range.clone()];
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn split_holds_on_every_committed_fuzz_input() {
        assert!(strata_testkit::fuzz::replay("split", super::split) >= 3);
    }
}
