//! Tests for [`super::assemble`]: realistic folders, every error, modes and text handling.

use super::*;

fn raw(name: &str, text: &str) -> RawFile {
    RawFile {
        path: PathBuf::from("m").join(name),
        bytes: text.as_bytes().to_vec(),
    }
}

fn ok(files: Vec<RawFile>) -> Source {
    assemble(Path::new("m"), files, Dialect::Postgres).unwrap_or_else(|e| panic!("{e}"))
}

fn errs(files: Vec<RawFile>) -> Vec<SourceError> {
    assemble(Path::new("m"), files, Dialect::Postgres)
        .unwrap_err()
        .0
}

fn p(name: &str) -> PathBuf {
    PathBuf::from("m").join(name)
}

fn up(src: &Source, v: Version) -> &Script {
    src.get(v).unwrap().up.as_ref().unwrap()
}

#[test]
fn assemble_golang_migrate_pairs_sorted_numerically() {
    let src = ok(vec![
        raw("10_ten.up.sql", "SELECT 10;"),
        raw("9_nine.up.sql", "CREATE TABLE nine (id int);\n"),
        raw("9_nine.down.sql", "DROP TABLE nine;\n"),
        raw("0011_old.down.sql", "SELECT 'down only';"),
    ]);
    let versions: Vec<Version> = src.migrations.iter().map(|m| m.version).collect();
    assert_eq!(versions, [9, 10, 11]);
    let nine = src.get(9).unwrap();
    assert_eq!((nine.name.as_str(), nine.format), ("nine", Format::Pair));
    assert_eq!(
        nine.checksum,
        Checksum::of(b"CREATE TABLE nine (id int);\n")
    );
    let down = nine.down.as_ref().unwrap();
    assert_eq!(
        (
            down.path.clone(),
            down.sql.as_str(),
            down.offset,
            down.first_line
        ),
        (p("9_nine.down.sql"), "DROP TABLE nine;\n", 0, 1)
    );
    assert_eq!(
        (down.mode, down.statements.clone()),
        (TxMode::Transaction, None)
    );
    // A down-only version: named and checksummed by its down file.
    let old = src.get(11).unwrap();
    assert!(old.up.is_none());
    assert_eq!(
        (old.name.as_str(), old.checksum),
        ("old", Checksum::of(b"SELECT 'down only';"))
    );
}

#[test]
fn assemble_pair_with_different_titles_uses_up_title() {
    let src = ok(vec![
        raw("1_create.up.sql", "SELECT 1;"),
        raw("1_drop.down.sql", "SELECT 2;"),
    ]);
    assert_eq!(src.get(1).unwrap().name, "create");
    // `1_a.down.b.up.sql` is an up file titled `a.down.b`.
    let src = ok(vec![raw("1_a.down.b.up.sql", "SELECT 1;")]);
    assert_eq!(
        (
            src.get(1).unwrap().name.as_str(),
            src.get(1).unwrap().down.is_none()
        ),
        ("a.down.b", true)
    );
}

#[test]
fn assemble_empty_script_is_allowed() {
    let src = ok(vec![
        raw("1_empty.up.sql", ""),
        raw("1_empty.down.sql", "  \n-- nothing\n"),
    ]);
    assert!(up(&src, 1).is_blank());
    assert_eq!(up(&src, 1).mode, TxMode::Transaction);
}

#[test]
fn assemble_legacy_files() {
    let src = ok(vec![
        raw("00_schema.sql", "CREATE TABLE a (id int);\n"),
        raw("01_users.sql", "CREATE TABLE users (id int);\n"),
    ]);
    let m = src.get(0).unwrap();
    assert_eq!(
        (m.name.as_str(), m.format, m.down.is_none()),
        ("schema", Format::Legacy, true)
    );
    assert_eq!(up(&src, 1).sql, "CREATE TABLE users (id int);\n");
}

#[test]
fn assemble_marker_formats_with_modes() {
    let src = ok(vec![
        raw("1_plain.sql", "-- UP\nCREATE TABLE a (id int);\n-- DOWN\nDROP TABLE a;\n"),
        raw("2_sqlmig.sql", "-- +migrate Up notransaction\nCREATE INDEX CONCURRENTLY i ON a (id);\n-- +migrate Down\nDROP INDEX i;\n"),
        raw("3_dbmate.sql", "-- migrate:up\nALTER TABLE a ADD b int;\n\n-- migrate:down transaction:false\nALTER TABLE a DROP b;\n"),
        raw("4_goose.sql", "-- +goose NO TRANSACTION\n\n-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 2;\n"),
    ]);
    let formats: Vec<Format> = src.migrations.iter().map(|m| m.format).collect();
    assert_eq!(
        formats,
        [
            Format::Markers,
            Format::SqlMigrate,
            Format::Dbmate,
            Format::Goose
        ]
    );
    let plain = src.get(1).unwrap();
    assert_eq!(
        (
            up(&src, 1).sql.as_str(),
            up(&src, 1).offset,
            up(&src, 1).first_line
        ),
        ("CREATE TABLE a (id int);\n", 6, 2)
    );
    assert_eq!(
        plain.checksum,
        Checksum::of(b"-- UP\nCREATE TABLE a (id int);\n-- DOWN\nDROP TABLE a;\n")
    );
    assert_eq!(plain.down.as_ref().unwrap().first_line, 4);

    let s = up(&src, 2);
    assert_eq!(
        (s.mode, s.mode_reason.as_deref()),
        (
            TxMode::NoTransaction,
            Some("`-- +migrate Up notransaction` at line 1")
        )
    );
    assert_eq!(
        src.get(2).unwrap().down.as_ref().unwrap().mode,
        TxMode::Transaction
    );

    assert_eq!(up(&src, 3).mode, TxMode::Transaction);
    let d = src.get(3).unwrap().down.as_ref().unwrap();
    assert_eq!(
        (d.mode, d.mode_reason.as_deref()),
        (
            TxMode::NoTransaction,
            Some("`-- migrate:down transaction:false` at line 4")
        )
    );

    // goose NO TRANSACTION covers the whole file.
    for s in [up(&src, 4), src.get(4).unwrap().down.as_ref().unwrap()] {
        assert_eq!(
            (s.mode, s.mode_reason.as_deref()),
            (
                TxMode::NoTransaction,
                Some("`-- +goose NO TRANSACTION` at line 1")
            )
        );
    }
}

#[test]
fn assemble_goose_blocks_become_statements() {
    let text = "-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n-- +goose StatementEnd\nSELECT f();\n-- +goose Down\nDROP FUNCTION f();\n";
    let src = ok(vec![raw("20240101120000_fn.sql", text)]);
    let s = up(&src, 20240101120000);
    let stmts: Vec<&str> = s
        .statements
        .clone()
        .unwrap()
        .into_iter()
        .map(|r| &s.sql[r])
        .collect();
    assert_eq!(
        stmts,
        [
            "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;",
            "SELECT f();"
        ]
    );
    assert_eq!(&text[s.offset..s.offset + s.sql.len()], s.sql);
}

#[test]
fn assemble_strata_directive_in_pair_and_marker_header() {
    let src = ok(vec![
        raw("1_idx.up.sql", "-- Build without locking writes.\n-- strata:no-transaction\nCREATE INDEX i ON t (a);\n"),
        raw("2_both.sql", "-- strata:no-transaction\n-- UP\nSELECT 1;\n-- DOWN\nSELECT 2;\n"),
    ]);
    assert_eq!(
        (up(&src, 1).mode, up(&src, 1).mode_reason.as_deref()),
        (
            TxMode::NoTransaction,
            Some("`-- strata:no-transaction` at line 2")
        )
    );
    for s in [up(&src, 2), src.get(2).unwrap().down.as_ref().unwrap()] {
        assert_eq!(
            (s.mode, s.mode_reason.as_deref()),
            (
                TxMode::NoTransaction,
                Some("`-- strata:no-transaction` at line 1")
            )
        );
    }
}

#[test]
fn assemble_strata_directive_errors() {
    let e = errs(vec![
        raw("1_a.up.sql", "-- strata:notransaction\nSELECT 1;\n"),
        raw(
            "2_b.up.sql",
            "SELECT 1;\n-- strata:no-transaction\nSELECT 2;\n",
        ),
    ]);
    assert_eq!(
        e,
        [
            SourceError::Marker {
                path: p("1_a.up.sql"),
                line: 1,
                message:
                    "unknown Strata directive `strata:notransaction` (known: strata:no-transaction, strata:lock-timeout, strata:statement-timeout, strata:out-of-order)"
                        .into()
            },
            SourceError::Marker {
                path: p("2_b.up.sql"),
                line: 2,
                message: "`-- strata:no-transaction` must come before the first statement".into()
            },
        ]
    );
}

#[test]
fn assemble_timeout_directives_in_pair_and_marker_header() {
    let src = ok(vec![
        raw(
            "1_a.up.sql",
            "-- strata:lock-timeout 2s\n-- strata:statement-timeout 10m\nALTER TABLE t ADD a int;\n",
        ),
        raw(
            "2_b.sql",
            "-- strata:lock-timeout 1500ms\n-- UP\nSELECT 1;\n-- DOWN\n-- strata:lock-timeout 3s\nSELECT 2;\n",
        ),
        raw("3_c.up.sql", "SELECT 1;\n"),
    ]);
    let a = up(&src, 1);
    assert_eq!(a.lock_timeout, Some(Duration::from_secs(2)));
    assert_eq!(a.statement_timeout, Some(Duration::from_secs(600)));
    assert_eq!(a.mode, TxMode::Transaction);
    assert_eq!(up(&src, 2).lock_timeout, Some(Duration::from_millis(1500)));
    let down = src.get(2).unwrap().down.as_ref().unwrap();
    assert_eq!(down.lock_timeout, Some(Duration::from_secs(3)));
    assert_eq!(
        (up(&src, 3).lock_timeout, up(&src, 3).statement_timeout),
        (None, None)
    );
}

#[test]
fn assemble_timeout_directive_errors() {
    let e = errs(vec![
        raw("1_a.up.sql", "-- strata:lock-timeout soon\nSELECT 1;\n"),
        raw(
            "2_b.up.sql",
            "SELECT 1;\n-- strata:statement-timeout 5s\nSELECT 2;\n",
        ),
    ]);
    assert_eq!(
        e,
        [
            SourceError::Marker {
                path: p("1_a.up.sql"),
                line: 1,
                message: "`-- strata:lock-timeout` needs one duration, e.g. `-- strata:lock-timeout 2s` (units: ms, s, m, h)".into()
            },
            SourceError::Marker {
                path: p("2_b.up.sql"),
                line: 2,
                message: "`-- strata:statement-timeout` must come before the first statement".into()
            },
        ]
    );
}

#[test]
fn out_of_range_directive_durations_name_file_and_line() {
    let e = errs(vec![raw(
        "1_a.up.sql",
        "-- a comment\n-- strata:lock-timeout 99999999999999999999h\nSELECT 1;\n",
    )]);
    assert_eq!(
        e,
        [SourceError::Marker {
            path: p("1_a.up.sql"),
            line: 2,
            message: "`-- strata:lock-timeout`: \"99999999999999999999h\" is too long: PostgreSQL takes at most 2147483647ms (about 24 days) as a timeout".into()
        }]
    );
}

#[test]
fn assemble_modes_from_statements() {
    let src = ok(vec![
        raw(
            "1_tx.up.sql",
            "-- own transaction\nBEGIN;\nCREATE TABLE a ();\nCOMMIT;\n",
        ),
        raw(
            "2_conc.up.sql",
            "SELECT 1;\n\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
        ),
        raw(
            "3_conc_then_begin.up.sql",
            "CREATE INDEX CONCURRENTLY i ON t (a);\nBEGIN;\nSELECT 1;\nCOMMIT;\n",
        ),
        raw(
            "4_plain.sql",
            "-- UP\n\nSELECT 1;\nCREATE INDEX CONCURRENTLY j ON t (a);\n",
        ),
    ]);
    assert_eq!(
        (up(&src, 1).mode, up(&src, 1).mode_reason.as_deref()),
        (
            TxMode::SelfManaged,
            Some("file has its own BEGIN at line 2")
        )
    );
    // The statement's name comes from the lexer's classification.
    let reason = up(&src, 2).mode_reason.clone().unwrap();
    assert_eq!(up(&src, 2).mode, TxMode::NoTransaction);
    assert!(
        reason.contains("CONCURRENTLY")
            && reason.ends_with(" at line 3 cannot run inside a transaction"),
        "{reason}"
    );
    // Transaction control wins over a statement that needs autocommit.
    assert_eq!(up(&src, 3).mode, TxMode::SelfManaged);
    // Lines are file lines, not section lines.
    assert!(up(&src, 4)
        .mode_reason
        .as_deref()
        .unwrap()
        .ends_with(" at line 4 cannot run inside a transaction"));
}

#[test]
fn assemble_sqlite_only_vacuum_needs_autocommit() {
    let files = vec![
        raw("1_conc.up.sql", "CREATE INDEX CONCURRENTLY i ON t (a);\n"),
        raw("2_vac.up.sql", "DELETE FROM t;\nVACUUM;\n"),
    ];
    let src = assemble(Path::new("m"), files, Dialect::Sqlite).unwrap();
    assert_eq!(up(&src, 1).mode, TxMode::Transaction);
    assert_eq!(
        (up(&src, 2).mode, up(&src, 2).mode_reason.as_deref()),
        (
            TxMode::NoTransaction,
            Some("VACUUM at line 2 cannot run inside a transaction")
        )
    );
}

#[test]
fn assemble_crlf_and_bom_are_normalised() {
    let lf = "-- UP\nCREATE TABLE a (id int);\n-- DOWN\nDROP TABLE a;\n";
    let crlf = format!("\u{feff}{}", lf.replace('\n', "\r\n"));
    let a = ok(vec![raw("1_a.sql", lf)]);
    let b = ok(vec![raw("1_a.sql", &crlf)]);
    assert_eq!(a.migrations, b.migrations);
    assert_eq!(up(&b, 1).sql, "CREATE TABLE a (id int);\n");
    assert_eq!((up(&b, 1).offset, up(&b, 1).first_line), (6, 2));
    let pair = ok(vec![raw(
        "2_b.up.sql",
        "\u{feff}SELECT 1;\r\nSELECT 2;\r\n",
    )]);
    assert_eq!(up(&pair, 2).sql, "SELECT 1;\nSELECT 2;\n");
    assert_eq!(
        pair.get(2).unwrap().checksum,
        Checksum::of(b"SELECT 1;\nSELECT 2;\n")
    );
}

#[test]
fn assemble_reports_duplicates_naming_both_files() {
    let e = errs(vec![
        raw("003_a.up.sql", "SELECT 1;"),
        raw("003_b.up.sql", "SELECT 1;"),
        raw("003_x.sql", "-- UP\nSELECT 1;\n-- DOWN\nSELECT 2;\n"),
        raw("003_a.down.sql", "SELECT 1;"),
        raw("1_a.up.sql", "SELECT 1;"),
        raw("001_a.up.sql", "SELECT 1;"),
        raw("5_a.up.sql", "SELECT 1;"),
        raw("5_a.up.sql~", "SELECT 1;"),
    ]);
    let dup = |v, direction, a: &str, b: &str| SourceError::Duplicate {
        version: v,
        direction,
        first: p(a),
        second: p(b),
    };
    assert_eq!(
        e,
        [
            dup(1, Direction::Up, "001_a.up.sql", "1_a.up.sql"),
            dup(3, Direction::Up, "003_a.up.sql", "003_b.up.sql"),
            dup(3, Direction::Up, "003_a.up.sql", "003_x.sql"),
            dup(3, Direction::Down, "003_a.down.sql", "003_x.sql"),
            dup(5, Direction::Up, "5_a.up.sql", "5_a.up.sql~"),
        ]
    );
}

#[test]
fn assemble_reports_single_file_next_to_pair() {
    let e = errs(vec![
        raw("3_a.down.sql", "SELECT 1;"),
        raw("3_b.sql", "SELECT 1;"),
    ]);
    assert_eq!(
        e,
        [SourceError::MixedLayout {
            version: 3,
            single: p("3_b.sql"),
            pair: p("3_a.down.sql")
        }]
    );
}

#[test]
fn assemble_reports_all_file_errors_together() {
    let e = errs(vec![
        raw("1_bad.up.sql", "SELECT 1;\nSELECT 'caf"),
        RawFile {
            path: p("2_bin.up.sql"),
            bytes: b"SELECT 1;\nSELECT '\xff';\n".to_vec(),
        },
        raw("9223372036854775808_big.up.sql", "SELECT 1;"),
        raw("4_noup.sql", "-- +goose Down\nSELECT 1;\n"),
        raw("5_order.sql", "-- DOWN\nSELECT 1;\n-- UP\nSELECT 2;\n"),
        raw("6_dbmate.sql", "-- migrate:down\n"),
    ]);
    assert_eq!(
        e,
        [
            SourceError::NotUtf8 {
                path: p("2_bin.up.sql"),
                line: 2,
                byte: 18
            },
            SourceError::NoUpSection {
                path: p("4_noup.sql"),
                expected: "-- +goose Up".into()
            },
            SourceError::Marker {
                path: p("5_order.sql"),
                line: 1,
                message: "down section before the up section".into()
            },
            SourceError::NoUpSection {
                path: p("6_dbmate.sql"),
                expected: "-- migrate:up".into()
            },
            SourceError::VersionTooLarge {
                path: p("9223372036854775808_big.up.sql"),
                digits: "9223372036854775808".into()
            },
        ]
    );
}

#[test]
fn assemble_ignores_other_files_with_reasons() {
    let src = ok(vec![
        raw("README.md", "# migrations"),
        raw("V1__init.sql", "CREATE TABLE a ();"),
        raw("1_x_up.sql", "DROP TABLE a;"),
        raw("x_1.up.sql", "SELECT 1;"),
        raw("notes.txt", "todo"),
        raw("2_y_down.sql", "-- UP\nSELECT 1;\n"),
    ]);
    // A misspelt pair name is fine when the file has markers: the markers decide.
    assert_eq!(
        src.migrations.iter().map(|m| m.version).collect::<Vec<_>>(),
        [2]
    );
    let names = |files: &[IgnoredFile]| -> Vec<(String, String)> {
        files
            .iter()
            .map(|i| {
                (
                    i.path.file_name().unwrap().to_string_lossy().into_owned(),
                    i.reason.clone(),
                )
            })
            .collect()
    };
    let ignored = names(&src.ignored);
    assert_eq!(ignored.len(), 2, "{ignored:?}");
    assert!(ignored[0].0 == "README.md" && ignored[0].1.contains("N_title.sql"));
    assert_eq!(ignored[1].0, "notes.txt");
    // Files that look like migrations are warnings, not quietly ignored.
    let warnings = names(&src.warnings);
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(
        warnings[0].0 == "1_x_up.sql" && warnings[0].1.contains("rename it to 1_x.up.sql"),
        "{warnings:?}"
    );
    assert!(warnings[1].0 == "V1__init.sql" && warnings[1].1.contains("Flyway"));
    assert_eq!(warnings[2].0, "x_1.up.sql");
}

#[test]
fn assemble_reads_dash_named_marker_files_of_sql_migrate_and_npm_sqlite() {
    let src = ok(vec![
        raw(
            "20240101120000-create_users.sql",
            "-- +migrate Up\nCREATE TABLE users (id int);\n-- +migrate Down\nDROP TABLE users;\n",
        ),
        raw(
            "001-initial.sql",
            "--------------------------------------------------------------------------------\n\
             -- Up\n\
             --------------------------------------------------------------------------------\n\
             CREATE TABLE a (id int);\n\
             --------------------------------------------------------------------------------\n\
             -- Down\n\
             --------------------------------------------------------------------------------\n\
             DROP TABLE a;\n",
        ),
    ]);
    assert!(src.warnings.is_empty(), "{:?}", src.warnings);
    let sql_migrate = src.get(20240101120000).unwrap();
    assert_eq!(
        (sql_migrate.name.as_str(), sql_migrate.format),
        ("create_users", Format::SqlMigrate)
    );
    let npm = src.get(1).unwrap();
    assert_eq!(
        (npm.name.as_str(), npm.format),
        ("initial", Format::Markers)
    );
    assert!(up(&src, 1).sql.contains("CREATE TABLE a"));
    assert!(npm.down.as_ref().unwrap().sql.contains("DROP TABLE a"));
}

#[test]
fn assemble_never_runs_files_that_match_no_layout() {
    let src = ok(vec![
        raw("1_x.up.sql", "SELECT 1;"),
        raw("2-notes.sql", "DROP TABLE a;\n"),
        raw("4_y.UP.sql", "CREATE TABLE y (id int);"),
        raw("5.up.sql", "SELECT 5;"),
    ]);
    assert_eq!(
        src.migrations.iter().map(|m| m.version).collect::<Vec<_>>(),
        [1]
    );
    let warned: Vec<(&Path, &str)> = src
        .warnings
        .iter()
        .map(|w| (w.path.as_path(), w.reason.as_str()))
        .collect();
    assert_eq!(warned.len(), 3, "{warned:?}");
    assert!(warned[0].0 == p("2-notes.sql") && warned[0].1.starts_with("has no markers"));
    assert!(warned[0].1.contains("rename it to 2_notes.sql"));
    assert!(warned[1].0 == p("4_y.UP.sql") && warned[1].1.contains("rename it to 4_y.up.sql"));
    assert!(warned[2].0 == p("5.up.sql") && warned[2].1.contains("followed by `_`"));
}

#[test]
fn assemble_refuses_control_characters_in_migration_names() {
    let e = errs(vec![
        raw("000001_new\nline.down.sql", "DROP TABLE a;"),
        raw("2_ok.up.sql", "SELECT 1;"),
    ]);
    assert_eq!(
        e,
        [SourceError::ControlCharacter {
            path: p("000001_new\nline.down.sql"),
            character: '\n'
        }]
    );
    assert_eq!(
        e[0].to_string(),
        "m/000001_new\\nline.down.sql: the file name contains the control character U+000A; rename the file"
    );
}

#[test]
fn assemble_marker_errors_carry_file_and_line() {
    let e = errs(vec![raw(
        "7_g.sql",
        "-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n",
    )]);
    assert_eq!(
        e,
        [SourceError::Marker {
            path: p("7_g.sql"),
            line: 2,
            message: "StatementBegin without StatementEnd".into()
        }]
    );
    assert_eq!(
        e[0].to_string(),
        "m/7_g.sql:2: StatementBegin without StatementEnd"
    );
}

#[test]
fn out_of_order_directive_marks_the_migration_in_pairs_and_marker_headers() {
    let files = vec![
        RawFile {
            path: PathBuf::from("m/2_fix.up.sql"),
            bytes: b"-- strata:out-of-order\nCREATE TABLE b (id int);\n".to_vec(),
        },
        RawFile {
            path: PathBuf::from("m/3_goose.sql"),
            bytes: b"-- strata:out-of-order\n-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 2;\n"
                .to_vec(),
        },
    ];
    let late = vec![RawFile {
        path: PathBuf::from("m/4_plain.up.sql"),
        bytes: b"SELECT 1;\n-- strata:out-of-order\n".to_vec(),
    }];
    // After the first statement it is not a directive: an error, not silently ignored.
    let err = assemble(Path::new("m"), late, Dialect::Postgres).unwrap_err();
    assert!(
        err.to_string().contains(
            "4_plain.up.sql:2: `-- strata:out-of-order` must come before the first statement"
        ),
        "{err}"
    );
    let source = assemble(Path::new("m"), files, Dialect::Postgres).unwrap();
    let flags: Vec<(u64, bool)> = source
        .migrations
        .iter()
        .map(|m| (m.version, m.allow_out_of_order))
        .collect();
    assert_eq!(flags, [(2, true), (3, true)]);
}

#[test]
fn assemble_never_classifies_copy_data_rows() {
    // Rows that would read as transaction control or no-transaction statements if lexed as SQL.
    let src = ok(vec![
        raw(
            "1_dump.up.sql",
            "COPY t (a) FROM stdin;\nBEGIN;\nVACUUM;\nCOMMIT;\n\\.\nSELECT 1;\n",
        ),
        raw(
            "2_dump.sql",
            "-- migrate:up\nCOPY t FROM stdin;\nCREATE INDEX CONCURRENTLY i ON t (a);\n\\.\n-- migrate:down\nSELECT 1;\n",
        ),
    ]);
    assert_eq!(
        (up(&src, 1).mode, up(&src, 1).mode_reason.clone()),
        (TxMode::Transaction, None)
    );
    assert_eq!(up(&src, 2).mode, TxMode::Transaction);
}

#[test]
fn assemble_refuses_unterminated_copy_data_naming_the_copy_line() {
    let errors = errs(vec![
        raw("1_ok.up.sql", "SELECT 1;\n"),
        raw("2_cut.up.sql", "SELECT 1;\n\nCOPY t FROM stdin;\n1\n2\n"),
        raw(
            "3_dump.sql",
            "-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n-- +goose StatementEnd\nCOPY t FROM stdin;\n1\n\\.\n",
        ),
        raw("4_tail.up.sql", "COPY t FROM stdin; SELECT 2;\n1\n\\.\n"),
    ]);
    let shown: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(shown.len(), 3, "{shown:?}");
    assert!(
        shown[0].starts_with("m/2_cut.up.sql:3: ") && shown[0].contains("never ended"),
        "{shown:?}"
    );
    assert!(
        shown[1].starts_with("m/3_dump.sql:5: ") && shown[1].contains("StatementBegin"),
        "{shown:?}"
    );
    assert!(
        shown[2].starts_with("m/4_tail.up.sql:1: ") && shown[2].contains("next line"),
        "{shown:?}"
    );
}

#[test]
fn assemble_checksums_a_pairs_down_file_on_its_own() {
    let src = ok(vec![
        raw("1_a.up.sql", "SELECT 1;"),
        raw("1_a.down.sql", "SELECT 2;"),
        raw("2_b.up.sql", "SELECT 3;"),
        raw("3_c.down.sql", "SELECT 4;"),
        raw("4_d.sql", "-- UP\nSELECT 5;\n-- DOWN\nSELECT 6;\n"),
    ]);
    let downs: Vec<Option<Checksum>> = src.migrations.iter().map(|m| m.down_checksum).collect();
    assert_eq!(
        downs,
        [
            Some(Checksum::of(b"SELECT 2;")),
            None,
            // A down-only version: its one file is the down file.
            Some(Checksum::of(b"SELECT 4;")),
            // A single file's one checksum covers both parts.
            None
        ]
    );
}
