//! The URL of another database on the same server: same user, password, hosts and settings,
//! another database name (test databases, templates, scratch databases).

use super::userinfo_end;

/// `raw` (a PostgreSQL URL that parsed) with its database replaced by `name` (plain ASCII,
/// nothing to encode: names Strata makes). A `dbname=` query parameter,
/// which would override the path, is removed.
pub fn with_database(raw: &str, name: &str) -> String {
    let raw = raw.trim();
    let Some(sep) = raw.find("://") else {
        return raw.to_string();
    };
    let (head, rest) = raw.split_at(sep + 3);
    let host_start = userinfo_end(rest).map_or(0, |at| at + 1);
    let after = &rest[host_start..];
    let host_end = after
        .find(['/', '?'])
        .map_or(rest.len(), |i| host_start + i);
    let query = rest[host_end..]
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or("");
    let kept: Vec<&str> = query
        .split('&')
        .filter(|kv| !kv.is_empty() && kv.split('=').next() != Some("dbname"))
        .collect();
    let mut out = format!("{head}{}/{name}", &rest[..host_end]);
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::with_database;
    use crate::DatabaseUrl;

    #[test]
    fn replaces_the_database_and_keeps_everything_else() {
        let cases = [
            ("postgres://u:p@h:5432/postgres", "postgres://u:p@h:5432/db"),
            ("postgres://h", "postgres://h/db"),
            ("postgres://h/", "postgres://h/db"),
            (
                "postgres://u@h1:1,h2:2/x?sslmode=disable&search_path=app",
                "postgres://u@h1:1,h2:2/db?sslmode=disable&search_path=app",
            ),
            (
                "postgres://h?dbname=x&x-migrations-table=m",
                "postgres://h/db?x-migrations-table=m",
            ),
            ("postgres://u:p/a?b@h/postgres", "postgres://u:p/a?b@h/db"),
            ("postgres:///x?host=/tmp", "postgres:///db?host=/tmp"),
            (
                "postgres://u:p@h/postgres?application_name=me@host",
                "postgres://u:p@h/db?application_name=me@host",
            ),
        ];
        for (admin, want) in cases {
            let got = with_database(admin, "db");
            assert_eq!(got, want, "{admin}");
            let parsed = DatabaseUrl::parse(&got).unwrap();
            assert_eq!(parsed.database(), Some("db"), "{admin}");
        }
    }

    #[test]
    fn the_password_survives() {
        let got = with_database("postgres://u:s%40cret@h/postgres", "db");
        assert_eq!(got, "postgres://u:s%40cret@h/db");
        assert!(DatabaseUrl::parse(&got).unwrap().has_password());
    }
}
