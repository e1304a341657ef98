//! Names of the databases (and SQLite files) Strata creates for tests, and how to recognise
//! them again: `prune` and `drop` touch nothing whose name does not parse here.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

const TEMPLATE_PREFIX: &str = "strata_tpl_";
const TEST_PREFIX: &str = "strata_test_";
const SPARE_PREFIX: &str = "strata_spare_";
/// Fingerprint digits kept in a test database's name (informational: which set it holds).
const TEST_FP_LEN: usize = 12;

/// What a name says about a database Strata created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// The template of the migration set with this fingerprint.
    Template {
        /// The full fingerprint.
        fingerprint: String,
    },
    /// A spare clone of the template of this fingerprint, waiting to be claimed by a test.
    Spare {
        /// The full fingerprint.
        fingerprint: String,
    },
    /// A test database, created at this Unix time (seconds).
    Test {
        /// Seconds since the epoch at creation.
        created: u64,
    },
}

/// The template database (or file stem) of fingerprint `fp`.
pub fn template(fp: &str) -> String {
    format!("{TEMPLATE_PREFIX}{fp}")
}

/// The `LIKE` pattern of the spares of fingerprint `fp` (a hex string: nothing to escape but
/// the underscores).
#[cfg(feature = "postgres")]
pub fn spare_pattern(fp: &str) -> String {
    format!("{}{fp}\\_%", SPARE_PREFIX.replace('_', "\\_"))
}

/// A fresh spare name of fingerprint `fp`: `strata_spare_<fp>_<pid>_<random>_<n>`, unique
/// across processes and hosts as test names are.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub fn spare(fp: &str) -> String {
    let (pid, nonce, n) = unique();
    format!("{SPARE_PREFIX}{fp}_{pid}_{nonce:06x}_{n}")
}

/// This process's id, its random nonce and the next value of its counter.
fn unique() -> (u32, u32, u64) {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static NONCE: OnceLock<u32> = OnceLock::new();
    let nonce = *NONCE.get_or_init(|| {
        // RandomState is seeded from the OS's random source: no extra crate for 24 bits.
        let mut h = RandomState::new().build_hasher();
        std::process::id().hash(&mut h);
        SystemTime::now().hash(&mut h);
        (h.finish() & 0xff_ffff) as u32
    });
    (
        std::process::id(),
        nonce,
        COUNTER.fetch_add(1, Ordering::Relaxed),
    )
}

/// A fresh test database name: `strata_test_<fp>_<unix secs>_<pid>_<random>_<n>`. The pid
/// separates the processes of one host, the random part those of hosts sharing a server, the
/// counter the tests of one process; at most 63 bytes (PostgreSQL's identifier limit).
pub fn test(fp: &str, now: SystemTime) -> String {
    let (pid, nonce, n) = unique();
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let fp = &fp[..fp.len().min(TEST_FP_LEN)];
    format!("{TEST_PREFIX}{fp}_{secs}_{pid}_{nonce:06x}_{n}")
}

/// What `name` is, if Strata made it; `None` for any other name.
pub fn parse(name: &str) -> Option<Parsed> {
    let hex = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some(fp) = name.strip_prefix(TEMPLATE_PREFIX) {
        return (fp.len() == super::fingerprint::LEN && hex(fp)).then(|| Parsed::Template {
            fingerprint: fp.to_string(),
        });
    }
    if let Some(rest) = name.strip_prefix(SPARE_PREFIX) {
        return match rest.split('_').collect::<Vec<_>>().as_slice() {
            [fp, pid, nonce, n]
                if fp.len() == super::fingerprint::LEN
                    && hex(fp)
                    && digits(pid)
                    && hex(nonce)
                    && digits(n) =>
            {
                Some(Parsed::Spare {
                    fingerprint: fp.to_string(),
                })
            }
            _ => None,
        };
    }
    let rest = name.strip_prefix(TEST_PREFIX)?;
    let parts: Vec<&str> = rest.split('_').collect();
    match parts.as_slice() {
        [fp, secs, pid, nonce, n]
            if hex(fp) && digits(secs) && digits(pid) && hex(nonce) && digits(n) =>
        {
            Some(Parsed::Test {
                created: secs.parse().ok()?,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const FP: &str = "0123456789abcdef";

    #[test]
    fn a_test_name_parses_back_with_its_creation_time_and_fits_postgres() {
        let at = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let name = test(FP, at);
        assert!(name.len() <= 63, "{name}");
        assert_eq!(
            parse(&name),
            Some(Parsed::Test {
                created: 1_800_000_000
            })
        );
    }

    #[test]
    fn names_of_one_process_differ() {
        let now = SystemTime::now();
        assert_ne!(test(FP, now), test(FP, now));
    }

    #[test]
    fn a_template_name_parses_back() {
        assert_eq!(
            parse(&template(FP)),
            Some(Parsed::Template {
                fingerprint: FP.into()
            })
        );
    }

    #[test]
    fn a_spare_name_parses_back_with_its_fingerprint_and_fits_postgres() {
        let fp = "0123456789abcdef";
        let name = spare(fp);
        assert!(name.len() <= 63, "{name}");
        assert_ne!(name, spare(fp));
        assert_eq!(
            parse(&name),
            Some(Parsed::Spare {
                fingerprint: fp.into()
            })
        );
        #[cfg(feature = "postgres")]
        assert_eq!(spare_pattern(fp), "strata\\_spare\\_0123456789abcdef\\_%");
    }

    #[test]
    fn other_names_are_not_ours() {
        for name in [
            "postgres",
            "strata_tpl_",
            "strata_tpl_0123",
            "strata_tpl_0123456789abcdeg",
            "strata_test_app",
            "strata_test_0123_1_2_ab",
            "strata_test_0123_x_2_ab_1",
            "myapp_strata_test_0123_1_2_ab_1",
            "strata_spare_0123_1_ab_1",
            "strata_spare_0123456789abcdef_1_ab",
        ] {
            assert_eq!(parse(name), None, "{name}");
        }
    }
}
