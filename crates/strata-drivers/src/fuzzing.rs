//! The invariants the fuzz target `url` checks, as a plain function, so that `cargo fuzz` (in
//! `fuzz/`, a nightly build) and the ordinary `cargo test` (stable) run the very same code: a
//! crash the fuzzer finds is saved under `fuzz/regressions/url/` and replayed by every test run
//! from then on (see `fuzz/README.md`). Not part of the crate's API.

use crate::DatabaseUrl;

/// Target `url`: [`DatabaseUrl::parse`] never panics, and a password never shows.
///
/// Input: `<secret>\0<rest>`, where the secret is 8+ ASCII alphanumerics not occurring in
/// `<rest>` (long enough not to occur by chance in fixed message text, and needing no
/// percent-encoding). The URLs tried are `postgres://u:<secret>@<rest>`,
/// `postgres://<rest>?password=<secret>`, `postgres://u:<secret>@h/db?<rest>`, and the typo
/// shapes `postgres://<rest>&sslpassword=<secret>`, `postgres://<rest>?sslpassword=<secret>`,
/// `postgres://h/db?<rest>?password=<secret>`, `sqlite://<rest>&password=<secret>`; neither
/// the error (`Display`, `Debug`) nor anything the parsed URL shows (its `Display`, `Debug`,
/// `redacted()`, hosts, user, database, paths, settings, table names) may contain the secret
/// (see [`never_shows`] for text that is in every such URL). Any other input is only parsed
/// (no panic).
pub fn url(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = DatabaseUrl::parse(s).map(|u| u.to_string());
    let Some((secret, rest)) = s.split_once('\0') else {
        return;
    };
    if secret.len() < 8
        || !secret.bytes().all(|b| b.is_ascii_alphanumeric())
        || rest.contains(secret)
        || rest.contains('\0')
    {
        return;
    }
    never_shows(|pw| format!("postgres://u:{pw}@{rest}"), secret, rest);
    never_shows(
        |pw| format!("postgres://{rest}?password={pw}"),
        secret,
        rest,
    );
    never_shows(|pw| format!("postgres://u:{pw}@h/db?{rest}"), secret, rest);
    // A `?` or `&` where another separator was meant puts the password into some other part.
    never_shows(
        |pw| format!("postgres://{rest}&sslpassword={pw}"),
        secret,
        rest,
    );
    never_shows(
        |pw| format!("postgres://{rest}?sslpassword={pw}"),
        secret,
        rest,
    );
    never_shows(
        |pw| format!("postgres://h/db?{rest}?password={pw}"),
        secret,
        rest,
    );
    never_shows(|pw| format!("sqlite://{rest}&password={pw}"), secret, rest);
    never_shows(|pw| format!("mysql://u:{pw}@{rest}"), secret, rest);
    never_shows(
        |pw| format!("mysql://u:{pw}@tcp(h:3306)/db?{rest}"),
        secret,
        rest,
    );
    never_shows(|pw| format!("mariadb://{rest}?password={pw}"), secret, rest);
    never_shows(|pw| format!("mysql://{rest}&password={pw}"), secret, rest);
}

/// Everything a parsed URL (or its error) shows a person.
fn shown(input: &str) -> Vec<String> {
    let mut out = shown_mysql(input);
    out.extend(shown_database_url(input));
    out
}

/// What a MySQL URL parsed on its own shows (nothing for another scheme): its `Display`,
/// `Debug`, user, database, table, TLS files and driver settings, or its error.
fn shown_mysql(input: &str) -> Vec<String> {
    let lower = input.trim().to_ascii_lowercase();
    if !(lower.starts_with("mysql://") || lower.starts_with("mariadb://")) {
        return Vec::new();
    }
    match crate::url::mysql::MysqlUrl::parse(input) {
        Ok(u) => {
            let mut out = vec![
                u.to_string(),
                format!("{u:?}"),
                format!("{:?}", u.address()),
            ];
            out.extend(u.user().map(str::to_string));
            out.push(u.database().to_string());
            out.push(u.migrations_table().to_string());
            out.push(format!("{:?}", u.tls()));
            out.extend(u.driver_params().iter().map(|(k, v)| format!("{k}={v}")));
            out
        }
        Err(e) => vec![format!("{e} {e:?}")],
    }
}

fn shown_database_url(input: &str) -> Vec<String> {
    match DatabaseUrl::parse(input) {
        Ok(u) => {
            let _ = (u.statement_timeout(), u.multi_statement());
            // Every part that messages quote: hosts (connect errors), user, database, paths,
            // setting names and values, table names.
            let mut out = vec![u.to_string(), format!("{u:?}"), u.redacted()];
            out.extend(u.hosts().iter().map(|(h, _)| h.to_string()));
            out.extend(u.user().map(str::to_string));
            out.extend(u.database().map(str::to_string));
            out.push(u.path().to_string());
            for p in [
                u.sqlite_path(),
                u.ssl_root_cert(),
                u.ssl_cert(),
                u.ssl_key(),
            ] {
                out.extend(p.map(|p| p.display().to_string()));
            }
            out.extend(u.application_name().map(str::to_string));
            out.extend(u.options().map(str::to_string));
            out.extend(
                u.session_settings()
                    .into_iter()
                    .map(|(k, v)| format!("{k}={v}")),
            );
            match u.tables() {
                Ok(t) => out.push(format!("{t:?}")),
                Err(e) => out.push(e.to_string()),
            }
            out
        }
        Err(e) => vec![format!("{e} {e:?}")],
    }
}

/// The URL `url(secret)` never shows `secret` — unless the same URL with another password
/// (a decoy) shows that text too: then it is fixed text, not the password (the secret
/// `postgres` is in every URL's scheme; fuzz/regressions/url/secret_is_the_scheme_name).
fn never_shows(url: impl Fn(&str) -> String, secret: &str, rest: &str) {
    for text in shown(&url(secret)) {
        if text.contains(secret) {
            let Some(decoy) = decoy(secret, rest) else {
                return;
            };
            let fixed = shown(&url(&decoy)).iter().any(|t| t.contains(secret));
            assert!(fixed, "{text:?} shows {secret:?}");
        }
    }
}

/// A password of the secret's shape (same length, alphanumeric) that is neither the secret nor
/// in `rest`: the secret with every character rotated by 1, 2 or 3 places. Derived rather than
/// a constant, which the fuzzer would learn and put in `rest`
/// (fuzz/regressions/url/decoy_password_in_the_rest).
fn decoy(secret: &str, rest: &str) -> Option<String> {
    const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    (1..=3).find_map(|k| {
        let d: String = secret
            .bytes()
            .map(|b| {
                let i = ALNUM.iter().position(|a| *a == b).unwrap_or(0);
                ALNUM[(i + k) % ALNUM.len()] as char
            })
            .collect();
        (!rest.contains(&d) && d != secret).then_some(d)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn url_holds_on_every_committed_fuzz_input() {
        assert!(strata_testkit::fuzz::replay("url", super::url) >= 3);
    }
}
