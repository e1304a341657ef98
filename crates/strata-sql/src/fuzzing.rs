//! The invariants the fuzz targets check, as plain functions, so that `cargo fuzz` (in
//! `fuzz/`, a nightly build) and the ordinary `cargo test` (stable) run the very same code: a
//! crash the fuzzer finds is saved under `fuzz/regressions/<target>/` and replayed by every
//! test run from then on (see `fuzz/README.md`). Not part of the crate's API.

use crate::{
    classify_with, line_col, split as split_sql, tokenize, DiagnosticKind, Dialect, Token,
    TokenKind,
};

/// Target `split`: the lexer, splitter and classifier on any UTF-8, in every dialect. Panics when
/// an invariant breaks: nothing panics inside them, the tokens rejoin to the input, statements
/// are ascending, non-overlapping, non-empty and on token and `char` boundaries, everything
/// between statements is trivia or `;`, diagnostics lie within the input.
pub fn split(data: &[u8]) {
    if let Ok(sql) = std::str::from_utf8(data) {
        check_split(sql);
    }
}

/// Every invariant of [`tokenize`] and [`split_sql`] on `sql`, in every dialect (panics on a
/// violation). COPY data blocks are not SQL: tokens are checked region by region around them.
pub fn check_split(sql: &str) {
    for dialect in [Dialect::Postgres, Dialect::Sqlite, Dialect::Mysql] {
        let tokens = tokenize(sql, dialect);
        assert_eq!(tokens.iter().map(|t| t.len).sum::<usize>(), sql.len());
        let mut offset = 0;
        let mut rejoined = String::with_capacity(sql.len());
        let mut spans = Vec::with_capacity(tokens.len());
        for t in &tokens {
            assert!(t.len > 0, "empty token");
            // Slicing panics if a boundary is not on a char boundary.
            rejoined.push_str(&sql[offset..offset + t.len]);
            spans.push((offset, offset + t.len, *t));
            offset += t.len;
        }
        assert_eq!(rejoined, sql);

        let out = split_sql(sql, dialect);
        let mut prev_end = 0;
        // The SQL regions (everything but COPY data blocks and their `\.` lines), and the gaps
        // after `COPY ... FROM stdin;` on its line, where a diagnostic reports any text.
        let mut regions = Vec::new();
        let mut region_start = 0;
        let mut copy_gaps = Vec::new();
        for s in &out.statements {
            assert!(
                prev_end <= s.range.start
                    && s.range.start < s.range.end
                    && s.range.end <= sql.len()
            );
            assert!(sql.is_char_boundary(s.range.start) && sql.is_char_boundary(s.range.end));
            assert_eq!(s.start, line_col(sql, s.range.start));
            prev_end = s.end_with_data();
            if let Some(c) = &s.copy_data {
                assert!(s.range.end <= c.range.start && c.range.start <= c.range.end);
                assert!(c.range.end <= c.end && c.end <= sql.len());
                assert!(sql.is_char_boundary(c.range.start) && sql.is_char_boundary(c.end));
                assert!(c.range.start == sql.len() || sql[..c.range.start].ends_with('\n'));
                if c.terminated {
                    assert!(sql[c.range.end..c.end].starts_with("\\."));
                } else {
                    assert_eq!(c.end, sql.len());
                }
                regions.push(region_start..c.range.start);
                copy_gaps.push(s.range.end..c.range.start);
                region_start = c.end;
            }
            let _ = classify_with(s.text(sql), dialect);
        }
        regions.push(region_start..sql.len());
        let text_after_copy = out
            .diagnostics
            .iter()
            .any(|d| d.kind == DiagnosticKind::TextAfterCopy);
        let spans: Vec<(usize, usize, Token)> = if regions.len() == 1 {
            spans
        } else {
            let mut v = Vec::new();
            for r in &regions {
                let mut offset = r.start;
                for t in tokenize(&sql[r.clone()], dialect) {
                    v.push((offset, offset + t.len, t));
                    offset += t.len;
                }
            }
            v
        };
        // Every token outside the statements (and their data) is whitespace, a comment or a `;`,
        // and statements start and end on token boundaries.
        for &(start, end, t) in &spans {
            let inside = out
                .statements
                .iter()
                .any(|s| s.range.start <= start && end <= s.range.end);
            let outside = out
                .statements
                .iter()
                .all(|s| end <= s.range.start || s.range.end <= start);
            assert!(
                inside || outside,
                "statement boundary inside token at {start}..{end}"
            );
            let after_copy = copy_gaps.iter().any(|g| g.start <= start && end <= g.end);
            if outside && !(after_copy && text_after_copy) {
                // A MySQL `DELIMITER` line is a command to the client, never part of a statement.
                assert!(
                    t.is_trivia() || matches!(t.kind, TokenKind::Semicolon | TokenKind::Delimiter),
                    "{:?} between statements",
                    t.kind
                );
            }
        }
        for d in &out.diagnostics {
            assert!(d.range.start < d.range.end && d.range.end <= sql.len());
            assert!(sql.is_char_boundary(d.range.start) && sql.is_char_boundary(d.range.end));
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
