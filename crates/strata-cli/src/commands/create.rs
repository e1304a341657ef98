//! `create`: a new pair of empty up/down files, as golang-migrate names them.

use crate::args::CreateArgs;
use crate::CliError;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

/// Create the files; returns their paths (up first).
pub fn create(args: &CreateArgs) -> Result<Vec<PathBuf>, CliError> {
    let name = args
        .name
        .as_deref()
        .ok_or_else(|| CliError::Failed("please specify name".into()))?;
    let ext = args.ext.as_deref().unwrap_or("");
    if ext.is_empty() {
        return Err(CliError::Failed("-ext flag must be specified".into()));
    }
    let ext = format!(".{}", ext.trim_start_matches('.'));
    const DEFAULT_FORMAT: &str = "20060102150405";
    if args.seq && args.format != DEFAULT_FORMAT {
        return Err(CliError::Failed(
            "the seq and format options are mutually exclusive".into(),
        ));
    }
    let dir = PathBuf::from(args.dir.as_deref().unwrap_or("."));
    std::fs::create_dir_all(&dir)
        .map_err(|e| CliError::Failed(format!("cannot create folder {}: {e}", dir.display())))?;

    let version = if args.seq {
        if args.digits <= 0 {
            return Err(CliError::Failed("digits must be positive".into()));
        }
        let next = highest_version(&dir, &ext)? + 1;
        let v = format!("{next:0width$}", width = args.digits as usize);
        if v.len() > args.digits as usize {
            return Err(CliError::Failed(format!(
                "next sequence number {v} too large, at most {} digits are allowed",
                args.digits
            )));
        }
        v
    } else {
        timestamp(&args.format, &args.tz)?
    };

    // Another file already claims this version.
    let prefix = format!("{version}_");
    for entry in list(&dir)? {
        if entry.starts_with(&prefix) && entry.ends_with(&ext) {
            return Err(CliError::Failed(format!(
                "duplicate migration version: {version}"
            )));
        }
    }
    let mut created = Vec::new();
    for direction in ["up", "down"] {
        let path = dir.join(format!("{version}_{name}.{direction}{ext}"));
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
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

/// The highest numeric version among `DIR/*EXT` (golang-migrate takes the lexicographically last
/// file, which goes wrong with unpadded names; the numeric maximum does not).
fn highest_version(dir: &Path, ext: &str) -> Result<u64, CliError> {
    let mut max = 0;
    for name in list(dir)?.into_iter().filter(|n| n.ends_with(ext)) {
        let digits: String = name.chars().take_while(|c| c.is_ascii_digit()).collect();
        if digits.is_empty() || !name[digits.len()..].starts_with('_') {
            return Err(CliError::Failed(format!(
                "malformed migration filename: {}",
                dir.join(&name).display()
            )));
        }
        let v: u64 = digits.parse().map_err(|_| {
            CliError::Failed(format!(
                "version too large in {}",
                dir.join(&name).display()
            ))
        })?;
        max = max.max(v);
    }
    Ok(max)
}

fn timestamp(format: &str, tz: &str) -> Result<String, CliError> {
    let now = match tz {
        "UTC" | "" => time::OffsetDateTime::now_utc(),
        "Local" => time::OffsetDateTime::now_local().map_err(|_| {
            CliError::Failed("cannot determine the local time zone; use -tz UTC".into())
        })?,
        other => {
            return Err(CliError::Failed(format!(
                "unknown time zone {other} (supported: UTC, Local)"
            )))
        }
    };
    match format {
        "" => Err(CliError::Failed("time format may not be empty".into())),
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
        other => Err(CliError::Failed(format!(
            "unsupported -format {other:?} (supported: 20060102150405, unix, unixNano)"
        ))),
    }
}
