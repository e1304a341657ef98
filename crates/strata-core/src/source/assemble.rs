//! PLACEHOLDER: pure assembly of read files into a Source.
use super::{RawFile, Source, SourceErrors};
use std::path::Path;

/// Turn the files of one folder into a [`Source`], reporting every problem at once.
pub fn assemble(dir: &Path, files: Vec<RawFile>, dialect: strata_sql::Dialect) -> Result<Source, SourceErrors> {
    let _ = (files, dialect);
    Ok(Source { dir: dir.to_path_buf(), ..Source::default() })
}
