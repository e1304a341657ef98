//! Errors found while reading a migrations folder. All are collected, never just the first.
//! Paths are shown with control characters escaped (see [`crate::printable`]).

use crate::migration::{Direction, Version};
use crate::printable::printable_path as shown;
use std::fmt;
use std::path::PathBuf;

/// One problem with the migration files.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The folder does not exist.
    #[error("migrations folder {} does not exist", shown(path))]
    DirMissing {
        /// The folder.
        path: PathBuf,
    },
    /// The path is not a folder.
    #[error("{} is not a folder", shown(path))]
    NotADir {
        /// The path.
        path: PathBuf,
    },
    /// A file or the folder could not be read.
    #[error("cannot read {}: {message}", shown(path))]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        message: String,
    },
    /// A file is not valid UTF-8.
    #[error("{}:{line}: not valid UTF-8 (byte {byte})", shown(path))]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// 1-based line of the first invalid byte.
        line: usize,
        /// Byte offset of the first invalid byte.
        byte: usize,
    },
    /// Two files claim the same version and direction.
    #[error("two files for version {version} {}: {} and {}", direction_word(*direction), shown(first), shown(second))]
    Duplicate {
        /// The version.
        version: Version,
        /// The direction both claim.
        direction: Direction,
        /// One file.
        first: PathBuf,
        /// The other file.
        second: PathBuf,
    },
    /// The version does not fit in a signed 64-bit integer (PostgreSQL `bigint`).
    #[error(
        "{}: version {digits} is too large (at most 9223372036854775807)",
        shown(path)
    )]
    VersionTooLarge {
        /// The file.
        path: PathBuf,
        /// The digits as written.
        digits: String,
    },
    /// A marker file problem, at a line.
    #[error("{}:{line}: {message}", shown(path))]
    Marker {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A marker file without an up section.
    #[error(
        "{}: no up section (expected a line such as `{expected}`)",
        shown(path)
    )]
    NoUpSection {
        /// The file.
        path: PathBuf,
        /// The marker that would start it.
        expected: String,
    },
    /// A file name that could be a migration holds a control character (a newline, an escape):
    /// refused rather than read one way by Strata and another by golang-migrate.
    #[error("{}: the file name contains the control character U+{:04X}; rename the file", shown(path), u32::from(*character))]
    ControlCharacter {
        /// The file.
        path: PathBuf,
        /// The first control character in its name.
        character: char,
    },
    /// One version is both a single file (markers or legacy) and a pair file.
    #[error(
        "version {version} is both a single file ({}) and a pair file ({}); keep one layout",
        shown(single),
        shown(pair)
    )]
    MixedLayout {
        /// The version.
        version: Version,
        /// The single file.
        single: PathBuf,
        /// The pair file.
        pair: PathBuf,
    },
}

fn direction_word(d: Direction) -> &'static str {
    match d {
        Direction::Up => "up",
        Direction::Down => "down",
    }
}

/// Every problem found in a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceErrors(pub Vec<SourceError>);

impl fmt::Display for SourceErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SourceErrors {}
