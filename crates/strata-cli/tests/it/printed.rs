//! What commands print that came from outside (migration names, paths, SQL, names read from the
//! database) is escaped, and an error's excerpt of a huge statement stays short.

use crate::support::{output, Project};

/// A name with a right-to-left override (allowed in a file name, unlike control characters)
/// and SQL holding an escape sequence that would clear the terminal.
fn hostile(p: &Project) {
    p.pair(
        "000001",
        "evil\u{202e}lqs",
        "CREATE TABLE a (id INTEGER); SELECT '\u{1b}[2J';",
        "DROP TABLE a;",
    );
}

fn assert_escaped(what: &str, text: &str) {
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{202e}'),
        "{what} printed a raw control character: {text:?}"
    );
}

#[test]
fn plan_escapes_names_paths_and_sql() {
    let p = Project::new();
    hostile(&p);
    let out = p.run(&["plan"]);
    out.ok()
        .stdout_has("1/u evil\\u{202e}lqs (")
        .stdout_has("file: migrations/000001_evil\\u{202e}lqs.up.sql")
        .stdout_has("| SELECT '\\u{1b}[2J';");
    assert_escaped("plan", &out.stdout);
}

#[test]
fn lint_escapes_paths_and_excerpts() {
    let p = Project::new();
    p.pair(
        "1",
        "x\u{202e}y",
        "ALTER TABLE users /* \u{1b}[2J */ ADD COLUMN plan text NOT NULL;\n",
        "ALTER TABLE users DROP COLUMN plan;\n",
    );
    for format in ["line", "text", "json"] {
        let mut cmd = p.bare();
        cmd.args(["lint", "migrations", "--format", format]);
        let out = output(cmd);
        out.code(5);
        if format == "json" {
            // JSON escapes control characters itself and keeps names as they are.
            assert!(!out.stdout.contains('\u{1b}'), "{}", out.stdout);
        } else {
            assert_escaped(&format!("lint --format {format}"), &out.stdout);
        }
    }
    let mut cmd = p.bare();
    cmd.args(["lint", "migrations", "--format", "line"]);
    output(cmd).stdout_has("migrations/1_x\\u{202e}y.up.sql:1:");
}

#[test]
fn an_error_excerpt_of_a_huge_one_line_statement_is_cut() {
    let p = Project::new();
    // 200,000 characters on one line, failing.
    let values = vec!["(1)"; 50_000].join(",");
    p.file(
        "1_big.up.sql",
        &format!("INSERT INTO missing_table VALUES {values};\n"),
    );
    let out = p.run(&["up"]);
    out.code(1).stderr_has("--> migrations/1_big.up.sql:1:");
    assert!(
        out.stderr.len() < 4_000,
        "{} bytes of stderr: {}",
        out.stderr.len(),
        &out.stderr[..1000]
    );
    assert!(out.stderr.contains('…'), "{}", out.stderr);
}
