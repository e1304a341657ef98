//! PLACEHOLDER: the only module that reads migration files from disk.
use super::{Source, SourceErrors};
use std::path::Path;

/// Read every migration in `dir` (non-recursive).
pub fn read_dir(dir: &Path, dialect: strata_sql::Dialect) -> Result<Source, SourceErrors> {
    super::assemble(dir, Vec::new(), dialect)
}
