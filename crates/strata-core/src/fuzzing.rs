//! The invariants the fuzz targets `filename`, `markers`, `directives` and `settings` check, as
//! plain functions, so that
//! `cargo fuzz` (in `fuzz/`, a nightly build) and the ordinary `cargo test` (stable) run the
//! very same code: a crash the fuzzer finds is saved under `fuzz/regressions/<target>/` and
//! replayed by every test run from then on (see `fuzz/README.md`). Not part of the crate's API.

use crate::create::{new_files, VersionScheme};
use crate::duration::{parse_duration, parse_duration_or_seconds, MAX_TIMEOUT};
use crate::migration::Direction;
use crate::source::filename::{classify_name, parse_pair_name, parse_version, NameKind};
use crate::source::markers::parse_sections;
use crate::source::{assemble, RawFile, SourceError};
use std::path::Path;
use std::time::Duration;

/// Target `filename`: the file-name classifier on any UTF-8 name never panics; a pair name's
/// parts rebuild exactly the input (`<digits>_<title>.<up|down>.<ext>`), its digits are digits
/// and its version their value; a single file rebuilds as `<digits><_ or ->title>.sql`; a name
/// holding a control character is never read as a migration; a name not read has a reason.
pub fn filename(data: &[u8]) {
    let Ok(name) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(p) = parse_pair_name(name) {
        let dir = match p.direction {
            Direction::Up => "up",
            Direction::Down => "down",
        };
        assert_eq!(format!("{}_{}.{dir}.{}", p.digits, p.title, p.ext), name);
        assert!(!p.digits.is_empty() && p.digits.bytes().all(|b| b.is_ascii_digit()));
        if let Some(v) = p.version {
            assert_eq!(p.digits.parse::<u64>().ok(), Some(v));
        }
        assert!(!p.title.contains('\n') && !p.ext.contains('\n'));
    }
    match classify_name(name) {
        NameKind::Pair(p) => {
            assert_eq!(Some(p), parse_pair_name(name));
            assert!(!name.contains(char::is_control));
        }
        NameKind::Single(s) => {
            let sep = s.separator.as_char();
            assert_eq!(format!("{}{sep}{}.sql", s.digits, s.title), name);
            assert!(!name.contains(char::is_control));
            let _ = s.looks_like_misnamed_pair();
        }
        NameKind::ControlCharacter(c) => assert!(c.is_control() && name.contains(c)),
        NameKind::Malformed(reason) | NameKind::Ignored(reason) => assert!(!reason.is_empty()),
    }
}

/// Target `markers`: the marker parser (goose, sql-migrate, dbmate, `-- UP`/`-- DOWN`) on any
/// UTF-8 text never panics; sections lie within the text on `char` boundaries, do not overlap
/// and name plausible lines; errors are non-empty and name lines of the text.
pub fn markers(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines = text.lines().count().max(1) + 1;
    match parse_sections(text) {
        Ok(s) => {
            let _ = s.expected_up_marker();
            for section in [&s.up, &s.down].into_iter().flatten() {
                let r = section.range.clone();
                assert!(r.start <= r.end && r.end <= text.len());
                let _ = &text[r]; // panics off a char boundary
                assert!(section.first_line >= 1 && section.first_line <= lines);
            }
            if let (Some(u), Some(d)) = (&s.up, &s.down) {
                assert!(u.range.end <= d.range.start || d.range.end <= u.range.start);
            }
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            for e in errors {
                assert!(e.line >= 1 && e.line <= lines, "line {} of {lines}", e.line);
                assert!(!e.message.is_empty());
            }
        }
    }
}

/// Target `directives`: a folder of one file holding the input, read as a pair's up file and as
/// a single file with markers, for both dialects, never panics; every error naming a line names
/// that file and a line of the text; a timeout a directive set is one PostgreSQL accepts (0, or
/// 1ms to 24.8 days).
pub fn directives(data: &[u8]) {
    // Counted in bytes: a file that is not UTF-8 is reported at the line of its first bad byte,
    // which a count of the text's lines would not reach.
    let lines = data.iter().filter(|b| **b == b'\n').count() + 2;
    for name in ["1_x.up.sql", "1_x.sql"] {
        for dialect in [strata_sql::Dialect::Postgres, strata_sql::Dialect::Sqlite] {
            let file = RawFile {
                path: Path::new("m").join(name),
                bytes: data.to_vec(),
            };
            match assemble(Path::new("m"), vec![file], dialect) {
                Ok(source) => {
                    for script in source
                        .migrations
                        .iter()
                        .flat_map(|m| [&m.up, &m.down])
                        .flatten()
                    {
                        for t in [script.lock_timeout, script.statement_timeout]
                            .into_iter()
                            .flatten()
                        {
                            assert_timeout(t);
                        }
                    }
                }
                Err(errors) => {
                    assert!(!errors.0.is_empty());
                    for e in &errors.0 {
                        assert!(!e.to_string().is_empty());
                        if let SourceError::Marker { path, line, .. }
                        | SourceError::NotUtf8 { path, line, .. } = e
                        {
                            assert_eq!(path, &Path::new("m").join(name));
                            assert!(*line >= 1 && *line <= lines, "line {line} of {lines}");
                        }
                    }
                }
            }
        }
    }
}

/// Target `settings`: the setting parsers on any text never panic. A duration (with a unit, or
/// bare seconds) parses to a timeout PostgreSQL accepts or to an error that says something;
/// `create`'s naming, with the first line as `-digits` and the other lines as the folder's file
/// names, either fails or names new files that hold the next version, in the width asked for,
/// and clash with no existing name.
pub fn settings(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for parsed in [parse_duration(text), parse_duration_or_seconds(text)] {
        match parsed {
            Ok(d) => assert_timeout(d),
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
    let mut lines = text.lines();
    let digits = lines.next().and_then(|l| l.trim().parse::<i64>().ok());
    let existing: Vec<String> = lines.map(str::to_string).collect();
    let scheme = VersionScheme::Sequential { digits };
    let Ok(files) = new_files(
        &existing,
        |_| Some(text.to_string()),
        "new",
        ".sql",
        &scheme,
    ) else {
        return;
    };
    assert!(matches!(files.len(), 1 | 2));
    let newest = existing
        .iter()
        .filter(|n| n.ends_with(".sql"))
        .filter_map(|n| {
            let d = n.bytes().take_while(u8::is_ascii_digit).count();
            parse_version(&n[..d])
        })
        .max();
    for file in &files {
        assert!(!existing.contains(&file.name), "{} exists", file.name);
        let (written, version) = match classify_name(&file.name) {
            NameKind::Pair(p) => (p.digits, p.version),
            NameKind::Single(s) => (s.digits, s.version),
            NameKind::Ignored(reason) | NameKind::Malformed(reason) => {
                panic!("{} is not a migration: {reason}", file.name)
            }
            NameKind::ControlCharacter(c) => panic!("{} holds {c:?}", file.name),
        };
        assert_eq!(version, Some(newest.map_or(1, |v| v + 1)));
        if let Some(d) = digits {
            assert_eq!(written.len() as i64, d);
        }
    }
}

fn assert_timeout(d: Duration) {
    assert!(d <= MAX_TIMEOUT, "{d:?}");
    assert!(d.is_zero() || d >= Duration::from_millis(1), "{d:?}");
}

#[cfg(test)]
mod tests {
    #[test]
    fn filename_holds_on_every_committed_fuzz_input() {
        assert!(strata_testkit::fuzz::replay("filename", super::filename) >= 3);
    }

    #[test]
    fn markers_hold_on_every_committed_fuzz_input() {
        assert!(strata_testkit::fuzz::replay("markers", super::markers) >= 3);
    }

    #[test]
    fn directives_hold_on_every_committed_fuzz_input() {
        assert!(strata_testkit::fuzz::replay("directives", super::directives) >= 3);
    }

    #[test]
    fn settings_hold_on_every_committed_fuzz_input() {
        assert!(strata_testkit::fuzz::replay("settings", super::settings) >= 3);
    }
}
