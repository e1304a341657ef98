//! `embed!`: reads a migrations folder at compile time with strata-core's own reader, so the
//! embedded files are exactly the ones `Migrations::from_dir` would read, with the same
//! checksums. Use it as `strata::embed!`; this crate is an implementation detail of `strata`.
#![warn(missing_docs)]

use proc_macro::TokenStream;
use quote::quote;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use strata_core::source::{read_dir_streaming, SourceErrors};
use strata_sql::Dialect;

/// Embed the migrations folder at `PATH` (relative to the calling crate's `Cargo.toml`, like
/// `include_str!`) as a `strata::Migrations`. See `strata::embed!` for the documentation.
#[proc_macro]
pub fn embed(input: TokenStream) -> TokenStream {
    let lit = syn::parse_macro_input!(input as syn::LitStr);
    match expand(&lit.value()) {
        Ok(tokens) => tokens.into(),
        Err(message) => syn::Error::new(lit.span(), message)
            .to_compile_error()
            .into(),
    }
}

fn expand(written: &str) -> Result<proc_macro2::TokenStream, String> {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .ok_or("CARGO_MANIFEST_DIR is not set: strata::embed! must be built by cargo")?;
    let dir = Path::new(&manifest).join(written);
    let files = embedded_files(&dir)?;
    let entries = files.iter().map(|path| {
        let name = path
            .strip_prefix(&dir)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned();
        let full = path.to_string_lossy().into_owned();
        // include_bytes! makes cargo rebuild the caller when this file changes.
        quote! { (#name, include_bytes!(#full) as &'static [u8]) }
    });
    Ok(quote! {
        ::strata::Migrations::__embedded(#written, &[#(#entries),*])
    })
}

/// The files of `dir` that reading the folder uses (migrations of every layout, and files
/// warned about as matching no layout), after checking the folder reads without errors in
/// every dialect. Files are read whole: an embedded file is in memory anyway.
fn embedded_files(dir: &Path) -> Result<BTreeSet<PathBuf>, String> {
    let mut files = BTreeSet::new();
    for dialect in [Dialect::Postgres, Dialect::Sqlite] {
        let source = read_dir_streaming(dir, dialect, u64::MAX).map_err(|e| refusal(dir, &e))?;
        for m in &source.migrations {
            files.extend(
                [&m.up, &m.down]
                    .into_iter()
                    .flatten()
                    .map(|s| s.path.clone()),
            );
        }
        files.extend(source.warnings.iter().map(|w| w.path.clone()));
    }
    Ok(files)
}

fn refusal(dir: &Path, errors: &SourceErrors) -> String {
    format!("strata::embed!: cannot embed {}:\n{errors}", dir.display())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn every_layout_is_embedded_and_other_files_are_not() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        fs::write(d.join("1_a.up.sql"), "CREATE TABLE a (x int);\n").unwrap();
        fs::write(d.join("1_a.down.sql"), "DROP TABLE a;\n").unwrap();
        fs::write(
            d.join("2_b.sql"),
            "-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 2;\n",
        )
        .unwrap();
        fs::write(d.join("3_legacy.sql"), "SELECT 3;\n").unwrap();
        fs::write(d.join("README.md"), "notes").unwrap();
        fs::write(d.join(".hidden.up.sql"), "SELECT 4;").unwrap();
        fs::write(d.join("4_x.UP.sql"), "SELECT 5;").unwrap(); // warned about: kept
        let names: Vec<String> = embedded_files(d)
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "1_a.down.sql",
                "1_a.up.sql",
                "2_b.sql",
                "3_legacy.sql",
                "4_x.UP.sql"
            ]
        );
    }

    #[test]
    fn a_folder_reading_refuses_is_refused_naming_the_file_and_line() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        fs::write(d.join("1_a.up.sql"), b"SELECT 1;\nSELECT '\xc3\x28';\n").unwrap();
        fs::write(d.join("2_b.sql"), "-- +goose Down\nSELECT 1;\n").unwrap();
        let message = embedded_files(d).unwrap_err();
        assert!(
            message.contains("1_a.up.sql:2: not valid UTF-8"),
            "{message}"
        );
        assert!(message.contains("2_b.sql"), "{message}");

        let missing = d.join("nope");
        let message = embedded_files(&missing).unwrap_err();
        assert!(message.contains("does not exist"), "{message}");
    }
}
