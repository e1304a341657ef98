//! The only module that reads migration files from disk: list one folder, read the candidate
//! files, and hand their bytes to the pure [`assemble`](super::assemble).

use super::filename::{classify_name, NameKind};
use super::par::par_map;
use super::stream::{scan, ReadError, READ_CHUNK};
use super::{IgnoredFile, RawFile, Source, SourceError, SourceErrors, StreamedFile};
use std::io::ErrorKind;
use std::path::Path;

/// Read every migration in `dir` (non-recursive).
///
/// Entries are handled in file-name order. Hidden files, sub-folders and anything that is not a
/// regular file are listed in [`Source::ignored`] with a reason; symlinks are followed to files,
/// and a broken or looping symlink is an [`SourceError::Io`] naming it. Files whose names cannot
/// be migrations are not even opened. IO errors and content errors are reported together.
pub fn read_dir(dir: &Path, dialect: strata_sql::Dialect) -> Result<Source, SourceErrors> {
    read_dir_streaming(dir, dialect, super::stream::STREAM_THRESHOLD)
}

/// [`read_dir`], streaming pair files longer than `threshold` bytes instead of reading them
/// whole (see [`super::stream`]; [`read_dir`] uses [`super::stream::STREAM_THRESHOLD`]). Marker
/// and legacy files are always read whole.
pub fn read_dir_streaming(
    dir: &Path,
    dialect: strata_sql::Dialect,
    threshold: u64,
) -> Result<Source, SourceErrors> {
    let fail = |e: SourceError| Err(SourceErrors(vec![e]));
    match std::fs::metadata(dir) {
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return fail(SourceError::DirMissing {
                path: dir.to_path_buf(),
            })
        }
        Err(e) => return fail(io(dir, &e)),
        Ok(m) if !m.is_dir() => {
            return fail(SourceError::NotADir {
                path: dir.to_path_buf(),
            })
        }
        Ok(_) => {}
    }
    let listing = match std::fs::read_dir(dir) {
        Ok(l) => l,
        Err(e) => return fail(io(dir, &e)),
    };
    let mut errors = Vec::new();
    let mut names = Vec::new();
    for entry in listing {
        match entry {
            // The entry's type comes with the listing on most file systems (no stat).
            Ok(e) => names.push((e.file_name(), e.file_type().ok())),
            Err(e) => errors.push(io(dir, &e)),
        }
    }
    names.sort_by(|a, b| a.0.cmp(&b.0));

    let mut ignored = Vec::new();
    let mut warnings = Vec::new();
    let mut files = Vec::new();
    let mut streamed = Vec::new();
    // Open and read in parallel (a no-op `up` reads every file on every run), results in
    // name order.
    let read = |(name, kind)| read_entry(dir, name, kind, threshold, dialect);
    for entry in par_map(names, read) {
        match entry {
            Entry::File(file) => files.push(file),
            Entry::Streamed(file) => streamed.push(file),
            Entry::Ignored(file) => ignored.push(file),
            Entry::Warned(file) => warnings.push(file),
            Entry::Failed(e) => errors.push(e),
        }
    }

    match super::assemble_streamed(dir, files, streamed, dialect) {
        Ok(mut source) if errors.is_empty() => {
            source.ignored.extend(ignored);
            source.ignored.sort_by(|a, b| a.path.cmp(&b.path));
            source.warnings.extend(warnings);
            source.warnings.sort_by(|a, b| a.path.cmp(&b.path));
            Ok(source)
        }
        Ok(_) => Err(SourceErrors(errors)),
        Err(SourceErrors(more)) => {
            errors.extend(more);
            Err(SourceErrors(errors))
        }
    }
}

/// What one folder entry turned out to be.
enum Entry {
    File(RawFile),
    Streamed(StreamedFile),
    Ignored(IgnoredFile),
    /// Looks like a migration, matches no layout.
    Warned(IgnoredFile),
    Failed(SourceError),
}

fn read_entry(
    dir: &Path,
    name: std::ffi::OsString,
    listed: Option<std::fs::FileType>,
    threshold: u64,
    dialect: strata_sql::Dialect,
) -> Entry {
    let path = dir.join(&name);
    let ignore = |reason: &str| {
        Entry::Ignored(IgnoredFile {
            path: path.clone(),
            reason: reason.to_string(),
        })
    };
    let Some(name) = name.to_str() else {
        return ignore("file name is not valid UTF-8");
    };
    // Decided by name before any stat, so hidden entries (`.git`, editor swap files, dangling
    // dot-links) never cause errors.
    let kind = classify_name(name);
    match &kind {
        NameKind::Ignored(reason) if name.starts_with('.') => return ignore(reason),
        NameKind::ControlCharacter(character) => {
            return Entry::Failed(SourceError::ControlCharacter {
                path: path.clone(),
                character: *character,
            })
        }
        _ => {}
    }
    // Names that are not migrations are never opened.
    let not_read = |kind: &NameKind<'_>| match kind {
        NameKind::Ignored(reason) => Some(ignore(reason)),
        NameKind::Malformed(reason) => Some(Entry::Warned(IgnoredFile {
            path: path.clone(),
            reason: reason.clone(),
        })),
        _ => None,
    };
    if listed.is_some_and(|t| t.is_file()) {
        if let Some(entry) = not_read(&kind) {
            return entry;
        }
        return read_file(path, matches!(kind, NameKind::Pair(_)), threshold, dialect);
    }
    // Not known to be a regular file: a symlink, a directory, a FIFO... `metadata` follows
    // symlinks; the OS reports loops (ELOOP) instead of hanging.
    let meta = match std::fs::metadata(&path) {
        Ok(m) => m,
        Err(e) => return Entry::Failed(io(&path, &e)),
    };
    if meta.is_dir() {
        return match kind {
            NameKind::Ignored(_) => ignore("directory"),
            _ => ignore("directory named like a migration; only files directly in the migrations folder are read"),
        };
    }
    if !meta.is_file() {
        // A FIFO or device would block or never end when read.
        return ignore("not a regular file");
    }
    if let Some(entry) = not_read(&kind) {
        return entry;
    }
    read_file(path, matches!(kind, NameKind::Pair(_)), threshold, dialect)
}

/// Open, size and read a regular file in four system calls (`std::fs::read` needs one more for
/// the end of the file; 10,000 migrations are 20,000 files on every run) — or, for a pair file
/// longer than `threshold`, scan it in chunks instead of holding it (see [`super::stream`]).
fn read_file(
    path: std::path::PathBuf,
    pair: bool,
    threshold: u64,
    dialect: strata_sql::Dialect,
) -> Entry {
    use std::io::Read;
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) => return Entry::Failed(io(&path, &e)),
    };
    let len = match file.metadata() {
        Ok(m) => m.len(),
        Err(e) => return Entry::Failed(io(&path, &e)),
    };
    if pair && len > threshold {
        return match scan(file, READ_CHUNK, dialect) {
            Ok(scan) => Entry::Streamed(StreamedFile { path, scan }),
            Err(ReadError::Io(e)) => Entry::Failed(io(&path, &e)),
            Err(ReadError::NotUtf8(e)) => Entry::Failed(SourceError::NotUtf8 {
                path,
                line: e.line,
                byte: e.byte,
            }),
            Err(ReadError::Stopped(never)) => match never {},
        };
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    match file.take(len).read_to_end(&mut bytes) {
        Ok(_) => Entry::File(RawFile { path, bytes }),
        Err(e) => Entry::Failed(io(&path, &e)),
    }
}

fn io(path: &Path, e: &std::io::Error) -> SourceError {
    SourceError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migration::{Format, TxMode};
    use std::fs;
    use strata_sql::Dialect;

    fn write(dir: &Path, name: &str, bytes: &[u8]) {
        fs::write(dir.join(name), bytes).unwrap();
    }

    #[test]
    fn read_dir_reads_a_real_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        write(d, "1_create.up.sql", b"CREATE TABLE a (id int);\n");
        write(d, "1_create.down.sql", b"DROP TABLE a;\n");
        write(d, "2_idx.sql", b"-- +goose Up\nCREATE INDEX CONCURRENTLY i ON a (id);\n-- +goose Down\nDROP INDEX i;\n");
        write(d, "README.md", b"\xff not even utf-8, never opened");
        write(d, ".hidden.up.sql", b"SELECT 1;");
        fs::create_dir(d.join("archive")).unwrap();
        fs::create_dir(d.join("3_old.up.sql")).unwrap();
        let src = read_dir(d, Dialect::Postgres).unwrap();
        assert_eq!(src.dir, d);
        assert_eq!(src.migrations.len(), 2);
        assert_eq!(
            src.get(1).unwrap().up.as_ref().unwrap().path,
            d.join("1_create.up.sql")
        );
        assert_eq!(src.get(2).unwrap().format, Format::Goose);
        assert_eq!(
            src.get(2).unwrap().up.as_ref().unwrap().mode,
            TxMode::NoTransaction
        );
        let ignored: Vec<(String, &str)> = src
            .ignored
            .iter()
            .map(|i| {
                (
                    i.path.file_name().unwrap().to_string_lossy().into_owned(),
                    i.reason.as_str(),
                )
            })
            .collect();
        assert_eq!(ignored.len(), 4, "{ignored:?}");
        assert_eq!(ignored[0], (".hidden.up.sql".into(), "hidden file"));
        assert!(
            ignored[1].0 == "3_old.up.sql"
                && ignored[1].1.starts_with("directory named like a migration")
        );
        assert!(ignored[2].0 == "README.md" && ignored[2].1.contains("N_title.sql"));
        assert_eq!(ignored[3], ("archive".into(), "directory"));
    }

    #[test]
    fn streamed_pair_files_read_like_whole_ones() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        let up = "\u{feff}-- strata:lock-timeout 2s\r\n\r\nCREATE TABLE t (a text);\r\nCOPY t FROM stdin;\r\nx;$$\r\n\\.\r\nCREATE INDEX CONCURRENTLY i ON t (a);\r\n";
        write(d, "1_big.up.sql", up.as_bytes());
        write(d, "1_big.down.sql", b"DROP TABLE t;\n");
        write(d, "2_tx.up.sql", b"BEGIN;\nSELECT 1;\nCOMMIT;\n");
        let whole = read_dir(d, Dialect::Postgres).unwrap();
        let streamed = read_dir_streaming(d, Dialect::Postgres, 10).unwrap();
        for (w, s) in whole.migrations.iter().zip(&streamed.migrations) {
            assert_eq!(w.checksum, s.checksum);
            let (wu, su) = (w.up.as_ref().unwrap(), s.up.as_ref().unwrap());
            assert_eq!(su.streamed.map(|s| s.len), Some(wu.sql.len()));
            assert_eq!(su.streamed.map(|s| s.checksum), Some(w.checksum));
            assert!(su.sql.is_empty());
            assert_eq!(
                (wu.mode, &wu.mode_reason, wu.lock_timeout),
                (su.mode, &su.mode_reason, su.lock_timeout)
            );
        }
        assert_eq!(
            streamed.get(1).unwrap().up.as_ref().unwrap().mode,
            TxMode::NoTransaction
        );
        assert_eq!(
            streamed.get(2).unwrap().up.as_ref().unwrap().mode,
            TxMode::SelfManaged
        );

        // Errors name the same file lines.
        write(
            d,
            "3_bad.up.sql",
            b"SELECT 1;\n-- strata:bogus\nCOPY t FROM stdin;\n1\n",
        );
        write(d, "4_utf.up.sql", b"SELECT 1;\nSELECT '\xc3\x28';\n");
        let whole = read_dir(d, Dialect::Postgres).unwrap_err().0;
        let streamed = read_dir_streaming(d, Dialect::Postgres, 10).unwrap_err().0;
        let shown = |e: &[SourceError]| {
            let mut v: Vec<String> = e.iter().map(|e| e.to_string()).collect();
            v.sort();
            v
        };
        assert_eq!(shown(&whole), shown(&streamed));
        assert_eq!(whole.len(), 3, "{whole:?}");
    }

    #[test]
    fn read_dir_missing_and_not_a_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("nope");
        assert_eq!(
            read_dir(&missing, Dialect::Postgres).unwrap_err().0,
            [SourceError::DirMissing { path: missing }]
        );
        let file = tmp.path().join("f.sql");
        write(tmp.path(), "f.sql", b"");
        assert_eq!(
            read_dir(&file, Dialect::Postgres).unwrap_err().0,
            [SourceError::NotADir { path: file }]
        );
    }

    #[test]
    fn read_dir_reports_non_utf8_with_io_errors_together() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        write(d, "1_a.up.sql", b"SELECT 1;\nSELECT '\xc3\x28';\n");
        #[cfg(unix)]
        std::os::unix::fs::symlink(d.join("nowhere.sql"), d.join("2_broken.up.sql")).unwrap();
        let errs = read_dir(d, Dialect::Postgres).unwrap_err().0;
        #[cfg(unix)]
        assert!(
            matches!(&errs[0], SourceError::Io { path, .. } if *path == d.join("2_broken.up.sql")),
            "{errs:?}"
        );
        assert_eq!(
            errs.last().unwrap(),
            &SourceError::NotUtf8 {
                path: d.join("1_a.up.sql"),
                line: 2,
                byte: 18
            }
        );
    }

    #[cfg(unix)]
    #[test]
    fn read_dir_follows_symlinks_and_reports_loops() {
        use std::os::unix::fs::symlink;
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("m");
        fs::create_dir(&d).unwrap();
        write(tmp.path(), "shared.sql", b"SELECT 1;\n");
        symlink(tmp.path().join("shared.sql"), d.join("1_linked.up.sql")).unwrap();
        let src = read_dir(&d, Dialect::Postgres).unwrap();
        assert_eq!(src.get(1).unwrap().up.as_ref().unwrap().sql, "SELECT 1;\n");

        symlink(d.join("3_b.up.sql"), d.join("3_a.up.sql")).unwrap();
        symlink(d.join("3_a.up.sql"), d.join("3_b.up.sql")).unwrap();
        let errs = read_dir(&d, Dialect::Postgres).unwrap_err().0;
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(matches!(&errs[0], SourceError::Io { path, .. } if *path == d.join("3_a.up.sql")));
        assert!(errs[1].to_string().contains("3_b.up.sql"));
    }

    #[cfg(unix)]
    #[test]
    fn read_dir_skips_fifos_without_blocking() {
        let tmp = tempfile::tempdir().unwrap();
        let fifo = tmp.path().join("1_pipe.up.sql");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !matches!(status, Ok(s) if s.success()) {
            return; // no mkfifo on this system
        }
        let src = read_dir(tmp.path(), Dialect::Postgres).unwrap();
        assert_eq!(src.ignored[0].reason, "not a regular file");
    }
}
