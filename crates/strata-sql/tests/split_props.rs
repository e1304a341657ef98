//! Property tests: the lexer is lossless and the splitter's output is well-formed for any input.
use proptest::prelude::*;

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
