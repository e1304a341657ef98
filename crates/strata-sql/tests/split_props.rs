//! Property tests: the lexer is lossless and the splitter's output is well-formed for any input.
use proptest::prelude::*;
use strata_sql::{
    classify_with, split, tokenize, DiagnosticKind, Dialect, Split, StreamEvent, StreamSplitter,
    Token, TokenKind,
};

/// [`split`] through [`StreamSplitter`], fed in chunks whose sizes cycle through `sizes`
/// (each chunk extended to a char boundary): must equal the in-memory split exactly, and the
/// texts it hands on must be the input's.
fn check_streamed(sql: &str, sizes: &[usize]) {
    for dialect in [Dialect::Postgres, Dialect::Sqlite] {
        let mut s = StreamSplitter::new(dialect);
        let mut statements: Vec<strata_sql::Statement> = Vec::new();
        let mut data = String::new();
        let mut sink = |e: StreamEvent<'_>| -> Result<(), ()> {
            match e {
                StreamEvent::Statement {
                    statement, text, ..
                } => {
                    assert_eq!(text, &sql[statement.range.clone()]);
                    statements.push(statement);
                }
                StreamEvent::CopyData { offset, text } => {
                    assert_eq!(&sql[offset..offset + text.len()], text);
                    data.push_str(text);
                }
                StreamEvent::CopyEnd(c) => {
                    assert_eq!(&sql[c.range.clone()], data);
                    data.clear();
                    statements.last_mut().unwrap().copy_data = Some(c);
                }
            }
            Ok(())
        };
        let mut at = 0;
        let mut i = 0;
        while at < sql.len() {
            let mut end = (at + sizes[i % sizes.len()].max(1)).min(sql.len());
            while !sql.is_char_boundary(end) {
                end += 1;
            }
            s.feed(&sql[at..end], &mut sink).unwrap();
            at = end;
            i += 1;
        }
        let diagnostics = s.finish(&mut sink).unwrap();
        let streamed = Split {
            statements,
            diagnostics,
        };
        assert_eq!(streamed, split(sql, dialect), "{dialect:?} {sizes:?}");
    }
}

const DIALECTS: [Dialect; 2] = [Dialect::Postgres, Dialect::Sqlite];

/// Check every invariant for one input; the fuzz target checks the same ones.
fn check(sql: &str) {
    for dialect in DIALECTS {
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

        let out = split(sql, dialect);
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
            assert_eq!(s.start, strata_sql::line_col(sql, s.range.start));
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
                assert!(
                    t.is_trivia() || t.kind == TokenKind::Semicolon,
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

/// Strings built mostly from characters that matter to the lexer, plus some unicode.
fn sqlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(vec![
            "'",
            "''",
            "\"",
            "$",
            "$$",
            "$a$",
            "$1",
            ";",
            "-",
            "--",
            "/",
            "*",
            "/*",
            "*/",
            "\n",
            " ",
            "E",
            "e'",
            "\\",
            "[",
            "]",
            "`",
            "(",
            ")",
            "?",
            ":",
            "@",
            "1",
            ".",
            "x",
            "é",
            "日",
            "BEGIN",
            "ATOMIC",
            "END",
            "CASE",
            "CREATE",
            "FUNCTION",
            "TRIGGER",
            "TEMP",
            "OR",
            "REPLACE",
            "PROCEDURE",
            "COPY",
            "FROM",
            "STDIN",
            "\\.",
            "\t",
        ])
        .prop_map(str::to_string),
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..64).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn split_invariants_hold_for_arbitrary_strings(sql in any::<String>()) {
        check(&sql);
    }

    #[test]
    fn split_invariants_hold_for_sqlish_strings(sql in sqlish()) {
        check(&sql);
    }

    #[test]
    fn split_invariants_hold_around_copy_blocks(
        before in sqlish(),
        after_semicolon in prop::sample::select(vec!["", " -- c", " x", "\n"]),
        data in sqlish(),
        end in prop::sample::select(vec!["\n\\.\n", "\n\\.", "\n\\.\r\n", "", "\n\\. \n"]),
        rest in sqlish(),
    ) {
        let sql = format!("{before}\nCOPY t (a) FROM stdin;{after_semicolon}\n{data}{end}{rest}");
        check(&sql);
    }

    #[test]
    fn stream_split_equals_split_for_any_chunking(
        sql in sqlish(),
        sizes in prop::collection::vec(1usize..40, 1..6),
    ) {
        check_streamed(&sql, &sizes);
    }

    #[test]
    fn stream_split_equals_split_around_copy_blocks(
        before in sqlish(),
        after_semicolon in prop::sample::select(vec!["", " -- c", " x", "\n"]),
        data in sqlish(),
        end in prop::sample::select(vec!["\n\\.\n", "\n\\.", "\n\\.\r\n", "", "\n\\. \n"]),
        rest in sqlish(),
        sizes in prop::collection::vec(1usize..40, 1..6),
    ) {
        let sql = format!("{before}\nCOPY t (a) FROM stdin;{after_semicolon}\n{data}{end}{rest}");
        check_streamed(&sql, &sizes);
    }

    #[test]
    fn stream_split_equals_split_for_arbitrary_strings(
        sql in any::<String>(),
        sizes in prop::collection::vec(1usize..16, 1..4),
    ) {
        check_streamed(&sql, &sizes);
    }
}

#[test]
fn split_invariants_hold_for_tricky_inputs() {
    for sql in [
        "",
        ";",
        "$",
        "$$",
        "$a",
        "$a$",
        "E'",
        "e'\\",
        "/*",
        "/*/",
        "--",
        "[",
        "`",
        "\"",
        "'",
        "é'",
        "(;",
        "CREATE FUNCTION f() BEGIN ATOMIC",
        "CREATE TRIGGER t BEGIN CASE END; END",
        "CREATE FUNCTION f() BEGIN ATOMIC END END;",
        "COPY t FROM stdin;",
        "COPY t FROM stdin;\n",
        "COPY t FROM stdin;\n\\.",
        "COPY t FROM stdin; 'x\n$$\n\\.\n'",
        "COPY t FROM stdin;\n'\n\\.\nSELECT 1;",
    ] {
        check(sql);
    }
}
