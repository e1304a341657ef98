//! An app that only needs SQLite builds no PostgreSQL, TLS, tokio or linter crate.

use std::process::Command;

#[test]
fn a_sqlite_only_build_pulls_no_postgres_tls_or_lint_crate() {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "--offline", "-p", "strata", "--no-default-features"])
        .args(["--features", "sqlite", "-e", "normal", "--prefix", "none"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).unwrap();
    assert!(tree.contains("rusqlite"), "{tree}");
    for heavy in ["postgres", "rustls", "ring", "squawk", "tokio"] {
        let found: Vec<&str> = tree.lines().filter(|l| l.contains(heavy)).collect();
        assert!(found.is_empty(), "{heavy}: {found:?}");
    }
}
