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

/// The first invalid UTF-8 byte of a streamed file: its 1-based line and byte offset in the raw
/// file (as [`crate::SourceError::NotUtf8`] reports them for a file read whole).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidUtf8 {
    /// 1-based line of the byte.
    pub line: usize,
    /// Its offset in the raw file.
    pub byte: usize,
}

/// The text of a file read in chunks, normalised exactly as a file read whole is (leading BOM
/// removed, CRLF turned into LF), with its [`Checksum`] computed on the way: a `\r` at the end
/// of a chunk, a BOM or a UTF-8 sequence cut by a chunk's edge are carried to the next chunk.
///
/// ```
/// use strata_core::checksum::{Checksum, Normalizer};
/// let mut n = Normalizer::default();
/// let mut text = String::new();
/// for chunk in [&b"\xEF\xBB"[..], b"\xBFa\r", b"\nb\xC3", b"\xA9"] {
///     text.push_str(n.push(chunk).unwrap());
/// }
/// let (rest, sum) = n.finish().unwrap();
/// text.push_str(&rest);
/// assert_eq!(text, "a\nb\u{e9}");
/// assert_eq!(sum, Checksum::of(b"\xEF\xBB\xBFa\r\nb\xC3\xA9"));
/// ```
#[derive(Default)]
pub struct Normalizer {
    hasher: Sha256,
    /// Raw bytes of an incomplete UTF-8 sequence at the end of the last chunk.
    carry: Vec<u8>,
    /// The last chunk's text ended with `\r` (held back: a `\n` may follow).
    pending_cr: bool,
    /// A leading BOM was looked for (once the first character arrived).
    started: bool,
    /// Raw bytes validated so far, and the `\n`s among them.
    raw: usize,
    lines: usize,
    out: String,
}

impl Normalizer {
    /// Take the next raw bytes; returns the normalised text they complete.
    pub fn push(&mut self, bytes: &[u8]) -> Result<&str, InvalidUtf8> {
        let joined;
        let data: &[u8] = if self.carry.is_empty() {
            bytes
        } else {
            let mut v = std::mem::take(&mut self.carry);
            v.extend_from_slice(bytes);
            joined = v;
            &joined
        };
        let valid = match std::str::from_utf8(data) {
            Ok(s) => s,
            Err(e) => {
                let ok = e.valid_up_to();
                if e.error_len().is_some() {
                    return Err(self.invalid(&data[..ok]));
                }
                self.carry = data[ok..].to_vec();
                // The first `ok` bytes were just validated.
                std::str::from_utf8(&data[..ok]).unwrap_or_default()
            }
        };
        self.raw += valid.len();
        self.lines += valid.bytes().filter(|&b| b == b'\n').count();
        let mut text = valid;
        self.out.clear();
        if !self.started && !text.is_empty() {
            self.started = true;
            text = text.strip_prefix('\u{feff}').unwrap_or(text);
        }
        if text.is_empty() {
            return Ok(&self.out);
        }
        if std::mem::take(&mut self.pending_cr) {
            if let Some(after) = text.strip_prefix('\n') {
                self.out.push('\n');
                text = after;
            } else {
                self.out.push('\r');
            }
        }
        let (body, cr) = match text.strip_suffix('\r') {
            Some(b) => (b, true),
            None => (text, false),
        };
        self.pending_cr = cr;
        let mut rest = body;
        while let Some(i) = rest.find("\r\n") {
            self.out.push_str(&rest[..i]);
            self.out.push('\n');
            rest = &rest[i + 2..];
        }
        self.out.push_str(rest);
        self.hasher.update(self.out.as_bytes());
        Ok(&self.out)
    }

    /// The input ended: the text held back (a final `\r`) and the checksum.
    pub fn finish(mut self) -> Result<(String, Checksum), InvalidUtf8> {
        if !self.carry.is_empty() {
            return Err(self.invalid(&[]));
        }
        let rest = if self.pending_cr { "\r" } else { "" };
        self.hasher.update(rest.as_bytes());
        Ok((rest.to_string(), Checksum(self.hasher.finalize().into())))
    }

    fn invalid(&self, valid_prefix: &[u8]) -> InvalidUtf8 {
        let newlines = valid_prefix.iter().filter(|&&b| b == b'\n').count();
        InvalidUtf8 {
            line: self.lines + newlines + 1,
            byte: self.raw + valid_prefix.len(),
        }
    }
}

/// The first 12 characters of a checksum as recorded, for messages. A ledger row may hold any
/// text, so this cuts on a character boundary, never inside one.
pub fn short(checksum: &str) -> &str {
    checksum
        .char_indices()
        .nth(12)
        .map_or(checksum, |(i, _)| &checksum[..i])
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
    fn short_cuts_on_character_boundaries() {
        assert_eq!(short("0123456789abcdef"), "0123456789ab");
        assert_eq!(short("abc"), "abc");
        assert_eq!(short(""), "");
        assert_eq!(short("aéééééééééééééé"), "aééééééééééé");
    }

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

    /// Normalise `bytes` fed in chunks whose sizes cycle through `sizes`.
    fn streamed(bytes: &[u8], sizes: &[usize]) -> Result<(String, Checksum), InvalidUtf8> {
        let mut n = Normalizer::default();
        let mut text = String::new();
        let mut at = 0;
        let mut i = 0;
        while at < bytes.len() {
            let end = (at + sizes[i % sizes.len()].max(1)).min(bytes.len());
            text.push_str(n.push(&bytes[at..end])?);
            at = end;
            i += 1;
        }
        let (rest, sum) = n.finish()?;
        text.push_str(&rest);
        Ok((text, sum))
    }

    #[test]
    fn streamed_checksum_and_text_agree_with_whole_file_at_every_chunk_size() {
        // A BOM, CRLFs (also `\r\r\n` and a lone `\r` at the end), multi-byte characters.
        let file =
            "\u{feff}CREATE TABLE é (a text);\r\nINSERT INTO é VALUES ('日本\r');\r\r\n\rx\r\n\r";
        let bytes = file.as_bytes();
        let want_text = file.trim_start_matches('\u{feff}').replace("\r\n", "\n");
        for size in 1..bytes.len() + 1 {
            for sizes in [vec![size], vec![size, 1], vec![2, size, 3]] {
                let (text, sum) = streamed(bytes, &sizes).unwrap();
                assert_eq!(text, want_text, "{sizes:?}");
                assert_eq!(sum, Checksum::of(bytes), "{sizes:?}");
            }
        }
        // A BOM later in the file is content.
        let late = "a\u{feff}".as_bytes();
        assert_eq!(streamed(late, &[1]).unwrap().1, Checksum::of(late));
    }

    #[test]
    fn streamed_invalid_utf8_is_located_like_a_whole_file() {
        let bytes = b"SELECT 1;\nSELECT '\xc3\x28';\n";
        for size in 1..bytes.len() + 1 {
            assert_eq!(
                streamed(bytes, &[size]).unwrap_err(),
                InvalidUtf8 { line: 2, byte: 18 },
                "{size}"
            );
        }
        // Cut short inside a character.
        assert_eq!(
            streamed(b"ab\n\xe6\x97", &[2]).unwrap_err(),
            InvalidUtf8 { line: 2, byte: 3 }
        );
    }

    #[test]
    fn checksum_of_empty_file_is_sha256_of_nothing() {
        assert_eq!(
            Checksum::of(b"").to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
