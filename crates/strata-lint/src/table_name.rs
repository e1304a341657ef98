//! Table names as the database compares them, for matching one statement's table with
//! another's within a file.

use strata_sql::{fold_name, Dialect};

/// `name` folded as the database compares names (unquoted parts lower-cased, quoted ones kept),
/// with the default schema dropped (`public` on PostgreSQL, `main` on SQLite), so `public.t`,
/// `"public".T` ... and `t` are one table under the default search path.
pub(crate) fn table_key(name: &str, dialect: Dialect) -> String {
    let schema = match dialect {
        Dialect::Postgres => "public",
        Dialect::Sqlite => "main",
        // MySQL's default schema is the connection's database, which has no fixed name.
        Dialect::Mysql => return mysql_key(name),
    };
    let unquoted = format!("{schema}.");
    let quoted = format!("\"{schema}\".");
    let rest =
        if name.len() > unquoted.len() && name[..unquoted.len()].eq_ignore_ascii_case(&unquoted) {
            &name[unquoted.len()..]
        } else if let Some(rest) = name.strip_prefix(&quoted) {
            rest
        } else {
            name
        };
    fold_name(rest)
}

/// A MySQL name for a message: as written when it has backticks, else in backticks.
pub(crate) fn shown_mysql(name: &str) -> String {
    if name.contains('`') {
        name.to_string()
    } else {
        format!("`{name}`")
    }
}

/// A MySQL name without its backticks, lower-cased (as with `lower_case_table_names` 1 or 2;
/// on 0 two spellings differing in case only are two tables, which one file rarely mixes).
fn mysql_key(name: &str) -> String {
    name.chars()
        .filter(|&c| c != '`')
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schema_is_dropped_and_quoted_names_keep_case() {
        let pg = |n| table_key(n, Dialect::Postgres);
        assert_eq!(pg("public.t"), "t");
        assert_eq!(pg("PUBLIC.T"), "t");
        assert_eq!(pg("\"public\".t"), "t");
        assert_eq!(pg("t"), "t");
        assert_eq!(pg("public.\"T\""), "T");
        assert_ne!(pg("public.\"T\""), pg("t"));
        assert_eq!(pg("\"Public\".t"), "Public.t");
        assert_eq!(pg("app.t"), "app.t");
        // A quoted name with a dot in it is not schema-qualified.
        assert_ne!(pg("\"public.t\""), "t");
        assert_eq!(table_key("main.t", Dialect::Sqlite), "t");
        assert_eq!(pg("main.t"), "main.t");
        let my = |n| table_key(n, Dialect::Mysql);
        assert_eq!(my("`app`.`Users`"), "app.users");
        assert_eq!(my("Users"), my("`users`"));
    }
}
