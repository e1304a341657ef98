//! Feeds arbitrary text to the marker parser (goose, sql-migrate, dbmate, `-- UP`/`-- DOWN`):
//! never panics; sections lie within the text, on char boundaries, in order, with plausible
//! line numbers; errors name lines of the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use strata_core::source::markers::parse_sections;

fuzz_target!(|data: &[u8]| {
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
});
