//! Property tests: the lexer is lossless and the splitter's output is well-formed for any input.
use proptest::prelude::*;
use strata_sql::{split, Dialect, Split, StreamEvent, StreamSplitter};

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

/// Every invariant for one input: the fuzz target's own check (one copy of the invariants).
fn check(sql: &str) {
    strata_sql::fuzzing::check_split(sql);
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
