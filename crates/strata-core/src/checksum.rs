//! Migration checksums.
//!
//! Algorithm (stable, documented in the README): SHA-256 of the file's text after removing a
//! leading UTF-8 byte-order mark and replacing every CRLF with LF, printed as 64 lowercase hex
//! digits. A checkout on Windows (CRLF) or by an editor that adds a BOM therefore does not look
//! like drift, while any other edit does.

use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;

/// A SHA-256 checksum of a migration file's normalised text.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Checksum(pub [u8; 32]);

impl Checksum {
    /// Checksum of `bytes` after BOM removal and CRLF→LF normalisation.
    ///
    /// ```
    /// use strata_core::Checksum;
    /// assert_eq!(Checksum::of(b"a\r\nb"), Checksum::of(b"\xEF\xBB\xBFa\nb"));
    /// ```
    pub fn of(bytes: &[u8]) -> Checksum {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut hasher = Sha256::new();
        let mut rest = bytes;
        while let Some(i) = rest.windows(2).position(|w| w == b"\r\n") {
            hasher.update(&rest[..i]);
            hasher.update(b"\n");
            rest = &rest[i + 2..];
        }
        hasher.update(rest);
        Checksum(hasher.finalize().into())
    }

    /// The lowercase hex form stored in the ledger.
    pub fn to_hex(&self) -> String {
        // Called for every applied migration on every run (drift check): no per-byte format.
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(64);
        for b in self.0 {
            out.push(DIGITS[usize::from(b >> 4)] as char);
            out.push(DIGITS[usize::from(b & 15)] as char);
        }
        out
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Checksum({})", &self.to_hex()[..12])
    }
}

impl Serialize for Checksum {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_ignores_crlf_and_bom_but_not_other_edits() {
        let lf = Checksum::of(b"CREATE TABLE a();\nSELECT 1;\n");
        assert_eq!(lf, Checksum::of(b"CREATE TABLE a();\r\nSELECT 1;\r\n"));
        assert_eq!(
            lf,
            Checksum::of(b"\xEF\xBB\xBFCREATE TABLE a();\nSELECT 1;\n")
        );
        assert_ne!(lf, Checksum::of(b"CREATE TABLE a();\nSELECT 2;\n"));
        // A lone CR is content, not a line ending.
        assert_ne!(lf, Checksum::of(b"CREATE TABLE a();\rSELECT 1;\n"));
    }

    #[test]
    fn checksum_of_empty_file_is_sha256_of_nothing() {
        assert_eq!(
            Checksum::of(b"").to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
