//! Reading migration folders in every layout teams already use.
//!
//! - golang-migrate pairs: `^([0-9]+)_(.*)\.(up|down)\.(.*)$` (see [`filename`]);
//! - single files with markers: `-- UP`/`-- DOWN`, sql-migrate, dbmate, goose (see [`markers`]);
//! - legacy numbered up-only files without markers (`00_schema.sql`).
//!
//! Only [`fs`] touches the filesystem; [`assemble`] turns already-read files into a [`Source`]
//! and is pure, so every rule here is tested without a disk.

pub mod filename;
pub mod fs;
pub mod markers;

pub mod stream;

mod assemble;
mod error;
mod line_scan;
mod par;

pub use assemble::{assemble, assemble_streamed, StreamedFile, NO_TRANSACTION_DIRECTIVE};
pub use error::{SourceError, SourceErrors};
pub use fs::{read_dir, read_dir_streaming};

use crate::migration::Migration;
use serde::Serialize;
use std::path::PathBuf;

/// A file as read from disk, before parsing: its path and raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFile {
    /// The file's path (as it will be shown in messages).
    pub path: PathBuf,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// A file in the migrations folder that is not read as a migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IgnoredFile {
    /// Its path (serialised lossily: a name that is not UTF-8 is still shown).
    #[serde(serialize_with = "lossy_path")]
    pub path: PathBuf,
    /// Why it was not read.
    pub reason: String,
}

/// Every migration found in a folder, sorted by version, plus the files that were not read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Source {
    /// The folder that was read.
    pub dir: PathBuf,
    /// Migrations in ascending version order; versions are unique.
    pub migrations: Vec<Migration>,
    /// Files that are no migrations, such as `README.md` (listed by `status`).
    pub ignored: Vec<IgnoredFile>,
    /// Files that look like migrations but match no layout (`1.up.sql`, `4_y.UP.sql`, a
    /// `N-title.sql` without markers): not run, and reported as warnings by the commands that
    /// read the folder (`validate` fails on them).
    pub warnings: Vec<IgnoredFile>,
}

impl Source {
    /// The migration with `version`, if present.
    pub fn get(&self, version: crate::Version) -> Option<&Migration> {
        self.migrations
            .binary_search_by_key(&version, |m| m.version)
            .ok()
            .map(|i| &self.migrations[i])
    }
}

fn lossy_path<S: serde::Serializer>(path: &std::path::Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&path.to_string_lossy())
}
