//! Connection service files (`pg_service.conf`), as libpq reads them: `[name]` sections of
//! `key=value` lines, `#` comments. The user's file (`PGSERVICEFILE`, default
//! `~/.pg_service.conf`) is searched first, then the system's (`$PGSYSCONFDIR/pg_service.conf`,
//! default `/etc/postgresql-common/pg_service.conf`, where Debian's libpq looks).
//!
//! Written here rather than taken from the `postgres-service` crate: that one returns a
//! `postgres::Config`, which cannot hold `sslrootcert` or `sslmode=verify-full` and loses
//! which file and line each value came from.

use std::path::{Path, PathBuf};

/// One setting of a service: key, value, 1-based line.
pub type Entry = (String, String, usize);

/// A service found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The file it is in.
    pub path: PathBuf,
    /// Its settings in file order.
    pub entries: Vec<Entry>,
}

/// Look for service `name` in `files`, in order; the first file that has it is used.
/// Err: a malformed line (`FILE line N: ...`) or, when no file has it, where it was looked for.
pub fn find(name: &str, files: &[PathBuf], known: &[&str]) -> Result<Service, String> {
    for path in files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        if let Some(entries) = section(&text, name, known)
            .map_err(|(line, m)| format!("{} line {line}: {m}", path.display()))?
        {
            return Ok(Service {
                path: path.clone(),
                entries,
            });
        }
    }
    let looked: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    Err(format!(
        "definition of service \"{name}\" not found (looked in {})",
        looked.join(", ")
    ))
}

/// The entries of section `name` of `text` (`None`: no such section). The whole file is
/// checked, as libpq does. Err: (line, what is wrong).
pub fn section(
    text: &str,
    name: &str,
    known: &[&str],
) -> Result<Option<Vec<Entry>>, (usize, String)> {
    let mut current: Option<&str> = None;
    let mut found: Option<Vec<Entry>> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let Some(s) = rest.strip_suffix(']') else {
                return Err((n, "a section header must be [name]".into()));
            };
            current = Some(s.trim());
            if current == Some(name) && found.is_none() {
                found = Some(Vec::new());
            }
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err((n, "syntax error: expected key=value".into()));
        };
        let key = key.trim();
        if current.is_none() {
            return Err((n, format!("\"{key}\" is outside any [service] section")));
        }
        if key == "service" {
            return Err((n, "nested service specifications are not supported".into()));
        }
        if !known.contains(&key) {
            return Err((n, format!("invalid connection option \"{key}\"")));
        }
        if current == Some(name) {
            if let Some(entries) = found.as_mut() {
                entries.push((key.to_string(), value.trim().to_string(), n));
            }
        }
    }
    Ok(found)
}

/// The files to search, in order.
pub fn files(
    service_file: Option<&str>,
    sysconfdir: Option<&str>,
    home: Option<&Path>,
) -> Vec<PathBuf> {
    let mut out = Vec::new();
    match service_file {
        Some(f) => out.push(PathBuf::from(f)),
        None => {
            if let Some(h) = home {
                out.push(h.join(".pg_service.conf"));
            }
        }
    }
    out.push(Path::new(sysconfdir.unwrap_or("/etc/postgresql-common")).join("pg_service.conf"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &["host", "port", "dbname", "user"];

    #[test]
    fn finds_the_named_section_and_checks_every_line() {
        let text = "# c\n[a]\nhost=x\n\n[b]\nhost = db\nport=5433\n";
        assert_eq!(
            section(text, "b", KNOWN).unwrap().unwrap(),
            vec![
                ("host".to_string(), "db".to_string(), 6),
                ("port".into(), "5433".into(), 7)
            ]
        );
        assert_eq!(section(text, "c", KNOWN).unwrap(), None);
        assert_eq!(
            section("[a]\nhots=x\n", "b", KNOWN).unwrap_err(),
            (2, "invalid connection option \"hots\"".to_string())
        );
        assert_eq!(section("[a]\nnonsense\n", "a", KNOWN).unwrap_err().0, 2);
    }

    #[test]
    fn missing_service_names_the_files_searched() {
        let e = find("x", &[PathBuf::from("/nonexistent/pg_service.conf")], KNOWN).unwrap_err();
        assert!(
            e.contains("service \"x\" not found") && e.contains("/nonexistent/pg_service.conf"),
            "{e}"
        );
    }
}
