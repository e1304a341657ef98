//! `create`: a new migration named the way its folder already names them (golang-migrate's
//! pair of empty up/down files in a new folder). The naming is `strata_core::create`'s; this
//! reads the folder, checks the flags and writes the files.

use crate::args::CreateArgs;
use crate::CliError;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use strata_core::create::{new_files, CreateError, VersionScheme, MAX_DIGITS};

/// Create the files in `-dir`, else `migration_dir` (`MIGRATION_DIR`), else the current folder;
/// returns their paths (up first).
pub fn create(args: &CreateArgs, migration_dir: Option<&str>) -> Result<Vec<PathBuf>, CliError> {
    let name = args
        .name
        .as_deref()
        .ok_or_else(|| CliError::Usage("please specify name".into()))?;
    let ext = args.ext.as_deref().unwrap_or("");
    if ext.is_empty() {
        return Err(CliError::Usage("-ext flag must be specified".into()));
    }
    let ext = format!(".{}", ext.trim_start_matches('.'));
    const DEFAULT_FORMAT: &str = "20060102150405";
    if args.seq && args.format != DEFAULT_FORMAT {
        return Err(CliError::Usage(
            "the seq and format options are mutually exclusive".into(),
        ));
    }
    let scheme = if args.seq {
        VersionScheme::Sequential {
            digits: args.digits,
        }
    } else {
        VersionScheme::Given(timestamp(&args.format, &args.tz)?)
    };
    if let Some(digits) = args.digits.filter(|_| args.seq) {
        strata_core::create::check_digits(digits).map_err(|_| {
            CliError::Usage(format!(
                "-digits {digits}: digits must be between 1 and {MAX_DIGITS}"
            ))
        })?;
    }
    let dir = PathBuf::from(args.dir.as_deref().or(migration_dir).unwrap_or("."));
    std::fs::create_dir_all(&dir)
        .map_err(|e| CliError::Failed(format!("cannot create folder {}: {e}", dir.display())))?;

    let existing = list(&dir)?;
    let read = |file: &str| std::fs::read_to_string(dir.join(file)).ok();
    let files = new_files(&existing, read, name, &ext, &scheme).map_err(|e| match e {
        CreateError::Malformed { name } => CliError::Failed(format!(
            "malformed migration filename: {}",
            strata_core::printable::printable_path(&dir.join(name))
        )),
        CreateError::VersionTooLarge { name } => CliError::Failed(format!(
            "version too large in {}",
            strata_core::printable::printable_path(&dir.join(name))
        )),
        other => CliError::Failed(other.to_string()),
    })?;
    let mut created = Vec::new();
    for file in files {
        let path = dir.join(&file.name);
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut f| f.write_all(file.contents.as_bytes()))
            .map_err(|e| CliError::Failed(format!("cannot create {}: {e}", path.display())))?;
        created.push(std::path::absolute(&path).unwrap_or(path));
    }
    Ok(created)
}

fn list(dir: &Path) -> Result<Vec<String>, CliError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| CliError::Failed(format!("cannot read {}: {e}", dir.display())))?;
    Ok(entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect())
}

fn timestamp(format: &str, tz: &str) -> Result<String, CliError> {
    let now = match tz {
        "UTC" | "" => time::OffsetDateTime::now_utc(),
        "Local" => time::OffsetDateTime::now_local().map_err(|_| {
            CliError::Failed("cannot determine the local time zone; use -tz UTC".into())
        })?,
        other => {
            return Err(CliError::Usage(format!(
                "unknown time zone {other} (supported: UTC, Local)"
            )))
        }
    };
    match format {
        "" => Err(CliError::Usage("time format may not be empty".into())),
        "unix" => Ok(now.unix_timestamp().to_string()),
        "unixNano" => Ok(now.unix_timestamp_nanos().to_string()),
        "20060102150405" => Ok(format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            now.year(),
            u8::from(now.month()),
            now.day(),
            now.hour(),
            now.minute(),
            now.second()
        )),
        other => Err(CliError::Usage(format!(
            "unsupported -format {other:?} (supported: 20060102150405, unix, unixNano)"
        ))),
    }
}
