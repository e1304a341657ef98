//! The invariants the fuzz targets `filename` and `markers` check, as plain functions, so that
//! `cargo fuzz` (in `fuzz/`, a nightly build) and the ordinary `cargo test` (stable) run the
//! very same code: a crash the fuzzer finds is saved under `fuzz/regressions/<target>/` and
//! replayed by every test run from then on (see `fuzz/README.md`). Not part of the crate's API.

use crate::migration::Direction;
use crate::source::filename::{classify_name, parse_pair_name, NameKind};
use crate::source::markers::parse_sections;

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
}
