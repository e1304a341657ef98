//! libpq's conventions for PostgreSQL connections, applied to the database setting before
//! anything connects: key=value connection strings, `service=` / `PGSERVICE` with
//! `pg_service.conf`, the `PG*` environment variables, the OS user as default user, and the
//! password file. A URL's own parts win; then the service's; then the environment's (libpq's
//! order). The result is a complete URL for the URL parser, plus where each added part came
//! from (for `strata config`).
//!
//! tokio-postgres' `Config` reads none of the environment, service or password files, so they
//! are handled here; its key=value parser is not reachable on its own (see [`dsn`]).

pub mod dsn;
pub mod pgpass;
pub mod service;

use std::path::{Path, PathBuf};
use strata_drivers::{Backend, DatabaseUrl, Host};

/// Connection keys and the environment variable libpq reads for each.
pub const VARIABLES: &[(&str, &str)] = &[
    ("host", "PGHOST"),
    ("port", "PGPORT"),
    ("dbname", "PGDATABASE"),
    ("user", "PGUSER"),
    ("password", "PGPASSWORD"),
    ("sslmode", "PGSSLMODE"),
    ("sslrootcert", "PGSSLROOTCERT"),
    ("sslcert", "PGSSLCERT"),
    ("sslkey", "PGSSLKEY"),
    ("application_name", "PGAPPNAME"),
    ("connect_timeout", "PGCONNECT_TIMEOUT"),
    ("options", "PGOPTIONS"),
];

/// Keys a service file may set.
const SERVICE_KEYS: &[&str] = &[
    "host",
    "port",
    "dbname",
    "user",
    "password",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "application_name",
    "connect_timeout",
    "options",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "target_session_attrs",
    "channel_binding",
    "sslsni",
    "fallback_application_name",
];

/// Variables whose presence alone means "connect to PostgreSQL" when no database is given.
const IMPLYING: &[&str] = &["PGHOST", "PGDATABASE", "PGSERVICE", "PGPORT"];

/// Where the process looks things up (the real environment, or a test's).
pub struct Inputs<'a> {
    /// An environment variable (non-empty values only).
    pub var: &'a dyn Fn(&str) -> Option<String>,
    /// The home folder (`~/.pgpass`, `~/.pg_service.conf`).
    pub home: Option<PathBuf>,
    /// The OS user: the default user name.
    pub os_user: Option<String>,
}

/// One connection part added to the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The libpq key.
    pub key: String,
    /// Its value as it may be shown (`***` for a password).
    pub shown: String,
    /// Where it came from, e.g. `PGHOST` or `~/.pgpass line 3`.
    pub origin: String,
}

/// The database setting with libpq's conventions applied.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Resolved {
    /// The complete URL (it may hold a password: never print it raw).
    pub url: String,
    /// What was added, in order.
    pub parts: Vec<Part>,
    /// Warnings to print (an ignored password file).
    pub warnings: Vec<String>,
}

/// Apply libpq's conventions to `raw` (the database setting, if any). `None`: no database
/// and no `PG*` variable that implies one. Err: what is wrong, naming the variable, file and
/// line at fault (never a password).
pub fn resolve(raw: Option<&str>, inputs: &Inputs<'_>) -> Result<Option<Resolved>, String> {
    let var = inputs.var;
    let raw = match raw {
        Some(r) => r.to_string(),
        None if IMPLYING.iter().any(|v| var(v).is_some()) => "postgres://".to_string(),
        None => return Ok(None),
    };
    let text = if dsn::is_dsn(&raw) {
        dsn::to_url(&dsn::parse(&raw).map_err(|e| format!("the key=value connection string: {e}"))?)
    } else {
        raw
    };
    let unchanged = |url: String| {
        Ok(Some(Resolved {
            url,
            ..Resolved::default()
        }))
    };
    // A URL the parser refuses is left for it to report, with its own words.
    match DatabaseUrl::parse(&text) {
        Ok(u) if u.backend() == Backend::Postgres => {}
        _ => return unchanged(text),
    }
    let (text, service_param) = take_param(&text, "service");
    let Ok(url) = DatabaseUrl::parse(&text) else {
        return unchanged(text);
    };

    let mut adds: Vec<(String, String, String)> = Vec::new();
    let service_name = match service_param {
        Some(s) => Some((s, "service= in the database URL".to_string())),
        None => var("PGSERVICE").map(|s| (s, "PGSERVICE".to_string())),
    };
    if let Some((name, named_by)) = &service_name {
        let files = service::files(
            var("PGSERVICEFILE").as_deref(),
            var("PGSYSCONFDIR").as_deref(),
            inputs.home.as_deref(),
        );
        let found =
            service::find(name, &files, SERVICE_KEYS).map_err(|e| format!("{named_by}: {e}"))?;
        for (key, value, line) in found.entries {
            if !given(&url, &key) && !adds.iter().any(|(k, _, _)| *k == key) {
                let origin = format!("service {name} ({} line {line})", found.path.display());
                adds.push((key, value, origin));
            }
        }
    }
    for (key, name) in VARIABLES {
        if !given(&url, key) && !adds.iter().any(|(k, _, _)| k == key) {
            if let Some(v) = var(name) {
                adds.push((key.to_string(), v, name.to_string()));
            }
        }
    }
    if !given(&url, "user") && !adds.iter().any(|(k, _, _)| k == "user") {
        if let Some(u) = &inputs.os_user {
            adds.push(("user".into(), u.clone(), "the OS user".into()));
        }
    }
    for (key, value, origin) in &adds {
        let one = format!("postgres://?{key}={}", dsn::encode(value));
        if let Err(e) = DatabaseUrl::parse(&one) {
            return Err(format!("{origin}: {e}"));
        }
    }
    let mut warnings = Vec::new();
    let mut full = append(&text, &adds);
    if !given(&url, "password") && !adds.iter().any(|(k, _, _)| k == "password") {
        let complete = DatabaseUrl::parse(&full).map_err(|e| e.to_string())?;
        let file = var("PGPASSFILE")
            .map(PathBuf::from)
            .or_else(|| inputs.home.as_ref().map(|h| h.join(".pgpass")));
        if let Some(file) = file {
            match pgpass_lookup(&complete, &file) {
                pgpass::Found::Password {
                    password,
                    path,
                    line,
                } => {
                    let origin = format!("{} line {line}", path.display());
                    let pair = ("password".to_string(), password, origin);
                    full = append(&full, std::slice::from_ref(&pair));
                    adds.push(pair);
                }
                pgpass::Found::Ignored(w) => warnings.push(w),
                pgpass::Found::Nothing => {}
            }
        }
    }
    let parts = adds
        .into_iter()
        .map(|(key, value, origin)| Part {
            shown: if key == "password" {
                "***".into()
            } else {
                value
            },
            key,
            origin,
        })
        .collect();
    Ok(Some(Resolved {
        url: full,
        parts,
        warnings,
    }))
}

/// Whether the URL itself sets `key`.
fn given(url: &DatabaseUrl, key: &str) -> bool {
    match key {
        "host" => !url.hosts().is_empty(),
        "port" => url.hosts().iter().any(|(_, p)| p.is_some()),
        "user" => url.user().is_some(),
        "password" => url.has_password(),
        "dbname" => url.database().is_some(),
        "sslmode" => url.ssl_mode_given(),
        "sslrootcert" => url.ssl_root_cert().is_some(),
        "sslcert" => url.ssl_cert().is_some(),
        "sslkey" => url.ssl_key().is_some(),
        "application_name" => url.application_name().is_some(),
        "options" => url.options().is_some(),
        "connect_timeout" => url.connect_timeout().is_some(),
        // Other keys are query-only: an appended copy comes after the URL's, and the first
        // of a key is the one used.
        _ => false,
    }
}

/// The password file's entry for the URL's first server, database and user.
fn pgpass_lookup(url: &DatabaseUrl, file: &Path) -> pgpass::Found {
    let (host, port) = match url.hosts().first() {
        None => ("localhost".to_string(), 5432),
        Some((Host::Tcp(h), p)) => (h.clone(), p.unwrap_or(5432)),
        Some((Host::Unix(dir), p)) => {
            // libpq matches the default socket directory as `localhost`.
            let default = ["/var/run/postgresql", "/run/postgresql", "/tmp"]
                .iter()
                .any(|d| Path::new(d) == dir);
            let h = if default {
                "localhost".to_string()
            } else {
                dir.display().to_string()
            };
            (h, p.unwrap_or(5432))
        }
    };
    let user = url.user().unwrap_or_default().to_string();
    let database = url.database().unwrap_or(&user).to_string();
    let port = port.to_string();
    pgpass::lookup(
        file,
        &pgpass::Key {
            host: &host,
            port: &port,
            database: &database,
            user: &user,
        },
    )
}

/// `url` with `key=value` pairs added to its query.
fn append(url: &str, pairs: &[(String, String, String)]) -> String {
    if pairs.is_empty() {
        return url.to_string();
    }
    // The query starts after the host section: a `?` in an unencoded password is not it.
    let tail = url.rsplit('@').next().unwrap_or(url);
    let mut out = url.to_string();
    let mut sep = if tail.contains('?') { '&' } else { '?' };
    for (k, v, _) in pairs {
        out.push(sep);
        out.push_str(&format!("{k}={}", dsn::encode(v)));
        sep = '&';
    }
    out
}

/// Remove `key=...` from the URL's query, returning its (decoded) value.
fn take_param(url: &str, key: &str) -> (String, Option<String>) {
    let Some(q) = url.find('?') else {
        return (url.to_string(), None);
    };
    let (head, query) = (&url[..q], &url[q + 1..]);
    let mut value = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|piece| match piece.split_once('=') {
            Some((k, v)) if k == key => {
                value = Some(
                    percent_encoding::percent_decode_str(v)
                        .decode_utf8_lossy()
                        .into_owned(),
                );
                false
            }
            _ => true,
        })
        .collect();
    if value.is_none() {
        return (url.to_string(), None);
    }
    let rest = kept.join("&");
    let out = if rest.is_empty() {
        head.to_string()
    } else {
        format!("{head}?{rest}")
    };
    (out, value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn run(
        raw: Option<&str>,
        vars: &[(&str, &str)],
        home: Option<PathBuf>,
    ) -> Result<Option<Resolved>, String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let var = move |k: &str| map.get(k).cloned();
        resolve(
            raw,
            &Inputs {
                var: &var,
                home,
                os_user: Some("osuser".into()),
            },
        )
    }

    fn url(raw: Option<&str>, vars: &[(&str, &str)]) -> String {
        run(raw, vars, None).unwrap().unwrap().url
    }

    #[test]
    fn environment_fills_what_the_url_leaves_out() {
        assert_eq!(
            url(
                Some("postgres://u@h/db"),
                &[
                    ("PGHOST", "x"),
                    ("PGPORT", "6000"),
                    ("PGSSLMODE", "disable")
                ]
            ),
            "postgres://u@h/db?port=6000&sslmode=disable"
        );
        assert_eq!(
            url(None, &[("PGHOST", "x"), ("PGDATABASE", "d")]),
            "postgres://?host=x&dbname=d&user=osuser"
        );
        assert_eq!(run(None, &[("PGUSER", "u")], None).unwrap(), None);
        // The URL's own sslmode wins over PGSSLMODE; SQLite is left alone.
        assert_eq!(
            url(
                Some("postgres://u@h/db?sslmode=require"),
                &[("PGSSLMODE", "disable")]
            ),
            "postgres://u@h/db?sslmode=require"
        );
        assert_eq!(
            url(Some("sqlite://a.db"), &[("PGHOST", "x")]),
            "sqlite://a.db"
        );
    }

    #[test]
    fn key_value_strings_become_urls() {
        let r = run(
            Some("host=h port=5433 dbname=app user=u password='p w'"),
            &[],
            None,
        )
        .unwrap()
        .unwrap();
        let parsed = DatabaseUrl::parse(&r.url).unwrap();
        assert_eq!(parsed.database(), Some("app"));
        assert_eq!(parsed.user(), Some("u"));
        assert!(parsed.has_password());
        assert_eq!(parsed.hosts(), &[(Host::Tcp("h".into()), Some(5433))]);
        assert!(r.parts.is_empty());
    }

    #[test]
    fn bad_values_name_their_variable() {
        let e = run(Some("postgres://u@h/db"), &[("PGSSLMODE", "bogus")], None).unwrap_err();
        assert!(e.starts_with("PGSSLMODE: "), "{e}");
        let e = run(Some("postgres://u@h/db"), &[("PGPORT", "x")], None).unwrap_err();
        assert!(e.starts_with("PGPORT: "), "{e}");
    }

    #[test]
    fn services_come_before_the_environment_and_after_the_url() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("svc.conf");
        std::fs::write(&file, "[app]\nhost=svc-host\ndbname=svcdb\n").unwrap();
        let f = file.to_str().unwrap();
        let r = run(
            Some("postgres:///urldb?service=app"),
            &[
                ("PGSERVICEFILE", f),
                ("PGHOST", "env-host"),
                ("PGPORT", "7000"),
            ],
            None,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            r.url,
            "postgres:///urldb?host=svc%2Dhost&port=7000&user=osuser"
        );
        assert!(
            r.parts[0].origin.contains("svc.conf line 2"),
            "{:?}",
            r.parts
        );
        let e = run(
            Some("postgres://"),
            &[("PGSERVICEFILE", f), ("PGSERVICE", "nope")],
            None,
        )
        .unwrap_err();
        assert!(
            e.starts_with("PGSERVICE: definition of service \"nope\" not found"),
            "{e}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_password_file_supplies_a_missing_password_unless_others_can_read_it() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".pgpass");
        std::fs::write(&file, "h:5432:db:u:s3cret\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let r = run(
            Some("postgres://u@h/db"),
            &[],
            Some(dir.path().to_path_buf()),
        )
        .unwrap()
        .unwrap();
        assert_eq!(r.url, "postgres://u@h/db?password=s3cret");
        assert_eq!(r.parts[0].shown, "***");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let r = run(
            Some("postgres://u@h/db"),
            &[],
            Some(dir.path().to_path_buf()),
        )
        .unwrap()
        .unwrap();
        assert_eq!(r.url, "postgres://u@h/db");
        assert_eq!(r.warnings.len(), 1);
        // PGPASSWORD comes before the file; the URL's password before both.
        let r = run(
            Some("postgres://u:url@h/db"),
            &[("PGPASSWORD", "env")],
            None,
        )
        .unwrap()
        .unwrap();
        assert_eq!(r.url, "postgres://u:url@h/db");
    }
}
