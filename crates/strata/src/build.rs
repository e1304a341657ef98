//! Helpers for a `build.rs` of a crate that uses [`embed!`](crate::embed).
//!
//! ```
//! // In build.rs's `main` (with `strata` in [build-dependencies]):
//! strata::build::watch("migrations");
//! ```

use std::path::Path;

/// Tell cargo to rebuild when anything in the folder `path` changes, files added or removed
/// included. Call it from `build.rs` with the path given to [`embed!`](crate::embed).
///
/// Why: [`embed!`](crate::embed) includes each file it found with `include_bytes!`, so an edit
/// triggers a rebuild; but a macro on stable Rust cannot ask cargo to watch a folder, so a new
/// migration would otherwise not be embedded until something else changed. The path is
/// relative to the package's root, as `build.rs` runs there.
///
/// ```
/// // build.rs (add `strata` to [build-dependencies]):
/// strata::build::watch("migrations");
/// ```
pub fn watch(path: impl AsRef<Path>) {
    println!("{}", rerun_line(path.as_ref()));
}

fn rerun_line(path: &Path) -> String {
    format!("cargo:rerun-if-changed={}", path.display())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_line_names_the_folder() {
        assert_eq!(
            super::rerun_line("db/migrations".as_ref()),
            "cargo:rerun-if-changed=db/migrations"
        );
    }
}
