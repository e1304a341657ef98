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
/// `postgres://<rest>?password=<secret>` and `postgres://u:<secret>@h/db?<rest>`; neither the
/// error (`Display`, `Debug`) nor the parsed URL's `Display`/`Debug`/`redacted()` may contain
/// the secret (see [`never_shows`] for text that is in every such URL). Any other input is
/// only parsed (no panic).
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
}

/// Everything a parsed URL (or its error) shows a person.
fn shown(input: &str) -> Vec<String> {
    match DatabaseUrl::parse(input) {
        Ok(u) => {
            let _ = u.tables();
            let _ = (u.session_settings(), u.statement_timeout(), u.sqlite_path());
            vec![u.to_string(), format!("{u:?}"), u.redacted()]
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
