//! Property tests: the lexer is lossless and the splitter's output is well-formed for any input.
use proptest::prelude::*;
use strata_sql::{split, Dialect, Split, StreamEvent, StreamSplitter};

/// [`split`] through [`StreamSplitter`], fed in chunks whose sizes cycle through `sizes`
/// (each chunk extended to a char boundary): must equal the in-memory split exactly, and the
/// texts it hands on must be the input's. With a small statement limit too: then longer
/// statements come with their start only, and what the splitter holds stays bounded by a chunk,
/// the limit and a short token, whatever the input's tokens and lines.
fn check_streamed(sql: &str, sizes: &[usize]) {
    for limit in [usize::MAX, 16] {
        check_streamed_with(sql, sizes, limit);
    }
}

/// The longest run of would-be dollar-quote tag bytes after a `$` in `sql`.
fn longest_tag(sql: &str) -> usize {
    let b = sql.as_bytes();
    (0..b.len())
        .filter(|&i| b[i] == b'$')
        .map(|i| {
            b[i + 1..]
                .iter()
                .take_while(|&&c| {
                    c != b'$' && (c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80)
                })
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// The longest run of bytes a MySQL custom delimiter may cut (a word, number or parameter),
/// which the streaming splitter waits for whole.
fn longest_word(sql: &str) -> usize {
    sql.split(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '$' | '.' | '@')))
        .map(str::len)
        .max()
        .unwrap_or(0)
}

/// The longest line (a MySQL `DELIMITER` line is held whole).
fn longest_line(sql: &str) -> usize {
    sql.split('\n').map(str::len).max().unwrap_or(0)
}

fn check_streamed_with(sql: &str, sizes: &[usize], limit: usize) {
    for dialect in [Dialect::Postgres, Dialect::Sqlite, Dialect::Mysql] {
        let mut s = StreamSplitter::with_limit(dialect, limit);
        let mut statements: Vec<strata_sql::Statement> = Vec::new();
        let mut data = String::new();
        let mut sink = |e: StreamEvent<'_>| -> Result<(), ()> {
            match e {
                StreamEvent::Statement {
                    statement,
                    text,
                    whole,
                    ..
                } => {
                    let full = &sql[statement.range.clone()];
                    assert_eq!(whole, full.len() <= limit, "{full:?}");
                    if whole {
                        assert_eq!(text, full);
                    } else {
                        assert!(full.starts_with(&*text) && text.len() <= limit, "{text:?}");
                    }
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
        let mut longest = 0;
        while at < sql.len() {
            let mut end = (at + sizes[i % sizes.len()].max(1)).min(sql.len());
            while !sql.is_char_boundary(end) {
                end += 1;
            }
            longest = longest.max(end - at);
            s.feed(&sql[at..end], &mut sink).unwrap();
            at = end;
            i += 1;
        }
        if limit != usize::MAX {
            // A chunk, a short token waiting for the next chunk and its first bytes kept, the
            // statement's text: never the long token or line itself. A dollar quote's tag is
            // held (as the window and in the kept start).
            let mut bound = longest + 2 * 64 + 3 + limit + 16 + 2 * longest_tag(sql);
            if dialect == Dialect::Mysql {
                // Held whole in MySQL: words where a custom delimiter may end them, the
                // `DELIMITER` lines, and the look-ahead of a delimiter's length.
                bound += 2 * longest_word(sql).max(longest_line(sql));
            }
            assert!(
                s.high_water() <= bound,
                "held {} > {bound} ({dialect:?} {sizes:?})",
                s.high_water()
            );
        }
        let diagnostics = s.finish(&mut sink).unwrap();
        let streamed = Split {
            statements,
            diagnostics,
        };
        assert_eq!(
            streamed,
            split(sql, dialect),
            "{dialect:?} {sizes:?} {limit}"
        );
    }
}

/// Every invariant for one input: the fuzz target's own check (one copy of the invariants).
fn check(sql: &str) {
    strata_sql::fuzzing::check_split(sql);
}

/// [`sqlish`] with long tokens among them: comments, strings, dollar quotes, quoted identifiers,
/// words, numbers and blank runs of up to a few hundred bytes (longer than the chunks fed), and
/// long lines of short statements.
fn sqlish_long() -> impl Strategy<Value = String> {
    let filler = prop::sample::select(vec![
        "x", "é", " ", "1", "*", "/", ";", "'", "$", "\\", "-", "a b",
    ]);
    let long = (filler, 40usize..300).prop_map(|(f, n)| f.repeat(n));
    let token = (
        prop::sample::select(vec![
            ("/*", "*/"),
            ("/* /*", "*/ */"),
            ("--", "\n"),
            ("'", "'"),
            ("E'", "'"),
            ("$t$", "$t$"),
            ("$$", "$$"),
            ("\"", "\""),
            ("[", "]"),
            ("`", "`"),
            ("", ""),
            ("SELECT ", "; "),
            ("12", ".5e+3 "),
            ("0x", "F "),
            ("$", "$ "),
            ("ab", " "),
        ]),
        long,
    )
        .prop_map(|((open, close), body)| {
            // A body made of one filler: digits or word bytes for the number and word cases.
            let body = match open {
                "12" | "0x" | "$" => "1".repeat(body.len()),
                "ab" => "c".repeat(body.len()),
                _ => body,
            };
            format!("{open}{body}{close}")
        });
    prop::collection::vec(prop_oneof![sqlish(), token], 0..6).prop_map(|v| v.concat())
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
            // MySQL
            "#",
            "-- ",
            "--x",
            "\"a\\\"",
            "/*!",
            "/*!50001 ",
            "/*M!",
            "\nDELIMITER //\n",
            "\nDELIMITER $$\n",
            "\ndelimiter ;\n",
            "\nDELIMITER\n",
            "DELIMITER ",
            "//",
            "END$$",
            "\nDELIMITER @@_end_@@\n",
            "@@_end_@@",
            "PROCEDURE",
            "IF",
            "NOT",
            "LOOP",
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
    fn stream_split_equals_split_with_tokens_longer_than_chunks(
        sql in sqlish_long(),
        sizes in prop::collection::vec(1usize..40, 1..6),
    ) {
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
