//! Naming a new migration the way its folder already names them (`strata create`).
//!
//! golang-migrate's `create` always writes a pair `<version>_<name>.up.<ext>` /
//! `.down.<ext>`. A folder of single files with markers (`001_init.sql` with `-- migrate:up`)
//! gets a single file with the same markers instead, and a sequential version takes the digit
//! width of the folder's newest file unless one is asked for. The caller reads the folder and
//! writes the files; this only decides names and contents.

use crate::migration::Format;
use crate::source::filename::{classify_name, parse_version, NameKind};
use crate::source::markers::parse_sections;
use crate::Version;

/// The widest sequential version `create` writes: versions are 64-bit (at most 19 digits), so a
/// wider one could only be zeros in front.
pub const MAX_DIGITS: i64 = 20;

/// golang-migrate's default width of a sequential version.
pub const DEFAULT_DIGITS: usize = 6;

/// How the new version is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionScheme {
    /// One above the newest version, zero-padded to `digits` (the folder's width when `None`).
    Sequential {
        /// The width asked for, as given (checked here).
        digits: Option<i64>,
    },
    /// This version, as written (a timestamp made by the caller).
    Given(String),
}

/// A file to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    /// Its base name.
    pub name: String,
    /// What to write in it.
    pub contents: String,
}

/// Why no file can be named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CreateError {
    /// The width asked for is not 1 to [`MAX_DIGITS`].
    #[error("digits must be between 1 and {MAX_DIGITS} (got {digits})")]
    Digits {
        /// The width asked for.
        digits: i64,
    },
    /// A file with the extension does not start with `<digits>_`.
    #[error("malformed migration filename: {name}")]
    Malformed {
        /// The file's name.
        name: String,
    },
    /// A file's version does not fit in a 64-bit signed integer.
    #[error("version too large in {name}")]
    VersionTooLarge {
        /// The file's name.
        name: String,
    },
    /// The next sequential version does not fit in the width.
    #[error("next sequence number {next} too large, at most {digits} digits are allowed")]
    SequenceFull {
        /// The next version.
        next: String,
        /// The width.
        digits: usize,
    },
    /// A file already has the version.
    #[error("duplicate migration version: {version}")]
    Duplicate {
        /// The version.
        version: String,
    },
}

/// Check a width asked for: 1 to [`MAX_DIGITS`].
pub fn check_digits(digits: i64) -> Result<usize, CreateError> {
    if (1..=MAX_DIGITS).contains(&digits) {
        Ok(digits as usize)
    } else {
        Err(CreateError::Digits { digits })
    }
}

/// The files for a new migration `title` with extension `ext` (`.sql`), given the names of the
/// files already in the folder and a way to read one of them (`read(name)`, used for the newest
/// single file, to follow its markers; `None` when it cannot be read).
pub fn new_files(
    existing: &[String],
    read: impl FnOnce(&str) -> Option<String>,
    title: &str,
    ext: &str,
    scheme: &VersionScheme,
) -> Result<Vec<NewFile>, CreateError> {
    let digits = match scheme {
        VersionScheme::Sequential { digits: Some(d) } => Some(check_digits(*d)?),
        _ => None,
    };
    // A sequence must know the newest version for sure; a given version only needs the layout.
    let strict = matches!(scheme, VersionScheme::Sequential { .. });
    let newest = newest(existing, ext, strict)?;
    let version = match scheme {
        VersionScheme::Given(v) => v.clone(),
        VersionScheme::Sequential { .. } => {
            // A folder's width is followed up to the widest one can ask for.
            let width = digits
                .or(newest.as_ref().map(|n| n.digits.min(MAX_DIGITS as usize)))
                .unwrap_or(DEFAULT_DIGITS);
            let next = newest
                .as_ref()
                .map_or(Some(1), |n| n.version.checked_add(1));
            let next = next.filter(|v| *v <= i64::MAX as u64);
            let v = next.map(|n| format!("{n:0width$}"));
            match v {
                Some(v) if v.len() <= width => v,
                _ => {
                    return Err(CreateError::SequenceFull {
                        next: v.unwrap_or_else(|| "above 9223372036854775807".into()),
                        digits: width,
                    })
                }
            }
        }
    };
    for name in existing {
        if claims(name, &version, ext) {
            return Err(CreateError::Duplicate { version });
        }
    }
    let single = match &newest {
        Some(n) if n.single => Some(
            read(&n.name)
                .and_then(|text| parse_sections(&text).ok())
                .map_or(Format::Markers, |s| s.format),
        ),
        _ => None,
    };
    Ok(match single {
        None => ["up", "down"]
            .iter()
            .map(|direction| NewFile {
                name: format!("{version}_{title}.{direction}{ext}"),
                contents: String::new(),
            })
            .collect(),
        Some(format) => vec![NewFile {
            name: format!("{version}_{title}.sql"),
            contents: template(format).into(),
        }],
    })
}

/// A single file's empty sections, in the folder's marker family.
fn template(format: Format) -> &'static str {
    match format {
        Format::SqlMigrate => "-- +migrate Up\n\n-- +migrate Down\n",
        Format::Dbmate => "-- migrate:up\n\n-- migrate:down\n",
        Format::Goose => "-- +goose Up\n\n-- +goose Down\n",
        // Up-only files without markers: the new one is one too.
        Format::Legacy => "",
        Format::Markers | Format::Pair => "-- UP\n\n-- DOWN\n",
    }
}

/// The folder's newest migration file with the extension.
struct Newest {
    name: String,
    version: Version,
    digits: usize,
    single: bool,
}

/// The newest of the files ending in `ext`: the numeric maximum, where golang-migrate takes the
/// lexicographically last name and goes wrong on unpadded ones. When `strict`, each must be
/// `<digits>_...` with a 64-bit version, as golang-migrate's `-seq` requires; otherwise such
/// names are passed over. Single files (`N_title.sql`, not a pair) are told apart only for
/// `.sql`. Pairs win a tie (a version cannot be both).
fn newest(existing: &[String], ext: &str, strict: bool) -> Result<Option<Newest>, CreateError> {
    let mut best: Option<Newest> = None;
    for name in existing.iter().filter(|n| n.ends_with(ext)) {
        let n = name.bytes().take_while(u8::is_ascii_digit).count();
        let version = if n == 0 || name.as_bytes().get(n) != Some(&b'_') {
            Err(CreateError::Malformed { name: name.clone() })
        } else {
            parse_version(&name[..n])
                .ok_or_else(|| CreateError::VersionTooLarge { name: name.clone() })
        };
        let version = match version {
            Ok(v) => v,
            Err(e) if strict => return Err(e),
            Err(_) => continue,
        };
        let single = ext == ".sql" && matches!(classify_name(name), NameKind::Single(_));
        let better = match &best {
            None => true,
            Some(b) => version > b.version || (version == b.version && b.single && !single),
        };
        if better {
            best = Some(Newest {
                name: name.clone(),
                version,
                digits: n,
                single,
            });
        }
    }
    Ok(best)
}

/// Whether the file `name` already holds `version` (as written) with extension `ext`.
fn claims(name: &str, version: &str, ext: &str) -> bool {
    name.strip_prefix(version)
        .is_some_and(|rest| rest.starts_with('_'))
        && name.ends_with(ext)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn seq(digits: Option<i64>) -> VersionScheme {
        VersionScheme::Sequential { digits }
    }

    fn created(existing: &[&str], text: Option<&str>, scheme: VersionScheme) -> Vec<NewFile> {
        new_files(
            &names(existing),
            |_| text.map(String::from),
            "x",
            ".sql",
            &scheme,
        )
        .unwrap()
    }

    #[test]
    fn empty_folder_gets_a_golang_migrate_pair() {
        let files = created(&[], None, seq(None));
        let got: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(got, ["000001_x.up.sql", "000001_x.down.sql"]);
        assert!(files.iter().all(|f| f.contents.is_empty()));
        let files = created(&[], None, VersionScheme::Given("20260101000000".into()));
        assert_eq!(files[0].name, "20260101000000_x.up.sql");
    }

    #[test]
    fn single_files_with_markers_get_one_more_in_the_same_family_and_width() {
        let folder = ["001_init.sql", "002_users.sql", "README.md"];
        let dbmate = "-- migrate:up\nCREATE TABLE t (id int);\n-- migrate:down\nDROP TABLE t;\n";
        assert_eq!(
            created(&folder, Some(dbmate), seq(None)),
            [NewFile {
                name: "003_x.sql".into(),
                contents: "-- migrate:up\n\n-- migrate:down\n".into()
            }]
        );
        let goose = "-- +goose Up\nSELECT 1;\n";
        assert_eq!(
            created(&folder, Some(goose), seq(None))[0].contents,
            "-- +goose Up\n\n-- +goose Down\n"
        );
        let plain = "CREATE TABLE t (id int);\n";
        assert_eq!(created(&folder, Some(plain), seq(None))[0].contents, "");
        assert_eq!(
            created(&folder, None, seq(None))[0].contents,
            "-- UP\n\n-- DOWN\n"
        );
        // An explicit width wins over the folder's.
        assert_eq!(
            created(&folder, Some(dbmate), seq(Some(5)))[0].name,
            "00003_x.sql"
        );
    }

    #[test]
    fn pairs_follow_the_newest_width_and_a_mixed_folder_its_newest_file() {
        let got = created(&["1_a.up.sql", "1_a.down.sql"], None, seq(None));
        assert_eq!(got[0].name, "2_x.up.sql");
        let got = created(&["0001_a.up.sql", "0002_b.sql"], Some("-- UP\n"), seq(None));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].name, "0003_x.sql");
        let got = created(&["0001_a.sql", "0002_b.up.sql"], None, seq(None));
        assert_eq!(got[1].name, "0003_x.down.sql");
    }

    #[test]
    fn bad_widths_and_full_sequences_are_errors_not_panics() {
        for digits in [0, -1, 21, 70000, i64::MAX, i64::MIN] {
            assert_eq!(
                new_files(&[], |_| None, "x", ".sql", &seq(Some(digits))),
                Err(CreateError::Digits { digits })
            );
        }
        assert_eq!(check_digits(20), Ok(20));
        assert_eq!(
            new_files(&names(&["99_a.up.sql"]), |_| None, "x", ".sql", &seq(None)),
            Err(CreateError::SequenceFull {
                next: "100".into(),
                digits: 2
            })
        );
        assert!(matches!(
            new_files(
                &names(&["9223372036854775807_a.up.sql"]),
                |_| None,
                "x",
                ".sql",
                &seq(Some(20))
            ),
            Err(CreateError::SequenceFull { .. })
        ));
        assert_eq!(
            new_files(
                &names(&["99999999999999999999_a.up.sql"]),
                |_| None,
                "x",
                ".sql",
                &seq(None)
            ),
            Err(CreateError::VersionTooLarge {
                name: "99999999999999999999_a.up.sql".into()
            })
        );
    }

    #[test]
    fn malformed_names_and_taken_versions_are_refused() {
        assert_eq!(
            new_files(&names(&["schema.sql"]), |_| None, "x", ".sql", &seq(None)),
            Err(CreateError::Malformed {
                name: "schema.sql".into()
            })
        );
        // A timestamp needs no sequence: names that are not migrations do not stop it.
        let files = created(
            &["schema.sql", "001_a.sql"],
            Some("-- UP\n"),
            VersionScheme::Given("20260101000000".into()),
        );
        assert_eq!(files[0].name, "20260101000000_x.sql");
        assert_eq!(
            new_files(
                &names(&["5_a.up.sql"]),
                |_| None,
                "x",
                ".sql",
                &VersionScheme::Given("5".into())
            ),
            Err(CreateError::Duplicate {
                version: "5".into()
            })
        );
    }
}
