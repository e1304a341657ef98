//! Feeds arbitrary UTF-8 to the lexer, splitter and classifier in both dialects and checks that
//! nothing panics, the tokens rejoin to the input, and the statements are well-formed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use strata_sql::{classify_with, line_col, split, tokenize, Dialect, TokenKind};

fuzz_target!(|data: &[u8]| {
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

        let out = split(sql, dialect);
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
});
