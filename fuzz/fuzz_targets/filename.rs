//! Feeds arbitrary names to the file-name classifier: never panics, and a pair name splits
//! into parts that rebuild exactly the input (`<digits>_<title>.<up|down>.<ext>`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use strata_core::source::filename::{classify_name, parse_pair_name, NameKind};
use strata_core::Direction;

fuzz_target!(|data: &[u8]| {
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
        NameKind::Pair(p) => assert_eq!(Some(p), parse_pair_name(name)),
        NameKind::Single(s) => {
            assert_eq!(format!("{}_{}.sql", s.digits, s.title), name);
            let _ = s.looks_like_misnamed_pair();
        }
        NameKind::Ignored(reason) => assert!(!reason.is_empty()),
    }
});
