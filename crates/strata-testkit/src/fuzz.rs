//! Replaying the fuzz targets' committed inputs in the ordinary test run.
//!
//! Each crate with a fuzz target keeps the target's checks in a plain function
//! (`<crate>::fuzzing::<target>`), called both by `fuzz/fuzz_targets/<target>.rs` and by a test
//! that hands it to [`replay`]. So every seed (`fuzz/seeds/<target>/`) and every input that
//! once crashed (`fuzz/regressions/<target>/`) is checked on stable Rust by `cargo test`, without
//! a fuzz build.

use std::path::{Path, PathBuf};

/// The repository's `fuzz/` folder.
pub fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// Every file of `fuzz/seeds/<target>/` and `fuzz/regressions/<target>/`, sorted by path.
/// Panics when a folder cannot be read: a replay that silently found nothing would prove
/// nothing.
pub fn committed_inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let mut inputs = Vec::new();
    for kind in ["seeds", "regressions"] {
        let dir = fuzz_dir().join(kind).join(target);
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_file() {
                let bytes = std::fs::read(&path)
                    .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
                inputs.push((path, bytes));
            }
        }
    }
    inputs.sort();
    inputs
}

/// Feed every committed input of fuzz target `target` to `check` (the target's own checking
/// function), failing with the file's path and the command that replays it under the fuzzer.
/// Returns how many inputs ran.
pub fn replay(target: &str, check: fn(&[u8])) -> usize {
    let inputs = committed_inputs(target);
    assert!(
        !inputs.is_empty(),
        "no committed inputs for fuzz target {target} under {}",
        fuzz_dir().display()
    );
    for (path, bytes) in &inputs {
        if std::panic::catch_unwind(|| check(bytes)).is_err() {
            panic!(
                "fuzz target {target} fails on {} (replay under the fuzzer: cd fuzz && \
                 RUSTC_BOOTSTRAP=1 cargo fuzz run {target} {})",
                path.display(),
                path.display()
            );
        }
    }
    inputs.len()
}
