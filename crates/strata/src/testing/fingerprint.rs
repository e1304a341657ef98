//! The fingerprint of a migration set: what a template database was built from.

use sha2::{Digest, Sha256};
use strata_core::Source;

/// Hex digits of the fingerprint kept in database and file names: 64 bits, so two different
/// migration sets sharing a template would need a hash collision.
pub const LEN: usize = 16;

/// Hash of every migration's version and the checksums of its up and down parts (strata-core's
/// checksums, so CRLF and LF copies of a folder share a template), plus the ledger table names
/// the template is built with (`x-migrations-table` changes what the clone holds).
pub fn fingerprint(source: &Source, tables: &str) -> String {
    let mut hash = Sha256::new();
    for m in &source.migrations {
        let up = if m.up.is_some() { "up" } else { "-" };
        let down = match (&m.down, &m.down_checksum) {
            (Some(_), Some(c)) => c.to_hex(),
            (Some(_), None) => "down".to_string(),
            (None, _) => "-".to_string(),
        };
        hash.update(format!(
            "{} {up} {} {down}\n",
            m.version,
            m.checksum.to_hex()
        ));
    }
    hash.update(format!("tables {tables}\n"));
    let digest = hash.finalize();
    digest
        .iter()
        .take(LEN / 2)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use strata_core::RawFile;
    use strata_sql::Dialect;

    fn source(files: &[(&str, &str)]) -> Source {
        let raw = files
            .iter()
            .map(|(name, text)| RawFile {
                path: Path::new("m").join(name),
                bytes: text.as_bytes().to_vec(),
            })
            .collect();
        strata_core::source::assemble(Path::new("m"), raw, Dialect::Postgres).unwrap()
    }

    #[test]
    fn changes_with_a_file_a_version_a_down_part_or_the_tables() {
        let base = source(&[("1_a.up.sql", "CREATE TABLE a (x int);\n")]);
        let fp = fingerprint(&base, "t");
        assert_eq!(fp.len(), LEN);
        assert_eq!(fp, fingerprint(&base, "t"), "deterministic");
        let edited = source(&[("1_a.up.sql", "CREATE TABLE a (y int);\n")]);
        let renumbered = source(&[("2_a.up.sql", "CREATE TABLE a (x int);\n")]);
        let with_down = source(&[
            ("1_a.up.sql", "CREATE TABLE a (x int);\n"),
            ("1_a.down.sql", "DROP TABLE a;\n"),
        ]);
        for other in [
            fingerprint(&edited, "t"),
            fingerprint(&renumbered, "t"),
            fingerprint(&with_down, "t"),
            fingerprint(&base, "other"),
        ] {
            assert_ne!(fp, other);
        }
    }

    #[test]
    fn line_endings_do_not_change_it() {
        let lf = source(&[("1_a.up.sql", "CREATE TABLE a (x int);\nSELECT 1;\n")]);
        let crlf = source(&[("1_a.up.sql", "CREATE TABLE a (x int);\r\nSELECT 1;\r\n")]);
        assert_eq!(fingerprint(&lf, "t"), fingerprint(&crlf, "t"));
    }
}
