//! The password file (`~/.pgpass`, or `PGPASSFILE`), as libpq reads it: lines
//! `host:port:database:user:password`, `*` matching anything, `\:` and `\\` escaping, `#`
//! comments. A file that others can read is ignored with libpq's warning.
//!
//! Written here rather than taken from a crate: the crates found either build a whole
//! `postgres::Config` (dropping the settings Strata adds) or skip the permission check.

use std::path::{Path, PathBuf};

/// The key a password is looked up by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key<'a> {
    /// Host name, or `localhost` for the default Unix socket.
    pub host: &'a str,
    /// Port, as text.
    pub port: &'a str,
    /// Database.
    pub database: &'a str,
    /// User.
    pub user: &'a str,
}

/// What reading the file found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// No file, or no matching line.
    Nothing,
    /// The password of line `line` of `path`.
    Password {
        /// The password.
        password: String,
        /// The file.
        path: PathBuf,
        /// Its 1-based line.
        line: usize,
    },
    /// The file was ignored; libpq's warning text.
    Ignored(String),
}

/// Look `key` up in the file at `path` (missing file: nothing).
pub fn lookup(path: &Path, key: &Key<'_>) -> Found {
    let Ok(meta) = std::fs::metadata(path) else {
        return Found::Nothing;
    };
    if !meta.is_file() {
        return Found::Ignored(format!(
            "password file \"{}\" is not a plain file",
            path.display()
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            return Found::Ignored(format!(
                "password file \"{}\" has group or world access; permissions should be u=rw (0600) or less",
                path.display()
            ));
        }
    }
    let Ok(text) = std::fs::read_to_string(path) else {
        return Found::Nothing;
    };
    match find(&text, key) {
        Some((password, line)) => Found::Password {
            password,
            path: path.to_path_buf(),
            line,
        },
        None => Found::Nothing,
    }
}

/// The password and 1-based line of the first line of `text` matching `key`.
pub fn find(text: &str, key: &Key<'_>) -> Option<(String, usize)> {
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields = split(line);
        // libpq skips lines with too few fields.
        let [host, port, database, user, password] = fields.as_slice() else {
            continue;
        };
        let matches = |pattern: &str, value: &str| pattern == "*" || pattern == value;
        if matches(host, key.host)
            && matches(port, key.port)
            && matches(database, key.database)
            && matches(user, key.user)
        {
            return Some((password.clone(), i + 1));
        }
    }
    None
}

/// Split at unescaped `:` into at most five fields (the password keeps any further `:`).
fn split(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    fields.last_mut().expect("one field").push(n);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut().expect("one field").push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: Key<'static> = Key {
        host: "db",
        port: "5432",
        database: "app",
        user: "u",
    };

    #[test]
    fn first_matching_line_wins_with_wildcards_and_escapes() {
        let text = "# comment\nother:5432:app:u:no\ndb:*:app:u:p\\:w\\\\d\ndb:5432:app:u:later\n";
        assert_eq!(find(text, &KEY), Some(("p:w\\d".to_string(), 3)));
        assert_eq!(find("db:5432:app:u\n", &KEY), None);
        assert_eq!(find("*:*:*:*:a:b", &KEY), Some(("a:b".to_string(), 1)));
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_can_read_is_ignored_with_libpq_warning() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pgpass");
        std::fs::write(&path, "*:*:*:*:secret\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        match lookup(&path, &KEY) {
            Found::Ignored(m) => assert!(m.contains("has group or world access"), "{m}"),
            other => panic!("{other:?}"),
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(
            lookup(&path, &KEY),
            Found::Password { line: 1, .. }
        ));
        assert_eq!(lookup(&dir.path().join("none"), &KEY), Found::Nothing);
    }
}
